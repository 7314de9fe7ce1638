"""A seeded differential fuzz of Python's operators between a tensor and a NumPy array, a list, a Python number or a
NumPy scalar, in both orders, out of place and in place, against PyTorch 2.13.

PyTorch's own ops take a tensor or a number only. Its operators give anything else back to Python (NotImplemented),
which then tries the other operand's operator: an array after the tensor goes to NumPy, which reads the tensor's
values (refused for one that requires grad in grad mode) and computes by NumPy's rules, its result made a tensor
(uint8 for bools); an array first, or a list, is a TypeError, bar x == array (compared as tensors), x != array (True:
Python's identity fallback), array / x (the reciprocal times the array, by NumPy again) and an augmented assignment
x op= array, which falls back to x = x op array, a new tensor. Each case compares what comes out: the exception's
built-in type, or the result's type (tensor, array, bool), dtype, shape and values, the left operand afterwards
(changed in place or not), and the gradient where the tensor requires grad and a result does (PyTorch's backward of
floor_divide raises: there fastgrad's zero gradient is not compared)."""
import math
import operator
import warnings

import numpy as np
import pytest

import fastgrad
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")

TENSOR_DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float32", "float64"]
ARRAY_DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float32", "float64"]
TENSOR_SHAPES = [(), (3,), (2, 3)]
# shapes that broadcast with some of TENSOR_SHAPES and not with others
ARRAY_SHAPES = [(), (3,), (1, 3), (2, 1), (2, 3), (4,), (2, 2), (3, 2)]
# (not NumPy's bool: PyTorch 2.13 takes np.True_ as the float 1.0, int64 tensor + np.True_ is float32, which fastgrad
# does not follow)
SCALARS = [True, 0, 2, -1, 2.5, -0.5, np.float64(2), np.int64(3), np.float32(1.5), np.int8(-2)]
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul,
          "&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift,
          "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
          ">=": operator.ge}
AUGMENTED = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
             "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "@=": operator.imatmul,
             "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor, "<<=": operator.ilshift,
             ">>=": operator.irshift}
OPERATORS = {**BINARY, **AUGMENTED}
CASES_PER_SEED, SEEDS = 250, range(8)


def draw_case(rng):
    dtype = TENSOR_DTYPES[rng.integers(len(TENSOR_DTYPES))]
    shape = TENSOR_SHAPES[rng.integers(len(TENSOR_SHAPES))]
    values = rng.integers(-3, 4, size=shape)
    grad = dtype.startswith("float") and rng.random() < 0.4
    kind = ["array", "array", "list", "scalar"][rng.integers(4)]
    if kind == "scalar":
        other = SCALARS[rng.integers(len(SCALARS))]
    else:
        other_dtype = ARRAY_DTYPES[rng.integers(len(ARRAY_DTYPES))]
        other_shape = ARRAY_SHAPES[rng.integers(len(ARRAY_SHAPES))]
        other = rng.integers(-3, 4, size=other_shape).astype(other_dtype)
        if kind == "list":
            other = other.tolist()
    name = list(OPERATORS)[rng.integers(len(OPERATORS))]
    return dtype, values, grad, other, name, bool(rng.random() < 0.5)


def make_tensor(lib, dtype, values, grad):
    return lib.tensor(values.astype(dtype), requires_grad=grad)


def copied(other):
    return other.copy() if isinstance(other, np.ndarray) else list(other) if isinstance(other, list) else other


def described(value):
    """What an outcome is, comparably across the libraries: its kind, dtype, shape and values."""
    if isinstance(value, Raised):
        return value
    if isinstance(value, (torch.Tensor, fastgrad.Tensor)):
        return ("tensor", str(value.dtype).replace("torch.", ""), tuple(value.shape), value.detach().numpy().copy(),
                bool(value.requires_grad))
    if isinstance(value, np.ndarray):
        return ("array", str(value.dtype), value.shape, value.copy(), False)
    if isinstance(value, list):  # (list += tensor extends the list by the tensor's elements)
        value = [described(item) if isinstance(item, (torch.Tensor, fastgrad.Tensor)) else item for item in value]
    return (type(value).__name__, None, None, repr(value), False)


def assert_same(ours, theirs, where):
    if isinstance(theirs, Raised) or isinstance(ours, Raised):
        assert_raised_alike(ours, theirs, where)
        return
    assert ours[:3] == theirs[:3] and ours[4] == theirs[4], f"{where}: fastgrad {ours}, PyTorch {theirs}"
    if ours[1] is None:
        assert ours[3] == theirs[3], f"{where}: fastgrad {ours}, PyTorch {theirs}"
    else:
        np.testing.assert_allclose(ours[3].astype(np.float64), theirs[3].astype(np.float64), rtol=1e-6,
                                   equal_nan=True, err_msg=where)


def run(lib, case):
    """The operator's outcome, the left operand afterwards, and the tensor's gradient (None where none comes)."""
    dtype, values, grad, other, name, tensor_first = case
    tensor, other = make_tensor(lib, dtype, values, grad), copied(other)
    left, right = (tensor, other) if tensor_first else (other, tensor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy's division by zero, PyTorch's __array_wrap__ deprecation)
        result = outcome(lambda: OPERATORS[name](left, right))
    gradient = None
    if isinstance(result, (torch.Tensor, fastgrad.Tensor)) and result.requires_grad:
        gradient = outcome(lambda: result.sum().backward() or tensor.grad.numpy().copy())
    return described(result), described(left), gradient, result is left


@pytest.mark.parametrize("seed", SEEDS)
def test_operators_with_arrays_lists_and_numbers_as_torch_s(seed):
    rng = np.random.default_rng(seed)
    for _ in range(CASES_PER_SEED):
        case = draw_case(rng)
        dtype, values, grad, other, name, tensor_first = case
        where = (f"{dtype} tensor {values.tolist()} (requires_grad={grad}) {name} {type(other).__name__} {other!r}"
                 if tensor_first else f"{type(other).__name__} {other!r} {name} {dtype} tensor {values.tolist()} "
                                      f"(requires_grad={grad})")
        theirs, ours = run(torch, case), run(fastgrad, case)
        assert_same(ours[0], theirs[0], where)
        assert_same(ours[1], theirs[1], where + " (the left operand afterwards)")
        assert ours[3] == theirs[3], f"{where}: the result is the left operand: fastgrad {ours[3]}, PyTorch {theirs[3]}"
        assert (ours[2] is None) == (theirs[2] is None), f"{where}: gradient fastgrad {ours[2]}, PyTorch {theirs[2]}"
        if theirs[2] is not None and not isinstance(theirs[2], Raised):  # (PyTorch has no floor_divide derivative)
            np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6, equal_nan=True, err_msg=where)

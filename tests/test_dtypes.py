"""PyTorch's type promotion (fastgrad.dtypes.result_type), checked against torch where installed."""
import copy
import itertools
import operator

import numpy as np
import pytest

import fastgrad
from fastgrad.dtypes import result_type

OPERANDS = {
    "f32": lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float32),
    "f64": lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
    "i64": lambda lib: lib.tensor([1, 2]),
    "i32": lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    "b": lambda lib: lib.tensor([True, False]),
    "f64-0d": lambda lib: lib.tensor(1.5, dtype=lib.float64),
    "f32-0d": lambda lib: lib.tensor(1.5),
    "i64-0d": lambda lib: lib.tensor(3),
    "py-float": lambda lib: 2.5,
    "py-int": lambda lib: 3,
    "py-bool": lambda lib: True,
    "np-float64": lambda lib: np.float64(2.5),
}
PAIRS = [p for p in itertools.product(OPERANDS, repeat=2) if not (p[0].startswith(("py", "np")) and
                                                                   p[1].startswith(("py", "np")))]


def test_documented_examples():
    a = np.array
    assert result_type(a([1, 2]), a([1.5], np.float32)) == np.float32
    assert result_type(a([1.0], np.float32), 2.5) == np.float32
    assert result_type(a([1, 2]), 2.5) == np.float32
    assert result_type(a([1.0], np.float32), a(1.5)) == np.float32
    assert result_type(a([1, 2]), a(1.5)) == np.float64


def test_creation_keeps_numpy_dtypes_and_defaults_python_numbers():
    assert fastgrad.tensor(np.float64(0.1)).dtype == fastgrad.float64
    assert fastgrad.tensor([np.float64(0.1)]).dtype == fastgrad.float64
    assert fastgrad.tensor(fastgrad.tensor([1.0], dtype=fastgrad.float64)).dtype == fastgrad.float64
    assert fastgrad.tensor(0.1).dtype == fastgrad.float32
    assert fastgrad.tensor([1, 2]).dtype == fastgrad.int64
    assert (fastgrad.tensor([1, 2]) / 2).dtype == fastgrad.float32


def test_matrix_products_need_one_dtype():
    with pytest.raises(RuntimeError, match="same dtype"):
        fastgrad.ones(2, 2) @ fastgrad.ones(2, 2, dtype=fastgrad.float64)
    with pytest.raises(RuntimeError, match="same dtype"):
        fastgrad.nn.Linear(2, 2)(fastgrad.ones(1, 2, dtype=fastgrad.float64))


@pytest.mark.parametrize("op", ["add", "mul", "sub", "truediv"])
@pytest.mark.parametrize("left,right", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_binary_op_dtypes_match_pytorch(left, right, op):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (fastgrad, torch):
        a, b = OPERANDS[left](lib), OPERANDS[right](lib)
        try:
            results.append(str(getattr(operator, op)(a, b).dtype).replace("torch.", ""))
        except (RuntimeError, TypeError) as err:
            results.append(type(err).__name__)
    assert results[0] == results[1]


def test_gradients_come_back_in_each_inputs_dtype():
    a = fastgrad.randn(3, requires_grad=True)
    b = fastgrad.randn(3, dtype=fastgrad.float64, requires_grad=True)
    out = a * b
    assert out.dtype == fastgrad.float64
    out.sum().backward()
    assert a.grad.dtype == fastgrad.float32 and b.grad.dtype == fastgrad.float64


def python_types_as_dtypes(module):
    """Python's float, int and bool as dtypes, and the dtype names, as PyTorch reads them."""
    x = module.tensor([1, 2])
    return [str(t.dtype).replace("torch.", "") for t in
            (module.zeros(2, dtype=float), module.zeros(2, dtype=int), module.zeros(2, dtype=bool), x.to(float),
             module.ones(2, dtype=module.bool), module.ones(2, dtype=module.int), module.ones(2, dtype=module.float))]


def test_python_types_as_dtypes_are_pytorchs():
    # float is float64 as a dtype (it was the default float32 here), as in PyTorch
    assert python_types_as_dtypes(fastgrad) == ["float64", "int64", "bool", "float64", "bool", "int32", "float32"]


def test_python_types_as_dtypes_match_torch():
    torch = pytest.importorskip("torch")
    assert python_types_as_dtypes(fastgrad) == python_types_as_dtypes(torch)


def test_promote_types_can_cast_and_result_type():
    assert fastgrad.promote_types(fastgrad.int64, fastgrad.float32) == fastgrad.float32  # NumPy says float64
    assert fastgrad.promote_types(fastgrad.int32, fastgrad.bool) == fastgrad.int32
    assert fastgrad.promote_types("float32", "float64") == fastgrad.float64
    assert fastgrad.can_cast(fastgrad.float64, fastgrad.float32) and not fastgrad.can_cast(fastgrad.float32,
                                                                                            fastgrad.int64)
    assert not fastgrad.can_cast(fastgrad.int32, fastgrad.bool) and fastgrad.can_cast(fastgrad.bool, fastgrad.int32)
    assert fastgrad.result_type(fastgrad.tensor([1, 2]), 2.5) == fastgrad.float32
    assert fastgrad.result_type(fastgrad.tensor([1], dtype=fastgrad.int32), fastgrad.tensor(1)) == fastgrad.int32
    assert fastgrad.result_type(1, 2.0) == fastgrad.float32


@pytest.mark.parametrize("call,match", [
    (lambda: fastgrad.promote_types(fastgrad.int32, 3), "promote_types: type2 must be a dtype .*got 3"),
    (lambda: fastgrad.promote_types(None, fastgrad.int32), "promote_types: type1 must be a dtype .*got None"),
    (lambda: fastgrad.promote_types(np.complex64, fastgrad.int32), "type1 must be a dtype"),
    (lambda: fastgrad.can_cast(fastgrad.float32, "double precision"), "can_cast: to must be a dtype"),
    (lambda: fastgrad.result_type("a", 1), "result_type: tensor must be a Tensor or a number, got str"),
    (lambda: fastgrad.result_type(fastgrad.tensor([1]), np.array([1.0])), "other must be a Tensor or a number, got "
                                                                          "ndarray"),
])
def test_dtype_helpers_refuse_what_is_not_a_dtype(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_the_small_integer_dtypes_have_pytorchs_names():
    for name, dtype in (("uint8", np.uint8), ("int8", np.int8), ("int16", np.int16), ("short", np.int16)):
        assert getattr(fastgrad, name) == np.dtype(dtype)
        assert fastgrad.zeros(2, dtype=getattr(fastgrad, name)).dtype == np.dtype(dtype)
        assert fastgrad.tensor([1, 2], dtype=name).dtype == np.dtype(dtype)
    assert fastgrad.iinfo(fastgrad.int8).max == 127 and fastgrad.iinfo(fastgrad.uint8).min == 0
    assert (fastgrad.tensor([200], dtype=fastgrad.uint8) + fastgrad.tensor([-1], dtype=fastgrad.int8)).dtype == np.int16


@pytest.mark.parametrize("dtype", [np.float16, np.complex64, np.complex128, np.uint16, np.uint32, np.uint64])
def test_dtypes_fastgrad_does_not_compute_in_are_refused_everywhere(dtype):
    """They ran through NumPy's rules, not PyTorch's: refused instead, whichever way they come in. (float16's
    mean of 100,000 values was 0 and its cumulative sum stopped at 256: NumPy accumulates in float16.)"""
    message = f"{np.dtype(dtype)} is not supported: fastgrad's dtypes are"
    for make in (lambda: fastgrad.tensor(np.zeros(2, dtype)), lambda: fastgrad.from_numpy(np.zeros(2, dtype)),
                 lambda: fastgrad.as_tensor(np.zeros(2, dtype)), lambda: fastgrad.zeros(2, dtype=dtype),
                 lambda: fastgrad.tensor([1.0], dtype=dtype), lambda: fastgrad.ones(2).to(dtype)):
        with pytest.raises(TypeError, match=message):
            make()
    # converted on the way in, as torch.Tensor(array) converts to the default dtype, it is fine
    assert fastgrad.tensor(np.ones(2, dtype), dtype=fastgrad.float64).dtype == fastgrad.float64
    if np.dtype(dtype).kind != "c":
        assert fastgrad.Tensor(np.ones(2, dtype)).dtype == fastgrad.get_default_dtype()


@pytest.mark.parametrize("data", [["a", "b"], np.array([object()]), np.array([b"x"])])
def test_strings_and_objects_are_refused(data):
    with pytest.raises(TypeError, match="is not supported: fastgrad's dtypes are"):
        fastgrad.tensor(data)


@pytest.mark.parametrize("name", ["float16", "half", "bfloat16"])
def test_the_16_bit_float_names_exist_but_no_tensor_has_them(name):
    absent = getattr(fastgrad, name)
    assert repr(absent) == f"fastgrad.{'float16' if name == 'half' else name}" and absent.is_floating_point
    assert fastgrad.ones(2).dtype != absent and fastgrad.ones(2).dtype not in (fastgrad.float16, fastgrad.bfloat16)
    assert copy.deepcopy(absent) is absent
    for make in (lambda: fastgrad.zeros(2, dtype=absent), lambda: fastgrad.ones(2).to(absent),
                 lambda: fastgrad.ones(2).view(absent), lambda: fastgrad.tensor([1.0], dtype=absent),
                 lambda: fastgrad.nn.Linear(2, 2, dtype=absent), lambda: fastgrad.nn.Linear(2, 2).to(absent),
                 lambda: fastgrad.ones(2).sum(dtype=absent)):
        with pytest.raises(TypeError, match="fastgrad has no 16-bit floats"):
            make()
    with pytest.raises(TypeError, match="must be fastgrad.float32 or fastgrad.float64"):
        fastgrad.set_default_dtype(absent)
    with fastgrad.autocast("cpu", dtype=absent, enabled=False):  # the usual `enabled=use_amp` line
        assert (fastgrad.ones(2) * 2).dtype == fastgrad.float32
    with pytest.raises(NotImplementedError, match="no float16 or bfloat16"):
        fastgrad.autocast("cpu", dtype=absent)

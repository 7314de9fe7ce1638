"""Python numbers outside an integer tensor's range, against torch: wrapped into the dtype by elementwise ops
(comparisons, arithmetic, searchsorted), refused by creation, fills, clamp and where."""
import operator

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

INTEGER_DTYPES = ["uint8", "int8", "int16", "int32", "int64"]
NUMBERS = [-1, -128, 128, -129, -255, -256, 256, 300, 40000, 2**31, -(2**31), 2**40, 2**63 - 1, 2**63, -(2**63)]
WRAPPING = {
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge, "eq": operator.eq,
    "ne": operator.ne, "lt method": lambda t, v: t.lt(v), "ge method": lambda t, v: t.ge(v),
    "add": operator.add, "radd": lambda t, v: v + t, "sub": operator.sub, "rsub": lambda t, v: v - t,
    "mul": operator.mul, "add_": lambda t, v: t.clone().add_(v), "and": operator.and_, "fmod": lambda t, v: t.fmod(v),
    "true div": operator.truediv,
}
REFUSING = {
    "tensor": lambda lib, dtype, v: lib.tensor([1, v], dtype=dtype),
    "tensor 0-d": lambda lib, dtype, v: lib.tensor(v, dtype=dtype),
    "full": lambda lib, dtype, v: lib.full((2,), v, dtype=dtype),
    "fill_": lambda lib, dtype, v: lib.zeros(2, dtype=dtype).fill_(v),
    "clamp min": lambda lib, dtype, v: lib.tensor([0, 5], dtype=dtype).clamp(min=v),
    "clamp max": lambda lib, dtype, v: lib.tensor([0, 5], dtype=dtype).clamp(max=v),
    "where": lambda lib, dtype, v: lib.where(lib.tensor([True, False]), lib.tensor([1, 2], dtype=dtype), v),
    "pow": lambda lib, dtype, v: lib.tensor([0, 1], dtype=dtype) ** v,
    "alpha": lambda lib, dtype, v: lib.tensor([0, 1], dtype=dtype).add(lib.tensor([1], dtype=dtype), alpha=v),
    "sub alpha": lambda lib, dtype, v: lib.tensor([0, 1], dtype=dtype).sub(lib.tensor([1], dtype=dtype), alpha=v),
    "add alpha of a number": lambda lib, dtype, v: lib.add(lib.tensor([0, 1], dtype=dtype), 2, alpha=v),
    "sub_ alpha of a number": lambda lib, dtype, v: lib.tensor([0, 1], dtype=dtype).sub_(1, alpha=v),
    "addcmul value": lambda lib, dtype, v: lib.addcmul(*[lib.tensor([0, 1], dtype=dtype)] * 3, value=v),
    "new_tensor": lambda lib, dtype, v: lib.tensor([0, 1], dtype=dtype).new_tensor([v]),
    "new_full": lambda lib, dtype, v: lib.tensor([0, 1], dtype=dtype).new_full((2,), v),
    "full_like": lambda lib, dtype, v: lib.full_like(lib.tensor([0, 1], dtype=dtype), v),
    "clamp_": lambda lib, dtype, v: lib.tensor([0, 5], dtype=dtype).clamp_(max=v),
    "masked_fill": lambda lib, dtype, v: lib.tensor([0, 5], dtype=dtype).masked_fill(lib.tensor([True, False]), v),
    "setitem": lambda lib, dtype, v: _set(lib.tensor([0, 5], dtype=dtype), v),
    "index_fill": lambda lib, dtype, v: lib.tensor([0, 5], dtype=dtype).index_fill(0, lib.tensor([1]), v),
}


def _set(t, value):
    t[1:] = value
    return t


def outcome(f, *args, **kwargs):
    try:
        result = f(*args, **kwargs)
    except (RuntimeError, ValueError, OverflowError):
        return "raises"
    return result.numpy().tolist() if hasattr(result, "numpy") else result


def sequence(lib, dtype):
    return lib.tensor([0, 5, 100], dtype=getattr(lib, dtype))


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
@pytest.mark.parametrize("op", WRAPPING)
def test_elementwise_ops_wrap_numbers_into_the_dtype_as_torch(op, dtype):
    for value in NUMBERS:
        expected = outcome(WRAPPING[op], sequence(torch, dtype), value)
        got = outcome(WRAPPING[op], sequence(fastgrad, dtype), value)
        if expected == "raises":
            assert got == expected, (op, dtype, value)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=f"{op} {dtype} {value}")


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
def test_isin_wraps_numbers_into_the_dtype_as_torch(dtype):
    for value in NUMBERS:
        expected = outcome(torch.isin, sequence(torch, dtype), value)
        assert outcome(fastgrad.isin, sequence(fastgrad, dtype), value) == expected, value


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_wraps_numbers_into_the_sequence_dtype_as_torch(dtype, right):
    for value in NUMBERS + [1.5, -0.5]:
        expected = outcome(torch.searchsorted, sequence(torch, dtype), value, right=right)
        assert outcome(fastgrad.searchsorted, sequence(fastgrad, dtype), value, right=right) == expected, value


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
@pytest.mark.parametrize("op", REFUSING)
def test_creation_fills_and_bounds_refuse_what_torch_refuses(op, dtype):
    for value in NUMBERS + [1.5, -0.5, 127.9, 255.5, float("nan"), float("inf")]:
        if (op in ("pow", "addcmul value") or "alpha" in op) and isinstance(value, float) or op == "pow" and value < 0:
            continue  # (other rules: float alphas and values of integer tensors, negative integer powers)
        if op in ("clamp_", "masked_fill", "index_fill") and isinstance(value, float):
            continue  # (a float into an integer tensor in place: refused or truncated, by rules of their own)
        expected = outcome(REFUSING[op], torch, getattr(torch, dtype), value)
        got = outcome(REFUSING[op], fastgrad, getattr(fastgrad, dtype), value)
        if expected == "raises":
            assert got == "raises", (op, dtype, value, got)
        else:
            np.testing.assert_allclose(got, expected, err_msg=f"{op} {dtype} {value}")


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
def test_comparisons_with_zero_dim_tensors_of_wider_dtypes_wrap_as_torch(dtype):
    for value in (-1, 300, 2**40):
        for op in ("lt", "eq", "ge"):
            expected = getattr(sequence(torch, dtype), op)(torch.tensor(value)).tolist()
            assert getattr(sequence(fastgrad, dtype), op)(fastgrad.tensor(value)).tolist() == expected

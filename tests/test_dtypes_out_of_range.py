"""Python numbers outside an integer tensor's range: elementwise ops wrap them into the dtype as C's
conversion does (PyTorch's rule), creation, fills and clamp bounds refuse them."""
import numpy as np
import pytest

import fastgrad
from fastgrad.dtypes import checked_cast, wrapped_number


def test_wrapped_number_takes_the_value_modulo_two_to_the_bits():
    assert wrapped_number(-1, np.dtype(np.uint8)) == 255
    assert wrapped_number(300, np.dtype(np.int8)) == 44
    assert wrapped_number(2**31, np.dtype(np.int32)) == -(2**31)
    assert wrapped_number(2**63, np.dtype(np.int64)) == -(2**63)
    assert wrapped_number(300, np.dtype(np.float32)) == 300 and wrapped_number(True, np.dtype(np.int8)) is True
    with pytest.raises(OverflowError, match="outside both int64 and uint64"):
        wrapped_number(2**64, np.dtype(np.int8))


def test_comparisons_and_arithmetic_see_the_wrapped_number():
    u8 = fastgrad.tensor([0, 5, 100], dtype=fastgrad.uint8)
    assert (u8 < -1).tolist() == [True, True, True]  # -1 is 255
    assert u8.ge(256).tolist() == [True, True, True]  # 256 is 0
    assert fastgrad.eq(u8, 300 + 256 * 3).tolist() == [False, False, False] and (u8 == 261).tolist()[1]
    assert (u8 < fastgrad.tensor(-1)).tolist() == [True, True, True]  # a 0-d int64 tensor is cast to uint8 too
    i8 = fastgrad.tensor([0, 5, 100], dtype=fastgrad.int8)
    assert (i8 + 300).tolist() == [44, 49, -112] and (300 - i8).tolist() == [44, 39, -56]
    assert (i8.clone().add_(300)).tolist() == [44, 49, -112]
    assert fastgrad.searchsorted(i8, 300).item() == 2 and fastgrad.searchsorted(u8, -1).item() == 3


def test_true_division_divides_by_the_number_itself():
    np.testing.assert_allclose((fastgrad.tensor([5, 100], dtype=fastgrad.int8) / 300).numpy(), [5 / 300, 1 / 3],
                               rtol=1e-6)


def test_a_comparison_with_a_float_is_made_in_the_promoted_float_dtype():
    big = fastgrad.tensor([16777217], dtype=fastgrad.int32)  # 2**24 + 1, which float32 rounds to 2**24
    assert (big == 16777216.0).tolist() == [True]


@pytest.mark.parametrize("make", [
    lambda v: fastgrad.tensor([1, v], dtype=fastgrad.int8), lambda v: fastgrad.tensor(v, dtype=fastgrad.int8),
    lambda v: fastgrad.full((2,), v, dtype=fastgrad.int8), lambda v: fastgrad.zeros(2, dtype=fastgrad.int8).fill_(v),
    lambda v: fastgrad.tensor([1, 2], dtype=fastgrad.int8).clamp(max=v),
    lambda v: fastgrad.where(fastgrad.tensor([True, False]), fastgrad.tensor([1, 2], dtype=fastgrad.int8), v),
])
@pytest.mark.parametrize("value", [128, -129, 300, 2**40, 127.5, float("nan")])
def test_numbers_an_integer_dtype_cannot_hold_are_refused_where_they_are_stored(make, value):
    try:
        result = make(value)
    except RuntimeError as err:
        assert "cannot be converted to type int8 without overflow" in str(err)
    else:  # a float bound or branch promotes instead (clamp and where compute in floating point)
        assert isinstance(value, float) and result.dtype.kind == "f", result


def test_unsigned_dtypes_take_negative_ints_down_to_minus_their_max_as_torch():
    assert fastgrad.tensor([-1, -255], dtype=fastgrad.uint8).tolist() == [255, 1]
    assert fastgrad.tensor([0, 5], dtype=fastgrad.uint8).clamp(min=-1).tolist() == [255, 255]
    with pytest.raises(RuntimeError, match="value -256 cannot be converted"):
        fastgrad.tensor([-256], dtype=fastgrad.uint8)
    with pytest.raises(RuntimeError, match="value -1.0 cannot be converted"):
        fastgrad.tensor([-1.0], dtype=fastgrad.uint8)


def test_arrays_are_cast_as_numpy_casts_them():
    assert fastgrad.tensor(np.array([300]), dtype=fastgrad.int8).tolist() == [44]


def test_exponents_and_alphas_the_dtype_cannot_hold_are_refused():
    i8 = fastgrad.tensor([0, 1], dtype=fastgrad.int8)
    with pytest.raises(RuntimeError, match="pow: value 300"):
        i8 ** 300
    with pytest.raises(RuntimeError, match="alpha: value -300"):  # (sub adds with -alpha, as PyTorch)
        i8.sub(1, alpha=300)
    assert i8.sub(1, alpha=128).tolist() == [-128, -127]  # -128 fits
    assert i8.add(300, alpha=2).tolist() == [88, 89]  # 300 wraps to 44 as other, alpha 2 fits


def test_checked_cast_leaves_float_targets_alone():
    assert checked_cast(np.array([1e300]), np.dtype(np.float64), "x").tolist() == [1e300]

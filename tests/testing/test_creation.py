"""fastgrad.testing.make_tensor: shapes, dtypes, value ranges, the layout options and the argument checks."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastgrad
from fastgrad.testing import make_tensor

DTYPES = [fastgrad.float32, fastgrad.float64, fastgrad.int64, fastgrad.int32, fastgrad.int16, fastgrad.int8,
          fastgrad.uint8, fastgrad.bool]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 4), max_size=3), st.sampled_from(DTYPES))
def test_shape_dtype_and_default_range(shape, dtype):
    x = make_tensor(*shape, dtype=dtype, device="cpu")
    assert x.shape == tuple(shape) and x.dtype == dtype and x.is_contiguous() and not x.requires_grad
    values = x.numpy()
    if dtype.kind == "f":
        assert np.all((values >= -9) & (values < 9))
    elif dtype.kind in "iu":
        assert np.all((values >= (0 if dtype.kind == "u" else -9)) & (values < 10))


def test_shape_as_one_sequence():
    assert make_tensor((2, 3), dtype=fastgrad.float32, device="cpu").shape == (2, 3)
    assert make_tensor(fastgrad.Size([4]), dtype=fastgrad.int64, device="cpu").shape == (4,)
    assert make_tensor(dtype=fastgrad.float32, device="cpu").shape == ()


def test_bounds_are_clamped_to_the_dtype():
    values = make_tensor(2000, dtype=fastgrad.int8, device="cpu", low=-500, high=500).numpy()
    assert values.min() >= -128 and values.max() <= 127 and values.max() > 100
    values = make_tensor(2000, dtype=fastgrad.uint8, device="cpu", low=-5, high=3).numpy()
    assert set(np.unique(values)) <= {0, 1, 2}
    values = make_tensor(100, dtype=fastgrad.float32, device="cpu", low=-float("inf"), high=float("inf")).numpy()
    assert np.all(np.isfinite(values))


def test_repeatable_with_manual_seed():
    fastgrad.manual_seed(3)
    first = make_tensor(5, dtype=fastgrad.float64, device="cpu")
    fastgrad.manual_seed(3)
    np.testing.assert_array_equal(first.numpy(), make_tensor(5, dtype=fastgrad.float64, device="cpu").numpy())


def test_exclude_zero():
    for dtype in (fastgrad.int64, fastgrad.float32):
        values = make_tensor(3000, dtype=dtype, device="cpu", low=-1, high=1, exclude_zero=True).numpy()
        assert not np.any(values == 0)
    assert not np.any(make_tensor(3000, dtype=fastgrad.int64, device="cpu", low=0, high=1, exclude_zero=True).numpy()
                      != 1)


def test_noncontiguous_memory_format_and_requires_grad():
    x = make_tensor(4, 4, dtype=fastgrad.float32, device="cpu", noncontiguous=True)
    assert not x.is_contiguous() and x.shape == (4, 4)
    y = make_tensor(2, 3, 4, 5, dtype=fastgrad.float32, device="cpu", memory_format=fastgrad.channels_last)
    assert y.is_contiguous(memory_format=fastgrad.channels_last) and not y.is_contiguous()
    z = make_tensor(3, dtype=fastgrad.float64, device="cpu", requires_grad=True)
    assert z.requires_grad and z.is_leaf


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(low=2, high=1), ValueError, "`low` must be less than `high`, but got 2 >= 1"),
    (dict(low=float("nan")), ValueError, "cannot be NaN"),
    (dict(low=1e300, high=1e301), ValueError, "The value interval"),
    (dict(dtype=fastgrad.int64, requires_grad=True), ValueError, "requires_grad=True` is not supported"),
    (dict(dtype=fastgrad.int64, low=1, high=1), ValueError, "`low` must be less than `high`"),
    (dict(device="cuda"), RuntimeError, "device 'cuda' is not available"),
    (dict(memory_format=fastgrad.channels_last), RuntimeError, "channels_last"),
])
def test_bad_arguments(kwargs, error, message):
    arguments = dict(dtype=fastgrad.float32, device="cpu") | kwargs
    with pytest.raises(error, match=message):
        make_tensor(2, **arguments)


def test_dtype_and_device_are_required_and_shape_must_be_ints():
    with pytest.raises(TypeError, match="dtype"):
        make_tensor(2, device="cpu")
    with pytest.raises(TypeError, match="device"):
        make_tensor(2, dtype=fastgrad.float32)
    with pytest.raises(TypeError, match="shape must be ints"):
        make_tensor(2, 2.0, dtype=fastgrad.float32, device="cpu")


def test_low_equal_to_high_for_floats_warns_and_fills():
    with pytest.warns(FutureWarning, match="deprecated"):
        x = make_tensor(3, dtype=fastgrad.float32, device="cpu", low=1, high=1)
    assert x.tolist() == [1.0, 1.0, 1.0]

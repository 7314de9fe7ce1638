"""make_tensor: PyTorch's random test tensors (values uniform in [low, high), by default [-9, 9) for floats and
[-9, 10) for integers, clamped to what the dtype holds), drawn from fastgrad's generator, so
`fastgrad.manual_seed` makes them repeatable; PyTorch's draws differ (another generator)."""
from __future__ import annotations

import math
import warnings

import numpy as np

from fastgrad.creation import from_numpy, rand, randint
from fastgrad.dtypes import as_dtype, supported
from fastgrad.tensor import Tensor, check_device


def make_tensor(*shape, dtype, device, low: float | None = None, high: float | None = None,
                requires_grad: bool = False, noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """A tensor of `shape` (ints, or one sequence) and `dtype` with random values in [low, high); bool
    values are False or True whatever the bounds. `exclude_zero` replaces zeros by 1 (integers), True (bool)
    or the smallest normal number (floats); `noncontiguous` gives a view of every other element of a larger
    tensor; `memory_format` lays the values out so (channels_last needs 4 dims)."""
    check_device("make_tensor", device)
    dtype = supported(as_dtype(dtype), "make_tensor: dtype")
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):  # (a Size is a tuple)
        shape = tuple(shape[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"make_tensor: shape must be ints or one sequence of ints, got {shape}")
    if requires_grad and dtype.kind != "f":
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral dtypes, but got "
                         f"dtype={dtype}")
    if dtype.kind == "b":  # (the bounds are checked, and do not change the draw, as in PyTorch)
        _bounds(dtype, low, high, 0, 2, 0, 2)
        values = randint(0, 2, shape, dtype=dtype)._data
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        low, high = _bounds(dtype, low, high, -9, 10, info.min, info.max + 1)
        values = randint(math.ceil(low), math.ceil(high), shape, dtype=dtype)._data
    else:
        info = np.finfo(dtype)
        low, high = _bounds(dtype, low, high, -9, 9, float(info.min), float(info.max))
        if low == high:
            warnings.warn("make_tensor: low == high for a floating point dtype is deprecated, as in PyTorch; use "
                          "fastgrad.full", FutureWarning, stacklevel=2)
        values = (low + (high - low) * rand(shape, dtype=np.float64)._data).astype(dtype)
    values = np.array(values, dtype=dtype)  # (a 0-dim result of the arithmetic is a NumPy scalar)
    if exclude_zero:
        values[values == 0] = np.finfo(dtype).tiny if dtype.kind == "f" else 1
    if noncontiguous and values.size > 1:
        spread = np.empty(values.shape[:-1] + (2 * values.shape[-1],), dtype=dtype)
        spread[..., ::2] = values
        values = spread[..., ::2]
    result = from_numpy(values)
    if memory_format is not None:
        result = result.contiguous(memory_format=memory_format)
    return result.requires_grad_(requires_grad)


def _bounds(dtype: np.dtype, low, high, default_low, default_high, lowest, highest) -> tuple[float, float]:
    """low and high checked (not NaN, low < high, an interval overlapping the dtype's range), defaulted and
    clamped to the range, as PyTorch's. Floats may have low == high (deprecated)."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if math.isnan(low) or math.isnan(high):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low > high or (low == high and dtype.kind != "f"):
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    if high < lowest or low > highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), but {dtype} only "
                         f"supports [{lowest}, {highest})")
    return max(low, lowest), min(high, highest)

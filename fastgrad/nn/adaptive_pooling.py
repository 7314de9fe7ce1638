"""The adaptive pools of (N, C, L) and (N, C, H, W) inputs (or unbatched ones): `adaptive_avg_pool1d/2d`,
`adaptive_max_pool1d/2d` and the `_with_indices` forms, with PyTorch's windows.

Along each spatial dim of size n pooled to m outputs, window i spans [floor(i n / m), ceil((i + 1) n / m)):
windows differ by at most one element and may overlap. A window of several dims is the product of one
window per dim, so both pools run one dim at a time: a mean of means over windows of equal widths is the
mean, and the maximum of a window is the maximum of its rows' maxima. The maxima are found on the arrays
and read back by one `gather`, whose gradient adds up where windows overlap.
"""
from __future__ import annotations

import numpy as np

from fastgrad.functions import stack
from fastgrad.nn import functional as F
from fastgrad.tensor import Tensor


def _window_bounds(size: int, count: int) -> list[tuple[int, int]]:
    """(start, end) of each of `count` adaptive windows over `size` elements, as PyTorch's."""
    return [(i * size // count, -(-(i + 1) * size // count)) for i in range(count)]


def _output_sizes(name: str, output_size, sizes: tuple[int, ...]) -> tuple[int, ...]:
    """output_size as one int per spatial dim: an int for every dim, or a tuple (or list) of one entry per
    dim; in 2-D an entry may be None, the input's size there (PyTorch's 1-D pools take no None)."""
    dims = len(sizes)
    entries = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * dims
    allowed = (int, np.integer, type(None)) if dims > 1 else (int, np.integer)
    expected = "an int or a tuple of 1 int" if dims == 1 else f"an int or a tuple of {dims} ints or Nones"
    if output_size is None or any(isinstance(e, bool) or not isinstance(e, allowed) for e in entries):
        raise TypeError(f"{name}: output_size must be {expected}, got {output_size!r}")
    if len(entries) != dims:  # (PyTorch's argument parser takes it; the op then raises RuntimeError)
        raise RuntimeError(f"{name}: output_size must be {expected}, got {output_size!r}")
    for entry in entries:
        if entry is not None and entry < 0:
            raise RuntimeError(f"{name}: output_size must be at least 0, got {output_size!r}")
    return tuple(size if entry is None else int(entry) for entry, size in zip(entries, sizes))


def _pool_input(name: str, input: Tensor, dims: int, output_size, channels: bool) -> tuple[Tensor, bool, tuple]:
    """The (N, C, *spatial) input (a batch dim added to an unbatched one, and whether it was), and the
    output sizes. The spatial dims must not be empty, nor (with `channels`) the input's other dims but the
    first, as PyTorch checks (its max pools check the channels, its average pools do not)."""
    x, unbatched = F._spatial_input(name, input, dims)
    F._floating(x, name, error=NotImplementedError)
    checked = input.ndim - 1 if channels else dims
    if 0 in input.shape[-checked:]:
        raise RuntimeError(f"{name}: expected an input with non-empty sizes in its last {checked} dims, got "
                           f"shape {input.shape}")
    return x, unbatched, _output_sizes(name, output_size, tuple(x.shape[2:]))


def _first_maximum(windows: np.ndarray) -> np.ndarray:
    """The position of each window's maximum on the last axis: the first one, or the last NaN when there is
    one (PyTorch's kernels take any NaN as larger, scanning in order)."""
    nans = np.isnan(windows)
    last_nan = windows.shape[-1] - 1 - nans[..., ::-1].argmax(axis=-1)
    return np.where(nans.any(axis=-1), last_nan, windows.argmax(axis=-1))


def _maximum_positions(array: np.ndarray, counts: tuple[int, ...]) -> np.ndarray:
    """The flat position in the spatial dims of `array` (N, C, *spatial) of each adaptive window's maximum,
    shaped (N, C, *counts): the last dim's windows first, then each earlier dim's over their maxima."""
    spatial = array.shape[2:]
    values = array
    flat = np.broadcast_to(np.arange(int(np.prod(spatial)), dtype=np.int64).reshape(spatial), array.shape)
    for axis in reversed(range(2, array.ndim)):
        count = counts[axis - 2]
        chosen = np.empty(values.shape[:axis] + (count,) + values.shape[axis + 1:], dtype=np.int64)
        for i, (start, end) in enumerate(_window_bounds(values.shape[axis], count)):
            window = np.moveaxis(values[(slice(None),) * axis + (slice(start, end),)], axis, -1)
            chosen[(slice(None),) * axis + (i,)] = _first_maximum(window) + start
        values = np.take_along_axis(values, chosen, axis=axis)
        flat = np.take_along_axis(flat, chosen, axis=axis)
    return flat


def _adaptive_max_pool(name: str, input: Tensor, dims: int, output_size) -> tuple[Tensor, Tensor]:
    """The maximum of each adaptive window and its flat position in the input's spatial dims; the gradient
    goes to that position (the first maximum in row-major order, or the last NaN, as PyTorch's)."""
    x, unbatched, counts = _pool_input(name, input, dims, output_size, channels=True)
    positions = _maximum_positions(x._data, counts)
    flat_positions = Tensor._from_data(positions.reshape(*positions.shape[:2], int(np.prod(counts))))
    values = x.reshape(*x.shape[:2], int(np.prod(x.shape[2:]))).gather(2, flat_positions).reshape(positions.shape)
    indices = Tensor._from_data(positions)
    return (values.squeeze(0), indices.squeeze(0)) if unbatched else (values, indices)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """adaptive_max_pool1d's values and indices (whatever return_indices says, as PyTorch's)."""
    return _adaptive_max_pool("adaptive_max_pool1d", input, 1, output_size)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """adaptive_max_pool2d's values and indices (whatever return_indices says, as PyTorch's)."""
    return _adaptive_max_pool("adaptive_max_pool2d", input, 2, output_size)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """The maximum of each of output_size windows covering the last dim of (N, C, L) or (C, L) (see the
    module's docstring); `F.adaptive_max_pool1d(x, 1)` is max-pooling over time. With return_indices, also
    the positions of the maxima."""
    values, indices = adaptive_max_pool1d_with_indices(input, output_size)
    return (values, indices) if return_indices else values


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """The maximum of each of (H_out, W_out) windows covering the last two dims of (N, C, H, W) or (C, H, W);
    output_size is an int or a pair whose None entries keep the input's size. The indices (return_indices)
    are positions in the flattened H * W plane, as PyTorch's."""
    values, indices = adaptive_max_pool2d_with_indices(input, output_size)
    return (values, indices) if return_indices else values


def _adaptive_avg_pool(name: str, input: Tensor, dims: int, output_size) -> Tensor:
    x, unbatched, counts = _pool_input(name, input, dims, output_size, channels=False)
    for axis in reversed(range(2, 2 + dims)):
        count = counts[axis - 2]
        if count == 0:
            x = x.narrow(axis, 0, 0)
            continue
        x = stack([x.narrow(axis, start, end - start).mean(dim=axis)
                   for start, end in _window_bounds(x.shape[axis], count)], dim=axis)
    return x.squeeze(0) if unbatched else x


def _global_average(name: str, input: Tensor, dims: int) -> Tensor:
    """PyTorch's shortcut for an output of size 1 in each pooled dim: the mean over the last `dims` dims, which
    takes any input the mean takes (an empty dim gives NaN; integers are refused with mean's RuntimeError)."""
    F._floating(input, name)
    if input.ndim < dims:
        raise IndexError(f"{name}: an output of size 1 averages the last {dims} dims, got an input of shape "
                         f"{input.shape}")
    return input.mean(dim=tuple(range(-dims, 0)), keepdim=True)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """The mean of each of output_size windows covering the last dim of (N, C, L) or (C, L): window i
    spans [floor(i L / n), ceil((i + 1) L / n)), as PyTorch's. An output_size of 1 is the mean of the last
    dim (NaN where it is empty), as PyTorch computes it."""
    name = "adaptive_avg_pool1d"
    x = F._spatial_input(name, input, 1)[0]
    if _output_sizes(name, output_size, tuple(x.shape[2:])) == (1,):
        return _global_average(name, input, 1)
    return _adaptive_avg_pool(name, input, 1, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """The mean of each of (H_out, W_out) windows covering the last two dims of (N, C, H, W) or (C, H, W),
    each dim's windows as adaptive_avg_pool1d's; output_size is an int or a pair whose None entries keep the
    input's size. An output of (1, 1) is the mean of the last two dims of an input of any rank (NaN where
    they are empty), as PyTorch computes it."""
    name = "adaptive_avg_pool2d"
    if isinstance(input, Tensor):
        if isinstance(output_size, (tuple, list)) and input.ndim <= len(output_size):  # (PyTorch's Python check)
            raise ValueError(f"{name}: an output_size of {len(output_size)} entries needs an input of at least "
                             f"{len(output_size) + 1} dims, got shape {input.shape}")
        # (an input of fewer than 2 dims has an int output_size here, which needs no sizes to resolve)
        sizes = tuple(input.shape[-2:]) if input.ndim >= 2 else (0, 0)
        if _output_sizes(name, output_size, sizes) == (1, 1):
            return _global_average(name, input, 2)
    return _adaptive_avg_pool(name, input, 2, output_size)

"""Max pooling that keeps where each maximum came from (`max_pool1d/2d_with_indices`) and its partial inverse,
`max_unpool1d/2d`: each value put back at its index in a zero-filled output, by a recorded scatter (so the
gradient of a value is the output gradient at its index, as PyTorch's).

Indices that repeat leave one of their values in the output (the last, in fastgrad; PyTorch leaves the order
undefined), while each of them gets the gradient at that place, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from fastgrad.creation import zeros
from fastgrad.nn import functional as F
from fastgrad.tensor import Tensor


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """max_pool1d's values and indices (whatever return_indices says, as PyTorch's)."""
    return F._max_pool("max_pool1d", input, 1, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """max_pool2d's values and indices (whatever return_indices says, as PyTorch's)."""
    return F._max_pool("max_pool2d", input, 2, kernel_size, stride, padding, dilation, ceil_mode, True)


def _output_sizes(name: str, input_sizes: tuple, kernel: tuple, stride: tuple, padding: tuple,
                  output_size) -> tuple[int, ...]:
    """The unpooled spatial sizes: (in - 1) stride + kernel - 2 padding per dim, or output_size (its spatial
    sizes, or (N, C, *spatial)), which may differ from those by less than a stride, as PyTorch's."""
    dims = len(kernel)
    default = tuple((n - 1) * s + k - 2 * p for n, k, s, p in zip(input_sizes, kernel, stride, padding))
    if output_size is None:
        sizes = default
    else:
        if not isinstance(output_size, (tuple, list)) or any(
                isinstance(n, bool) or not isinstance(n, (int, np.integer)) for n in output_size):
            raise TypeError(f"{name}: output_size must be a tuple of ints, got {output_size!r}")
        sizes = tuple(int(n) for n in output_size)
        sizes = sizes[2:] if len(sizes) == dims + 2 else sizes
        if len(sizes) != dims:
            raise ValueError(f"{name}: output_size must have {dims} or {dims + 2} elements, got {output_size!r}")
        for d, (size, usual, s) in enumerate(zip(sizes, default, stride)):
            if not usual - s < size < usual + s:
                raise ValueError(f"{name}: invalid output_size {output_size!r} (dim {d} must be between "
                                 f"{usual - s} and {usual + s}, exclusive)")
    for d, size in enumerate(sizes):
        if size < 0:
            raise ValueError(f"{name}: the output size must not be negative, got {size} in dim {d} (output sizes "
                             f"{sizes})")
    return sizes


def _max_unpool(name: str, input: Tensor, indices: Tensor, dims: int, kernel_size, stride, padding,
                output_size) -> Tensor:
    F._check_dims_read(name, input, dims)  # (PyTorch's Python code reads the spatial sizes first)
    x, unbatched = F._spatial_input(name, input, dims)
    if not isinstance(indices, Tensor):  # (PyTorch's argument parser's TypeError; another dtype: its RuntimeError)
        raise TypeError(f"{name}: indices must be an int64 tensor, got {type(indices).__name__}")
    if indices.dtype != np.int64:
        raise RuntimeError(f"{name}: indices must be an int64 tensor, got {indices.dtype}")
    if indices.shape != input.shape:
        raise RuntimeError(f"{name}: indices must have the input's shape {input.shape}, got {indices.shape}")
    if 0 in input.shape[1:]:  # (PyTorch's kernel takes an empty first dim only, batch or channels)
        raise RuntimeError(f"{name}: expected an input with non-empty dims after the first, got shape {input.shape}")
    F._floating(x, name, error=NotImplementedError)  # (PyTorch's dtype dispatch comes after its checks)
    kernel = F._sizes(f"{name}: kernel_size", kernel_size, dims, 1)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    stride = kernel if no_stride else F._sizes(f"{name}: stride", stride, dims, 1)
    padding = F._sizes(f"{name}: padding", padding, dims, 0)
    sizes = _output_sizes(name, tuple(x.shape[2:]), kernel, stride, padding, output_size)
    plane, count = int(np.prod(sizes)), int(np.prod(x.shape[2:]))
    flat = indices._data.reshape(*x.shape[:2], count)
    outside = (flat < 0) | (flat >= plane)
    if outside.any():
        raise RuntimeError(f"{name}: index {flat[outside][0]} is outside the output's {plane} positions (sizes "
                           f"{sizes})")
    values = x.reshape(*x.shape[:2], count)
    out = zeros(*x.shape[:2], plane, dtype=x.dtype).scatter(2, Tensor._from_data(flat), values)
    out = out.reshape(*x.shape[:2], *sizes)
    return out.squeeze(0) if unbatched else out


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """max_pool1d's partial inverse: (N, C, L_in) or (C, L_in) values put at their indices (positions in the
    output's last dim, as max_pool1d's return_indices gives them) in zeros of length (L_in - 1) stride +
    kernel_size - 2 padding, or output_size."""
    return _max_unpool("max_unpool1d", input, indices, 1, kernel_size, stride, padding, output_size)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """max_unpool1d over the last two dims of (N, C, H, W) or (C, H, W); the indices are positions in the
    flattened output plane, as max_pool2d's."""
    return _max_unpool("max_unpool2d", input, indices, 2, kernel_size, stride, padding, output_size)

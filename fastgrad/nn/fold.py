"""im2col and col2im in PyTorch's functional forms, `unfold` and `fold`, and the transposed convolutions
`conv_transpose1d` / `conv_transpose2d`, which are a col2im of the input's products with the kernels.

Both directions move values by one flat index of the sliding blocks' elements: unfold gathers them
(index_select) and fold adds them up (index_add), so each is the other's gradient and both are
differentiable to any order.
"""
from __future__ import annotations

import numpy as np

from fastgrad.functions import einsum
from fastgrad.nn import functional as F
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.arguments import check_tensors


def _block_index(sizes: tuple, kernel: tuple, dilation: tuple, stride: tuple) -> tuple[np.ndarray, tuple]:
    """The flat position, in a (*sizes) grid, of each element of each sliding block, laid out as
    (*kernel, *counts) (kernel offsets first, as im2col's rows); also the block counts per dim."""
    counts = tuple((n - d * (k - 1) - 1) // s + 1 for n, k, d, s in zip(sizes, kernel, dilation, stride))
    dims = len(sizes)
    index = np.zeros((1,) * 2 * dims, dtype=np.int64)
    for axis, (k, d, s, count, step) in enumerate(zip(kernel, dilation, stride, counts,
                                                      np.cumprod((1,) + sizes[:0:-1])[::-1])):
        offsets = (np.arange(k) * d).reshape((-1,) + (1,) * (2 * dims - 1 - axis))
        starts = (np.arange(count) * s).reshape((-1,) + (1,) * (dims - 1 - axis))
        index = index + (offsets + starts) * int(step)  # kernel offsets on axis `axis`, starts on `dims + axis`
    return index, counts


def _im2col(x: Tensor, kernel: tuple, dilation: tuple, stride: tuple) -> Tensor:
    """(N, C, *sizes) -> (N, C * prod(kernel), blocks): every block's elements, channel-major."""
    index, counts = _block_index(tuple(x.shape[2:]), kernel, dilation, stride)
    n, channels = x.shape[:2]
    picked = x.reshape(n, channels, int(np.prod(x.shape[2:]))).index_select(2, Tensor._from_data(index.reshape(-1)))
    return picked.reshape(n, channels * int(np.prod(kernel)), int(np.prod(counts)))


def _col2im(columns: Tensor, sizes: tuple, kernel: tuple, dilation: tuple, stride: tuple) -> Tensor:
    """(N, C * prod(kernel), blocks) -> (N, C, *sizes): every block's elements added at their places
    (overlapping blocks sum). The caller has checked the block count."""
    index, _ = _block_index(sizes, kernel, dilation, stride)
    n = columns.shape[0]
    channels = columns.shape[1] // int(np.prod(kernel))
    flat = columns.reshape(n, channels, columns.shape[1] // channels * columns.shape[2])
    grid = flat.new_zeros(n, channels, int(np.prod(sizes)))
    return grid.index_add(2, Tensor._from_data(index.reshape(-1)), flat).reshape(n, channels, *sizes)


def _geometry(name: str, kernel_size, dilation, padding, stride) -> tuple[tuple, tuple, tuple, tuple]:
    return (F._sizes(f"{name}: kernel_size", kernel_size, 2, 1), F._sizes(f"{name}: dilation", dilation, 2, 1),
            F._sizes(f"{name}: padding", padding, 2, 0), F._sizes(f"{name}: stride", stride, 2, 1))


def _refuse_integers(name: str, input: Tensor) -> None:
    """PyTorch's im2col and col2im take floats and bools (where overlapping blocks combine with "or"), not integers
    (it has no kernel for them: NotImplementedError)."""
    if input.dtype.kind in "iu":
        raise NotImplementedError(f"{name}: expected a floating point or bool input, got dtype {input.dtype}")


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: the sliding blocks of kernel_size (elements dilation apart, blocks stride apart) of a
    zero-padded (N, C, H, W) or unbatched (C, H, W) input, as columns: (N, C * kh * kw, L), L blocks in
    row-major order. Each size is an int or a pair."""
    name = "unfold"
    check_tensors(name, input=input)  # (PyTorch's argument parser's TypeError, before any other check)
    # PyTorch's order: the sizes, the input's dims (im2col reads dims 1 and 2 of a 2-D input, unless dim 1 is
    # empty, so an IndexError below 3 dims), then the dtype
    kernel, dilation, padding, stride = _geometry(name, kernel_size, dilation, padding, stride)
    if not (input.ndim == 2 and input.shape[1] == 0):
        F._check_dims_read(name, input, 3)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got {input.shape}")
    _refuse_integers(name, input)
    x, unbatched = F._spatial_input(name, input, 2)
    if 0 in x.shape[1:]:
        raise RuntimeError(f"{name}: expected non-empty channel and spatial dims (the batch may be empty), got shape "
                           f"{input.shape}")
    padded = tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))
    if any(n < d * (k - 1) + 1 for n, k, d in zip(padded, kernel, dilation)):
        raise RuntimeError(f"{name}: input of spatial size {tuple(x.shape[2:])} with padding={padding} has no block of "
                           f"kernel_size={kernel} with dilation={dilation}")
    if any(padding):
        x = F.pad(x, (padding[1], padding[1], padding[0], padding[0]))
    columns = _im2col(x, kernel, dilation, stride)
    return columns.squeeze(0) if unbatched else columns


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im, unfold's adjoint: columns (N, C * kh * kw, L) or unbatched (C * kh * kw, L) of sliding
    blocks summed into an (N, C, *output_size) image (overlaps add up, the padding is dropped). L must
    be the number of blocks unfold finds in an image of output_size."""
    name = "fold"
    check_tensors(name, input=input)  # (PyTorch's argument parser's TypeError, before any other check)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{name}: expected a 2-D (C * prod(kernel_size), L) or 3-D (N, C * prod(kernel_size), L) "
                           f"input, got {input.shape}")
    _refuse_integers(name, input)
    sizes = F._sizes(f"{name}: output_size", output_size, 2, 1)
    kernel, dilation, padding, stride = _geometry(name, kernel_size, dilation, padding, stride)
    columns = input.unsqueeze(0) if input.ndim == 2 else input
    rows, blocks = columns.shape[1:]
    if rows == 0 or rows % int(np.prod(kernel)):
        raise RuntimeError(f"{name}: the input's dim {input.ndim - 2} ({rows}) must be a positive multiple of "
                           f"prod(kernel_size) = {int(np.prod(kernel))} (kernel_size={kernel})")
    padded = tuple(n + 2 * p for n, p in zip(sizes, padding))
    counts = [(n - d * (k - 1) - 1) // s + 1 for n, k, d, s in zip(padded, kernel, dilation, stride)]
    if min(counts) < 1 or blocks != counts[0] * counts[1]:
        raise RuntimeError(f"{name}: output_size={sizes}, kernel_size={kernel}, dilation={dilation}, padding={padding} "
                           f"and stride={stride} give {max(counts[0], 0)} * {max(counts[1], 0)} sliding blocks, but "
                           f"the input's last dim holds {blocks}")
    image = _col2im(columns, padded, kernel, dilation, stride)
    image = image[:, :, padding[0]:padding[0] + sizes[0], padding[1]:padding[1] + sizes[1]]
    return image.squeeze(0) if input.ndim == 2 else image


def _conv_transpose(name: str, input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, output_padding,
                    groups, dilation, dims: int) -> Tensor:
    """The `dims`-D transposed convolution (the gradient of conv with respect to its input): each input
    element times its kernels (einsum) gives a block of the output, and col2im adds the blocks up, stride
    apart; then `padding` is cut from both ends of each dim and `output_padding` zeros added at the end."""
    x, unbatched = F._spatial_input(name, input, dims)
    if not isinstance(weight, Tensor) or weight.ndim != dims + 2:
        kernel = "K" if dims == 1 else ", ".join(f"K{'HW'[d]}" for d in range(dims))
        raise RuntimeError(f"{name}: weight must be a {dims + 2}-D tensor (C_in, C_out / groups, {kernel}), got "
                           f"{weight.shape if isinstance(weight, Tensor) else type(weight).__name__}")
    if isinstance(padding, str):
        raise TypeError(f"{name}: padding must be an int or a tuple of {dims} ints, got {padding!r}")
    stride, dilation = F._sizes(f"{name}: stride", stride, dims, 1), F._sizes(f"{name}: dilation", dilation, dims, 1)
    padding = F._sizes(f"{name}: padding", padding, dims, 0)
    output_padding = F._sizes(f"{name}: output_padding", output_padding, dims, 0)
    groups = F._one_int(f"{name}: groups", groups, 1)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"{name}: output_padding must be smaller than either stride or dilation, got "
                           f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    in_channels, group_outs, *kernel = weight.shape
    if in_channels % groups or x.shape[1] != in_channels:
        raise RuntimeError(f"{name}: weight of shape {weight.shape} with groups={groups} expects input with "
                           f"{in_channels} channels (divisible by groups); got input of shape {input.shape}")
    out_channels = group_outs * groups
    F._check_bias(name, bias)
    if x.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise RuntimeError(f"{name}: input, weight and bias must have one dtype, got {x.dtype}, {weight.dtype}"
                           + (f" and {bias.dtype}" if bias is not None else ""))
    if bias is not None and bias.shape != (out_channels,):
        raise RuntimeError(f"{name}: bias must have shape ({out_channels},) for weight {weight.shape} and "
                           f"groups={groups}, got {bias.shape}")
    sizes = tuple(x.shape[2:])
    full = tuple((n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip(sizes, stride, dilation, kernel))
    out_sizes = tuple(f - 2 * p + op for f, p, op in zip(full, padding, output_padding))
    if 0 in sizes or min(out_sizes) < 1:
        raise RuntimeError(f"{name}: input of spatial size {sizes} gives output size {out_sizes} (stride={stride}, "
                           f"padding={padding}, output_padding={output_padding}, dilation={dilation}, kernel "
                           f"{tuple(kernel)}); both must be positive")
    n = x.shape[0]
    spatial, taps = "hwd"[:dims], "ijk"[:dims]
    products = einsum(f"ngc{spatial},gco{taps}->ngo{taps}{spatial}",
                      x.reshape(n, groups, in_channels // groups, *sizes),
                      weight.reshape(groups, in_channels // groups, group_outs, *kernel))
    columns = products.reshape(n, out_channels * int(np.prod(kernel)), int(np.prod(sizes)))
    out = _col2im(columns, full, tuple(kernel), dilation, stride)
    # F.pad lists the last dim first; negative widths cut the padding off
    out = F.pad(out, tuple(w for p, op in zip(reversed(padding), reversed(output_padding)) for w in (-p, op - p)))
    if bias is not None:
        out = out + bias.reshape(out_channels, *(1,) * dims)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """The transposed 1-D convolution of input (N, C_in, L) or (C_in, L) with weight
    (C_in, C_out / groups, K), plus bias (C_out,): conv1d's gradient with respect to its input, of length
    (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1."""
    return _conv_transpose("conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups, dilation,
                           1)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """conv_transpose1d over the last two dims of (N, C_in, H, W) or (C_in, H, W), with weight
    (C_in, C_out / groups, KH, KW); each size argument is an int or a pair."""
    return _conv_transpose("conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups, dilation,
                           2)

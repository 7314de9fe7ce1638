"""`pixel_shuffle`, `pixel_unshuffle` and `channel_shuffle`: rearrangements of the channels, as PyTorch's.
Each is one reshape, permute and reshape, so the gradient is theirs and every dtype works."""
from __future__ import annotations

import numpy as np

from fastgrad.tensor import Tensor


def _positive_int(name: str, argument: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: {argument} must be an int, got {type(value).__name__}")
    if value < 1:
        raise RuntimeError(f"{name}: {argument} must be positive, got {value}")
    return int(value)


def _image(name: str, input: Tensor) -> None:
    if not isinstance(input, Tensor) or input.ndim < 3:
        got = f"{input.ndim}-D input of shape {input.shape}" if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{name}: expected an input of at least 3 dims (*, C, H, W), got {got}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) to (*, C, H r, W r) for r = upscale_factor: out[..., c, h r + i, w r + j] is
    input[..., c r^2 + i r + j, h, w] (sub-pixel convolution's upsampling)."""
    name = "pixel_shuffle"
    r = _positive_int(name, "upscale_factor", upscale_factor)
    _image(name, input)
    *lead, channels, height, width = input.shape
    if channels % (r * r):
        raise RuntimeError(f"{name}: the channel dim (size {channels}, dim -3) must be divisible by "
                           f"upscale_factor^2 = {r * r}")
    blocks = input.reshape(*lead, channels // (r * r), r, r, height, width)
    k = len(lead)
    order = tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2)
    return blocks.permute(order).reshape(*lead, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """pixel_shuffle's inverse: (*, C, H r, W r) to (*, C r^2, H, W) for r = downscale_factor."""
    name = "pixel_unshuffle"
    r = _positive_int(name, "downscale_factor", downscale_factor)
    _image(name, input)
    *lead, channels, height, width = input.shape
    for dim, size in (("height (dim -2)", height), ("width (dim -1)", width)):
        if size % r:
            raise RuntimeError(f"{name}: the {dim}, {size}, must be divisible by downscale_factor = {r}")
    blocks = input.reshape(*lead, channels, height // r, r, width // r, r)
    k = len(lead)
    order = tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3)
    return blocks.permute(order).reshape(*lead, channels * r * r, height // r, width // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with the channels, taken as `groups` groups of C / groups, interleaved: out channel
    i * groups + g is input channel g * (C / groups) + i (ShuffleNet's shuffle). Dim 1 holds the
    channels whatever the number of dims, as PyTorch's."""
    name = "channel_shuffle"
    groups = _positive_int(name, "groups", groups)
    if not isinstance(input, Tensor) or input.ndim < 3:
        got = input.shape if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{name}: expected an input of at least 3 dims (N, C, *), got {got}")
    n, channels, *rest = input.shape
    if channels % groups:
        raise RuntimeError(f"{name}: the number of channels, {channels}, must be divisible by groups = {groups}")
    return input.reshape(n, groups, channels // groups, *rest).transpose(1, 2).reshape(input.shape)


native_channel_shuffle = channel_shuffle  # PyTorch's name for its kernel; the same function

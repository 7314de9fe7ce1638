"""Conv1d and Conv2d: the sentence CNN's filters over time, or over (time, embedding) (the work is
F.conv1d / F.conv2d); ConvTranspose1d and ConvTranspose2d, their transposes (F.conv_transpose1d/2d)."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.dtypes import dtype_or_default
from fastgrad.nn import functional as F
from fastgrad.nn import init
from fastgrad.nn.modules.module import Module
from fastgrad.nn.parameter import Parameter
from fastgrad.tensor import Tensor, check_device


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """weight (out_channels, in_channels / groups, *kernel_size), bias (out_channels,), as in PyTorch, with
    its default initialisation (kaiming_uniform_ with a = sqrt(5); the bias uniform in +-1/sqrt(fan_in)).
    Sizes are kept as tuples of `dims` ints, as PyTorch keeps them."""

    dims = 0  # spatial dims
    functional = None  # F.conv1d or F.conv2d
    transposed = False  # a transposed convolution's weight is (in_channels, out_channels / groups, *kernel_size)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        check_device(name, device)
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {', '.join(map(repr, PADDING_MODES))}, got "
                             f"{padding_mode!r}")
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                             f"divisible by groups ({groups})")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.groups, self.padding_mode = groups, padding_mode
        self.kernel_size = F._sizes(f"{name}: kernel_size", kernel_size, self.dims, 1)
        self.stride = F._sizes(f"{name}: stride", stride, self.dims, 1)
        self.dilation = F._sizes(f"{name}: dilation", dilation, self.dims, 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int, a tuple of ints, 'valid' or 'same', got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' needs stride 1 (as in PyTorch)")
            self.padding = padding
        else:
            self.padding = F._sizes(f"{name}: padding", padding, self.dims, 0)
        spans = [d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel_size)]
        # for F.pad, which lists the last dim first (the zeros mode leaves the padding to the convolution)
        self._pad_widths = tuple(w for side in reversed(F._padding_sides(name, self.padding, spans, self.stride))
                                 for w in side)
        dtype = dtype_or_default(dtype)
        channels = (in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(np.empty(channels + self.kernel_size, dtype=dtype))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = int(np.prod(self.weight.shape[1:]))
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode == "zeros":
            return self.functional(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                                   self.groups)
        padded = F.pad(input, self._pad_widths, mode=self.padding_mode)
        return self.functional(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.transposed and self.output_padding != (0,) * self.dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """Filters over the last dim of (N, C, L) inputs."""

    dims = 1
    functional = staticmethod(F.conv1d)


class Conv2d(_ConvNd):
    """Filters over the last two dims of (N, C, H, W) inputs."""

    dims = 2
    functional = staticmethod(F.conv2d)


class _ConvTransposeNd(_ConvNd):
    """The transposed convolutions: PyTorch's argument order, weight (in_channels, out_channels / groups,
    *kernel_size) with _ConvNd's initialisation (whose fan_in is then out_channels / groups * prod(kernel_size),
    as PyTorch's), zero padding only, and forward's `output_size`, which picks the output_padding that gives
    it."""

    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None) -> None:
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f'{name}: only "zeros" padding_mode is supported, got {padding_mode!r}')
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple of {self.dims} ints, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                         device, dtype)
        self.output_padding = F._sizes(f"{name}: output_padding", output_padding, self.dims, 0)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        output_padding = self.output_padding if output_size is None else self._output_padding(input, output_size)
        return self.functional(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                               self.dilation)

    def _output_padding(self, input: Tensor, output_size) -> tuple[int, ...]:
        """The output_padding giving spatial sizes `output_size` (which may also list the batch and channel
        dims, as PyTorch allows), after checking they are reachable: at most stride - 1 above the smallest."""
        name, sizes = type(self).__name__, [int(n) for n in output_size]
        leading = input.ndim - self.dims  # the batch and channel dims, or the channel dim alone
        if len(sizes) == leading + self.dims:
            sizes = sizes[leading:]
        if len(sizes) != self.dims:
            raise ValueError(f"{name}: for {input.ndim}D input, output_size must have {self.dims} or "
                             f"{leading + self.dims} elements (got {len(output_size)})")
        smallest = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in
                    zip(input.shape[leading:], self.stride, self.padding, self.dilation, self.kernel_size)]
        largest = [low + s - 1 for low, s in zip(smallest, self.stride)]
        if any(not low <= n <= high for n, low, high in zip(sizes, smallest, largest)):
            raise ValueError(f"{name}: requested an output size of {sizes}, but valid sizes range from {smallest} to "
                             f"{largest} (for an input of spatial size {tuple(input.shape[leading:])})")
        return tuple(n - low for n, low in zip(sizes, smallest))


class ConvTranspose1d(_ConvTransposeNd):
    """The transpose of Conv1d over (N, C, L) inputs (an upsampling by stride)."""

    dims = 1
    functional = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """The transpose of Conv2d over (N, C, H, W) inputs."""

    dims = 2
    functional = staticmethod(F.conv_transpose2d)

"""Pooling layers (the work is in F.max_pool1d/2d, F.avg_pool1d/2d and the adaptive pools)."""
from __future__ import annotations

from fastgrad.nn import functional as F
from fastgrad.nn.modules.module import Module
from fastgrad.tensor import Tensor


def _per_dim(value, dims: int) -> tuple:
    """A size argument as PyTorch's layers keep some: a tuple, one entry per dim."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


class _MaxPoolNd(Module):
    pool = None  # the functional form, set by each subclass

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor):
        return type(self).pool(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                               self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    pool = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    pool = staticmethod(F.max_pool2d)


class AvgPool1d(Module):
    """The sizes are kept as 1-tuples, as PyTorch's (its repr shows them so)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _per_dim(kernel_size, 1)
        self.stride = _per_dim(stride if stride is not None else kernel_size, 1)
        self.padding, self.ceil_mode, self.count_include_pad = _per_dim(padding, 1), ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptiveMaxPoolNd(Module):
    pool = None  # the functional form, set by each subclass

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor):
        return type(self).pool(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    pool = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    pool = staticmethod(F.adaptive_max_pool2d)


class _AdaptiveAvgPoolNd(Module):
    pool = None  # the functional form, set by each subclass

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return type(self).pool(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    pool = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    pool = staticmethod(F.adaptive_avg_pool2d)


class _LPPoolNd(Module):
    pool = None  # the functional form, set by each subclass

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return type(self).pool(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    pool = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    pool = staticmethod(F.lp_pool2d)


class _MaxUnpoolNd(Module):
    """The sizes are kept as tuples of one entry per dim, as PyTorch's (its repr shows them so)."""

    dims = 0  # set by each subclass
    unpool = None  # the functional form, set by each subclass

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        self.kernel_size = _per_dim(kernel_size, self.dims)
        self.stride = _per_dim(stride if stride is not None else kernel_size, self.dims)
        self.padding = _per_dim(padding, self.dims)

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return type(self).unpool(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    dims = 1
    unpool = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    dims = 2
    unpool = staticmethod(F.max_unpool2d)

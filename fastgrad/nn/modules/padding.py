"""Padding layers: F.pad with a fixed padding and mode, under PyTorch's names (ReflectionPad2d, ...)."""
from __future__ import annotations

import numpy as np

from fastgrad.nn import functional as F
from fastgrad.nn.modules.module import Module
from fastgrad.tensor import Tensor


def _padding(layer: str, padding, widths: int) -> tuple[int, ...]:
    """One int for every width, or the widths themselves (any number of them: F.pad checks them against
    the input, as PyTorch's layers leave it to F.pad)."""
    values = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * widths
    if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in values):
        raise TypeError(f"{layer}: padding must be an int or a tuple of ints, got {padding!r}")
    return tuple(int(v) for v in values)


class _PadNd(Module):
    """F.pad(input, padding, mode); `dims` trailing dims, 2 * dims widths (last dim first)."""

    mode: str
    dims: int

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _padding(type(self).__name__, padding, 2 * self.dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ReflectionPadNd(_PadNd):
    """The input mirrored at its edges, without repeating them."""

    mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    dims = 3


class _ReplicationPadNd(_PadNd):
    """The edge values repeated."""

    mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    dims = 1


class ReplicationPad2d(_ReplicationPadNd):
    dims = 2


class ReplicationPad3d(_ReplicationPadNd):
    dims = 3


class _CircularPadNd(_PadNd):
    """The input wrapped around; the input must have `dims` + 1 or + 2 dims (checked here, as PyTorch's)."""

    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"{type(self).__name__}: expected {self.dims + 1}D or {self.dims + 2}D input (got "
                             f"{input.ndim}D input of shape {input.shape})")
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    dims = 1


class CircularPad2d(_CircularPadNd):
    dims = 2


class CircularPad3d(_CircularPadNd):
    dims = 3


class _ConstantPadNd(_PadNd):
    """A constant `value` around the input."""

    mode = "constant"

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    dims = 1


class ConstantPad2d(_ConstantPadNd):
    dims = 2


class ConstantPad3d(_ConstantPadNd):
    dims = 3


class _ZeroPad:
    """ConstantPadNd with value 0, printed by its padding alone (as PyTorch's)."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    pass


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    pass


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    pass

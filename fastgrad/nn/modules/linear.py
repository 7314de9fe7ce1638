"""Linear (y = x W^T + b), Bilinear (y = x1 W x2 + b) and Identity."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.dtypes import dtype_or_default
from fastgrad.nn import functional as F
from fastgrad.nn import init
from fastgrad.nn.modules.module import Module
from fastgrad.nn.parameter import Parameter
from fastgrad.tensor import Tensor, check_device


class Identity(Module):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """weight (out_features, in_features), bias (out_features,), as in PyTorch."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        check_device("Linear", device)
        self.in_features, self.out_features = in_features, out_features
        dtype = dtype_or_default(dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch's default: kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for W,
        # and the bias uses the same bound.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class NonDynamicallyQuantizableLinear(Linear):
    """MultiheadAttention's out_proj: a Linear under PyTorch's name for it (which marks it for PyTorch's
    quantization tools), so that the printouts of attention and Transformer modules are PyTorch's."""


class Bilinear(Module):
    """y[..., o] = x1 W[o] x2^T + b[o]: weight (out_features, in1_features, in2_features), bias (out_features,),
    both drawn from U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as in PyTorch."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        check_device("Bilinear", device)
        sizes = {"in1_features": in1_features, "in2_features": in2_features, "out_features": out_features}
        for name, size in sizes.items():
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
                raise ValueError(f"Bilinear: {name} must be a non-negative int, got {size!r}")
        self.in1_features, self.in2_features, self.out_features = (int(size) for size in sizes.values())
        dtype = dtype_or_default(dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in1_features, self.in2_features), dtype=dtype))
        self.register_parameter("bias", Parameter(np.empty(self.out_features, dtype=dtype)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.in1_features <= 0:
            raise ValueError(f"Bilinear: in1_features must be > 0 (the initial weights' bound is 1/sqrt of it), "
                             f"got {self.in1_features}")
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")

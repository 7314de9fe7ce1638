"""Power-average pooling, `lp_pool1d` / `lp_pool2d`: (sum over a window of x^p)^(1/p), composed as PyTorch's
from avg_pool (so ceil_mode's last partial window is scaled as PyTorch scales it) and max_pool for p = +-inf.
As PyTorch's, the gradient is zero where a window's sum is zero (where the root's derivative is infinite);
PyTorch gets that from sign(s) * relu(|s|), fastgrad from masking the zero sums. In windows holding NaN, inf
or -0.0 the gradients can differ from PyTorch's, whose sign, relu and pow kernels treat those values otherwise.

Integer inputs go through the same composition, so their dtypes are PyTorch's: an int norm_type keeps x^p an
integer, which only int64's avg_pool takes (the window's mean truncated, then times the window's size), and
the root makes it float; a float norm_type makes x^p float first. p = +-inf max-pools |x| in its dtype, which
PyTorch's 2-D max pool takes for integers and its 1-D one refuses."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.nn import functional as F
from fastgrad.tensor import Tensor


def _lp_pool(name: str, input: Tensor, dims: int, norm_type, kernel_size, stride, ceil_mode: bool) -> Tensor:
    """In PyTorch's order: norm_type's type (its pow's TypeError), the pool's checks, then norm_type 0."""
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: norm_type must be a number, got {type(norm_type).__name__}")
    if math.isinf(norm_type):
        sign = 1 if norm_type > 0 else -1
        return sign * F._max_pool(name, sign * input.abs(), dims, kernel_size, stride, 0, 1, ceil_mode, False)
    means = F._avg_pool(name, input.pow(norm_type), dims, kernel_size, stride, 0, ceil_mode, True, None)
    if norm_type == 0:  # (PyTorch's divides 1 by it)
        raise ZeroDivisionError(f"{name}: norm_type must not be 0 (its root is 1 / norm_type), got {norm_type}")
    window = math.prod(F._sizes(f"{name}: kernel_size", kernel_size, dims, 1))
    return means.masked_fill(means == 0, 0.0).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride=None, ceil_mode: bool = False) -> Tensor:
    """(sum of x^norm_type over each window of kernel_size elements, stride apart)^(1 / norm_type) over the
    last dim of (N, C, L) or (C, L); norm_type inf is the maximum of |x|, -inf the minimum. kernel_size is
    an int (PyTorch's raises for a tuple here)."""
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, (int, np.integer)):
        raise TypeError(f"lp_pool1d: kernel_size must be an int, got {kernel_size!r}")
    return _lp_pool("lp_pool1d", input, 1, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """lp_pool1d over the last two dims of (N, C, H, W) or (C, H, W); kernel_size and stride are an int or
    a pair."""
    if isinstance(kernel_size, (tuple, list)) and len(kernel_size) != 2:  # (PyTorch's unpacks it in two: ValueError)
        raise ValueError(f"lp_pool2d: kernel_size must be an int or a pair of ints, got {kernel_size!r}")
    return _lp_pool("lp_pool2d", input, 2, norm_type, kernel_size, stride, ceil_mode)

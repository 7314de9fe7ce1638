"""`local_response_norm` (AlexNet's): each value divided by (k + alpha * mean of the squares of `size`
neighbouring channels)^beta, composed as PyTorch's of pad and avg_pool, so its gradient is theirs."""
from __future__ import annotations

import numpy as np

from fastgrad.nn import functional as F
from fastgrad.tensor import Tensor


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """input (N, C, *) / (k + alpha / size * sum of input^2 over channels c - size // 2 .. c + (size - 1) // 2)^beta
    (channels past either end count as zeros). An empty input is returned as it is, as PyTorch's. An int64
    input gives PyTorch's answer: the mean of the squares truncated to an integer, the result in the
    default float dtype."""
    name = "local_response_norm"
    size = F._one_int(f"{name}: size", size, 1)
    if not isinstance(input, Tensor) or input.ndim < 3:
        got = input.shape if isinstance(input, Tensor) else type(input).__name__
        raise ValueError(f"{name}: expected an input of at least 3 dims (N, C, *), got {got}")
    if input.dtype.kind != "f" and input.dtype != np.int64:
        raise NotImplementedError(f"{name}: expected a floating point or int64 input (PyTorch's avg_pool, which it "
                                  f"calls, has no kernel for other integers), got dtype {input.dtype}")
    if input.numel() == 0:
        return input
    n, channels = input.shape[:2]
    squares = (input * input).reshape(n, 1, channels, -1)  # one plane per sample: channels by positions
    squares = F.pad(squares, (0, 0, size // 2, (size - 1) // 2))
    if input.dtype == np.int64:
        # PyTorch's int64 avg_pool: the window's sum divided as integers (truncated); then alpha makes it float
        sums = sum(squares.narrow(2, start, channels) for start in range(size))
        means = sums.div(size, rounding_mode="trunc").reshape(input.shape)
    else:
        means = F.avg_pool2d(squares, (size, 1), stride=1).reshape(input.shape)
    return input / means.mul(alpha).add(k).pow(beta)

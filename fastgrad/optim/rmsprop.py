"""RMSprop (Tieleman & Hinton, 2012), with PyTorch's centered and momentum variants."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from fastgrad.optim.optimizer import Optimizer, check_speed_options, chunks
from fastgrad.tensor import Tensor


class RMSprop(Optimizer):
    """g <- g + wd p; v <- alpha v + (1 - alpha) g^2; centered: a <- alpha a + (1 - alpha) g and the
    denominator is sqrt(v - a^2) + eps, else sqrt(v) + eps; with momentum b <- mu b + g / denom and
    p <- p - lr b, else p <- p - lr g / denom."""

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        if not (lr >= 0 and eps >= 0 and weight_decay >= 0 and momentum >= 0 and 0 <= alpha <= 1):  # (NaN too)
            raise ValueError(f"RMSprop: lr, eps, weight_decay, momentum must be >= 0 and alpha in [0, 1], got "
                             f"lr={lr}, eps={eps}, weight_decay={weight_decay}, momentum={momentum}, alpha={alpha}")
        check_speed_options("RMSprop", capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        self._reject_sparse(grad)
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros(param.shape, dtype=param.dtype)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros(param.shape, dtype=param.dtype)
            if centered:
                state["grad_avg"] = np.zeros(param.shape, dtype=param.dtype)
        state["step"] += 1
        arrays = [param._data, np.ascontiguousarray(grad), state["square_avg"]]
        # the parameter stands in for the buffers a variant does not use, so every chunk has five views
        arrays += [state["momentum_buffer"] if momentum > 0 else arrays[0], state["grad_avg"] if centered else arrays[0]]
        for p, g, v, b, a in chunks(*arrays):
            if weight_decay != 0:
                g = g + weight_decay * p
            v *= alpha
            v += (1 - alpha) * g * g
            if centered:
                a *= alpha
                a += (1 - alpha) * g
                denom = np.sqrt(v - a * a)
            else:
                denom = np.sqrt(v)
            denom += eps
            if momentum > 0:
                b *= momentum
                b += g / denom
                p -= lr * b
            else:
                p -= lr * g / denom

"""Adadelta (Zeiler, 2012): per-coordinate steps from running averages of squared gradients and of
squared updates, so that lr = 1 needs no tuning (Kim 2014's sentence CNN trains with it)."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from fastgrad.optim.optimizer import Optimizer, check_speed_options, chunks
from fastgrad.tensor import Tensor


class Adadelta(Optimizer):
    """PyTorch's rule: g <- g + wd p; v <- rho v + (1 - rho) g^2; d = sqrt(u + eps) / sqrt(v + eps) g;
    u <- rho u + (1 - rho) d^2; p <- p - lr d."""

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        if not (lr >= 0 and eps >= 0 and weight_decay >= 0 and 0 <= rho <= 1):  # (so NaN too, as PyTorch)
            raise ValueError(f"Adadelta: lr, eps and weight_decay must be >= 0 and rho in [0, 1], got lr={lr}, "
                             f"rho={rho}, eps={eps}, weight_decay={weight_decay}")
        check_speed_options("Adadelta", capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        self._reject_sparse(grad)
        lr, rho, eps, weight_decay = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros(param.shape, dtype=param.dtype)
            state["acc_delta"] = np.zeros(param.shape, dtype=param.dtype)
        state["step"] += 1
        for p, g, v, u in chunks(param._data, np.ascontiguousarray(grad), state["square_avg"], state["acc_delta"]):
            if weight_decay != 0:
                g = g + weight_decay * p
            v *= rho
            v += (1 - rho) * g * g
            delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
            u *= rho
            u += (1 - rho) * delta * delta
            p -= lr * delta

"""Adamax (Kingma & Ba, 2015, section 7.1): Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from fastgrad.optim.adam import check_adam_hyperparameters, decay_weights
from fastgrad.optim.optimizer import Optimizer, check_speed_options, chunks, lerp_
from fastgrad.tensor import Tensor


class Adamax(Optimizer):
    """PyTorch's rule: t <- t + 1; g <- g + wd p; m <- m + (1 - b1)(g - m); u <- max(b2 u, |g| + eps);
    p <- p - lr / (1 - b1^t) * m / u."""

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False) -> None:
        check_adam_hyperparameters("Adamax", lr, betas, eps, weight_decay)
        check_speed_options("Adamax", capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        self._reject_sparse(grad)
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros(param.shape, dtype=param.dtype)
            state["exp_inf"] = np.zeros(param.shape, dtype=param.dtype)
        state["step"] += 1
        step_size = lr / (1 - beta1 ** state["step"])
        for p, g, m, u in chunks(param._data, np.ascontiguousarray(grad), state["exp_avg"], state["exp_inf"]):
            g = decay_weights(p, g, lr, weight_decay, decoupled=False)
            lerp_(m, g, 1 - beta1)
            u *= beta2
            np.maximum(u, np.abs(g) + eps, out=u)
            p -= step_size * (m / u)

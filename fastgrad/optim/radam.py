"""RAdam (Liu et al., 2020): Adam whose adaptive step is switched on, and rectified, once the variance of
the adaptive learning rate is tractable; before that, SGD with momentum."""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from fastgrad.optim.adam import check_adam_hyperparameters, decay_weights
from fastgrad.optim.optimizer import Optimizer, check_speed_options, chunks, lerp_
from fastgrad.tensor import Tensor


class RAdam(Optimizer):
    """PyTorch's rule: t <- t + 1; weight decay as Adam (L2, or decoupled); m <- m + (1 - b1)(g - m);
    v <- b2 v + (1 - b2) g^2; rho_inf = 2 / (1 - b2) - 1; rho_t = rho_inf - 2 t b2^t / (1 - b2^t);
    if rho_t > 5: r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)) and
    p <- p - lr m / (1 - b1^t) * r sqrt(1 - b2^t) / (sqrt(v) + eps); else p <- p - lr m / (1 - b1^t)."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_adam_hyperparameters("RAdam", lr, betas, eps, weight_decay)
        check_speed_options("RAdam", capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        self._reject_sparse(grad)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros(param.shape, dtype=param.dtype)
            state["exp_avg_sq"] = np.zeros(param.shape, dtype=param.dtype)
        state["step"] += 1
        step = state["step"]
        bias_correction1, bias_correction2 = 1 - beta1**step, 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
        rectified = rho_t > 5.0
        if rectified:
            rectification = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        for p, g, m, v in chunks(param._data, np.ascontiguousarray(grad), state["exp_avg"], state["exp_avg_sq"]):
            g = decay_weights(p, g, lr, group["weight_decay"], group["decoupled_weight_decay"])
            lerp_(m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * g * g
            update = m / bias_correction1 * lr
            if rectified:
                denom = np.sqrt(v)
                denom += eps
                update *= math.sqrt(bias_correction2) / denom
                update *= rectification
            p -= update

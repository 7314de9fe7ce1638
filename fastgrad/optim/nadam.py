"""NAdam (Dozat, 2016): Adam with Nesterov momentum, and the momentum warm-up schedule of PyTorch."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from fastgrad.optim.adam import check_adam_hyperparameters, decay_weights
from fastgrad.optim.optimizer import Optimizer, check_speed_options, chunks, default_dtype_scalar, lerp_
from fastgrad.tensor import Tensor


class NAdam(Optimizer):
    """PyTorch's rule: t <- t + 1; weight decay as Adam (L2, or decoupled); mu_t = b1 (1 - 0.96^(t psi) / 2)
    with psi = momentum_decay; M_t = mu_1 ... mu_t; m <- m + (1 - b1)(g - m); v <- b2 v + (1 - b2) g^2;
    d = sqrt(v / (1 - b2^t)) + eps; p <- p - lr (1 - mu_t) / (1 - M_t) g / d - lr mu_{t+1} / (1 - M_t mu_{t+1}) m / d.

    The product M_t is kept rounded to the dtype of PyTorch's tensor for it at every step (float32 unless the
    default dtype is float64; the parameter's after a state dict is loaded), so the steps equal PyTorch's
    rather than differing in the eighth digit."""

    rounded_state = ("mu_product",)

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        check_adam_hyperparameters("NAdam", lr, betas, eps, weight_decay)
        if not momentum_decay >= 0:  # (so NaN too, as PyTorch)
            raise ValueError(f"NAdam: momentum_decay must be >= 0, got {momentum_decay}")
        check_speed_options("NAdam", capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        self._reject_sparse(grad)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
        if not state:
            state["step"] = 0
            state["mu_product"] = default_dtype_scalar(1.0)
            state["exp_avg"] = np.zeros(param.shape, dtype=param.dtype)
            state["exp_avg_sq"] = np.zeros(param.shape, dtype=param.dtype)
        state["step"] += 1
        step = state["step"]
        bias_correction2 = 1 - beta2**step
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        state["mu_product"] *= type(state["mu_product"])(mu)
        mu_product = float(state["mu_product"])
        grad_step = lr * (1.0 - mu) / (1.0 - mu_product)
        momentum_step = lr * mu_next / (1.0 - mu_product * mu_next)
        for p, g, m, v in chunks(param._data, np.ascontiguousarray(grad), state["exp_avg"], state["exp_avg_sq"]):
            g = decay_weights(p, g, lr, weight_decay, group["decoupled_weight_decay"])
            lerp_(m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * g * g
            denom = np.sqrt(v / bias_correction2)
            denom += eps
            p -= grad_step * (g / denom)
            p -= momentum_step * (m / denom)

"""Adam (Kingma & Ba, 2015) with L2 weight decay, and AdamW (Loshchilov & Hutter, 2019) with decoupled decay."""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from fastgrad.optim.optimizer import CHUNK, Optimizer, check_speed_options, chunks, lerp_
from fastgrad.tensor import Tensor


def check_adam_hyperparameters(name: str, lr: float, betas: tuple[float, float], eps: float,
                               weight_decay: float) -> None:
    """The checks the Adam family shares (Adam, AdamW, NAdam, RAdam, Adamax)."""
    if not (lr >= 0 and eps >= 0 and weight_decay >= 0):  # (so NaN too, as PyTorch)
        raise ValueError(f"{name}: lr, eps and weight_decay must be >= 0, got {lr}, {eps}, {weight_decay}")
    if not all(0 <= beta < 1 for beta in betas):
        raise ValueError(f"{name}: betas must be in [0, 1), got {betas}")


def decay_weights(p: np.ndarray, g: np.ndarray, lr: float, weight_decay: float, decoupled: bool) -> np.ndarray:
    """Weight decay on one chunk: decoupled, p <- p (1 - lr wd) in place (Loshchilov & Hutter, 2019);
    else L2, the gradient g + wd p (returned)."""
    if weight_decay == 0:
        return g
    if decoupled:
        p *= 1 - lr * weight_decay
        return g
    return g + weight_decay * p


class Adam(Optimizer):
    """t <- t + 1; g <- g + wd p (L2) or p <- p (1 - lr wd) (decoupled_weight_decay); m <- m + (1 - b1)(g - m);
    v <- b2 v + (1 - b2) g^2; p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps); with
    amsgrad, v is replaced by the running maximum of v in the denominator. This is PyTorch's arrangement
    of the constants."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        name = type(self).__name__
        check_adam_hyperparameters(name, lr, betas, eps, weight_decay)
        check_speed_options(name, capturable=capturable, differentiable=differentiable, fused=fused)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        self._reject_sparse(grad, " (SparseAdam does)")
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad, decoupled = group["weight_decay"], group["amsgrad"], group["decoupled_weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros(param.shape, dtype=param.dtype)
            state["exp_avg_sq"] = np.zeros(param.shape, dtype=param.dtype)
            if amsgrad:
                state["max_exp_avg_sq"] = np.zeros(param.shape, dtype=param.dtype)
        state["step"] += 1
        step = state["step"]
        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        arrays = [param._data, np.ascontiguousarray(grad), state["exp_avg"], state["exp_avg_sq"]]
        arrays.append(state["max_exp_avg_sq"] if amsgrad else arrays[3])  # v stands in when there is no max
        scratch_buffer = np.empty(min(param._data.size, CHUNK), dtype=param.dtype)
        for p, g, m, v, v_max in chunks(*arrays):
            scratch = scratch_buffer[:p.size]
            g = decay_weights(p, g, lr, weight_decay, decoupled)
            lerp_(m, g, 1 - beta1, scratch)
            v *= beta2
            np.multiply(g, g, out=scratch)
            scratch *= 1 - beta2
            v += scratch
            if amsgrad:
                np.maximum(v_max, v, out=v_max)
            np.sqrt(v_max, out=scratch)
            scratch /= bias_correction2_sqrt
            scratch += eps
            np.divide(m, scratch, out=scratch)
            scratch *= step_size
            p -= scratch


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p (1 - lr wd) before the Adam step, instead of adding
    wd p to the gradient (default wd 0.01, as PyTorch)."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

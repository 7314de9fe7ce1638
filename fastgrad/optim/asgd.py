"""Averaged SGD (Polyak & Juditsky, 1992), with the decaying step size of Bottou (2012): SGD steps, and
a running average of the iterates from step t0 on (state "ax"), the averaged model that ASGD returns in
theory; as in PyTorch, the parameters themselves are the plain SGD iterates."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from fastgrad.optim.optimizer import Optimizer, check_speed_options, chunks, default_dtype_scalar
from fastgrad.tensor import Tensor


def _rounded(value: float) -> float:
    """PyTorch makes ASGD's eta and mu tensors of the default dtype (float32 unless it is float64) at every
    step, even after a loaded state dict cast its tensors to the parameter's: the same numbers, the same steps."""
    return float(default_dtype_scalar(value))


class ASGD(Optimizer):
    """PyTorch's rule: t <- t + 1; g <- g + wd p; p <- p (1 - lambd eta) - eta g; ax <- p while mu = 1,
    else ax <- ax + mu (p - ax); then eta <- lr / (1 + lambd lr t)^alpha and mu <- 1 / max(1, t - t0)
    for the next step (eta starts at lr, mu at 1)."""

    scalar_state = ("step", "eta", "mu")

    def __init__(self, params: Iterable, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0.0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        if not (lr >= 0 and weight_decay >= 0):  # (so NaN too, as PyTorch)
            raise ValueError(f"ASGD: lr and weight_decay must be >= 0, got {lr}, {weight_decay}")
        check_speed_options("ASGD", capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        self._reject_sparse(grad)
        lr, lambd, weight_decay = group["lr"], group["lambd"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["eta"] = _rounded(lr)
            state["mu"] = 1.0
            state["ax"] = np.zeros(param.shape, dtype=param.dtype)
        state["step"] += 1
        eta, mu = state["eta"], state["mu"]
        for p, g, ax in chunks(param._data, np.ascontiguousarray(grad), state["ax"]):
            if weight_decay != 0:
                g = g + weight_decay * p
            p *= 1 - lambd * eta
            p -= eta * g
            if mu != 1:
                ax += mu * (p - ax)
            else:
                ax[...] = p
        step = state["step"]
        state["eta"] = _rounded(lr / (1 + lambd * lr * step) ** group["alpha"])
        state["mu"] = _rounded(1 / max(1, step - group["t0"]))

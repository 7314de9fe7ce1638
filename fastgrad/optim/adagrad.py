"""Adagrad (Duchi, Hazan & Singer, 2011): per-coordinate learning rates from summed squared gradients."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from fastgrad.backends import get_backend_kernels
from fastgrad.optim.optimizer import Optimizer, check_speed_options, chunks
from fastgrad.sparse import SparseRowGrad
from fastgrad.tensor import Tensor


class Adagrad(Optimizer):
    """PyTorch's rule: clr = lr / (1 + (t - 1) lr_decay); g <- g + wd p; s <- s + g^2;
    p <- p - clr g / (sqrt(s) + eps). A sparse gradient updates only its rows (no weight decay)."""

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        values = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                      initial_accumulator_value=initial_accumulator_value, eps=eps)
        if not all(value >= 0 for value in values.values()):  # (so NaN too, as PyTorch)
            raise ValueError(f"Adagrad: lr, lr_decay, weight_decay, initial_accumulator_value and eps must be >= 0, "
                             f"got {values}")
        check_speed_options("Adagrad", differentiable=differentiable, fused=fused)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize))
        # As PyTorch, the state of the constructor's parameters exists before any step, so a state dict saved
        # before a parameter's first gradient carries its starting sum to an optimizer built with another value.
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param, self.state.setdefault(param, {}))

    def _init_state(self, param: Tensor, state: dict) -> None:
        state["step"] = 0
        # PyTorch fills the sum from the constructor's value even for a group that names its own
        # initial_accumulator_value: the same start, so the same steps.
        state["sum"] = np.full(param.shape, self.defaults["initial_accumulator_value"], dtype=param.dtype)

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        if not state:  # a parameter of a group added later
            self._init_state(param, state)
        state["step"] += 1
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        eps, weight_decay = group["eps"], group["weight_decay"]
        if isinstance(grad, SparseRowGrad):
            if weight_decay != 0:
                self._reject_sparse(grad, " with weight decay")
            grad = grad.coalesce()  # the kernel needs each row once: s accumulates (sum of g)^2 per row
            get_backend_kernels().adagrad_rows_update(param._data, state["sum"], grad.rows, grad.values, clr, eps)
            return
        for p, g, s in chunks(param._data, np.ascontiguousarray(grad), state["sum"]):
            if weight_decay != 0:
                g = g + weight_decay * p
            s += g * g
            denom = np.sqrt(s)
            denom += eps
            p -= clr * g / denom

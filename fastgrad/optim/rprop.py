"""Rprop (Riedmiller & Braun, 1993): per-coordinate step sizes adapted from the signs of successive
gradients alone, the magnitude of the gradient never enters the step. Meant for full-batch training."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from fastgrad.optim.optimizer import Optimizer, check_speed_options, chunks
from fastgrad.tensor import Tensor


class Rprop(Optimizer):
    """PyTorch's rule (Rprop without weight backtracking): s = sign(g g_prev); each step size (initially
    lr) is multiplied by etaplus where s > 0, by etaminus where s < 0, and clamped to step_sizes; where
    the sign flipped the gradient counts as 0, so the coordinate stays and its next step compares with
    nothing; p <- p - step_size sign(g); g_prev <- g. `lr` only sets the first step sizes."""

    def __init__(self, params: Iterable, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        if not lr >= 0:  # (so NaN too, as PyTorch)
            raise ValueError(f"Rprop: lr must be >= 0, got {lr}")
        etaminus, etaplus = etas
        if not 0 < etaminus < 1 < etaplus:
            raise ValueError(f"Rprop: etas must be (etaminus, etaplus) with 0 < etaminus < 1 < etaplus, got {etas}")
        step_size_min, step_size_max = step_sizes
        if not 0 <= step_size_min <= step_size_max:
            raise ValueError(f"Rprop: step_sizes must be (min, max) with 0 <= min <= max, got {step_sizes}")
        check_speed_options("Rprop", capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize))

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        self._reject_sparse(grad)
        (etaminus, etaplus), (step_size_min, step_size_max) = group["etas"], group["step_sizes"]
        if not state:
            state["step"] = 0
            state["prev"] = np.zeros(param.shape, dtype=param.dtype)
            state["step_size"] = np.full(param.shape, group["lr"], dtype=param.dtype)
        state["step"] += 1
        for p, g, prev, step_size in chunks(param._data, np.ascontiguousarray(grad), state["prev"],
                                            state["step_size"]):
            factor = np.sign(g * prev)
            flipped = factor < 0
            # in place, as PyTorch: the etas in the parameter's dtype, and a NaN product stays NaN
            factor[factor > 0] = etaplus
            factor[flipped] = etaminus
            factor[factor == 0] = 1
            step_size *= factor
            np.clip(step_size, step_size_min, step_size_max, out=step_size)
            g = np.where(flipped, 0, g)
            p -= np.sign(g) * step_size
            prev[...] = g

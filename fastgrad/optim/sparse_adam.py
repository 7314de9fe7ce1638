"""SparseAdam: Adam for row-sparse gradients (Embedding(sparse=True)), touching only the rows seen."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from fastgrad.backends import get_backend_kernels
from fastgrad.optim.optimizer import Optimizer
from fastgrad.sparse import SparseRowGrad
from fastgrad.tensor import Tensor


class SparseAdam(Optimizer):
    """PyTorch's SparseAdam ("lazy Adam"): the moments of a row change only at steps where the row has
    a gradient; there p[r] <- p[r] - lr sqrt(1 - b2^t) / (1 - b1^t) * m[r] / (sqrt(v[r]) + eps), with t
    the parameter's step count. Dense gradients are an error, as in PyTorch."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, maximize: bool = False) -> None:
        if not (lr > 0 and eps > 0):  # PyTorch's SparseAdam refuses 0 (and NaN) for both
            raise ValueError(f"SparseAdam: lr and eps must be > 0, got {lr}, {eps}")
        if not all(0 <= beta < 1 for beta in betas):
            raise ValueError(f"SparseAdam: betas must be in [0, 1), got {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        if not isinstance(grad, SparseRowGrad):
            raise RuntimeError(f"SparseAdam does not support dense gradients (parameter of shape {param.shape}); "
                               "use Adam for it, or make its Embedding sparse=True")
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros(param.shape, dtype=param.dtype)
            state["exp_avg_sq"] = np.zeros(param.shape, dtype=param.dtype)
        state["step"] += 1
        grad = grad.coalesce()  # the kernel needs each row once
        beta1, beta2 = group["betas"]
        get_backend_kernels().sparse_adam_rows_update(param._data, state["exp_avg"], state["exp_avg_sq"], grad.rows,
                                                      grad.values, group["lr"], beta1, beta2, group["eps"],
                                                      state["step"])

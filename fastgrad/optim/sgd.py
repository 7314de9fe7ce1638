"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from fastgrad.backends import get_backend_kernels
from fastgrad.optim.optimizer import CHUNK, Optimizer, check_speed_options, chunks
from fastgrad.sparse import SparseRowGrad
from fastgrad.tensor import Tensor


class SGD(Optimizer):
    """PyTorch's rule: g <- g + wd p; b <- momentum b + (1 - dampening) g (b = g at the first step);
    g <- g + momentum b (Nesterov) or b; p <- p - lr g.

    A sparse gradient (Embedding(sparse=True)) updates only its rows, p[rows] -= lr g[rows]; with momentum
    it is made dense (PyTorch's sparse momentum buffer keeps every row it ever saw, decaying: the same numbers
    as a dense one); as in PyTorch it cannot be combined with weight decay.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        if not (lr >= 0 and momentum >= 0 and weight_decay >= 0):  # (so NaN too)
            raise ValueError(f"SGD: lr, momentum and weight_decay must be >= 0, got {lr}, {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")
        check_speed_options("SGD", differentiable=differentiable, fused=fused)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update(self, param: Tensor, grad, state: dict, group: dict) -> None:
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        if isinstance(grad, SparseRowGrad):
            if weight_decay != 0:
                self._reject_sparse(grad, " with weight decay")
            if momentum == 0:
                get_backend_kernels().sgd_rows_update(param._data, grad.rows, grad.values, lr)
                return
            grad = grad.to_dense_array()
        grad = np.ascontiguousarray(grad)
        if momentum == 0:
            scratch_buffer = np.empty(min(param._data.size, CHUNK), dtype=param.dtype)
            for p, g in chunks(param._data, grad):
                scratch = scratch_buffer[:p.size]
                if weight_decay != 0:
                    np.multiply(p, weight_decay, out=scratch)
                    scratch += g
                    scratch *= lr
                else:
                    np.multiply(g, lr, out=scratch)
                p -= scratch
            return
        buffer = state.get("momentum_buffer")
        first = buffer is None
        if first:
            buffer = state["momentum_buffer"] = np.zeros(param.shape, dtype=param.dtype)
        damp, nesterov = 1 - group["dampening"], group["nesterov"]
        for p, g, b in chunks(param._data, grad, buffer):
            if weight_decay != 0:
                g = g + weight_decay * p
            if first:
                b[...] = g
            else:
                b *= momentum
                b += damp * g if damp != 1 else g
            p -= lr * (g + momentum * b) if nesterov else lr * b

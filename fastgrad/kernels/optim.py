"""Sparse optimizer steps: update only the rows a row-sparse gradient touches, in place.

Same semantics as `fastgrad.backends.numpy`: hyperparameters are cast to the weight's dtype where the
reference's Python floats would be, so float32 updates round as the reference's do (Adam's last
step excepted, see below). Adagrad and
Adam need unique rows (`coalesce_rows` first); `fastgrad.kernels.checks` checks that and every other
argument before these run.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from fastgrad.kernels.parallel import threaded_or_serial


@njit(cache=True)
def _coalesce(rows, order, values):
    """Sum values per row, visiting rows in `order` (a stable argsort of rows)."""
    num_unique = 0
    for t in range(order.size):
        if t == 0 or rows[order[t]] != rows[order[t - 1]]:
            num_unique += 1
    unique = np.empty(num_unique, dtype=np.int64)
    summed = np.empty((num_unique, values.shape[1]), dtype=values.dtype)
    k = -1
    for t in range(order.size):
        i = order[t]
        if t == 0 or rows[i] != rows[order[t - 1]]:
            k += 1
            unique[k] = rows[i]
            for j in range(values.shape[1]):  # a row's first value starts its sum: no zero-fill pass
                summed[k, j] = values[i, j]
        else:
            for j in range(values.shape[1]):
                summed[k, j] += values[i, j]
    return unique, summed


@njit(cache=True)
def _sgd_rows(weight, rows, values, lr):
    # Serial: rows may repeat, and each repeat must subtract in turn as np.subtract.at does.
    for i in range(rows.size):
        row = rows[i]
        for j in range(values.shape[1]):
            weight[row, j] -= lr * values[i, j]


# error_model="numpy": a division by zero gives inf or NaN as in the reference (eps=0 with a zero gradient and
# state), instead of Python's ZeroDivisionError, whose check per element kept LLVM from vectorising the loop.
@threaded_or_serial(error_model="numpy")
def _adagrad_rows(weight, state_sum, rows, values, lr, eps):
    # Duchi, Hazan and Singer 2011: G += g^2; w -= lr * g / (sqrt(G) + eps). Rows are unique, so
    # rows can be split among threads.
    for i in prange(rows.size):
        row = rows[i]
        for j in range(values.shape[1]):
            grad = values[i, j]
            state_sum[row, j] += grad * grad
            weight[row, j] -= lr * grad / (np.sqrt(state_sum[row, j]) + eps)


@threaded_or_serial(error_model="numpy")  # as _adagrad_rows
def _sparse_adam_rows(weight, exp_avg, exp_avg_sq, rows, values, beta1, one_minus_beta1, beta2, one_minus_beta2,
                      eps, step_size):
    # Kingma and Ba 2015, Algorithm 1 with the bias corrections folded into step_size, applied to
    # the touched rows only (PyTorch's SparseAdam). All in the weight's dtype, as PyTorch does: the
    # reference's step is float64 (NumPy promotes its float64 step size), 1.3x slower for float32
    # and equal to within float32 rounding.
    for i in prange(rows.size):
        row = rows[i]
        for j in range(values.shape[1]):
            grad = values[i, j]
            m = exp_avg[row, j] * beta1 + one_minus_beta1 * grad
            v = exp_avg_sq[row, j] * beta2 + one_minus_beta2 * grad * grad
            exp_avg[row, j] = m
            exp_avg_sq[row, j] = v
            weight[row, j] -= step_size * m / (np.sqrt(v) + eps)


def coalesce_rows(rows: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique sorted rows and the sum of the values given for each."""
    # A stable sort keeps each row's values in their original order, so every sum is added in the
    # same order as the reference's np.add.at and rounds identically. NumPy's stable integer sort
    # is ~3x faster than Numba's mergesort here.
    return _coalesce(rows, np.argsort(rows, kind="stable"), values)


def sgd_rows_update(weight: np.ndarray, rows: np.ndarray, values: np.ndarray, lr: float) -> None:
    """weight[rows] -= lr * values, in place; repeated rows subtract once per repeat."""
    _sgd_rows(weight, rows, values, weight.dtype.type(lr))


def adagrad_rows_update(weight: np.ndarray, state_sum: np.ndarray, rows: np.ndarray, values: np.ndarray,
                        lr: float, eps: float) -> None:
    """Adagrad on the touched rows only, in place; `rows` must be unique (coalesced)."""
    dtype = weight.dtype.type
    _adagrad_rows(values.size, weight, state_sum, rows, values, dtype(lr), dtype(eps))


def sparse_adam_rows_update(weight: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, rows: np.ndarray,
                            values: np.ndarray, lr: float, beta1: float, beta2: float, eps: float, step: int) -> None:
    """Adam's moments and step on the touched rows only (PyTorch's SparseAdam), in place; `rows` must be
    unique (coalesced) and `step` counts from 1."""
    step_size = lr * math.sqrt(1 - beta2**step) / (1 - beta1**step)
    dtype = weight.dtype.type
    _sparse_adam_rows(values.size, weight, exp_avg, exp_avg_sq, rows, values, dtype(beta1), dtype(1 - beta1), dtype(beta2),
                      dtype(1 - beta2), dtype(eps), dtype(step_size))

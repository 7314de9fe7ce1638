"""Sparse optimizer steps: update only the rows a row-sparse gradient touches, in place.

Same semantics as `fastgrad.backends.numpy`: hyperparameters are cast to the weight's dtype where the
reference's Python floats would be, so float32 updates round as the reference's do (Adam's last
step excepted, see below). Adagrad and
Adam need unique rows (`coalesce_rows` first); their wrappers check it, cheaply when rows are
sorted, as `coalesce_rows` returns them.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from fastgrad.kernels.checks import float_array, first_out_of_order, index_array, like, writable_float_array
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


@threaded_or_serial
def _adagrad_rows(weight, state_sum, rows, values, lr, eps):
    # Duchi, Hazan and Singer 2011: G += g^2; w -= lr * g / (sqrt(G) + eps). Rows are unique, so
    # rows can be split among threads.
    for i in prange(rows.size):
        row = rows[i]
        for j in range(values.shape[1]):
            grad = values[i, j]
            state_sum[row, j] += grad * grad
            weight[row, j] -= lr * grad / (np.sqrt(state_sum[row, j]) + eps)


@threaded_or_serial
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


def _checked_rows(rows: np.ndarray, values: np.ndarray, num_rows: int | None) -> tuple[np.ndarray, np.ndarray]:
    rows = index_array("rows", rows, num_rows)
    if rows.ndim != 1:
        raise ValueError(f"rows: expected a 1-D array, got shape {rows.shape}")
    values = float_array("values", values, ndim=2)
    if values.shape[0] != rows.size:
        raise ValueError(f"values: expected one row per entry of rows ({rows.size}), got shape {values.shape}")
    return rows, values


def _check_width(values: np.ndarray, weight: np.ndarray) -> None:
    if values.dtype != weight.dtype:
        raise TypeError(f"values: expected dtype {weight.dtype} (that of weight), got {values.dtype}")
    if values.shape[1] != weight.shape[1]:
        raise ValueError(f"values: expected rows of width {weight.shape[1]} (that of weight), got shape {values.shape}")


def _check_unique(rows: np.ndarray) -> None:
    """Strictly increasing rows (coalesce_rows' output) pass in one comparison; others are sorted."""
    if first_out_of_order(rows, True) >= 0:
        unique, counts = np.unique(rows, return_counts=True)
        if unique.size != rows.size:
            raise ValueError(f"rows: expected unique rows (coalesce_rows first), but row "
                             f"{int(unique[np.argmax(counts > 1)])} repeats")


def coalesce_rows(rows: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique sorted rows and the sum of the values given for each."""
    rows, values = _checked_rows(rows, values, None)
    # A stable sort keeps each row's values in their original order, so every sum is added in the
    # same order as the reference's np.add.at and rounds identically. NumPy's stable integer sort
    # is ~3x faster than Numba's mergesort here.
    return _coalesce(rows, np.argsort(rows, kind="stable"), values)


def sgd_rows_update(weight: np.ndarray, rows: np.ndarray, values: np.ndarray, lr: float) -> None:
    """weight[rows] -= lr * values, in place; repeated rows subtract once per repeat."""
    weight = writable_float_array("weight", weight, ndim=2)
    rows, values = _checked_rows(rows, values, weight.shape[0])
    _check_width(values, weight)
    _sgd_rows(weight, rows, values, weight.dtype.type(lr))


def adagrad_rows_update(weight: np.ndarray, state_sum: np.ndarray, rows: np.ndarray, values: np.ndarray,
                        lr: float, eps: float) -> None:
    """Adagrad on the touched rows only, in place; `rows` must be unique (coalesced)."""
    weight = writable_float_array("weight", weight, ndim=2)
    state_sum = like("state_sum", writable_float_array("state_sum", state_sum, ndim=2), "weight", weight)
    rows, values = _checked_rows(rows, values, weight.shape[0])
    _check_width(values, weight)
    _check_unique(rows)
    dtype = weight.dtype.type
    _adagrad_rows(values.size, weight, state_sum, rows, values, dtype(lr), dtype(eps))


def sparse_adam_rows_update(weight: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, rows: np.ndarray,
                            values: np.ndarray, lr: float, beta1: float, beta2: float, eps: float, step: int) -> None:
    """Adam's moments and step on the touched rows only (PyTorch's SparseAdam), in place; `rows` must be
    unique (coalesced) and `step` counts from 1."""
    weight = writable_float_array("weight", weight, ndim=2)
    exp_avg = like("exp_avg", writable_float_array("exp_avg", exp_avg, ndim=2), "weight", weight)
    exp_avg_sq = like("exp_avg_sq", writable_float_array("exp_avg_sq", exp_avg_sq, ndim=2), "weight", weight)
    rows, values = _checked_rows(rows, values, weight.shape[0])
    _check_width(values, weight)
    _check_unique(rows)
    if step < 1:
        raise ValueError(f"step: expected the number of steps taken so far, counting from 1, got {step}")
    step_size = lr * math.sqrt(1 - beta2**step) / (1 - beta1**step)
    dtype = weight.dtype.type
    _sparse_adam_rows(values.size, weight, exp_avg, exp_avg_sq, rows, values, dtype(beta1), dtype(1 - beta1), dtype(beta2),
                      dtype(1 - beta2), dtype(eps), dtype(step_size))

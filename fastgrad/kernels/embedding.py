"""Embedding gradients (dense, or one sparse row per looked-up id) and embedding bags.

Same signatures and results as `fastgrad.backends.numpy`; the wrappers check indices before the
compiled loops run. A bag is the slice ids[offsets[b]:offsets[b+1]] (the last one runs to the end).
The plain lookup weight[ids] stays NumPy's: a compiled gather measured no faster.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from fastgrad.kernels.checks import float_array, index_array, offsets_array
from fastgrad.kernels.parallel import threaded_or_serial

NO_PADDING = -1  # ids are never negative after checking, so this matches none of them


@njit(cache=True)
def _scatter_add_rows(ids, values, padding_idx, out):
    # In id order, like np.add.at, so float sums round exactly as the reference's do.
    for i in range(ids.size):
        row = ids[i]
        if row != padding_idx:
            for j in range(values.shape[1]):
                out[row, j] += values[i, j]


@njit(cache=True)
def _rows_without_padding(ids, values, padding_idx):
    count = 0
    for i in range(ids.size):
        if ids[i] != padding_idx:
            count += 1
    rows = np.empty(count, dtype=np.int64)
    kept = np.empty((count, values.shape[1]), dtype=values.dtype)
    k = 0
    for i in range(ids.size):
        if ids[i] != padding_idx:
            rows[k] = ids[i]
            for j in range(values.shape[1]):
                kept[k, j] = values[i, j]
            k += 1
    return rows, kept


@njit(cache=True)
def _bag_bounds(offsets, num_ids, b):
    """Bag b is ids[start:stop]; the last bag runs to the end of ids."""
    stop = offsets[b + 1] if b + 1 < offsets.size else num_ids
    return offsets[b], stop


@threaded_or_serial
def _bag_reduce(weight, ids, offsets, mean, out):
    width = weight.shape[1]
    for b in prange(offsets.size):
        start, stop = _bag_bounds(offsets, ids.size, b)
        for j in range(width):
            out[b, j] = 0
        for k in range(start, stop):  # in id order, as the reference adds
            row = ids[k]
            for j in range(width):
                out[b, j] += weight[row, j]
        if mean and stop > start:
            length = out.dtype.type(stop - start)
            for j in range(width):
                out[b, j] /= length


@njit(cache=True)
def _bag_gradient_row(g, b, length, mean):
    """What each id of bag b receives: g[b], divided by the bag's length for a mean.

    Divided once per bag rather than once per id: the division, not memory, was the bottleneck.
    """
    row = g[b].copy()
    if mean and length > 0:
        scale = g.dtype.type(length)
        for j in range(row.size):
            row[j] /= scale
    return row


@threaded_or_serial
def _bag_grad_per_id(ids, offsets, g, mean, out):
    """Row k of out is the gradient of the k-th id (the sparse gradient's values)."""
    for b in prange(offsets.size):
        start, stop = _bag_bounds(offsets, ids.size, b)
        row = _bag_gradient_row(g, b, stop - start, mean)
        for k in range(start, stop):
            for j in range(row.size):
                out[k, j] = row[j]


@njit(cache=True)
def _bag_grad_scatter(ids, offsets, g, mean, out):
    # Straight into the dense (num_rows, d) gradient, adding in id order as the reference does.
    for b in range(offsets.size):
        start, stop = _bag_bounds(offsets, ids.size, b)
        row = _bag_gradient_row(g, b, stop - start, mean)
        for k in range(start, stop):
            for j in range(row.size):
                out[ids[k], j] += row[j]


def _check_count(name: str, value: int, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value}")
    return int(value)


def _check_mode(mode: str) -> bool:
    """True for "mean", False for "sum"."""
    if mode not in ("sum", "mean"):
        raise ValueError(f"mode: expected 'sum' or 'mean', got {mode!r}")
    return mode == "mean"


def _flat_ids(ids: np.ndarray, num_rows: int) -> np.ndarray:
    """Checked 1-D ids for a bag lookup."""
    checked = index_array("ids", ids, num_rows)
    if checked.ndim != 1:
        raise ValueError(f"ids: expected a 1-D array, got shape {ids.shape}")
    return checked


def embedding_backward(ids: np.ndarray, g: np.ndarray, num_rows: int, padding_idx: int, sparse: bool):
    """Gradient of weight[ids] w.r.t. weight. Dense: (num_rows, d). Sparse: (rows, values), one entry
    per looked-up id other than padding_idx; no (num_rows, d) array is allocated."""
    num_rows = _check_count("num_rows", num_rows, 0)
    padding_idx = _check_count("padding_idx", padding_idx, NO_PADDING)
    flat_ids = index_array("ids", ids, num_rows).reshape(-1)
    g = float_array("g", g)
    if g.ndim == 0 or g.size != flat_ids.size * g.shape[-1]:
        raise ValueError(f"g: expected one row of d values per id ({flat_ids.size} ids, e.g. shape "
                         f"{ids.shape} + (d,) or ({flat_ids.size}, d)), got shape {g.shape}")
    values = g.reshape(flat_ids.size, g.shape[-1])
    if sparse:
        return _rows_without_padding(flat_ids, values, padding_idx)
    dense = np.zeros((num_rows, values.shape[1]), dtype=g.dtype)
    _scatter_add_rows(flat_ids, values, padding_idx, dense)
    return dense


def embedding_bag(weight: np.ndarray, ids: np.ndarray, offsets: np.ndarray, mode: str) -> np.ndarray:
    """Sum or mean of weight rows per bag: (num_bags, d); an empty bag gives zeros."""
    mean = _check_mode(mode)
    weight = float_array("weight", weight, ndim=2)
    ids = _flat_ids(ids, weight.shape[0])
    offsets = offsets_array(offsets, ids.size)
    out = np.empty((offsets.size, weight.shape[1]), dtype=weight.dtype)
    _bag_reduce(ids.size * weight.shape[1], weight, ids, offsets, mean, out)
    return out


def embedding_bag_backward(ids: np.ndarray, offsets: np.ndarray, g: np.ndarray, mode: str, num_rows: int,
                           sparse: bool):
    """Gradient of embedding_bag w.r.t. weight. Dense: (num_rows, d). Sparse: (rows, values), one entry
    per id, valued as its bag's gradient (divided by the bag's length for "mean")."""
    mean = _check_mode(mode)
    num_rows = _check_count("num_rows", num_rows, 0)
    ids = _flat_ids(ids, num_rows)
    offsets = offsets_array(offsets, ids.size)
    g = float_array("g", g, ndim=2)
    if g.shape[0] != offsets.size:
        raise ValueError(f"g: expected one row per bag ({offsets.size}), got shape {g.shape}")
    if sparse:
        values = np.empty((ids.size, g.shape[1]), dtype=g.dtype)
        _bag_grad_per_id(values.size, ids, offsets, g, mean, values)
        return ids.copy(), values
    dense = np.zeros((num_rows, g.shape[1]), dtype=g.dtype)
    _bag_grad_scatter(ids, offsets, g, mean, dense)
    return dense

"""Embedding gradients (dense, or one sparse row per looked-up id) and embedding bags.

Same signatures and results as `fastgrad.backends.numpy`; the arguments arrive checked
(`fastgrad.kernels.checks`: ids in range, offsets ordered), since the compiled loops index without
bounds checks. A bag is the slice ids[offsets[b]:offsets[b+1]] (the last one runs to the end).
The plain lookup weight[ids] stays NumPy's: a compiled gather measured no faster.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from fastgrad.kernels.parallel import threaded_or_serial

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
def _bag_gradient_row(g, b, length, mean, row):
    """Writes into `row` what each id of bag b receives: g[b], divided by the bag's length for a mean.

    Divided once per bag rather than once per id: the division, not memory, was the bottleneck.
    """
    if mean and length > 0:
        scale = g.dtype.type(length)
        for j in range(row.size):
            row[j] = g[b, j] / scale
    else:
        for j in range(row.size):
            row[j] = g[b, j]


@threaded_or_serial
def _bag_grad_per_id(ids, offsets, g, mean, out):
    """Row k of out is the gradient of the k-th id (the sparse gradient's values)."""
    for b in prange(offsets.size):
        start, stop = _bag_bounds(offsets, ids.size, b)
        if stop > start:  # the bag's first row is formed in place and copied to the others: no scratch row
            _bag_gradient_row(g, b, stop - start, mean, out[start])
            for k in range(start + 1, stop):
                for j in range(out.shape[1]):
                    out[k, j] = out[start, j]


@njit(cache=True)
def _bag_grad_scatter(ids, offsets, g, mean, out):
    # Straight into the dense (num_rows, d) gradient, adding in id order as the reference does.
    row = np.empty(g.shape[1], dtype=g.dtype)
    for b in range(offsets.size):
        start, stop = _bag_bounds(offsets, ids.size, b)
        _bag_gradient_row(g, b, stop - start, mean, row)
        for k in range(start, stop):
            for j in range(row.size):
                out[ids[k], j] += row[j]


def embedding_backward(ids: np.ndarray, g: np.ndarray, num_rows: int, padding_idx: int, sparse: bool):
    """Gradient of weight[ids] w.r.t. weight. Dense: (num_rows, d). Sparse: (rows, values), one entry
    per looked-up id other than padding_idx; no (num_rows, d) array is allocated."""
    flat_ids = ids.reshape(-1)
    values = g.reshape(flat_ids.size, g.shape[-1])
    if sparse:
        return _rows_without_padding(flat_ids, values, padding_idx)
    dense = np.zeros((num_rows, values.shape[1]), dtype=g.dtype)
    _scatter_add_rows(flat_ids, values, padding_idx, dense)
    return dense


def embedding_bag(weight: np.ndarray, ids: np.ndarray, offsets: np.ndarray, mode: str) -> np.ndarray:
    """Sum or mean of weight rows per bag: (num_bags, d); an empty bag gives zeros."""
    out = np.empty((offsets.size, weight.shape[1]), dtype=weight.dtype)
    _bag_reduce(ids.size * weight.shape[1], weight, ids, offsets, mode == "mean", out)
    return out


def embedding_bag_backward(ids: np.ndarray, offsets: np.ndarray, g: np.ndarray, mode: str, num_rows: int,
                           sparse: bool):
    """Gradient of embedding_bag w.r.t. weight. Dense: (num_rows, d). Sparse: (rows, values), one entry
    per id, valued as its bag's gradient (divided by the bag's length for "mean")."""
    mean = mode == "mean"
    if sparse:
        values = np.empty((ids.size, g.shape[1]), dtype=g.dtype)
        _bag_grad_per_id(values.size, ids, offsets, g, mean, values)
        return ids.copy(), values
    dense = np.zeros((num_rows, g.shape[1]), dtype=g.dtype)
    _bag_grad_scatter(ids, offsets, g, mean, dense)
    return dense

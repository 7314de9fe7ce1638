"""Row-sparse gradients: what a sparse embedding produces instead of a dense (V, d) array."""
from __future__ import annotations

import numpy as np


class SparseRowGrad:
    """A gradient for a (num_rows, d) parameter that is zero except on some rows.

    `values[i]` is added to row `rows[i]`; rows may repeat until `coalesce()` sums them. This is what
    PyTorch's `Embedding(sparse=True)` produces; optimizers that understand it update only those rows.
    """

    __slots__ = ("rows", "values", "shape")
    is_sparse = True

    def __init__(self, rows: np.ndarray, values: np.ndarray, shape: tuple[int, ...]):
        self.rows, self.values, self.shape = rows, values, tuple(shape)

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    def coalesce(self) -> "SparseRowGrad":
        """Unique sorted rows, each with the sum of its values."""
        from fastgrad.backends import get_backend_kernels

        rows, values = get_backend_kernels().coalesce_rows(self.rows, self.values)
        return SparseRowGrad(rows, values, self.shape)

    def to_dense_array(self) -> np.ndarray:
        dense = np.zeros(self.shape, dtype=self.values.dtype)
        np.add.at(dense, self.rows, self.values)
        return dense

    def to_dense(self):
        from fastgrad.tensor import Tensor

        return Tensor._from_data(self.to_dense_array())

    def __add__(self, other):
        """Sparse + sparse stays sparse (rows concatenated); sparse + dense array is dense."""
        if isinstance(other, SparseRowGrad):
            return SparseRowGrad(np.concatenate([self.rows, other.rows]),
                                 np.concatenate([self.values, other.values]), self.shape)
        dense = np.array(other, copy=True)
        np.add.at(dense, self.rows, self.values)
        return dense

    __radd__ = __add__

    def __mul__(self, scalar: float) -> "SparseRowGrad":
        return SparseRowGrad(self.rows, self.values * scalar, self.shape)

    def __repr__(self) -> str:
        return f"SparseRowGrad(shape={self.shape}, rows={self.rows.size}, dtype={self.values.dtype})"

"""Reductions as Tensor methods: sums, means, extrema, spreads, norms, products, all/any."""
from __future__ import annotations

import warnings
from collections import namedtuple
from typing import TYPE_CHECKING

import numpy as np

from fastgrad import ops
from fastgrad.autograd import graph
from fastgrad.autograd.grad_mode import GRAD_MODE
from fastgrad.autograd.graph import apply
from fastgrad.dtypes import as_dtype
from fastgrad.tensor_methods.arguments import normalize_dims, one_dim

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _reduced_axes(dim, ndim: int, empty_reduces_all: bool = True):
    """Like `normalize_dims`, for reductions: a 0-dim tensor accepts dim 0 or -1 and is reduced whole, and an
    empty dim list reduces every dim, as PyTorch's sum, mean, std, var, norm and amax do (NumPy's axis=()
    reduces none, as PyTorch's all and any do: `empty_reduces_all=False`)."""
    if dim is None:  # the usual case, first: sum() runs for every loss
        return None
    axes = normalize_dims(dim, ndim)
    return None if ndim == 0 or (axes == () and empty_reduces_all) else axes


def _reduced_count(shape: tuple[int, ...], axis) -> int:
    """How many elements a reduction over `axis` (None: all) combines into each result."""
    return int(np.prod(shape if axis is None else [shape[a] for a in axis]))


class ReductionMethods:
    __slots__ = ()  # Tensor keeps no __dict__

    def sum(self, dim=None, keepdim: bool = False, *, dtype=None) -> "Tensor":
        """The sum over `dim` (every dim when None); integer and bool tensors give int64, and `dtype`
        casts the input first, as PyTorch."""
        # (a float tensor without dtype, the usual case, needs no cast: no call to find that out)
        x = self if dtype is None and self._data.dtype.kind == "f" else self._integers_as_int64("sum", dtype)
        return apply(ops.Sum, x, axis=_reduced_axes(dim, x._data.ndim), keepdims=keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None) -> "Tensor":
        """The mean over `dim` (every dim when None) of a floating point tensor, or of any tensor cast
        first to `dtype`, which must be floating point (as PyTorch)."""
        if dtype is not None and as_dtype(dtype).kind != "f":
            raise TypeError(f"mean(): dtype must be a floating point dtype, got {as_dtype(dtype)} (the mean of "
                            "integers is no integer; PyTorch refuses it too)")
        x = self if dtype is None else self._in_dtype("mean", dtype)
        x._check_floating("mean")
        return apply(ops.Mean, x, axis=_reduced_axes(dim, x.ndim), keepdims=keepdim)

    def _extremum(self, op, arg, dim, keepdim):
        name = op.__name__.lower()
        if dim is None:
            if keepdim:
                raise TypeError(f"{name}: keepdim=True needs a dim (the maximum or minimum of all "
                                "elements has no keepdim in PyTorch)")
            return apply(op, self, axis=None, keepdims=False)
        # one dim, as torch.max/min: values and indices along it; a 0-d tensor is its own extremum, at index 0
        axis = one_dim(dim, self.ndim)
        indices = self._extreme_indices(name, arg, axis, keepdim)
        return ValuesIndices(apply(op, self, axis=None if self.ndim == 0 else (axis,), keepdims=keepdim), indices)

    def amax(self, dim=(), keepdim: bool = False) -> "Tensor":
        """The maximum over `dim` (an int or a tuple; every dim when empty), the gradient split evenly
        among tied maxima, as torch.amax."""
        return self._all_extrema(ops.AMax, "amax", dim, keepdim)

    def amin(self, dim=(), keepdim: bool = False) -> "Tensor":
        return self._all_extrema(ops.AMin, "amin", dim, keepdim)

    def _all_extrema(self, op, name: str, dim, keepdim: bool) -> "Tensor":
        axis = _reduced_axes(dim, self.ndim)
        if _reduced_count(self.shape, axis) == 0 and self._data.size == 0:
            raise IndexError(f"{name}: the reduced dims of shape {self.shape} are empty; there is no extreme element")
        return apply(op, self, axis=axis, keepdims=keepdim)

    def max(self, dim: int | None = None, keepdim: bool = False):
        """The maximum over all elements, or (values, indices) along `dim`, as PyTorch."""
        return self._extremum(ops.Max, np.argmax, dim, keepdim)

    def min(self, dim: int | None = None, keepdim: bool = False):
        return self._extremum(ops.Min, np.argmin, dim, keepdim)

    def _arg_extremum(self, name: str, arg, dim, keepdim: bool) -> "Tensor":
        """argmax/argmin: the index of the first extreme element (the first NaN, if any, as PyTorch), in
        the flattened tensor when dim is None."""
        if self._data.dtype.kind == "b":
            raise TypeError(f"{name}: bool tensors are not supported; convert with .long() first")
        if dim is not None:
            return self._extreme_indices(name, arg, one_dim(dim, self.ndim), keepdim)
        if self._data.size == 0:
            raise IndexError(f"{name}: an empty tensor (shape {self.shape}) needs a dim to reduce over")
        out = arg(self._data.reshape(-1)).reshape((1,) * self.ndim if keepdim else ())
        return graph.Tensor._wrap(np.asarray(out, dtype=np.int64), False, None)

    def _extreme_indices(self, name: str, arg, axis: int, keepdim: bool) -> "Tensor":
        """The int64 indices of the first extreme elements along `axis` (normalized), for max/min(dim) and
        argmax/argmin(dim). A 0-d tensor's dim 0 (or -1) is one element long: index 0, 0-d whatever
        keepdim, as PyTorch."""
        data = self._data.reshape(-1) if self.ndim == 0 else self._data
        if data.shape[axis] == 0:
            raise IndexError(f"{name}: dim {axis} has size 0 in shape {self.shape}; there is no extreme element")
        out = arg(data, axis=axis, keepdims=keepdim)
        out = out.reshape(()) if self.ndim == 0 else out
        return graph.Tensor._wrap(np.asarray(out, dtype=np.int64), False, None)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return self._arg_extremum("argmax", np.argmax, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return self._arg_extremum("argmin", np.argmin, dim, keepdim)

    def logsumexp(self, dim, keepdim: bool = False) -> "Tensor":
        """log(sum(exp(x))) over `dim` (an int or a non-empty tuple), computed without overflow."""
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):
            raise TypeError(f"logsumexp: dim must be an int or a non-empty tuple of ints (as PyTorch), got {dim!r}")
        x = self._floating()
        return apply(ops.LogSumExp, x, axis=_reduced_axes(dim, x.ndim), keepdims=keepdim)

    def var(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None) -> "Tensor":
        """Variance over `dim` (all elements when None), dividing by N - correction (default 1, Bessel's
        correction); `unbiased=False` means correction=0. As PyTorch, var(False) is var(unbiased=False)."""
        return self._spread(ops.Var, "var", dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None) -> "Tensor":
        """The square root of `var` with the same arguments."""
        return self._spread(ops.Std, "std", dim, unbiased, keepdim, correction)

    def _spread(self, op, name: str, dim, unbiased, keepdim: bool, correction) -> "Tensor":
        if isinstance(dim, bool):  # PyTorch's (input, unbiased) overload
            dim, unbiased = None, dim
        if unbiased is not None and correction is not None:
            raise TypeError(f"{name}: give either unbiased ({unbiased}) or correction ({correction}), not both")
        self._check_floating(name)
        if correction is None:
            correction = 0 if unbiased is False else 1
        axis = _reduced_axes(dim, self.ndim)
        count = _reduced_count(self.shape, axis)
        if count - correction <= 0:
            warnings.warn(f"{name}(): degrees of freedom is <= 0 ({count} elements per result, correction "
                          f"{correction}); the result is inf or nan", UserWarning, stacklevel=3)
        return apply(op, self, axis=axis, correction=correction, keepdims=keepdim)

    def norm(self, p: "float | str" = "fro", dim=None, keepdim: bool = False, dtype=None) -> "Tensor":
        """The vector p-norm over `dim` (all elements when None): p a number (inf and -inf included) or
        'fro' (the 2-norm over at most 2 dims), as torch.norm."""
        x = self if dtype is None else self.to(dtype)
        x._check_floating("norm")
        if isinstance(p, str):
            if p == "nuc":
                raise NotImplementedError("norm: the nuclear norm (p='nuc') is not implemented")
            if p != "fro":
                raise ValueError(f"norm: p must be a number, 'fro' or 'nuc', got {p!r}")
            if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) > 2:
                raise ValueError(f"norm: p='fro' needs dim to be None, one dim or two dims, got {dim}")
            p = 2
        elif isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(f"norm: p must be a number, 'fro' or 'nuc', got {type(p).__name__} {p!r}")
        axis = _reduced_axes(dim, x.ndim)
        count = _reduced_count(x.shape, axis)
        if count == 0 and abs(p) == np.inf:
            raise ValueError(f"norm: the {p} norm of an empty tensor (shape {x.shape}, dim {dim}) is undefined, "
                             "since max and min have no identity")
        return apply(ops.Norm, x, p=float(p), axis=axis, keepdims=keepdim)

    def prod(self, dim: int | None = None, keepdim: bool = False, dtype=None) -> "Tensor":
        """The product of all elements, or along one dim; integer and bool tensors give int64."""
        if dim is None and keepdim:
            raise TypeError("prod: keepdim=True needs a dim (torch.prod has no keepdim for the full product)")
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))):
            raise TypeError(f"prod: dim must be an int or None (one dim at a time, as torch.prod), got {dim!r}")
        x = self._integers_as_int64("prod", dtype)
        axis = _reduced_axes(dim, x.ndim)
        return apply(ops.Prod, x, axis=axis, keepdims=keepdim and axis is not None)

    def cumsum(self, dim: int, dtype=None) -> "Tensor":
        """Running sums along `dim`; integer and bool tensors give int64."""
        return self._running(ops.Cumsum, dim, dtype)

    def cumprod(self, dim: int, dtype=None) -> "Tensor":
        """Running products along `dim`; integer and bool tensors give int64. The gradient is exact at
        zeros (see ops.Cumprod)."""
        return self._running(ops.Cumprod, dim, dtype)

    def _running(self, op, dim: int, dtype) -> "Tensor":
        name = op.__name__.lower()
        if dtype is not None and as_dtype(dtype).kind == "b":
            raise NotImplementedError(f"{name}: dtype bool is not supported (as in PyTorch); use an integer dtype")
        x = self._integers_as_int64(name, dtype)
        axis = one_dim(dim, x.ndim)
        return x.clone() if x.ndim == 0 else apply(op, x, axis=axis)

    def _integers_as_int64(self, name: str, dtype) -> "Tensor":
        """The input of sums and products: cast to `dtype`, else integers widened to int64 (as PyTorch)."""
        if dtype is not None:
            return self._in_dtype(name, dtype)
        return self.long() if self._data.dtype.kind in "biu" else self

    def _in_dtype(self, name: str, dtype) -> "Tensor":
        """A reduction's input cast to its `dtype` argument first, as PyTorch; the gradient comes back in
        the input's dtype. A result of an integer or bool dtype has no gradient, so PyTorch refuses such a
        dtype for an input that requires grad rather than drop the gradient."""
        dtype = as_dtype(dtype)
        if dtype.kind != "f" and self._requires_grad and GRAD_MODE.enabled:
            raise RuntimeError(f"{name}: autograd does not support dtype {dtype} (the input requires grad); detach the "
                               "input or compute under fastgrad.no_grad()")
        return self.to(dtype)

    # -- NaN-skipping reductions, medians and modes ------------------------------------------------------
    def nansum(self, dim=None, keepdim: bool = False, *, dtype=None) -> "Tensor":
        """The sum with NaNs counted as zero (their gradient is zero where the upstream one is finite)."""
        return self._without_nan().sum(dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim: bool = False, *, dtype=None) -> "Tensor":
        """The mean of the elements that are not NaN (NaN where all are)."""
        x = self if dtype is None else self._in_dtype("nanmean", dtype)
        x._check_floating("nanmean")
        present = graph.Tensor._wrap(~np.isnan(x._data), False, None)
        return x._without_nan().sum(dim, keepdim) / present.sum(dim, keepdim).to(x.dtype)

    def _without_nan(self) -> "Tensor":
        return self if self._data.dtype.kind != "f" else apply(ops.ZeroNan, self)

    def median(self, dim=None, keepdim: bool = False):
        """The median: for an even count the lower of the two middle values, as PyTorch; NaN if any
        element is NaN. Without dim, of all elements (a 0-d tensor; the gradient split among the elements
        equal to it); with dim, (values, indices) along it (the gradient to the element indexed)."""
        if dim is None:
            if self.numel() == 0:
                raise ValueError("median: the median of an empty tensor is undefined")
            return apply(ops.Median, self)
        return self._middle_along(one_dim(dim, self.ndim), keepdim)

    def _middle_along(self, axis: int, keepdim: bool) -> ValuesIndices:
        x = self.reshape(1) if self.ndim == 0 else self
        size = x.shape[axis]
        if size == 0:
            raise IndexError(f"median: dim {axis} has size 0 in shape {self.shape}; there is no median")
        order = np.argsort(x._data, axis=axis, kind="stable")  # NaN sorts last
        picked = np.take(order, [(size - 1) // 2], axis=axis)
        if x._data.dtype.kind == "f":  # a NaN anywhere in the line is the median: the first one, as PyTorch
            nan = np.isnan(x._data)
            picked = np.where(nan.any(axis=axis, keepdims=True), np.argmax(nan, axis=axis, keepdims=True), picked)
        return self._picked(x, axis, picked, keepdim)

    def _picked(self, x: "Tensor", axis: int, picked: np.ndarray, keepdim: bool) -> ValuesIndices:
        """(values, indices) of the elements of x at `picked` (one per line along axis, keepdim-shaped)."""
        values = apply(ops.Gather, x, dim=axis, index=picked)
        if self.ndim == 0 or not keepdim:
            values, picked = values.squeeze(axis) if self.ndim else values.reshape(()), picked.squeeze(axis)
        return ValuesIndices(values, graph.Tensor._wrap(picked.reshape(values.shape).astype(np.int64), False, None))

    def mode(self, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
        """(values, indices): the most frequent value along dim (the smallest of equally frequent ones) and
        the index of its last occurrence, as PyTorch's CPU mode. The gradient goes to that element."""
        x = self.reshape(1) if self.ndim == 0 else self
        axis = one_dim(dim, x.ndim)
        if x.shape[axis] == 0:
            raise IndexError(f"mode: dim {axis} has size 0 in shape {self.shape}; there is no mode")
        lines = np.moveaxis(x._data, axis, -1).reshape(-1, x.shape[axis])
        if lines.dtype.kind == "f" and np.isnan(lines).any():  # NaN's place in PyTorch's count is its sort's
            raise NotImplementedError("mode: the input holds NaN; fastgrad's mode does not define where NaN counts")
        picked = np.empty(len(lines), dtype=np.int64)
        for i, line in enumerate(lines):
            values, counts = np.unique(line, return_counts=True)  # ascending: argmax finds the smallest tie
            picked[i] = np.flatnonzero(line == values[np.argmax(counts)])[-1]
        shape = np.moveaxis(x._data, axis, -1).shape[:-1] + (1,)
        return self._picked(x, axis, np.moveaxis(picked.reshape(shape), -1, axis), keepdim)

    def count_nonzero(self, dim=None) -> "Tensor":
        """The number of non-zero elements (over `dim`, an int or a tuple), int64; outside the graph."""
        axis = None if dim is None else normalize_dims(dim, self.ndim)
        return graph.Tensor._wrap(np.asarray(np.count_nonzero(self._data, axis=axis), dtype=np.int64), False, None)

    # all/any give bool tensors outside the graph.
    def all(self, dim=None, keepdim: bool = False) -> "Tensor":
        return graph.Tensor._wrap(np.asarray(np.all(self._data, axis=_reduced_axes(dim, self.ndim, False), keepdims=keepdim)),
                            False, None)

    def any(self, dim=None, keepdim: bool = False) -> "Tensor":
        return graph.Tensor._wrap(np.asarray(np.any(self._data, axis=_reduced_axes(dim, self.ndim, False), keepdims=keepdim)),
                            False, None)

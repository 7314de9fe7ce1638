"""Reductions as Tensor methods: sums, means, extrema, spreads, norms, products, all/any, running extremes and
log-sum-exps, medians, order statistics and quantiles, differences."""
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
from fastgrad.ops.reduction import LogCumSumExp, NanMedian, running_extreme_indices
from fastgrad.tensor_methods.arguments import int_arg, normalize_dims, one_dim, real_arg, size_arg

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
MinMax = namedtuple("MinMax", ["min", "max"])
Histogram = namedtuple("Histogram", ["hist", "bin_edges"])

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _reduced_axes(dim, ndim: int, empty_reduces_all: bool = True):
    """Like `normalize_dims`, for reductions: a 0-dim tensor accepts dim 0 or -1 and is reduced whole, and an
    empty dim list reduces every dim, as PyTorch's sum, mean, std, var, norm and amax do (NumPy's axis=()
    reduces none, as PyTorch's all and any do: `empty_reduces_all=False`)."""
    if dim is None:  # the usual case, first: sum() runs for every loss
        return None
    axes = normalize_dims(dim, ndim)
    return None if ndim == 0 or (axes == () and empty_reduces_all) else axes


# a dim or keepdim left out, where PyTorch tells it from one given: its overloads without a dim take no keepdim
# (sum(keepdim=True) is refused, sum(None, True) taken), and some take no dim=None (prod, max, min, median)
NOT_GIVEN = object()


def _dim_and_keepdim(name: str, dim, keepdim, none_dim: bool = True) -> tuple:
    """(dim, keepdim) with the ones left out as None and False; keepdim given without dim is refused with PyTorch's
    TypeError, and so is dim=None where PyTorch's dim is an int (`none_dim` False)."""
    if dim is NOT_GIVEN:
        if keepdim is not None:
            raise TypeError(f"{name}: keepdim={keepdim!r} needs a dim (PyTorch's {name}() of all elements takes no "
                            f"keepdim){'; give dim=None to keep every dim' if none_dim else ''}")
        return None, False
    if dim is None and not none_dim:
        raise TypeError(f"{name}: dim must be an int, got None (PyTorch's {name}() of all elements takes no dim)")
    return dim, keepdim is not None and keepdim


def spread_dim(dim):
    """The dim of std's and var's arguments as mean takes it: None where it was left out (NOT_GIVEN) or where the
    first argument is unbiased (a bool)."""
    return None if dim is NOT_GIVEN or isinstance(dim, bool) else dim


def _reduced_count(shape: tuple[int, ...], axis) -> int:
    """How many elements a reduction over `axis` (None: all) combines into each result."""
    return int(np.prod(shape if axis is None else [shape[a] for a in axis]))


class ReductionMethods:
    __slots__ = ()  # Tensor keeps no __dict__

    def sum(self, dim=NOT_GIVEN, keepdim: bool | None = None, *, dtype=None) -> "Tensor":
        """The sum over `dim` (every dim when None or left out; keepdim needs a dim, None too, as PyTorch's); integer
        and bool tensors give int64, and `dtype` casts the input first, as PyTorch."""
        dim, keepdim = (None, False) if dim is NOT_GIVEN and keepdim is None else _dim_and_keepdim("sum", dim, keepdim)
        # (the dims before the dtype, as PyTorch checks them; none to check, and no call, for a loss's sum)
        axis = None if dim is None else _reduced_axes(dim, self._data.ndim)
        # (a float tensor without dtype, the usual case, needs no cast: no call to find that out)
        x = self if dtype is None and self._data.dtype.kind == "f" else self._integers_as_int64("sum", dtype)
        if dim is None and not keepdim:  # (a loss's sum: no attributes, so apply calls forward the quick way)
            return apply(ops.Sum, x)
        return apply(ops.Sum, x, axis=axis, keepdims=keepdim)

    def mean(self, dim=NOT_GIVEN, keepdim: bool | None = None, *, dtype=None) -> "Tensor":
        """The mean over `dim` (every dim when None or left out; keepdim needs a dim, as sum's) of a floating point
        tensor, or of any tensor cast first to `dtype`, which must be floating point (as PyTorch)."""
        dim, keepdim = _dim_and_keepdim("mean", dim, keepdim)
        if dtype is not None and as_dtype(dtype).kind != "f":
            raise RuntimeError(f"mean(): dtype must be a floating point dtype, got {as_dtype(dtype)} (the mean of "
                               "integers is no integer; PyTorch refuses it too, with a RuntimeError)")
        x = self if dtype is None else self._in_dtype("mean", dtype)
        x._check_floating("mean")  # (before the dims, as PyTorch checks them; sum and prod check the dims first)
        return apply(ops.Mean, x, axis=_reduced_axes(dim, x.ndim), keepdims=keepdim)

    def _extremum(self, op, arg, dim, keepdim):
        name = op.__name__.lower()
        dim, keepdim = _dim_and_keepdim(name, dim, keepdim, none_dim=False)
        if dim is None:
            if self._data.size == 0:  # (as PyTorch's: RuntimeError, where a dim of size 0 named is an IndexError)
                raise RuntimeError(f"{name}: an empty tensor (shape {self.shape}) has no extreme element; give a dim "
                                   "to reduce over")
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
            # (PyTorch's types: RuntimeError over all dims, IndexError for an empty dim named)
            raise (RuntimeError if axis is None or dim == () else IndexError)(
                f"{name}: the reduced dims of shape {self.shape} are empty; there is no extreme element")
        return apply(op, self, axis=axis, keepdims=keepdim)

    def aminmax(self, *, dim: int | None = None, keepdim: bool = False) -> MinMax:
        """(min, max) over dim (one dim, or all elements when None), as amin and amax: the gradient is split
        evenly among tied extremes."""
        axis = None if dim is None or self.ndim == 0 else (one_dim(dim, self.ndim),)
        if _reduced_count(self.shape, axis) == 0:  # (PyTorch's types: RuntimeError over all dims, else IndexError)
            raise (RuntimeError if dim is None else IndexError)(
                f"aminmax: dim {dim} of shape {self.shape} is empty; there is no extreme element")
        dims = () if dim is None else dim
        return MinMax(self.amin(dims, keepdim), self.amax(dims, keepdim))

    def max(self, dim: int = NOT_GIVEN, keepdim: bool | None = None):
        """The maximum over all elements (no dim), or (values, indices) along `dim`, as PyTorch; with a tensor in
        place of dim, the elementwise maximum (torch.max(input, other))."""
        if isinstance(dim, graph.Tensor):
            return self.maximum(self._only_other("max", dim, keepdim))
        return self._extremum(ops.Max, np.argmax, dim, keepdim)

    def min(self, dim: int = NOT_GIVEN, keepdim: bool | None = None):
        if isinstance(dim, graph.Tensor):
            return self.minimum(self._only_other("min", dim, keepdim))
        return self._extremum(ops.Min, np.argmin, dim, keepdim)

    @staticmethod
    def _only_other(name: str, other, keepdim):
        """The elementwise form max(input, other) (min's too) takes no third argument, as PyTorch's."""
        if keepdim is not None:
            raise TypeError(f"{name}: the elementwise form {name}(input, other) takes no third argument, got "
                            f"{keepdim!r}")
        return other

    def _arg_extremum(self, name: str, arg, dim, keepdim: bool) -> "Tensor":
        """argmax/argmin: the index of the first extreme element (the first NaN, if any, as PyTorch), in
        the flattened tensor when dim is None."""
        self._refuse_bool(name, RuntimeError)
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
        """log(sum(exp(x))) over `dim` (an int or a tuple; every dim when empty), computed without overflow."""
        if dim is None:  # (PyTorch's argument parser: dim is required)
            raise TypeError("logsumexp: dim must be an int or a tuple of ints, got None")
        # PyTorch 2.13 reads () as every dim, but without keepdim it writes the result of a non-empty tensor of
        # 1 or more dims in the wrong shape and fails: refused alike, with its type
        if isinstance(dim, (tuple, list)) and not dim and not keepdim and self.ndim and self.numel():
            raise RuntimeError(f"logsumexp: dim=() without keepdim is refused for shape {self.shape}, as PyTorch "
                               "refuses it; give the dims to reduce, or keepdim=True")
        x = self._floating()
        return apply(ops.LogSumExp, x, axis=_reduced_axes(dim, x.ndim), keepdims=keepdim)

    def var(self, dim=NOT_GIVEN, unbiased: bool | None = None, keepdim: bool | None = None, *,
            correction: float | None = None) -> "Tensor":
        """Variance over `dim` (all elements when None), dividing by N - correction (default 1, Bessel's
        correction); `unbiased=False` means correction=0. As PyTorch, var(False) is var(unbiased=False)."""
        return self._spread(ops.Var, "var", dim, unbiased, keepdim, correction)

    def std(self, dim=NOT_GIVEN, unbiased: bool | None = None, keepdim: bool | None = None, *,
            correction: float | None = None) -> "Tensor":
        """The square root of `var` with the same arguments."""
        return self._spread(ops.Std, "std", dim, unbiased, keepdim, correction)

    def _spread(self, op, name: str, dim, unbiased, keepdim, correction) -> "Tensor":
        # PyTorch's overloads: (unbiased) alone; (dim, unbiased, keepdim) with a dim (None too); (dim, *, correction,
        # keepdim), dim optional
        if isinstance(dim, bool):  # the (unbiased) overload
            if unbiased is not None or keepdim is not None or correction is not None:
                raise TypeError(f"{name}: a bool first argument is unbiased ({dim}), which takes no other arguments; "
                                "give dim, unbiased and keepdim by name")
            unbiased = dim
        if unbiased is not None and correction is not None:
            raise TypeError(f"{name}: give either unbiased ({unbiased}) or correction ({correction}), not both")
        if unbiased is not None and keepdim is not None and dim is NOT_GIVEN:
            raise TypeError(f"{name}: unbiased with keepdim needs a dim (None too), as PyTorch's")
        dim, keepdim = spread_dim(dim), keepdim is not None and keepdim
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
        # as PyTorch: an empty sum of |x|^p taken to the power 1/p < 0 would be inf, and max and min have no
        # identity; a norm that empty would hide (clip_grad_norm_'s of an empty gradient) must not be a number
        if count == 0 and (p < 0 or abs(p) == np.inf):
            raise RuntimeError(f"norm: the {p} norm of an empty tensor (shape {x.shape}, dim {dim}) is undefined, "
                               "since max, min and the negative orders have no identity")
        return apply(ops.Norm, x, p=float(p), axis=axis, keepdims=keepdim)

    def prod(self, dim: int = NOT_GIVEN, keepdim: bool | None = None, dtype=None) -> "Tensor":
        """The product of all elements (no dim), or along one dim; integer and bool tensors give int64."""
        dim, keepdim = _dim_and_keepdim("prod", dim, keepdim, none_dim=False)
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))):
            raise TypeError(f"prod: dim must be an int (one dim at a time, as torch.prod), got {dim!r}")
        axis = _reduced_axes(dim, self.ndim)  # (the dim before the dtype, as PyTorch checks them)
        x = self._integers_as_int64("prod", dtype)
        return apply(ops.Prod, x, axis=axis, keepdims=keepdim and axis is not None)

    def sum_to_size(self, *size) -> "Tensor":
        """self summed over the dims where `size` (which must expand to self's shape) has fewer elements: the
        gradient of a broadcast undone, as torch.sum_to_size. Self when the sizes are self's."""
        size = size_arg(size)
        lead = self.ndim - len(size)
        if lead < 0 or any(n not in (1, m) for n, m in zip(size, self.shape[lead:])):
            raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to the tensor's shape "
                               f"{list(self.shape)}")
        dims = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(size) if n == 1 and self.shape[lead + i] != 1)
        return self.sum(dims, keepdim=True).reshape(size) if dims else self

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
        axis = one_dim(dim, self.ndim)  # (the dim before the dtype, as PyTorch checks them)
        x = self._integers_as_int64(name, dtype)
        return x.clone() if x.ndim == 0 else apply(op, x, axis=axis)

    def cummax(self, dim: int) -> ValuesIndices:
        """(values, indices): the running maximum along dim and the index it was found at, by PyTorch's rules
        (a later equal element takes the index over; from the first NaN on the maximum is NaN, at the latest
        NaN). The gradient goes to the element indexed."""
        return self._running_extreme(dim, largest=True)

    def cummin(self, dim: int) -> ValuesIndices:
        """(values, indices): the running minimum along dim, by cummax's rules."""
        return self._running_extreme(dim, largest=False)

    def _running_extreme(self, dim: int, largest: bool) -> ValuesIndices:
        axis = one_dim(dim, self.ndim)
        indices = running_extreme_indices(np.atleast_1d(self._data), axis, largest).reshape(self.shape)
        values = apply(ops.Gather, self, dim=axis, index=indices)
        return ValuesIndices(values, graph.Tensor._wrap(indices.copy(), False, None))

    def logcumsumexp(self, dim: int) -> "Tensor":
        """log(cumsum(exp(x))) along dim, computed without overflow, of a floating point tensor."""
        axis = one_dim(dim, self.ndim)  # (before the dtype, as PyTorch's)
        self._check_floating("logcumsumexp", NotImplementedError)
        return self.clone() if self.ndim == 0 else apply(LogCumSumExp, self, axis=axis)

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
        self._check_floating("nanmean")  # (PyTorch refuses integers even with a floating dtype= to cast them to)
        x = self if dtype is None else self._in_dtype("nanmean", dtype)
        x._check_floating("nanmean")
        present = graph.Tensor._wrap(~np.isnan(x._data), False, None)
        return x._without_nan().sum(dim, keepdim) / present.sum(dim, keepdim).to(x.dtype)

    def _without_nan(self) -> "Tensor":
        return self if self._data.dtype.kind != "f" else apply(ops.ZeroNan, self)

    def median(self, dim: int = NOT_GIVEN, keepdim: bool | None = None):
        """The median: for an even count the lower of the two middle values, as PyTorch; NaN if any
        element is NaN. Without dim, of all elements (a 0-d tensor; the gradient split among the elements
        equal to it); with dim, (values, indices) along it (the gradient to the element indexed)."""
        dim, keepdim = _dim_and_keepdim("median", dim, keepdim, none_dim=False)
        if dim is None:
            self._refuse_bool("median")
            if self.numel() == 0:
                raise ValueError("median: the median of an empty tensor is undefined")
            return apply(ops.Median, self)
        return self._middle_along("median", one_dim(dim, self.ndim), keepdim)

    def nanmedian(self, dim: int = NOT_GIVEN, keepdim: bool | None = None):
        """median() of the elements that are not NaN (NaN where all are), as torch.nanmedian: without dim a
        0-d tensor (the gradient split among the elements equal to it), with dim (values, indices)."""
        dim, keepdim = _dim_and_keepdim("nanmedian", dim, keepdim, none_dim=False)
        if dim is None:
            self._refuse_bool("nanmedian")
            if self.numel() == 0:
                raise ValueError("nanmedian: the median of an empty tensor is undefined")
            return apply(NanMedian, self)
        return self._middle_along("nanmedian", one_dim(dim, self.ndim), keepdim)

    def _middle_along(self, name: str, axis: int, keepdim: bool) -> ValuesIndices:
        x = self.reshape(1) if self.ndim == 0 else self
        size = x.shape[axis]
        if size == 0:
            raise IndexError(f"{name}: dim {axis} has size 0 in shape {self.shape}; there is no median")
        self._refuse_bool(name)  # (after the dim's checks, as PyTorch's)
        nan_count = np.isnan(x._data).sum(axis=axis, keepdims=True) if x._data.dtype.kind == "f" else 0
        if name == "nanmedian":  # the middle of the numbers; a line of NaNs gives its first NaN
            rank = np.maximum(size - nan_count - 1, 0) // 2
        else:  # a NaN anywhere in the line is the median: the first one (NaNs sort last, in their order)
            rank = np.where(nan_count > 0, size - nan_count, (size - 1) // 2)
        return self._at_rank(x, axis, rank, keepdim)

    def _at_rank(self, x: "Tensor", axis: int, rank, keepdim: bool) -> ValuesIndices:
        """(values, indices) of the elements at `rank` (an int, or one per line along axis, keepdim-shaped) in
        x's stable ascending order along axis, NaN last. Among equal values that is the first one (PyTorch promises
        no index among ties; the values agree)."""
        order = np.argsort(x._data, axis=axis, kind="stable")
        line_shape = tuple(1 if d == axis else n for d, n in enumerate(x.shape))
        picked = np.take_along_axis(order, np.broadcast_to(rank, line_shape), axis=axis)
        return self._picked(x, axis, picked, keepdim)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
        """(values, indices) of the k-th smallest element (k from 1) along dim, NaN counting as the largest; among
        ties the first in the stable order (PyTorch promises no index among ties). The gradient goes to the element
        indexed."""
        k = int_arg(k, "kthvalue: k")
        x = self.reshape(1) if self.ndim == 0 else self
        axis = one_dim(dim, self.ndim)
        if x.shape[axis] == 0:
            raise IndexError(f"kthvalue: dim {axis} has size 0 in shape {self.shape}; there is no k-th value")
        if not 1 <= k <= x.shape[axis]:  # (PyTorch's type: a RuntimeError)
            raise RuntimeError(f"kthvalue: k must be in [1, {x.shape[axis]}] (the size of dim {dim}), got {k}")
        if self.ndim:  # (after the dim's and k's checks, as PyTorch's, which returns a 0-d tensor before its kernel)
            self._refuse_bool("kthvalue")
        return self._at_rank(x, axis, k - 1, keepdim)

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

    def msort(self) -> "Tensor":
        """The values sorted along dim 0 (sort(0).values)."""
        return self.sort(0).values

    def diff(self, n: int = 1, dim: int = -1, prepend: "Tensor | None" = None,
             append: "Tensor | None" = None) -> "Tensor":
        """The n-th forward difference along dim (x[i+1] - x[i], n times; x[i+1] != x[i] for bool) of the input
        with `prepend` and `append` joined on along dim (tensors of its dims that match its shape elsewhere)."""
        from fastgrad.functions import cat  # (functions imports the Tensor class, which this module builds)

        if self.ndim == 0:
            raise RuntimeError("diff: expects input to be at least one-dimensional, got a 0-d tensor")
        n = int_arg(n, "diff: n")
        if n < 0:
            raise RuntimeError(f"diff: n (the order of the difference) must be non-negative, got {n}")
        axis = one_dim(dim, self.ndim)
        parts = [self]
        for label, extra in (("prepend", prepend), ("append", append)):
            if extra is None:
                continue
            if not isinstance(extra, graph.Tensor):
                raise TypeError(f"diff: {label} must be a Tensor, got {type(extra).__name__}")
            if extra.ndim != self.ndim or any(extra.shape[d] != n_d for d, n_d in enumerate(self.shape) if d != axis):
                raise RuntimeError(f"diff: {label} must match the input's shape {self.shape} except along dim {dim}, "
                                   f"got shape {extra.shape}")
            parts.insert(0 if label == "prepend" else len(parts), extra)
        x = cat(parts, axis) if len(parts) > 1 else self
        for _ in range(n):
            length = x.shape[axis]
            if length == 0:
                break
            later, earlier = x.narrow(axis, 1, length - 1), x.narrow(axis, 0, length - 1)
            x = later != earlier if x._data.dtype.kind == "b" else later - earlier
        return self.clone() if x is self else x  # a new tensor, as PyTorch's, also for n=0

    def quantile(self, q, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear") -> "Tensor":
        """The q-th quantiles over dim (all elements when None) of a float32 or float64 tensor, q a number or a
        1-D tensor (whose dim then comes first) in [0, 1]: the value at rank q (n - 1) of the sorted line, between
        its two neighbours by `interpolation` ("linear", "lower", "higher", "midpoint" or "nearest"); NaN for a
        line that holds a NaN. The gradient reaches the neighbours by their interpolation weights."""
        return self._quantile("quantile", q, dim, keepdim, interpolation)

    def nanquantile(self, q, dim: int | None = None, keepdim: bool = False, *,
                    interpolation: str = "linear") -> "Tensor":
        """quantile() of the values that are not NaN (NaN for a line of NaNs only)."""
        return self._quantile("nanquantile", q, dim, keepdim, interpolation)

    def _quantile(self, name: str, q, dim, keepdim: bool, interpolation: str) -> "Tensor":
        if self._data.dtype not in (np.float32, np.float64):
            raise TypeError(f"{name}: input must be a float32 or float64 tensor, got dtype {self.dtype}")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"{name}: interpolation must be one of {', '.join(_INTERPOLATIONS)}, got "
                             f"{interpolation!r}")
        if self.numel() == 0:
            raise ValueError(f"{name}: input must be non-empty, got shape {self.shape}")
        levels, single = self._quantile_levels(name, q)
        x = self.reshape(-1) if dim is None or self.ndim == 0 else self
        axis = 0 if dim is None else one_dim(dim, self.ndim)
        size, dtype = x.shape[axis], self._data.dtype
        nan_count = np.isnan(x._data).sum(axis=axis, keepdims=True)
        count = size - nan_count if name == "nanquantile" else np.full(nan_count.shape, size)
        undefined = count == 0 if name == "nanquantile" else nan_count > 0
        # ranks in the input's dtype, as PyTorch computes them (float32 rounding decides where floor lands)
        levels = levels.reshape([len(levels) if d == axis else 1 for d in range(x.ndim)])
        rank = np.where(undefined, dtype.type(size - 1), levels * (count - 1).astype(dtype))  # NaN sorts last
        if interpolation == "nearest":
            rank = np.round(rank)  # half to even, as torch.round
        ordered = x.sort(axis).values
        index_shape = tuple(len(levels.reshape(-1)) if d == axis else n for d, n in enumerate(x.shape))

        def at(position: np.ndarray) -> "Tensor":
            index = graph.Tensor._wrap(np.broadcast_to(position.astype(np.int64), index_shape).copy(), False, None)
            return ordered.gather(axis, index)

        if interpolation in ("lower", "nearest"):
            out = at(np.floor(rank))
        elif interpolation == "higher":
            out = at(np.ceil(rank))
        else:
            below, above = at(np.floor(rank)), at(np.ceil(rank))
            weight = 0.5 if interpolation == "midpoint" else graph.Tensor._wrap(
                np.broadcast_to(rank - np.floor(rank), index_shape).astype(dtype), False, None)
            out = below.lerp(above, weight)  # (PyTorch's lerp, whose rounding and infinities it has)
        out = out.movedim(axis, 0)  # the levels' dim first
        if dim is None:
            out = out.reshape((out.shape[0],) + ((1,) * self.ndim if keepdim else ()))
        elif keepdim and self.ndim:
            out = out.unsqueeze(axis + 1)
        return out.squeeze(0) if single else out

    def _quantile_levels(self, name: str, q) -> tuple[np.ndarray, bool]:
        """q as a 1-D array of levels in the input's dtype, and whether it was a single number (or 0-d)."""
        if isinstance(q, graph.Tensor):
            if q.ndim > 1:
                raise ValueError(f"{name}: q must be a number or a 0-d or 1-D tensor, got shape {q.shape}")
            if q.dtype != self.dtype:
                raise TypeError(f"{name}: q must have the input's dtype {self.dtype}, got {q.dtype}")
            if q.requires_grad and GRAD_MODE.enabled:
                raise NotImplementedError(f"{name}: fastgrad has no gradient for q; pass q.detach()")
            levels, single = q._data.reshape(-1), q.ndim == 0
        else:
            levels, single = np.array([real_arg(q, f"{name}: q")], dtype=self._data.dtype), True
        outside = ~((levels >= 0) & (levels <= 1))  # NaN fails both
        if outside.any():
            raise ValueError(f"{name}: q must be in [0, 1], got {levels[outside][0]}")
        return levels, single

    def count_nonzero(self, dim=None) -> "Tensor":
        """The number of non-zero elements (over `dim`, an int or a tuple; every dim when empty, as PyTorch),
        int64; outside the graph."""
        axis = _reduced_axes(dim, self.ndim)
        return graph.Tensor._wrap(np.asarray(np.count_nonzero(self._data, axis=axis), dtype=np.int64), False, None)

    def all(self, dim=None, keepdim: bool = False) -> "Tensor":
        return self._logical_reduction(np.all, dim, keepdim)

    def any(self, dim=None, keepdim: bool = False) -> "Tensor":
        return self._logical_reduction(np.any, dim, keepdim)

    def _logical_reduction(self, reduce, dim, keepdim: bool) -> "Tensor":
        """all/any: bool tensors outside the graph; uint8 for a uint8 input, as PyTorch keeps it."""
        out = np.asarray(reduce(self._data, axis=_reduced_axes(dim, self.ndim, False), keepdims=keepdim))
        return graph.Tensor._wrap(out.astype(np.uint8) if self._data.dtype == np.uint8 else out, False, None)

    def histogram(self, bins=100, *, range=None, weight=None, density: bool = False) -> "Histogram":
        """(hist, bin_edges) of self's elements, as torch.histogram: `bins` an int (that many equal bins over
        `range`, by default the smallest to the largest element, widened by 0.5 each way when they are equal)
        or a tensor of increasing edges. Each bin holds its left edge, the last its right one too; elements
        outside (NaN among them) are not counted. `weight` (one per element) counts instead of 1; with
        `density`, hist is divided by its sum times the bin widths. Floating point tensors only; no graph."""
        if self._data.dtype.kind != "f":
            raise TypeError(f"histogram: not implemented for dtype {self.dtype}; expected a floating point tensor")
        values = self._data.reshape(-1)
        edges = self._histogram_edges(bins, range, values)
        counted, positions = bin_positions(values, edges)
        positions = positions[counted]
        if weight is not None:
            if not isinstance(weight, graph.Tensor):
                raise TypeError(f"histogram: weight must be a Tensor, got {type(weight).__name__}")
            if weight.numel() != values.size or weight.dtype != self.dtype:
                raise ValueError(f"histogram: weight must have one element per element of input and its dtype "
                                 f"({self.shape}, {self.dtype}), got {weight.shape}, {weight.dtype}")
            weight = weight._data.reshape(-1)[counted]
        hist = np.bincount(positions, weights=weight, minlength=edges.size - 1).astype(self.dtype)
        if density:
            with np.errstate(invalid="ignore", divide="ignore"):  # no element counted: NaN, as PyTorch's
                hist = hist / (hist.sum() * np.diff(edges))
        return Histogram(graph.Tensor._wrap(hist, False, None), graph.Tensor._wrap(edges, False, None))

    def _histogram_edges(self, bins, range, values: np.ndarray, name: str = "histogram") -> np.ndarray:
        """The bin edges for `values` (self's, or a column of them), as histogram takes bins and range; errors
        begin with `name`."""
        if isinstance(bins, graph.Tensor):
            if bins.ndim != 1 or bins.numel() < 2 or bins.dtype != self.dtype:
                raise ValueError(f"{name}: bins must be a 1-D tensor of at least 2 edges in input's dtype "
                                 f"({self.dtype}), got shape {tuple(bins.shape)} and dtype {bins.dtype}")
            edges = bins._data.copy()
            if np.any(edges[1:] < edges[:-1]):
                raise ValueError(f"{name}: bin edges must not decrease, got {edges.tolist()}")
            return edges
        count = int_arg(bins, f"{name}: bins")
        if count <= 0:
            raise ValueError(f"{name}: bins must be > 0, got {count}")
        if range is not None:
            if len(range) != 2:
                raise ValueError(f"{name}: range must be (min, max), got {range!r}")
            low, high = (real_arg(end, f"{name}: range") for end in range)
            if low > high:
                raise ValueError(f"{name}: range's min must not exceed its max, got min {low} max {high}")
        else:
            low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError(f"{name}: the range [{low}, {high}] is not finite")
        if low == high:
            low, high = low - 0.5, high + 0.5
        from fastgrad.creation import linspace  # (creation imports the Tensor class this mixin is part of)

        return linspace(low, high, count + 1, dtype=self.dtype)._data


def bin_positions(values: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(counted, positions) for 1-D values and increasing edges: whether each value falls in a bin (NaN does
    not), and the bin's index (meaningless where not counted). A bin holds its left edge, the last its right
    one too."""
    counted = (values >= edges[0]) & (values <= edges[-1])
    return counted, np.clip(np.searchsorted(edges, values, side="right") - 1, 0, edges.size - 2)

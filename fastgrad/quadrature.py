"""The trapezoidal rule, as torch.trapezoid (torch.trapz) and torch.cumulative_trapezoid: built from
differentiable ops, so gradients reach y and the sample points x.

With sample points x, each interval's area is (y_left + y_right) / 2 times its width: for a 1-D x its
successive differences laid along `dim` (x must give one point per sample), for any other x its
differences along `dim`, broadcast against y's intervals as PyTorch broadcasts them. With a spacing dx (a
number, 1 by default) the sum is PyTorch's (sum(y) - (y_first + y_last) / 2) dx.
"""
from __future__ import annotations

import numpy as np

from fastgrad.dtypes import get_default_dtype, promote_types
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.arguments import one_dim, real_arg


def _arguments(name: str, y, x, dx) -> None:
    """The checks PyTorch's argument parser makes before any other: the types of y and x, and x or dx."""
    if not isinstance(y, Tensor):
        raise TypeError(f"{name}(): argument 'y' must be a Tensor, not {type(y).__name__}")
    if x is not None and dx is not None:
        raise TypeError(f"{name}: give the sample points x or the spacing dx, not both")
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'x' must be a Tensor, not {type(x).__name__} (a spacing goes in dx=)")


def _dim_of(name: str, y: Tensor, dim) -> int:
    if y.ndim == 0:
        raise IndexError(f"{name}: y must have at least one dim (to integrate along dim {dim}), got a 0-d tensor")
    return one_dim(dim, y.ndim)


def _refuse_bools(name: str, y: Tensor, x: Tensor | None) -> None:
    if y.dtype.kind == "b" or (x is not None and x.dtype.kind == "b"):
        given = "`y`" if x is None else "`x` or `y`"
        raise RuntimeError(f"{name}: received a bool input for {given}, but bool is not supported (got y of dtype "
                           f"{y.dtype}" + ("" if x is None else f", x of dtype {x.dtype}") + ")")


def _samples(name: str, y: Tensor, x: Tensor | None, dx, dim: int) -> tuple:
    """y (floating point), once its arguments and dim are checked, and the spacing: a tensor of widths
    broadcasting against y's intervals along dim, or a number."""
    _refuse_bools(name, y, x)
    if x is None:
        if isinstance(dx, (bool, np.bool_)):  # (PyTorch's type for a bool spacing: RuntimeError, not TypeError)
            raise RuntimeError(f"{name}: dx must be a real number, got {dx!r}")
        spacing = 1.0 if dx is None else real_arg(dx, f"{name}: dx")
        return y._floating(), spacing
    dtype = promote_types(y.dtype, x.dtype)
    dtype = dtype if dtype.kind == "f" else get_default_dtype()
    y, x = y.to(dtype), x.to(dtype)
    if x.ndim == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"{name}: there must be one `x` value for each sample point: x has {x.shape[0]}, y "
                               f"has {y.shape[dim]} along dim {dim}")
        widths = x.diff().reshape((-1,) + (1,) * (y.ndim - 1 - dim))
    else:  # as PyTorch: x's shape padded with leading 1s to y's dims, then `dim` (counted from y's start) picks
        # x's dim too; an x of more dims than y is not aligned from the end, and its widths broadcast or are refused
        padded = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape)) if x.ndim < y.ndim else x
        widths = padded.diff(dim=dim)
    return y, widths


def _interval_sums(y: Tensor, dim: int) -> Tensor:
    """y_left + y_right of each interval along dim."""
    n = y.shape[dim]
    return y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The integral of y along dim by the trapezoidal rule (0 for fewer than 2 samples)."""
    _arguments("trapezoid", y, x, dx)
    dim = _dim_of("trapezoid", y, dim)
    if y.shape[dim] == 0:  # before the other checks, as PyTorch: zeros outside the graph, in y's own dtype
        return y.detach().sum(dim).to(y.dtype)
    y, spacing = _samples("trapezoid", y, x, dx, dim)
    if not isinstance(spacing, Tensor):
        ends = y.narrow(dim, 0, 1) + y.narrow(dim, y.shape[dim] - 1, 1)
        return (y.sum(dim) - ends.squeeze(dim) * 0.5) * spacing
    return (_interval_sums(y, dim) * spacing).sum(dim) / 2


def trapz(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """trapezoid's older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The running integrals of y along dim by the trapezoidal rule: one per interval (one fewer than the
    samples)."""
    name = "cumulative_trapezoid"
    _arguments(name, y, x, dx)
    if x is None:  # (PyTorch checks the dtype before the dim here, and after it with sample points)
        _refuse_bools(name, y, x)
    dim = _dim_of(name, y, dim)
    y, spacing = _samples(name, y, x, dx, dim)
    if y.shape[dim] == 0:  # no interval: empty, as PyTorch's (x, empty too, gets no gradient)
        return y * 1.0
    return (_interval_sums(y, dim) * spacing / 2).cumsum(dim)

"""The trapezoidal rule, as torch.trapezoid (torch.trapz) and torch.cumulative_trapezoid: built from
differentiable ops, so gradients reach y and the sample points x.

With sample points x, each interval's area is (y_left + y_right) / 2 times its width: for a 1-D x its
successive differences laid along `dim` (x must give one point per sample), for any other x its
differences along `dim`, broadcast against y's intervals as PyTorch broadcasts them. With a spacing dx (a
number, 1 by default) the sum is PyTorch's (sum(y) - (y_first + y_last) / 2) dx.
"""
from __future__ import annotations

from fastgrad.dtypes import get_default_dtype, promote_types
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.arguments import one_dim, real_arg


def _samples(name: str, y, x, dx, dim) -> tuple:
    """y (floating point) and dim checked, and the spacing: a tensor of widths broadcasting against y's
    intervals along dim, or a number."""
    if not isinstance(y, Tensor):
        raise TypeError(f"{name}(): argument 'y' must be a Tensor, not {type(y).__name__}")
    if y.dtype.kind == "b":
        raise TypeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if y.ndim == 0:
        raise IndexError(f"{name}: y must have at least one dim (to integrate along dim {dim}), got a 0-d tensor")
    dim = one_dim(dim, y.ndim)
    if x is not None and dx is not None:
        raise TypeError(f"{name}: give the sample points x or the spacing dx, not both")
    if x is None:
        spacing = 1.0 if dx is None else real_arg(dx, f"{name}: dx")
        return y._floating(), dim, spacing
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'x' must be a Tensor, not {type(x).__name__} (a spacing goes in dx=)")
    dtype = promote_types(y.dtype, x.dtype)
    dtype = dtype if dtype.kind == "f" else get_default_dtype()
    y, x = y.to(dtype), x.to(dtype)
    if x.ndim == 1:
        if x.shape[0] != y.shape[dim]:
            raise ValueError(f"{name}: there must be one `x` value for each sample point: x has {x.shape[0]}, y "
                             f"has {y.shape[dim]} along dim {dim}")
        widths = x.diff().reshape((-1,) + (1,) * (y.ndim - 1 - dim))
    else:
        widths = x.diff(dim=dim - y.ndim)  # (counted from the end, as the broadcast aligns them)
    return y, dim, widths


def _interval_sums(y: Tensor, dim: int) -> Tensor:
    """y_left + y_right of each interval along dim."""
    n = y.shape[dim]
    return y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx=None, dim: int = -1) -> Tensor:
    """The integral of y along dim by the trapezoidal rule (0 for fewer than 2 samples)."""
    given = y
    y, dim, spacing = _samples("trapezoid", y, x, dx, dim)
    if y.shape[dim] == 0:
        return given.detach().sum(dim)  # zeros outside the graph, in y's own dtype, as PyTorch's
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
    y, dim, spacing = _samples("cumulative_trapezoid", y, x, dx, dim)
    if y.shape[dim] == 0:  # no interval: empty, as PyTorch's (x, empty too, gets no gradient)
        return y * 1.0
    return (_interval_sums(y, dim) * spacing / 2).cumsum(dim)

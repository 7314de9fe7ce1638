"""torch.histogramdd: the histogram of points in D dimensions, each dimension binned as Tensor.histogram bins
its values (the same edges, counting rule and errors)."""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from fastgrad.autograd.grad_mode import is_grad_enabled
from fastgrad.autograd.graph import apply
from fastgrad.ops.no_derivative import NoDerivative
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.reductions import bin_positions

HistogramDD = namedtuple("histogramdd", ["hist", "bin_edges"])
NAME = "histogramdd"


def histogramdd(input: Tensor, bins, *, range=None, weight=None, density: bool = False) -> HistogramDD:
    """(hist, bin_edges) of the points in input's last dim (input of shape (..., D)): hist has a dim per
    coordinate, bin_edges a 1-D tensor per coordinate. `bins` is an int (for every dimension), D ints, or D
    tensors of increasing edges; `range` (with int bins) is D (min, max) pairs flattened, [min_0, max_0, min_1,
    ...], by default each coordinate's smallest to largest value. A point outside the bins in any dimension
    (NaN among them) is not counted; `weight` (shape input.shape[:-1]) counts instead of 1; with `density`, hist
    is divided by its sum times the bin volumes. Floating point input only; the results require grad when input
    or weight does, and their backward raises, as PyTorch's."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{NAME}(): argument 'input' must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise NotImplementedError(f"{NAME}: not implemented for dtype {input.dtype}; expected a floating point tensor")
    if input.ndim < 2 or input.shape[-1] == 0:
        raise ValueError(f"{NAME}: input must have shape (..., D) with D >= 1 coordinates per point (at least 2 dims), "
                         f"got shape {tuple(input.shape)}")
    dimensions = input.shape[-1]
    points = input._data.reshape(-1, dimensions)
    per_dimension = _per_dimension_bins(bins, dimensions)
    ranges = _ranges(range, dimensions) if not isinstance(per_dimension[0], Tensor) else [None] * dimensions
    edges, inside, positions = [], np.ones(points.shape[0], dtype=bool), []
    for d in builtins.range(dimensions):
        column = Tensor._wrap(points[:, d], False, None)
        edges_d = column._histogram_edges(per_dimension[d], ranges[d], points[:, d], f"{NAME} (dimension {d})")
        counted, position = bin_positions(points[:, d], edges_d)
        inside &= counted
        edges.append(edges_d)
        positions.append(position)
    shape = tuple(e.size - 1 for e in edges)
    flat = np.ravel_multi_index(tuple(p[inside] for p in positions), shape)
    weights = _weights(weight, input)
    hist = np.bincount(flat, weights=None if weights is None else weights[inside], minlength=int(np.prod(shape)))
    hist = hist.reshape(shape).astype(input.dtype)
    if density:
        volumes = np.ones(shape)
        for d, e in enumerate(edges):
            volumes = volumes * np.diff(e).reshape((-1,) + (1,) * (dimensions - 1 - d))
        with np.errstate(invalid="ignore", divide="ignore"):  # nothing counted: NaN, as PyTorch's
            hist = (hist / (hist.sum() * volumes)).astype(input.dtype)
    sources = [t for t in (input, weight) if t is not None and t.requires_grad]
    if not (sources and is_grad_enabled()):
        return HistogramDD(Tensor._wrap(hist, False, None), tuple(Tensor._wrap(e, False, None) for e in edges))
    # As PyTorch's: results in the graph of input (and weight) whose backward raises
    return HistogramDD(apply(NoDerivative, *sources, values=hist, name=NAME),
                       tuple(apply(NoDerivative, *sources, values=e, name=f"{NAME}'s bin_edges") for e in edges))


def _per_dimension_bins(bins, dimensions: int) -> list:
    if isinstance(bins, Tensor):
        raise TypeError(f"{NAME}: bins must be an int, a list of ints or a list of 1-D tensors (one per dimension), "
                        "got a Tensor")
    if not isinstance(bins, (list, tuple)):
        return [bins] * dimensions
    if len(bins) != dimensions:
        raise ValueError(f"{NAME}: bins must have one entry per dimension (input's last dim, {dimensions}), got "
                         f"{len(bins)}")
    tensors = [isinstance(b, Tensor) for b in bins]
    if any(tensors) and not all(tensors):
        raise TypeError(f"{NAME}: bins must be all ints or all tensors, not a mix of both")
    return list(bins)


def _ranges(range, dimensions: int) -> list:
    if range is None:
        return [None] * dimensions
    values = list(range)
    if len(values) != 2 * dimensions:
        raise ValueError(f"{NAME}: for a {dimensions}-dimensional histogram range must have {2 * dimensions} "
                         f"elements (min and max of each dimension), got {len(values)}")
    return [values[2 * d:2 * d + 2] for d in builtins.range(dimensions)]


def _weights(weight, input: Tensor) -> np.ndarray | None:
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{NAME}: weight must be a Tensor, got {type(weight).__name__}")
    if tuple(weight.shape) != tuple(input.shape[:-1]):
        raise ValueError(f"{NAME}: weight must have input's shape without its last dim, {tuple(input.shape[:-1])}, "
                         f"got {tuple(weight.shape)}")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"{NAME}: weight must have input's dtype ({input.dtype}), got {weight.dtype}")
    return weight._data.reshape(-1)

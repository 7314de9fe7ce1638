"""torch.gradient: the derivative of sampled values along one or more dims by finite differences (second-order
central differences inside, first- or second-order one-sided ones at the edges), NumPy's formulas, as PyTorch
computes them. Built from differentiable ops, so gradients reach the input and the sample coordinates."""
from __future__ import annotations

import numpy as np

from fastgrad.dtypes import get_default_dtype, promote_types
from fastgrad.functions import cat
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.arguments import int_arg, normalize_dims, real_arg

NAME = "gradient"


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple[Tensor, ...]:
    """One tensor per dim in `dim` (every dim by default; one for an int), each the derivative of input along
    that dim. `spacing` is a number (the same step for every dim), a list of numbers (a step per dim) or a
    list of 1-D tensors (the coordinates of the samples along each dim, as many as the dim's size). Integer
    input gives the default float dtype; coordinates promote with input. edge_order is 1 or 2, and each dim
    differentiated needs at least edge_order + 1 samples."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{NAME}(): argument 'input' must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind == "b":
        raise RuntimeError(f"{NAME}: input must be a number tensor, got dtype bool (bools cannot be subtracted)")
    edge_order = int_arg(edge_order, f"{NAME}: edge_order")
    if edge_order not in (1, 2):
        raise ValueError(f"{NAME}: edge_order must be 1 or 2, got {edge_order}")
    if input.ndim == 0:
        return ()  # (no dims to differentiate along, as PyTorch)
    dims = tuple(range(input.ndim)) if dim is None else normalize_dims(dim, input.ndim)
    steps = _steps(spacing, dims, dim is None, input.ndim)
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise ValueError(f"{NAME}: each dim differentiated needs at least edge_order + 1 = {edge_order + 1} "
                             f"samples, got size {input.shape[d]} in dim {d} (shape {tuple(input.shape)})")
    return tuple(_along(input, d, step, edge_order) for d, step in zip(dims, steps))


def _steps(spacing, dims: tuple[int, ...], every_dim: bool, ndim: int) -> list:
    """Per dim in dims: a float step or a 1-D tensor of coordinates (its size checked)."""
    if not isinstance(spacing, (list, tuple)):
        return [real_arg(spacing, f"{NAME}: spacing")] * len(dims)
    if len(spacing) != len(dims):
        given = f"'input.ndim' = {ndim}, since dim was not given" if every_dim else f"the {len(dims)} dims in dim"
        raise ValueError(f"{NAME}: spacing must be a number or a list of one per dim ({given}), got a list of "
                         f"{len(spacing)}")
    coordinates = [isinstance(step, Tensor) for step in spacing]
    if any(coordinates) and not all(coordinates):
        raise TypeError(f"{NAME}: spacing must be a list of numbers or a list of tensors, not a mix of both")
    if not any(coordinates):
        return [real_arg(step, f"{NAME}: spacing[{i}]") for i, step in enumerate(spacing)]
    return spacing


def _along(input: Tensor, d: int, step, edge_order: int) -> Tensor:
    """The derivative along dim d, computed with d moved last."""
    if isinstance(step, Tensor):
        if step.ndim != 1 or step.shape[0] != input.shape[d]:
            raise ValueError(f"{NAME}: each coordinate tensor in spacing must be 1-D with one coordinate per sample, "
                             f"got shape {tuple(step.shape)} for dim {d} of size {input.shape[d]}")
        dtype = promote_types(input.dtype, step.dtype)
    else:
        dtype = input.dtype
    dtype = dtype if dtype.kind == "f" else get_default_dtype()
    f = input.to(dtype).movedim(d, -1)
    if isinstance(step, Tensor):
        inside, first, last = _nonuniform(f, step.to(dtype), edge_order)
    else:
        inside, first, last = _uniform(f, step, edge_order)
    return cat([first, inside, last], dim=-1).movedim(-1, d)


def _uniform(f: Tensor, h: float, edge_order: int) -> tuple[Tensor, Tensor, Tensor]:
    inside = (f[..., 2:] - f[..., :-2]) / (2 * h)
    if edge_order == 1:
        return inside, (f[..., 1:2] - f[..., :1]) / h, (f[..., -1:] - f[..., -2:-1]) / h
    first = (-1.5 * f[..., :1] + 2 * f[..., 1:2] - 0.5 * f[..., 2:3]) / h
    last = (0.5 * f[..., -3:-2] - 2 * f[..., -2:-1] + 1.5 * f[..., -1:]) / h
    return inside, first, last


def _nonuniform(f: Tensor, x: Tensor, edge_order: int) -> tuple[Tensor, Tensor, Tensor]:
    """The second-order differences for unequal steps (exact for quadratics), from the steps dx."""
    dx = x[1:] - x[:-1]
    left, right = dx[:-1], dx[1:]
    inside = (-right / (left * (left + right)) * f[..., :-2] + (right - left) / (left * right) * f[..., 1:-1]
              + left / (right * (left + right)) * f[..., 2:])
    if edge_order == 1:
        return inside, (f[..., 1:2] - f[..., :1]) / dx[:1], (f[..., -1:] - f[..., -2:-1]) / dx[-1:]
    a, b = dx[:1], dx[1:2]
    first = (-(2 * a + b) / (a * (a + b)) * f[..., :1] + (a + b) / (a * b) * f[..., 1:2]
             - a / (b * (a + b)) * f[..., 2:3])
    a, b = dx[-2:-1], dx[-1:]
    last = (b / (a * (a + b)) * f[..., -3:-2] - (a + b) / (a * b) * f[..., -2:-1]
            + (2 * b + a) / (b * (a + b)) * f[..., -1:])
    return inside, first, last

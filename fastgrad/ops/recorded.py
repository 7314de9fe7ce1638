"""Small pieces of the recorded backward formulas (`backward_graph`, see fastgrad.autograd.higher_order):
constants and masked selections as tensors, made with the same ops a user's code would record, a decorator for
formulas that give inf and NaN on purpose, and a gradient that raises when it is differentiated."""
from __future__ import annotations

import functools

import numpy as np

from fastgrad.autograd import graph
from fastgrad.autograd.graph import Op


def constant(array) -> "graph.Tensor":
    """An array (a mask, a one-hot matrix, a scale) as a tensor that needs no gradient."""
    return graph.Tensor._from_data(np.asarray(array))


def select(mask: np.ndarray, g, other=None):
    """g where mask holds, else `other` (zero by default): selected, not multiplied, so a NaN or inf in g
    outside the mask does not leak, as the array backward selects."""
    from fastgrad.ops.elementwise import Where

    zero = constant(np.zeros((), dtype=g._data.dtype)) if other is None else other
    return graph.apply(Where, constant(mask), g, zero)


def zeros_like(g):
    """The gradient of a step function (sign, round): zero everywhere, with no graph behind it."""
    return constant(np.zeros(g.shape, dtype=g._data.dtype))


def quietly(backward_graph):
    """backward_graph without NumPy's warnings about the inf and NaN it gives on purpose at poles and outside
    the domain, which the array backward gives silently too (PyTorch warns about neither)."""

    @functools.wraps(backward_graph)
    def recorded(ctx, g, out):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return backward_graph(ctx, g, out)

    return recorded
class DelayedError(Op):
    """A recorded gradient as it is, whose own derivative is not defined (PyTorch's DelayedError): its values
    can be used, and differentiating it raises NotImplementedError with `reason`."""

    saves_inputs = False

    def forward(ctx, K, g, reason):
        ctx.saved = reason
        return g.copy()

    def backward(ctx, K, gg):
        raise NotImplementedError(ctx.saved)

    def backward_graph(ctx, gg, out):
        raise NotImplementedError(ctx.saved)

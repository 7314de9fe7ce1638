"""Reductions over all elements or over some dims, with `keepdim`."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.graph import Op


def _expand_back(g: np.ndarray, shape: tuple, axis, keepdims: bool) -> np.ndarray:
    """Copy a reduced gradient back over the reduced axes of an input of `shape`."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g  # broadcasts over the reduced axes (np.broadcast_to costs more for small arrays)
    return out


class Sum(Op):
    saves_inputs = False

    def forward(ctx, K, x, axis=None, keepdims=False):
        ctx.saved = (x.shape, axis, keepdims)
        return K.sum(x, axis, keepdims)

    def backward(ctx, K, g):
        shape, axis, keepdims = ctx.saved
        return (_expand_back(g, shape, axis, keepdims),)  # every input element contributed with slope 1


class Mean(Op):
    saves_inputs = False

    def forward(ctx, K, x, axis=None, keepdims=False):
        count = x.size if axis is None else int(np.prod([x.shape[a] for a in axis]))
        ctx.saved = (x.shape, axis, keepdims, count)
        return K.divide(K.sum(x, axis, keepdims), x.dtype.type(count))

    def backward(ctx, K, g):
        shape, axis, keepdims, count = ctx.saved
        return (_expand_back(K.divide(g, g.dtype.type(count)), shape, axis, keepdims),)


class Max(Op):
    """Max over all elements (gradient split evenly among ties, as PyTorch's full reduction) or over
    one dim (gradient to the first maximal element, the index PyTorch's max(dim) returns)."""

    kernel, arg_index = "amax", staticmethod(np.argmax)
    saves_output = True

    def forward(ctx, K, x, axis=None, keepdims=False):
        out = getattr(K, ctx.op.kernel)(x, axis, keepdims)
        ctx.saved = (x, out, axis, keepdims)
        return out

    def backward(ctx, K, g):
        x, out, axis, keepdims = ctx.saved
        if axis is None:
            hit = x == (out if keepdims else out.reshape((1,) * x.ndim))
            return (K.multiply(_expand_back(g, x.shape, None, keepdims), hit / hit.sum()),)
        (dim,) = axis
        index = ctx.op.arg_index(x, axis=dim)
        grad = np.zeros(x.shape, dtype=g.dtype)
        g_kept = g if keepdims else np.expand_dims(g, dim)
        np.put_along_axis(grad, np.expand_dims(index, dim), g_kept, axis=dim)
        return (grad,)


class Min(Max):
    kernel, arg_index = "amin", staticmethod(np.argmin)

"""Reductions over all elements or over some dims, with `keepdim`."""
from __future__ import annotations

import math

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


class VectorNorm(Op):
    """The p-norm over `axis` (all dims for None), as torch.linalg.vector_norm: (sum |x|^p)^(1/p),
    max |x| for p = inf, min |x| for p = -inf, the number of non-zeros for p = 0 (no gradient).
    The gradient is 0 where the norm is 0 (PyTorch's choice for the kink of the 2-norm at the origin)
    and at zero elements."""

    saves_output = True  # backward reads the norm

    def forward(ctx, K, x, ord, axis, keepdims):
        magnitude = K.absolute(x)
        if ord == math.inf:
            norm = K.amax(magnitude, axis, True)
        elif ord == -math.inf:
            norm = K.amin(magnitude, axis, True)
        elif ord == 0:
            norm = K.sum((magnitude != 0).astype(x.dtype), axis, True)
        elif ord == 1:
            norm = K.sum(magnitude, axis, True)
        elif ord == 2:
            norm = K.sqrt(K.sum(K.multiply(x, x), axis, True))
        else:
            norm = K.power(K.sum(K.power(magnitude, ord), axis, True), x.dtype.type(1 / ord))
        ctx.saved = (x, norm, ord, axis)
        return norm if keepdims else norm.reshape([n for i, n in enumerate(norm.shape)
                                                   if axis is not None and i not in axis])

    def backward(ctx, K, g):
        x, norm, ord, axis = ctx.saved
        g = g.reshape(norm.shape)
        if ord == 0:
            return (np.zeros(x.shape, dtype=g.dtype),)
        if ord in (math.inf, -math.inf):  # split evenly among the elements that attain the norm
            attains = K.absolute(x) == norm
            share = np.sign(x) * attains / K.sum(attains, axis, True)
            return (K.multiply(g, share).astype(g.dtype, copy=False),)
        if ord == 1:
            return (K.multiply(g, np.sign(x)),)
        with np.errstate(divide="ignore", invalid="ignore"):
            # d ||x||_p / dx = sign(x) |x|^(p-1) / ||x||^(p-1), which is x / ||x|| for p = 2
            slope = x / norm if ord == 2 else np.sign(x) * (K.absolute(x) / norm) ** (ord - 1)
        # 0 at a zero norm and at zero elements (where p < 1 makes the slope infinite), as PyTorch
        return (np.where((norm == 0) | (x == 0), 0, K.multiply(g, slope)).astype(g.dtype, copy=False),)


class Max(Op):
    """Max over all elements (gradient split evenly among ties, as PyTorch's full reduction) or over
    one dim (gradient to the first maximal element, the index PyTorch's max(dim) returns)."""

    kernel, arg_index = "amax", staticmethod(np.argmax)

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

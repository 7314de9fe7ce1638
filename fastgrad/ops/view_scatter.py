"""torch's *_scatter functions (diagonal_scatter, select_scatter, slice_scatter, as_strided_scatter) as one op: a
copy of the input with the elements one of its views shows replaced by src."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.graph import Op, apply
from fastgrad.memory_formats import copy_in_format, preserve_format
from fastgrad.ops.recorded import select
from fastgrad.ops.shape import GetItem


class ViewScatter(Op):
    """A copy of x (in x's layout) with src, of x's dtype, written where the view shows x's elements: `positions`
    holds, in src's shape, the flat (row-major) index in x of the element at each position of the view. Where two
    positions name one element (an overlapping as_strided view) the later one in row-major order wins, as in
    PyTorch. Backward, PyTorch's formula: x gets g with the view's elements zeroed, src gets g at every position
    (also at those overwritten)."""

    saves_inputs = False

    def forward(ctx, K, x, src, positions):
        key = np.unravel_index(positions, x.shape)
        out = copy_in_format(x, x.dtype, preserve_format)
        out[key] = src
        ctx.saved = key
        return out

    def backward(ctx, K, g):
        key = ctx.saved
        g_x = g.copy()
        g_x[key] = 0
        return g_x, np.asarray(g[key])

    def backward_graph(ctx, g, out):
        key = ctx.saved
        kept = np.ones(g.shape, dtype=bool)
        kept[key] = False
        return select(kept, g), apply(GetItem, g, key=key, advanced=True)

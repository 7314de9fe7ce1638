"""Values computed outside the op table but recorded in the graph of their inputs: for the functions whose
derivative PyTorch does not implement (binomial, linalg.ldl_factor, linalg.ldl_solve), whose results require grad
when an input does and whose backward raises, as PyTorch's; and for the in-place comparisons (x.lt_(other)),
whose derivative PyTorch defines as zero for every input."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.graph import Op
from fastgrad.ops.recorded import constant


class NoDerivative(Op):
    """Returns `values` (already computed from the inputs); its backward raises RuntimeError naming `name`."""

    saves_inputs = False

    def forward(ctx, K, *inputs, values: np.ndarray, name: str):
        ctx.saved = name
        return values

    def backward(ctx, K, g):
        raise RuntimeError(f"the derivative for {ctx.saved} is not implemented (as in PyTorch)")

    def backward_graph(ctx, g, out):
        NoDerivative.backward(ctx, None, g)


class ZeroDerivative(Op):
    """Returns `values` (already computed from the inputs); every input's gradient is zero, as PyTorch's formula
    for x.eq_(other) ... x.ge_(other) gives (zeros_like(self), zeros_like(other)), so the inputs stay in the graph."""

    saves_inputs = False

    def forward(ctx, K, *inputs, values: np.ndarray):
        ctx.saved = tuple(x.shape for x in inputs)
        return values

    def backward(ctx, K, g):
        return tuple(np.zeros(shape, dtype=g.dtype) for shape in ctx.saved)

    def backward_graph(ctx, g, out):
        return tuple(constant(np.zeros(shape, dtype=g._data.dtype)) for shape in ctx.saved)

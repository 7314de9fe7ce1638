"""Values computed outside the op table but recorded in the graph of their inputs, for the functions whose
derivative PyTorch does not implement (binomial, linalg.ldl_factor, linalg.ldl_solve): their results require grad
when an input does, and backward raises, as PyTorch's."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.graph import Op


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

"""Matrix products: matmul (batched, broadcasting) and the linear layer."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.graph import Op


class Matmul(Op):
    """a @ b with NumPy's rules: 1-D operands are promoted then squeezed; batch dims broadcast."""

    def forward(ctx, K, a, b):
        ctx.saved = (a, b)
        return K.matmul(a, b)

    def backward(ctx, K, g):
        a, b = ctx.saved
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        g_a = K.matmul(g2, np.swapaxes(b2, -1, -2))  # dL/da = g b^T
        g_b = K.matmul(np.swapaxes(a2, -1, -2), g2)  # dL/db = a^T g
        if a.ndim == 1:
            g_a = g_a.reshape(g_a.shape[:-2] + (a.shape[0],))
        if b.ndim == 1:
            g_b = g_b.reshape(g_b.shape[:-2] + (b.shape[0],))
        return g_a, g_b


class Linear(Op):
    """y = x W^T + b over the last dim of x. One upstream delta gives dx = g W, dW = g^T x and db = sum g
    (the lecture's point that delta is computed once and reused for W and b)."""

    def forward(ctx, K, x, weight, bias=None):
        x2 = x.reshape(-1, x.shape[-1])
        ctx.saved = (x2, weight, x.shape)
        return K.linear(x2, weight, bias).reshape(x.shape[:-1] + (weight.shape[0],))

    def backward(ctx, K, g):
        x2, weight, x_shape = ctx.saved
        inputs = ctx.inputs
        need_bias = len(inputs) > 2 and inputs[2].requires_grad
        g_x, g_w, g_b = K.linear_backward(x2, weight, np.ascontiguousarray(g.reshape(-1, weight.shape[0])),
                                          inputs[0].requires_grad, inputs[1].requires_grad, need_bias)
        return (None if g_x is None else g_x.reshape(x_shape)), g_w, g_b

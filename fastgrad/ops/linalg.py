"""Matrix products: matmul (batched, broadcasting), the linear layer and einsum."""
from __future__ import annotations

import string
from collections import Counter
from typing import Sequence

import numpy as np

from fastgrad.autograd.graph import Op


class Matmul(Op):
    """a @ b with NumPy's rules: 1-D operands are promoted then squeezed; batch dims broadcast."""

    def forward(ctx, K, a, b):
        ctx.saved = (a, b)
        return K.matmul(a, b)

    def backward(ctx, K, g):
        a, b = ctx.saved
        if a.ndim == 1 and b.ndim == 1:  # a dot product: g is a 0-d array
            return K.multiply(g, b), K.multiply(g, a)
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
        x2 = x.reshape(int(np.prod(x.shape[:-1])), x.shape[-1])  # (not -1: ambiguous with 0 features)
        ctx.saved = (x2, weight, x.shape)
        return K.linear(x2, weight, bias).reshape(x.shape[:-1] + (weight.shape[0],))

    def backward(ctx, K, g):
        x2, weight, x_shape = ctx.saved
        inputs = ctx.inputs
        need_bias = len(inputs) > 2 and inputs[2].requires_grad
        g_x, g_w, g_b = K.linear_backward(x2, weight, np.ascontiguousarray(g.reshape(-1, weight.shape[0])),
                                          inputs[0].requires_grad, inputs[1].requires_grad, need_bias)
        return (None if g_x is None else g_x.reshape(x_shape)), g_w, g_b


class Einsum(Op):
    """einsum over explicit subscripts, one string per operand and one for the output, each without
    repeated letters (the caller parses the equation, expands broadcast dims and rejects diagonals).

    The gradient of an operand is the einsum of the upstream gradient with the other operands, to the
    operand's own subscripts; a subscript that only this operand had was summed out of the output, so
    every element along it gets the same gradient (a broadcast)."""

    returns_view = True  # NumPy returns a view for a pure transpose like "ij->ji"

    def forward(ctx, K, *operands, subscripts, output):
        ctx.saved = (operands, subscripts, output)
        return K.einsum(",".join(subscripts) + "->" + output, *operands)

    def backward(ctx, K, g):
        operands, subscripts, output = ctx.saved
        grads = []
        for i, (operand, own) in enumerate(zip(operands, subscripts)):
            if not ctx.inputs[i].requires_grad:
                grads.append(None)
                continue
            others = [(s, o) for j, (s, o) in enumerate(zip(subscripts, operands)) if j != i]
            reachable = set(output).union(*(s for s, _ in others))
            kept = "".join(c for c in own if c in reachable)
            partial = K.einsum(",".join([output] + [s for s, _ in others]) + "->" + kept, g, *(o for _, o in others))
            if kept != own:
                partial = np.expand_dims(partial, tuple(k for k, c in enumerate(own) if c not in reachable))
                grad = np.empty(operand.shape, dtype=partial.dtype)
                grad[...] = partial
                partial = grad
            grads.append(partial)
        return tuple(grads)


def parse_einsum_equation(equation: str, ndims: Sequence[int]) -> tuple[list[str], str]:
    """An einsum equation as explicit subscripts for the Einsum op: one string per operand and one for
    the output. '...' becomes letters the equation does not use (right-aligned, so operands with fewer
    broadcast dims get the last ones); without '->' the output is the broadcast dims, then the letters
    that occur once, in alphabetical order (uppercase first), as in NumPy and PyTorch."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: the equation {equation!r} has subscripts for {len(terms)} operand(s), got "
                         f"{len(ndims)} tensor(s)")
    for term in terms + ([rhs] if arrow else []):
        invalid = [c for c in term.replace("...", "", 1) if c not in string.ascii_letters]
        if invalid:
            raise ValueError(f"einsum: invalid subscript {invalid[0]!r} in {term!r} of {equation!r}; subscripts are "
                             "letters a-z, A-Z and at most one '...' per operand")
    unused = [c for c in string.ascii_letters if c not in equation]
    broadcast_dims = max([ndim - len(term.replace("...", "")) for term, ndim in zip(terms, ndims) if "..." in term],
                         default=0)
    ellipsis = "".join(unused[:broadcast_dims])
    subscripts = []
    for i, (term, ndim) in enumerate(zip(terms, ndims)):
        letters = term.replace("...", "")
        if len(letters) > ndim or ("..." not in term and len(letters) != ndim):
            raise ValueError(f"einsum: operand {i} has {ndim} dims but {len(letters)} subscripts ({term!r})"
                             + (" and no '...'" if "..." not in term else ""))
        term = term.replace("...", ellipsis[len(ellipsis) - (ndim - len(letters)):])
        if len(set(term)) != len(term):
            raise NotImplementedError(f"einsum: a subscript repeated within operand {i} ({term!r}: a diagonal or "
                                      "trace) is not supported")
        subscripts.append(term)
    if arrow:
        output = rhs.replace("...", ellipsis)
    else:
        counts = Counter("".join(subscripts))
        output = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ellipsis))
    if len(set(output)) != len(output):
        raise ValueError(f"einsum: an output subscript appears more than once in {equation!r}")
    missing = [c for c in output if c not in "".join(subscripts)]
    if missing:
        raise ValueError(f"einsum: output subscript {missing[0]!r} of {equation!r} is in no operand's subscripts")
    return subscripts, output

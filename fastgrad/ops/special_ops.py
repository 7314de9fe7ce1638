"""Ops of fastgrad.special's differentiable functions beyond the Tensor methods: the scaled and first-order
modified Bessel functions of the first kind, erfcx, and the two-argument zeta and regularized incomplete gamma
functions, whose derivatives in their first argument PyTorch does not implement (their backward raises, as
PyTorch's, when that argument needs a gradient)."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.autograd.graph import Op, apply
from fastgrad.ops import special_math
from fastgrad.ops.elementwise import I0, UnaryMath
from fastgrad.ops.recorded import constant, quietly, select

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _at_zero(x, value, elsewhere):
    """`elsewhere` with `value` where x is 0 (arrays; the removable singularity of I1(x) / x)."""
    return np.where(x == 0, value, elsewhere)


class I1(UnaryMath):
    """I1, the modified Bessel function of the first kind of order 1; I1' = I0 - I1 / x (1/2 at 0)."""

    function = staticmethod(special_math.bessel_i1)
    derivative = staticmethod(lambda a: _at_zero(a, 0.5, special_math.bessel_i0(a) - special_math.bessel_i1(a)
                                                  / np.where(a == 0, 1, a)))

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        zero = a._data == 0
        safe = select(~zero, a, constant(np.ones((), dtype=a._data.dtype)))
        return (g * select(~zero, apply(I0, a) - out / safe, constant(np.full((), 0.5, dtype=a._data.dtype))),)


class I0e(UnaryMath):
    """e^-|x| I0(x); its derivative is I1e(x) - sign(x) I0e(x)."""

    function = staticmethod(special_math.scaled_bessel_i0)
    derivative = staticmethod(lambda a: special_math.scaled_bessel_i1(a)
                              - np.sign(a) * special_math.scaled_bessel_i0(a))

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        return (g * (apply(I1e, a) - a.sign() * out),)


class I1e(UnaryMath):
    """e^-|x| I1(x); its derivative is I0e(x) - I1e(x) (sign(x) + 1 / x), 1/2 at 0."""

    function = staticmethod(special_math.scaled_bessel_i1)
    derivative = staticmethod(lambda a: _at_zero(
        a, 0.5, special_math.scaled_bessel_i0(a) - special_math.scaled_bessel_i1(a) * (np.sign(a) + 1 / np.where(
            a == 0, 1, a))))

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        zero = a._data == 0
        safe = select(~zero, a, constant(np.ones((), dtype=a._data.dtype)))
        slope = apply(I0e, a) - out * (a.sign() + 1 / safe)
        return (g * select(~zero, slope, constant(np.full((), 0.5, dtype=a._data.dtype))),)


class Erfcx(UnaryMath):
    """e^(x^2) erfc(x); its derivative is 2 x erfcx(x) - 2 / sqrt(pi)."""

    function = staticmethod(special_math.erfcx)
    derivative = staticmethod(lambda a: 2 * a * special_math.erfcx(a) - _TWO_OVER_SQRT_PI)

    @quietly
    def backward_graph(ctx, g, out):
        return (g * (2 * ctx.inputs[0] * out - _TWO_OVER_SQRT_PI),)


def _no_first_derivative(ctx, name: str) -> None:
    if ctx.inputs[0]._requires_grad:
        raise NotImplementedError(f"the derivative of special.{name} with respect to its first argument is not "
                                  "implemented (as in PyTorch)")


class Zeta(Op):
    """The Hurwitz zeta function zeta(x, q); d/dq = -x zeta(x + 1, q); no derivative in x (PyTorch has none)."""

    def forward(ctx, K, x, q):
        ctx.saved = (x, q)
        return special_math.zeta(x, q)

    def backward(ctx, K, g):
        _no_first_derivative(ctx, "zeta")
        x, q = ctx.saved
        with np.errstate(invalid="ignore"):
            return None, K.multiply(g, -x * special_math.zeta(x + 1, q))

    @quietly
    def backward_graph(ctx, g, out):
        _no_first_derivative(ctx, "zeta")
        x, q = ctx.inputs
        return None, g * -x * apply(Zeta, x + 1, q)


class Gammainc(Op):
    """The regularized lower incomplete gamma function P(a, x) (Gammaincc: the upper, Q = 1 - P); d/dx P =
    x^(a-1) e^-x / Gamma(a) (negated for Q); no derivative in a (PyTorch has none)."""

    upper = False

    def forward(ctx, K, a, x):
        ctx.saved = (a, x)
        return (special_math.gammaincc if ctx.op.upper else special_math.gammainc)(a, x)

    @staticmethod
    def _density(a, x):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.exp((a - 1) * np.log(x) - x - special_math.lgamma(a))

    def backward(ctx, K, g):
        _no_first_derivative(ctx, "gammaincc" if ctx.op.upper else "gammainc")
        density = Gammainc._density(*ctx.saved)
        return None, K.multiply(g, -density if ctx.op.upper else density)

    @quietly
    def backward_graph(ctx, g, out):
        _no_first_derivative(ctx, "gammaincc" if ctx.op.upper else "gammainc")
        a, x = ctx.inputs
        density = ((a - 1) * x.log() - x - a.lgamma()).exp()
        return None, g * (-density if ctx.op.upper else density)


class Gammaincc(Gammainc):
    upper = True
    backward_graph = Gammainc.backward_graph  # (the formula reads upper from the op: declared here to count)

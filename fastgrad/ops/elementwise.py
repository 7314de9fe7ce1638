"""Elementwise ops: arithmetic with broadcasting, math functions, activations.

Each op reads: forward kernel, then the backward formula (the local derivative times the upstream g).
"""
from __future__ import annotations

import math

import numpy as np

from fastgrad.autograd.graph import Op, apply
from fastgrad.ops import special_math
from fastgrad.ops.recorded import constant, quietly, select, zeros_like


# -- arithmetic (inputs broadcast; the graph layer sums gradients back to each input's shape) ------
class Add(Op):
    saves_inputs = False

    def forward(ctx, K, a, b):
        return K.add(a, b)

    def backward(ctx, K, g):
        return g, g

    def backward_graph(ctx, g, out):
        return g, g


class Sub(Op):
    saves_inputs = False

    def forward(ctx, K, a, b):
        return K.subtract(a, b)

    def backward(ctx, K, g):
        return g, K.negative(g)

    def backward_graph(ctx, g, out):
        return g, -g


class Mul(Op):
    def forward(ctx, K, a, b):
        need_a, need_b = ctx.inputs[0]._requires_grad, ctx.inputs[1]._requires_grad
        if not need_b:  # d/da needs only b: a may change in place afterwards (y = x * 2; y.mul_(3))
            ctx.mark_unsaved(0)
        if not need_a:
            ctx.mark_unsaved(1)
        ctx.saved = (a if need_b else None, b if need_a else None)
        return K.multiply(a, b)

    def backward(ctx, K, g):
        a, b = ctx.saved
        return (None if b is None else K.multiply(g, b)), (None if a is None else K.multiply(g, a))

    def backward_graph(ctx, g, out):
        a, b = ctx.inputs
        return (g * b if a._requires_grad else None), (g * a if b._requires_grad else None)


class Div(Op):
    def forward(ctx, K, a, b):
        if not ctx.inputs[1]._requires_grad:  # d/da = 1/b: a is not needed
            ctx.mark_unsaved(0)
        ctx.saved = (a if ctx.inputs[1]._requires_grad else None, b)
        return K.divide(a, b)

    def backward(ctx, K, g):
        a, b = ctx.saved
        g_a = K.divide(g, b)
        if a is None:
            return g_a, None
        return g_a, K.negative(K.multiply(g_a, K.divide(a, b)))  # d(a/b)/db = -a/b^2

    def backward_graph(ctx, g, out):
        a, b = ctx.inputs
        g_a = g / b
        return g_a, (-(g_a * a / b) if b._requires_grad else None)


class Pow(Op):
    """a ** b for tensors a, b (b may be a constant tensor built from a Python number)."""

    saves_output = True

    @staticmethod
    def power(K, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # NumPy's power takes a lone exponent of 0.5 as sqrt (NaN at -inf, -0.0 at -0.0); PyTorch's pow of a tensor
        # exponent is pow's (inf, 0.0) everywhere: the exponent spelled out defeats NumPy's shortcut
        if b.size == 1 and b.dtype.kind == "f" and b.reshape(-1)[0] == 0.5:
            shape = np.broadcast_shapes(a.shape, b.shape)  # (a 0-d exponent is a lone one too: spelled out as 1-d)
            return K.power(a, np.full(shape or (1,), 0.5, b.dtype)).reshape(shape)
        return K.power(a, b)

    def forward(ctx, K, a, b):
        # bool ** bool stays bool (NumPy's power gives int8): a ** b is 0 only for 0 ** 1
        if a.dtype == b.dtype == np.bool_:
            out = np.logical_or(a, ~b)
        elif b.dtype.kind in "iu" and a.dtype.kind in "iu" and (b < 0).any():
            out = _integer_power(K, a, b)
        else:
            out = ctx.op.power(K, a, b)
        ctx.saved = (a, b, out)
        return out

    def backward(ctx, K, g):
        a, b, out = ctx.saved
        # PyTorch's conventions: d(a^b)/da = b a^(b-1), but 0 where b == 0 (also at a == 0, where the
        # formula gives 0 * inf); d(a^b)/db = a^b ln a, NaN for a < 0, and 0 at a == 0 with b >= 0.
        with np.errstate(divide="ignore", invalid="ignore"):
            g_a = K.multiply(g, np.where(b == 0, 0, K.multiply(b, ctx.op.power(K, a, b - 1))))
            if not ctx.inputs[1].requires_grad:  # the common case: a constant exponent
                return g_a, None
            g_b = K.multiply(g, np.where((a == 0) & (b >= 0), 0, K.multiply(out, K.log(a))))
        return g_a, g_b

    def backward_graph(ctx, g, out):
        a, b = ctx.inputs
        g_a = g_b = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if a._requires_grad:
                # (a number exponent stays a number, whose power is PyTorch's scalar kernel: see PowOfNumber)
                power = a ** (b.item() - 1) if ctx.op is PowOfNumber else a ** (b - 1)
                g_a = g * select(b._data != 0, b * power)
            if b._requires_grad:
                g_b = g * select(~((a._data == 0) & (b._data >= 0)), out * a.log())
        return g_a, g_b


class PowOfConstant(Pow):
    """a ** b where b needs no gradient: PyTorch saves a and b, and the output only for b's gradient, so a backward
    does not refuse a later in-place change of the output."""

    saves_output = False
    backward_graph = Pow.backward_graph


class PowOfNumber(PowOfConstant):
    """a ** b for a Python number b. PyTorch computes a number exponent of 0.5 as sqrt (NaN at -inf, -0.0 at -0.0,
    as NumPy's power does with one exponent) and one of -0.5 as rsqrt, 1 / sqrt(a): -inf at a = -0.0 (where pow
    gives +inf), NaN at -inf (pow: 0). Its gradient of a ** 0.5 is 0.5 a ** -0.5, so that is -inf at -0.0 too, as
    sqrt's."""

    @staticmethod
    def power(K, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if b.ndim == 0 and b == -0.5 and a.dtype.kind == "f":
            return K.divide(a.dtype.type(1), K.sqrt(a))
        return K.power(a, b)

    backward_graph = Pow.backward_graph


PowOfConstant.__name__ = PowOfNumber.__name__ = "Pow"  # (its grad_fn is PowBackward, as PyTorch names both)

def _integer_power(K, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer a ** b where some b < 0, which NumPy refuses, as PyTorch computes it: 1 / a^|b| truncated, so
    1 for a == 1, +-1 for a == -1 (by the parity of b) and 0 for any other a (0 included)."""
    negative = b < 0
    out = K.power(a, np.where(negative, 0, b).astype(b.dtype))
    unit_power = np.where(a == 1, 1, np.where(a == -1, 1 - 2 * (b % 2 != 0), 0))
    return np.where(negative, unit_power, out).astype(out.dtype, copy=False)


class Maximum(Op):
    """Elementwise max; at ties the gradient is split evenly (the subgradient PyTorch uses). Each operand's
    share is 1 unless the other wins (1/2 at a tie), so where a NaN makes the two incomparable both get the
    whole gradient, as in PyTorch."""

    kernel, a_wins = "maximum", staticmethod(np.greater)

    def forward(ctx, K, a, b):
        ctx.saved = (a, b)
        return getattr(K, ctx.op.kernel)(a, b)

    def backward(ctx, K, g):
        share_a, share_b = _shares(ctx.op, *ctx.saved, g.dtype)
        return K.multiply(g, share_a), K.multiply(g, share_b)

    def backward_graph(ctx, g, out):
        share_a, share_b = _shares(ctx.op, *ctx.saved, g._data.dtype)
        return g * constant(share_a), g * constant(share_b)


class Minimum(Maximum):
    kernel, a_wins = "minimum", staticmethod(np.less)
    backward_graph = Maximum.backward_graph  # the same formula, with a_wins = less


def _shares(op, a: np.ndarray, b: np.ndarray, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Each operand's share of maximum's (minimum's) gradient: 1 unless the other wins, 1/2 at a tie."""
    tie = 0.5 * (a == b)
    return (1 - op.a_wins(b, a) - tie).astype(dtype), (1 - op.a_wins(a, b) - tie).astype(dtype)


class Where(Op):
    """cond ? a : b; the condition gets no gradient."""

    def forward(ctx, K, cond, a, b):
        ctx.saved = (cond,)
        return K.where(cond, a, b)

    def backward(ctx, K, g):
        (cond,) = ctx.saved
        zero = g.dtype.type(0)
        return None, K.where(cond, g, zero), K.where(cond, zero, g)

    def backward_graph(ctx, g, out):
        (cond,) = ctx.saved
        return None, select(cond, g), select(~cond, g)


class IntegerDivisionByZero(ZeroDivisionError, RuntimeError):
    """Python's error for it, and a RuntimeError, which is what PyTorch raises (saying "ZeroDivisionError")."""


def _check_integer_divisor(a: np.ndarray, b: np.ndarray, name: str) -> None:
    """Integer division by zero raises (as in PyTorch); NumPy would warn and return 0. An empty result divides
    nothing, so a 0 divisor there is no error (as in PyTorch)."""
    if (a.dtype.kind in "iu" and b.dtype.kind in "iu" and not np.all(b)
            and 0 not in np.broadcast_shapes(a.shape, b.shape)):
        raise IntegerDivisionByZero(f"{name}: integer division by zero (the divisor holds a 0)")


class FloorDivide(Op):
    """floor(a / b). PyTorch defines no derivative for it: its output still requires grad, and a
    backward pass through it raises, so fastgrad's does the same."""

    saves_inputs = False

    def forward(ctx, K, a, b):
        _check_integer_divisor(a, b, "floor_divide")
        return K.floor_divide(a, b)

    def backward(ctx, K, g):
        raise RuntimeError("the derivative for floor_divide is not implemented (as in PyTorch); detach its "
                           "inputs or compute it under fastgrad.no_grad()")


class RoundedDivide(Op):
    """a / b rounded toward zero ("trunc") or down ("floor"), as torch.div's rounding modes: integers stay
    integers (exact, no float detour), floats round the quotient (floor as NumPy's and PyTorch's floor_divide,
    which corrects the quotient with fmod). A step function: the gradient is zero for both, as PyTorch's, which
    saves what true division saves all the same (b, and a when b requires grad): backward refuses as it does once
    they changed in place since."""

    def forward(ctx, K, a, b, mode):
        if not ctx.inputs[1]._requires_grad:
            ctx.mark_unsaved(0)
        _check_integer_divisor(a, b, "div")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf and NaN as PyTorch gives them
            if mode == "floor":
                return K.floor_divide(a, b)
            if a.dtype.kind == "f":
                return np.trunc(K.divide(a, b))
            return np.floor_divide(a - np.fmod(a, b), b)  # a - fmod(a, b) is a multiple of b: exact

    def backward(ctx, K, g):
        return np.zeros_like(g), np.zeros_like(g)

    def backward_graph(ctx, g, out):
        return zeros_like(g), zeros_like(g)


class Remainder(Op):
    """a - floor(a / b) * b, with the sign of b as Python's %; d/da = 1 and d/db = -floor(a / b)."""

    def forward(ctx, K, a, b):
        _check_integer_divisor(a, b, "remainder")
        ctx.saved = (a, b)
        out = K.remainder(a, b)
        if out.dtype.kind == "f":  # a zero has a's sign, as PyTorch's (which corrects C's fmod), not b's as NumPy's
            out = np.where(out == 0, np.copysign(out, a).astype(out.dtype, copy=False), out)
        return out

    def backward(ctx, K, g):
        a, b = ctx.saved
        if not ctx.inputs[1].requires_grad:
            return g, None
        with np.errstate(divide="ignore", invalid="ignore"):
            return g, K.multiply(g, K.negative(K.floor_divide(a, b)))

    @quietly
    def backward_graph(ctx, g, out):  # floor(a / b) is a step: a constant factor
        a, b = ctx.saved
        return g, (g * constant(-np.floor_divide(a, b)) if ctx.inputs[1]._requires_grad else None)


# -- unary math ------------------------------------------------------------------------------------
class Neg(Op):
    saves_inputs = False

    def forward(ctx, K, a):
        return K.negative(a)

    def backward(ctx, K, g):
        return (K.negative(g),)

    def backward_graph(ctx, g, out):
        return (-g,)


class Exp(Op):
    saves_inputs, saves_output = False, True

    def forward(ctx, K, a):
        ctx.saved = K.exp(a)
        return ctx.saved

    def backward(ctx, K, g):
        return (K.multiply(g, ctx.saved),)  # d e^a = e^a, the saved output

    def backward_graph(ctx, g, out):
        return (g * out,)


class Log(Op):
    def forward(ctx, K, a):
        ctx.saved = a
        return K.log(a)

    def backward(ctx, K, g):
        return (K.divide(g, ctx.saved),)

    def backward_graph(ctx, g, out):
        return (g / ctx.inputs[0],)


class Sqrt(Op):
    saves_inputs, saves_output = False, True

    def forward(ctx, K, a):
        ctx.saved = K.sqrt(a)
        return ctx.saved

    def backward(ctx, K, g):
        return (K.divide(g, 2 * ctx.saved),)

    def backward_graph(ctx, g, out):
        return (g / (out * 2),)


class Abs(Op):
    def forward(ctx, K, a):
        ctx.saved = a
        return K.absolute(a)

    def backward(ctx, K, g):
        return (K.multiply(g, K.sign(ctx.saved)),)

    def backward_graph(ctx, g, out):
        return (g * constant(np.sign(ctx.inputs[0]._data)),)


class Clamp(Op):
    """Clip to [low, high] (either may be None); the gradient passes where the input was inside and is 0
    elsewhere, even where it is NaN or inf (selected, not multiplied by 0), as PyTorch's."""

    def forward(ctx, K, a, low=None, high=None):
        ctx.saved = (a, low, high)
        return K.clip(a, low, high)

    def backward(ctx, K, g):
        return (K.where(_inside(*ctx.saved), g, g.dtype.type(0)),)

    def backward_graph(ctx, g, out):
        return (select(_inside(*ctx.saved), g),)


class ClampBetweenTensors(Op):
    """clamp(a, min=low, max=high) with tensor bounds (one may be absent: `bounds` names those given, "low", "high"
    or both), broadcast together: a NaN in a or a bound gives NaN. The gradient goes by PyTorch's masks
    (clamp_backward_min_max), which it follows even at NaNs and where low > high (the result is high there): a
    where low <= a <= high; low where a < low < high; high where a > high or high < low. With one bound, a where it
    is inside, the bound where a is beyond it."""

    def forward(ctx, K, a, *given, bounds):
        ctx.saved = (a, dict(zip(bounds, given)))
        out = a
        for name, bound in zip(bounds, given):
            beyond = out < bound if name == "low" else out > bound
            out = np.where(beyond | np.isnan(bound), bound, out)
        return out

    def backward(ctx, K, g):
        return tuple(np.where(mask, g, g.dtype.type(0)) for mask in _clamp_gradient_masks(ctx, g.shape))

    def backward_graph(ctx, g, out):
        return tuple(select(mask, g) for mask in _clamp_gradient_masks(ctx, g.shape))


def _clamp_gradient_masks(ctx, shape: tuple) -> list:
    """Where ClampBetweenTensors passes its gradient to a and to each bound given (PyTorch's comparisons, False at
    NaNs), broadcast to the output's shape."""
    a, bounds = ctx.saved
    low, high = bounds.get("low"), bounds.get("high")
    if low is not None and high is not None:
        masks = [(a >= low) & (a <= high), (a < low) & (low < high), (a > high) | (high < low)]
    elif low is not None:
        masks = [a >= low, a < low]
    else:
        masks = [a <= high, a > high]
    return [np.broadcast_to(mask, shape) for mask in masks]


def _inside(a: np.ndarray, low, high) -> np.ndarray:
    """Where a lies within [low, high] (either bound may be None), as a mask."""
    inside = np.ones(a.shape, dtype=bool)
    if low is not None:
        inside &= a >= low
    if high is not None:
        inside &= a <= high
    return inside


class Log1p(Op):
    def forward(ctx, K, a):
        ctx.saved = a
        return K.log1p(a)

    def backward(ctx, K, g):
        return (K.divide(g, 1 + ctx.saved),)  # d log(1 + a) = 1 / (1 + a)

    def backward_graph(ctx, g, out):
        return (g / (ctx.inputs[0] + 1),)


class Expm1(Op):
    saves_inputs, saves_output = False, True

    def forward(ctx, K, a):
        ctx.saved = K.expm1(a)
        return ctx.saved

    def backward(ctx, K, g):
        return (K.multiply(g, ctx.saved + 1),)  # d (e^a - 1) = e^a, the output plus 1

    def backward_graph(ctx, g, out):
        return (g * (out + 1),)


class Sin(Op):
    def forward(ctx, K, a):
        ctx.saved = a
        return K.sin(a)

    def backward(ctx, K, g):
        return (K.multiply(g, K.cos(ctx.saved)),)

    def backward_graph(ctx, g, out):
        return (g * ctx.inputs[0].cos(),)


class Cos(Op):
    def forward(ctx, K, a):
        ctx.saved = a
        return K.cos(a)

    def backward(ctx, K, g):
        return (K.negative(K.multiply(g, K.sin(ctx.saved))),)

    def backward_graph(ctx, g, out):
        return (-(g * ctx.inputs[0].sin()),)


class Square(Op):
    def forward(ctx, K, a):
        ctx.saved = a
        return K.square(a)

    def backward(ctx, K, g):
        return (K.multiply(g, 2 * ctx.saved),)

    def backward_graph(ctx, g, out):
        return (g * (ctx.inputs[0] * 2),)


class Sign(Op):
    """-1, 0 or 1; flat everywhere it is differentiable, so the gradient is zero (as in PyTorch)."""

    saves_inputs = False

    def forward(ctx, K, a):
        return K.sign(a)

    def backward(ctx, K, g):
        return (np.zeros_like(g),)

    def backward_graph(ctx, g, out):
        return (zeros_like(g),)


class Round(Op):
    """floor, ceil, trunc or round (half to even, at `decimals` places) of each element: steps, flat
    wherever they are differentiable, so the gradient is zero, as in PyTorch."""

    saves_inputs = False

    def forward(ctx, K, a, mode, decimals):
        if mode == "round":
            return np.round(a, decimals)
        return {"floor": np.floor, "ceil": np.ceil, "trunc": np.trunc}[mode](a)

    def backward(ctx, K, g):
        return (np.zeros_like(g),)

    def backward_graph(ctx, g, out):
        return (zeros_like(g),)


class ZeroNan(Op):
    """NaN elements replaced by zero (for nansum and nanmean). The gradient multiplies g by the mask of
    the other elements, as PyTorch's, rather than selecting: an infinite g (the mean over a slice that is
    all NaN divides by a count of 0) gives NaN there, not a plausible 0."""

    def forward(ctx, K, a):
        ctx.saved = kept = ~np.isnan(a)
        return np.where(kept, a, 0)

    def backward(ctx, K, g):
        with np.errstate(invalid="ignore"):  # inf * 0 is the NaN wanted
            return (K.multiply(g, ctx.saved.astype(g.dtype)),)

    @quietly
    def backward_graph(ctx, g, out):
        return (g * constant(ctx.saved.astype(g._data.dtype)),)


class Reciprocal(Op):
    saves_inputs, saves_output = False, True

    def forward(ctx, K, a):
        ctx.saved = K.reciprocal(a)
        return ctx.saved

    def backward(ctx, K, g):
        return (K.negative(K.multiply(g, K.square(ctx.saved))),)  # d (1/a) = -1/a^2 = -out^2

    def backward_graph(ctx, g, out):
        return (-(g * out * out),)


class Rsqrt(Op):
    saves_inputs, saves_output = False, True

    def forward(ctx, K, a):
        ctx.saved = K.rsqrt(a)
        return ctx.saved

    def backward(ctx, K, g):
        out = ctx.saved
        return (K.multiply(g, -0.5 * out * out * out),)  # d a^(-1/2) = -a^(-3/2) / 2 = -out^3 / 2

    def backward_graph(ctx, g, out):
        return (g * (out * out * out) * -0.5,)


# -- activations (the backend may fuse forward/backward passes) ------------------------------------
class Activation(Op):
    """y = K.<forward_kernel>(x, **params); backward K.<backward_kernel>(g, saved, **params), where `saved`
    is the output when the derivative is a function of it (relu, tanh, sigmoid) and the input otherwise."""

    forward_kernel = backward_kernel = ""
    from_output = False

    def forward(ctx, K, x, **params):
        y = getattr(K, ctx.op.forward_kernel)(x, **params)
        ctx.saved = (y if ctx.op.from_output else x, params)
        return y

    def backward(ctx, K, g):
        saved, params = ctx.saved
        return (getattr(K, ctx.op.backward_kernel)(g, saved, **params),)


class Relu(Activation):
    forward_kernel, backward_kernel = "relu", "relu_backward"  # relu' = [not y <= 0]: 1 at NaN, as PyTorch's
    from_output, saves_inputs, saves_output = True, False, True

    def forward(ctx, K, x, **params):
        if x.dtype.kind == "b":
            raise RuntimeError("relu: bool tensors are not supported (as in PyTorch)")
        if x.dtype.kind in "iu":  # PyTorch's relu of integers stays integer (nothing to differentiate: no kernel)
            return np.maximum(x, x.dtype.type(0))
        return Activation.forward(ctx, K, x, **params)

    def backward_graph(ctx, g, out):
        return (select(~(out._data <= 0), g),)


class Tanh(Activation):
    forward_kernel, backward_kernel = "tanh", "tanh_backward"  # tanh' = 1 - y^2
    from_output, saves_inputs, saves_output = True, False, True

    def backward_graph(ctx, g, out):
        return (g * (1 - out * out),)


class Sigmoid(Activation):
    forward_kernel, backward_kernel = "sigmoid", "sigmoid_backward"  # sigmoid' = y (1 - y)
    from_output, saves_inputs, saves_output = True, False, True

    def backward_graph(ctx, g, out):
        return (g * out * (1 - out),)


class LeakyRelu(Activation):
    forward_kernel, backward_kernel = "leaky_relu", "leaky_relu_backward"

    def backward_graph(ctx, g, out):
        x, params = ctx.saved
        return (select(x > 0, g, g * params["slope"]),)


class Hardtanh(Activation):
    forward_kernel, backward_kernel = "hardtanh", "hardtanh_backward"

    def backward_graph(ctx, g, out):
        x, params = ctx.saved
        return (select(~((x <= params["low"]) | (x >= params["high"])), g),)


class Silu(Activation):
    forward_kernel, backward_kernel = "silu", "silu_backward"  # silu' = s (1 + x (1 - s)) with s = sigmoid(x)

    def backward_graph(ctx, g, out):
        x = ctx.inputs[0]
        s = x.sigmoid()
        return (g * (s * (1 + x * (1 - s))),)


class Gelu(Activation):
    # gelu' = Phi(x) + x phi(x) (or the derivative of the tanh approximation)
    forward_kernel, backward_kernel = "gelu", "gelu_backward"

    def backward_graph(ctx, g, out):
        x, approximate = ctx.inputs[0], ctx.saved[1]["approximate"]
        if approximate == "tanh":
            c = math.sqrt(2 / math.pi)
            t = ((x + x * x * x * 0.044715) * c).tanh()
            return (g * ((1 + t) * 0.5 + x * (1 - t * t) * (1 + x * x * (3 * 0.044715)) * (0.5 * c)),)
        cdf = ((x * math.sqrt(0.5)).erf() + 1) * 0.5
        pdf = (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))
        return (g * (cdf + x * pdf),)


class Elu(Activation):
    forward_kernel, backward_kernel = "elu", "elu_backward"  # elu' = 1 for x > 0, alpha e^x otherwise

    def backward_graph(ctx, g, out):
        x, params = ctx.inputs[0], ctx.saved[1]
        return (select(~(x._data <= 0), g, g * x.clamp(max=0).exp() * params["alpha"]),)


class Softplus(Activation):
    # softplus' = sigmoid(beta x), and 1 above the threshold
    forward_kernel, backward_kernel = "softplus", "softplus_backward"

    def backward_graph(ctx, g, out):
        x, params = ctx.inputs[0], ctx.saved[1]
        scaled = x * params["beta"]
        return (select(scaled._data > params["threshold"], g, g * scaled.clamp(max=params["threshold"]).sigmoid()),)


class LogSigmoid(Activation):
    # (log sigmoid)' = 1 - sigmoid(x) = sigmoid(-x)
    forward_kernel, backward_kernel = "log_sigmoid", "log_sigmoid_backward"

    def backward_graph(ctx, g, out):
        return (g * (-ctx.inputs[0]).sigmoid(),)


class Prelu(Op):
    """max(0, x) + weight * min(0, x), one learned slope per channel (dim 1) or one for all."""

    def forward(ctx, K, x, weight):
        w = weight.reshape(_slope_shape(x.ndim, weight.size))
        ctx.saved = (x, w, weight.shape)
        return K.where(x > 0, x, K.multiply(w, x))

    def backward(ctx, K, g):
        x, w, weight_shape = ctx.saved
        positive = x > 0
        g_x = K.where(positive, g, K.multiply(g, w))
        g_w_full = K.where(positive, 0, K.multiply(g, x))
        if w.size > 1:
            axes = tuple(i for i in range(x.ndim) if i != 1)
            g_w = g_w_full.sum(axis=axes).reshape(weight_shape)
        else:
            g_w = np.asarray(g_w_full.sum(), dtype=g.dtype).reshape(weight_shape)
        return g_x, g_w

    def backward_graph(ctx, g, out):
        x, weight = ctx.inputs
        positive = x._data > 0
        w = weight.reshape(_slope_shape(x.ndim, weight._data.size))
        g_x = select(positive, g, g * w) if x._requires_grad else None
        if not weight._requires_grad:
            return g_x, None
        # x selected too: an infinite x where it is positive would send NaN (0 * inf) into the second derivative
        # through the (zero) gradient of the branch not taken
        g_w_full = select(~positive, g * select(~positive, x))
        if weight._data.size > 1:
            g_w_full = g_w_full.sum(dim=tuple(i for i in range(x.ndim) if i != 1))
        else:
            g_w_full = g_w_full.sum()
        return g_x, g_w_full.reshape(weight.shape)


def _slope_shape(x_ndim: int, slopes: int) -> tuple[int, ...]:
    """The shape prelu's slopes take to broadcast with x: one per channel along dim 1, or one for all as a 0-d
    factor (so that a 0-d x keeps its shape)."""
    return (1, -1) + (1,) * (x_ndim - 2) if x_ndim >= 2 and slopes > 1 else ()


# -- trigonometric, hyperbolic and error functions: NumPy's ufunc, and the derivative of the input --------
class UnaryMath(Op):
    """y = function(a); backward g * derivative(a). The backends have no kernels for these (NumPy's run). Each
    subclass writes its recorded backward itself: `derivative` computes on arrays."""

    function = derivative = None

    def forward(ctx, K, a):
        ctx.saved = a
        return ctx.op.function(a).astype(a.dtype, copy=False)

    def backward(ctx, K, g):
        with np.errstate(divide="ignore", invalid="ignore"):  # outside the domain: inf or NaN, as in PyTorch
            return (K.multiply(g, ctx.op.derivative(ctx.saved).astype(g.dtype, copy=False)),)


class OutputDerivativeMath(Op):
    """y = function(a), whose derivative PyTorch computes from the output: backward g * derivative(y). So it saves y,
    not a, and refuses a backward once y changed in place, not once a did (an inverse function's derivative is
    easiest from its output; tan's and exp2's are PyTorch's choice). Each subclass writes its recorded backward
    itself: `derivative` computes on arrays."""

    saves_inputs, saves_output = False, True
    function = derivative = None

    def forward(ctx, K, a):
        ctx.saved = ctx.op.function(a).astype(a.dtype, copy=False)
        return ctx.saved

    def backward(ctx, K, g):
        with np.errstate(over="ignore", invalid="ignore"):  # inf at 0 and 1 for ndtri, as PyTorch's
            return (K.multiply(g, ctx.op.derivative(ctx.saved).astype(g.dtype, copy=False)),)


_erf, _erfc = special_math.erf, special_math.erfc  # libm's, one element at a time
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Tan(OutputDerivativeMath):
    function, derivative = staticmethod(np.tan), staticmethod(lambda y: 1 + y * y)  # sec^2 = 1 + tan^2

    @quietly
    def backward_graph(ctx, g, out):
        return (g * (1 + out * out),)


class Asin(UnaryMath):
    function, derivative = staticmethod(np.arcsin), staticmethod(lambda a: 1 / np.sqrt(1 - a * a))

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        return (g * (1 - a * a).rsqrt(),)


class Acos(UnaryMath):
    function, derivative = staticmethod(np.arccos), staticmethod(lambda a: -1 / np.sqrt(1 - a * a))

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        return (-(g * (1 - a * a).rsqrt()),)


class Atan(UnaryMath):
    function, derivative = staticmethod(np.arctan), staticmethod(lambda a: 1 / (1 + a * a))

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        return (g * (1 + a * a).reciprocal(),)


class Sinh(UnaryMath):
    function, derivative = staticmethod(np.sinh), staticmethod(np.cosh)

    @quietly
    def backward_graph(ctx, g, out):
        return (g * ctx.inputs[0].cosh(),)


class Cosh(UnaryMath):
    function, derivative = staticmethod(np.cosh), staticmethod(np.sinh)

    @quietly
    def backward_graph(ctx, g, out):
        return (g * ctx.inputs[0].sinh(),)


class Asinh(UnaryMath):
    function, derivative = staticmethod(np.arcsinh), staticmethod(lambda a: 1 / np.sqrt(a * a + 1))

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        return (g * (a * a + 1).rsqrt(),)


class Acosh(UnaryMath):
    # 1 / sqrt(a^2 - 1), written as PyTorch's 1 / (sqrt(a - 1) sqrt(a + 1)): NaN below 1, not a number
    function, derivative = staticmethod(np.arccosh), staticmethod(lambda a: 1 / (np.sqrt(a - 1) * np.sqrt(a + 1)))

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        return (g * ((a - 1).sqrt() * (a + 1).sqrt()).reciprocal(),)


class Atanh(UnaryMath):
    function, derivative = staticmethod(np.arctanh), staticmethod(lambda a: 1 / (1 - a * a))

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        return (g * (1 - a * a).reciprocal(),)


class Erf(UnaryMath):
    function, derivative = staticmethod(_erf), staticmethod(lambda a: _TWO_OVER_SQRT_PI * np.exp(-a * a))

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        return (g * ((-(a * a)).exp() * _TWO_OVER_SQRT_PI),)


class Erfc(UnaryMath):
    function, derivative = staticmethod(_erfc), staticmethod(lambda a: -_TWO_OVER_SQRT_PI * np.exp(-a * a))

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        return (g * ((-(a * a)).exp() * -_TWO_OVER_SQRT_PI),)


# -- binary math (inputs broadcast) --------------------------------------------------------------------
class Atan2(Op):
    """The angle of the point (b, a): d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2); 0 at the origin, as
    PyTorch's."""

    def forward(ctx, K, a, b):
        ctx.saved = (a, b)
        return np.arctan2(a, b)

    def backward(ctx, K, g):
        a, b = ctx.saved
        squared = a * a + b * b
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = np.where(squared == 0, 0, g / squared).astype(np.result_type(g, squared), copy=False)
        return K.multiply(scaled, b), K.negative(K.multiply(scaled, a))

    @quietly
    def backward_graph(ctx, g, out):
        a, b = ctx.inputs
        squared = a * a + b * b
        # 0 at the origin, and linear in g there too; the second derivative in a and b is NaN there (the
        # reciprocal's inf times the zero gradient of the branch not taken), as PyTorch's: it does not exist
        scaled = g * select(squared._data != 0, squared.reciprocal())
        return (scaled * b if a._requires_grad else None), (-(scaled * a) if b._requires_grad else None)


class Hypot(Op):
    """sqrt(a^2 + b^2) without overflow: d/da = a / out, d/db = b / out."""

    saves_output = True

    def forward(ctx, K, a, b):
        out = np.hypot(a, b)
        ctx.saved = (a, b, out)
        return out

    def backward(ctx, K, g):
        a, b, out = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = g / out
        return K.multiply(scaled, a), K.multiply(scaled, b)

    @quietly
    def backward_graph(ctx, g, out):
        a, b = ctx.inputs
        scaled = g / out
        return (scaled * a if a._requires_grad else None), (scaled * b if b._requires_grad else None)


class LogAddExp(Op):
    """log(base^a + base^b) for base e or 2, without overflow: d/da = 1 / (1 + base^(b - a)), d/db likewise,
    as PyTorch computes them (base^(a - out) would be NaN at an infinite a where the slope is 1 or 0).
    `power` is base^x on arrays, `tensor_power` the Tensor method computing it (for the recorded backward)."""

    function, power, tensor_power = staticmethod(np.logaddexp), staticmethod(np.exp), "exp"

    def forward(ctx, K, a, b):
        ctx.saved = (a, b)
        return ctx.op.function(a, b)

    def backward(ctx, K, g):
        a, b = ctx.saved
        with np.errstate(invalid="ignore", over="ignore"):
            return K.multiply(g, 1 / (1 + ctx.op.power(b - a))), K.multiply(g, 1 / (1 + ctx.op.power(a - b)))

    @quietly
    def backward_graph(ctx, g, out):
        a, b = ctx.inputs
        return tuple(g * (1 + getattr(y - x, ctx.op.tensor_power)()).reciprocal() if x._requires_grad else None
                     for x, y in ((a, b), (b, a)))


class LogAddExp2(LogAddExp):
    function, power, tensor_power = staticmethod(np.logaddexp2), staticmethod(np.exp2), "exp2"
    backward_graph = LogAddExp.backward_graph  # the same formula, in base 2


class Fmod(Op):
    """a - trunc(a / b) * b, with the sign of a (C's fmod); d/da = 1 and d/db = -trunc(a / b)."""

    def forward(ctx, K, a, b):
        _check_integer_divisor(a, b, "fmod")
        ctx.saved = (a, b)
        return np.fmod(a, b)

    def backward(ctx, K, g):
        a, b = ctx.saved
        if not ctx.inputs[1].requires_grad:
            return g, None
        with np.errstate(divide="ignore", invalid="ignore"):
            return g, K.multiply(g, K.negative(np.trunc(a / b).astype(g.dtype, copy=False)))

    @quietly
    def backward_graph(ctx, g, out):  # trunc(a / b) is a step: a constant factor
        a, b = ctx.saved
        return g, (g * constant(-np.trunc(a / b).astype(g._data.dtype, copy=False)) if ctx.inputs[1]._requires_grad
                   else None)


# -- logarithms, exponentials and special functions (fastgrad.ops.special_math computes the hard ones) --------
_LN2, _LN10 = math.log(2), math.log(10)


class Log2(UnaryMath):
    function, derivative = staticmethod(special_math.log2), staticmethod(lambda a: 1 / (a * _LN2))

    @quietly
    def backward_graph(ctx, g, out):
        return (g * (ctx.inputs[0] * _LN2).reciprocal(),)


class Log10(UnaryMath):
    function, derivative = staticmethod(special_math.log10), staticmethod(lambda a: 1 / (a * _LN10))

    @quietly
    def backward_graph(ctx, g, out):
        return (g * (ctx.inputs[0] * _LN10).reciprocal(),)


class Exp2(OutputDerivativeMath):
    function, derivative = staticmethod(special_math.exp2), staticmethod(lambda y: y * _LN2)

    @quietly
    def backward_graph(ctx, g, out):
        return (g * (out * _LN2),)


class Sinc(UnaryMath):
    """sin(pi a) / (pi a), 1 at 0; its derivative is 0 there."""

    function, derivative = staticmethod(special_math.sinc), staticmethod(special_math.sinc_derivative)

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0].double()  # in float64, as the array backward: the closed form cancels
        small = np.abs(a._data) < special_math.SINC_SERIES_RADIUS
        # each branch computed only where it serves (the series at 0 elsewhere, the closed form at 1 where the
        # series serves): the closed form's 0 / 0 at 0, or the series' overflow far out, would send NaN into the
        # second derivative through the (zero) gradient of the branch not taken
        series = special_math.sinc_derivative_near_zero(select(small, a))
        far = select(~small, a, constant(np.ones((), dtype=a._data.dtype)))
        closed = ((far * math.pi).cos() - far.sinc()) / far
        return (g * select(small, series, closed).to(g.dtype),)


class Lgamma(UnaryMath):
    function, derivative = staticmethod(special_math.lgamma), staticmethod(special_math.digamma)

    @quietly
    def backward_graph(ctx, g, out):
        return (g * ctx.inputs[0].digamma(),)


class I0(UnaryMath):
    """The modified Bessel function of the first kind of order 0; I0' = I1 (special_ops.I1 in the recorded
    backward)."""

    function, derivative = staticmethod(special_math.bessel_i0), staticmethod(special_math.bessel_i1)

    @quietly
    def backward_graph(ctx, g, out):
        from fastgrad.ops.special_ops import I1  # (it imports this module)

        return (g * apply(I1, ctx.inputs[0]),)


class Ndtr(UnaryMath):
    """The standard normal CDF; its derivative is the density."""

    function, derivative = staticmethod(special_math.ndtr), staticmethod(special_math.normal_density)

    @quietly
    def backward_graph(ctx, g, out):
        a = ctx.inputs[0]
        return (g * (a * a * -0.5 - special_math.LOG_SQRT_2PI).exp(),)


class LogNdtr(UnaryMath):
    function, derivative = staticmethod(special_math.log_ndtr), staticmethod(special_math.log_ndtr_derivative)

    @quietly
    def backward_graph(ctx, g, out):
        # phi(a) / ndtr(a), through log_ndtr (no underflow), in float64 as the array backward: far below 0 the
        # exponent cancels
        a = ctx.inputs[0].double()
        log_cdf = out if out._data.dtype == np.float64 else apply(LogNdtr, a)
        return (g * (a * a * -0.5 - log_cdf - special_math.LOG_SQRT_2PI).exp().to(g.dtype),)


class Entr(UnaryMath):
    """-a log a (0 at 0, -inf below); derivative -(1 + log a), as PyTorch's (inf at 0, NaN below)."""

    function, derivative = staticmethod(special_math.entr), staticmethod(lambda a: -(1 + np.log(a)))

    @quietly
    def backward_graph(ctx, g, out):
        return (g * -(ctx.inputs[0].log() + 1),)


class Polygamma(Op):
    """The n-th derivative of digamma (digamma itself for n = 0); its derivative is polygamma(n + 1)."""

    def forward(ctx, K, a, n):
        ctx.saved = (a, n)
        return special_math.polygamma(n, a)

    def backward(ctx, K, g):
        a, n = ctx.saved
        with np.errstate(invalid="ignore"):  # inf * 0 at the poles: NaN, as in PyTorch
            return (K.multiply(g, special_math.polygamma(n + 1, a)),)

    @quietly
    def backward_graph(ctx, g, out):
        return (g * ctx.inputs[0].polygamma(ctx.saved[1] + 1),)


class Erfinv(UnaryMath):
    """PyTorch's derivative computes erfinv(a) again from a, which it saves (not the output)."""

    function = staticmethod(special_math.erfinv)
    derivative = staticmethod(lambda a: 0.5 * math.sqrt(math.pi) * np.exp(special_math.erfinv(a) ** 2))

    @quietly
    def backward_graph(ctx, g, out):
        y = ctx.inputs[0].erfinv()
        return (g * ((y * y).exp() * (0.5 * math.sqrt(math.pi))),)


class Ndtri(OutputDerivativeMath):
    function = staticmethod(special_math.ndtri)
    derivative = staticmethod(lambda y: math.sqrt(2 * math.pi) * np.exp(0.5 * y * y))  # sqrt(2 pi) exp(ndtri(a)^2 / 2)

    @quietly
    def backward_graph(ctx, g, out):
        return (g * ((out * out * 0.5).exp() * math.sqrt(2 * math.pi)),)


class Logit(Op):
    """log(a / (1 - a)), with a first limited to [eps, 1 - eps] when eps is given (PyTorch's order of tests:
    below eps gives eps, else above 1 - eps gives 1 - eps). The derivative 1 / (a (1 - a)) is 0 where eps
    clipped, and NaN outside [0, 1] without eps, as PyTorch's."""

    def forward(ctx, K, a, eps):
        low, high = (0, 1) if eps is None else (a.dtype.type(eps), a.dtype.type(1 - eps))
        ctx.saved = (a, low, high, eps is None)
        if eps is not None:
            a = np.where(a < low, low, np.where(a > high, high, a))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a / (1 - a))

    def backward(ctx, K, g):
        a, low, high, unclipped = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.where((a < low) | (a > high), g.dtype.type(np.nan if unclipped else 0), g / (a * (1 - a))),)

    @quietly
    def backward_graph(ctx, g, out):
        _, low, high, unclipped = ctx.saved
        a = ctx.inputs[0]
        inside = ~((a._data < low) | (a._data > high))
        dtype = g._data.dtype
        # divided by 1 outside, where the result is a constant: a clipped 0 or 1 would send NaN into the second
        # derivative through the (zero) gradient of the branch not taken
        spread = select(inside, a * (1 - a), constant(np.ones((), dtype=dtype)))
        return (select(inside, g / spread, constant(np.array(np.nan if unclipped else 0, dtype=dtype))),)


class NanToNum(Op):
    """NaN, +inf and -inf replaced by the given values (in a's dtype: too large a value becomes inf there);
    the gradient passes where a was finite."""

    def forward(ctx, K, a, nan, posinf, neginf):
        ctx.saved = a
        with np.errstate(over="ignore"):
            nan, posinf, neginf = np.array([nan, posinf, neginf], dtype=np.float64).astype(a.dtype)
        return np.where(np.isnan(a), nan, np.where(a == np.inf, posinf, np.where(a == -np.inf, neginf, a)))

    def backward(ctx, K, g):
        return (K.multiply(g, np.isfinite(ctx.saved).astype(g.dtype)),)

    @quietly
    def backward_graph(ctx, g, out):
        return (g * constant(np.isfinite(ctx.saved).astype(g._data.dtype)),)


# -- binary math, continued (inputs broadcast, promoted to one floating dtype by the methods) -----------------
class Xlogy(Op):
    """a log b, 0 where a == 0 unless b is NaN (Xlog1py: a log1p(b), through `argument`, b or 1 + b). PyTorch's
    gradients: d/da = log b (the op itself of g and b, so a zero g gives 0), also 0 where a == 0 and its
    argument is <= 0; d/db = a / argument, taken as g a / argument."""

    log, argument = staticmethod(np.log), staticmethod(lambda b: b)  # (b itself: b + 0 would turn -0.0 into 0.0)

    def forward(ctx, K, a, b):
        ctx.saved = (a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((a == 0) & ~np.isnan(b), a.dtype.type(0), a * ctx.op.log(b))

    def backward(ctx, K, g):
        a, b = ctx.saved
        argument = ctx.op.argument(b)
        with np.errstate(divide="ignore", invalid="ignore"):
            g_a = np.where(((g == 0) & ~np.isnan(b)) | ((a == 0) & (argument <= 0)), g.dtype.type(0),
                           g * ctx.op.log(b))
            # (g a first, as PyTorch's: a zero g gives 0 where a / argument is inf, 1e30 / 1e-30 in float32)
            g_b = K.divide(K.multiply(g, a), argument) if ctx.inputs[1].requires_grad else None
        return g_a, g_b

    @quietly
    def backward_graph(ctx, g, out):
        a, b = ctx.inputs
        # the op of g and b is the zero of a zero g the array backward gives
        keep = ~((a._data == 0) & (ctx.op.argument(b._data) <= 0))
        g_a = select(keep, apply(ctx.op, g, b)) if a._requires_grad else None
        return g_a, (g * a / ctx.op.argument(b) if b._requires_grad else None)


class Xlog1py(Xlogy):
    """a log1p(b), 0 where a == 0 unless b is NaN."""

    log, argument = staticmethod(np.log1p), staticmethod(lambda b: b + 1)
    backward_graph = Xlogy.backward_graph  # (the formula reads log and argument from the op: declared here to count)


class Copysign(Op):
    """|a| with the sign (bit) of b. d/da = out / a, 0 where a == 0; b gets a zero gradient, as in PyTorch."""

    saves_output = True

    def forward(ctx, K, a, b):
        out = np.copysign(a, b)
        ctx.saved = (a, out)
        ctx.mark_unsaved(1)  # (only b's sign is read, in forward: b may change in place afterwards, as in PyTorch)
        return out

    def backward(ctx, K, g):
        return K.multiply(g, _copysign_ratio(*ctx.saved)), (np.zeros_like(g) if ctx.inputs[1].requires_grad else None)

    def backward_graph(ctx, g, out):  # the ratio is +-1 or 0: a constant factor
        return g * constant(_copysign_ratio(*ctx.saved)), (zeros_like(g) if ctx.inputs[1]._requires_grad else None)


def _copysign_ratio(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """copysign's derivative in a: out / a, and 0 where a == 0."""
    with np.errstate(invalid="ignore"):
        return np.where(a == 0, a.dtype.type(0), out / a)


class Fmax(Op):
    """Elementwise max that ignores NaN (NaN only where both are). PyTorch's gradient: all of g to a where
    a >= b or b is NaN, else to b (ties go to a, not split as maximum's)."""

    function, a_wins = staticmethod(np.fmax), staticmethod(np.greater_equal)

    def forward(ctx, K, a, b):
        ctx.saved = (a, b)
        return ctx.op.function(a, b)

    def backward(ctx, K, g):
        to_a = _fmax_to_a(ctx)
        zero = g.dtype.type(0)
        return np.where(to_a, g, zero), np.where(to_a, zero, g)

    def backward_graph(ctx, g, out):
        to_a = _fmax_to_a(ctx)
        return select(to_a, g), select(~to_a, g)


class Fmin(Fmax):
    function, a_wins = staticmethod(np.fmin), staticmethod(np.less_equal)
    backward_graph = Fmax.backward_graph  # the same formula, with a_wins = less_equal


def _fmax_to_a(ctx) -> np.ndarray:
    """Where fmax (fmin) sends the gradient to a: where a wins or ties, or b is NaN."""
    a, b = ctx.saved
    return ctx.op.a_wins(a, b) | np.isnan(b)


class Ldexp(Op):
    """a * 2**n for a floating point a and an integer n, by C's ldexp (exact; no 2**n formed, which may not
    fit a's dtype). d/da = 2**n, applied to g by ldexp too; n gets no gradient (an integer tensor). PyTorch's is
    a * 2.0**n, whose product saves its output as recorded: a backward refuses once the output changed in place,
    not once a or n did (its 2.0**n is new memory: here a copy of n)."""

    saves_inputs, saves_output = False, True

    def forward(ctx, K, a, n):
        ctx.saved = n.copy()
        with np.errstate(over="ignore"):
            return np.ldexp(a, n)

    def backward(ctx, K, g):
        with np.errstate(over="ignore"):
            return np.ldexp(g, ctx.saved), None

    def backward_graph(ctx, g, out):
        return apply(Ldexp, g, constant(ctx.saved)), None  # linear in g: ldexp again


class Nextafter(Op):
    """The next floating point number after a towards b. As PyTorch's: g reaches a where a != b, and b gets a
    zero gradient."""

    def forward(ctx, K, a, b):
        ctx.saved = (a, b)
        return np.nextafter(a, b)

    def backward(ctx, K, g):
        a, b = ctx.saved
        return np.where(a != b, g, g.dtype.type(0)), (np.zeros_like(g) if ctx.inputs[1].requires_grad else None)

    def backward_graph(ctx, g, out):
        a, b = ctx.saved
        return select(a != b, g), (zeros_like(g) if ctx.inputs[1]._requires_grad else None)


class Frexp(Op):
    """The mantissa of x = mantissa * 2**exponent, with |mantissa| in [0.5, 1) (x itself at 0, inf and NaN);
    the exponent, an integer, stays out of the graph. d mantissa / dx = 2**-exponent, applied exactly."""

    saves_inputs = False

    def forward(ctx, K, x):
        mantissa, ctx.saved = np.frexp(x)
        return mantissa

    def backward(ctx, K, g):
        return (np.ldexp(g, -ctx.saved).astype(g.dtype, copy=False),)

    def backward_graph(ctx, g, out):
        return (g.ldexp(constant(-ctx.saved)),)


class Angle(Op):
    """The angle of a real number in the complex plane: pi for negatives (-inf too), 0 otherwise, NaN for NaN;
    flat wherever differentiable, so the gradient is zero (as PyTorch's for real input)."""

    saves_inputs = False

    def forward(ctx, K, x):
        return np.where(np.isnan(x), x, np.where(x < 0, np.pi, 0.0)).astype(x.dtype, copy=False)

    def backward(ctx, K, g):
        return (np.zeros_like(g),)

    def backward_graph(ctx, g, out):
        return (zeros_like(g),)

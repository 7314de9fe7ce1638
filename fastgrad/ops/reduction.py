"""Reductions over all elements or over some dims, with `keepdim`."""
from __future__ import annotations


import numpy as np

from fastgrad.autograd.graph import Op, apply
from fastgrad.ops.recorded import constant, select
from fastgrad.ops.shape import Cat


def _in_dtype_of(out, x: np.ndarray):
    """A sum or product in x's dtype: NumPy widens bool and integers below int64 to int64, but the Tensor
    method has already chosen the dtype (int64 by default, else its dtype argument), as PyTorch."""
    return out if out.dtype == x.dtype else out.astype(x.dtype)


# (NumPy's module has a __getattr__, so Python 3.11 looks np.empty up the slow way each time; a loss's sum is
# expanded back every step)
_empty = np.empty


def _expand_back(g: np.ndarray, shape: tuple, axis, keepdims: bool) -> np.ndarray:
    """Copy a reduced gradient back over the reduced axes of an input of `shape`."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    out = _empty(shape, dtype=g.dtype)
    out[...] = g  # broadcasts over the reduced axes (np.broadcast_to costs more for small arrays)
    return out


def _count(shape: tuple, axis) -> int:
    """How many elements a reduction over `axis` (all when None) combines."""
    return int(np.prod(shape)) if axis is None else int(np.prod([shape[a] for a in axis]))


def _expand_back_recorded(g, shape: tuple, axis, keepdims: bool):
    """_expand_back on tensors, recorded: a reshape and a broadcast, both differentiable."""
    kept = tuple(1 if axis is None or i in axis else n for i, n in enumerate(shape))
    return g.reshape(kept).expand(shape)


class Sum(Op):
    saves_inputs = False

    def forward(ctx, K, x, axis=None, keepdims=False):
        ctx.saved = (x.shape, axis, keepdims)
        return _in_dtype_of(K.sum(x, axis, keepdims), x)

    def backward(ctx, K, g):
        shape, axis, keepdims = ctx.saved
        return (_expand_back(g, shape, axis, keepdims),)  # every input element contributed with slope 1

    def backward_graph(ctx, g, out):
        shape, axis, keepdims = ctx.saved
        return (_expand_back_recorded(g, shape, axis, keepdims),)


class Mean(Op):
    saves_inputs = False

    def forward(ctx, K, x, axis=None, keepdims=False):
        count = _count(x.shape, axis)
        ctx.saved = (x.shape, axis, keepdims, count)
        return K.divide(K.sum(x, axis, keepdims), x.dtype.type(count))

    def backward(ctx, K, g):
        shape, axis, keepdims, count = ctx.saved
        return (_expand_back(K.divide(g, g.dtype.type(count)), shape, axis, keepdims),)

    def backward_graph(ctx, g, out):
        shape, axis, keepdims, count = ctx.saved
        return (_expand_back_recorded(g / count, shape, axis, keepdims),)


class AMax(Op):
    """Max over any dims (torch.amax, and max() over all elements): the gradient is split evenly among
    the maximal elements of each reduced group, as PyTorch does for these reductions."""

    kernel = "amax"
    saves_output = True

    def forward(ctx, K, x, axis=None, keepdims=False):
        out = getattr(K, ctx.op.kernel)(x, axis, keepdims)
        ctx.saved = (x, out, axis, keepdims)
        return out

    def backward(ctx, K, g):
        x, out, axis, keepdims = ctx.saved
        return (_split_among(K, x == _kept(out, x.ndim, axis, keepdims), g, axis, keepdims),)

    def backward_graph(ctx, g, out):
        x, out, axis, keepdims = ctx.saved
        hit = x == _kept(out, x.ndim, axis, keepdims)
        return (_expand_back_recorded(g, x.shape, axis, keepdims) * constant(_share(hit, axis, g)),)


class AMin(AMax):
    kernel = "amin"
    backward_graph = AMax.backward_graph


class Max(AMax):
    """Max over all elements (AMax's gradient) or over one dim (the gradient to the first maximal element,
    the index PyTorch's max(dim) returns)."""

    arg_index = staticmethod(np.argmax)

    def forward(ctx, K, x, axis=None, keepdims=False):
        if axis is None:
            return AMax.forward(ctx, K, x, axis, keepdims)
        # over one dim, the element at that index, as PyTorch's values: where -0.0 ties with 0.0, the first's sign
        (dim,) = axis
        out = np.take_along_axis(x, np.expand_dims(ctx.op.arg_index(x, axis=dim), dim), dim)
        out = out if keepdims else np.squeeze(out, dim)
        ctx.saved = (x, out, axis, keepdims)
        return out

    def backward(ctx, K, g):
        x, out, axis, keepdims = ctx.saved
        if axis is None:
            # Unlike amax (NaN gradients everywhere), PyTorch's max() of all elements sends a NaN result's
            # gradient to the NaN elements, so one NaN does not spread to every gradient.
            hit = np.isnan(x) if np.isnan(out) else x == out
            return (_split_among(K, hit, g, axis, keepdims),)
        (dim,) = axis
        index = ctx.op.arg_index(x, axis=dim)
        grad = np.zeros(x.shape, dtype=g.dtype)
        g_kept = g if keepdims else np.expand_dims(g, dim)
        np.put_along_axis(grad, np.expand_dims(index, dim), g_kept, axis=dim)
        return (grad,)

    def backward_graph(ctx, g, out):
        x, out, axis, keepdims = ctx.saved
        if axis is None:
            hit = np.isnan(x) if np.isnan(out) else x == out
        else:
            hit = np.zeros(x.shape, dtype=bool)
            np.put_along_axis(hit, np.expand_dims(ctx.op.arg_index(x, axis=axis[0]), axis[0]), True, axis=axis[0])
        return (_expand_back_recorded(g, x.shape, axis, keepdims) * constant(_share(hit, axis, g)),)


class Min(Max):
    kernel, arg_index = "amin", staticmethod(np.argmin)
    backward_graph = Max.backward_graph


def _split_among(K, hit: np.ndarray, g: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """g of each reduced group split evenly among the group's `hit` elements (zero elsewhere)."""
    return K.multiply(_expand_back(g, hit.shape, axis, keepdims), _share(hit, axis, g))


def _share(hit: np.ndarray, axis, g) -> np.ndarray:
    """Each `hit` element's share of its reduced group's gradient (1 / the group's hits), in g's dtype."""
    return (hit / hit.sum(axis=axis, keepdims=True)).astype(g.dtype)


def _kept(reduced: np.ndarray, ndim: int, axis, keepdims: bool) -> np.ndarray:
    """A reduced array reshaped to broadcast against the input (size-1 dims where it was reduced)."""
    if axis is None:
        return reduced.reshape((1,) * ndim)
    return reduced if keepdims else np.expand_dims(reduced, axis)


class Prod(Op):
    """Product over all elements or one dim. d prod / d x_i is the product of the other elements, taken
    as (product of those before i) * (product of those after i): no division, so the slope is exact
    where x holds zeros, infinities or NaN (prod / x_i would give NaN at a zero, and spread one NaN or
    inf to every slope). PyTorch computes the same where the input holds a zero; without one it divides, so
    beside a NaN or inf its slopes are NaN where these are the finite products."""

    def forward(ctx, K, x, axis=None, keepdims=False):
        ctx.saved = (x, axis, keepdims)
        return _in_dtype_of(K.prod(x, axis, keepdims), x)

    def backward(ctx, K, g):
        x, axis, keepdims = ctx.saved
        if axis is None:
            others = _products_of_the_others(K, x.reshape(-1), 0).reshape(x.shape)
        else:
            (others_axis,) = axis
            others = _products_of_the_others(K, x, others_axis)
        return (K.multiply(_kept(g, x.ndim, axis, keepdims), others.astype(g.dtype, copy=False)),)

    def backward_graph(ctx, g, out):
        _, axis, keepdims = ctx.saved
        x = ctx.inputs[0]
        if axis is None:
            others = _products_of_the_others_recorded(x.reshape(-1), 0).reshape(x.shape)
        else:
            others = _products_of_the_others_recorded(x, axis[0])
        return (_expand_back_recorded(g, x.shape, axis, keepdims) * others,)


def _products_of_the_others(K, x: np.ndarray, axis: int) -> np.ndarray:
    """prod_{j != i} x_j along `axis` at every i, as the running product before i times the one after i."""
    length = x.shape[axis]
    if length == 0:
        return x.copy()
    ones = np.ones_like(np.take(x, [0], axis=axis))

    def before(values: np.ndarray) -> np.ndarray:  # exclusive running products: 1, x_0, x_0 x_1, ...
        return np.concatenate([ones, np.take(K.cumprod(values, axis), range(length - 1), axis=axis)], axis=axis)

    return K.multiply(before(x), np.flip(before(np.flip(x, axis)), axis))


def _products_of_the_others_recorded(x, axis: int):
    """_products_of_the_others on tensors, recorded: its running products are Cumprod ops, whose gradient
    is exact at zeros, so the product of the others is differentiated exactly there too."""
    length = x.shape[axis]
    if length == 0:
        return x.clone()
    ones = constant(np.ones(x.shape[:axis] + (1,) + x.shape[axis + 1:], dtype=x._data.dtype))
    all_but_last = (slice(None),) * axis + (slice(0, length - 1),)

    def before(values):
        return apply(Cat, ones, apply(Cumprod, values, axis=axis)[all_but_last], axis=axis)

    return before(x) * before(x.flip(axis)).flip(axis)


def _reversed_cumsum(K, g: np.ndarray, axis: int) -> np.ndarray:
    """sum_{j >= i} g_j at every i along `axis`: a cumsum from the end."""
    return np.flip(K.cumsum(np.flip(g, axis), axis), axis)


class Cumsum(Op):
    saves_inputs = False

    def forward(ctx, K, x, axis):
        ctx.saved = axis
        out = _in_dtype_of(K.cumsum(x, axis), x)
        if out.dtype.kind == "f":  # PyTorch's running sums start from +0.0: leading -0.0s sum to +0.0 (NumPy's: -0.0)
            out += out.dtype.type(0)
        return out

    def backward(ctx, K, g):
        # out_j = sum_{i <= j} x_i, so d/dx_i collects g_j for every j >= i.
        return (_reversed_cumsum(K, g, ctx.saved),)

    def backward_graph(ctx, g, out):
        return (g.flip(ctx.saved).cumsum(ctx.saved).flip(ctx.saved),)


class Cumprod(Op):
    """Running products along `axis`. d out_j / d x_i (j >= i) is the product of x_0..x_j without x_i, so
    up to the first zero along the axis the gradient is sum_{j >= i} g_j out_j / x_i. Every product past
    the first zero z contains x_z, so the slopes of the later elements are 0, and x_z's own is
    sum_{j >= z} g_j times the running product with x_z taken as 1 (later zeros included). The division
    alone would give NaN or inf at zeros (PyTorch computes the same case split). Along a dim of size 1 out is x
    and the gradient g, as PyTorch returns it."""

    saves_output = True

    def forward(ctx, K, x, axis):
        out = _in_dtype_of(K.cumprod(x, axis), x)
        ctx.saved = (x, out, axis)
        return out

    def backward(ctx, K, g):
        x, out, axis = ctx.saved
        if x.shape[axis] == 1:  # out is x: the gradient is g, also where x is inf or NaN (the division's NaN)
            return (g,)
        is_zero = x == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = K.divide(_reversed_cumsum(K, K.multiply(g, out), axis), x)
        if not is_zero.any():
            return (grad,)
        zeros_so_far = K.cumsum(is_zero, axis)
        first_zero = is_zero & (zeros_so_far == 1)
        without_first_zero = K.cumprod(np.where(first_zero, x.dtype.type(1), x), axis)
        at_first_zero = _reversed_cumsum(K, K.multiply(g, without_first_zero), axis)
        return (np.where(zeros_so_far == 0, grad, np.where(first_zero, at_first_zero, 0)).astype(g.dtype, copy=False),)

    def backward_graph(ctx, g, out):
        x, axis = ctx.inputs[0], ctx.saved[2]
        if x.shape[axis] == 1:
            return (g,)
        return (_cumprod_gradient_recorded(g, x, out, axis),)


def _cumprod_gradient_recorded(g, x, out, axis: int):
    """Cumprod's backward on tensors, recorded, with its case split and values. Each case is written so that
    its derivative is right too: past the first zero x_z the gradient is 0, but its slope in x_z is not, so it
    is x_z (0 in value) times the gradient of the running products of x with x_z taken as 1 (this function
    again, on x with one zero less per line). Where that gradient is not finite, the product would be NaN
    instead of the array backward's 0: there it is 0, with no slope. The division takes 1 for x at the zeros,
    whose quotients a selection drops, so that the zero gradient those get does not become 0/0."""
    reversed_cumsum = (g * out).flip(axis).cumsum(axis).flip(axis)
    is_zero = x._data == 0
    if not is_zero.any():
        return reversed_cumsum / x
    one = constant(np.ones((), dtype=x._data.dtype))
    zeros_so_far = np.cumsum(is_zero, axis)
    first_zero = is_zero & (zeros_so_far == 1)
    ones_at_first_zero = select(~first_zero, x, one)
    without_first_zero = apply(Cumprod, ones_at_first_zero, axis=axis)
    at_first_zero = (g * without_first_zero).flip(axis).cumsum(axis).flip(axis)
    first_zero_value = select(first_zero, x).sum(dim=axis, keepdim=True)
    later = _cumprod_gradient_recorded(g, ones_at_first_zero, without_first_zero, axis)
    past_first_zero = select(np.isfinite(later._data), later * first_zero_value)
    return select(zeros_so_far == 0, reversed_cumsum / select(~is_zero, x, one),
                  select(first_zero, at_first_zero, past_first_zero))


class LogSumExp(Op):
    """log(sum(exp(x))) over `axis`; d/dx = exp(x - out), the softmax of x along the reduced dims."""

    saves_output = True

    def forward(ctx, K, x, axis, keepdims):
        out = K.logsumexp(x, axis, keepdims)
        ctx.saved = (x, out, axis, keepdims)
        return out

    def backward(ctx, K, g):
        x, out, axis, keepdims = ctx.saved
        softmax = K.exp(K.subtract(x, _kept(out, x.ndim, axis, keepdims)))
        return (K.multiply(_kept(g, x.ndim, axis, keepdims), softmax),)

    def backward_graph(ctx, g, out):
        _, _, axis, keepdims = ctx.saved
        x = ctx.inputs[0]
        return (_expand_back_recorded(g, x.shape, axis, keepdims)
                * (x - _expand_back_recorded(out, x.shape, axis, keepdims)).exp(),)


def _variance(ctx, K, x, axis, correction, keepdims) -> np.ndarray:
    """Sum of squared deviations from the mean, over N - correction (clamped at 0, as PyTorch, so that
    no degrees of freedom give inf or NaN rather than a negative variance), in float64 for float32 x (the caller
    rounds it to x's dtype, std after its square root). Saves what backward needs."""
    count = x.dtype.type(_count(x.shape, axis))
    deviation = K.subtract(x, K.divide(K.sum(x, axis, True), count))
    # the rounding error of the mean taken out once more (the corrected two-pass algorithm): equal values then
    # deviate by exactly 0, so their variance is 0, as PyTorch's, and not a few ulps squared
    with np.errstate(invalid="ignore"):
        error = K.divide(K.sum(deviation, axis, True), count)
    deviation = K.subtract(deviation, np.where(np.isfinite(error), error, 0).astype(x.dtype, copy=False))  # (inf - inf)
    # float32 squares summed in float64, as PyTorch's (whose CPU kernel accumulates them in double): 1e30 has a
    # variance of 1e60, past float32's range, yet a std within it, and 1e-30's square is below float32's smallest
    wide = deviation.astype(np.float64) if x.dtype == np.float32 else deviation
    divisor = wide.dtype.type(max(count - correction, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = K.divide(K.sum(K.multiply(wide, wide), axis, keepdims), divisor)
    # PyTorch's backward divides by N - correction unclamped (with fewer elements than the correction the variance is
    # NaN but its slope finite), except over all elements, where without degrees of freedom its slope is NaN at the
    # elements equal to the mean and inf elsewhere. The input's version is for the recorded backward, which reads the
    # input again (Var saves no input).
    with np.errstate(invalid="ignore"):
        no_freedom = None if axis is not None or count > correction else np.where(
            x == K.divide(K.sum(x, None, False), count), np.nan, np.inf).astype(x.dtype)
    ctx.saved = (deviation, x.dtype.type(count - correction), axis, keepdims, ctx.inputs[0]._counter.value, no_freedom)
    return variance


def _variance_backward_recorded(ctx, g_variance) -> tuple:
    """_variance_backward on tensors, recorded: 2 (x - mean) / (N - correction) times the expanded gradient."""
    deviation, divisor, axis, keepdims, version, no_freedom = ctx.saved[:6]
    x = ctx.inputs[0]
    if x._counter.value != version:
        raise RuntimeError("one of the tensors needed for gradient computation (the input of var or std) was modified "
                           f"by an in-place operation: it is at version {x._counter.value}, expected version {version}")
    if no_freedom is not None:
        return (_expand_back_recorded(g_variance, x.shape, axis, keepdims) * constant(no_freedom),)
    centered = x - (x.sum() if axis is None else x.sum(dim=axis, keepdim=True)) / _count(x.shape, axis)
    error = (centered.sum() if axis is None else centered.sum(dim=axis, keepdim=True)) / _count(x.shape, axis)
    centered = centered - error.where(error.isfinite(), 0)  # (as _variance corrects the mean)
    with np.errstate(divide="ignore"):
        scale = np.divide(2, divisor, dtype=deviation.dtype)
    return (_expand_back_recorded(g_variance, x.shape, axis, keepdims) * centered * float(scale),)


def _variance_backward(ctx, K, g_variance: np.ndarray) -> tuple:
    deviation, divisor, axis, keepdims, _, no_freedom = ctx.saved[:6]
    with np.errstate(divide="ignore", invalid="ignore"):
        # d var / dx_i = 2 (x_i - mean) / (N - correction)
        slope = K.divide(2 * deviation, divisor) if no_freedom is None else no_freedom
    return (K.multiply(_kept(g_variance, deviation.ndim, axis, keepdims), slope),)


class Var(Op):
    saves_inputs = False

    def forward(ctx, K, x, axis, correction, keepdims):
        return _variance(ctx, K, x, axis, correction, keepdims).astype(x.dtype, copy=False)

    def backward(ctx, K, g):
        return _variance_backward(ctx, K, g)

    def backward_graph(ctx, g, out):
        return _variance_backward_recorded(ctx, g)


class Std(Op):
    """sqrt(var); d std = d var / (2 std), taken as 0 where std is 0 (PyTorch's choice at constant input)."""

    saves_inputs, saves_output = False, True

    def forward(ctx, K, x, axis, correction, keepdims):
        std = K.sqrt(_variance(ctx, K, x, axis, correction, keepdims)).astype(x.dtype, copy=False)
        ctx.saved += (std,)
        return std

    def backward(ctx, K, g):
        std = ctx.saved[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            g_variance = np.where(std == 0, 0, K.divide(g, 2 * std)).astype(g.dtype, copy=False)
        return _variance_backward(ctx, K, g_variance)

    def backward_graph(ctx, g, out):
        with np.errstate(divide="ignore", invalid="ignore"):
            return _variance_backward_recorded(ctx, select(out._data != 0, g / (out * 2)))


def _rescaled_two_norm(K, x, magnitude, norm, axis, keepdims):
    """The 2-norms that came out inf, or 0 beside a nonzero x (squares below the dtype's smallest: float32's of
    1e-30), again from x divided by its largest |x| there: still inf where x holds an inf or the norm itself passes
    the dtype's range."""
    largest = K.amax(magnitude, axis, True)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # a norm past the range stays inf
        scaled = K.divide(x, largest)
        largest = largest.reshape(norm.shape)
        rescaled = K.multiply(K.sqrt(K.sum(K.multiply(scaled, scaled), axis, keepdims)), largest)
    redo = (np.isinf(norm) | (norm == 0)) & np.isfinite(largest) & (largest > 0)
    return np.where(redo, rescaled, norm).astype(norm.dtype)


class Norm(Op):
    """Vector p-norm over `axis` (all elements when None): (sum |x|^p)^(1/p), max |x| for p = inf,
    min |x| for p = -inf, the count of nonzeros for p = 0. Gradients are PyTorch's subgradients: 0
    where the norm is 0 (and at x = 0 for p < 1), split evenly among ties for p = +-inf. With `distance`, those of
    PyTorch's cdist and pdist, whose x are differences of rows: for p = inf each largest |x| gets the whole gradient
    where several tie, and for p = 1 a NaN x has a NaN slope (the norm's sign(NaN) is 0)."""

    saves_output = True

    def forward(ctx, K, x, p, axis, keepdims, distance=False):
        magnitude = K.absolute(x)
        if p == 2:
            with np.errstate(over="ignore"):
                out = K.sqrt(K.sum(K.multiply(x, x), axis, keepdims))
            if x.size and (np.isinf(out).any() or not out.all()):  # squares past the dtype's range (or an inf x)
                out = _rescaled_two_norm(K, x, magnitude, out, axis, keepdims)
        elif p == 1:
            out = K.sum(magnitude, axis, keepdims)
        elif p == np.inf:
            out = K.amax(magnitude, axis, keepdims)
        elif p == -np.inf:
            out = K.amin(magnitude, axis, keepdims)
        elif p == 0:
            out = K.sum(x != 0, axis, keepdims).astype(x.dtype)
        else:
            with np.errstate(divide="ignore"):  # 0^p = inf for p < 0, which makes the norm 0
                out = K.power(K.sum(K.power(magnitude, x.dtype.type(p)), axis, keepdims), x.dtype.type(1 / p))
        ctx.saved = (x, magnitude, out, p, axis, keepdims, distance)
        return out

    def backward(ctx, K, g):
        x, magnitude, out, p, axis, keepdims, distance = ctx.saved
        norm = _kept(out, x.ndim, axis, keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                slope = np.where(norm == 0, 0, K.divide(x, norm))
            elif p in _STEPWISE_ORDERS:
                slope = _stepwise_norm_slope(K, x, magnitude, norm, p, axis, distance)
            else:  # d/dx_i = sign(x_i) |x_i|^(p-1) / norm^(p-1)
                ratio = K.divide(magnitude, norm)
                slope = np.where((norm == 0) | (x == 0), 0, K.sign(x) * K.power(ratio, x.dtype.type(p - 1)))
        return (K.multiply(_kept(g, x.ndim, axis, keepdims), slope.astype(g.dtype, copy=False)),)

    def backward_graph(ctx, g, out):
        x, magnitude, _, p, axis, keepdims, distance = ctx.saved
        upstream = _expand_back_recorded(g, x.shape, axis, keepdims)
        if p in _STEPWISE_ORDERS:
            norm = _kept(out._data, x.ndim, axis, keepdims)
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = _stepwise_norm_slope(ctx.backend, x, magnitude, norm, p, axis, distance)
            return (upstream * constant(slope.astype(g._data.dtype, copy=False)),)
        norm = _expand_back_recorded(out, x.shape, axis, keepdims)
        if p == 2:
            with np.errstate(divide="ignore", invalid="ignore"):
                return (upstream * select(norm._data != 0, ctx.inputs[0] / norm),)
        # the ratio taken as 1 where the slope is 0, so that the zero gradient there does not meet 0^(p-2) = inf
        one = constant(np.ones((), dtype=x.dtype))
        dropped = (norm._data == 0) | (x == 0)
        ratio = select(~dropped, ctx.inputs[0].abs(), one) / select(~dropped, norm, one)
        slope = select(~dropped, constant(np.sign(x)) * ratio ** float(p - 1))
        if p < 2:  # the slope's own slope is infinite at x = 0: a 0 there whose derivative is NaN, as PyTorch's
            slope = slope + select(x == 0, ctx.inputs[0].abs().sqrt())
        return (upstream * slope,)


# Orders whose slope is constant in x wherever it is defined: its derivative is 0, so the recorded backward
# multiplies by the slope as a constant.
_STEPWISE_ORDERS = (1, 0, np.inf, -np.inf)


def _stepwise_norm_slope(K, x: np.ndarray, magnitude: np.ndarray, norm: np.ndarray, p: float, axis,
                         distance: bool) -> np.ndarray:
    """The slope of a norm of order 1 (sign x), 0 (none) or +-inf (sign x split evenly among the elements whose
    |x| is the norm); with `distance`, Norm's distance slopes."""
    if p == 1:
        return np.where(np.isnan(x), x, K.sign(x)) if distance else K.sign(x)
    if p == 0:
        return np.zeros_like(x)
    ties = magnitude == norm
    if distance:
        return K.multiply(K.sign(x), ties)
    return K.divide(K.multiply(K.sign(x), ties), np.add.reduce(ties, axis=axis, keepdims=True))


class Median(Op):
    """The median of all elements: the lower of the two middle values for an even count, NaN if any element
    is NaN. The gradient is split evenly among the elements equal to it (among the NaNs for NaN), as
    PyTorch's median() without a dim."""

    saves_inputs = False

    def forward(ctx, K, x):
        flat = np.sort(x.reshape(-1))  # NaN sorts last
        value = flat[-1] if flat.dtype.kind == "f" and np.isnan(flat[-1]) else flat[(flat.size - 1) // 2]
        ctx.saved = np.isnan(x) if value != value else x == value
        return np.asarray(value)

    def backward(ctx, K, g):
        hit = ctx.saved
        return (K.multiply(hit.astype(g.dtype), g / hit.sum()),)

    def backward_graph(ctx, g, out):
        hit = ctx.saved
        return (constant(hit.astype(g._data.dtype)) * (g / int(hit.sum())),)


# -- running extremes, log-cum-sum-exp, NaN-skipping median ---------------------------------------------
def running_extreme_indices(x: np.ndarray, axis: int, largest: bool) -> np.ndarray:
    """The int64 index, at every position along `axis`, of the running maximum (largest) or minimum so far, by
    PyTorch's cummax/cummin rules: an element equal to the extreme so far takes over (the later index wins a
    tie), and from the first NaN on the extreme is NaN, at the latest NaN met."""
    lines = np.moveaxis(x, axis, 0)
    indices = np.zeros(lines.shape, dtype=np.int64)
    if lines.shape[0] == 0:
        return np.moveaxis(indices, 0, axis)
    takes_over = np.greater_equal if largest else np.less_equal
    extreme = lines[0]
    for i in range(1, lines.shape[0]):
        value = lines[i]
        new = takes_over(value, extreme)  # False against a NaN extreme: only a later NaN moves it on
        if value.dtype.kind == "f":
            new |= np.isnan(value)
        extreme = np.where(new, value, extreme)
        indices[i] = np.where(new, i, indices[i - 1])
    return np.moveaxis(indices, 0, axis)


class LogCumSumExp(Op):
    """out_j = log sum_{i <= j} exp(x_i) along `axis`, as a running logaddexp (no overflow). Since
    d out_j / d x_i = exp(x_i - out_j) for i <= j, the gradient is exp(x_i) sum_{j >= i} g_j exp(-out_j); that
    sum is taken in log space (a reversed running logaddexp of log g_j - out_j), for the positive and the
    negative parts of g apart, so that no exp overflows. Where x_i and out_j are -inf it is NaN, as PyTorch's."""

    saves_output = True

    def forward(ctx, K, x, axis):
        with np.errstate(invalid="ignore"):  # NaN in, NaN out
            # float32 accumulates in float64, rounded per element, as PyTorch's (and cumsum here): a float32
            # running logaddexp drifted by about 40 ulps over 100,000 elements
            out = np.logaddexp.accumulate(x, axis=axis, dtype=np.float64 if x.dtype == np.float32 else x.dtype)
            out = out.astype(x.dtype, copy=False)
        out += out.dtype.type(0)  # PyTorch's running logaddexp adds a log1p (>= +0.0) to each: it never gives -0.0
        ctx.saved = (x, out, axis)
        return out

    def backward(ctx, K, g):
        x, out, axis = ctx.saved

        def log_of_later_sum(part: np.ndarray) -> np.ndarray:  # log sum_{j >= i} part_j exp(-out_j)
            return np.flip(np.logaddexp.accumulate(np.flip(np.log(part) - out, axis), axis=axis), axis)

        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            positive = np.exp(x + log_of_later_sum(np.maximum(g, 0)))
            negative = np.exp(x + log_of_later_sum(np.maximum(-g, 0)))
        return (positive - negative,)

    def backward_graph(ctx, g, out):
        axis = ctx.saved[2]
        x = ctx.inputs[0]
        one = constant(np.ones((), dtype=g._data.dtype))

        def log_of_later_sum(part, dropped: np.ndarray):
            # log max(part, 0) - out as the array backward takes it; where part is dropped (log 0) a constant,
            # since the reversed running logaddexp's gradient there may be NaN (-inf meets -inf), and the log of
            # 1 computed in place of log 0, so that the zero gradient there does not become 0/0
            with np.errstate(invalid="ignore"):
                at_dropped = constant(-np.inf - out._data)
            terms = select(~dropped, select(~dropped, part, one).log() - out, at_dropped)
            return apply(LogCumSumExp, terms.flip(axis), axis=axis).flip(axis)

        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            positive = (x + log_of_later_sum(g, g._data <= 0)).exp()
            negative = (x + log_of_later_sum(-g, g._data >= 0)).exp()
        return (positive - negative,)


class NanMedian(Median):
    """The median of the elements that are not NaN (the lower middle one for an even count), NaN when all
    are; the gradient is split evenly among the elements equal to it (among the NaNs when all are NaN), as
    PyTorch's nanmedian() without a dim."""

    def forward(ctx, K, x):
        flat = np.sort(x.reshape(-1))  # NaN sorts last
        count = flat.size - int(np.isnan(flat).sum()) if flat.dtype.kind == "f" else flat.size
        value = flat[(count - 1) // 2] if count else flat[-1]
        ctx.saved = np.isnan(x) if value != value else x == value
        return np.asarray(value)

    backward_graph = Median.backward_graph

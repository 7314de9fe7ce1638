"""The standard gamma distribution (rate 1) behind Gamma, Chi2, Beta, Dirichlet and StudentT: its regularized
lower incomplete gamma function P(a, x) (the CDF), and draws whose gradient with respect to the
concentration a is the implicit reparameterisation (Figurnov et al. 2018, "Implicit reparameterization
gradients"): with the uniform level u = P(a, x) held fixed, dx/da = -(dP/da) / (dP/dx).

P is computed as in Numerical Recipes (6.2): with g(a, x) = x^a e^-x / Gamma(a),
  below x = a + 1, the series  P = g S,       S = sum_n x^n / (a (a+1) ... (a+n));
  above it, the continued fraction  1 - P = g C,  C = 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...))),
each carried in forward mode together with its derivative in a. Dividing by the density dP/dx = g / x,
the derivative of a draw is exact to rounding, and no term cancels the other in the continued fraction's
range (the upper tail, where dP/da is tiny next to either of P's parts):
  dx/da = -x ((log x - digamma(a)) S + dS/da)   below a + 1,
  dx/da =  x ((log x - digamma(a)) C + dC/da)   above it.
"""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.function import Function
from fastgrad.dtypes import finfo
from fastgrad.ops import special_math
from fastgrad.random import rng_of
from fastgrad.tensor import Tensor

_TOLERANCE = 1e-15  # a few ulps: the steps of converged continued fractions jitter by one
_MAX_TERMS = 100_000  # both expansions need about 9 sqrt(a) terms: this covers concentrations up to about 1e8


def _until_converged(state: list[np.ndarray], advance) -> tuple[np.ndarray, np.ndarray]:
    """Iterate `advance(state, n) -> (state, converged)` for n = 1, 2, ... over 1-d state arrays (the first
    two being a and x), dropping each element once it has converged, so that a few large concentrations do
    not keep the whole batch iterating; returns the last two state arrays, the value and its derivative."""
    size = state[0].shape[0]
    value, derivative = np.empty(size), np.empty(size)
    remaining = np.arange(size)
    for n in range(1, _MAX_TERMS):
        state, converged = advance(state, n)
        if converged.any():
            value[remaining[converged]], derivative[remaining[converged]] = state[-2][converged], state[-1][converged]
            remaining = remaining[~converged]
            state = [array[~converged] for array in state]
            if not remaining.size:
                return value, derivative
    raise RuntimeError(f"the incomplete gamma function's expansions did not converge in {_MAX_TERMS} terms at "
                       f"concentrations up to {state[0].max():g} (they need about 9 sqrt(concentration) terms)")


def _series(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """S and dS/da, for x < a + 1 (each term is x / (a + n) < 1 times the one before)."""

    def advance(state, n):
        a, x, term, reciprocal_sum, total, total_derivative = state
        reciprocal_sum = reciprocal_sum + 1.0 / (a + n)
        term = term * x / (a + n)
        term_derivative = -term * reciprocal_sum  # d/da of x^n / (a ... (a+n)) is the term times -sum_k 1 / (a+k)
        total, total_derivative = total + term, total_derivative + term_derivative
        # total > 0 > total_derivative: neither sum cancels. Below a = 1e-154 the derivative (about -1 / a^2)
        # overflows to -inf from the first term, which would stop the value's sum there too: it goes on alone.
        converged = np.where(np.isfinite(total_derivative),
                             np.abs(term) + np.abs(term_derivative) <= _TOLERANCE * (total - total_derivative),
                             term <= _TOLERANCE * total)
        return [a, x, term, reciprocal_sum, total, total_derivative], converged

    first = 1.0 / a
    return _until_converged([a, x, first, first, first, -first / a], advance)


def _continued_fraction(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """C and dC/da for x > a + 1, by the modified Lentz method with every quantity paired with its
    derivative in a (b_n = x + 2n + 1 - a and a_n = -n (n - a), so b' = -1 and a_n' = n)."""

    def advance(state, n):
        a, x, b, d, dd, c, dc, h, dh = state
        coefficient, dcoefficient = -n * (n - a), float(n)
        b = b + 2.0
        d_inverse = coefficient * d + b
        dd_inverse = dcoefficient * d + coefficient * dd - 1.0
        d, dd = 1.0 / d_inverse, -dd_inverse / (d_inverse * d_inverse)
        c, dc = b + coefficient / c, -1.0 + dcoefficient / c - (coefficient / c) * (dc / c)
        step, dstep = d * c, dd * c + d * dc
        h, dh = h * step, dh * step + h * dstep
        converged = (np.abs(step - 1.0) <= _TOLERANCE) & (np.abs(h * dstep) <= _TOLERANCE * (np.abs(h) + np.abs(dh)))
        return [a, x, b, d, dd, c, dc, h, dh], converged

    b = x + 1.0 - a
    d, dd = 1.0 / b, 1.0 / (b * b)  # d = 1/b, and b' = -1
    c, dc = np.full_like(a, np.inf), np.zeros_like(a)  # Lentz's 1/tiny, in the limit: the first step gives c = b
    return _until_converged([a, x, b, d, dd, c, dc, d, dd], advance)


def _log_prefactor(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log g(a, x) = a log x - x - lgamma(a)."""
    return a * np.log(x) - x - special_math.lgamma(a)


def _split(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """float64 copies of a and x broadcast together, and where each expansion applies (finite x > 0)."""
    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(x, dtype=np.float64))
    inside = (a > 0) & (x > 0) & np.isfinite(x) & np.isfinite(a)
    lower = inside & (x < a + 1)
    return a, x, lower, inside & ~lower


def regularized_lower_gamma(a, x) -> np.ndarray:
    """P(a, x) = (1 / Gamma(a)) * integral_0^x t^(a-1) e^-t dt in float64 (torch.special.gammainc): 0 at
    x = 0, 1 at x = inf, NaN for a <= 0, x < 0 or NaN."""
    a, x, lower, upper = _split(a, x)
    with np.errstate(all="ignore"):
        out = np.where((x == 0) & (a > 0), 0.0, np.where((x == np.inf) & (a > 0), 1.0, np.nan))
        if lower.any():
            out[lower] = np.exp(_log_prefactor(a[lower], x[lower])) * _series(a[lower], x[lower])[0]
        if upper.any():
            out[upper] = 1.0 - np.exp(_log_prefactor(a[upper], x[upper])) * _continued_fraction(a[upper], x[upper])[0]
    return out


def standard_gamma_sample_derivative(a, x) -> np.ndarray:
    """dx/da of a standard gamma draw x of concentration a at a fixed level P(a, x), in float64."""
    a, x, lower, upper = _split(a, x)
    out = np.zeros_like(x)  # at x = 0, and outside the domain
    with np.errstate(all="ignore"):
        for region, sign, expansion in ((lower, -1.0, _series), (upper, 1.0, _continued_fraction)):
            if region.any():
                at, xt = a[region], x[region]
                value, derivative = expansion(at, xt)
                out[region] = sign * xt * ((np.log(xt) - special_math.digamma(at)) * value + derivative)
    return out


class StandardGamma(Function):
    """Draws of Gamma(concentration, 1), one per element, from fastgrad's generator; differentiable in the
    concentration by the implicit reparameterisation. A draw that underflows is the dtype's smallest
    normal number instead of 0, as PyTorch's, so that its log stays finite."""

    @staticmethod
    def forward(ctx, concentration: Tensor) -> Tensor:
        dtype = concentration.dtype
        draws = rng_of(None).standard_gamma(concentration._data.astype(np.float64))
        sample = Tensor._from_data(np.maximum(draws, finfo(dtype).tiny).astype(dtype))
        ctx.save_for_backward(concentration, sample)
        return sample

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        concentration, sample = ctx.saved_tensors
        derivative = standard_gamma_sample_derivative(concentration._data, sample._data)
        return grad * Tensor._from_data(derivative.astype(grad.dtype))


class RegularizedLowerGamma(Function):
    """P(a, x) with its derivative in x, the density x^(a-1) e^-x / Gamma(a). Its derivative in a is not
    given, as PyTorch's gammainc gives none: asking for it raises."""

    @staticmethod
    def forward(ctx, a: Tensor, x: Tensor) -> Tensor:
        ctx.save_for_backward(a, x)
        dtype = np.promote_types(a.dtype, x.dtype)
        return Tensor._from_data(regularized_lower_gamma(a._data, x._data).astype(dtype))

    @staticmethod
    def backward(ctx, grad: Tensor):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative of the regularized incomplete gamma function (Gamma.cdf) with "
                                      "respect to the concentration is not implemented, as in PyTorch")
        a, x = ctx.saved_tensors
        a64, x64 = np.broadcast_arrays(a._data.astype(np.float64), x._data.astype(np.float64))
        with np.errstate(all="ignore"):
            log_power = np.where(a64 == 1, 0.0, (a64 - 1) * np.log(x64))  # x^0 = 1 at x = 0 too
            density = np.exp(log_power - x64 - special_math.lgamma(a64))
        return None, grad * Tensor._from_data(density.astype(grad.dtype))

"""Special functions NumPy lacks, for the math ops: the gamma family (lgamma, digamma, polygamma), the Hurwitz
zeta function, the regularized incomplete gamma functions, the error function's inverse and erfcx, the standard
normal distribution's CDF, log-CDF and quantile, the modified Bessel functions I0 and I1 (and their scaled
forms), sinc's derivative and the entropy term -x log x.

Every function takes one floating array (after `n` for polygamma, and after the first argument for zeta and the
incomplete gamma functions), computes in float64 without NumPy's warnings, and returns the input's dtype (but
sinc_derivative_near_zero, a series that also takes a tensor). Away from the zeros of lgamma and digamma at
negative arguments, results are within a few float64 ulps of the true values (tests/ops/test_special_math.py
and test_special_functions.py hold them to mpmath; erfcx below -2 and the incomplete gamma functions of large
arguments to about 1e-13); at poles, infinities and outside the domain they are PyTorch's, but where the
docstrings say otherwise.
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np
from numpy.polynomial import polynomial

# erf and erfc have no NumPy ufunc: libm's, one element at a time (exact, but slow next to the ufuncs).
erf, erfc = (np.vectorize(f, otypes=[np.float64]) for f in (math.erf, math.erfc))

# B_2, B_4, ..., B_22, for the Euler-Maclaurin and Stirling series below.
_BERNOULLI = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
              Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
              Fraction(-174611, 330), Fraction(854513, 138))
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2 = math.sqrt(2.0)
LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
# The positive zero of digamma, split into a double and the rest (OEIS A030169).
_DIGAMMA_ROOT = 1.4616321449683623
_DIGAMMA_ROOT_REST = float(Fraction("1.461632144968362341262659542325721325") - Fraction(_DIGAMMA_ROOT))


def _in_float64(function):
    """`function` on a float64 copy of its last (array) argument, rounded back to that argument's dtype, with
    NumPy's warnings about the infinities and NaNs it produces on purpose silenced."""

    @functools.wraps(function)
    def computed(*args):
        *leading, x = args
        x = np.asarray(x)
        with np.errstate(all="ignore"):
            out = function(*leading, x.astype(np.float64))
            return out.astype(x.dtype if x.dtype.kind == "f" else np.float64, copy=False)

    return computed


def _horner(coefficients, t):
    """sum of coefficients[k] * t**k (two or more coefficients), for an array t or a tensor (differentiable)."""
    total = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        total = total * t + c
    return total


log2, log10, exp2, sinc = _in_float64(np.log2), _in_float64(np.log10), _in_float64(np.exp2), _in_float64(np.sinc)


# -- the gamma family ------------------------------------------------------------------------------------
def _hurwitz_zeta(s, q: np.ndarray) -> np.ndarray:
    """zeta(s, q) = sum over k >= 0 of (q + k)^-s, for s > 1 (a number, or an array that broadcasts with q).

    The terms with q + k < start are summed; the rest is the Euler-Maclaurin formula at the first a = q + k >= start,
    a^(1-s) (1/(s-1) + 1/(2a) + sum_j B_2j/(2j)! s (s+1) ... (s+2j-2) a^-2j), whose remainder after B_22 is below
    1e-17 relative there (start grows with s up to s = 50, beyond which the first terms are all of the sum)."""
    s = np.asarray(s, dtype=np.float64)
    start = 12.0 + np.minimum(s, 50.0)
    shifts = np.where(q < start, np.ceil(start - q), 0.0)
    a = q + shifts
    inverse_square = 1.0 / (a * a)
    tail, rising, power = np.zeros(np.broadcast_shapes(s.shape, a.shape)), s, inverse_square
    for j, bernoulli in enumerate(_BERNOULLI, start=1):
        tail = tail + float(bernoulli / math.factorial(2 * j)) * rising * power
        rising = rising * (s + 2 * j - 1) * (s + 2 * j)
        power = power * inverse_square
    total = a ** (1.0 - s) * (1.0 / (s - 1) + 0.5 / a + tail)
    for k in reversed(range(int(shifts.max(initial=0.0)))):  # the smallest terms first
        total += np.where(k < shifts, (q + k) ** -s, 0.0)
    return total


def _polygamma_positive(n: int, x: np.ndarray) -> np.ndarray:
    """The n-th derivative of digamma at x > 0 (and at +inf, where it is 0 for n >= 1)."""
    if n >= 1:  # psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x)
        return (-1) ** (n + 1) * math.factorial(n) * _hurwitz_zeta(n + 1, x)
    near_root = np.abs(x - _DIGAMMA_ROOT) < 0.25
    out = _digamma_by_recurrence(x)
    # near its zero the recurrence's absolute error is a large relative one: the Taylor series there instead
    z = (x[near_root] - _DIGAMMA_ROOT) - _DIGAMMA_ROOT_REST
    out[near_root] = _horner(_digamma_root_series(), z)
    return out


def _digamma_by_recurrence(x: np.ndarray) -> np.ndarray:
    """psi(x) = psi(x + m) - sum_{k<m} 1 / (x + k), with psi(a) for a >= 10 by its asymptotic series
    log a - 1/(2a) - sum_j B_2j / (2j a^2j)."""
    shifts = np.where(x < 10.0, np.ceil(10.0 - x), 0.0)
    a = x + shifts
    series = _horner([0.0] + [float(b / (2 * j)) for j, b in enumerate(_BERNOULLI, start=1)], 1.0 / (a * a))
    out = np.log(a) - 0.5 / a - series
    for k in range(int(shifts.max(initial=0.0))):
        out -= np.where(k < shifts, 1.0 / (x + k), 0.0)
    return out


@functools.cache
def _digamma_root_series() -> tuple[float, ...]:
    """Taylor coefficients of digamma at its positive zero: psi^(k)(root) / k! = (-1)^(k+1) zeta(k+1, root)."""
    root = np.array([_DIGAMMA_ROOT])
    return (0.0,) + tuple((-1) ** (k + 1) * float(_hurwitz_zeta(k + 1, root)[0]) for k in range(1, 26))


@functools.cache
def _cot_derivative(n: int) -> np.ndarray:
    """The coefficients of P_n, the polynomial with d^n/dy^n cot(y) = P_n(cot y): P_0(c) = c and
    P_(k+1) = -(1 + c^2) P_k'."""
    coefficients = np.array([0.0, 1.0])
    for _ in range(n):
        coefficients = -polynomial.polymul([1.0, 0.0, 1.0], polynomial.polyder(coefficients))
    return coefficients


def _cot_pi(x: np.ndarray) -> np.ndarray:
    """cot(pi x), from x reduced exactly to r in [-1/2, 1/2] (cot has period pi), and as tan(pi (1/2 - |r|)) for
    |r| > 1/4, where tan(pi r) would be ill-conditioned."""
    r = x - np.round(x)
    flipped = np.abs(r) > 0.25
    return np.where(flipped, np.copysign(np.tan(np.pi * (0.5 - np.abs(r))), r), 1.0 / np.tan(np.pi * r))


def _polygamma(n: int, x: np.ndarray) -> np.ndarray:
    """The n-th derivative of digamma (digamma for n = 0), by reflection for negative x."""
    out = np.full_like(x, np.nan)
    positive = x > 0
    out[positive] = _polygamma_positive(n, x[positive])
    # reflection, the n-th derivative of psi(1 - x) - psi(x) = pi cot(pi x):
    # psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x))
    negative = (x < 0) & (x != np.floor(x))
    y = x[negative]
    out[negative] = ((-1) ** n * _polygamma_positive(n, 1.0 - y)
                     - np.pi ** (n + 1) * polynomial.polyval(_cot_pi(y), _cot_derivative(n)))
    # poles and infinities, as PyTorch
    pole = (x <= 0) & (x == np.floor(x))
    if n == 0:
        out[pole] = np.nan  # the negative integers and -inf; 0 gives -inf, -0 gives +inf
        out[x == 0] = np.copysign(np.inf, -x[x == 0])
    else:
        out[pole | (x == -np.inf)] = (-1) ** (n + 1) * np.inf
        if n == 1:
            out[x == -np.inf] = np.nan
        else:
            out[x == np.inf] = np.nan
    return out


polygamma = _in_float64(_polygamma)
digamma = functools.partial(polygamma, 0)


@functools.cache
def _lgamma_near_two_series() -> tuple[float, ...]:
    """Taylor coefficients of lgamma at 2: psi(2) = 1 - Euler's gamma, then psi^(k-1)(2) / k! =
    (-1)^k zeta(k, 2) / k."""
    two = np.array([2.0])
    return (0.0, 1.0 - np.euler_gamma) + tuple((-1) ** k * float(_hurwitz_zeta(k, two)[0]) / k for k in range(2, 31))


def _lgamma_positive(x: np.ndarray) -> np.ndarray:
    """log Gamma(x) for finite x > 0. Around 1 and 2, where it is zero, from the Taylor series at 2 (computed in
    the exact x - 1 or x - 2); below 12 by the recurrence down to (1.5, 2.5]; above by Stirling's series."""
    out = np.empty_like(x)
    series = _lgamma_near_two_series()
    # lgamma(x) = lgamma(x + 1) - log x
    tiny = x < 0.5
    out[tiny] = _horner(series, x[tiny]) - np.log1p(x[tiny]) - np.log(x[tiny])
    near_one = (x >= 0.5) & (x < 1.5)
    z = x[near_one] - 1.0
    out[near_one] = _horner(series, z) - np.log1p(z)
    middle = (x >= 1.5) & (x < 12.0)
    steps = np.maximum(np.ceil(x[middle] - 2.5), 0.0)
    y = x[middle] - steps  # exact, in [1.5, 2.5]: lgamma(x) = lgamma(y) + log(y (y+1) ... (x-1))
    product = np.ones_like(y)
    for k in range(int(steps.max(initial=0.0))):
        product *= np.where(k < steps, y + k, 1.0)
    out[middle] = _horner(series, y - 2.0) + np.log(product)
    large = x >= 12.0
    big = x[large]
    stirling = _horner([float(b / (2 * j * (2 * j - 1))) for j, b in enumerate(_BERNOULLI, start=1)], 1.0 / (big * big))
    out[large] = (big - 0.5) * np.log(big) - big + LOG_SQRT_2PI + stirling / big
    return out


def _lgamma(x: np.ndarray) -> np.ndarray:
    """log |Gamma(x)|, by reflection for negative x."""
    out = np.full_like(x, np.inf)  # poles (the integers <= 0) and both infinities
    out[np.isnan(x)] = np.nan
    positive = (x > 0) & (x < np.inf)
    out[positive] = _lgamma_positive(x[positive])
    # reflection: |Gamma(x) Gamma(1 - x)| = pi / |sin(pi x)|
    negative = (x < 0) & (x != np.floor(x))
    y = x[negative]
    sine = np.abs(np.sin(np.pi * (y - np.round(y))))  # reduced exactly first: accurate next to the poles
    out[negative] = np.log(np.pi / sine) - _lgamma_positive(1.0 - y)
    return out


lgamma = _in_float64(_lgamma)


# -- the inverse error function and the normal distribution ---------------------------------------------------
def _erfinv_small(y: np.ndarray) -> np.ndarray:
    """x with erf(x) = y, for 0 <= y <= 0.5: Newton's method from the first terms of the Maclaurin series
    (relative error below 3e-4), each step squaring the error."""
    y2 = y * y
    x = 0.5 * _SQRT_PI * y * (1 + y2 * (math.pi / 12 + y2 * (7 * math.pi ** 2 / 480 + y2 * 127 * math.pi ** 3 / 40320)))
    for _ in range(3):
        x -= (erf(x) - y) * 0.5 * _SQRT_PI * np.exp(x * x)
    return x


def _log_erfc(x: np.ndarray) -> np.ndarray:
    """log erfc(x) for x > 0; from x = 26 on, where erfc(x) < 6e-296 heads for underflow, as
    -x^2 - log(x sqrt(pi)) plus the log of the asymptotic series 1 - 1/(2x^2) + 3/(2x^2)^2 - 15/(2x^2)^3 + ...
    (twelve terms: the first left out is below 1e-25)."""
    out = np.empty_like(x)
    near = x < 26
    out[near] = np.log(erfc(x[near]))
    far = x[~near]
    coefficients = [(-1) ** k * math.prod(range(1, 2 * k, 2)) for k in range(12)]  # (-1)^k (2k-1)!!
    out[~near] = -far * far - np.log(far * _SQRT_PI) + np.log(_horner(coefficients, 0.5 / (far * far)))
    return out


def _erfcinv_tail(q: np.ndarray) -> np.ndarray:
    """x with erfc(x) = q, for 0 < q < 0.5, by Newton's method on log erfc(x) = log q, which keeps the relative
    accuracy of a tiny q. It starts at sqrt(-log q), above the root since erfc(x) <= exp(-x^2); log erfc is
    concave, so the steps descend to the root without overshooting it (six reach 1e-20, relative)."""
    log_q = np.log(q)
    x = np.sqrt(-log_q)
    for _ in range(7):
        log_erfc = _log_erfc(x)
        # (log erfc)'(x) = -2/sqrt(pi) exp(-x^2) / erfc(x), written without overflow for large x
        x += (log_erfc - log_q) / (2 / _SQRT_PI * np.exp(-x * x - log_erfc))
    return x


def _erfcinv(q: np.ndarray) -> np.ndarray:
    """x with erfc(x) = q, for 0 < q <= 1 (1 - q is exact for q >= 0.5)."""
    out = np.empty_like(q)
    upper = q >= 0.5
    out[upper] = _erfinv_small(1.0 - q[upper])
    out[~upper] = _erfcinv_tail(q[~upper])
    return out


def _erfinv(y: np.ndarray) -> np.ndarray:
    """x with erf(x) = y: odd, and through erfc's inverse (with 1 - |y| exact) for |y| > 1/2."""
    magnitude = np.abs(y)
    out = np.full_like(y, np.nan)  # outside [-1, 1] and NaN
    out[magnitude == 1] = np.inf
    small = magnitude <= 0.5
    out[small] = _erfinv_small(magnitude[small])
    inside = (magnitude > 0.5) & (magnitude < 1)
    out[inside] = _erfcinv_tail(1.0 - magnitude[inside])  # exact: erfinv(y) = erfcinv(1 - y)
    return np.copysign(out, y)


erfinv = _in_float64(_erfinv)


def _ndtr(x: np.ndarray) -> np.ndarray:
    """P(Z <= x) for a standard normal Z: erfc(-x / sqrt 2) / 2, relatively accurate in the lower tail."""
    return 0.5 * erfc(-x / _SQRT_2)


def _log_ndtr(x: np.ndarray) -> np.ndarray:
    """log P(Z <= x): log1p of minus the small upper tail above -1, log erfc(-x / sqrt 2) - log 2 below."""
    out = np.empty_like(x)
    upper = ~(x <= -1)  # NaN too
    out[upper] = np.log1p(-0.5 * erfc(x[upper] / _SQRT_2))
    out[~upper] = _log_erfc(-x[~upper] / _SQRT_2) - math.log(2)
    return out


def _ndtri(p: np.ndarray) -> np.ndarray:
    """x with P(Z <= x) = p: -sqrt 2 erfcinv(2p) below the median, sqrt 2 erfcinv(2 (1 - p)) above, both
    arguments exact."""
    out = np.full_like(p, np.nan)
    out[p == 0] = -np.inf
    out[p == 1] = np.inf
    lower = (p > 0) & (p < 0.5)
    out[lower] = -_SQRT_2 * _erfcinv(2.0 * p[lower])
    upper = (p >= 0.5) & (p < 1)
    out[upper] = _SQRT_2 * _erfcinv(2.0 * (1.0 - p[upper]))
    return out


ndtr, log_ndtr, ndtri = _in_float64(_ndtr), _in_float64(_log_ndtr), _in_float64(_ndtri)


@_in_float64
def normal_density(x: np.ndarray) -> np.ndarray:
    """exp(-x^2 / 2) / sqrt(2 pi): ndtr's derivative."""
    return np.exp(-0.5 * x * x - LOG_SQRT_2PI)


@_in_float64
def log_ndtr_derivative(x: np.ndarray) -> np.ndarray:
    """phi(x) / ndtr(x) = exp(-x^2 / 2 - log_ndtr(x)) / sqrt(2 pi), which tends to -x far below zero."""
    return np.exp(-0.5 * x * x - _log_ndtr(x) - LOG_SQRT_2PI)


# -- modified Bessel functions of the first kind -------------------------------------------------------------
def _bessel_i(order: int, x: np.ndarray, scaled: bool = False) -> np.ndarray:
    """I_order(x) for order 0 or 1 (times e^-|x| when scaled): the power series
    sum_k (x/2)^(2k+order) / (k! (k+order)!) below |x| = 25, and above it e^|x| / sqrt(2 pi |x|) times the
    asymptotic series whose k-th term is prod_{j<=k} ((2j-1)^2 - 4 order^2) / (8 j |x|) (45 terms: the rest is
    below 1e-18). PyTorch gives NaN at the infinities unscaled, 0 (i0e) and +-0 (i1e) scaled."""
    magnitude = np.abs(x)
    out = np.full_like(x, np.nan)
    small = magnitude < 25
    half = magnitude[small] / 2
    term = half if order else np.ones_like(half)
    total = term.copy()
    for k in range(1, 60):  # the terms shrink below 1e-17 of the sum by k = 50
        term = term * (half * half) / (k * (k + order))
        total += term
    out[small] = total * np.exp(-magnitude[small]) if scaled else total
    large = (magnitude >= 25) & (magnitude < np.inf)
    big = magnitude[large]
    term, series = np.ones_like(big), np.ones_like(big)
    for k in range(1, 46):
        term = term * ((2 * k - 1) ** 2 - 4 * order * order) / (8 * k * big)
        series += term
    root_2_pi_x = math.sqrt(2 * math.pi) * np.sqrt(big)  # (2 pi |x| itself overflows for |x| above 2.8e307)
    if scaled:
        out[large] = series / root_2_pi_x
        out[magnitude == np.inf] = 0.0
    else:
        root = np.exp(big / 2)  # e^|x| as a square: no overflow before the result's own, near |x| = 713
        out[large] = root * (root / root_2_pi_x) * series
    return np.copysign(out, x) if order else out


bessel_i0, bessel_i1 = _in_float64(functools.partial(_bessel_i, 0)), _in_float64(functools.partial(_bessel_i, 1))
scaled_bessel_i0 = _in_float64(functools.partial(_bessel_i, 0, scaled=True))
scaled_bessel_i1 = _in_float64(functools.partial(_bessel_i, 1, scaled=True))


# -- small helpers -----------------------------------------------------------------------------------------
# Below this |x| sinc's derivative is its Maclaurin series: the closed form cancels there.
SINC_SERIES_RADIUS = 0.25
_SINC_DERIVATIVE_SERIES = tuple((-1) ** k * 2 * k * math.pi ** (2 * k) / math.factorial(2 * k + 1)
                                for k in range(1, 13))


def sinc_derivative_near_zero(x):
    """sinc'(x) for |x| < SINC_SERIES_RADIUS, by its Maclaurin series sum_{k>=1} (-1)^k 2k pi^2k x^(2k-1) / (2k+1)!
    (twelve terms: exact there); x an array or a tensor (whose result is differentiable, for Sinc's recorded
    backward)."""
    return x * _horner(_SINC_DERIVATIVE_SERIES, x * x)


@_in_float64
def sinc_derivative(x: np.ndarray) -> np.ndarray:
    """d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, which cancels near 0, where the series serves."""
    out = np.empty_like(x)
    small = np.abs(x) < SINC_SERIES_RADIUS
    out[small] = sinc_derivative_near_zero(x[small])
    rest = x[~small]
    out[~small] = (np.cos(np.pi * rest) - np.sinc(rest)) / rest
    return out


@_in_float64
def entr(x: np.ndarray) -> np.ndarray:
    """-x log x for x > 0, 0 at 0, -inf below (NaN stays NaN), as torch.special.entr."""
    return np.where(x > 0, -x * np.log(x), np.where(x == 0, 0.0, np.where(np.isnan(x), x, -np.inf)))


# -- zeta, erfcx and the incomplete gamma functions ------------------------------------------------------
@_in_float64
def zeta(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The Hurwitz zeta function sum_k (q + k)^-s, with PyTorch's (Cephes') domain: inf at s = 1 and at the
    integers q <= 0, NaN for s < 1 and for q < 0 with a fractional s (a negative q with an integer s sums
    the terms as they are, down to q = -1e6: NaN below). Both arrays in float64 (`q`'s dtype is the result's)."""
    s, q = np.broadcast_arrays(np.asarray(s, dtype=np.float64), q)
    out = np.full(s.shape, np.nan)
    pole = (s == 1) | ((q <= 0) & (q == np.floor(q)) & (s > 1))
    out[pole] = np.inf
    # (a negative q is shifted past 0 term by term: NaN below -1e6, where that would take over a million steps)
    summed = (s > 1) & ~pole & ((q > 0) | (s == np.floor(s))) & np.isfinite(q) & (q > -1e6)
    finite_s = summed & np.isfinite(s)
    out[finite_s] = _hurwitz_zeta(s[finite_s], q[finite_s])
    infinite_s = summed & (s == np.inf)  # the first term alone: 0, 1 or inf as q > 1, = 1, < 1
    out[infinite_s] = np.where(q[infinite_s] > 1, 0.0, np.where(q[infinite_s] == 1, 1.0, np.inf))
    out[(q == np.inf) & (s > 1)] = 0.0
    return out


_ERFCX_FRACTION_DEPTH = 120


def _erfcx(x: np.ndarray) -> np.ndarray:
    """e^(x^2) erfc(x): the product below 2 (where e^(x^2) is exact enough), Laplace's continued fraction
    1 / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))) from 2 on, and 2 e^(x^2) - erfcx(-x) for x < 0
    (inf below -26.6, where it overflows)."""
    out = np.empty_like(x)
    magnitude = np.abs(x)
    near = magnitude < 2
    out[near] = np.exp(x[near] ** 2) * erfc(x[near])
    far = ~near
    z = magnitude[far]
    fraction = z.copy()
    for k in range(_ERFCX_FRACTION_DEPTH, 0, -1):
        fraction = z + (k / 2) / fraction
    positive = np.where(z == np.inf, 0.0, 1 / (_SQRT_PI * fraction))
    out[far] = np.where(x[far] > 0, positive, 2 * np.exp(z * z) - positive)
    out[np.isnan(x)] = np.nan
    return out


erfcx = _in_float64(_erfcx)


def _log_power_over_gamma(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log(x^a e^-x / Gamma(a + 1)). For a >= 10 through Stirling's series, as
    -a (t - log1p(t)) - log(2 pi a) / 2 - (its correction) with t = x / a - 1, which keeps the digits that
    a log x - x - lgamma(a + 1) loses to cancellation for large a."""
    out = np.empty(np.broadcast_shapes(a.shape, x.shape))
    small = a < 10
    out[small] = a[small] * np.log(x[small]) - x[small] - _lgamma(a[small] + 1)
    b, y = a[~small], x[~small]
    t = y / b - 1
    deviation = t - np.log1p(t)
    series = np.abs(t) < 0.1  # t - log1p(t) = sum_{k>=2} (-t)^k / k cancels there
    u = t[series]
    deviation[series] = _horner([0.0, 0.0] + [(-1) ** k / k for k in range(2, 24)], u)
    correction = sum(float(bern / (2 * j * (2 * j - 1))) / b ** (2 * j - 1)
                     for j, bern in enumerate(_BERNOULLI[:6], start=1))
    out[~small] = -b * deviation - 0.5 * np.log(2 * np.pi * b) - correction
    return out


def _regularized_gamma(a: np.ndarray, x: np.ndarray, upper: bool) -> np.ndarray:
    """P(a, x) = gamma(a, x) / Gamma(a) (Q = 1 - P when upper): the series
    x^a e^-x / Gamma(a + 1) sum_n x^n / ((a + 1) ... (a + n)) where x < a + 1, else Legendre's continued
    fraction for Q (modified Lentz), each run until its terms are below 1e-17 of the sum (NaN where 100000
    steps do not get there: near x = a for a beyond about 1e9, where the steps grow as sqrt(a)). At the edges:
    NaN for a < 0 or x < 0 or (a, x) = (0, 0) or (inf, inf); P(0, x > 0) = 1, P(a, 0) = 0, P(a, inf) = 1,
    P(inf, x) = 0 (NaN in, NaN out)."""
    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), x)
    p = np.full(a.shape, np.nan)
    p[(a == 0) & (x > 0)] = 1.0
    p[(a > 0) & (x == 0)] = 0.0
    p[(a >= 0) & (a < np.inf) & (x == np.inf)] = 1.0
    p[(a == np.inf) & (x >= 0) & (x < np.inf)] = 0.0
    inner = (a > 0) & (a < np.inf) & (x > 0) & (x < np.inf)
    series = inner & (x < a + 1)
    fraction = inner & ~series
    q = np.array(1.0 - p)  # (an array also for 0-d p, whose difference is a NumPy scalar)
    b, y = a[series], x[series]
    term, total = np.ones_like(b), np.ones_like(b)
    active = np.ones(b.shape, bool)
    n = 0
    while active.any() and n < 100000:
        n += 1
        term = np.where(active, term * y / (b + n), 0.0)
        total += term
        active &= term > 1e-17 * total
    p[series] = np.where(active, np.nan, np.exp(_log_power_over_gamma(b, y)) * total)  # NaN: not converged
    q[series] = 1.0 - p[series]
    b, y = a[fraction], x[fraction]
    tiny = 1e-300
    c_term = np.full_like(b, 1 / tiny)
    d_term = 1 / (y + 1 - b)
    h = d_term.copy()
    active = np.ones(b.shape, bool)
    n = 0
    while active.any() and n < 100000:
        n += 1
        an, bn = -n * (n - b), y + 2 * n + 1 - b
        d_term = an * d_term + bn
        d_term = 1 / np.where(np.abs(d_term) < tiny, tiny, d_term)
        c_term = bn + an / c_term
        c_term = np.where(np.abs(c_term) < tiny, tiny, c_term)
        delta = c_term * d_term
        h = np.where(active, h * delta, h)
        active &= np.abs(delta - 1) > 3e-16  # (about an ulp: delta may settle next to 1, not on it)
    # x^a e^-x / Gamma(a) = a x^a e^-x / Gamma(a + 1)
    q[fraction] = np.where(active, np.nan, np.exp(_log_power_over_gamma(b, y) + np.log(b)) * h)
    p[fraction] = 1.0 - q[fraction]
    q[np.isnan(p)] = np.nan
    return q if upper else p


gammainc = _in_float64(functools.partial(_regularized_gamma, upper=False))
gammaincc = _in_float64(functools.partial(_regularized_gamma, upper=True))

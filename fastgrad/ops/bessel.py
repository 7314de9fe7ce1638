"""Bessel functions of the first and second kind (J0, J1, Y0, Y1), the modified ones of the second kind (K0, K1,
and e^x K), the spherical j0 and the Airy function Ai, for fastgrad.special. (I0, I1 and their scaled forms are
in special_math.py.)

Each function takes one floating array, computes in float64 and returns the input's dtype (see
special_math._in_float64). Three regimes, by |x|:
- near 0, the power series (A&S 9.1.10-11, 9.6.10-13, 10.4.2), whose terms stay below 1 in size there;
- in the middle, integral representations evaluated by quadrature: the trapezoid rule over a whole period for
  J0 and J1 (spectrally accurate), over a decaying even integrand for K (likewise), and Gauss-Legendre for the
  others, which are not periodic;
- far out, the Hankel asymptotic expansions, whose smallest term there is below 1e-17 relative.
The quadratures keep the absolute error near float64's; near a zero of an oscillating function the relative error
grows, as in every implementation.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from fastgrad.ops.special_math import _in_float64

_EULER_GAMMA = 0.5772156649015329
_ASYMPTOTIC_FROM = 25.0
_SERIES_BELOW = 2.0
_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(96)


_BLOCK = 4096


def _blockwise(compute, *arrays: np.ndarray) -> np.ndarray:
    """compute(*arrays) over blocks of _BLOCK elements of the 1-D arrays, whose quadratures hold a dim of about
    100 nodes per element: memory stays bounded for large inputs."""
    if arrays[0].size <= _BLOCK:
        return compute(*arrays)
    return np.concatenate([compute(*(a[start:start + _BLOCK] for a in arrays))
                           for start in range(0, arrays[0].size, _BLOCK)])


def _gauss_legendre(integrand, low, high, parameter) -> np.ndarray:
    """The integral of integrand(t, parameter) over [low, high] (1-D arrays of one length, as `parameter`), by
    96-point Gauss-Legendre: integrand gets t with a last dim of nodes and parameter with a last dim of 1."""

    def integrate(low, high, parameter):
        half = ((high - low) / 2)[:, None]
        t = ((high + low) / 2)[:, None] + half * _GAUSS_NODES
        return (integrand(t, parameter[:, None]) * _GAUSS_WEIGHTS).sum(-1) * half[:, 0]

    return _blockwise(integrate, low, high, parameter)


def _hankel_terms(order: float, count: int = 30) -> list[float]:
    """a_k(order) = prod_{j<=k} (4 order^2 - (2j - 1)^2) / (k! 8^k), k = 0..count-1: the coefficients of the
    Hankel expansions of J, Y and K."""
    terms, term = [1.0], 1.0
    for k in range(1, count):
        term *= (4 * order * order - (2 * k - 1) ** 2) / (8 * k)
        terms.append(term)
    return terms


def _hankel_pq(order: float, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P and Q of J = sqrt(2 / (pi x)) (P cos chi - Q sin chi), Y = sqrt(2 / (pi x)) (P sin chi + Q cos chi)."""
    p, q, power = np.zeros_like(x), np.zeros_like(x), np.ones_like(x)
    for k, a in enumerate(_hankel_terms(order)):
        term = a * power
        if k % 2 == 0:
            p += term if k % 4 == 0 else -term
        else:
            q += term if k % 4 == 1 else -term
        power = power / x
    return p, q


def _phase(order: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cos chi, sin chi), chi = x - (order / 2 + 1/4) pi, from cos x and sin x (whose argument reduction
    is exact, where x - chi's constant would round)."""
    cos, sin = np.cos(x), np.sin(x)
    if order == 0:
        return (cos + sin) / math.sqrt(2), (sin - cos) / math.sqrt(2)
    return (sin - cos) / math.sqrt(2), -(sin + cos) / math.sqrt(2)


def _digamma_of_integers(count: int) -> np.ndarray:
    """psi(1), ..., psi(count): -gamma plus the harmonic numbers."""
    return -_EULER_GAMMA + np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, count))])


_PSI = _digamma_of_integers(40)


def _series(order: int, x: np.ndarray, sign: float, with_digamma: bool) -> np.ndarray:
    """sum_k c_k (sign x^2 / 4)^k / (k! (k + order)!) (x / 2)^order, c_k = psi(k + 1) + psi(k + order + 1)
    with_digamma, else 1 (30 terms: below 1e-17 of the sum for |x| < 2)."""
    quarter = sign * x * x / 4
    term = (x / 2) ** order / math.factorial(order)
    total = np.zeros_like(x)
    for k in range(30):
        total += term * ((_PSI[k] + _PSI[k + order]) if with_digamma else 1.0)
        term = term * quarter / ((k + 1) * (k + 1 + order))
    return total


# -- J0, J1, Y0, Y1 ------------------------------------------------------------------------------------------
_PERIOD_POINTS = 96
_THETA = 2 * np.pi * np.arange(_PERIOD_POINTS) / _PERIOD_POINTS


def _bessel_j(order: int, x: np.ndarray) -> np.ndarray:
    """J_order(x): the series below 2, the trapezoid rule on (1 / 2 pi) int_0^2pi cos(order t - x sin t) dt
    (its error is J_{96 - order}(x), below 1e-18 for |x| < 25), the Hankel expansion beyond. J0 is even, J1
    odd; NaN at the infinities, as PyTorch's (the limit is 0)."""
    magnitude = np.abs(x)
    out = np.zeros_like(x)
    small = magnitude < _SERIES_BELOW
    out[small] = _series(order, magnitude[small], -1.0, False)
    middle = (magnitude >= _SERIES_BELOW) & (magnitude < _ASYMPTOTIC_FROM)
    out[middle] = _blockwise(lambda z: np.cos(order * _THETA - z[:, None] * np.sin(_THETA)).mean(-1),
                             magnitude[middle])
    large = (magnitude >= _ASYMPTOTIC_FROM) & np.isfinite(magnitude)
    z = magnitude[large]
    p, q = _hankel_pq(order, z)
    cos, sin = _phase(order, z)
    out[large] = np.sqrt(2 / (np.pi * z)) * (p * cos - q * sin)
    out[~np.isfinite(x)] = np.nan
    return np.where(x < 0, -out, out) if order else out


def _bessel_y(order: int, x: np.ndarray) -> np.ndarray:
    """Y_order(x) for x > 0 (-inf at 0, NaN below and at inf, as PyTorch's): the series below 2; then
    (1/pi) int_0^pi sin(x sin t - order t) dt
    - (1/pi) int_0^inf (e^{order t} + (-1)^order e^{-order t}) e^{-x sinh t} dt
    by Gauss-Legendre (the second integral cut where e^{-x sinh t} < 1e-20); the Hankel expansion beyond 25."""
    out = np.full_like(x, np.nan)
    out[x == 0] = -np.inf
    small = (x > 0) & (x < _SERIES_BELOW)
    z = x[small]
    j = _series(order, z, -1.0, False)
    if order == 0:
        out[small] = 2 / np.pi * (np.log(z / 2) * j - _series(0, z, -1.0, True) / 2)
    else:
        out[small] = -2 / (np.pi * z) + 2 / np.pi * np.log(z / 2) * j - _series(1, z, -1.0, True) / np.pi
    middle = (x >= _SERIES_BELOW) & (x < _ASYMPTOTIC_FROM)
    z = x[middle]
    oscillating = _gauss_legendre(lambda t, w: np.sin(w * np.sin(t) - order * t), np.zeros_like(z),
                                  np.full_like(z, np.pi), z)
    decaying = _gauss_legendre(
        lambda t, w: (np.exp(order * t) + (-1) ** order * np.exp(-order * t)) * np.exp(-w * np.sinh(t)),
        np.zeros_like(z), np.arcsinh(46 / z), z)
    out[middle] = (oscillating - decaying) / np.pi
    large = (x >= _ASYMPTOTIC_FROM) & (x < np.inf)
    z = x[large]
    p, q = _hankel_pq(order, z)
    cos, sin = _phase(order, z)
    out[large] = np.sqrt(2 / (np.pi * z)) * (p * sin + q * cos)
    return out


# -- K0, K1 and their scaled forms ----------------------------------------------------------------------------
_K_STEP = 0.05


def _scaled_bessel_k_integral(order: float, x: np.ndarray) -> np.ndarray:
    """e^x K_order(x) = int_0^inf e^{-x (cosh t - 1)} cosh(order t) dt by the trapezoid rule (step 0.05; the
    integrand is even and entire, so the error falls like e^{-2 pi d / step}), cut where the integrand is below
    1e-20 of its start. For x of order 1 to 25."""
    if not x.size:
        return np.zeros_like(x)
    end = np.arccosh(1 + 50 / x.min())  # (50, not 46: cosh(order t) <= e^4 there)
    t = np.arange(0.0, end + _K_STEP, _K_STEP)
    weights = np.full_like(t, _K_STEP)
    weights[0] /= 2
    return _blockwise(lambda z: (np.exp(-z[:, None] * (np.cosh(t) - 1)) * np.cosh(order * t) * weights).sum(-1), x)


def _scaled_bessel_k_asymptotic(order: float, x: np.ndarray) -> np.ndarray:
    """e^x K_order(x) ~ sqrt(pi / (2x)) sum_k a_k(order) / x^k, for x >= 25."""
    total, power = np.zeros_like(x), np.ones_like(x)
    for a in _hankel_terms(order):
        total += a * power
        power = power / x
    return np.sqrt(np.pi / (2 * x)) * total


def _bessel_k(order: int, x: np.ndarray, scaled: bool) -> np.ndarray:
    """K_order(x) (times e^x when scaled) for x > 0: the series below 2, the integral, the expansion beyond 25;
    inf at 0, NaN below 0, 0 at inf."""
    out = np.full_like(x, np.nan)
    out[x == 0] = np.inf
    out[x == np.inf] = 0.0
    small = (x > 0) & (x < _SERIES_BELOW)
    z = x[small]
    i = _series(order, z, 1.0, False)
    if order == 0:
        k = -np.log(z / 2) * i + _series(0, z, 1.0, True) / 2
    else:
        k = 1 / z + np.log(z / 2) * i - _series(1, z, 1.0, True) / 2
    out[small] = k * np.exp(z) if scaled else k
    rest = (x >= _SERIES_BELOW) & (x < np.inf)
    z = x[rest]
    middle = z < _ASYMPTOTIC_FROM
    values = np.empty_like(z)
    values[middle] = _scaled_bessel_k_integral(order, z[middle])
    values[~middle] = _scaled_bessel_k_asymptotic(order, z[~middle])
    out[rest] = values if scaled else values * np.exp(-z)
    return out


# -- Airy Ai and the spherical j0 -----------------------------------------------------------------------------
_AI_0, _AI_PRIME_0 = 0.3550280538878172, -0.2588194037928068  # Ai(0), Ai'(0)


def _airy_series(x: np.ndarray) -> np.ndarray:
    """Ai(x) = Ai(0) f(x) + Ai'(0) g(x), f = sum 3^k (1/3)_k x^3k / (3k)!, g = sum 3^k (2/3)_k x^(3k+1) / (3k+1)!
    (A&S 10.4.2-3), for |x| <= 1."""
    cube = x ** 3
    f_term, g_term = np.ones_like(x), x.copy()
    f, g = f_term.copy(), g_term.copy()
    for k in range(1, 20):
        f_term = f_term * cube / ((3 * k - 1) * (3 * k))
        g_term = g_term * cube / ((3 * k) * (3 * k + 1))
        f += f_term
        g += g_term
    return _AI_0 * f + _AI_PRIME_0 * g


def _airy(x: np.ndarray) -> np.ndarray:
    """Ai(x): the series for |x| <= 1; for x > 1, sqrt(x / 3) K_{1/3}(zeta) / pi with zeta = 2/3 x^(3/2); for
    x < -1, with z = -x, sqrt(z) / 3 (J_{1/3} + J_{-1/3})(zeta), the sum being
    (2/pi) int_0^pi cos(t/3) cos(zeta sin t) dt + (sqrt 3 / pi) int_0^inf e^{-zeta sinh t} sinh(t/3) dt
    below zeta = 25 and z^(-1/4) / sqrt(pi) (P cos(zeta - pi/4) - Q sin(zeta - pi/4)) beyond. NaN at both
    infinities, as PyTorch's (the limits are 0)."""
    out = np.full_like(x, np.nan)
    near = np.abs(x) <= 1
    out[near] = _airy_series(x[near])
    positive = (x > 1) & (x < np.inf)
    z = x[positive]
    zeta = 2 / 3 * z * np.sqrt(z)
    middle = zeta < _ASYMPTOTIC_FROM
    scaled = np.empty_like(z)
    scaled[middle] = _scaled_bessel_k_integral(1 / 3, zeta[middle])
    scaled[~middle] = _scaled_bessel_k_asymptotic(1 / 3, zeta[~middle])
    out[positive] = np.sqrt(z / 3) / np.pi * scaled * np.exp(-zeta)
    negative = (x < -1) & (x > -np.inf)
    z = -x[negative]
    zeta = 2 / 3 * z * np.sqrt(z)
    values = np.empty_like(z)
    middle = zeta < _ASYMPTOTIC_FROM
    w = zeta[middle]
    oscillating = _gauss_legendre(lambda t, v: np.cos(t / 3) * np.cos(v * np.sin(t)), np.zeros_like(w),
                                  np.full_like(w, np.pi), w)
    decaying = _gauss_legendre(lambda t, v: np.exp(-v * np.sinh(t)) * np.sinh(t / 3), np.zeros_like(w),
                               np.arcsinh(50 / w), w)
    values[middle] = np.sqrt(z[middle]) / 3 * (2 / np.pi * oscillating + math.sqrt(3) / np.pi * decaying)
    w = zeta[~middle]
    p, q = _hankel_pq(1 / 3, w)
    cos, sin = np.cos(w), np.sin(w)  # cos(w - pi/4) and sin(w - pi/4) from these, as in _phase
    values[~middle] = (p * (cos + sin) - q * (sin - cos)) / math.sqrt(2) / (np.sqrt(np.pi) * z[~middle] ** 0.25)
    out[negative] = values
    return out


def _spherical_j0(x: np.ndarray) -> np.ndarray:
    """sin(x) / x, 1 at 0 and 0 at the infinities."""
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 1.0, np.where(np.isinf(x), 0.0, np.sin(safe) / safe))


bessel_j0, bessel_j1 = _in_float64(functools.partial(_bessel_j, 0)), _in_float64(functools.partial(_bessel_j, 1))
bessel_y0, bessel_y1 = _in_float64(functools.partial(_bessel_y, 0)), _in_float64(functools.partial(_bessel_y, 1))
bessel_k0 = _in_float64(functools.partial(_bessel_k, 0, scaled=False))
bessel_k1 = _in_float64(functools.partial(_bessel_k, 1, scaled=False))
scaled_bessel_k0 = _in_float64(functools.partial(_bessel_k, 0, scaled=True))
scaled_bessel_k1 = _in_float64(functools.partial(_bessel_k, 1, scaled=True))
airy_ai, spherical_bessel_j0 = _in_float64(_airy), _in_float64(_spherical_j0)

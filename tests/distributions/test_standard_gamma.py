"""The standard gamma's regularized incomplete gamma function P(a, x) and the implicit derivative of its
draws, dx/da at a fixed level P(a, x), against mpmath (at 40 digits): the derivative against a central
difference of mpmath's inversion of P."""
import numpy as np
import pytest

from fastgrad.distributions.standard_gamma import regularized_lower_gamma, standard_gamma_sample_derivative

mpmath = pytest.importorskip("mpmath")

CONCENTRATIONS = [1e-3, 0.1, 0.7, 1.0, 2.5, 10.0, 150.0, 3000.0]
LEVELS = [1e-8, 0.05, 0.5, 0.95, 1 - 1e-8]


def lower_gamma(a, x):
    return mpmath.gammainc(a, 0, x, regularized=True)


def quantile(a, level, near=None):
    """x with P(a, x) = level, solved for t = log x (P is monotone in it): bisection from a bracket (or
    from `near`, a nearby solution), then Newton's method, with dP/dt = x^a e^-x / Gamma(a)."""
    if near is None:
        low, high = mpmath.mpf(-700), mpmath.log(a + 60 * mpmath.sqrt(a) + 60)
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (middle, high) if lower_gamma(a, mpmath.exp(middle)) < level else (low, middle)
        t = (low + high) / 2
    else:
        t = mpmath.log(near)
    for _ in range(6):
        x = mpmath.exp(t)
        t -= (lower_gamma(a, x) - level) / mpmath.exp(a * t - x - mpmath.loggamma(a))
    return mpmath.exp(t)


def points():
    with mpmath.workdps(40):
        for a in CONCENTRATIONS:
            for level in LEVELS:
                x = quantile(mpmath.mpf(a), mpmath.mpf(level))
                if x > 1e-300:  # below, the draw is clamped to the smallest float
                    yield a, level, x


@pytest.fixture(scope="module")
def quantiles():
    found = list(points())
    assert len(found) >= 35 and sum(x > a + 1 for a, _, x in found) >= 10  # both expansions are exercised
    return found


def test_regularized_lower_gamma_matches_mpmath(quantiles):
    a = np.array([a for a, _, _ in quantiles])
    x = np.array([float(x) for _, _, x in quantiles])
    with mpmath.workdps(40):
        expected = np.array([float(lower_gamma(mpmath.mpf(float(ai)), mpmath.mpf(float(xi)))) for ai, xi in zip(a, x)])
    # lgamma's relative error, times the size of the exponent of x^a e^-x / Gamma(a), bounds the error
    tolerance = 1e-15 * (10 + np.abs(a * np.log(x)) + x)
    assert (np.abs(regularized_lower_gamma(a, x) - expected) <= tolerance * np.abs(expected)).all()


def test_regularized_lower_gamma_at_the_ends_of_its_domain():
    a = np.array([1.0, 1.0, 2.0, 0.0, -1.0, 1.0, np.nan, 2.0])
    x = np.array([0.0, np.inf, 1e-310, 1.0, 1.0, -1.0, 1.0, np.nan])
    found = regularized_lower_gamma(a, x)
    np.testing.assert_array_equal(found[:2], [0.0, 1.0])
    assert 0 <= found[2] < 1e-300 and np.isnan(found[3:]).all()


def test_regularized_lower_gamma_at_concentrations_whose_derivative_overflows():
    """Below a = 1e-154 the series' derivative in a overflows at its first term; the value's sum must not
    stop with it (P(1e-200, 0.85) came out 0.79, the first two terms, for 1 - 1.6e-201)."""
    a = np.array([1e-200, 1e-300, 1e-160, 1e-3])
    x = np.array([0.85, 0.5, 2.5, 0.85])
    with mpmath.workdps(40):
        expected = [float(lower_gamma(mpmath.mpf(ai), mpmath.mpf(xi))) for ai, xi in zip(a, x)]
    # lgamma(a) is about 460 to 690 there: its rounding in the prefactor's exponent allows 1e-13
    np.testing.assert_allclose(regularized_lower_gamma(a, x), expected, rtol=1e-13)


def test_draw_derivative_is_the_central_difference_of_mpmaths_inversion(quantiles):
    a = np.array([a for a, _, _ in quantiles])
    x = np.array([float(x) for _, _, x in quantiles])
    expected = []
    with mpmath.workdps(40):
        for ai, level, xi in quantiles:
            ai, level = mpmath.mpf(ai), mpmath.mpf(level)
            step = ai * mpmath.mpf("1e-12")
            expected.append(float((quantile(ai + step, level, xi) - quantile(ai - step, level, xi)) / (2 * step)))
    # x itself is rounded to a double: the derivative moves with it by about its relative eps
    np.testing.assert_allclose(standard_gamma_sample_derivative(a, x), expected, rtol=1e-12)

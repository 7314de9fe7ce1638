"""fastgrad.ops.special_math against mpmath (at 40 digits, or more where the arguments need them): relative
errors of a few float64 ulps over wide ranges, the regions where a naive formula cancels (lgamma near 1 and 2,
digamma near its positive zero, the tails of the normal distribution, sinc's derivative near 0), and PyTorch's
values at the poles and infinities."""
import math

import numpy as np
import pytest

from fastgrad.ops import special_math

mpmath = pytest.importorskip("mpmath")

RNG = np.random.default_rng(0)
inf, nan = math.inf, math.nan


def worst_relative_error(function, reference, points, digits: int = 40) -> float:
    got = function(np.asarray(points, dtype=np.float64))
    with mpmath.workdps(digits):
        expected = np.array([float(reference(mpmath.mpf(float(x)))) for x in points])
    return float(np.max(np.abs(got - expected) / np.abs(expected)))


def log_abs_gamma(x):
    return mpmath.log(abs(mpmath.gamma(x)))


POSITIVE = np.concatenate([RNG.uniform(0, 3, 60), RNG.uniform(3, 40, 40), 10 ** RNG.uniform(-300, 300, 40)])
NEGATIVE = -np.concatenate([RNG.uniform(0, 12, 60), 10 ** RNG.uniform(-10, 4, 20)]) - 1e-7


def test_lgamma_is_accurate_to_a_few_ulps_including_next_to_its_zeros_at_1_and_2():
    assert worst_relative_error(special_math.lgamma, log_abs_gamma, POSITIVE) < 6e-16
    near_zeros = np.concatenate([1 + 10 ** RNG.uniform(-15, -1, 20) * RNG.choice([-1, 1], 20),
                                 2 + 10 ** RNG.uniform(-15, -1, 20) * RNG.choice([-1, 1], 20)])
    assert worst_relative_error(special_math.lgamma, log_abs_gamma, near_zeros) < 6e-16


def test_lgamma_of_negative_arguments_by_reflection():
    # (its zeros at -2.457..., -2.747..., ... cost relative accuracy, as in every implementation: kept away here)
    points = NEGATIVE[np.abs(special_math.lgamma(NEGATIVE)) > 0.1]
    assert worst_relative_error(special_math.lgamma, log_abs_gamma, points) < 2e-15
    next_to_poles = -np.arange(1.0, 6.0) + 1e-9
    assert worst_relative_error(special_math.lgamma, log_abs_gamma, next_to_poles) < 4e-16


def test_digamma_is_accurate_including_next_to_its_positive_zero():
    assert worst_relative_error(special_math.digamma, mpmath.digamma, POSITIVE) < 3e-15
    root = 1.4616321449683622
    near_root = root + 10 ** RNG.uniform(-15, -0.7, 40) * RNG.choice([-1, 1], 40)
    assert worst_relative_error(special_math.digamma, mpmath.digamma, near_root) < 4e-16
    points = NEGATIVE[np.abs(special_math.digamma(NEGATIVE)) > 0.1]
    assert worst_relative_error(special_math.digamma, mpmath.digamma, points) < 2e-15


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_polygamma_is_accurate_on_both_sides_of_zero(n):
    positive = POSITIVE[(POSITIVE < 1e30) & (POSITIVE > 1e-30)]  # (no overflow to inf)
    assert worst_relative_error(lambda x: special_math.polygamma(n, x), lambda x: mpmath.polygamma(n, x),
                                positive) < 1e-15
    negative = NEGATIVE[NEGATIVE > -1e3]
    assert worst_relative_error(lambda x: special_math.polygamma(n, x), lambda x: mpmath.polygamma(n, x),
                                negative) < 5e-14


def test_erfinv_is_accurate_near_zero_and_next_to_one():
    points = np.concatenate([RNG.uniform(-1, 1, 80), 1 - 10 ** RNG.uniform(-16, -1, 30),
                             10 ** RNG.uniform(-300, -1, 20)])
    assert worst_relative_error(special_math.erfinv, mpmath.erfinv, points) < 4e-16


def test_ndtr_and_log_ndtr_keep_relative_accuracy_in_the_tails():
    normal_cdf = lambda x: mpmath.ncdf(x)
    # erfc's argument x / sqrt 2 is rounded: in the lower tail a relative error up to x^2 ulps, as in PyTorch
    assert worst_relative_error(special_math.ndtr, normal_cdf, RNG.uniform(-3, 10, 80)) < 2e-15
    assert worst_relative_error(special_math.ndtr, normal_cdf, RNG.uniform(-37, -3, 60)) < 2e-13
    points = np.concatenate([RNG.uniform(-60, 10, 80), -10 ** RNG.uniform(1, 150, 30), [-1.0, -19.99, -36.8, -37.7]])
    assert worst_relative_error(special_math.log_ndtr, lambda x: mpmath.log(normal_cdf(x)), points) < 2e-14


def test_ndtri_inverts_ndtr_down_to_the_smallest_probabilities():
    points = np.concatenate([RNG.uniform(0, 1, 60), 10 ** RNG.uniform(-307, -1, 40), 1 - 10 ** RNG.uniform(-16, -1, 20),
                             [np.nextafter(0.5, 0), np.nextafter(0.5, 1), 1e-310, 5e-324]])

    def quantile(p):
        """x with ncdf(x) = p, by Newton's method on log ncdf from fastgrad's answer (ncdf(-x) = 1 - p exactly)."""
        if p > 0.5:
            return -quantile(1 - p)
        x = mpmath.mpf(float(special_math.ndtri(np.array([float(p)]))[0]))
        for _ in range(4):
            x -= (mpmath.log(mpmath.ncdf(x)) - mpmath.log(p)) * mpmath.ncdf(x) / mpmath.npdf(x)
        return x

    assert worst_relative_error(special_math.ndtri, quantile, points) < 4e-16
    assert special_math.ndtri(np.array([0.5]))[0] == 0 and not np.signbit(special_math.ndtri(np.array([0.5]))[0])


@pytest.mark.parametrize("order", [0, 1])
def test_bessel_i0_and_i1_on_both_branches(order):
    function = special_math.bessel_i1 if order else special_math.bessel_i0
    points = np.concatenate([RNG.uniform(-40, 40, 80), RNG.uniform(-713, 713, 30), [0.0, 24.99, 25.0, -25.0]])
    points = points[points != 0] if order else points
    assert worst_relative_error(function, lambda x: mpmath.besseli(order, x), points) < 3e-15


def test_sinc_derivative_is_accurate_next_to_zero():
    # (up to 1.2: towards 1.43, its first zero, the formula away from 0 cancels, as PyTorch's)
    points = np.concatenate([10 ** RNG.uniform(-12, -0.7, 40) * RNG.choice([-1, 1], 40), RNG.uniform(0.25, 1.2, 30)])
    derivative = lambda x: (mpmath.cos(mpmath.pi * x) - mpmath.sinc(mpmath.pi * x)) / x
    assert worst_relative_error(special_math.sinc_derivative, derivative, points) < 2e-15
    assert special_math.sinc_derivative(np.array([0.0]))[0] == 0


def test_values_at_poles_and_infinities_are_pytorch_s():
    x = np.array([0.0, -0.0, -1.0, -3.0, inf, -inf, nan])
    expected = {
        "lgamma": [inf, inf, inf, inf, inf, inf, nan],
        "digamma": [-inf, inf, nan, nan, inf, nan, nan],
        "trigamma": [inf, inf, inf, inf, 0.0, nan, nan],
        "polygamma2": [-inf, -inf, -inf, -inf, nan, -inf, nan],
        "polygamma3": [inf, inf, inf, inf, nan, inf, nan],
        "i0": [1.0, 1.0, float(mpmath.besseli(0, -1)), float(mpmath.besseli(0, -3)), nan, nan, nan],
    }
    got = {"lgamma": special_math.lgamma(x), "digamma": special_math.digamma(x),
           "trigamma": special_math.polygamma(1, x), "polygamma2": special_math.polygamma(2, x),
           "polygamma3": special_math.polygamma(3, x), "i0": special_math.bessel_i0(x)}
    for name, values in expected.items():
        np.testing.assert_allclose(got[name], values, rtol=1e-15, err_msg=name)
    np.testing.assert_array_equal(special_math.erfinv(np.array([1.0, -1.0, 1.5, -0.0, nan])),
                                  [inf, -inf, nan, -0.0, nan])
    assert np.signbit(special_math.erfinv(np.array([-0.0])))[0]
    np.testing.assert_array_equal(special_math.ndtri(np.array([0.0, 1.0, -0.1, 1.1])), [-inf, inf, nan, nan])
    np.testing.assert_array_equal(special_math.log_ndtr(np.array([inf, -inf, 0.0])), [0.0, -inf, math.log(0.5)])
    np.testing.assert_array_equal(special_math.entr(np.array([0.0, -0.0, -1.0, inf, nan, 1.0])),
                                  [0, 0, -inf, -inf, nan, 0])


def test_inputs_keep_their_dtype_and_shape_without_warnings():
    with np.errstate(all="raise"):  # NumPy's warnings for the infinities made on purpose are silenced
        for function in (special_math.lgamma, special_math.digamma, special_math.erfinv, special_math.bessel_i0,
                         special_math.ndtr, special_math.ndtri, special_math.log_ndtr, special_math.entr,
                         special_math.sinc_derivative, special_math.log2):
            for x in (np.array([[0.0, -1.0], [inf, nan]], dtype=np.float32), np.float64(0.5) * np.ones(()),
                      np.zeros((0, 2))):
                out = function(x)
                assert out.dtype == x.dtype and out.shape == x.shape

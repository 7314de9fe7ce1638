"""VonMises without PyTorch: log I0 and I1 / I0 against mpmath at every scale, gradchecks of log_prob and
the variance, draws from the rejection sampler against the cdf (Kolmogorov-Smirnov), wrapping, dtypes, and
the argument checks."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.autograd.gradcheck import gradgradcheck
from fastgrad.distributions import VonMises
from fastgrad.distributions.von_mises import BesselRatio, LogBesselI0
from fastgrad.testing import check_gradients, float64_leaf

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BACKENDS = ["numpy", "compiled", "python"]
CONCENTRATIONS = [1e-8, 1e-3, 0.5, 3.75, 24.9, 25.0, 80.0, 700.0, 1e4]


def test_log_bessel_and_ratio_match_mpmath_without_overflow():
    mpmath = pytest.importorskip("mpmath")  # (installed with the parity extra: PyTorch needs it)
    x = np.array(CONCENTRATIONS)
    with mpmath.workdps(40):  # log I0 is near x^2 / 4 at small x: it needs more digits than the default
        log_i0 = [float(mpmath.log(mpmath.besseli(0, value))) for value in CONCENTRATIONS]
        ratio = [float(mpmath.besseli(1, value) / mpmath.besseli(0, value)) for value in CONCENTRATIONS]
    np.testing.assert_allclose(LogBesselI0.apply(fastgrad.tensor(x)).numpy(), log_i0, rtol=1e-14, atol=1e-22)
    np.testing.assert_allclose(BesselRatio.apply(fastgrad.tensor(x)).numpy(), ratio, rtol=1e-14)
    assert np.isfinite(LogBesselI0.apply(fastgrad.tensor(x.astype(np.float32))).numpy()).all()


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), seed=st.integers(0, 2**16),
       scale=st.sampled_from([1.0, 30.0]))
def test_log_prob_and_variance_gradcheck(backend_name, shape, seed, scale):
    """scale 30 puts the concentrations in the asymptotic branch of the Bessel functions."""
    loc, value = float64_leaf(shape, seed), float64_leaf(shape, seed + 1, low=-3.0, high=3.0)
    concentration = float64_leaf(shape, seed + 2, low=0.1 * scale, high=3.0 * scale)
    check_gradients(backend_name, lambda m, k, x: VonMises(m, k).log_prob(x), loc, concentration, value)
    check_gradients(backend_name, lambda k: VonMises(0.0, k).variance, concentration)


@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_log_prob_and_variance_gradgradcheck(scale):
    """The Bessel functions' backward passes are recorded: second derivatives are exact too."""
    loc, value = float64_leaf((3,), 5), float64_leaf((3,), 6, low=-3.0, high=3.0)
    concentration = float64_leaf((3,), 7, low=0.1 * scale, high=3.0 * scale)
    assert gradgradcheck(lambda m, k, x: VonMises(m, k).log_prob(x), (loc, concentration, value))
    assert gradgradcheck(lambda k: VonMises(0.0, k).variance, (concentration,))


def density_cdf(distribution, grid):
    """The cdf on `grid` (over [-pi, pi)) by the trapezoid rule on the density."""
    density = distribution.log_prob(fastgrad.tensor(grid[:, None])).exp().numpy()
    steps = (density[1:] + density[:-1]) / 2 * np.diff(grid)[:, None]
    return np.concatenate([np.zeros((1, density.shape[1])), np.cumsum(steps, 0)])


@pytest.mark.parametrize("loc", [0.0, 3.0])
def test_draws_follow_the_density(loc):
    """The draws' empirical distribution function is the cdf, within the Kolmogorov-Smirnov bound of the
    sample size (the 1% critical value 1.63 / sqrt(n)), for concentrations from near-uniform to narrow."""
    fastgrad.manual_seed(7)
    count = 20000
    concentration = np.array([1e-6, 0.3, 2.0, 30.0, 500.0])
    distribution = VonMises(fastgrad.tensor(loc, dtype=fastgrad.float64), fastgrad.tensor(concentration))
    draws = distribution.sample((count,)).numpy()
    assert draws.shape == (count, 5) and (draws >= -math.pi).all() and (draws < math.pi).all()
    grid = np.linspace(-math.pi, math.pi, 200001)
    cdf = density_cdf(distribution, grid)
    for column in range(5):
        levels = np.interp(np.sort(draws[:, column]), grid, cdf[:, column])
        steps = np.arange(1, count + 1) / count
        assert np.abs(levels - steps).max() < 1.63 / math.sqrt(count), concentration[column]


def test_draws_keep_the_parameters_dtype_and_carry_no_gradient():
    loc = fastgrad.tensor([0.5, -1.0], requires_grad=True)
    draws = VonMises(loc, fastgrad.tensor(2.0)).sample((3,))
    assert draws.dtype == np.float32 and draws.shape == (3, 2) and not draws.requires_grad
    with pytest.raises(NotImplementedError):
        VonMises(loc, 2.0).rsample()


def test_log_prob_can_backward_twice_from_one_distribution():
    concentration = fastgrad.tensor([2.5, 0.5], dtype=fastgrad.float64, requires_grad=True)
    distribution = VonMises(0.3, concentration)
    value = fastgrad.tensor([0.25, -2.0], dtype=fastgrad.float64)
    distribution.log_prob(value).sum().backward()
    once = concentration.grad.numpy().copy()
    distribution.log_prob(value).sum().backward()
    np.testing.assert_allclose(concentration.grad.numpy(), 2 * once)


@pytest.mark.parametrize("make, message", [
    (lambda: VonMises(0.0, 0.0), r"parameter concentration .* GreaterThan\(lower_bound=0.0\)"),
    (lambda: VonMises(float("nan"), 1.0), r"parameter loc .* Real\(\)"),
    (lambda: VonMises(fastgrad.zeros(3), fastgrad.ones(2)), "shape mismatch"),
    (lambda: VonMises(0.0, 1.0).log_prob(fastgrad.tensor(float("nan"))), r"support \(Real\(\)\)"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()

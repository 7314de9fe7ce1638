"""Weibull, Pareto, Kumaraswamy and InverseGamma without PyTorch: draws follow the cdf, gradchecks of
log_prob, cdf, entropy and rsample, log_prob backward twice from one distribution, the modes, and the
argument checks."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.distributions import InverseGamma, Kumaraswamy, Pareto, Weibull
from fastgrad.testing import check_gradients, float64_leaf

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BACKENDS = ["numpy", "compiled", "python"]
COUNT = 20000


def positive(shape, seed):
    return float64_leaf(shape, seed, low=0.6, high=3.0)


# (the distribution from two positive leaves, a value in its support for those leaves)
FAMILIES = {
    "Weibull": (Weibull, lambda shape, seed, first, second: positive(shape, seed)),
    "Pareto": (Pareto, lambda shape, seed, scale, alpha: scale.detach() + positive(shape, seed)),
    "Kumaraswamy": (Kumaraswamy, lambda shape, seed, first, second: float64_leaf(shape, seed, 0.05, 0.95)),
    "InverseGamma": (InverseGamma, lambda shape, seed, first, second: positive(shape, seed)),
}


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("name", FAMILIES)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), seed=st.integers(0, 2**16))
def test_log_prob_cdf_entropy_and_rsample_gradcheck(backend_name, name, shape, seed):
    make, value_of = FAMILIES[name]
    parameters = [positive(shape, seed), positive(shape, seed + 1)]
    value = value_of(shape, seed + 2, *parameters)
    check_gradients(backend_name, lambda a, b, x: make(a, b).log_prob(x), *parameters, value)
    check_gradients(backend_name, lambda a, b: make(a, b).entropy(), *parameters)
    if name != "InverseGamma":  # (its cdf, Gamma's, has no gradient in the concentration, as PyTorch's)
        check_gradients(backend_name, lambda a, b, x: make(a, b).cdf(x), *parameters, value)

    def draws(a, b):
        fastgrad.manual_seed(seed)  # the same noise at every evaluation
        return make(a, b).rsample((2,))

    if name != "InverseGamma":  # (Gamma draws: their gradients are checked in test_gamma_family)
        check_gradients(backend_name, draws, *parameters)


@pytest.mark.parametrize("name", FAMILIES)
def test_draws_follow_the_cdf_and_lie_in_the_support(name):
    """The draws' empirical distribution function is the cdf, within the Kolmogorov-Smirnov bound."""
    fastgrad.manual_seed(2)
    distribution = FAMILIES[name][0](fastgrad.tensor([0.7, 1.5, 3.0], dtype=fastgrad.float64),
                                     fastgrad.tensor([[2.5], [0.8]], dtype=fastgrad.float64))
    draws = distribution.sample((COUNT,))
    assert draws.shape == (COUNT, 2, 3) and not draws.requires_grad
    assert distribution.support.check(draws).numpy().all()
    levels = distribution.cdf(fastgrad.tensor(np.sort(draws.numpy(), 0))).numpy()
    steps = np.arange(1, COUNT + 1)[:, None, None] / COUNT
    assert np.abs(levels - steps).max() < 1.63 / np.sqrt(COUNT)  # the 1% critical value


@pytest.mark.parametrize("name", FAMILIES)
def test_log_prob_can_backward_twice_from_one_distribution(name):
    """The transforms are rebuilt from the parameters at each use: no graph node is shared."""
    first = fastgrad.tensor([2.5, 0.5], dtype=fastgrad.float64, requires_grad=True)
    distribution = FAMILIES[name][0](first, 1.5)
    value = fastgrad.tensor([0.25, 0.5] if name == "Kumaraswamy" else [2.75, 3.0], dtype=fastgrad.float64)
    distribution.log_prob(value).sum().backward()
    once = first.grad.numpy().copy()
    distribution.log_prob(value).sum().backward()
    np.testing.assert_allclose(first.grad.numpy(), 2 * once)


def test_modes_are_where_the_density_peaks():
    """PyTorch's Weibull mode is positive (or NaN) for concentration <= 1 and its Kumaraswamy mode is NaN."""
    grid = np.linspace(1e-4, 1 - 1e-4, 20001)
    kumaraswamy = Kumaraswamy(fastgrad.tensor([0.5, 1.0, 2.5, 4.0, 3.0]), fastgrad.tensor([2.0, 2.0, 2.0, 0.5, 0.5]))
    peaks = grid[kumaraswamy.log_prob(fastgrad.tensor(grid[:, None] * np.ones(5))).numpy().argmax(0)]
    np.testing.assert_allclose(kumaraswamy.mode.numpy(), peaks, atol=1e-3)
    assert np.isnan(Kumaraswamy(fastgrad.tensor([0.5, 1.0]), fastgrad.tensor([0.5, 1.0])).mode.numpy()).all()
    weibull = Weibull(fastgrad.tensor([1.0, 2.0, 2.0]), fastgrad.tensor([0.5, 1.0, 3.0]))
    np.testing.assert_allclose(weibull.mode.numpy(), [0.0, 0.0, 2.0 * (2 / 3) ** (1 / 3)], rtol=1e-6)


@pytest.mark.parametrize("make, message", [
    (lambda: Weibull(-1.0, 1.0), r"parameter scale .* GreaterThan"),
    (lambda: Weibull(1.0, 0.0), r"parameter concentration .* GreaterThan"),
    (lambda: Weibull(1.0, 1.0).log_prob(fastgrad.tensor(-1.0)), r"support \(GreaterThan\(lower_bound=0.0\)\)"),
    (lambda: Pareto(1.0, -2.0), r"parameter alpha .* GreaterThan"),
    (lambda: Pareto(2.0, 1.0).log_prob(fastgrad.tensor(1.5)), r"support \(GreaterThanEq\(lower_bound=2.0\)\)"),
    (lambda: Kumaraswamy(0.0, 1.0), r"parameter concentration1 .* GreaterThan"),
    (lambda: Kumaraswamy(1.0, 1.0).log_prob(fastgrad.tensor(1.5)), r"support \(Interval"),
    (lambda: InverseGamma(1.0, -1.0), r"parameter rate .* GreaterThan"),
    (lambda: InverseGamma(1.0, 1.0).log_prob(fastgrad.tensor(0.0)), r"support \(GreaterThan"),
    (lambda: Weibull(fastgrad.ones(3), fastgrad.ones(2)), "shape mismatch"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()

"""MixtureSameFamily without PyTorch: draws have the mixture's mean, variance and cdf, gradchecks of
log_prob, cdf, mean and variance in the mixing logits and the components' parameters, and the checks."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
from fastgrad.distributions import Categorical, Gamma, MixtureSameFamily, MultivariateNormal, Normal
from fastgrad.testing import check_gradients, float64_leaf

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BACKENDS = ["numpy", "compiled", "python"]


def gaussian_mixture(logits, loc, scale):
    return MixtureSameFamily(Categorical(logits=logits), Normal(loc, scale))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=st.sampled_from([(), (2,), (3, 2)]), components=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_log_prob_cdf_and_moments_gradcheck(backend_name, batch, components, seed):
    leaves = (float64_leaf(batch + (components,), seed), float64_leaf(batch + (components,), seed + 1),
              float64_leaf(batch + (components,), seed + 2, low=0.5, high=2.0))
    value = float64_leaf((2,) + batch, seed + 3)
    check_gradients(backend_name, lambda *all_leaves: gaussian_mixture(*all_leaves[:3]).log_prob(all_leaves[3]),
                    *leaves, value)
    check_gradients(backend_name, lambda *all_leaves: gaussian_mixture(*all_leaves[:3]).cdf(all_leaves[3]),
                    *leaves, value)
    check_gradients(backend_name, lambda *parameters: gaussian_mixture(*parameters).mean, *leaves)
    check_gradients(backend_name, lambda *parameters: gaussian_mixture(*parameters).variance, *leaves)


def test_vector_components_gradcheck():
    logits, loc = float64_leaf((3,), 1), float64_leaf((3, 2), 2)
    covariance = fastgrad.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=fastgrad.float64)
    value = float64_leaf((4, 2), 3)
    check_gradients("numpy", lambda l, m, x: MixtureSameFamily(Categorical(logits=l),
                                                                MultivariateNormal(m, covariance)).log_prob(x),
                    logits, loc, value)


def test_draws_have_the_mixtures_mean_variance_and_cdf():
    fastgrad.manual_seed(6)
    count = 20000
    mixture = gaussian_mixture(fastgrad.tensor([[0.0, 1.0, -1.0], [2.0, 0.0, 0.0]], dtype=fastgrad.float64),
                               fastgrad.tensor([[-3.0, 0.0, 4.0], [-1.0, 0.0, 1.0]], dtype=fastgrad.float64),
                               fastgrad.tensor([0.5, 1.0, 2.0], dtype=fastgrad.float64))
    draws = mixture.sample((count,))
    assert draws.shape == (count, 2) and not draws.requires_grad
    variance = mixture.variance.numpy()
    assert (np.abs(draws.numpy().mean(0) - mixture.mean.numpy()) <= 4 * np.sqrt(variance / count)).all()
    levels = mixture.cdf(fastgrad.tensor(np.sort(draws.numpy(), 0))).numpy()
    steps = np.arange(1, count + 1)[:, None] / count
    assert np.abs(levels - steps).max() < 1.63 / np.sqrt(count)  # the 1% critical value


def test_a_mixture_of_a_smaller_batch_shape_is_broadcast_when_drawing():
    fastgrad.manual_seed(1)
    mixture = MixtureSameFamily(Categorical(logits=fastgrad.tensor([0.0, -50.0])),
                                Normal(fastgrad.tensor([[0.0, 100.0], [10.0, 100.0], [20.0, 100.0]]), 1e-3))
    draws = mixture.sample((5,)).numpy()
    assert draws.shape == (5, 3)
    np.testing.assert_allclose(draws, np.broadcast_to([0.0, 10.0, 20.0], (5, 3)), atol=0.01)


def test_log_prob_can_backward_twice_from_one_distribution():
    """(in the components' parameters: Categorical normalises its logits once, when it is made)"""
    loc = fastgrad.tensor([0.0, 1.0], dtype=fastgrad.float64, requires_grad=True)
    mixture = gaussian_mixture(fastgrad.tensor([0.5, -0.5], dtype=fastgrad.float64), loc, 1.0)
    mixture.log_prob(fastgrad.tensor([0.3], dtype=fastgrad.float64)).sum().backward()
    once = loc.grad.numpy().copy()
    mixture.log_prob(fastgrad.tensor([0.3], dtype=fastgrad.float64)).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), 2 * once)


@pytest.mark.parametrize("make, message", [
    (lambda: MixtureSameFamily(Normal(0.0, 1.0), Normal(fastgrad.zeros(2), 1.0)), "Categorical, got Normal"),
    (lambda: MixtureSameFamily(Categorical(logits=fastgrad.zeros(2)), "normal"), "Distribution, got str"),
    (lambda: MixtureSameFamily(Categorical(logits=fastgrad.zeros(3)), Normal(fastgrad.zeros(2), 1.0)),
     r"`mixture_distribution component` \(3\) does not equal `component_distribution.batch_shape\[-1\]` \(2\)"),
    (lambda: MixtureSameFamily(Categorical(logits=fastgrad.zeros(3, 2)), Normal(fastgrad.zeros(4, 2), 1.0)),
     r"batch_shape` \(\(3,\)\) is not compatible"),
    (lambda: MixtureSameFamily(Categorical(logits=fastgrad.zeros(1)), Normal(0.0, 1.0)), "needs a batch dim"),
    (lambda: MixtureSameFamily(Categorical(logits=fastgrad.zeros(2)), Gamma(fastgrad.ones(2), 1.0)).log_prob(
        fastgrad.tensor(-1.0)), r"support \(MixtureSameFamilyConstraint\(GreaterThanEq"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()

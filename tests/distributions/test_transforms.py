"""Transforms, TransformedDistribution and the relaxed distributions without PyTorch: caching, inverses,
the reparameterised draws' gradients (central differences with the noise fixed by reseeding), the draws'
distributions (exact facts of the Gumbel tricks at any temperature), and the argument checks."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
from fastgrad.distributions import (Normal, RelaxedBernoulli, RelaxedOneHotCategorical, TransformedDistribution,
                                    transforms)
from fastgrad.testing import check_gradients, float64_leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def x64(values):
    return fastgrad.tensor(np.asarray(values, dtype=np.float64))


# -- transforms ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("transform", [transforms.ExpTransform(), transforms.AffineTransform(0.5, -2.0),
                                       transforms.SigmoidTransform(), transforms.TanhTransform(),
                                       transforms.ComposeTransform([transforms.TanhTransform(),
                                                                    transforms.AffineTransform(1.0, 3.0)])])
def test_inverse_undoes_the_map_and_log_determinants_are_the_log_slopes(transform):
    x = x64([-1.5, -0.2, 0.0, 0.7, 2.0])
    y = transform(x)
    np.testing.assert_allclose(transform.inv(y).numpy(), x.numpy(), atol=1e-12)
    step = 1e-6  # log |dy/dx| by central differences
    slopes = (transform(x + step).numpy() - transform(x - step).numpy()) / (2 * step)
    np.testing.assert_allclose(transform.log_abs_det_jacobian(x, y).numpy(), np.log(np.abs(slopes)), atol=1e-7)
    np.testing.assert_allclose(transform.inv.log_abs_det_jacobian(y, x).numpy(), -np.log(np.abs(slopes)), atol=1e-7)


def test_cache_returns_the_same_tensors_both_ways():
    cached, uncached = transforms.AbsTransform(cache_size=1), transforms.AbsTransform()
    x = x64([-2.0, 3.0])
    y = cached(x)
    assert cached(x) is y and cached.inv(y) is x  # the negative root comes back only through the cache
    assert uncached.inv(uncached(x)).tolist() == [2.0, 3.0]
    compose = transforms.ComposeTransform([transforms.ExpTransform(), transforms.AbsTransform()], cache_size=1)
    assert all(part._cache_size == 1 for part in compose.parts)
    assert transforms.ExpTransform().with_cache(1)._cache_size == 1
    assert transforms.AffineTransform(1.0, 2.0).with_cache(1)._cache_size == 1


def test_compose_takes_the_most_event_dims_and_sums_log_determinants_over_them():
    compose = transforms.ComposeTransform([transforms.ExpTransform(), transforms.SoftmaxTransform()])
    assert compose.domain.event_dim == 1 and compose.codomain.event_dim == 1
    affine = transforms.ComposeTransform([transforms.ExpTransform(),
                                          transforms.AffineTransform(0.0, 2.0, event_dim=1)])
    x = x64([[0.1, 0.2], [0.3, -0.4]])
    np.testing.assert_allclose(affine.log_abs_det_jacobian(x, affine(x)).numpy(), x.numpy().sum(-1) + 2 * np.log(2))
    assert transforms.identity_transform(x) is x


@pytest.mark.parametrize("call, error, message", [
    (lambda: transforms.ExpTransform(cache_size=2), ValueError, "cache_size must be 0 or 1, got 2"),
    (lambda: transforms.AffineTransform("1", 2.0), TypeError,
     "AffineTransform: loc must be a number or a Tensor, got str"),
    (lambda: transforms.AffineTransform(1.0, 2.0, event_dim=-1), ValueError, "event_dim must be an int >= 0, got -1"),
    (lambda: transforms.ComposeTransform([transforms.ExpTransform(), "exp"]), TypeError,
     r"parts must be Transforms, got \['ExpTransform', 'str'\]"),
    (lambda: transforms.SoftmaxTransform().forward_shape(()), ValueError, "Too few dimensions on input"),
    (lambda: transforms.AbsTransform().log_abs_det_jacobian(x64([1.0]), x64([1.0])), NotImplementedError,
     "AbsTransform has no log_abs_det_jacobian"),
    (lambda: transforms.TanhTransform().inv.sign + transforms.SoftmaxTransform().sign, NotImplementedError,
     "SoftmaxTransform has no sign"),
    (lambda: hash(transforms.ExpTransform()), TypeError, "unhashable"),
    (lambda: TransformedDistribution(Normal(0.0, 1.0), "exp"), ValueError, "transforms must be a Transform or list"),
    (lambda: TransformedDistribution("normal", []), TypeError, "base_distribution must be a Distribution, got str"),
    (lambda: TransformedDistribution(Normal(0.0, 1.0), transforms.SoftmaxTransform()), ValueError,
     "base_distribution needs to have shape with size at least 1"),
    (lambda: RelaxedBernoulli(0.5, probs=x64([0.3])), TypeError, "temperature must be a Tensor, got float"),
    (lambda: RelaxedOneHotCategorical(fastgrad.tensor(1), logits=x64([0.0, 1.0])), TypeError,
     "temperature must be a floating point tensor, got dtype int64"),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- relaxed distributions --------------------------------------------------------------------------
def reseeded_rsample(make, seed):
    """The rsample of make(*leaves) with the noise fixed: a function central differences can probe."""
    def draw(*leaves):
        fastgrad.manual_seed(seed)
        return make(*leaves).rsample((2,))
    return draw


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_relaxed_bernoulli_rsample_gradients_in_logits_and_temperature(backend_name, batch, seed):
    logits = float64_leaf((batch,), seed)
    temperature = float64_leaf((), seed + 1, low=0.5, high=2.0)
    draw = reseeded_rsample(lambda lg, t: RelaxedBernoulli(t, logits=lg), seed)
    check_gradients(backend_name, draw, logits, temperature)
    probs = float64_leaf((batch,), seed + 2, low=0.1, high=0.9)
    check_gradients(backend_name, reseeded_rsample(lambda p, t: RelaxedBernoulli(t, probs=p), seed), probs,
                    temperature)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=st.integers(1, 3), categories=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_relaxed_one_hot_rsample_gradients_in_logits_and_temperature(backend_name, batch, categories, seed):
    logits = float64_leaf((batch, categories), seed)
    temperature = float64_leaf((), seed + 1, low=0.5, high=2.0)
    draw = reseeded_rsample(lambda lg, t: RelaxedOneHotCategorical(t, logits=lg), seed)
    check_gradients(backend_name, draw, logits, temperature)
    weights = float64_leaf((batch, categories), seed + 2, low=0.2, high=1.0)
    check_gradients(backend_name, reseeded_rsample(lambda w, t: RelaxedOneHotCategorical(t, probs=w), seed), weights,
                    temperature)


@pytest.mark.parametrize("temperature", [0.1, 1.0, 5.0])
def test_relaxed_bernoulli_draws_exceed_one_half_with_probability_probs(temperature):
    """sigmoid((logit(u) + logit(p)) / T) > 1/2 exactly when u > 1 - p: P = p at every temperature."""
    fastgrad.manual_seed(51)
    probs = np.array([0.1, 0.5, 0.85])
    draws = RelaxedBernoulli(x64(temperature), probs=x64(probs)).sample((20000,)).numpy()
    assert ((draws >= 0) & (draws <= 1)).all()
    np.testing.assert_allclose((draws > 0.5).mean(0), probs, atol=0.015)
    spread = np.abs(draws - 0.5).mean()
    assert spread > 0.45 if temperature == 0.1 else spread < 0.2 if temperature == 5.0 else True


@pytest.mark.parametrize("temperature", [0.2, 2.0])
def test_relaxed_one_hot_draws_are_largest_at_a_categorical_draw(temperature):
    """The Gumbel-max trick: the largest coordinate is distributed as Categorical(probs) at any temperature."""
    fastgrad.manual_seed(52)
    probs = np.array([0.1, 0.6, 0.3])
    draws = RelaxedOneHotCategorical(x64(temperature), probs=x64(probs)).sample((20000,)).numpy()
    np.testing.assert_allclose(draws.sum(-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.bincount(draws.argmax(-1), minlength=3) / 20000, probs, atol=0.015)
    assert draws.max(-1).mean() > 0.9 if temperature == 0.2 else draws.max(-1).mean() < 0.7


def test_transformed_draws_follow_the_pushed_distribution():
    """exp(N(0.3, 0.5^2)) draws are log-normal: their logs have the base's mean and spread."""
    fastgrad.manual_seed(53)
    distribution = TransformedDistribution(Normal(x64([0.3]), x64([0.5])), [transforms.ExpTransform()])
    logs = np.log(distribution.sample((20000,)).numpy())
    assert abs(logs.mean() - 0.3) < 0.02 and abs(logs.std() - 0.5) < 0.02
    # y = 2 - 3x decreases: P(Y <= 5) = P(X >= -1) = Phi(1), the base's cdf reflected
    decreasing = TransformedDistribution(Normal(x64(0.0), x64(1.0)), transforms.AffineTransform(2.0, -3.0))
    np.testing.assert_allclose(decreasing.cdf(x64([2.0, 5.0])).numpy(), [0.5, 0.8413447460685429], atol=1e-9)

"""Poisson, Binomial, Geometric, NegativeBinomial, Cauchy, HalfNormal and HalfCauchy without PyTorch:
draws follow the distributions (moments or quantiles within a few standard errors, fixed seeds), the
reparameterised gradients, graphs sharing one distribution, and the argument checks."""
import math

import numpy as np
import pytest

import fastgrad
from fastgrad.distributions import (Binomial, Cauchy, Geometric, HalfCauchy, HalfNormal, NegativeBinomial, Poisson,
                                    kl_divergence)


@pytest.mark.parametrize("make", [
    lambda: Poisson(fastgrad.tensor([0.0, 0.7, 12.0])),
    lambda: Binomial(fastgrad.tensor([0.0, 5.0, 40.0]), probs=fastgrad.tensor([0.3, 0.3, 0.85])),
    lambda: Binomial(10, logits=fastgrad.tensor([-2.0, 0.0, 3.0])),
    lambda: Geometric(probs=fastgrad.tensor([0.05, 0.5, 1.0])),
    lambda: Geometric(logits=fastgrad.tensor([-1.0, 2.0])),
    lambda: NegativeBinomial(fastgrad.tensor([0.5, 3.0, 20.0]), probs=fastgrad.tensor([0.7, 0.2, 0.5])),
    lambda: NegativeBinomial(2.5, logits=fastgrad.tensor([-1.0, 1.0])),
    lambda: HalfNormal(fastgrad.tensor([0.5, 3.0])),
])
def test_draws_have_the_distributions_mean_and_variance_and_lie_in_its_support(make):
    fastgrad.manual_seed(40)
    distribution = make()
    draws = distribution.sample((20000,))
    assert draws.shape == (20000,) + distribution.batch_shape and not draws.requires_grad
    assert draws.dtype == distribution.mean.dtype and distribution.support.check(draws).numpy().all()
    mean, variance = distribution.mean.numpy(), distribution.variance.numpy()
    assert (np.abs(draws.numpy().mean(0) - mean) <= 4 * np.sqrt(variance / 20000) + 1e-9).all()
    np.testing.assert_allclose(draws.numpy().var(0), variance, rtol=0.1, atol=1e-9)


@pytest.mark.parametrize("family, quantiles", [(Cauchy, (-1.0, 0.0, 1.0)),
                                               (HalfCauchy, (math.tan(math.pi / 8), 1.0, math.tan(3 * math.pi / 8)))])
def test_cauchy_draws_have_its_quartiles(family, quantiles):
    """No moments to check: the quartiles are loc -+ scale (and those of |x| for the half)."""
    fastgrad.manual_seed(41)
    distribution = family(fastgrad.tensor([0.0, 5.0]), 2.0) if family is Cauchy else family(fastgrad.tensor([2.0]))
    draws = distribution.rsample((40000,)).detach().numpy()
    loc = np.array([0.0, 5.0]) if family is Cauchy else 0.0
    np.testing.assert_allclose(np.quantile(draws, [0.25, 0.5, 0.75], axis=0),
                               loc + 2.0 * np.array(quantiles)[:, None], atol=0.06)


@pytest.mark.parametrize("family", [Cauchy, HalfNormal, HalfCauchy])
def test_rsample_is_linear_in_the_scale(family):
    """x = loc + scale * noise (|.| for the halves): d x / d scale = (x - loc) / scale, d x / d loc = 1."""
    scale = fastgrad.tensor([0.5, 2.0], dtype=fastgrad.float64, requires_grad=True)
    if family is Cauchy:
        loc = fastgrad.tensor([1.0, -1.0], dtype=fastgrad.float64, requires_grad=True)
        draws = family(loc, scale).rsample((3,))
    else:
        loc = None
        draws = family(scale).rsample((3,))
    draws.sum().backward()
    offsets = draws.detach().numpy() - (loc.detach().numpy() if loc is not None else 0)
    np.testing.assert_allclose(scale.grad.numpy(), (offsets / scale.detach().numpy()).sum(0), rtol=1e-12)
    if loc is not None:
        np.testing.assert_allclose(loc.grad.numpy(), [3.0, 3.0])
    else:
        assert (draws.detach().numpy() >= 0).all()


@pytest.mark.parametrize("make", [
    lambda p: Binomial(fastgrad.tensor([[4.0, 6.0]] * 2), probs=p),  # probs broadcast to the counts' shape
    lambda p: Geometric(logits=p),
    lambda p: Geometric(probs=p),
    lambda p: NegativeBinomial(fastgrad.tensor([[3.0, 1.5]] * 2), logits=p),
    lambda p: Poisson(p),
    lambda p: Cauchy(p, 2.0),
    lambda p: HalfNormal(p),
])
def test_log_prob_can_backward_twice_from_one_distribution(make):
    """Parameters broadcast (and logits derived) at each read: two graphs from one distribution share no
    node that the first backward frees."""
    parameter = fastgrad.tensor([0.3, 0.4], dtype=fastgrad.float64, requires_grad=True)
    distribution = make(parameter)
    value = fastgrad.tensor([1.0, 2.0], dtype=fastgrad.float64)
    distribution.log_prob(value).sum().backward()
    first = parameter.grad.numpy().copy()
    distribution.log_prob(value).sum().backward()
    np.testing.assert_allclose(parameter.grad.numpy(), 2 * first)


def test_half_normal_icdf_of_zero_is_zero_in_its_support():
    """The median of the normal is its loc exactly, so the fold's zero quantile is 0 at any scale, not a tiny
    negative number outside the support."""
    half = HalfNormal(fastgrad.tensor([1e10, 1.0], dtype=fastgrad.float64))
    quantiles = half.icdf(fastgrad.zeros(2, dtype=fastgrad.float64))
    np.testing.assert_array_equal(quantiles.numpy(), [0.0, 0.0])
    assert half.support.check(quantiles).numpy().all()


@pytest.mark.parametrize("make, dtype, surprise", [
    (lambda dtype: Geometric(logits=fastgrad.tensor([-40.0, -800.0], dtype=dtype)), fastgrad.float64, [40, 800]),
    (lambda dtype: Geometric(logits=fastgrad.tensor([-20.0, -200.0], dtype=dtype)), fastgrad.float32, [20, 200]),
    (lambda dtype: Geometric(probs=fastgrad.tensor([math.exp(-40.0), math.exp(-700.0)], dtype=dtype)),
     fastgrad.float64, [40, 700]),
])
def test_geometric_entropy_of_a_rare_success_is_one_plus_its_surprise(make, dtype, surprise):
    """For p -> 0 the entropy -log p - (q / p) log q tends to 1 - log p (error about p / 2): not 0 or NaN,
    which a binary cross-entropy divided by p gave once p < eps, nor the 1 - log(eps) a clamp of p gives."""
    entropy = make(dtype).entropy()
    assert entropy.dtype == dtype
    np.testing.assert_allclose(entropy.numpy(), 1 + np.array(surprise), rtol=1e-6)


def test_geometric_entropy_is_zero_for_a_sure_first_success():
    for distribution in (Geometric(probs=fastgrad.tensor([1.0])), Geometric(logits=fastgrad.tensor([math.inf]))):
        np.testing.assert_array_equal(distribution.entropy().numpy(), [0.0])


@pytest.mark.parametrize("make, count, expected", [  # expected from mpmath
    (lambda: Poisson(fastgrad.tensor(1e6)), 1e6, -7.8266938955201431),
    (lambda: Binomial(fastgrad.tensor(1e6), probs=fastgrad.tensor(0.5)), 5e5, -7.1335468816268645),
    (lambda: NegativeBinomial(fastgrad.tensor(1e6), logits=fastgrad.tensor(0.0)), 1e6, -8.1732675274667824),
])
def test_float32_log_prob_of_large_counts_keeps_its_digits(make, count, expected):
    """Its log-gamma terms, near 1e7 here, cancel to a few units: in float32 they came out -7.0 for -7.83
    (PyTorch's too)."""
    found = make().log_prob(fastgrad.tensor(count))
    assert found.dtype == fastgrad.float32
    np.testing.assert_allclose(found.item(), expected, rtol=1e-6)


def test_binomial_expand_keeps_the_total_count_and_the_parameter_given():
    binomial = Binomial(fastgrad.tensor([3.0, 5.0]), logits=fastgrad.zeros(2))
    expanded = binomial.expand((4, 2))
    assert expanded.batch_shape == (4, 2) and expanded.total_count.shape == (4, 2)
    assert "logits" in expanded.__dict__ and "probs" not in expanded.__dict__
    assert expanded.sample().shape == (4, 2) and (expanded.sample((50,)).numpy() <= [3.0, 5.0]).all()


def test_poisson_draws_one_count_from_a_scalar_rate():
    for poisson in (Poisson(fastgrad.tensor(0.5, dtype=fastgrad.float64)), Poisson(fastgrad.tensor(0.5)).expand(())):
        draw = poisson.sample()
        assert draw.shape == () and draw.dtype == poisson.rate.dtype and draw.item() >= 0


def test_kls_are_zero_from_a_distribution_to_itself():
    for p in (Poisson(fastgrad.tensor([0.5, 3.0])), Binomial(5, probs=fastgrad.tensor([0.2, 0.7])),
              Geometric(probs=fastgrad.tensor([0.2, 0.7])), Cauchy(fastgrad.tensor([0.2, -1.0]), 3.0),
              HalfNormal(fastgrad.tensor([0.2, 1.0])), HalfCauchy(fastgrad.tensor([0.2, 1.0]))):
        np.testing.assert_allclose(kl_divergence(p, p).numpy(), 0.0, atol=1e-6)


@pytest.mark.parametrize("make, error, message", [
    (lambda: Poisson(fastgrad.tensor([-0.5])), ValueError, r"parameter rate .* GreaterThanEq\(lower_bound=0.0\)"),
    (lambda: Poisson(fastgrad.tensor([1, 2])), TypeError, "rate must be a floating point tensor, got dtype int64"),
    (lambda: Poisson(1.0).log_prob(fastgrad.tensor(0.5)), ValueError, r"support \(IntegerGreaterThan\(lower_bound=0"),
    (lambda: Poisson(1.0).log_prob(fastgrad.tensor(math.inf)), ValueError, r"support \(IntegerGreaterThan\(lower_bound=0"),
    (lambda: Binomial(math.inf, probs=fastgrad.tensor([0.5])), ValueError,
     r"parameter total_count .* IntegerGreaterThan\(lower_bound=0\)"),
    (lambda: Binomial(2.5, probs=fastgrad.tensor([0.5])), ValueError,
     r"parameter total_count .* IntegerGreaterThan\(lower_bound=0\)"),
    (lambda: Binomial(3), ValueError, "Either `probs` or `logits` must be specified, but not both"),
    (lambda: Binomial(3, probs=fastgrad.tensor([1.5])), ValueError, r"parameter probs .* Interval\(lower_bound=0.0"),
    (lambda: Binomial(fastgrad.tensor([3.0, 4.0]), probs=fastgrad.tensor([0.5, 0.5, 0.5])), ValueError,
     "shape mismatch"),
    (lambda: Binomial(3, probs=fastgrad.tensor([0.5])).log_prob(fastgrad.tensor([4.0])), ValueError,
     r"support \(IntegerInterval\(lower_bound=0, upper_bound=tensor\(\[3.\]\)\)\)"),
    (lambda: Binomial(fastgrad.tensor([3.0, 4.0]), probs=fastgrad.tensor([0.5, 0.5])).entropy(), NotImplementedError,
     "Inhomogeneous total count not supported by `entropy`"),
    (lambda: Geometric(probs=fastgrad.tensor([0.0, 0.5])), ValueError,
     r"(?s)Expected parameter probs \(Tensor of shape \(2,\)\) of distribution Geometric\(probs: .* to be positive"),
    (lambda: Geometric(logits=fastgrad.tensor([0.0])).log_prob(fastgrad.tensor([-1.0])), ValueError, "support"),
    (lambda: NegativeBinomial(fastgrad.tensor([-1.0]), probs=fastgrad.tensor([0.5])), ValueError,
     r"parameter total_count .* GreaterThanEq\(lower_bound=0\)"),
    (lambda: NegativeBinomial(1.0, probs=fastgrad.tensor([1.0])), ValueError,
     r"parameter probs .* HalfOpenInterval\(lower_bound=0.0, upper_bound=1.0\)"),
    (lambda: Cauchy(0.0, -1.0), ValueError, r"parameter scale .* GreaterThan\(lower_bound=0.0\)"),
    (lambda: HalfNormal(fastgrad.tensor([0.0])), ValueError, r"parameter scale .* GreaterThan\(lower_bound=0.0\)"),
    (lambda: HalfNormal(1.0).log_prob(fastgrad.tensor(-0.5)), ValueError, r"support \(GreaterThanEq\(lower_bound=0"),
    (lambda: HalfCauchy(1.0).cdf(0.5), ValueError, "must be a Tensor, got float"),
    (lambda: Poisson(fastgrad.tensor([1.0])).rsample(), NotImplementedError, "has_rsample is False"),
    (lambda: kl_divergence(Binomial(3, probs=fastgrad.tensor([0.5])), Binomial(4, probs=fastgrad.tensor([0.5]))),
     NotImplementedError, "KL between Binomials where q.total_count > p.total_count is not implemented"),
    (lambda: kl_divergence(HalfNormal(1.0), HalfCauchy(1.0)), NotImplementedError,  # through their bases
     "No KL.* for p type Normal and q type Cauchy"),
])
def test_bad_arguments_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()

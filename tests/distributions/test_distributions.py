"""fastgrad.distributions without PyTorch: draws follow the distribution, the score-function gradient
of REINFORCE, parameters shared by several graphs, expand, and the argument checks."""
import numpy as np
import pytest

import fastgrad
from fastgrad.distributions import (Bernoulli, Categorical, Distribution, Exponential, Gumbel, Independent, Laplace,
                                    LogNormal, Multinomial, Normal, OneHotCategorical, Uniform, constraints)


def test_categorical_draws_follow_the_probabilities():
    fastgrad.manual_seed(0)
    probs = np.array([0.1, 0.6, 0.3])
    draws = Categorical(probs=fastgrad.tensor(probs * 5)).sample((20000,)).numpy()  # unnormalised weights
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / draws.size, probs, atol=0.015)
    batch = Categorical(logits=fastgrad.tensor([[0.0, -50.0], [-50.0, 0.0]])).sample((10,)).numpy()
    assert (batch[:, 0] == 0).all() and (batch[:, 1] == 1).all()


@pytest.mark.parametrize("make", [
    lambda: Bernoulli(probs=fastgrad.tensor([0.25, 0.9])),
    lambda: Normal(fastgrad.tensor(3.0), fastgrad.tensor([0.5, 2.0])),
    lambda: Uniform(fastgrad.tensor([-1.0, 2.0]), 3.0),
    lambda: Exponential(fastgrad.tensor([0.5, 4.0])),
    lambda: Laplace(fastgrad.tensor([1.0, -2.0]), 0.5),
    lambda: Gumbel(fastgrad.tensor([1.0, -2.0]), 0.5),
    lambda: LogNormal(fastgrad.tensor([0.0, 1.0]), 0.25),
    lambda: OneHotCategorical(probs=fastgrad.tensor([[0.1, 0.6, 0.3], [0.5, 0.5, 0.0]])),
    lambda: Multinomial(6, probs=fastgrad.tensor([[0.1, 0.6, 0.3], [0.5, 0.5, 0.0]])),
    lambda: Independent(Normal(fastgrad.tensor([[0.0, 1.0], [2.0, 3.0]]), 1.5), 1),
])
def test_draws_have_the_distributions_mean_and_variance_and_lie_in_its_support(make):
    fastgrad.manual_seed(1)
    distribution = make()
    draws = distribution.sample((20000,))
    assert draws.shape == (20000,) + distribution.batch_shape + distribution.event_shape
    assert draws.dtype == distribution.mean.dtype and not draws.requires_grad
    assert distribution.support.check(draws).numpy().all()
    mean, variance = distribution.mean.numpy(), distribution.variance.numpy()
    assert (np.abs(draws.numpy().mean(0) - mean) <= 4 * np.sqrt(variance / 20000)).all()  # 4 standard errors
    np.testing.assert_allclose(draws.numpy().var(0), variance, rtol=0.1, atol=1e-12)


def test_multinomial_draws_add_up_to_the_total_count():
    fastgrad.manual_seed(2)
    draws = Multinomial(9, logits=fastgrad.zeros(4, 5)).sample((3,)).numpy()
    assert draws.shape == (3, 4, 5) and (draws.sum(-1) == 9).all() and (draws == np.round(draws)).all()
    with pytest.raises(RuntimeError, match="total_count=0"):  # as PyTorch's, which draws no 0 samples
        Multinomial(0, logits=fastgrad.zeros(5)).sample((2,))


def test_multinomial_float32_log_prob_of_large_counts_keeps_its_digits():
    """log n! - sum log x_i!, near 1e7 here, cancels to a few units: in float32 it came out -7.19 for -7.13
    (mpmath: -7.1335468816268645; the float32 logits' rounding, times 1e6 counts, leaves about 2e-3)."""
    found = Multinomial(10**6, logits=fastgrad.zeros(2)).log_prob(fastgrad.tensor([5e5, 5e5]))
    assert found.dtype == fastgrad.float32
    np.testing.assert_allclose(found.item(), -7.1335468816268645, atol=3e-3)


def test_reinforce_gradient_raises_the_log_probability_of_rewarded_actions():
    logits = fastgrad.zeros(3, requires_grad=True)
    policy = Categorical(logits=logits)
    loss = -(policy.log_prob(fastgrad.tensor([2, 2, 0])) * fastgrad.tensor([1.0, 1.0, 0.0])).sum()
    loss.backward()
    # d/dlogits of -2 log p_2 = -2 (onehot_2 - p) = [2/3, 2/3, -4/3]
    np.testing.assert_allclose(logits.grad.numpy(), [2 / 3, 2 / 3, -4 / 3], rtol=1e-6)


@pytest.mark.parametrize("family", [Normal, Laplace, Gumbel, LogNormal, Uniform])
def test_log_prob_can_backward_twice_from_one_distribution(family):
    """The two parameters are broadcast at each use, so no graph node is shared between the two graphs."""
    first = fastgrad.tensor([0.5], requires_grad=True)
    distribution = family(first, fastgrad.tensor([4.0, 5.0]))
    distribution.log_prob(fastgrad.tensor([1.0, 2.0])).sum().backward()
    once = first.grad.numpy().copy()
    distribution.log_prob(fastgrad.tensor([1.0, 2.0])).sum().backward()
    np.testing.assert_allclose(first.grad.numpy(), 2 * once)


def test_expand_shares_the_parameters_and_their_gradients():
    loc = fastgrad.tensor([0.0, 1.0], requires_grad=True)
    expanded = Normal(loc, 1.0).expand((3, 2))
    assert expanded.batch_shape == (3, 2) and expanded.loc.shape == (3, 2)
    expanded.log_prob(fastgrad.tensor([1.0, 1.0])).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [3.0, 0.0])  # three copies of (value - loc)
    logits = fastgrad.zeros(2, 4, requires_grad=True)
    assert OneHotCategorical(logits=logits).expand((5, 2)).sample().shape == (5, 2, 4)
    assert Independent(Bernoulli(logits=logits), 1).expand((3, 2)).base_dist.batch_shape == (3, 2, 4)


def test_a_subclass_with_its_own_constructor_must_write_expand():
    class Shifted(Normal):
        def __init__(self, shift):
            super().__init__(shift, 1.0)

    with pytest.raises(NotImplementedError, match="Subclass Shifted of LocationScale that defines a custom __init__"):
        Shifted(fastgrad.zeros(2)).expand((3, 2))


class Coin(Distribution):
    """A user's distribution: parameters set before the base class's __init__ are checked."""

    arg_constraints = {"p": constraints.unit_interval}

    def __init__(self, p, validate_args=None):
        self.p = p
        super().__init__(p.shape, (), validate_args)


@pytest.mark.parametrize("make, error, message", [
    (lambda: Categorical(), ValueError, "Either `probs` or `logits` must be specified, but not both"),
    (lambda: Categorical(probs=fastgrad.tensor([0.0, 0.0])), ValueError, r"positive sum in every row, got array\(\[0"),
    (lambda: Categorical(probs=fastgrad.tensor(0.5)), ValueError, "at least one dimension"),
    (lambda: Categorical(logits=fastgrad.tensor([1, 2])), TypeError, "logits must be a floating point tensor"),
    (lambda: Categorical(logits=fastgrad.tensor([0.0, float("nan")])), ValueError,
     r"(?s)parameter logits \(Tensor of shape \(2,\)\).*constraint IndependentConstraint\(Real\(\), 1\).*nan"),
    (lambda: Categorical(logits=fastgrad.zeros(3)).log_prob(fastgrad.tensor([3])), ValueError,
     r"(?s)value argument \(Tensor of shape \(1,\)\) to be within the support \(IntegerInterval\(lower_bound=0, "
     r"upper_bound=2\)\).*tensor\(\[3\]\)"),
    (lambda: Categorical(logits=fastgrad.zeros(3)).log_prob(fastgrad.tensor([0.5])), ValueError, "IntegerInterval"),
    (lambda: Categorical(logits=fastgrad.zeros(3)).log_prob([1]), ValueError, "must be a Tensor, got list"),
    (lambda: Categorical(logits=fastgrad.zeros(3)).sample(5), TypeError, r"sample_shape must be a tuple.*\(5,\)"),
    (lambda: Bernoulli(probs=fastgrad.tensor([-0.1])), ValueError,
     r"(?s)parameter probs .* constraint Interval\(lower_bound=0.0, upper_bound=1.0\).*-0.1"),
    (lambda: Bernoulli(logits=fastgrad.zeros(2)).log_prob(fastgrad.tensor([2.0, 0.0])), ValueError,
     r"support \(Boolean\(\)\)"),
    (lambda: Normal(0.0, -1.0), ValueError, r"parameter scale .* constraint GreaterThan\(lower_bound=0.0\)"),
    (lambda: Normal(fastgrad.zeros(3), 1.0).log_prob(fastgrad.zeros(2)), ValueError,
     r"not broadcastable with batch_shape\+event_shape: \(2,\) vs \(3,\)"),
    (lambda: Uniform(fastgrad.tensor([0.0, 2.0]), 1.0), ValueError, r"parameter low .* LessThan\(upper_bound="),
    (lambda: Uniform(0.0, 1.0).cdf(fastgrad.tensor(1.5)), ValueError, r"support \(Interval\(lower_bound="),
    (lambda: Exponential(fastgrad.tensor([1.0, 0.0])), ValueError, r"parameter rate .* GreaterThan\(lower_bound=0.0\)"),
    (lambda: Exponential(1.0).log_prob(fastgrad.tensor(-1.0)), ValueError, r"GreaterThanEq\(lower_bound=0.0\)"),
    (lambda: Laplace(0.0, float("nan")), ValueError, "parameter scale"),
    (lambda: LogNormal(0.0, 1.0).log_prob(fastgrad.tensor(0.0)), ValueError, r"support \(GreaterThan\(lower_bound"),
    (lambda: OneHotCategorical(logits=fastgrad.zeros(3)).log_prob(fastgrad.tensor([1.0, 1.0, 0.0])), ValueError,
     r"support \(OneHot\(\)\)"),
    (lambda: OneHotCategorical(logits=fastgrad.zeros(3)).log_prob(fastgrad.tensor([1.0, 0.0])), ValueError,
     r"right-most size of value must match event_shape: \(2,\) vs \(3,\)"),
    (lambda: Multinomial(2.0, logits=fastgrad.zeros(3)), NotImplementedError, "total_count must be an int.*got 2.0"),
    (lambda: Multinomial(-1, logits=fastgrad.zeros(3)), ValueError, "total_count to be a non-negative int, got -1"),
    (lambda: Multinomial(3, logits=fastgrad.zeros(2)).log_prob(fastgrad.tensor([3.0, 1.0])), ValueError,
     r"support \(Multinomial\(upper_bound=3\)\)"),
    (lambda: Independent(Normal(0.0, 1.0), 1), ValueError, r"reinterpreted_batch_ndims <= .* actual 1 vs 0"),
    (lambda: Independent(Normal(fastgrad.zeros(2), 1.0), 1.0), TypeError, "reinterpreted_batch_ndims must be an int"),
    (lambda: Independent("normal", 0), TypeError, "base_distribution must be a Distribution, got str"),
    (lambda: Multinomial(3, logits=fastgrad.zeros(2)).cdf(fastgrad.tensor([3.0, 0.0])), NotImplementedError,
     "Multinomial does not implement cdf"),
    (lambda: Categorical(logits=fastgrad.zeros(2)).rsample(), NotImplementedError, "has_rsample is False"),
    (lambda: Coin(fastgrad.tensor([0.5, 2.0])), ValueError, r"parameter p .* of distribution Coin\(p: "),
    (lambda: Distribution.set_default_validate_args("yes"), ValueError, "must be True or False, got 'yes'"),
])
def test_bad_arguments_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_validation_can_be_turned_off_per_distribution_and_by_default():
    assert Normal(0.0, -1.0, validate_args=False).batch_shape == ()
    assert Uniform(0.0, 1.0, validate_args=False).log_prob(1.5).item() == -np.inf  # numbers taken as values too
    Distribution.set_default_validate_args(False)
    try:
        assert Exponential(-1.0).rate.item() == -1.0
    finally:
        Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        Exponential(-1.0)


def test_sample_n_warns_that_it_is_deprecated():
    with pytest.warns(FutureWarning, match=r"Use `sample\(\(n,\)\)` instead"):
        assert Normal(0.0, 1.0).sample_n(3).shape == (3,)


def test_repr_shows_single_values_and_the_shapes_of_larger_parameters():
    assert repr(Normal(fastgrad.zeros(3), 1.0)) == "Normal(loc: fastgrad.Size([3]), scale: 1.0)"
    assert repr(Independent(Bernoulli(logits=fastgrad.zeros(2)), 1)) == \
        "Independent(Bernoulli(logits: fastgrad.Size([2])), 1)"

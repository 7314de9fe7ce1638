"""fastgrad.distributions without PyTorch: draws follow the distribution, the score-function gradient
of REINFORCE, and the argument checks."""
import numpy as np
import pytest

import fastgrad
from fastgrad.distributions import Bernoulli, Categorical, Normal


def test_categorical_draws_follow_the_probabilities():
    fastgrad.manual_seed(0)
    probs = np.array([0.1, 0.6, 0.3])
    draws = Categorical(probs=fastgrad.tensor(probs * 5)).sample((20000,)).numpy()  # unnormalised weights
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / draws.size, probs, atol=0.015)
    batch = Categorical(logits=fastgrad.tensor([[0.0, -50.0], [-50.0, 0.0]])).sample((10,)).numpy()
    assert (batch[:, 0] == 0).all() and (batch[:, 1] == 1).all()


def test_bernoulli_and_normal_draws_follow_their_parameters():
    fastgrad.manual_seed(1)
    assert abs(Bernoulli(probs=fastgrad.tensor(0.25)).sample((20000,)).numpy().mean() - 0.25) < 0.015
    draws = Normal(fastgrad.tensor(3.0), fastgrad.tensor(0.5)).sample((20000,)).numpy()
    assert abs(draws.mean() - 3.0) < 0.02 and abs(draws.std() - 0.5) < 0.02


def test_reinforce_gradient_raises_the_log_probability_of_rewarded_actions():
    logits = fastgrad.zeros(3, requires_grad=True)
    policy = Categorical(logits=logits)
    loss = -(policy.log_prob(fastgrad.tensor([2, 2, 0])) * fastgrad.tensor([1.0, 1.0, 0.0])).sum()
    loss.backward()
    # d/dlogits of -2 log p_2 = -2 (onehot_2 - p) = [2/3, 2/3, -4/3]
    np.testing.assert_allclose(logits.grad.numpy(), [2 / 3, 2 / 3, -4 / 3], rtol=1e-6)


def test_normal_log_prob_can_backward_twice_from_one_distribution():
    loc = fastgrad.tensor([0.5], requires_grad=True)
    normal = Normal(loc, 1.0)
    normal.log_prob(fastgrad.tensor([1.0])).sum().backward()
    normal.log_prob(fastgrad.tensor([2.0])).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [0.5 + 1.5])


@pytest.mark.parametrize("make, error, message", [
    (lambda: Categorical(), ValueError, "Either `probs` or `logits` must be specified, but not both"),
    (lambda: Categorical(probs=fastgrad.tensor([0.0, 0.0])), ValueError, "positive sum"),
    (lambda: Categorical(probs=fastgrad.tensor(0.5)), ValueError, "at least one dimension"),
    (lambda: Categorical(logits=fastgrad.tensor([1, 2])), TypeError, "logits must be a floating point tensor"),
    (lambda: Categorical(logits=fastgrad.zeros(3)).log_prob(fastgrad.tensor([3])), ValueError, r"in \[0, 3\)"),
    (lambda: Categorical(logits=fastgrad.zeros(3)).log_prob(fastgrad.tensor([0.5])), ValueError, "integer category"),
    (lambda: Categorical(logits=fastgrad.zeros(3)).sample(5), TypeError, r"sample_shape must be a tuple.*\(5,\)"),
    (lambda: Bernoulli(probs=fastgrad.tensor([-0.1])), ValueError, r"probs to be in \[0, 1\]"),
    (lambda: Bernoulli(logits=fastgrad.zeros(2)).log_prob(fastgrad.tensor([2.0, 0.0])), ValueError, "0 or 1"),
    (lambda: Normal(0.0, -1.0), ValueError, "scale to be positive"),
])
def test_bad_arguments_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_validation_can_be_turned_off():
    assert Normal(0.0, -1.0, validate_args=False).batch_shape == ()

"""fastgrad.distributions against torch.distributions: log_prob, entropy, moments and their gradients
(the score-function estimator's), shapes of samples; the draws themselves come from another generator."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions as ours

torch = pytest.importorskip("torch")
import torch.distributions as theirs  # noqa: E402


def both(make, *arrays):
    """The distribution built by `make(module, *leaves)` in both engines, with float64 leaves."""
    mine = [fastgrad.tensor(a, requires_grad=True) for a in arrays]
    torchs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return (make(ours, *mine), mine), (make(theirs, *torchs), torchs)


def assert_same_with_gradients(ours_value, theirs_value, our_leaves, their_leaves):
    np.testing.assert_allclose(ours_value.detach().numpy(), theirs_value.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(9).normal(size=ours_value.shape)
    (ours_value * fastgrad.tensor(weights)).sum().backward()
    (theirs_value * torch.tensor(weights)).sum().backward()
    for mine, reference in zip(our_leaves, their_leaves):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-9, atol=1e-12)


CATEGORICAL = [lambda d, x: d.Categorical(logits=x), lambda d, x: d.Categorical(probs=x.exp())]


@pytest.mark.parametrize("make", CATEGORICAL)
@pytest.mark.parametrize("shape, value", [((5,), [0, 4, 2]), ((2, 4), [[1], [3]]), ((3, 2, 3), [[0, 1], [2, 2], [1, 0]])])
def test_categorical_log_prob_matches(make, shape, value):
    logits = np.random.default_rng(0).normal(size=shape)
    (mine, leaves), (reference, torch_leaves) = both(make, logits)
    ids = np.array(value)
    assert_same_with_gradients(mine.log_prob(fastgrad.tensor(ids)), reference.log_prob(torch.tensor(ids)), leaves,
                               torch_leaves)


@pytest.mark.parametrize("make", CATEGORICAL)
def test_categorical_entropy_moments_and_shapes_match(make):
    logits = np.random.default_rng(1).normal(size=(3, 4))
    (mine, leaves), (reference, torch_leaves) = both(make, logits)
    np.testing.assert_allclose(mine.probs.detach().numpy(), reference.probs.detach().numpy(), rtol=1e-12)
    assert mine.batch_shape == tuple(reference.batch_shape) and mine.event_shape == tuple(reference.event_shape)
    np.testing.assert_array_equal(mine.mode.numpy(), reference.mode.numpy())
    assert mine.sample((7, 2)).shape == tuple(reference.sample((7, 2)).shape)
    assert mine.enumerate_support().shape == tuple(reference.enumerate_support().shape)
    assert_same_with_gradients(mine.entropy(), reference.entropy(), leaves, torch_leaves)


def test_categorical_with_zero_probabilities_matches():
    probs = np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])
    (mine, _), (reference, _) = both(lambda d, p: d.Categorical(probs=p), probs)
    np.testing.assert_allclose(mine.entropy().detach().numpy(), reference.entropy().detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(mine.log_prob(fastgrad.tensor([0, 2])).detach().numpy(),
                               reference.log_prob(torch.tensor([0, 2])).detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("make", [lambda d, x: d.Bernoulli(logits=x), lambda d, x: d.Bernoulli(probs=x.sigmoid())])
def test_bernoulli_matches(make):
    logits = np.random.default_rng(2).normal(size=(2, 3))
    (mine, leaves), (reference, torch_leaves) = both(make, logits)
    value = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    assert_same_with_gradients(mine.log_prob(fastgrad.tensor(value)) + mine.entropy(),
                               reference.log_prob(torch.tensor(value)) + reference.entropy(), leaves, torch_leaves)
    np.testing.assert_allclose(mine.variance.detach().numpy(), reference.variance.detach().numpy(), rtol=1e-12)
    assert mine.sample((4,)).shape == tuple(reference.sample((4,)).shape)


def test_normal_matches_and_rsample_is_reparameterised():
    rng = np.random.default_rng(3)
    loc, scale = rng.normal(size=(3,)), rng.uniform(0.5, 2.0, size=(2, 1))
    (mine, leaves), (reference, torch_leaves) = both(lambda d, m, s: d.Normal(m, s), loc, scale)
    value = rng.normal(size=(2, 3))
    assert_same_with_gradients(mine.log_prob(fastgrad.tensor(value)) + mine.entropy(),
                               reference.log_prob(torch.tensor(value)) + reference.entropy(), leaves, torch_leaves)
    assert mine.batch_shape == tuple(reference.batch_shape) == (2, 3)
    draw = mine.rsample((5,))
    assert draw.shape == (5, 2, 3) and draw.requires_grad and not mine.sample().requires_grad
    for leaf in leaves:
        leaf.grad = None
    draw.sum().backward()
    np.testing.assert_allclose(leaves[0].grad.numpy(), np.full(3, 10.0))  # d/d loc of the sum of 5 x 2 draws


@pytest.mark.parametrize("make", [lambda d, t: d.Categorical(probs=t.tensor([0.5, -0.1, 0.6])),
                                  lambda d, t: d.Categorical(logits=t.tensor([0.5, 1.0]), probs=t.tensor([0.5, 0.5])),
                                  lambda d, t: d.Bernoulli(probs=t.tensor([1.5])),
                                  lambda d, t: d.Normal(t.tensor([0.0]), t.tensor([0.0])),
                                  lambda d, t: d.Categorical(logits=t.tensor([0.5, 1.0])).log_prob(t.tensor([2])),
                                  lambda d, t: d.Bernoulli(logits=t.tensor([0.5])).log_prob(t.tensor([0.5]))])
def test_both_refuse_the_same_arguments(make):
    with pytest.raises(ValueError):
        make(theirs, torch)
    with pytest.raises(ValueError):
        make(ours, fastgrad)


def test_python_numbers_and_values_take_the_tensor_parameters_dtype():
    for make in (lambda d, t: d.Normal(t.tensor([1.0, 2.0], dtype=t.float64), 1.0).entropy(),
                 lambda d, t: d.Normal(0.0, t.tensor([1.0, 2.0], dtype=t.float64)).log_prob(t.tensor([0.5])),
                 lambda d, t: d.Bernoulli(probs=0.3).log_prob(t.tensor(1.0, dtype=t.float64))):
        assert str(make(ours, fastgrad).dtype).split(".")[-1] == str(make(theirs, torch).dtype).split(".")[-1]

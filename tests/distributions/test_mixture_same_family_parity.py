"""MixtureSameFamily against torch.distributions: log_prob, cdf, mean and variance with their gradients
for scalar and vector components and batch shapes that broadcast, shapes, support, expand, repr, and the
refusals."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions as ours

torch = pytest.importorskip("torch")
import torch.distributions as theirs  # noqa: E402

_rng = np.random.default_rng(12)
_a = _rng.normal(size=(3, 2, 2))
CASES = {
    "Normal": (lambda d, logits, loc, scale: d.MixtureSameFamily(d.Categorical(logits=logits), d.Normal(loc, scale)),
               [_rng.normal(size=(2, 3)), _rng.normal(size=(4, 2, 3)), _rng.uniform(0.5, 2.0, 3)],
               _rng.normal(size=(5, 4, 2))),
    "Gamma": (lambda d, logits, c, r: d.MixtureSameFamily(d.Categorical(logits=logits), d.Gamma(c, r)),
              [_rng.normal(size=3), _rng.uniform(0.5, 3.0, 3), _rng.uniform(0.5, 2.0, 3)], _rng.uniform(0.1, 3, 5)),
    "MultivariateNormal": (lambda d, logits, loc, covariance: d.MixtureSameFamily(
        d.Categorical(logits=logits), d.MultivariateNormal(loc, covariance)),
        [_rng.normal(size=3), _rng.normal(size=(3, 2)), _a @ _a.transpose(0, 2, 1) + np.eye(2)],
        _rng.normal(size=(5, 2))),
    "Independent": (lambda d, logits, loc, scale: d.MixtureSameFamily(
        d.Categorical(logits=logits), d.Independent(d.Normal(loc, scale), 1)),
        [_rng.normal(size=(2, 3)), _rng.normal(size=(2, 3, 4)), _rng.uniform(0.5, 2.0, 4)],
        _rng.normal(size=(5, 2, 4))),
}
QUANTITIES = ["log_prob", "cdf", "mean", "variance", "stddev"]


def evaluate(make, quantity):
    def evaluated(d, *leaves):
        found = getattr(make(d, *leaves[:-1]), quantity)
        return found(leaves[-1]) if quantity in ("log_prob", "cdf") else found
    return evaluated


@pytest.mark.parametrize("name, quantity", [(name, quantity) for name in CASES for quantity in QUANTITIES
                                            # (no cdf of vectors; Gamma's cdf has no gradient in the concentration)
                                            if not (quantity == "cdf" and name in ("MultivariateNormal", "Independent",
                                                                                   "Gamma"))])
def test_quantities_and_their_gradients_match(name, quantity, both, same_with_gradients):
    make, parameters, value = CASES[name]
    (mine, leaves), (reference, torch_leaves) = both(evaluate(make, quantity), *parameters, value)
    same_with_gradients(mine, reference, leaves, torch_leaves, rtol=1e-10, grad_rtol=1e-7)


@pytest.mark.parametrize("name", CASES)
def test_shapes_support_expand_and_repr_match(name, both):
    make, parameters, value = CASES[name]
    (mine, _), (reference, _) = both(make, *parameters)
    assert (mine.batch_shape, mine.event_shape) == (tuple(reference.batch_shape), tuple(reference.event_shape))
    assert mine.has_rsample == reference.has_rsample is False
    assert repr(mine.support) == repr(reference.support)
    np.testing.assert_array_equal(mine.support.check(fastgrad.tensor(value)).numpy(),
                                  reference.support.check(torch.tensor(value)).numpy())
    # (the layout of PyTorch's repr; the components' own reprs show their parameters' shapes as given)
    assert repr(mine) == f"MixtureSameFamily(\n  {mine.mixture_distribution},\n  {mine.component_distribution})"
    assert repr(reference).startswith("MixtureSameFamily(\n  Categorical(")
    wider = (3,) + tuple(mine.batch_shape)
    expanded, their_expanded = mine.expand(wider), reference.expand(wider)
    assert expanded.batch_shape == tuple(their_expanded.batch_shape)
    np.testing.assert_allclose(expanded.log_prob(fastgrad.tensor(value[0])).detach().numpy(),
                               their_expanded.log_prob(torch.tensor(value[0])).detach().numpy(), rtol=1e-12)
    fastgrad.manual_seed(0)
    assert expanded.sample((2,)).shape == tuple(their_expanded.sample((2,)).shape)
    if tuple(mine.mixture_distribution.batch_shape) == tuple(mine.batch_shape):
        assert mine.sample().shape == tuple(reference.sample().shape)
    else:  # PyTorch cannot draw from a mixture of a narrower batch shape; fastgrad broadcasts it
        with pytest.raises(RuntimeError):
            reference.sample()
        assert mine.sample().shape == tuple(mine.batch_shape) + tuple(mine.event_shape)


def test_support_of_components_with_bounds_matches():
    """The value must lie in every component's support."""
    mine = ours.MixtureSameFamily(ours.Categorical(logits=fastgrad.zeros(2)),
                                  ours.Uniform(fastgrad.tensor([0.0, 1.0]), fastgrad.tensor([2.0, 3.0])))
    reference = theirs.MixtureSameFamily(theirs.Categorical(logits=torch.zeros(2)),
                                         theirs.Uniform(torch.tensor([0.0, 1.0]), torch.tensor([2.0, 3.0])))
    value = np.array([0.5, 1.5, 2.5, -1.0], dtype=np.float32)
    np.testing.assert_array_equal(mine.support.check(fastgrad.tensor(value)).numpy(),
                                  reference.support.check(torch.tensor(value)).numpy())


@pytest.mark.parametrize("make", [
    lambda d, t: d.MixtureSameFamily(d.Normal(0.0, 1.0), d.Normal(t.zeros(2), 1.0)),
    lambda d, t: d.MixtureSameFamily(d.Categorical(logits=t.zeros(2)), None),
    lambda d, t: d.MixtureSameFamily(d.Categorical(logits=t.zeros(3)), d.Normal(t.zeros(2), 1.0)),
    lambda d, t: d.MixtureSameFamily(d.Categorical(logits=t.zeros(3, 2)), d.Normal(t.zeros(4, 2), 1.0)),
    lambda d, t: d.MixtureSameFamily(d.Categorical(logits=t.zeros(2)), d.Gamma(t.ones(2), 1.0)).log_prob(
        t.tensor(-1.0)),
    lambda d, t: d.MixtureSameFamily(d.Categorical(logits=t.zeros(2)), d.Normal(t.zeros(2), 1.0)).log_prob(
        t.tensor(float("nan"))),
])
def test_both_refuse_the_same_arguments(make):
    with pytest.raises(ValueError):
        make(theirs, torch)
    with pytest.raises(ValueError):
        make(ours, fastgrad)

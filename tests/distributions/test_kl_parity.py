"""fastgrad.distributions.kl against torch.distributions.kl: every registered pair's KL(p || q) and its
gradients for both distributions' parameters, the infinite cases, and zero probabilities."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions.kl as our_kl

torch = pytest.importorskip("torch")
import torch.distributions.kl as their_kl  # noqa: E402


def location_scale(name):
    return lambda d, loc, scale: getattr(d, name)(loc, scale), lambda rng: [rng.normal(size=3), rng.uniform(0.5, 2, 3)]


FAMILIES = {
    "Normal": location_scale("Normal"),
    "Laplace": location_scale("Laplace"),
    "Gumbel": location_scale("Gumbel"),
    "LogNormal": location_scale("LogNormal"),
    "Uniform": (lambda d, low, width: d.Uniform(low, low + width),
                lambda rng: [rng.normal(size=3), rng.uniform(0.5, 2, 3)]),
    "Exponential": (lambda d, rate: d.Exponential(rate), lambda rng: [rng.uniform(0.5, 2, 3)]),
    "Bernoulli": (lambda d, logits: d.Bernoulli(logits=logits), lambda rng: [rng.normal(size=3)]),
    "Categorical": (lambda d, logits: d.Categorical(logits=logits), lambda rng: [rng.normal(size=(3, 4))]),
    "OneHotCategorical": (lambda d, logits: d.OneHotCategorical(logits=logits), lambda rng: [rng.normal(size=(3, 4))]),
    "Independent": (lambda d, loc, scale: d.Independent(d.Normal(loc, scale), 1),
                    lambda rng: [rng.normal(size=(3, 2)), rng.uniform(0.5, 2, (3, 2))]),
}
PAIRS = [(name, name) for name in FAMILIES if name != "Gumbel"] + [
    ("Exponential", "Gumbel"), ("Exponential", "Normal"), ("Exponential", "Uniform"),
    ("Gumbel", "Normal"), ("Gumbel", "Exponential"), ("Gumbel", "Uniform"),
    ("Laplace", "Normal"), ("Laplace", "Exponential"), ("Laplace", "Uniform"),
    ("Normal", "Gumbel"), ("Normal", "Laplace"), ("Normal", "Exponential"), ("Normal", "Uniform"),
    ("Uniform", "Exponential"), ("Uniform", "Gumbel"), ("Uniform", "Normal"),
]


def kl_of(make_p, make_q, count_p):
    return lambda d, *leaves: d.kl_divergence(make_p(d, *leaves[:count_p]), make_q(d, *leaves[count_p:]))


@pytest.mark.parametrize("p_name, q_name", PAIRS)
def test_kl_and_its_gradients_match(p_name, q_name, both, same_with_gradients):
    (make_p, draw_p), (make_q, draw_q) = FAMILIES[p_name], FAMILIES[q_name]
    rng = np.random.default_rng(20)
    p_arrays, q_arrays = draw_p(rng), draw_q(rng)  # Uniform's lows are of both signs: some KLs are infinite
    (mine, leaves), (reference, torch_leaves) = both(kl_of(make_p, make_q, len(p_arrays)), *p_arrays, *q_arrays)
    same_with_gradients(mine, reference, leaves, torch_leaves)


def test_uniform_kl_is_infinite_where_q_does_not_cover_p(both, same_with_gradients):
    low, width = np.array([0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0])
    q_low, q_width = np.array([-1.0, 0.5, 0.0]), np.array([3.0, 3.0, 0.5])
    uniform = FAMILIES["Uniform"][0]
    (mine, leaves), (reference, torch_leaves) = both(kl_of(uniform, uniform, 2), low, width, q_low, q_width)
    assert np.isinf(mine.detach().numpy()).tolist() == [False, True, True]
    same_with_gradients(mine, reference, leaves, torch_leaves)


def test_categorical_kl_with_zero_probabilities_matches(both, same_with_gradients):
    """inf where q has no mass where p has some; 0 terms where p has none."""
    p = np.array([[0.5, 0.0, 0.5, 0.0], [0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0]])
    q = np.array([[0.5, 0.5, 0.0, 0.0], [0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.5, 0.0]])
    (mine, leaves), (reference, torch_leaves) = both(
        lambda d, a, b: d.kl_divergence(d.Categorical(probs=a), d.Categorical(probs=b)), p, q)
    assert np.isinf(mine.detach().numpy()).tolist() == [True, False, False]
    same_with_gradients(mine, reference, leaves, torch_leaves)
    with np.errstate(divide="ignore"):
        p_logits, q_logits = np.log(p), np.log(q)  # -inf logits: zero probabilities given as logits
    one_hot = FAMILIES["OneHotCategorical"][0]
    (mine, leaves), (reference, torch_leaves) = both(kl_of(one_hot, one_hot, 1), p_logits, q_logits)
    same_with_gradients(mine, reference, leaves, torch_leaves)


def test_bernoulli_kl_with_certain_outcomes_matches(both, same_with_gradients):
    p = np.array([0.0, 1.0, 0.3, 0.3, 0.0, 1.0, 0.5])
    q = np.array([0.5, 0.5, 0.0, 1.0, 0.0, 1.0, 0.2])
    (mine, leaves), (reference, torch_leaves) = both(
        lambda d, a, b: d.kl_divergence(d.Bernoulli(probs=a), d.Bernoulli(probs=b)), p, q)
    same_with_gradients(mine, reference, leaves, torch_leaves)


def test_kl_broadcasts_batch_shapes_and_is_reachable_from_the_kl_module():
    rng = np.random.default_rng(21)
    arrays = rng.normal(size=(2, 1)), rng.uniform(0.5, 2, (2, 1)), rng.normal(size=3), rng.uniform(0.5, 2, 3)
    normals = [(fastgrad.distributions.Normal(*map(fastgrad.tensor, arrays[i:i + 2])),
                torch.distributions.Normal(*map(torch.tensor, arrays[i:i + 2]))) for i in (0, 2)]
    mine = our_kl.kl_divergence(normals[0][0], normals[1][0])
    reference = their_kl.kl_divergence(normals[0][1], normals[1][1])
    assert mine.shape == tuple(reference.shape) == (2, 3)
    np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda d, t: d.kl_divergence(d.Categorical(logits=t.zeros(2)), d.Normal(0.0, 1.0)),
    lambda d, t: d.kl_divergence(d.LogNormal(0.0, 1.0), d.Normal(0.0, 1.0)),
    lambda d, t: d.kl_divergence(d.Multinomial(2, logits=t.zeros(2)), d.Multinomial(2, logits=t.zeros(2))),
    lambda d, t: d.kl_divergence(d.Independent(d.Normal(t.zeros(2, 3), 1.0), 1),
                                 d.Independent(d.Normal(t.zeros(2, 3), 1.0), 2)),
])
def test_both_refuse_the_same_pairs(make):
    with pytest.raises(NotImplementedError):
        make(torch.distributions, torch)
    with pytest.raises(NotImplementedError):
        make(fastgrad.distributions, fastgrad)

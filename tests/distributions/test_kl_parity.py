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
    "Gamma": (lambda d, concentration, rate: d.Gamma(concentration, rate),
              lambda rng: [rng.uniform(0.3, 4, 3), rng.uniform(0.5, 2, 3)]),
    "Chi2": (lambda d, df: d.Chi2(df), lambda rng: [rng.uniform(0.5, 6, 3)]),
    "Beta": (lambda d, one, zero: d.Beta(one, zero), lambda rng: [rng.uniform(0.3, 4, 3), rng.uniform(0.3, 4, 3)]),
    "Dirichlet": (lambda d, concentration: d.Dirichlet(concentration), lambda rng: [rng.uniform(0.3, 4, (3, 4))]),
    "Poisson": (lambda d, rate: d.Poisson(rate), lambda rng: [rng.uniform(0.1, 5, 3)]),
    "Binomial": (lambda d, logits: d.Binomial(6, logits=logits), lambda rng: [rng.normal(size=3)]),
    "Geometric": (lambda d, probs: d.Geometric(probs=probs), lambda rng: [rng.uniform(0.05, 0.95, 3)]),
    "Cauchy": location_scale("Cauchy"),
    "HalfNormal": (lambda d, scale: d.HalfNormal(scale), lambda rng: [rng.uniform(0.5, 2, 3)]),
    "HalfCauchy": (lambda d, scale: d.HalfCauchy(scale), lambda rng: [rng.uniform(0.5, 2, 3)]),
}
# Uniforms inside [0, 1] (for the KLs to Beta and Gamma, infinite otherwise), and covering it (from Beta)
FAMILIES["InsideUniform"] = (FAMILIES["Uniform"][0], lambda rng: [rng.uniform(0.05, 0.4, 3), rng.uniform(0.1, 0.5, 3)])
FAMILIES["CoveringUniform"] = (FAMILIES["Uniform"][0], lambda rng: [rng.uniform(-0.5, 0, 3), rng.uniform(1.5, 2, 3)])
GAMMA_FAMILIES = {"Gamma", "Chi2", "Beta", "Dirichlet", "Gumbel"}  # KLs with digamma or lgamma: see conftest
PAIRS = [(name, name) for name in FAMILIES if "Uniform" not in name] + [("Uniform", "Uniform"), ("Chi2", "Gamma")] + [
    ("Beta", "Exponential"), ("Beta", "Gamma"), ("Beta", "Normal"), ("Beta", "Uniform"), ("Beta", "CoveringUniform"),
    ("Exponential", "Beta"), ("Exponential", "Gamma"), ("Gamma", "Beta"), ("Gamma", "Uniform"),
    ("Gamma", "Exponential"), ("Gamma", "Gumbel"), ("Gamma", "Normal"), ("Gumbel", "Beta"), ("Gumbel", "Gamma"),
    ("Laplace", "Beta"), ("Laplace", "Gamma"), ("Normal", "Beta"), ("Normal", "Gamma"),
    ("Uniform", "Beta"), ("Uniform", "Gamma"), ("InsideUniform", "Beta"), ("InsideUniform", "Gamma"),

    ("Exponential", "Gumbel"), ("Exponential", "Normal"), ("Exponential", "Uniform"),
    ("Gumbel", "Normal"), ("Gumbel", "Exponential"), ("Gumbel", "Uniform"),
    ("Laplace", "Normal"), ("Laplace", "Exponential"), ("Laplace", "Uniform"),
    ("Normal", "Gumbel"), ("Normal", "Laplace"), ("Normal", "Exponential"), ("Normal", "Uniform"),
    ("Uniform", "Exponential"), ("Uniform", "Gumbel"), ("Uniform", "Normal"),
    ("Bernoulli", "Poisson"), ("Poisson", "Bernoulli"), ("Poisson", "Binomial"),
]


def kl_of(make_p, make_q, count_p):
    return lambda d, *leaves: d.kl_divergence(make_p(d, *leaves[:count_p]), make_q(d, *leaves[count_p:]))


@pytest.mark.parametrize("p_name, q_name", PAIRS)
def test_kl_and_its_gradients_match(p_name, q_name, both, same_with_gradients):
    (make_p, draw_p), (make_q, draw_q) = FAMILIES[p_name], FAMILIES[q_name]
    rng = np.random.default_rng(20)
    p_arrays, q_arrays = draw_p(rng), draw_q(rng)  # Uniform's lows are of both signs: some KLs are infinite
    (mine, leaves), (reference, torch_leaves) = both(kl_of(make_p, make_q, len(p_arrays)), *p_arrays, *q_arrays)
    same_with_gradients(mine, reference, leaves, torch_leaves, grad_rtol=1e-7 if GAMMA_FAMILIES & {p_name, q_name}
                        else 1e-9)


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


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p_name, q_name", [("Gamma", "Gamma"), ("Beta", "Beta"), ("Dirichlet", "Dirichlet"),
                                            ("Gumbel", "Gumbel"), ("Gamma", "Normal")])
def test_kl_of_the_gamma_families_matches_in_both_dtypes(p_name, q_name, dtype):
    (make_p, draw_p), (make_q, draw_q) = FAMILIES[p_name], FAMILIES[q_name]
    rng = np.random.default_rng(22)
    arrays = [a.astype(dtype) for a in draw_p(rng) + draw_q(rng)]
    count = len(draw_p(np.random.default_rng(0)))
    mine = kl_of(make_p, make_q, count)(fastgrad.distributions, *map(fastgrad.tensor, arrays))
    reference = kl_of(make_p, make_q, count)(torch.distributions, *map(torch.tensor, arrays))
    assert str(mine.dtype) == dtype and reference.dtype == getattr(torch, dtype)
    np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=2e-5 if dtype == "float32" else 1e-12,
                               atol=1e-6 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("q_name", ["Beta", "Gamma"])
def test_kl_from_a_uniform_starting_or_ending_at_the_edge_of_the_support_matches(q_name, both, same_with_gradients):
    """0 log 0 = 0 in E[log x] (and E[log(1 - x)] for Beta)."""
    low, width, one, zero = np.array([0.0, 0.0, 0.5]), np.array([0.5, 1.0, 0.5]), np.array([2.0, 0.7, 3.0]), \
        np.array([3.0, 1.5, 0.4])
    (mine, leaves), (reference, torch_leaves) = both(kl_of(FAMILIES["Uniform"][0], FAMILIES[q_name][0], 2),
                                                     low, width, one, zero)
    assert np.isfinite(mine.detach().numpy()).all()
    same_with_gradients(mine, reference, leaves, torch_leaves, grad_rtol=1e-7)


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


def test_binomial_kl_is_infinite_where_p_has_more_trials_and_refused_where_fewer(both, same_with_gradients):
    """PyTorch's answers: inf where p reaches counts q cannot; no closed form (NotImplementedError) the
    other way."""
    counts = np.array([6.0, 9.0, 4.0])

    def binomial_kl(d, p_logits, q_logits):
        tensor = fastgrad.tensor if d is fastgrad.distributions else torch.tensor
        return d.kl_divergence(d.Binomial(tensor(counts), logits=p_logits), d.Binomial(6, logits=q_logits))

    rng = np.random.default_rng(21)
    for module, tensor in ((fastgrad.distributions, fastgrad.tensor), (torch.distributions, torch.tensor)):
        with pytest.raises(NotImplementedError):
            binomial_kl(module, tensor(rng.normal(size=3)), tensor(rng.normal(size=3)))
    counts[2] = 6.0
    (mine, leaves), (reference, torch_leaves) = both(binomial_kl, rng.normal(size=3), rng.normal(size=3))
    assert np.isinf(mine.detach().numpy()).tolist() == [False, True, False]
    same_with_gradients(mine, reference, leaves, torch_leaves)

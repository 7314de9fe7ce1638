"""Poisson, Binomial, Geometric, NegativeBinomial, Cauchy, HalfNormal and HalfCauchy against
torch.distributions: log_prob, cdf, icdf, entropy, moments and their gradients, shapes, supports,
expand, enumerate_support and argument checks (the draws are checked in test_counts_and_cauchy.py)."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions as ours

torch = pytest.importorskip("torch")
import torch.distributions as theirs  # noqa: E402


def support_name(distribution) -> str:
    return type(distribution.support).__name__.lstrip("_")


_rng = np.random.default_rng(30)
_counts = np.array([[0.0, 1.0, 4.0], [2.0, 0.0, 7.0]])  # counts in every family's support (Binomial's n >= 7)
_probs = np.array([0.15, 0.5, 0.8])  # 0.5: logit 0, where the Binomial's clamp_by_zero matters
# name: (make, parameter arrays, value, quantities); each family takes its parameters as PyTorch's do
FAMILIES = {
    "Poisson": (lambda d, r: d.Poisson(r), [np.array([0.3, 2.0, 5.5])], _counts,
                ["log_prob", "mean", "mode", "variance", "stddev"]),
    "BinomialProbs": (lambda d, p: d.Binomial(8, probs=p), [_probs], _counts,
                      ["log_prob", "entropy", "mean", "mode", "variance", "probs", "logits"]),
    "BinomialLogits": (lambda d, lg: d.Binomial(fastgrad.tensor([7.0, 9.0, 12.0]) if d is ours else
                                                torch.tensor([7.0, 9.0, 12.0], dtype=torch.float64), logits=lg),
                       [np.array([-1.3, 0.0, 2.2])], _counts, ["log_prob", "mean", "mode", "variance", "probs"]),
    "GeometricProbs": (lambda d, p: d.Geometric(probs=p), [_probs], _counts,
                       ["log_prob", "entropy", "mean", "mode", "variance", "logits"]),
    "GeometricLogits": (lambda d, lg: d.Geometric(logits=lg), [np.array([-1.3, 0.0, 2.2])], _counts,
                        ["log_prob", "entropy", "mean", "variance", "probs"]),
    "NegativeBinomialProbs": (lambda d, n, p: d.NegativeBinomial(n, probs=p), [np.array([0.5, 3.0, 7.5]), _probs],
                              _counts, ["log_prob", "mean", "mode", "variance", "logits"]),
    "NegativeBinomialLogits": (lambda d, n, lg: d.NegativeBinomial(n, logits=lg),
                               [np.array([0.5, 3.0, 7.5]), np.array([-1.3, 0.0, 2.2])], _counts,
                               ["log_prob", "mean", "mode", "variance", "probs"]),
    "Cauchy": (lambda d, m, s: d.Cauchy(m, s), [_rng.normal(size=3), _rng.uniform(0.5, 2.0, size=(2, 1))],
               _rng.normal(size=(2, 3)) * 3, ["log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance"]),
    "HalfNormal": (lambda d, s: d.HalfNormal(s), [_rng.uniform(0.5, 2.0, size=3)], _rng.uniform(0, 3, size=(2, 3)),
                   ["log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev"]),
    "HalfCauchy": (lambda d, s: d.HalfCauchy(s), [_rng.uniform(0.5, 2.0, size=3)], _rng.uniform(0, 3, size=(2, 3)),
                   ["log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance"]),
}
_quantiles = _rng.uniform(0.05, 0.95, size=(2, 3))


@pytest.mark.parametrize("name, quantity", [(name, quantity) for name, family in FAMILIES.items()
                                            for quantity in family[3]])
def test_quantities_and_their_gradients_match(name, quantity, both, same_with_gradients):
    make, parameters, value, _ = FAMILIES[name]
    argument = {"log_prob": value, "cdf": value, "icdf": _quantiles}.get(quantity)

    def evaluate(d, *leaves):
        found = getattr(make(d, *leaves[:len(parameters)]), quantity)
        return found(leaves[-1]) if argument is not None else found() if callable(found) else found

    arrays = parameters + ([argument] if argument is not None else [])
    (mine, leaves), (reference, torch_leaves) = both(evaluate, *arrays)
    assert mine.shape == tuple(reference.shape) and mine.dtype == np.float64
    same_with_gradients(mine, reference, leaves, torch_leaves, grad_rtol=1e-8)


@pytest.mark.parametrize("name", FAMILIES)
def test_shapes_support_sampling_and_expand_match(name, both):
    make, parameters, value, _ = FAMILIES[name]
    (mine, _), (reference, _) = both(make, *parameters)
    assert (mine.batch_shape, mine.event_shape) == (tuple(reference.batch_shape), tuple(reference.event_shape))
    assert mine.has_rsample == reference.has_rsample and support_name(mine) == support_name(reference)
    assert mine.has_enumerate_support == reference.has_enumerate_support
    assert set(mine.arg_constraints) == set(reference.arg_constraints)
    for key, constraint in mine.arg_constraints.items():
        assert repr(constraint) == repr(reference.arg_constraints[key])
    probes = np.array([-1e6, -1.0, 0.0, 0.5, 3.0, 1e6, np.nan]).reshape(-1, 1, 1)
    np.testing.assert_array_equal(mine.support.check(fastgrad.tensor(probes)).numpy(),
                                  reference.support.check(torch.tensor(probes)).numpy())
    draws, their_draws = mine.sample((4,)), reference.sample((4,))
    assert draws.shape == tuple(their_draws.shape) and draws.dtype == np.float64 and not draws.requires_grad
    assert mine.support.check(draws).numpy().all()
    wider = (5,) + tuple(reference.batch_shape)
    expanded, their_expanded = mine.expand(wider), reference.expand(wider)
    assert expanded.batch_shape == tuple(their_expanded.batch_shape) == wider and type(expanded) is type(mine)
    np.testing.assert_allclose(expanded.log_prob(fastgrad.tensor(value[0])).detach().numpy(),
                               their_expanded.log_prob(torch.tensor(value[0])).detach().numpy(), rtol=1e-12)
    assert expanded.sample((2,)).shape == (2,) + wider


def test_binomial_enumerate_support_entropy_and_sure_outcomes_match(both, same_with_gradients):
    probs = np.array([[0.0, 0.3, 1.0], [0.5, 0.9, 0.01]])  # probs of 0 and 1: PyTorch's clamped logits
    (mine, leaves), (reference, torch_leaves) = both(lambda d, p: d.Binomial(5, probs=p), probs)
    for expand in (True, False):
        ours_support, their_support = mine.enumerate_support(expand), reference.enumerate_support(expand)
        np.testing.assert_array_equal(ours_support.numpy(), their_support.numpy())
        assert ours_support.dtype == np.float64
    values = np.array([[0.0, 2.0, 5.0], [3.0, 5.0, 0.0]])
    same_with_gradients(mine.log_prob(fastgrad.tensor(values)) + mine.entropy(),
                        reference.log_prob(torch.tensor(values)) + reference.entropy(), leaves, torch_leaves,
                        rtol=1e-9, grad_rtol=1e-7)


def test_geometric_with_a_sure_success_matches(both, same_with_gradients):
    probs = np.array([1.0, 1.0, 0.4])
    (mine, leaves), (reference, torch_leaves) = both(lambda d, p: d.Geometric(probs=p).log_prob(
        fastgrad.tensor([0.0, 2.0, 3.0]) if d is ours else torch.tensor([0.0, 2.0, 3.0], dtype=torch.float64)), probs)
    assert mine.detach().numpy().tolist()[:2] == [0.0, -np.inf]
    same_with_gradients(mine, reference, leaves, torch_leaves)


def test_negative_binomial_with_no_failures_to_wait_for_matches(both):
    (mine, _), (reference, _) = both(lambda d, n: d.NegativeBinomial(n, probs=0.4 if d is ours else 0.4), np.zeros(2))
    np.testing.assert_array_equal(mine.log_prob(fastgrad.tensor([0.0, 1.0])).detach().numpy(),
                                  reference.log_prob(torch.tensor([0.0, 1.0], dtype=torch.float64)).detach().numpy())


@pytest.mark.parametrize("name", ["Poisson", "BinomialProbs", "GeometricProbs", "NegativeBinomialProbs"])
def test_integer_values_score_as_their_floats(name, both):
    """An int64 value takes the parameters' dtype. PyTorch takes lgamma of it in float32, so the
    references are its scores of the same values as float64."""
    make, parameters, value, _ = FAMILIES[name]
    (mine, _), (reference, _) = both(make, *parameters)
    got = mine.log_prob(fastgrad.tensor(value.astype(np.int64)))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got.detach().numpy(), reference.log_prob(torch.tensor(value)).detach().numpy(),
                               rtol=1e-12)


@pytest.mark.parametrize("name, make", [
    ("python numbers", lambda d, t: d.Poisson(2.0).log_prob(t.tensor(1.0))),
    ("python numbers", lambda d, t: d.Cauchy(0.0, 1.0).rsample((2,))),
    ("python numbers", lambda d, t: d.HalfNormal(1.5).entropy()),
    ("float32 parameter", lambda d, t: d.Binomial(3, probs=t.tensor([0.5])).log_prob(t.tensor([1.0]))),
    ("float32 parameter", lambda d, t: d.Geometric(logits=t.tensor([0.5])).sample()),
    ("float64 value", lambda d, t: d.Poisson(t.tensor([2.0])).log_prob(t.tensor([1.0], dtype=t.float64))),
    ("float64 scale", lambda d, t: d.HalfCauchy(t.tensor([2.0], dtype=t.float64)).log_prob(t.tensor([1.0]))),
])
def test_dtypes_follow_torchs_promotion(name, make):
    assert str(make(ours, fastgrad).dtype).split(".")[-1] == str(make(theirs, torch).dtype).split(".")[-1], name


@pytest.mark.parametrize("make", [
    lambda d, t: d.Poisson(t.tensor([-0.5])),
    lambda d, t: d.Poisson(t.tensor([1.0])).log_prob(t.tensor([0.5])),
    lambda d, t: d.Poisson(t.tensor([1.0])).log_prob(t.tensor([-1.0])),
    lambda d, t: d.Binomial(2.5, probs=t.tensor([0.5])),
    lambda d, t: d.Binomial(-1, probs=t.tensor([0.5])),
    lambda d, t: d.Binomial(3, probs=t.tensor([1.5])),
    lambda d, t: d.Binomial(3, probs=t.tensor([0.5]), logits=t.tensor([0.0])),
    lambda d, t: d.Binomial(3, probs=t.tensor([0.5])).log_prob(t.tensor([4.0])),
    lambda d, t: d.Binomial(t.tensor([3.0, 5.0]), probs=t.tensor([0.5, 0.5])).log_prob(t.tensor([4.0, 4.0])),
    lambda d, t: d.Geometric(probs=t.tensor([0.0, 0.5])),
    lambda d, t: d.Geometric(probs=t.tensor([1.5])),
    lambda d, t: d.Geometric(logits=t.tensor([0.0])).log_prob(t.tensor([1.5])),
    lambda d, t: d.NegativeBinomial(t.tensor([-1.0]), probs=t.tensor([0.5])),
    lambda d, t: d.NegativeBinomial(t.tensor([1.0]), probs=t.tensor([1.0])),
    lambda d, t: d.NegativeBinomial(t.tensor([1.0]), logits=t.tensor([0.0])).log_prob(t.tensor([-2.0])),
    lambda d, t: d.Cauchy(0.0, 0.0),
    lambda d, t: d.Cauchy(t.tensor([float("nan")]), 1.0),
    lambda d, t: d.Cauchy(0.0, 1.0).log_prob(t.tensor(float("nan"))),
    lambda d, t: d.HalfNormal(t.tensor([-1.0])),
    lambda d, t: d.HalfNormal(1.0).log_prob(t.tensor([-0.5])),
    lambda d, t: d.HalfCauchy(1.0).cdf(t.tensor([-0.5])),
    lambda d, t: d.HalfCauchy(t.tensor([0.0])),
])
def test_both_refuse_the_same_arguments(make):
    with pytest.raises(ValueError):
        make(theirs, torch)
    with pytest.raises(ValueError):
        make(ours, fastgrad)


@pytest.mark.parametrize("make", [
    lambda d, t: d.Binomial(t.tensor([3.0, 5.0]), probs=t.tensor([0.5, 0.5])).entropy(),
    lambda d, t: d.Binomial(t.tensor([3.0, 5.0]), probs=t.tensor([0.5, 0.5])).enumerate_support(),
    lambda d, t: d.Poisson(t.tensor([1.0])).entropy(),
    lambda d, t: d.Poisson(t.tensor([1.0])).rsample(),
    lambda d, t: d.Poisson(t.tensor([1.0])).cdf(t.tensor([1.0])),
    lambda d, t: d.Geometric(probs=t.tensor([0.5])).rsample(),
    lambda d, t: d.NegativeBinomial(2.0, probs=t.tensor([0.5])).entropy(),
    lambda d, t: d.Geometric(probs=t.tensor([0.5])).enumerate_support(),
])
def test_both_raise_not_implemented_alike(make):
    with pytest.raises(NotImplementedError):
        make(theirs, torch)
    with pytest.raises(NotImplementedError):
        make(ours, fastgrad)


def test_validation_off_gives_torchs_values_outside_the_support():
    for make in (lambda d, t: d.HalfNormal(t.tensor([1.0, 2.0]), validate_args=False).log_prob(t.tensor([-0.5, 1.0])),
                 lambda d, t: d.HalfCauchy(t.tensor([1.0, 2.0]), validate_args=False).cdf(t.tensor([-0.5, 1.0])),
                 lambda d, t: d.Geometric(probs=t.tensor([0.0, 0.5]), validate_args=False).mean):
        np.testing.assert_allclose(make(ours, fastgrad).detach().numpy(), make(theirs, torch).detach().numpy(),
                                   rtol=1e-6)

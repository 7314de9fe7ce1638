"""Weibull, Pareto, Kumaraswamy and InverseGamma against torch.distributions: log_prob, cdf, icdf, entropy
and moments with their gradients, shapes, expand and constraints, the KLs PyTorch registers for Pareto and
reaches for the others through their transforms, and the refusals."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions as ours

torch = pytest.importorskip("torch")
import torch.distributions as theirs  # noqa: E402

_rng = np.random.default_rng(9)
_first = np.array([0.5, 1.5, 2.5, 4.0])  # across 1 and 2, where moments and modes change form
_second = _rng.uniform(0.6, 2.5, size=(2, 1))
FAMILIES = {
    "Weibull": (lambda d, scale, concentration: d.Weibull(scale, concentration), [_second, _first],
                _rng.uniform(0.1, 4.0, size=(3, 2, 4))),
    "Pareto": (lambda d, scale, alpha: d.Pareto(scale, alpha), [_second, _first],
               _rng.uniform(2.6, 6.0, size=(3, 2, 4))),
    "Kumaraswamy": (lambda d, one, zero: d.Kumaraswamy(one, zero), [_first, _second],
                    _rng.uniform(0.05, 0.95, size=(3, 2, 4))),
    "InverseGamma": (lambda d, concentration, rate: d.InverseGamma(concentration, rate), [_first, _second],
                     _rng.uniform(0.1, 4.0, size=(3, 2, 4))),
}
QUANTITIES = ["log_prob", "cdf", "icdf", "entropy", "mean", "variance", "stddev"]
MISSING = {("InverseGamma", "icdf")}  # Gamma has no icdf, in either


def evaluate(make, quantity):
    def evaluated(d, *leaves):
        found = getattr(make(d, *leaves[:2]), quantity)
        value = leaves[2] if quantity != "icdf" else leaves[2] / 7  # probabilities
        return found(value) if quantity in ("log_prob", "cdf", "icdf") else found() if callable(found) else found
    return evaluated


@pytest.mark.parametrize("name, quantity", [(name, quantity) for name in FAMILIES for quantity in QUANTITIES
                                            if (name, quantity) not in MISSING])
def test_quantities_and_their_gradients_match(name, quantity, both, same_with_gradients):
    make, parameters, value = FAMILIES[name]
    (mine, leaves), (reference, torch_leaves) = both(evaluate(make, quantity), *parameters, value)
    finite = np.isfinite(reference.detach().numpy())
    if (name, quantity) == ("InverseGamma", "cdf") or not finite.all():
        # Gamma's cdf has no gradient in the concentration (in either); and at infinite moments
        # PyTorch's gradients are NaN through the infinite entries, where fastgrad's get none from them
        np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), rtol=1e-10)
        return
    same_with_gradients(mine, reference, leaves, torch_leaves, rtol=1e-10, grad_rtol=1e-7)


@pytest.mark.parametrize("name, quantity", [("Pareto", "mean"), ("Pareto", "variance"), ("InverseGamma", "mean"),
                                            ("InverseGamma", "variance")])
def test_finite_moments_and_their_gradients_match(name, quantity, both, same_with_gradients):
    make, parameters, value = FAMILIES[name]
    parameters = [p + 2.5 if p.ndim == 1 else p for p in parameters]  # alpha and concentration above 2
    (mine, leaves), (reference, torch_leaves) = both(evaluate(make, quantity), *parameters, value)
    same_with_gradients(mine, reference, leaves, torch_leaves, rtol=1e-10, grad_rtol=1e-7)


@pytest.mark.parametrize("name", FAMILIES)
def test_shapes_constraints_and_expand_match(name, both, same_when_expanded):
    make, parameters, value = FAMILIES[name]
    (mine, _), (reference, _) = both(make, *parameters)
    assert (mine.batch_shape, mine.event_shape) == (tuple(reference.batch_shape), tuple(reference.event_shape))
    assert mine.has_rsample == reference.has_rsample
    assert isinstance(mine, ours.TransformedDistribution) and isinstance(reference, theirs.TransformedDistribution)
    # (Pareto's support holds its scale: the graph nodes are named differently)
    assert repr(mine.support).split("grad_fn")[0] == repr(reference.support).replace("torch.", "").split("grad_fn")[0]
    assert {key: repr(c) for key, c in mine.arg_constraints.items()} == \
        {key: repr(c) for key, c in reference.arg_constraints.items()}
    fastgrad.manual_seed(0)
    draws = mine.rsample((4,))
    assert draws.shape == tuple(reference.rsample((4,)).shape) and draws.dtype == np.float64 and draws.requires_grad
    same_when_expanded(mine, reference, value[0])


@pytest.mark.parametrize("name", ["Pareto", "InverseGamma"])
def test_modes_match(name, both, same_with_gradients):
    make, parameters, _ = FAMILIES[name]
    (mine, leaves), (reference, torch_leaves) = both(lambda d, a, b: make(d, a, b).mode, *parameters)
    same_with_gradients(mine, reference, leaves, torch_leaves)


@pytest.mark.parametrize("make", [
    lambda d, t: d.Weibull(2.0, 3.0), lambda d, t: d.Pareto(t.ones(2, 1), 3.0), lambda d, t: d.Kumaraswamy(2.0, 3.0),
    lambda d, t: d.InverseGamma(t.tensor([2.0, 1.0], dtype=t.float64), 3.0),
])
def test_python_numbers_give_pytorchs_shapes_and_dtypes(make):
    mine, reference = make(ours, fastgrad), make(theirs, torch)
    assert mine.batch_shape == tuple(reference.batch_shape)
    for found, expected in ((mine.mean, reference.mean), (mine.entropy(), reference.entropy()),
                            (mine.sample((2,)), reference.sample((2,)))):
        assert str(found.dtype) == str(expected.dtype).split(".")[-1] and found.shape == tuple(expected.shape)


PARETO = (lambda d, scale, alpha: d.Pareto(scale, alpha), [_rng.uniform(0.5, 2.0, 4), np.array([0.5, 1.5, 2.5, 4.0])])
OTHERS = {
    "Pareto": PARETO,
    "Exponential": (lambda d, rate: d.Exponential(rate), [_rng.uniform(0.5, 2.0, 4)]),
    "Gamma": (lambda d, concentration, rate: d.Gamma(concentration, rate),
              [_rng.uniform(0.5, 3.0, 4), _rng.uniform(0.5, 2.0, 4)]),
    "Normal": (lambda d, loc, scale: d.Normal(loc, scale), [_rng.normal(size=4), _rng.uniform(0.5, 2.0, 4)]),
    "Laplace": (lambda d, loc, scale: d.Laplace(loc, scale), [_rng.normal(size=4), _rng.uniform(0.5, 2.0, 4)]),
    "Gumbel": (lambda d, loc, scale: d.Gumbel(loc, scale), [_rng.normal(size=4), _rng.uniform(0.5, 2.0, 4)]),
    "Beta": (lambda d, one, zero: d.Beta(one, zero), [_rng.uniform(0.5, 3.0, 4), _rng.uniform(0.5, 3.0, 4)]),
    # lows at and above the Paretos' scales for finite KLs, one below it for an infinite one
    "Uniform": (lambda d, low, width: d.Uniform(low, low + width), [np.array([0.2, 2.0, 2.5, 3.0]),
                                                                    _rng.uniform(0.5, 2.0, 4)]),
}
KL_PAIRS = [("Pareto", "Pareto"), ("Pareto", "Exponential"), ("Pareto", "Gamma"), ("Pareto", "Normal"),
            ("Pareto", "Uniform"), ("Pareto", "Beta"), ("Uniform", "Pareto"), ("Exponential", "Pareto"),
            ("Gamma", "Pareto"), ("Normal", "Pareto"), ("Laplace", "Pareto"), ("Gumbel", "Pareto"), ("Beta", "Pareto")]


@pytest.mark.parametrize("p_name, q_name", KL_PAIRS)
def test_pareto_kls_and_their_gradients_match(p_name, q_name, both, same_with_gradients):
    (make_p, p_arrays), (make_q, q_arrays) = OTHERS[p_name], OTHERS[q_name]
    if (p_name, q_name) == ("Pareto", "Pareto"):
        q_arrays = [p_arrays[0][::-1].copy(), q_arrays[1] + 0.3]  # q's scales above and below p's
    count = len(p_arrays)
    (mine, leaves), (reference, torch_leaves) = both(
        lambda d, *leaves: d.kl_divergence(make_p(d, *leaves[:count]), make_q(d, *leaves[count:])),
        *p_arrays, *q_arrays)
    same_with_gradients(mine, reference, leaves, torch_leaves, grad_rtol=1e-7)


@pytest.mark.parametrize("name", ["Weibull", "Kumaraswamy", "InverseGamma"])
def test_kls_through_the_transforms_match(name, both, same_with_gradients):
    """Equal transforms: the bases' KL (InverseGamma's are always equal, the others' where the parameters
    that shape the transforms are); other pairs are refused by both."""
    make, parameters, _ = FAMILIES[name]
    others = [parameters[0] * 1.3, parameters[1]] if name == "InverseGamma" else parameters
    (mine, leaves), (reference, torch_leaves) = both(
        lambda d, a, b, c, e: d.kl_divergence(make(d, a, b), make(d, c, e)), *parameters, *others)
    same_with_gradients(mine, reference, leaves, torch_leaves, grad_rtol=1e-7)
    if name != "InverseGamma":
        shifted = [parameters[0] * 1.3, parameters[1]]
        for module, library in ((theirs, torch), (ours, fastgrad)):
            with pytest.raises(NotImplementedError):
                module.kl_divergence(make(module, *map(library.tensor, parameters)),
                                     make(module, *map(library.tensor, shifted)))


@pytest.mark.parametrize("make", [
    lambda d, t: d.Weibull(-1.0, 1.0), lambda d, t: d.Weibull(1.0, 0.0),
    lambda d, t: d.Weibull(1.0, 1.0).log_prob(t.tensor(-1.0)),
    lambda d, t: d.Pareto(0.0, 1.0), lambda d, t: d.Pareto(1.0, -2.0),
    lambda d, t: d.Pareto(2.0, 1.0).log_prob(t.tensor(1.5)),
    lambda d, t: d.Kumaraswamy(0.0, 1.0), lambda d, t: d.Kumaraswamy(1.0, float("nan")),
    lambda d, t: d.Kumaraswamy(1.0, 1.0).log_prob(t.tensor(1.5)),
    lambda d, t: d.InverseGamma(0.0, 1.0), lambda d, t: d.InverseGamma(1.0, -1.0),
    lambda d, t: d.InverseGamma(1.0, 1.0).log_prob(t.tensor(-1.0)),
])
def test_both_refuse_the_same_arguments(make):
    with pytest.raises(ValueError):
        make(theirs, torch)
    with pytest.raises(ValueError):
        make(ours, fastgrad)


def test_parameters_that_do_not_broadcast_are_refused_by_both():
    with pytest.raises(RuntimeError):  # PyTorch's broadcast error
        theirs.Weibull(torch.ones(3), torch.ones(2))
    with pytest.raises(ValueError, match="shape mismatch"):  # as fastgrad's other families
        ours.Weibull(fastgrad.ones(3), fastgrad.ones(2))

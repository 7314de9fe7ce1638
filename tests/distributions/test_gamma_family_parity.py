"""Gamma, Chi2, Beta, Dirichlet and StudentT against torch.distributions: log_prob, cdf, entropy, moments
and their gradients in float64 and float32, shapes, expand, supports and argument checks, and the
gradient of gamma draws against PyTorch's approximation of it (the draws come from another generator)."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions as ours

torch = pytest.importorskip("torch")
import torch.distributions as theirs  # noqa: E402

_rng = np.random.default_rng(5)
_positive = _rng.uniform(0.3, 4.0, size=3)
_rate = _rng.uniform(0.5, 2.0, size=(2, 1))
_simplex = _rng.dirichlet(np.ones(4), size=(2, 3))
# (make, parameter arrays, a value in the support)
FAMILIES = {
    "Gamma": (lambda d, c, r: d.Gamma(c, r), [_positive, _rate], _rng.gamma(2.0, size=(2, 3))),
    "Chi2": (lambda d, df: d.Chi2(df), [_rng.uniform(0.5, 6.0, size=(2, 3))], _rng.gamma(2.0, size=(2, 3))),
    "Beta": (lambda d, one, zero: d.Beta(one, zero), [_positive, _rng.uniform(0.3, 4.0, size=(2, 1))],
             _rng.uniform(0.05, 0.95, size=(2, 3))),
    "Dirichlet": (lambda d, c: d.Dirichlet(c), [_rng.uniform(0.3, 4.0, size=(3, 4))], _simplex),
    # df from below 1 (no mean) through (1, 2] (infinite variance) to finite variance
    "StudentT": (lambda d, df, loc, scale: d.StudentT(df, loc, scale),
                 [np.array([0.7, 1.5, 2.0, 5.0]), _rng.normal(size=(2, 1)), np.array(1.7)], _rng.normal(size=(2, 4))),
}
QUANTITIES = ["log_prob", "entropy", "perplexity", "mean", "mode", "variance", "stddev"]
# PyTorch's trigamma (digamma's derivative) is off by up to about 1e-9: see conftest
GRAD_RTOL = 1e-7


def evaluate(make, count, quantity):
    def evaluated(d, *leaves):
        found = getattr(make(d, *leaves[:count]), quantity)
        return found(leaves[count]) if quantity in ("log_prob", "cdf") else found() if callable(found) else found
    return evaluated


@pytest.mark.parametrize("name, quantity", [(name, quantity) for name in FAMILIES for quantity in QUANTITIES])
def test_quantities_and_their_gradients_match(name, quantity, both, same_with_gradients):
    make, parameters, value = FAMILIES[name]
    arrays = parameters + ([value] if quantity == "log_prob" else [])
    (mine, leaves), (reference, torch_leaves) = both(evaluate(make, len(parameters), quantity), *arrays)
    assert mine.shape == tuple(reference.shape)
    same_with_gradients(mine, reference, leaves, torch_leaves, grad_rtol=GRAD_RTOL)


@pytest.mark.parametrize("name", list(FAMILIES))
@pytest.mark.parametrize("parameters_dtype, value_dtype", [("float64", "float32"), ("float32", "float64")])
def test_log_prob_of_a_value_of_another_dtype_matches(name, parameters_dtype, value_dtype):
    """Gamma and Chi2 score a value in the rate's dtype, as PyTorch's (fastgrad's promoted: a float64 value
    under float32 parameters came out float64); the others promote in both."""
    make, parameters, value = FAMILIES[name]
    results = []
    for lib, module in ((fastgrad, ours), (torch, theirs)):
        leaves = [lib.tensor(a, dtype=getattr(lib, parameters_dtype)) for a in parameters]
        scored = lib.tensor(value, dtype=getattr(lib, value_dtype), requires_grad=True)
        log_prob = make(module, *leaves).log_prob(scored)
        log_prob.sum().backward()
        results.append((log_prob, scored.grad))
    (mine, mine_grad), (reference, reference_grad) = results
    assert str(mine.dtype) == str(reference.dtype).replace("torch.", "")
    np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(mine_grad.numpy(), reference_grad.numpy(), rtol=1e-5)


@pytest.mark.parametrize("name, quantity", [(name, quantity) for name in FAMILIES
                                            for quantity in ("log_prob", "entropy", "mean", "variance")])
def test_float32_values_and_gradients_match(name, quantity):
    make, parameters, value = FAMILIES[name]
    arrays = [np.asarray(a, dtype=np.float32) for a in parameters + [value]]
    if name == "Dirichlet":
        arrays[-1] /= arrays[-1].sum(-1, keepdims=True)  # on the float32 simplex
    mine_leaves = [fastgrad.tensor(a, requires_grad=True) for a in arrays]
    torch_leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    mine = evaluate(make, len(parameters), quantity)(ours, *mine_leaves)
    reference = evaluate(make, len(parameters), quantity)(theirs, *torch_leaves)
    assert str(mine.dtype) == "float32" and reference.dtype == torch.float32
    np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), rtol=1e-5, atol=1e-5)
    finite = np.isfinite(reference.detach().numpy())
    (mine * fastgrad.tensor(finite.astype(np.float32))).sum().backward()
    (reference.masked_fill(torch.tensor(~finite), 0.0)).sum().backward()
    for leaf, torch_leaf in zip(mine_leaves, torch_leaves):
        if torch_leaf.grad is not None:
            np.testing.assert_allclose(leaf.grad.numpy(), torch_leaf.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", FAMILIES)
def test_shapes_support_and_expand_match(name, both, same_when_expanded):
    make, parameters, value = FAMILIES[name]
    (mine, _), (reference, _) = both(make, *parameters)
    assert (mine.batch_shape, mine.event_shape) == (tuple(reference.batch_shape), tuple(reference.event_shape))
    assert mine.has_rsample == reference.has_rsample
    assert repr(mine.support) == repr(reference.support)
    assert {name: repr(c) for name, c in mine.arg_constraints.items()} == \
        {name: repr(c) for name, c in reference.arg_constraints.items()}
    fastgrad.manual_seed(0)
    draws = mine.rsample((4,))
    assert draws.shape == tuple(reference.rsample((4,)).shape) and draws.dtype == np.float64 and draws.requires_grad
    assert mine.support.check(draws).numpy().all()
    same_when_expanded(mine, reference, value[0])


@pytest.mark.parametrize("make", [
    lambda d, t: d.Gamma(2.0, 3.0), lambda d, t: d.Gamma(t.tensor([2.0, 1.0], dtype=t.float64), 3.0),
    lambda d, t: d.Chi2(3.0), lambda d, t: d.Beta(2.0, t.ones(2, 1)), lambda d, t: d.Dirichlet(t.ones(3)),
    lambda d, t: d.StudentT(3.0), lambda d, t: d.StudentT(3.0, t.zeros(2, dtype=t.float64)),
])
def test_python_numbers_give_pytorchs_shapes_and_dtypes(make):
    mine, reference = make(ours, fastgrad), make(theirs, torch)
    assert mine.batch_shape == tuple(reference.batch_shape) and mine.event_shape == tuple(reference.event_shape)
    for quantity in ("mean", "entropy"):
        found, expected = getattr(mine, quantity), getattr(reference, quantity)
        found, expected = (found(), expected()) if callable(found) else (found, expected)
        assert str(found.dtype) == str(expected.dtype).split(".")[-1] and found.shape == tuple(expected.shape)


def test_chi2_and_beta_parameters_read_as_pytorchs(both):
    (chi2, _), (their_chi2, _) = both(lambda d, df: d.Chi2(df), np.array([1.0, 3.0]))
    for name in ("df", "concentration", "rate"):
        np.testing.assert_array_equal(getattr(chi2, name).detach().numpy(), getattr(their_chi2, name).detach().numpy())
    (beta, _), (their_beta, _) = both(lambda d, a, b: d.Beta(a, b), np.array([1.0, 3.0]), np.array([[2.0], [0.5]]))
    for name in ("concentration1", "concentration0"):
        np.testing.assert_array_equal(getattr(beta, name).detach().numpy(), getattr(their_beta, name).detach().numpy())


_CDF_VALUE = np.concatenate([FAMILIES["Gamma"][2], [[0.0, 1e-3, 40.0]]])  # the ends of the range too


@pytest.mark.parametrize("cdf, arrays", [
    (lambda d, rate, at: d.Gamma(constant(d, _positive), rate).cdf(at), [_rate[:1], _CDF_VALUE]),
    (lambda d, at: d.Chi2(constant(d, np.array([0.5, 3.0, 9.0]))).cdf(at), [_CDF_VALUE]),
], ids=["Gamma", "Chi2"])
def test_gamma_cdf_and_its_gradients_match(cdf, arrays, both, same_with_gradients):
    """The regularized incomplete gamma function, differentiable in the rate and the value."""
    (mine, leaves), (reference, torch_leaves) = both(cdf, *arrays)
    same_with_gradients(mine, reference, leaves, torch_leaves)


@pytest.mark.parametrize("name", ["Gamma", "Chi2"])
def test_gamma_cdf_has_no_gradient_in_the_concentration_in_either(name, both):
    make, parameters, value = FAMILIES[name]
    (mine, _), (reference, _) = both(evaluate(make, len(parameters), "cdf"), *parameters, value)
    np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), rtol=1e-10)
    with pytest.raises(NotImplementedError, match="igamma: input"):
        reference.sum().backward()
    with pytest.raises(NotImplementedError, match="with respect to the concentration is not implemented"):
        mine.sum().backward()


def constant(d, array):
    return fastgrad.tensor(array) if d is ours else torch.tensor(array)


def test_modes_where_there_is_no_single_mode_match(both):
    concentration = np.array([[1.0, 1.0, 1.0], [1.0, 0.5, 0.5], [0.5, 0.5, 0.3], [2.0, 3.0, 1.0], [0.5, 1.5, 0.2]])
    (mine, _), (reference, _) = both(lambda d, c: d.Dirichlet(c).mode, concentration)
    np.testing.assert_array_equal(mine.detach().numpy(), reference.detach().numpy())
    (mine, _), (reference, _) = both(lambda d, c: d.Beta(c[:, 0], c[:, 1]).mode, concentration)
    np.testing.assert_array_equal(mine.detach().numpy(), reference.detach().numpy())


def test_student_t_moments_where_they_do_not_exist_match(both):
    make, (df, loc, scale), _ = FAMILIES["StudentT"]
    for quantity in ("mean", "variance"):
        (mine, _), (reference, _) = both(evaluate(make, 3, quantity), df, loc, scale)
        np.testing.assert_array_equal(np.isnan(mine.detach().numpy()), np.isnan(reference.detach().numpy()))
        np.testing.assert_array_equal(np.isinf(mine.detach().numpy()), np.isinf(reference.detach().numpy()))


def test_gamma_draws_have_the_gradient_pytorchs_approximation_gives():
    """PyTorch's _standard_gamma_grad is an approximation (off by up to about 1e-3 in the tails): the exact
    implicit gradient, held to mpmath in test_standard_gamma.py, agrees with it within that."""
    fastgrad.manual_seed(3)
    concentration = np.array([0.05, 0.3, 1.0, 2.5, 7.0, 30.0, 300.0])
    leaf = fastgrad.tensor(np.repeat(concentration[None], 200, 0), requires_grad=True)
    draws = ours.Gamma(leaf, 1.0).rsample()
    draws.sum().backward()
    expected = torch._standard_gamma_grad(torch.tensor(leaf.detach().numpy()), torch.tensor(draws.detach().numpy()))
    np.testing.assert_allclose(leaf.grad.numpy(), expected.numpy(), rtol=2e-3, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda d, t: d.Gamma(t.tensor([1.0, -1.0]), 1.0),
    lambda d, t: d.Gamma(1.0, t.tensor([0.0])),
    lambda d, t: d.Gamma(1.0, 2.0).log_prob(t.tensor(-0.5)),
    lambda d, t: d.Gamma(1.0, 2.0).cdf(t.tensor(-0.5)),
    lambda d, t: d.Chi2(t.tensor([0.0])),
    lambda d, t: d.Beta(t.tensor([1.0, -1.0]), 1.0),
    lambda d, t: d.Beta(1.0, float("nan")),
    lambda d, t: d.Beta(1.0, 2.0).log_prob(t.tensor(1.5)),
    lambda d, t: d.Dirichlet(t.tensor([1.0, 0.0])),
    lambda d, t: d.Dirichlet(t.tensor(1.0)),
    lambda d, t: d.Dirichlet(t.ones(3)).log_prob(t.tensor([0.5, 0.5, 0.5])),
    lambda d, t: d.Dirichlet(t.ones(3)).log_prob(t.tensor([0.5, 0.5])),
    lambda d, t: d.StudentT(0.0),
    lambda d, t: d.StudentT(1.0, 0.0, -1.0),
    lambda d, t: d.StudentT(t.ones(3)).log_prob(t.zeros(2)),
])
def test_both_refuse_the_same_arguments(make):
    with pytest.raises(ValueError):
        make(theirs, torch)
    with pytest.raises(ValueError):
        make(ours, fastgrad)


@pytest.mark.parametrize("name", ["Gamma", "Chi2", "Beta", "StudentT"])
@pytest.mark.parametrize("parameter_dtype, value_dtype", [(np.float32, np.float64), (np.float64, np.float32),
                                                          (np.float32, np.int64)])
@pytest.mark.parametrize("parameter_shape, value_shape", [((), ()), ((), (3,)), ((3,), (3,))])
def test_log_prob_dtype_of_mixed_dtypes_is_torchs(name, parameter_dtype, value_dtype, parameter_shape, value_shape):
    """Gamma's (and Chi2's) casts the value to the rate's dtype; the others promote, a 0-d tensor ranking below
    a dimensioned one."""
    make = {"Gamma": lambda d, c: d.Gamma(c, c), "Chi2": lambda d, c: d.Chi2(c), "Beta": lambda d, c: d.Beta(c, c),
            "StudentT": lambda d, c: d.StudentT(c, c, c)}[name]
    parameter = np.full(parameter_shape, 2.0, parameter_dtype)
    value = np.full(value_shape, 0 if name == "Beta" else 1, value_dtype)
    dtypes = [str(make(module, convert(parameter)).log_prob(convert(value)).dtype).replace("torch.", "")
              for module, convert in ((ours, fastgrad.tensor), (theirs, torch.tensor))]
    assert dtypes[0] == dtypes[1]

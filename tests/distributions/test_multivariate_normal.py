"""MultivariateNormal and LowRankMultivariateNormal without PyTorch: draws have the mean and covariance,
gradchecks of log_prob, entropy, rsample and the KLs in every parameterisation, log_prob backward twice
from one distribution, and the argument checks."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.autograd.gradcheck import gradgradcheck
from fastgrad.distributions import LowRankMultivariateNormal, MultivariateNormal, kl_divergence
from fastgrad.testing import check_gradients, float64_leaf

SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BACKENDS = ["numpy", "compiled", "python"]


def positive_definite(a):
    """A A^T + I: positive-definite, and differentiable in every entry of A."""
    return a @ a.mT + fastgrad.eye(a.shape[-1], dtype=a.dtype)


# each form: (the distribution from loc and one matrix leaf (and a diagonal leaf for LowRank), leaf shapes)
FORMS = {
    "covariance_matrix": lambda loc, a, d: MultivariateNormal(loc, covariance_matrix=positive_definite(a)),
    "precision_matrix": lambda loc, a, d: MultivariateNormal(loc, precision_matrix=positive_definite(a)),
    "scale_tril": lambda loc, a, d: MultivariateNormal(loc, scale_tril=a.tril(-1) + fastgrad.diag_embed(d)),
    "low_rank": lambda loc, a, d: LowRankMultivariateNormal(loc, a[..., :2], d),
}


def leaves(batch, size, seed):
    return (float64_leaf(batch + (size,), seed), float64_leaf(batch + (size, size), seed + 1),
            float64_leaf(batch + (size,), seed + 2, low=0.5, high=2.0))


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("form", FORMS)
@SETTINGS
@given(batch=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2), size=st.integers(2, 3),
       seed=st.integers(0, 2**16))
def test_log_prob_entropy_and_rsample_gradcheck(backend_name, form, batch, size, seed):
    make = FORMS[form]
    value = float64_leaf((2,) + batch + (size,), seed + 3)
    check_gradients(backend_name, lambda *all_leaves: make(*all_leaves[:3]).log_prob(all_leaves[3]),
                    *leaves(batch, size, seed), value)
    check_gradients(backend_name, lambda *parameters: make(*parameters).entropy(), *leaves(batch, size, seed))

    def draws(*parameters):
        fastgrad.manual_seed(seed)  # the same noise at every evaluation
        return make(*parameters).rsample((2,))

    check_gradients(backend_name, draws, *leaves(batch, size, seed))


@pytest.mark.parametrize("p_form", FORMS)
@pytest.mark.parametrize("q_form", FORMS)
def test_kl_gradcheck_and_zero_between_equal_distributions(p_form, q_form):
    p_leaves, q_leaves = leaves((2,), 3, 1), leaves((), 3, 7)
    check_gradients("numpy", lambda *both: kl_divergence(FORMS[p_form](*both[:3]), FORMS[q_form](*both[3:])),
                    *p_leaves, *q_leaves)
    same = kl_divergence(FORMS[p_form](*p_leaves), FORMS[p_form](*p_leaves)).detach().numpy()
    np.testing.assert_allclose(same, 0.0, atol=1e-12)


@pytest.mark.parametrize("form", FORMS)
def test_draws_have_the_mean_and_covariance(form):
    fastgrad.manual_seed(3)
    count = 40000
    distribution = FORMS[form](*(leaf.detach() for leaf in leaves((2,), 3, 11)))
    draws = distribution.sample((count,)).numpy()
    assert draws.shape == (count, 2, 3) and distribution.support.check(fastgrad.tensor(draws)).numpy().all()
    covariance = distribution.covariance_matrix.numpy()
    standard_errors = np.sqrt(np.diagonal(covariance, axis1=-2, axis2=-1) / count)
    assert (np.abs(draws.mean(0) - distribution.mean.numpy()) <= 4 * standard_errors).all()
    centred = draws - draws.mean(0)
    empirical = np.einsum("sbi,sbj->bij", centred, centred) / count
    np.testing.assert_allclose(empirical, covariance, atol=0.05 * np.abs(covariance).max())
    np.testing.assert_allclose(distribution.variance.numpy(), np.diagonal(covariance, axis1=-2, axis2=-1))


@pytest.mark.parametrize("form", FORMS)
def test_log_prob_can_backward_twice_from_one_distribution(form):
    """The Cholesky factor is recomputed at each use, so no graph node is shared between the two graphs."""
    loc, a, diagonal = leaves((2,), 3, 5)
    with fastgrad.no_grad():  # the matrix a leaf itself
        matrix = {"covariance_matrix": positive_definite(a), "precision_matrix": positive_definite(a),
                  "scale_tril": a.tril(-1) + fastgrad.diag_embed(diagonal), "low_rank": a[..., :2]}[form]
    matrix.requires_grad_()
    if form == "low_rank":
        parameters, distribution = [loc, matrix, diagonal], LowRankMultivariateNormal(loc, matrix, diagonal)
    else:
        parameters, distribution = [loc, matrix], MultivariateNormal(loc, **{form: matrix})
    value = fastgrad.zeros(2, 3, dtype=fastgrad.float64)
    distribution.log_prob(value).sum().backward()
    once = [leaf.grad.numpy().copy() for leaf in parameters]
    distribution.log_prob(value).sum().backward()
    for leaf, first in zip(parameters, once):
        np.testing.assert_allclose(leaf.grad.numpy(), 2 * first)


def test_the_three_matrices_describe_one_distribution():
    loc, a, _ = (leaf.detach() for leaf in leaves((2,), 3, 13))
    covariance = positive_definite(a)
    forms = [MultivariateNormal(loc, covariance_matrix=covariance),
             MultivariateNormal(loc, precision_matrix=fastgrad.linalg.inv(covariance)),
             MultivariateNormal(loc, scale_tril=fastgrad.linalg.cholesky(covariance))]
    value = fastgrad.tensor(np.random.default_rng(1).normal(size=(4, 2, 3)))
    for distribution in forms:
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            np.testing.assert_allclose(getattr(distribution, name).numpy(), getattr(forms[0], name).numpy(),
                                       rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(distribution.log_prob(value).numpy(), forms[0].log_prob(value).numpy(), rtol=1e-10)
    assert np.array_equal(np.triu(forms[1].scale_tril.numpy(), 1), np.zeros((2, 3, 3)))


ONES, EYE = fastgrad.ones(3), fastgrad.eye(3)


@pytest.mark.parametrize("make, error, message", [
    (lambda: MultivariateNormal(ONES), ValueError,
     "Exactly one of covariance_matrix or precision_matrix or scale_tril"),
    (lambda: MultivariateNormal(ONES, EYE, scale_tril=EYE), ValueError, "got 2"),
    (lambda: MultivariateNormal(fastgrad.tensor(1.0), EYE), ValueError, "loc must be at least one-dimensional"),
    (lambda: MultivariateNormal(ONES, ONES), ValueError, "covariance_matrix must be at least two-dimensional"),
    (lambda: MultivariateNormal([0.0, 0.0, 0.0], EYE), TypeError, "loc must be a Tensor, got list"),
    (lambda: MultivariateNormal(ONES, fastgrad.eye(2)), ValueError, r"square matrices of the size of loc's vectors"),
    (lambda: MultivariateNormal(ONES, -EYE), ValueError, r"parameter covariance_matrix .* PositiveDefinite"),
    (lambda: MultivariateNormal(ONES, EYE + fastgrad.triu(ONES.diag_embed() + 1, 1)), ValueError,
     r"parameter covariance_matrix .* PositiveDefinite"),
    (lambda: MultivariateNormal(ONES, precision_matrix=-EYE), ValueError, r"parameter precision_matrix"),
    (lambda: MultivariateNormal(ONES, scale_tril=EYE.flip(0)), ValueError, r"parameter scale_tril .* LowerCholesky"),
    (lambda: MultivariateNormal(ONES, -EYE, validate_args=False), fastgrad.linalg.LinAlgError, "not positive-definite"),
    (lambda: MultivariateNormal(ONES, EYE).log_prob(fastgrad.ones(2)), ValueError,
     r"right-most size of value must match event_shape: \(2,\) vs \(3,\)"),
    (lambda: MultivariateNormal(ONES, EYE).log_prob(fastgrad.tensor([0.0, float("nan"), 0.0])), ValueError,
     "support"),
    (lambda: LowRankMultivariateNormal(ONES, fastgrad.ones(2, 1), ONES), ValueError,
     r"cov_factor must be a batch of matrices with shape 3 x m"),
    (lambda: LowRankMultivariateNormal(ONES, fastgrad.ones(3, 1), fastgrad.ones(2)), ValueError,
     r"cov_diag must be a batch of vectors with shape \(3,\)"),
    (lambda: LowRankMultivariateNormal(ONES, fastgrad.ones(2, 3, 1), fastgrad.ones(3, 3)), ValueError,
     "Incompatible batch shapes"),
    (lambda: LowRankMultivariateNormal(ONES, fastgrad.ones(3, 1), -ONES), ValueError, r"parameter cov_diag"),
    (lambda: kl_divergence(MultivariateNormal(ONES, EYE), MultivariateNormal(fastgrad.ones(2), fastgrad.eye(2))),
     ValueError, "different event shapes"),
])
def test_bad_arguments_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("form", FORMS)
def test_log_prob_gradgradcheck(form):
    """Every op on the way (cholesky, inv, matmul) records its backward: second derivatives are exact."""
    value = float64_leaf((2, 3), 4)
    assert gradgradcheck(lambda *all_leaves: FORMS[form](*all_leaves[:3]).log_prob(all_leaves[3]),
                         (*leaves((), 3, 1), value))

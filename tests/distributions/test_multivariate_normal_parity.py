"""MultivariateNormal and LowRankMultivariateNormal against torch.distributions: log_prob, entropy,
moments and the three matrices with their gradients, in every parameterisation and with batch dims that
broadcast; shapes, expand and constraints; the KLs among them; and the refusals."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions as ours

torch = pytest.importorskip("torch")
import torch.distributions as theirs  # noqa: E402

_rng = np.random.default_rng(8)
_a = _rng.normal(size=(2, 3, 3))
_covariance = _a @ _a.transpose(0, 2, 1) + np.eye(3)
# (make, parameter arrays, a value): batch dims of loc (4, 1) and of the matrix (2,) broadcast to (4, 2)
FAMILIES = {
    "covariance_matrix": (lambda d, loc, m: d.MultivariateNormal(loc, covariance_matrix=m),
                          [_rng.normal(size=(4, 1, 3)), _covariance]),
    "precision_matrix": (lambda d, loc, m: d.MultivariateNormal(loc, precision_matrix=m),
                         [_rng.normal(size=(4, 1, 3)), np.linalg.inv(_covariance)]),
    "scale_tril": (lambda d, loc, m: d.MultivariateNormal(loc, scale_tril=m),
                   [_rng.normal(size=(4, 1, 3)), np.linalg.cholesky(_covariance)]),
    "unbatched": (lambda d, loc, m: d.MultivariateNormal(loc, m), [_rng.normal(size=3), _covariance[0]]),
    "low_rank": (lambda d, loc, w, diag: d.LowRankMultivariateNormal(loc, w, diag),
                 [_rng.normal(size=(4, 1, 3)), _rng.normal(size=(2, 3, 2)), _rng.uniform(0.5, 2.0, size=3)]),
    "low_rank-unbatched": (lambda d, loc, w, diag: d.LowRankMultivariateNormal(loc, w, diag),
                           [_rng.normal(size=3), _rng.normal(size=(3, 1)), _rng.uniform(0.5, 2.0, size=3)]),
}
VALUE = _rng.normal(size=(5, 4, 2, 3))
QUANTITIES = ["log_prob", "entropy", "mean", "mode", "variance", "stddev", "covariance_matrix", "precision_matrix",
              "scale_tril"]


def evaluate(make, quantity):
    def evaluated(d, *leaves):
        found = getattr(make(d, *leaves[:-1]), quantity)
        value = leaves[-1]
        return found(value) if quantity == "log_prob" else found() if callable(found) else found
    return evaluated


@pytest.mark.parametrize("name, quantity", [(name, quantity) for name in FAMILIES for quantity in QUANTITIES])
def test_quantities_and_their_gradients_match(name, quantity, both, same_with_gradients):
    make, parameters = FAMILIES[name]
    (mine, leaves), (reference, torch_leaves) = both(evaluate(make, quantity), *parameters, VALUE)
    same_with_gradients(mine, reference, leaves, torch_leaves, rtol=1e-9, grad_rtol=1e-8)


@pytest.mark.parametrize("name", FAMILIES)
def test_shapes_constraints_and_expand_match(name, both, same_when_expanded):
    make, parameters = FAMILIES[name]
    (mine, _), (reference, _) = both(make, *parameters)
    assert (mine.batch_shape, mine.event_shape) == (tuple(reference.batch_shape), tuple(reference.event_shape))
    assert mine.has_rsample == reference.has_rsample
    assert repr(mine.support) == repr(reference.support)
    assert {key: repr(c) for key, c in mine.arg_constraints.items()} == \
        {key: repr(c) for key, c in reference.arg_constraints.items()}
    fastgrad.manual_seed(0)
    draws = mine.rsample((4,))
    assert draws.shape == tuple(reference.rsample((4,)).shape) and draws.dtype == np.float64 and draws.requires_grad
    same_when_expanded(mine, reference, VALUE[0, 0, 0] if not mine.batch_shape else VALUE[0])
    assert mine.expand((3,) + tuple(mine.batch_shape)).scale_tril.shape == \
        tuple(reference.expand((3,) + tuple(reference.batch_shape)).scale_tril.shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["covariance_matrix", "low_rank"])
def test_dtypes_match(name, dtype):
    make, parameters = FAMILIES[name]
    mine = make(ours, *(fastgrad.tensor(p.astype(dtype)) for p in parameters))
    reference = make(theirs, *(torch.tensor(p.astype(dtype)) for p in parameters))
    for found, expected in ((mine.log_prob(fastgrad.tensor(VALUE.astype(dtype))),
                             reference.log_prob(torch.tensor(VALUE.astype(dtype)))),
                            (mine.entropy(), reference.entropy()), (mine.sample((2,)), reference.sample((2,)))):
        assert str(found.dtype) == dtype and expected.dtype == getattr(torch, dtype)
    np.testing.assert_allclose(mine.log_prob(fastgrad.tensor(VALUE.astype(dtype))).numpy(),
                               reference.log_prob(torch.tensor(VALUE.astype(dtype))).numpy(),
                               rtol=1e-4 if dtype == "float32" else 1e-12)


KL_PAIRS = [(p, q) for p in ("covariance_matrix", "scale_tril", "low_rank") for q in
            ("covariance_matrix", "precision_matrix", "unbatched", "low_rank", "low_rank-unbatched")]


@pytest.mark.parametrize("p_name, q_name", KL_PAIRS)
def test_kl_and_its_gradients_match(p_name, q_name, both, same_with_gradients):
    (make_p, p_arrays), (make_q, q_arrays) = FAMILIES[p_name], FAMILIES[q_name]
    count = len(p_arrays)
    (mine, leaves), (reference, torch_leaves) = both(
        lambda d, *leaves: d.kl_divergence(make_p(d, *leaves[:count]), make_q(d, *leaves[count:])),
        *p_arrays, *[a + 0.1 if a.ndim == 1 or a.shape[-1] != a.shape[-2] else a for a in q_arrays])
    same_with_gradients(mine, reference, leaves, torch_leaves, rtol=1e-9, grad_rtol=1e-8)


NOT_POSITIVE_DEFINITE = np.array([[1.0, 2.0], [2.0, 1.0]])


@pytest.mark.parametrize("make", [
    lambda d, t: d.MultivariateNormal(t.zeros(2)),
    lambda d, t: d.MultivariateNormal(t.zeros(2), t.eye(2), scale_tril=t.eye(2)),
    lambda d, t: d.MultivariateNormal(t.tensor(0.0), t.eye(2)),
    lambda d, t: d.MultivariateNormal(t.zeros(2), t.ones(2)),
    lambda d, t: d.MultivariateNormal(t.zeros(2), precision_matrix=t.ones(2)),
    lambda d, t: d.MultivariateNormal(t.zeros(2), scale_tril=t.ones(2)),
    lambda d, t: d.MultivariateNormal(t.zeros(2), t.tensor(NOT_POSITIVE_DEFINITE)),
    lambda d, t: d.MultivariateNormal(t.zeros(2), t.tensor([[1.0, 0.5], [0.0, 1.0]], dtype=t.float64)),
    lambda d, t: d.MultivariateNormal(t.zeros(2), precision_matrix=t.tensor(NOT_POSITIVE_DEFINITE)),
    lambda d, t: d.MultivariateNormal(t.zeros(2), scale_tril=t.tensor([[1.0, 1.0], [0.0, 1.0]])),
    lambda d, t: d.MultivariateNormal(t.zeros(2), scale_tril=t.tensor([[1.0, 0.0], [1.0, -1.0]])),
    lambda d, t: d.MultivariateNormal(t.tensor([0.0, float("nan")]), t.eye(2)),
    lambda d, t: d.MultivariateNormal(t.zeros(2), t.eye(2)).log_prob(t.zeros(3)),
    lambda d, t: d.MultivariateNormal(t.zeros(2), t.eye(2)).log_prob(t.tensor([0.0, float("nan")])),
    lambda d, t: d.MultivariateNormal(t.zeros(3, 2), t.eye(2)).log_prob(t.zeros(2, 2)),
    lambda d, t: d.kl_divergence(d.MultivariateNormal(t.zeros(2), t.eye(2)),
                                 d.MultivariateNormal(t.zeros(3), t.eye(3))),
    lambda d, t: d.LowRankMultivariateNormal(t.tensor(0.0), t.ones(1, 1), t.ones(1)),
    lambda d, t: d.LowRankMultivariateNormal(t.zeros(2), t.ones(2), t.ones(2)),
    lambda d, t: d.LowRankMultivariateNormal(t.zeros(2), t.ones(3, 1), t.ones(2)),
    lambda d, t: d.LowRankMultivariateNormal(t.zeros(2), t.ones(2, 1), t.ones(3)),
    lambda d, t: d.LowRankMultivariateNormal(t.zeros(2), t.ones(3, 2, 1), t.ones(2, 2)),
    lambda d, t: d.LowRankMultivariateNormal(t.zeros(2), t.ones(2, 1), t.tensor([1.0, 0.0])),
    lambda d, t: d.kl_divergence(d.LowRankMultivariateNormal(t.zeros(2), t.ones(2, 1), t.ones(2)),
                                 d.MultivariateNormal(t.zeros(3), t.eye(3))),
])
def test_both_refuse_the_same_arguments(make):
    with pytest.raises(ValueError):
        make(theirs, torch)
    with pytest.raises(ValueError):
        make(ours, fastgrad)


@pytest.mark.parametrize("make", [
    lambda d, t: d.MultivariateNormal(t.zeros(2), t.tensor(NOT_POSITIVE_DEFINITE), validate_args=False),
    lambda d, t: d.LowRankMultivariateNormal(t.zeros(2), t.tensor([[1.0], [float("nan")]]), t.ones(2),
                                             validate_args=False),
])
def test_without_validation_a_matrix_without_cholesky_factor_raises_in_both(make):
    with pytest.raises(torch.linalg.LinAlgError):
        make(theirs, torch)
    with pytest.raises(fastgrad.linalg.LinAlgError):
        make(ours, fastgrad)


def test_a_nan_cov_factor_is_refused_by_validation_where_pytorch_fails_its_cholesky_first():
    with pytest.raises(torch.linalg.LinAlgError):
        theirs.LowRankMultivariateNormal(torch.zeros(2), torch.tensor([[1.0], [float("nan")]]), torch.ones(2))
    with pytest.raises(ValueError, match="parameter cov_factor"):
        ours.LowRankMultivariateNormal(fastgrad.zeros(2), fastgrad.tensor([[1.0], [float("nan")]]), fastgrad.ones(2))

"""fastgrad.distributions against torch.distributions: log_prob, cdf, icdf, entropy, moments and their
gradients (the score-function estimator's and the reparameterisation's), shapes, expand, supports and
argument checks; the draws themselves come from another generator."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions as ours

torch = pytest.importorskip("torch")
import torch.distributions as theirs  # noqa: E402


def support_name(distribution) -> str:
    return type(distribution.support).__name__.lstrip("_")


# -- continuous distributions: (make, parameter arrays, a value in the support) --------------------------
_rng = np.random.default_rng(3)
_loc, _scale, _low = _rng.normal(size=3), _rng.uniform(0.5, 2.0, size=(2, 1)), _rng.normal(size=3)
_high = _low + _rng.uniform(0.5, 2.0, size=(2, 3))
_within = _rng.uniform(0.05, 0.95, size=(2, 3))
CONTINUOUS = {
    "Normal": (lambda d, m, s: d.Normal(m, s), [_loc, _scale], _rng.normal(size=(2, 3))),
    "Laplace": (lambda d, m, s: d.Laplace(m, s), [_loc, _scale], _rng.normal(size=(2, 3))),
    "Gumbel": (lambda d, m, s: d.Gumbel(m, s), [_loc, _scale], _rng.normal(size=(2, 3))),
    "LogNormal": (lambda d, m, s: d.LogNormal(m, s), [_loc, _scale], _rng.lognormal(size=(2, 3))),
    "Uniform": (lambda d, lo, hi: d.Uniform(lo, hi), [_low, _high], _low + _within * (_high - _low)),
    "Exponential": (lambda d, r: d.Exponential(r), [_rng.uniform(0.5, 2.0, size=3)], _rng.exponential(size=(2, 3))),
}
QUANTITIES = ["log_prob", "cdf", "icdf", "entropy", "perplexity", "mean", "mode", "variance", "stddev"]


@pytest.mark.parametrize("name, quantity", [(name, quantity) for name in CONTINUOUS for quantity in QUANTITIES])
def test_continuous_quantities_and_their_gradients_match(name, quantity, both, same_with_gradients):
    make, parameters, value = CONTINUOUS[name]
    argument = {"log_prob": value, "cdf": value, "icdf": _within}.get(quantity)

    def evaluate(d, *leaves):
        found = getattr(make(d, *leaves[:len(parameters)]), quantity)
        return found(leaves[-1]) if argument is not None else found() if callable(found) else found

    arrays = parameters + ([argument] if argument is not None else [])
    (mine, leaves), (reference, torch_leaves) = both(evaluate, *arrays)
    same_with_gradients(mine, reference, leaves, torch_leaves)


@pytest.mark.parametrize("name", CONTINUOUS)
def test_continuous_shapes_support_and_expand_match(name, both, same_when_expanded):
    make, parameters, value = CONTINUOUS[name]
    (mine, _), (reference, _) = both(make, *parameters)
    assert (mine.batch_shape, mine.event_shape) == (tuple(reference.batch_shape), tuple(reference.event_shape))
    assert mine.has_rsample == reference.has_rsample and support_name(mine) == support_name(reference)
    probes = np.array([-1e6, -1.0, 0.0, 0.5, 1e6, np.nan]).reshape(-1, 1, 1)
    np.testing.assert_array_equal(mine.support.check(fastgrad.tensor(probes)).numpy(),
                                  reference.support.check(torch.tensor(probes)).numpy())
    draws = mine.rsample((4,))
    assert draws.shape == tuple(reference.rsample((4,)).shape) and draws.dtype == np.float64
    assert mine.support.check(draws).numpy().all()
    same_when_expanded(mine, reference, value[0])


@pytest.mark.parametrize("name", ["Normal", "LogNormal", "Gumbel", "Exponential"])
def test_icdf_at_the_ends_matches(name, both, same_with_gradients):
    make, parameters, _ = CONTINUOUS[name]
    ends = np.array([0.0, 0.5, 1.0])[:, None, None]
    (mine, leaves), (reference, torch_leaves) = both(lambda d, *xs: make(d, *xs[:-1]).icdf(xs[-1]), *parameters, ends)
    same_with_gradients(mine, reference, leaves, torch_leaves)


@pytest.mark.parametrize("name", CONTINUOUS)
def test_rsample_gradients_are_the_reparameterisations(name, both):
    """d draw / d theta = -(d cdf / d theta) / density at the draw (implicit reparameterisation), with
    PyTorch's cdf and density as the reference."""
    make, parameters, _ = CONTINUOUS[name]
    fastgrad.manual_seed(0)
    (mine, leaves), (reference, torch_leaves) = both(make, *parameters)
    draws = mine.rsample((5,))
    draws.sum().backward()
    at = torch.tensor(draws.detach().numpy())
    density = reference.log_prob(at).exp().detach()
    (-(reference.cdf(at) / density).sum()).backward()
    for leaf, torch_leaf in zip(leaves, torch_leaves):
        np.testing.assert_allclose(leaf.grad.numpy(), torch_leaf.grad.numpy(), rtol=1e-7)


# -- Categorical, Bernoulli and their one-hot and count relatives ----------------------------------------
CATEGORICAL = [lambda d, x: d.Categorical(logits=x), lambda d, x: d.Categorical(probs=x.exp())]


@pytest.mark.parametrize("make", CATEGORICAL)
@pytest.mark.parametrize("shape, value", [((5,), [0, 4, 2]), ((2, 4), [[1], [3]]),
                                          ((3, 2, 3), [[0, 1], [2, 2], [1, 0]])])
def test_categorical_log_prob_matches(make, shape, value, both, same_with_gradients):
    logits = np.random.default_rng(0).normal(size=shape)
    (mine, leaves), (reference, torch_leaves) = both(make, logits)
    ids = np.array(value)
    same_with_gradients(mine.log_prob(fastgrad.tensor(ids)), reference.log_prob(torch.tensor(ids)), leaves,
                               torch_leaves)


@pytest.mark.parametrize("make", CATEGORICAL)
def test_categorical_entropy_moments_and_shapes_match(make, both, same_with_gradients):
    logits = np.random.default_rng(1).normal(size=(3, 4))
    (mine, leaves), (reference, torch_leaves) = both(make, logits)
    np.testing.assert_allclose(mine.probs.detach().numpy(), reference.probs.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(mine.logits.detach().numpy(), reference.logits.detach().numpy(), rtol=1e-12)
    assert mine.batch_shape == tuple(reference.batch_shape) and mine.event_shape == tuple(reference.event_shape)
    assert mine.param_shape == tuple(reference.param_shape) and support_name(mine) == support_name(reference)
    np.testing.assert_array_equal(mine.mode.numpy(), reference.mode.numpy())
    np.testing.assert_array_equal(mine.mean.numpy(), reference.mean.detach().numpy())
    assert mine.sample((7, 2)).shape == tuple(reference.sample((7, 2)).shape)
    for expand in (True, False):
        np.testing.assert_array_equal(mine.enumerate_support(expand).numpy(),
                                      reference.enumerate_support(expand).numpy())
    expanded, their_expanded = mine.expand((2, 3)), reference.expand((2, 3))
    ids = np.array([[0, 1, 3], [2, 2, 0]])
    np.testing.assert_allclose(expanded.log_prob(fastgrad.tensor(ids)).detach().numpy(),
                               their_expanded.log_prob(torch.tensor(ids)).detach().numpy(), rtol=1e-12)
    same_with_gradients(mine.entropy(), reference.entropy(), leaves, torch_leaves)


def test_categorical_with_zero_probabilities_matches(both):
    probs = np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])
    (mine, _), (reference, _) = both(lambda d, p: d.Categorical(probs=p), probs)
    np.testing.assert_allclose(mine.entropy().detach().numpy(), reference.entropy().detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(mine.log_prob(fastgrad.tensor([0, 2])).detach().numpy(),
                               reference.log_prob(torch.tensor([0, 2])).detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("make", [lambda d, x: d.Bernoulli(logits=x), lambda d, x: d.Bernoulli(probs=x.sigmoid())])
def test_bernoulli_matches(make, both, same_with_gradients):
    logits = np.random.default_rng(2).normal(size=(2, 3))
    (mine, leaves), (reference, torch_leaves) = both(make, logits)
    value = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    same_with_gradients(mine.log_prob(fastgrad.tensor(value)) + mine.perplexity(),
                               reference.log_prob(torch.tensor(value)) + reference.perplexity(), leaves, torch_leaves)
    np.testing.assert_allclose(mine.variance.detach().numpy(), reference.variance.detach().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(mine.mode.numpy(), reference.mode.numpy())
    assert mine.sample((4,)).shape == tuple(reference.sample((4,)).shape)
    assert support_name(mine) == support_name(reference) and mine.param_shape == tuple(reference.param_shape)
    for expand in (True, False):
        ours_support, their_support = mine.enumerate_support(expand), reference.enumerate_support(expand)
        np.testing.assert_array_equal(ours_support.numpy(), their_support.numpy())
        assert ours_support.dtype == np.float64
    expanded, their_expanded = mine.expand((4, 2, 3)), reference.expand((4, 2, 3))
    np.testing.assert_allclose(expanded.entropy().detach().numpy(), their_expanded.entropy().detach().numpy(),
                               rtol=1e-12)


ONE_HOT = [lambda d, x: d.OneHotCategorical(logits=x), lambda d, x: d.OneHotCategorical(probs=x.exp())]


@pytest.mark.parametrize("make", ONE_HOT)
@pytest.mark.parametrize("quantity", ["log_prob", "entropy", "mean", "variance", "probs", "logits"])
def test_one_hot_categorical_quantities_and_gradients_match(make, quantity, both, same_with_gradients):
    logits = np.random.default_rng(4).normal(size=(2, 4))
    (mine, leaves), (reference, torch_leaves) = both(make, logits)
    value = np.eye(4)[[1, 3]]
    if quantity == "log_prob":
        mine, reference = mine.log_prob(fastgrad.tensor(value)), reference.log_prob(torch.tensor(value))
    else:
        mine, reference = getattr(mine, quantity), getattr(reference, quantity)
        mine, reference = (mine(), reference()) if callable(mine) else (mine, reference)
    same_with_gradients(mine, reference, leaves, torch_leaves)


def test_one_hot_categorical_shapes_samples_and_expand_match(both):
    logits = np.random.default_rng(5).normal(size=(2, 4))
    (mine, _), (reference, _) = both(lambda d, x: d.OneHotCategorical(logits=x), logits)
    assert (mine.batch_shape, mine.event_shape) == ((2,), (4,)) == (reference.batch_shape, reference.event_shape)
    assert support_name(mine) == support_name(reference) and mine.param_shape == tuple(reference.param_shape)
    np.testing.assert_array_equal(mine.mode.numpy(), reference.mode.numpy())
    draws = mine.sample((6,))
    assert draws.shape == (6, 2, 4) and draws.dtype == np.float64 and mine.support.check(draws).numpy().all()
    for expand in (True, False):
        np.testing.assert_array_equal(mine.enumerate_support(expand).numpy(),
                                      reference.enumerate_support(expand).numpy())
    expanded, their_expanded = mine.expand((3, 2)), reference.expand((3, 2))
    value = np.eye(4)[[[0, 1], [2, 3], [3, 3]]]
    np.testing.assert_allclose(expanded.log_prob(fastgrad.tensor(value)).detach().numpy(),
                               their_expanded.log_prob(torch.tensor(value)).detach().numpy(), rtol=1e-12)


def test_straight_through_rsample_carries_the_gradient_of_the_probabilities(both):
    logits = np.random.default_rng(6).normal(size=(2, 4))
    (mine, leaves), (reference, torch_leaves) = both(lambda d, x: d.OneHotCategoricalStraightThrough(logits=x), logits)
    weights = np.random.default_rng(7).normal(size=(3, 2, 4))
    draws = mine.rsample((3,))
    assert draws.requires_grad and mine.support.check(draws.detach()).numpy().all()
    (draws * fastgrad.tensor(weights)).sum().backward()
    (reference.rsample((3,)) * torch.tensor(weights)).sum().backward()  # the gradient does not depend on the draw
    np.testing.assert_allclose(leaves[0].grad.numpy(), torch_leaves[0].grad.numpy(), rtol=1e-10)


MULTINOMIAL = [lambda d, x: d.Multinomial(5, logits=x), lambda d, x: d.Multinomial(5, probs=x.exp())]


@pytest.mark.parametrize("make", MULTINOMIAL)
@pytest.mark.parametrize("quantity", ["log_prob", "entropy", "mean", "variance"])
def test_multinomial_quantities_and_gradients_match(make, quantity, both, same_with_gradients):
    logits = np.random.default_rng(8).normal(size=(2, 3))
    (mine, leaves), (reference, torch_leaves) = both(make, logits)
    counts = np.array([[[5.0, 0.0, 0.0], [1.0, 2.0, 2.0]], [[0.0, 3.0, 2.0], [2.0, 2.0, 1.0]]])  # (2 samples, 2, 3)
    if quantity == "log_prob":
        mine, reference = mine.log_prob(fastgrad.tensor(counts)), reference.log_prob(torch.tensor(counts))
    else:
        mine, reference = getattr(mine, quantity), getattr(reference, quantity)
        mine, reference = (mine(), reference()) if callable(mine) else (mine, reference)
    # PyTorch's entropy takes lgamma(total_count + 1) of an int tensor, so in float32; fastgrad's is exact
    same_with_gradients(mine, reference, leaves, torch_leaves, rtol=1e-7 if quantity == "entropy" else 1e-10)


def test_multinomial_log_prob_gradient_of_the_value_matches():
    """The log-factorial terms depend on the value: its gradient holds their digammas (was refused)."""
    counts = np.array([[2.0, 0.0, 3.0], [1.0, 1.0, 3.0]])
    logits = np.random.default_rng(9).normal(size=3)
    mine = fastgrad.tensor(counts, requires_grad=True)
    theirs = torch.tensor(counts, requires_grad=True)
    got = fastgrad.distributions.Multinomial(5, logits=fastgrad.tensor(logits)).log_prob(mine)
    expected = torch.distributions.Multinomial(5, logits=torch.tensor(logits)).log_prob(theirs)
    (got * fastgrad.tensor([1.0, -2.0])).sum().backward()
    (expected * torch.tensor([1.0, -2.0])).sum().backward()
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-10)


def test_multinomial_with_impossible_categories_and_no_draws_matches(both):
    logits = np.array([0.3, -np.inf, 1.0])
    (mine, _), (reference, _) = both(lambda d, x: d.Multinomial(4, logits=x), logits)
    # log P = -inf when an impossible category is drawn
    for counts in (np.array([1.0, 0.0, 3.0]), np.array([1.0, 1.0, 2.0])):
        np.testing.assert_allclose(mine.log_prob(fastgrad.tensor(counts)).detach().numpy(),
                                   reference.log_prob(torch.tensor(counts)).detach().numpy(), rtol=1e-12)
    (mine, _), (reference, _) = both(lambda d, x: d.Multinomial(0, logits=x), np.zeros(3))
    np.testing.assert_allclose(mine.entropy().detach().numpy(), reference.entropy().detach().numpy())
    np.testing.assert_allclose(mine.log_prob(fastgrad.zeros(3, dtype=fastgrad.float64)).detach().numpy(),
                               reference.log_prob(torch.zeros(3, dtype=torch.float64)).detach().numpy())


def test_multinomial_shapes_samples_and_expand_match(both):
    logits = np.random.default_rng(10).normal(size=(2, 3))
    (mine, _), (reference, _) = both(lambda d, x: d.Multinomial(7, logits=x), logits)
    assert (mine.batch_shape, mine.event_shape) == ((2,), (3,)) == (reference.batch_shape, reference.event_shape)
    assert support_name(mine) == support_name(reference)
    draws = mine.sample((4,))
    assert draws.shape == tuple(reference.sample((4,)).shape) and draws.dtype == np.float64
    assert (draws.numpy().sum(-1) == 7).all() and mine.support.check(draws).numpy().all()
    expanded, their_expanded = mine.expand((5, 2)), reference.expand((5, 2))
    counts = np.tile([3.0, 0.0, 4.0], (5, 2, 1))
    np.testing.assert_allclose(expanded.log_prob(fastgrad.tensor(counts)).detach().numpy(),
                               their_expanded.log_prob(torch.tensor(counts)).detach().numpy(), rtol=1e-12)
    assert expanded.sample().shape == (5, 2, 3)


# -- Independent -------------------------------------------------------------------------------------------
def independent_normal(d, loc, scale):
    return d.Independent(d.Normal(loc, scale), 1)


@pytest.mark.parametrize("quantity", ["log_prob", "entropy", "mean", "variance", "stddev", "mode"])
def test_independent_quantities_and_gradients_match(quantity, both, same_with_gradients):
    rng = np.random.default_rng(11)
    (mine, leaves), (reference, torch_leaves) = both(independent_normal, rng.normal(size=(2, 3)),
                                                     rng.uniform(0.5, 2, size=(2, 3)))
    if quantity == "log_prob":
        value = rng.normal(size=(4, 2, 3))
        mine, reference = mine.log_prob(fastgrad.tensor(value)), reference.log_prob(torch.tensor(value))
    else:
        mine, reference = getattr(mine, quantity), getattr(reference, quantity)
        mine, reference = (mine(), reference()) if callable(mine) else (mine, reference)
    same_with_gradients(mine, reference, leaves, torch_leaves)


def test_independent_shapes_support_and_expand_match(both):
    rng = np.random.default_rng(12)
    (mine, _), (reference, _) = both(independent_normal, rng.normal(size=(2, 3)), np.ones((2, 3)))
    assert (mine.batch_shape, mine.event_shape) == ((2,), (3,)) == (reference.batch_shape, reference.event_shape)
    assert mine.has_rsample and not mine.has_enumerate_support and repr(mine.support) == repr(reference.support)
    assert mine.rsample((5,)).shape == (5, 2, 3)
    expanded, their_expanded = mine.expand((4, 2)), reference.expand((4, 2))
    assert expanded.batch_shape == (4, 2)
    assert expanded.base_dist.batch_shape == tuple(their_expanded.base_dist.batch_shape)
    value = rng.normal(size=(4, 2, 3))
    np.testing.assert_allclose(expanded.log_prob(fastgrad.tensor(value)).detach().numpy(),
                               their_expanded.log_prob(torch.tensor(value)).detach().numpy(), rtol=1e-12)
    (bernoulli, _), (their_bernoulli, _) = both(lambda d, p: d.Independent(d.Bernoulli(probs=p), 0), np.full(3, 0.3))
    assert bernoulli.has_enumerate_support == their_bernoulli.has_enumerate_support
    np.testing.assert_array_equal(bernoulli.enumerate_support().numpy(), their_bernoulli.enumerate_support().numpy())


# -- the rest of the shared machinery ------------------------------------------------------------------
def test_normal_rsample_is_reparameterised(both):
    rng = np.random.default_rng(3)
    loc, scale = rng.normal(size=(3,)), rng.uniform(0.5, 2.0, size=(2, 1))
    (mine, leaves), _ = both(lambda d, m, s: d.Normal(m, s), loc, scale)
    draw = mine.rsample((5,))
    assert draw.shape == (5, 2, 3) and draw.requires_grad and not mine.sample().requires_grad
    draw.sum().backward()
    np.testing.assert_allclose(leaves[0].grad.numpy(), np.full(3, 10.0))  # d/d loc of the sum of 5 x 2 draws


@pytest.mark.parametrize("make", [
    lambda d, t: d.Categorical(probs=t.tensor([0.5, -0.1, 0.6])),
    lambda d, t: d.Categorical(logits=t.tensor([0.5, 1.0]), probs=t.tensor([0.5, 0.5])),
    lambda d, t: d.Categorical(logits=t.tensor([0.0, float("inf")])),
    lambda d, t: d.Bernoulli(probs=t.tensor([1.5])),
    lambda d, t: d.Normal(t.tensor([0.0]), t.tensor([0.0])),
    lambda d, t: d.Categorical(logits=t.tensor([0.5, 1.0])).log_prob(t.tensor([2])),
    lambda d, t: d.Bernoulli(logits=t.tensor([0.5])).log_prob(t.tensor([0.5])),
    lambda d, t: d.Normal(0.0, 1.0).log_prob(0.5),
    lambda d, t: d.Normal(t.zeros(3), 1.0).log_prob(t.zeros(4)),
    lambda d, t: d.Uniform(1.0, 0.0),
    lambda d, t: d.Uniform(0.0, 1.0).log_prob(t.tensor(1.5)),
    lambda d, t: d.Exponential(-1.0),
    lambda d, t: d.Exponential(1.0).cdf(t.tensor(-1.0)),
    lambda d, t: d.Laplace(0.0, 0.0),
    lambda d, t: d.Gumbel(0.0, -1.0),
    lambda d, t: d.LogNormal(0.0, 1.0).log_prob(t.tensor(-1.0)),
    lambda d, t: d.OneHotCategorical(probs=t.tensor([0.5, -0.1, 0.6])),
    lambda d, t: d.OneHotCategorical(probs=t.tensor([-1.0, 2.0]), validate_args=False),  # Categorical checks
    lambda d, t: d.OneHotCategorical(logits=t.zeros(3)).log_prob(t.tensor([1.0, 1.0, 0.0])),
    lambda d, t: d.OneHotCategorical(logits=t.zeros(3)).log_prob(t.tensor([1.0, 0.0])),
    lambda d, t: d.Multinomial(-1, probs=t.tensor([0.5, 0.5])),
    lambda d, t: d.Multinomial(3, probs=t.tensor([0.5, 0.5])).log_prob(t.tensor([-1.0, 2.0])),
    lambda d, t: d.Multinomial(3, probs=t.tensor([0.5, 0.5])).log_prob(t.tensor([3.0, 2.0])),
    lambda d, t: d.Independent(d.Normal(t.zeros(3), t.ones(3)), 2),
])
def test_both_refuse_the_same_arguments(make):
    with pytest.raises(ValueError):
        make(theirs, torch)
    with pytest.raises(ValueError):
        make(ours, fastgrad)


@pytest.mark.parametrize("make, error", [
    (lambda d, t: d.Multinomial(2.5, probs=t.tensor([0.5, 0.5])), NotImplementedError),
    (lambda d, t: d.Independent(d.Normal(t.zeros(3), t.ones(3)), 1).enumerate_support(), NotImplementedError),
    (lambda d, t: d.Multinomial(3, probs=t.tensor([0.5, 0.5])).mode, NotImplementedError),
    (lambda d, t: d.Categorical(logits=t.zeros(3)).rsample(), NotImplementedError),
    (lambda d, t: d.Normal(t.zeros(3), 1.0).expand((2, 4)), (ValueError, RuntimeError)),
])
def test_both_raise_the_same_errors(make, error):
    with pytest.raises(error):
        make(theirs, torch)
    with pytest.raises(error):
        make(ours, fastgrad)


def test_python_numbers_and_values_take_the_tensor_parameters_dtype():
    for make in (lambda d, t: d.Normal(t.tensor([1.0, 2.0], dtype=t.float64), 1.0).entropy(),
                 lambda d, t: d.Normal(0.0, t.tensor([1.0, 2.0], dtype=t.float64)).log_prob(t.tensor([0.5])),
                 lambda d, t: d.Uniform(0.0, t.tensor([1.0, 2.0], dtype=t.float64)).log_prob(t.tensor([0.5])),
                 lambda d, t: d.Laplace(t.tensor(1.0, dtype=t.float64), 2.0).rsample((2,)),
                 lambda d, t: d.Exponential(2.0).rsample((2,)),
                 lambda d, t: d.Bernoulli(probs=0.3).log_prob(t.tensor(1.0, dtype=t.float64)),
                 lambda d, t: d.Multinomial(3, logits=t.zeros(2)).log_prob(t.tensor([1.0, 2.0], dtype=t.float64))):
        assert str(make(ours, fastgrad).dtype).split(".")[-1] == str(make(theirs, torch).dtype).split(".")[-1]


def test_constraints_check_as_pytorch():
    from fastgrad.distributions import constraints as mine
    from torch.distributions import constraints as reference
    values = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [-0.5, 1.5, 0.0], [2.0, 1.0, np.nan], [np.inf, -np.inf, 3.0]])
    for name in ("real", "real_vector", "boolean", "one_hot", "simplex", "positive", "nonnegative", "unit_interval",
                 "nonnegative_integer", "positive_integer"):
        ours_check, their_check = getattr(mine, name), getattr(reference, name)
        np.testing.assert_array_equal(ours_check.check(fastgrad.tensor(values)).numpy(),
                                      their_check.check(torch.tensor(values)).numpy(), err_msg=name)
        assert repr(ours_check) == repr(their_check) and ours_check.event_dim == their_check.event_dim
        assert ours_check.is_discrete == their_check.is_discrete
    for ours_check, their_check in ((mine.interval(0.0, 1.0), reference.interval(0.0, 1.0)),
                                    (mine.half_open_interval(0.0, 1.0), reference.half_open_interval(0.0, 1.0)),
                                    (mine.integer_interval(0, 1), reference.integer_interval(0, 1)),
                                    (mine.greater_than(0.2), reference.greater_than(0.2)),
                                    (mine.less_than(0.2), reference.less_than(0.2)),
                                    (mine.independent(mine.positive, 2), reference.independent(reference.positive, 2))):
        np.testing.assert_array_equal(ours_check.check(fastgrad.tensor(values)).numpy(),
                                      their_check.check(torch.tensor(values)).numpy(), err_msg=repr(their_check))
        assert repr(ours_check) == repr(their_check)
    # PyTorch's Multinomial() repr leaves out the bound that fastgrad's shows
    np.testing.assert_array_equal(mine.multinomial(2).check(fastgrad.tensor(values)).numpy(),
                                  reference.multinomial(2).check(torch.tensor(values)).numpy())

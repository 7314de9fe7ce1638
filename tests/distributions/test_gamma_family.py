"""Gamma, Chi2, Beta, Dirichlet and StudentT without PyTorch: draws follow the distribution, rsample's
gradients are those of the expectations (the implicit reparameterisation), gradchecks of log_prob and
entropy on every backend, parameters shared by several graphs, and the argument checks."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.distributions import Beta, Chi2, Dirichlet, Gamma, StudentT, standard_gamma
from fastgrad.testing import check_gradients, float64_leaf

SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BACKENDS = ["numpy", "compiled", "python"]
COUNT = 20000


@pytest.mark.parametrize("make", [
    lambda: Gamma(fastgrad.tensor([0.1, 1.0, 6.0]), fastgrad.tensor([[2.0], [0.5]])),
    lambda: Chi2(fastgrad.tensor([0.5, 3.0])),
    lambda: Beta(fastgrad.tensor([0.2, 2.0, 5.0]), fastgrad.tensor([[0.5], [3.0]])),
    lambda: Dirichlet(fastgrad.tensor([[0.3, 1.0, 4.0], [2.0, 2.0, 2.0]])),
    lambda: StudentT(fastgrad.tensor([9.0, 30.0]), fastgrad.tensor([1.0, -2.0]), 0.5),
])
def test_draws_have_the_distributions_mean_and_variance_and_lie_in_its_support(make):
    fastgrad.manual_seed(1)
    distribution = make()
    draws = distribution.sample((COUNT,))
    assert draws.shape == (COUNT,) + distribution.batch_shape + distribution.event_shape
    assert draws.dtype == distribution.mean.dtype and not draws.requires_grad
    assert distribution.support.check(draws).numpy().all()
    mean, variance = distribution.mean.numpy(), distribution.variance.numpy()
    assert (np.abs(draws.numpy().mean(0) - mean) <= 4 * np.sqrt(variance / COUNT)).all()  # 4 standard errors
    np.testing.assert_allclose(draws.numpy().var(0), variance, rtol=0.1, atol=1e-12)


def test_gamma_draws_are_never_zero_so_their_logs_stay_finite():
    fastgrad.manual_seed(5)
    draws = Gamma(fastgrad.tensor([0.01, 0.5]), 1e30).rsample((50,)).numpy()  # underflow after the division
    assert (draws >= np.finfo(np.float32).tiny).all()


def test_gamma_draws_follow_the_cdf():
    """The draws' empirical distribution function is the cdf, within the Kolmogorov-Smirnov bound."""
    fastgrad.manual_seed(2)
    gamma = Gamma(fastgrad.tensor([0.05, 0.7, 3.0, 80.0], dtype=fastgrad.float64), 1.5)
    draws = np.sort(gamma.sample((COUNT,)).numpy(), 0)
    levels = gamma.cdf(fastgrad.tensor(draws)).numpy()
    steps = np.arange(1, COUNT + 1)[:, None] / COUNT
    assert np.abs(levels - steps).max() < 1.63 / np.sqrt(COUNT)  # the 1% critical value


def mean_gradient(leaves, draws_of, function):
    """The gradient of the sample mean of function(draws) for every leaf: an unbiased estimate of the
    gradient of E[function(x)] when the draws are reparameterised."""
    fastgrad.manual_seed(4)
    function(draws_of(*leaves)).mean(0).sum().backward()
    return [leaf.grad.numpy() for leaf in leaves]


def float64(values):
    return fastgrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_gamma_rsample_gradients_are_those_of_its_moments():
    concentration, rate = np.array([0.2, 1.0, 4.0]), np.array([2.0, 0.5, 1.0])
    grads = mean_gradient([float64(concentration), float64(rate)],
                          lambda a, b: Gamma(a, b).rsample((4 * COUNT,)), lambda x: x)
    np.testing.assert_allclose(grads[0], 1 / rate, rtol=0.05)  # E[x] = a / b
    np.testing.assert_allclose(grads[1], -concentration / rate ** 2, rtol=0.05)
    # E[log x] = digamma(a) - log b: weighs the smallest draws most
    (grad,) = mean_gradient([float64(concentration)], lambda a: Gamma(a, 1.0).rsample((4 * COUNT,)), lambda x: x.log())
    np.testing.assert_allclose(grad, fastgrad.tensor(concentration).polygamma(1).numpy(), rtol=0.05)


def test_beta_and_dirichlet_rsample_gradients_are_those_of_their_means():
    one, zero = np.array([0.3, 2.0, 5.0]), np.array([1.5, 0.4, 5.0])
    grads = mean_gradient([float64(one), float64(zero)], lambda a, b: Beta(a, b).rsample((4 * COUNT,)), lambda x: x)
    total = one + zero
    np.testing.assert_allclose(grads[0], zero / total ** 2, rtol=0.05)
    np.testing.assert_allclose(grads[1], -one / total ** 2, rtol=0.05)
    concentration = np.array([0.5, 1.0, 3.0])
    weights = fastgrad.tensor([1.0, -2.0, 0.5], dtype=fastgrad.float64)
    (grad,) = mean_gradient([float64(concentration)], lambda c: Dirichlet(c).rsample((4 * COUNT,)),
                            lambda x: x * weights)
    # d/dc_j of sum_k w_k c_k / C = (w_j - sum_k w_k c_k / C) / C
    total, weights = concentration.sum(), weights.numpy()
    np.testing.assert_allclose(grad, (weights - (weights * concentration).sum() / total) / total, rtol=0.05)


def test_student_t_rsample_gradients_are_those_of_its_variance():
    df, scale = np.array([5.0, 12.0]), np.array([0.5, 2.0])
    grads = mean_gradient([float64(df), float64(scale)],
                          lambda v, s: StudentT(v, 0.0, s).rsample((8 * COUNT,)), lambda x: x ** 2)
    # E[x^2] = scale^2 df / (df - 2)
    np.testing.assert_allclose(grads[0], -2 * scale ** 2 / (df - 2) ** 2, rtol=0.1)
    np.testing.assert_allclose(grads[1], 2 * scale * df / (df - 2), rtol=0.05)


def positive(shape, seed):
    return float64_leaf(shape, seed, low=0.4, high=3.0)


# (build the distribution from positive float64 leaves, how many, a value in the support of the batch shape)
FAMILIES = {
    "Gamma": (lambda c, r: Gamma(c, r), 2, lambda shape, seed: positive(shape, seed + 7)),
    "Chi2": (lambda df: Chi2(df), 1, lambda shape, seed: positive(shape, seed + 7)),
    "Beta": (lambda one, zero: Beta(one, zero), 2, lambda shape, seed: float64_leaf(shape, seed + 7, 0.1, 0.9)),
    "StudentT": (lambda df, loc, scale: StudentT(df, loc - 1.0, scale), 3,
                 lambda shape, seed: float64_leaf(shape, seed)),
}


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("name", FAMILIES)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), seed=st.integers(0, 2**16))
def test_log_prob_and_entropy_gradcheck(backend_name, name, shape, seed):
    make, count, value_of = FAMILIES[name]
    parameters = [positive(shape, seed + i) for i in range(count)]
    check_gradients(backend_name, lambda *leaves: make(*leaves[:count]).log_prob(leaves[count]), *parameters,
                    value_of(shape, seed))
    check_gradients(backend_name, lambda *leaves: make(*leaves).entropy(), *parameters)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=2, min_side=2, max_side=3), seed=st.integers(0, 2**16))
def test_dirichlet_log_prob_and_entropy_gradcheck(backend_name, shape, seed):
    concentration = positive(shape, seed)
    value = np.random.default_rng(seed).dirichlet(np.ones(shape[-1]), size=shape[:-1])
    check_gradients(backend_name, lambda c: Dirichlet(c).log_prob(fastgrad.tensor(value)), concentration)
    check_gradients(backend_name, lambda c: Dirichlet(c).entropy(), concentration)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), seed=st.integers(0, 2**16))
def test_gamma_cdf_gradcheck_in_the_rate_and_the_value(backend_name, shape, seed):
    concentration = positive(shape, seed).detach()
    check_gradients(backend_name, lambda rate, value: Gamma(concentration, rate).cdf(value), positive(shape, seed + 1),
                    positive(shape, seed + 2))


@pytest.mark.parametrize("make, value", [
    (lambda c: Gamma(c, c.detach() + 1), [0.25, 0.5]), (lambda c: Chi2(c), [0.25, 0.5]),
    (lambda c: Beta(c, 0.5), [0.25, 0.5]), (lambda c: Dirichlet(c), [[0.25, 0.75]]),
    (lambda c: StudentT(c, c.detach(), 2.0), [0.25, 0.5]),
])
def test_log_prob_can_backward_twice_from_one_distribution(make, value):
    """The parameters are broadcast at each use, so no graph node is shared between the two graphs."""
    first = fastgrad.tensor([2.5, 0.5], dtype=fastgrad.float64, requires_grad=True)
    distribution = make(first)
    value = fastgrad.tensor(value, dtype=fastgrad.float64)
    distribution.log_prob(value).sum().backward()
    once = first.grad.numpy().copy()
    distribution.log_prob(value).sum().backward()
    np.testing.assert_allclose(first.grad.numpy(), 2 * once)


@pytest.mark.parametrize("make, error, message", [
    (lambda: Gamma(fastgrad.tensor([1.0, -1.0]), 1.0), ValueError,
     r"(?s)parameter concentration \(Tensor of shape \(2,\)\) .* constraint GreaterThan\(lower_bound=0.0\).*-1"),
    (lambda: Gamma(1.0, 0.0), ValueError, r"parameter rate .* GreaterThan\(lower_bound=0.0\)"),
    (lambda: Gamma(fastgrad.tensor([1, 2]), 1.0), TypeError, "concentration must be a floating point tensor"),
    (lambda: Gamma(fastgrad.zeros(3) + 1, fastgrad.ones(2)), ValueError, "shape mismatch"),
    (lambda: Gamma(1.0, 1.0).log_prob(fastgrad.tensor(-1.0)), ValueError, r"support \(GreaterThanEq\(lower_bound"),
    (lambda: Gamma(1.0, 1.0).cdf(fastgrad.tensor(-1.0)), ValueError, r"support \(GreaterThanEq\(lower_bound"),
    (lambda: Gamma(fastgrad.ones(3), 1.0).log_prob(fastgrad.ones(2)), ValueError,
     r"not broadcastable.*\(2,\) vs \(3,\)"),
    (lambda: Gamma(1.0, 1.0).icdf(fastgrad.tensor(0.5)), NotImplementedError, "Gamma does not implement icdf"),
    (lambda: Gamma(fastgrad.ones(3), 1.0).expand((2, 4)), RuntimeError,
     r"expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 1"),
    (lambda: Chi2(fastgrad.tensor([0.0])), ValueError, r"parameter df .* GreaterThan\(lower_bound=0.0\)"),
    (lambda: Beta(1.0, float("nan")), ValueError, r"parameter concentration0 .* GreaterThan"),
    (lambda: Beta(1.0, 1.0).log_prob(fastgrad.tensor(1.5)), ValueError,
     r"support \(Interval\(lower_bound=0.0, upper_bound=1.0\)\)"),
    (lambda: Dirichlet(fastgrad.tensor(1.0)), ValueError, "must be at least one-dimensional, got shape \\(\\)"),
    (lambda: Dirichlet(fastgrad.tensor([1.0, 0.0])), ValueError,
     r"parameter concentration .* IndependentConstraint\(GreaterThan\(lower_bound=0.0\), 1\)"),
    (lambda: Dirichlet(fastgrad.ones(3)).log_prob(fastgrad.tensor([0.5, 0.5, 0.5])), ValueError, r"support \(Simplex"),
    (lambda: Dirichlet(fastgrad.ones(3)).log_prob(fastgrad.tensor([0.5, 0.5])), ValueError,
     r"right-most size of value must match event_shape: \(2,\) vs \(3,\)"),
    (lambda: StudentT(0.0), ValueError, r"parameter df .* GreaterThan"),
    (lambda: StudentT(1.0, 0.0, -1.0), ValueError, r"parameter scale .* GreaterThan"),
    (lambda: StudentT(1.0, float("nan")), ValueError, r"parameter loc .* Real\(\)"),
    (lambda: StudentT(1.0).cdf(fastgrad.tensor(0.0)), NotImplementedError, "StudentT does not implement cdf"),
])
def test_bad_arguments_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_concentration_too_large_for_the_expansions_raises_rather_than_giving_a_rough_gradient(monkeypatch):
    monkeypatch.setattr(standard_gamma, "_MAX_TERMS", 100)  # as 100000 terms are for concentrations above 1e8
    concentration = fastgrad.tensor([2.0, 1e4], dtype=fastgrad.float64, requires_grad=True)
    draw = Gamma(concentration, 1.0).rsample()
    with pytest.raises(RuntimeError, match=r"did not converge in 100 terms at concentrations up to 10000"):
        draw.sum().backward()


def test_cdf_has_no_gradient_in_the_concentration():
    concentration = fastgrad.tensor([2.0], requires_grad=True)
    cdf = Gamma(concentration, 1.0).cdf(fastgrad.tensor([1.0]))
    with pytest.raises(NotImplementedError, match="with respect to the concentration is not implemented"):
        cdf.backward()


def test_validation_off_takes_numbers_and_bad_parameters():
    assert Gamma(-1.0, 1.0, validate_args=False).mean.item() == -1.0  # no check, plain arithmetic
    assert Beta(0.5, 0.5, validate_args=False).log_prob(0.25).dtype == fastgrad.float32
    assert Dirichlet(fastgrad.ones(2), validate_args=False).log_prob([0.9, 0.9]).shape == ()


# (distribution at large concentrations or df, its log_prob's value, log_prob there and entropy, from mpmath)
LARGE_PARAMETERS = {
    "Gamma": (lambda t: Gamma(t(1e6), t(1.0)), 1001000.0, -8.3273603123200599, 8.3266934788533931),
    "Beta": (lambda t: Beta(t(1e7), t(1e7)), 0.5, 8.1798300506144051, -7.6798300881144064),
    "StudentT": (lambda t: StudentT(t(1e7)), 1.5, -2.0439385441421791, 1.4189386332046752),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", LARGE_PARAMETERS)
def test_log_prob_and_entropy_keep_their_digits_at_large_concentrations(name, dtype):
    """Their log-gamma terms grow as a log(a) and cancel to O(log a): computed in float32 they came out
    whole numbers (Beta(1e7, 1e7).log_prob(0.5) was 32 for 8.18, as PyTorch's float32 is)."""
    make, value, log_prob, entropy = LARGE_PARAMETERS[name]
    distribution = make(lambda x: fastgrad.tensor(np.array(x, dtype=dtype), requires_grad=True))
    found_log_prob = distribution.log_prob(fastgrad.tensor(np.array(value, dtype=dtype)))
    found_entropy = distribution.entropy()
    assert found_log_prob.dtype == found_entropy.dtype == dtype
    np.testing.assert_allclose(found_log_prob.item(), log_prob, rtol=1e-6)
    np.testing.assert_allclose(found_entropy.item(), entropy, rtol=1e-6)
    (found_log_prob + found_entropy).backward()  # the float64 computation passes its gradient back in dtype
    assert all(leaf.grad.dtype == dtype for leaf in vars(distribution).values()
               if isinstance(leaf, fastgrad.Tensor) and leaf.requires_grad)

"""poisson and binomial: reproducible under manual_seed and a Generator, their distributions (moments and a
chi-square goodness of fit at a fixed seed, with bounds the fixed draws pass by a wide margin), shapes, dtypes,
gradients (zero for poisson; none for binomial, whose backward raises) and argument checks."""
import math

import numpy as np
import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

DRAWS = 20000


def chi_square(counts: np.ndarray, pmf) -> tuple[float, int]:
    """The chi-square statistic of observed counts of 0..K against pmf(k) (the tail beyond K in the last cell)
    and its degrees of freedom."""
    n = counts.sum()
    probabilities = np.array([pmf(k) for k in range(len(counts))])
    probabilities[-1] = 1 - probabilities[:-1].sum()
    expected = n * probabilities
    return float(((counts - expected) ** 2 / expected).sum()), len(counts) - 1


@pytest.mark.parametrize("rate", [0.3, 4.0, 25.0])
def test_poisson_draws_follow_the_distribution(rate):
    fastgrad.manual_seed(1234)
    draws = fastgrad.poisson(fastgrad.full((DRAWS,), rate, dtype=fastgrad.float64)).numpy()
    assert (draws == np.round(draws)).all() and draws.min() >= 0
    assert abs(draws.mean() - rate) < 6 * math.sqrt(rate / DRAWS)
    assert abs(draws.var() / rate - 1) < 0.06
    top = int(rate + 4 * math.sqrt(rate)) + 1
    observed = np.bincount(np.minimum(draws.astype(int), top), minlength=top + 1)
    statistic, freedom = chi_square(observed, lambda k: math.exp(-rate) * rate ** k / math.factorial(k))
    assert statistic < freedom + 8 * math.sqrt(2 * freedom)  # (over 5 standard deviations of chi-square)


@pytest.mark.parametrize("n, p", [(1, 0.5), (10, 0.3), (60, 0.9)])
def test_binomial_draws_follow_the_distribution(n, p):
    fastgrad.manual_seed(99)
    draws = fastgrad.binomial(fastgrad.full((DRAWS,), float(n)), fastgrad.full((DRAWS,), p)).numpy()
    assert (draws == np.round(draws)).all() and draws.min() >= 0 and draws.max() <= n
    assert abs(draws.mean() - n * p) < 6 * math.sqrt(n * p * (1 - p) / DRAWS)
    observed = np.bincount(draws.astype(int), minlength=n + 1)
    statistic, freedom = chi_square(observed, lambda k: math.comb(n, k) * p ** k * (1 - p) ** (n - k))
    assert statistic < freedom + 8 * math.sqrt(2 * freedom) + 10  # (cells with tiny expected counts add noise)


def test_edge_values_are_exact():
    assert not fastgrad.poisson(fastgrad.zeros(50)).numpy().any()
    counts = fastgrad.tensor([0.0, 7.0, 7.0, 3.0])
    np.testing.assert_array_equal(fastgrad.binomial(counts, fastgrad.tensor([0.4, 0.0, 1.0, 1.0])).numpy(),
                                  [0, 0, 7, 3])


@pytest.mark.parametrize("draw", [
    lambda generator: fastgrad.poisson(fastgrad.full((5, 3), 2.0), generator),
    lambda generator: fastgrad.binomial(fastgrad.full((4,), 9.0), fastgrad.full((2, 1), 0.5), generator=generator),
], ids=["poisson", "binomial"])
def test_draws_are_reproducible(draw):
    fastgrad.manual_seed(5)
    first = draw(None).numpy()
    fastgrad.manual_seed(5)
    np.testing.assert_array_equal(draw(None).numpy(), first)
    mine = [draw(fastgrad.Generator().manual_seed(3)).numpy() for _ in range(2)]
    np.testing.assert_array_equal(*mine)
    assert first.shape == mine[0].shape


def test_shapes_and_dtypes():
    assert fastgrad.poisson(fastgrad.ones(2, 3, dtype=fastgrad.float64)).dtype == fastgrad.float64
    assert fastgrad.poisson(fastgrad.tensor(3.0)).shape == ()
    assert fastgrad.poisson(fastgrad.zeros(0)).shape == (0,)
    out = fastgrad.binomial(fastgrad.full((2, 1), 4.0), fastgrad.full((3,), 0.5))
    assert out.shape == (2, 3) and out.dtype == fastgrad.float32


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), seed=st.integers(0, 2**16))
def test_poisson_gradcheck(backend_name, shape, seed):
    """The draws' gradient is zero: with the same generator state, a nudged rate gives the same counts (a count
    changes only where a uniform lies within about 1e-6 of a CDF step), so only the product's factor counts."""
    rates = leaf(shape, seed, 0.5, 20)
    check(backend_name, lambda r: fastgrad.poisson(r, fastgrad.Generator().manual_seed(seed)) * r, rates)


def test_poisson_gradient_is_zero_and_binomial_has_none():
    rates = fastgrad.tensor([1.0, 2.0, 3.0], dtype=fastgrad.float64, requires_grad=True)
    out = fastgrad.poisson(rates)
    assert out.requires_grad
    (out * rates).sum().backward()
    np.testing.assert_array_equal(rates.grad.numpy(), out.detach().numpy())  # only through the product
    count, prob = fastgrad.tensor([5.0], requires_grad=True), fastgrad.tensor([0.5], requires_grad=True)
    draws = fastgrad.binomial(count, prob)
    assert draws.requires_grad
    with pytest.raises(RuntimeError, match="the derivative for binomial is not implemented"):
        draws.sum().backward()
    with fastgrad.no_grad():
        assert not fastgrad.binomial(count, prob).requires_grad and not fastgrad.poisson(rates).requires_grad


@pytest.mark.parametrize("call, error, message", [
    (lambda: fastgrad.poisson(fastgrad.tensor([1.0, -0.5])), ValueError, r"poisson: input \(the rates\) must be in "
     r"\[0, .*\].*got -0.5"),
    (lambda: fastgrad.poisson(fastgrad.tensor([np.nan])), ValueError, "got nan"),
    (lambda: fastgrad.poisson(fastgrad.tensor([np.inf])), ValueError, "got inf"),
    (lambda: fastgrad.poisson(fastgrad.tensor([1, 2])), NotImplementedError, "input must be a floating point tensor, "
     "got dtype int64"),
    (lambda: fastgrad.poisson([1.0]), TypeError, "argument 'input' must be a Tensor, got list"),
    (lambda: fastgrad.poisson(fastgrad.ones(1), generator=1), TypeError, "generator must be a fastgrad.Generator"),
    (lambda: fastgrad.binomial(fastgrad.tensor([2.5]), fastgrad.tensor([0.5])), ValueError,
     r"binomial: count must hold whole numbers in \[0, 2\^63\), got 2.5"),
    (lambda: fastgrad.binomial(fastgrad.tensor([-1.0]), fastgrad.tensor([0.5])), ValueError, "got -1.0"),
    (lambda: fastgrad.binomial(fastgrad.tensor([np.inf]), fastgrad.tensor([0.5])), ValueError, "got inf"),
    (lambda: fastgrad.binomial(fastgrad.tensor([2.0]), fastgrad.tensor([1.5])), ValueError,
     r"binomial: prob must be in \[0, 1\], got 1.5"),
    (lambda: fastgrad.binomial(fastgrad.tensor([2.0]), fastgrad.tensor([np.nan])), ValueError, "got nan"),
    (lambda: fastgrad.binomial(fastgrad.tensor([2]), fastgrad.tensor([0.5])), ValueError,
     "count must be a floating point tensor"),
    (lambda: fastgrad.binomial(fastgrad.tensor([2.0]), fastgrad.tensor([0])), ValueError,
     "prob must be a floating point tensor, got dtype int64"),
    (lambda: fastgrad.binomial(fastgrad.tensor([2.0]), fastgrad.tensor([0.5], dtype=fastgrad.float64)), RuntimeError,
     "count and prob must have the same dtype, got float32 and float64"),
    (lambda: fastgrad.binomial(fastgrad.ones(2), fastgrad.ones(3)), ValueError, r"count of shape \(2,\) and prob of "
     r"shape \(3,\) cannot be broadcast"),
    (lambda: fastgrad.binomial(fastgrad.ones(2), 0.5), TypeError, "argument 'prob' must be a Tensor, got float"),
], ids=["negative rate", "nan rate", "inf rate", "int rate", "list", "generator", "fractional count",
        "negative count", "inf count", "prob > 1", "nan prob", "int count", "int prob", "dtypes", "shapes",
        "number prob"])
def test_bad_arguments_name_themselves(call, error, message):
    with pytest.raises(error, match=message):
        call()

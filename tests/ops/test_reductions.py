"""Scans and order statistics (fastgrad/tensor_methods/reductions.py, their ops at the end of
fastgrad/ops/reduction.py): gradcheck over hypothesis-generated shapes on every backend, values against NumPy,
and the errors for bad arguments. tests/ops/test_reductions_parity.py holds them to PyTorch."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


def leaf(shape, seed):
    """A float64 leaf whose values are at least 0.3 apart: no ties for central differences to flip."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    values = (rng.permutation(size) - size / 2) * 0.5 + rng.uniform(-0.1, 0.1, size)
    return fastgrad.tensor(values.reshape(shape), dtype=fastgrad.float64, requires_grad=True)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), keepdim=st.booleans(), data=st.data())
def test_scans_and_order_statistics_gradcheck(backend_name, shape, seed, keepdim, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(1, shape[dim]))
    order = data.draw(st.integers(0, 3))
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.cummax(dim).values, x)
    check(backend_name, lambda x: x.cummin(dim).values, x)
    check(backend_name, lambda x: x.logcumsumexp(dim), x)
    check(backend_name, lambda x: x.kthvalue(k, dim, keepdim).values, x)
    check(backend_name, lambda x: x.nanmedian(dim, keepdim).values, x)
    check(backend_name, lambda x: x.nanmedian(), x)
    check(backend_name, lambda x: x.aminmax(dim=dim, keepdim=keepdim), x)
    check(backend_name, lambda x: x.msort(), x)
    check(backend_name, lambda x: x.diff(order, dim, prepend=x * 2, append=x.sin()), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes, seed=st.integers(0, 2**16), keepdim=st.booleans(), data=st.data())
def test_quantiles_gradcheck(backend_name, interpolation, shape, seed, keepdim, data):
    dim = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    x = leaf(shape, seed)
    levels = fastgrad.tensor([0.0, 0.15, 0.5, 0.8, 1.0], dtype=fastgrad.float64)
    check(backend_name, lambda x: x.quantile(levels, dim, keepdim, interpolation=interpolation), x)
    check(backend_name, lambda x: x.nanquantile(0.3, dim, keepdim, interpolation=interpolation), x)


def test_cummax_and_cummin_take_the_later_tie_and_the_latest_nan():
    x = fastgrad.tensor([1.0, 3.0, 3.0, float("nan"), 2.0, float("nan"), 5.0])
    values, indices = x.cummax(0)
    np.testing.assert_array_equal(values.detach().numpy(), [1, 3, 3, np.nan, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(indices.detach().numpy(), [0, 1, 2, 3, 3, 5, 5])
    np.testing.assert_array_equal(x.cummin(0).indices.detach().numpy(), [0, 0, 0, 3, 3, 5, 5])
    assert fastgrad.cummax(fastgrad.tensor([1, 3, 3, 2]), 0).indices.tolist() == [0, 1, 2, 2]


def test_cummax_gradient_goes_to_the_indexed_element():
    x = fastgrad.tensor([2.0, 1.0, 2.0, 0.5], requires_grad=True)
    x.cummax(0).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 0, 2, 0])  # indices [0, 0, 2, 2]: the tie moves on


def test_logcumsumexp_does_not_overflow_and_its_gradient_is_the_running_softmax():
    x = fastgrad.tensor([1000.0, 1000.0, -1000.0], dtype=fastgrad.float64, requires_grad=True)
    out = x.logcumsumexp(0)
    np.testing.assert_allclose(out.detach().numpy(), [1000, 1000 + np.log(2), 1000 + np.log(2)])
    out.backward(fastgrad.tensor([1.0, -2.0, 3.0], dtype=fastgrad.float64))
    np.testing.assert_allclose(x.grad.numpy(), [1 - 1 + 1.5, -1 + 1.5, 0.0], atol=1e-12)


def test_quantile_interpolations_against_numpy():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 7))
    levels = np.array([0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
    for method in INTERPOLATIONS:
        got = fastgrad.tensor(data).quantile(fastgrad.tensor(levels), 1, interpolation=method)
        np.testing.assert_allclose(got.detach().numpy(), np.quantile(data, levels, axis=1, method=method), rtol=1e-12)


def test_nanquantile_skips_nan_and_quantile_propagates_it():
    x = fastgrad.tensor([[1.0, float("nan"), 3.0], [float("nan")] * 3], dtype=fastgrad.float64)
    np.testing.assert_array_equal(x.nanquantile(0.5, 1).detach().numpy(), [2.0, np.nan])
    np.testing.assert_array_equal(x.quantile(0.5, 1).detach().numpy(), [np.nan, np.nan])


def test_nanmedian_skips_nan():
    x = fastgrad.tensor([[float("nan"), 3.0, 1.0, 2.0], [float("nan")] * 4])
    values, indices = x.nanmedian(1)
    np.testing.assert_array_equal(values.detach().numpy(), [2.0, np.nan])
    assert indices.tolist()[0] == 3
    assert np.isnan(fastgrad.tensor([float("nan")]).nanmedian().item())


def test_diff_of_bool_is_inequality_and_a_large_n_gives_an_empty_result():
    assert fastgrad.tensor([True, False, False]).diff().tolist() == [True, False]
    assert fastgrad.tensor([1.0, 2.0]).diff(5).shape == (0,)
    x = fastgrad.tensor([1.0, 2.0])
    assert x.diff(0) is not x and x.diff(0).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("call,error,match", [
    (lambda: fastgrad.tensor([1, 2]).logcumsumexp(0), NotImplementedError, "floating point"),
    (lambda: fastgrad.tensor([1.0]).cummax(1), IndexError, "out of range"),
    (lambda: fastgrad.tensor([1.0, 2.0]).kthvalue(3), RuntimeError, r"k must be in \[1, 2\].*got 3"),
    (lambda: fastgrad.tensor([1.0, 2.0]).kthvalue(0), RuntimeError, "got 0"),
    (lambda: fastgrad.tensor([1.0]).kthvalue(1.5), TypeError, "k must be an int"),
    (lambda: fastgrad.tensor([True]).kthvalue(1), NotImplementedError, "bool"),
    (lambda: fastgrad.tensor([True, False]).median(), NotImplementedError, "median: bool tensors are not supported"),
    (lambda: fastgrad.tensor([True, False]).nanmedian(0), NotImplementedError, "nanmedian: bool tensors are not "
                                                                                 "supported"),
    (lambda: fastgrad.tensor([1.0]).quantile(1.5), ValueError, r"q must be in \[0, 1\], got 1.5"),
    (lambda: fastgrad.tensor([1.0]).quantile(float("nan")), ValueError, r"q must be in \[0, 1\], got nan"),
    (lambda: fastgrad.tensor([1, 2]).quantile(0.5), TypeError, "float32 or float64.*int64"),
    (lambda: fastgrad.tensor([1.0]).quantile(fastgrad.tensor([0.5], dtype=fastgrad.float64)), TypeError,
     "q must have the input's dtype float32, got float64"),
    (lambda: fastgrad.tensor([1.0]).quantile(fastgrad.tensor([[0.5]])), ValueError, "0-d or 1-D.*got shape"),
    (lambda: fastgrad.tensor([1.0]).quantile(0.5, interpolation="cubic"), ValueError, "interpolation.*'cubic'"),
    (lambda: fastgrad.tensor([]).nanquantile(0.5), ValueError, "non-empty"),
    (lambda: fastgrad.tensor([1.0]).quantile([0.5]), TypeError, "q must be a real number"),
    (lambda: fastgrad.tensor([1.0]).quantile(fastgrad.tensor(0.5, requires_grad=True)), NotImplementedError,
     "no gradient for q"),
    (lambda: fastgrad.tensor([]).nanmedian(), ValueError, "empty"),
    (lambda: fastgrad.zeros(2, 0).nanmedian(1), IndexError, "size 0"),
    (lambda: fastgrad.zeros(0).aminmax(), RuntimeError, "aminmax: .*empty"),
    (lambda: fastgrad.zeros(2, 0).aminmax(dim=1), IndexError, "aminmax"),
    (lambda: fastgrad.tensor(1.0).diff(), RuntimeError, "at least one-dimensional"),
    (lambda: fastgrad.tensor([1.0]).diff(-1), RuntimeError, "n .*non-negative, got -1"),
    (lambda: fastgrad.tensor([1.0]).diff(prepend=1.0), TypeError, "prepend must be a Tensor, got float"),
    (lambda: fastgrad.tensor([[1.0, 2.0]]).diff(dim=0, append=fastgrad.ones(1, 3)), RuntimeError,
     r"append must match the input's shape \(1, 2\) except along dim 0, got shape \(1, 3\)"),
])
def test_bad_arguments_raise_naming_them(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_prod_gradient_is_exact_beside_an_infinity():
    # prod / x_i would give inf / inf = NaN; the product of the other elements is 2 (PyTorch gives NaN here)
    x = fastgrad.tensor([np.inf, 2.0], dtype=fastgrad.float64, requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [2.0, np.inf]

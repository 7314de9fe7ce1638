"""F.lp_pool1d/2d and F.local_response_norm without PyTorch: gradcheck over hypothesis shapes on every backend,
their definitions and the arguments they refuse."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from fastgrad.testing import check_gradients as check

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**16)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(p=st.sampled_from([1.0, 2, 3.5, -1.0, math.inf, -math.inf]),
       kernel=st.tuples(st.integers(1, 3), st.integers(1, 2)), stride=st.sampled_from([None, 1, (2, 1)]),
       ceil_mode=st.booleans(), seed=seeds)
def test_gradcheck_lp_pool(backend_name, p, kernel, stride, ceil_mode, seed):
    # positive, distinct values: fractional powers stay real and the +-inf (max) pools have one maximum
    x = (np.random.default_rng(seed).permutation(2 * 2 * 4 * 3).reshape(2, 2, 4, 3) + 1) * 0.1
    check(backend_name, lambda x: F.lp_pool2d(x, p, kernel, stride, ceil_mode), fastgrad.tensor(x, requires_grad=True))
    check(backend_name, lambda x: F.lp_pool1d(x[0], p, kernel[0], None if stride is None else 1, ceil_mode),
          fastgrad.tensor(x, requires_grad=True))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=st.sampled_from([(2, 4, 3), (1, 5, 2, 2), (2, 3, 1, 2, 2), (1, 1, 3)]), size=st.integers(1, 6),
       alpha=st.floats(0.01, 2.0), beta=st.floats(0.1, 1.5), k=st.floats(0.5, 2.0), seed=seeds)
def test_gradcheck_local_response_norm(backend_name, shape, size, alpha, beta, k, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    check(backend_name, lambda x: F.local_response_norm(x, size, alpha, beta, k),
          fastgrad.tensor(x, requires_grad=True))


def test_definitions():
    x = fastgrad.tensor([[[3.0, -4.0, 0.0, 0.0, 1.0]]], requires_grad=True)
    np.testing.assert_allclose(F.lp_pool1d(x, 2, 2).detach().numpy(), [[[5.0, 0.0]]])
    np.testing.assert_allclose(F.lp_pool1d(x, math.inf, 2).detach().numpy(), [[[4.0, 0.0]]])
    np.testing.assert_allclose(F.lp_pool1d(x, -math.inf, 2, 2, ceil_mode=True).detach().numpy(), [[[3.0, 0.0, 1.0]]])
    F.lp_pool1d(x, 2, 2).sum().backward()  # a window of zeros: gradient zero, not NaN
    np.testing.assert_allclose(x.grad.numpy(), [[[0.6, -0.8, 0.0, 0.0, 0.0]]])
    channels = fastgrad.arange(1.0, 5.0).reshape(1, 4, 1)
    window_sums = np.array([1 + 4, 1 + 4 + 9, 4 + 9 + 16, 9 + 16])  # size 3: one channel each side
    expected = np.arange(1.0, 5.0) / (2.0 + 0.3 / 3 * window_sums) ** 0.5
    np.testing.assert_allclose(F.local_response_norm(channels, 3, 0.3, 0.5, 2.0).numpy().ravel(), expected)
    empty = fastgrad.zeros(0, 3, 2)
    assert F.local_response_norm(empty, 2) is empty
    expected = "LPPool2d(norm_type=1.5, kernel_size=(2, 3), stride=1, ceil_mode=True)"
    assert repr(nn.LPPool2d(1.5, (2, 3), 1, True)) == expected
    assert repr(nn.LocalResponseNorm(3)) == "LocalResponseNorm(3, alpha=0.0001, beta=0.75, k=1.0)"
    assert nn.LPPool1d(2, 3, 1)(fastgrad.ones(2, 5)).shape == (2, 3)


def test_bad_arguments():
    x = fastgrad.ones(2, 3, 6)
    cases = [
        (lambda: F.lp_pool1d(x, 2, (2,)), TypeError, r"lp_pool1d: kernel_size must be an int, got \(2,\)"),
        (lambda: F.lp_pool1d(x, 0, 2), ZeroDivisionError, "lp_pool1d: norm_type must not be 0"),
        (lambda: F.lp_pool1d(x, "2", 2), TypeError, "lp_pool1d: norm_type must be a number, got str"),
        (lambda: F.lp_pool1d(x.int(), 2, 2), NotImplementedError,
         "lp_pool1d: expected a floating point or int64 input, got dtype int32"),
        (lambda: F.lp_pool1d(x, 2, 7), RuntimeError, r"lp_pool1d: input size \(6,\) gives no window"),
        (lambda: F.lp_pool2d(x[0], 2, 2), IndexError,
         r"lp_pool2d: dimension out of range: expected an input of at least 3 dims, got shape \(3, 6\)"),
        (lambda: F.lp_pool2d(x[0, 0], float("inf"), 2), RuntimeError, r"lp_pool2d: expected a 3-D \(C, H, W\) or 4-D"),
        (lambda: F.lp_pool2d(x, 2, (2, 2, 2)), ValueError, r"lp_pool2d: kernel_size must be an int or a pair of ints, "
                                                           r"got \(2, 2, 2\)"),
        (lambda: F.local_response_norm(x[0], 2), ValueError,
         r"expected an input of at least 3 dims \(N, C, \*\), got \(3, 6\)"),
        (lambda: F.local_response_norm(x, 0), RuntimeError, "local_response_norm: size must be at least 1, got 0"),
        (lambda: F.local_response_norm(x, 2.0), TypeError, "local_response_norm: size must be an int"),
        (lambda: F.local_response_norm(x.int(), 2), NotImplementedError,
         "local_response_norm: expected a floating point or int64 input .* got dtype int32"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()

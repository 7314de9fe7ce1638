"""gradcheck (float64 central differences, hypothesis shapes, every backend) of frexp, angle, mvlgamma, vander,
trapezoid, cumulative_trapezoid, cholesky_solve and cholesky_inverse, and their argument checks."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def spd_factor(n: int, batch: tuple, seed: int) -> fastgrad.Tensor:
    """A well-conditioned lower-triangular Cholesky factor (positive diagonal) that requires grad."""
    rng = np.random.default_rng(seed)
    factor = np.tril(rng.uniform(-0.5, 0.5, batch + (n, n))) + 2 * np.eye(n)
    return fastgrad.tensor(factor, requires_grad=True)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_frexp_mantissa(backend_name, shape, seed):
    x = leaf(shape, seed, low=-40.0, high=40.0)
    check(backend_name, lambda x: x.frexp().mantissa * x, x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_angle_has_a_zero_gradient(backend_name, shape, seed):
    x = leaf(shape, seed, away_from=0.0)
    check(backend_name, lambda x: fastgrad.angle(x) + x, x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), p=st.integers(1, 4))
def test_mvlgamma(backend_name, shape, seed, p):
    x = leaf(shape, seed, low=2.0, high=6.0)
    check(backend_name, lambda x: fastgrad.mvlgamma(x, p), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(n=st.integers(1, 5), columns=st.integers(0, 6), increasing=st.booleans(), seed=st.integers(0, 2**16))
def test_vander(backend_name, n, columns, increasing, seed):
    x = leaf((n,), seed)
    check(backend_name, lambda x: fastgrad.vander(x, columns, increasing), x)


def test_vander_gradient_at_zero_is_exact():
    x = fastgrad.tensor([0.0, 2.0], dtype=fastgrad.float64, requires_grad=True)
    fastgrad.vander(x, N=3).sum().backward()  # d/dx (x^2 + x + 1) = 2x + 1, 1 at 0 (not 0 * inf)
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 5.0])


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("integrate", [fastgrad.trapezoid, fastgrad.cumulative_trapezoid])
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), data=st.data())
def test_trapezoid_rules(backend_name, integrate, shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    y = leaf(shape, seed)
    x = leaf((shape[dim],), seed + 1)
    check(backend_name, lambda y, x: integrate(y, x, dim=dim), y, x)
    check(backend_name, lambda y: integrate(y, dx=0.5, dim=dim), y)
    points = leaf(shape, seed + 2)  # sample points of y's shape
    check(backend_name, lambda y, x: integrate(y, x, dim=dim), y, points)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(n=st.integers(1, 4), k=st.integers(1, 3), batch=st.sampled_from([(), (2,)]), upper=st.booleans(),
       seed=st.integers(0, 2**16))
def test_cholesky_solve_and_inverse(backend_name, n, k, batch, upper, seed):
    factor = spd_factor(n, batch, seed)
    if upper:
        factor = fastgrad.tensor(factor.detach().mT.numpy().copy(), requires_grad=True)
    B = leaf(batch + (n, k), seed + 1)
    check(backend_name, lambda B, L: fastgrad.cholesky_solve(B, L, upper), B, factor)
    check(backend_name, lambda L: fastgrad.cholesky_inverse(L, upper), factor)


@pytest.mark.parametrize("call,error", [
    (lambda: fastgrad.frexp(fastgrad.tensor([1, 2])), RuntimeError),
    (lambda: fastgrad.mvlgamma(fastgrad.tensor([2.5]), 0), RuntimeError),
    (lambda: fastgrad.mvlgamma(fastgrad.tensor([2.5]), 2.0), TypeError),
    (lambda: fastgrad.vander(fastgrad.ones(2, 2)), RuntimeError),
    (lambda: fastgrad.vander(fastgrad.ones(2), N=-1), RuntimeError),
    (lambda: fastgrad.trapezoid(fastgrad.ones(3), fastgrad.ones(2)), RuntimeError),
    (lambda: fastgrad.trapezoid(fastgrad.ones(3), fastgrad.ones(3), dx=1.0), TypeError),
    (lambda: fastgrad.trapezoid(fastgrad.tensor([True, False])), RuntimeError),
    (lambda: fastgrad.trapezoid(fastgrad.ones(3), dx=True), RuntimeError),
    (lambda: fastgrad.trapezoid(fastgrad.ones(3), dim=1), IndexError),
    (lambda: fastgrad.cholesky_solve(fastgrad.ones(2), fastgrad.eye(2)), RuntimeError),
    (lambda: fastgrad.cholesky_solve(fastgrad.ones(2, 1, dtype=fastgrad.float64), fastgrad.eye(2)), RuntimeError),
    (lambda: fastgrad.cholesky_inverse(fastgrad.ones(2, 3)), RuntimeError),
    (lambda: fastgrad.cholesky_inverse(fastgrad.zeros(2, 2)), RuntimeError),
    (lambda: fastgrad.bitwise_left_shift(1, 2), TypeError),
    (lambda: fastgrad.bitwise_right_shift(fastgrad.tensor([1.0]), 1), NotImplementedError),  # (PyTorch's type)
], ids=["frexp int", "mvlgamma p", "mvlgamma p type", "vander 2-D", "vander N", "trapezoid x length",
        "trapezoid x and dx", "trapezoid bool", "trapezoid dx bool", "trapezoid dim", "cholesky_solve 1-D B",
        "cholesky_solve dtypes", "cholesky_inverse not square", "cholesky_inverse singular", "shift numbers",
        "shift float"])
def test_bad_arguments_raise(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int64"])
def test_trapezoid_rules_of_integer_samples_do_not_wrap_around(dtype):
    """PyTorch 2.13 adds the end samples in y's own dtype (int8 [100, 100, 100] integrates to 328 there); fastgrad
    converts integers to the default float first, so the integral is the true one."""
    y = np.array([100, 100, 120, 100], dtype=dtype)
    x = np.array([0, 1, 3, 4], dtype=dtype)
    samples = y.astype(np.float64)
    assert fastgrad.trapezoid(fastgrad.tensor(y)).item() == np.trapezoid(samples)
    assert fastgrad.trapezoid(fastgrad.tensor(y), dx=2).item() == np.trapezoid(samples, dx=2)
    assert fastgrad.trapezoid(fastgrad.tensor(y), fastgrad.tensor(x)).item() == np.trapezoid(samples, x)
    running = fastgrad.cumulative_trapezoid(fastgrad.tensor(y), fastgrad.tensor(x))
    assert running.dtype == fastgrad.float32 and running.tolist() == [100.0, 320.0, 430.0]

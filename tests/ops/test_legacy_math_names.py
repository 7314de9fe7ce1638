"""gradcheck (float64 central differences, hypothesis shapes, every backend) of igamma and igammac (functions,
methods and in place), special.multigammaln and mvlgamma_, frobenius_norm, nuclear_norm, linalg.vander and the
Tensor methods lu, lu_solve and triangular_solve; and the removed solvers raising."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes = array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)


@pytest.fixture(autouse=True)
def quiet_deprecations():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_incomplete_gamma_aliases(backend_name, shape, seed):
    a, z = leaf(shape, seed, 0.5, 5).detach(), leaf(shape, seed + 1, 0.2, 6)
    check(backend_name, lambda z: fastgrad.igamma(a, z), z)
    check(backend_name, lambda z: a.igammac(z), z)
    check(backend_name, lambda z: a.clone().igamma_(z) * z, z)
    check(backend_name, lambda z: (a * 1).igammac_(z), z)
    check(backend_name, lambda z: fastgrad.special.multigammaln(z + 2, 3), z)
    check(backend_name, lambda z: (z + 2).mvlgamma_(2), z)


def test_no_derivative_in_the_first_argument():
    a = fastgrad.tensor([1.5, 2.5], dtype=fastgrad.float64, requires_grad=True)
    for out in (fastgrad.igamma(a, fastgrad.ones(2, dtype=fastgrad.float64)), a.igammac(a.detach()),
                (a * 1).igamma_(fastgrad.ones(2, dtype=fastgrad.float64))):
        with pytest.raises(NotImplementedError, match="derivative"):
            out.sum().backward()


def test_in_place_forms_write_into_the_tensor():
    a, x = fastgrad.tensor([1.5, 2.5]), fastgrad.tensor([1.0, 2.0])
    expected = fastgrad.special.gammaincc(a, x)
    assert a.igammac_(x) is a and fastgrad.equal(a, expected)
    integers = fastgrad.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast|cannot hold|cast"):
        integers.igamma_(x)
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1, got 0"):
        fastgrad.special.multigammaln(x, 0)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=array_shapes(min_dims=0, max_dims=1, min_side=1, max_side=2), m=st.integers(1, 3), n=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_norms(backend_name, batch, m, n, seed):
    A = leaf(tuple(batch) + (m, n), seed)
    check(backend_name, lambda A: fastgrad.frobenius_norm(A, (-2, -1)), A)
    check(backend_name, lambda A: fastgrad.frobenius_norm(A, -1, True), A)
    check(backend_name, lambda A: fastgrad.nuclear_norm(A), A)
    check(backend_name, lambda A: fastgrad.nuclear_norm(A, (-1, -2), True), A)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3), N=st.integers(2, 4),
       seed=st.integers(0, 2**16))
def test_linalg_vander(backend_name, shape, N, seed):
    check(backend_name, lambda x: fastgrad.linalg.vander(x, N=N), leaf(shape, seed))


def test_linalg_vander_is_exact_at_zero():
    x = fastgrad.tensor([0.0, 2.0], dtype=fastgrad.float64, requires_grad=True)
    fastgrad.linalg.vander(x, N=3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 5.0])


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(n=st.integers(1, 3), k=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_lu_methods(backend_name, n, k, seed):
    A = leaf((n, n), seed) + fastgrad.tensor(4 * np.eye(n))
    A = A.detach().requires_grad_()
    B = leaf((n, k), seed + 1)
    check(backend_name, lambda A: A.lu()[0], A)
    check(backend_name, lambda A, B: B.lu_solve(*A.lu()), A, B)
    check(backend_name, lambda A, B: B.triangular_solve(A, upper=False).solution, A, B)
    check(backend_name, lambda A, B: B.triangular_solve(A, transpose=True)[0], A, B)


@pytest.mark.parametrize("name", ["solve", "lstsq", "symeig", "eig", "matrix_rank"])
def test_removed_functions_raise_pointing_to_the_replacement(name):
    A = fastgrad.eye(3)
    with pytest.raises(RuntimeError, match=f"fastgrad.{name} was deprecated in PyTorch 1.9 and is now removed"):
        getattr(fastgrad, name)(A, A) if name in ("solve", "lstsq") else getattr(fastgrad, name)(A)
    if name != "matrix_rank":
        with pytest.raises(RuntimeError, match="linalg"):
            getattr(A, name)(A) if name in ("solve", "lstsq") else getattr(A, name)()

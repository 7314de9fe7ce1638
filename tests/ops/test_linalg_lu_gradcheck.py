"""gradcheck (float64 central differences) of fastgrad.linalg's triangular solves, LU factorizations and the
functions built on them, over hypothesis-generated batch dims and sizes, on every backend. Matrices are a
constant with well-separated diagonal entries (`spread`), its rows reversed where the LU factorization should
pivot, plus a small leaf, so the pivots do not change within the central differences."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad import linalg
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
batches = array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2)
sizes = st.integers(1, 4)


def spread(batch: tuple, m: int, n: int, reversed_rows: bool = False) -> fastgrad.Tensor:
    """(batch..., m, n) zeros with 2k + 1, ..., 5, 3 on the diagonal (k = min(m, n)), rows reversed if asked."""
    k = min(m, n)
    c = np.zeros(batch + (m, n))
    c[..., range(k), range(k)] = 2.0 * np.arange(k, 0, -1) + 1
    return fastgrad.tensor(c[..., ::-1, :].copy() if reversed_rows else c)


def small(shape: tuple, seed: int) -> fastgrad.Tensor:
    return leaf(shape, seed, -0.2, 0.2, away_from=0.0)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(a_batch=batches, b_batch=batches, n=sizes, k=st.integers(1, 3), upper=st.booleans(), unit=st.booleans(),
       seed=st.integers(0, 2**16))
def test_solve_triangular(backend_name, a_batch, b_batch, n, k, upper, unit, seed):
    """Both sides; A's other triangle holds values the result must not depend on (its gradient there is 0)."""
    c, x, b = spread(a_batch, n, n), leaf(a_batch + (n, n), seed, -1, 1), leaf(b_batch + (n, k), seed + 1)
    check(backend_name, lambda x, b: linalg.solve_triangular(c + x, b, upper=upper, unitriangular=unit), x, b)
    check(backend_name, lambda x, b: linalg.solve_triangular(c + x, b.mT, upper=upper, left=False,
                                                             unitriangular=unit), x, b)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, n=sizes, extra=st.integers(1, 2), reversed_rows=st.booleans(), seed=st.integers(0, 2**16))
def test_lu_factor_and_lu(backend_name, batch, n, extra, reversed_rows, seed):
    """Square, wide and tall matrices (each has its own terms in the backward), with and without row swaps."""
    for m, columns in ((n, n), (n, n + extra), (n + extra, n)):
        c, x = spread(batch, m, columns, reversed_rows), small(batch + (m, columns), seed)
        check(backend_name, lambda x: linalg.lu_factor(c + x).LU, x)
        check(backend_name, lambda x: linalg.lu_factor_ex(c + x).LU, x)
        check(backend_name, lambda x: linalg.lu(c + x)[1:], x)
        check(backend_name, lambda x: linalg.lu(c + x).U, x)  # U alone


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(a_batch=batches, b_batch=batches, n=sizes, k=st.integers(1, 3), left=st.booleans(), adjoint=st.booleans(),
       seed=st.integers(0, 2**16))
def test_lu_solve(backend_name, a_batch, b_batch, n, k, left, adjoint, seed):
    c, x, b = spread(a_batch, n, n, reversed_rows=True), small(a_batch + (n, n), seed), leaf(b_batch + (n, k), seed)

    def solved(x, b):
        factor, pivots = linalg.lu_factor(c + x)
        return linalg.lu_solve(factor, pivots, b if left else b.mT, left=left, adjoint=adjoint)

    check(backend_name, solved, x, b)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, n=sizes, seed=st.integers(0, 2**16))
def test_checked_variants(backend_name, batch, n, seed):
    c, x, b = spread(batch, n, n), small(batch + (n, n), seed), leaf(batch + (n, 2), seed + 1)
    check(backend_name, lambda x, b: linalg.solve_ex(c + x, b).result, x, b)
    check(backend_name, lambda x, b: linalg.solve_ex(c + x, b.mT, left=False).result, x, b)
    check(backend_name, lambda x: linalg.cholesky_ex(x @ x.mT + c).L, x)
    check(backend_name, lambda x: linalg.cholesky_ex(x @ x.mT + c, upper=True).L, x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, m=sizes, n=sizes, seed=st.integers(0, 2**16))
def test_cond(backend_name, batch, m, n, seed):
    c, x = spread(batch, m, n), small(batch + (m, n), seed)
    for p in (None, 2, -2):
        check(backend_name, lambda x: linalg.cond(c + x, p), x)
    if m == n:
        for p in ("fro", "nuc", 1, -1, float("inf"), -float("inf")):
            check(backend_name, lambda x: linalg.cond(c + x, p), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(left=st.lists(st.integers(1, 3), min_size=1, max_size=2), seed=st.integers(0, 2**16))
def test_tensorinv_and_tensorsolve(backend_name, left, seed):
    n = int(np.prod(left))
    c, x = spread((), n, n), small((n, n), seed)
    shape = tuple(left) + (n,)
    check(backend_name, lambda x: linalg.tensorinv((c + x).reshape(shape), ind=len(left)), x)
    b = leaf(tuple(left), seed + 1)
    check(backend_name, lambda x, b: linalg.tensorsolve((c + x).reshape(shape), b), x, b)
    check(backend_name, lambda x, b: linalg.tensorsolve((c + x).reshape(shape).movedim(-1, 0), b, dims=(0,)), x, b)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, n=sizes, extra=st.integers(0, 2), k=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_householder_product(backend_name, batch, n, extra, k, seed):
    k = min(k, n)
    a, tau = leaf(batch + (n + extra, n), seed), leaf(batch + (k,), seed + 1)
    check(backend_name, linalg.householder_product, a, tau)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2)])
def test_second_derivatives(backend_name, shape):
    """create_graph=True differentiates the recorded backwards of the triangular solve and the LU factor."""
    c, x = spread((), *shape, reversed_rows=True), small(shape, 5)
    k = min(shape)
    b = leaf((k, 2), 6)
    with fastgrad.backend(backend_name):
        assert fastgrad.autograd.gradgradcheck(lambda x: linalg.lu_factor(c + x).LU, (x,))
        square = spread((), k, k) + small((k, k), 7)
        assert fastgrad.autograd.gradgradcheck(lambda a, b: linalg.solve_triangular(a, b, upper=False), (square, b))
        assert fastgrad.autograd.gradgradcheck(
            lambda a, b: linalg.solve_triangular(a, b.mT, upper=True, left=False, unitriangular=True), (square, b))


def test_changing_the_factor_in_place_before_backward_raises():
    """The LU factor is what its backward reads: a change to it in place would give a wrong gradient."""
    x = leaf((3, 3), 8)
    factor = linalg.lu_factor(spread((), 3, 3) + x).LU
    factor.add_(1.0)
    with pytest.raises(RuntimeError, match=r"LuFactor output\) was modified by an in-place operation"):
        factor.sum().backward()

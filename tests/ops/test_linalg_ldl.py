"""linalg.ldl_factor, ldl_factor_ex and ldl_solve: solves of symmetric indefinite systems (hypothesis shapes and
batches, 1x1 and 2x2 pivots), the pivots' format, singular D, no derivative (backward raises, as PyTorch's) and
the argument checks."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad import linalg
from fastgrad.ops.linalg_ldl import check_pivots

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def symmetric(shape, seed, diagonal=0.0):
    a = np.random.default_rng(seed).normal(size=shape)
    return a + np.swapaxes(a, -1, -2) + diagonal * np.eye(shape[-1])


@SETTINGS
@given(batch=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), n=st.integers(1, 7), k=st.integers(1, 3),
       zero_diagonal=st.booleans(), seed=st.integers(0, 2**16))
def test_solves_symmetric_systems(batch, n, k, zero_diagonal, seed):
    a = symmetric(tuple(batch) + (n, n), seed)
    if zero_diagonal:  # (forces 2x2 pivots)
        a = a - np.eye(n) * np.diagonal(a, axis1=-2, axis2=-1)[..., None]
    b = np.random.default_rng(seed + 1).normal(size=tuple(batch) + (n, k))
    LD, pivots, info = linalg.ldl_factor_ex(fastgrad.tensor(a))
    assert LD.shape == a.shape and pivots.dtype == fastgrad.int32 and pivots.shape == a.shape[:-1]
    assert check_pivots(pivots.numpy(), n) is None
    assert np.array_equal(np.triu(LD.numpy(), 1), np.zeros_like(a))
    if info.numpy().any():
        return
    x = linalg.ldl_solve(LD, pivots, fastgrad.tensor(b)).numpy()
    np.testing.assert_allclose(a @ x, b, atol=1e-8 * max(1.0, np.abs(x).max()))


def test_only_the_lower_triangle_is_read():
    a = symmetric((4, 4), 3)
    scrambled = a + np.triu(np.random.default_rng(4).normal(size=(4, 4)), 1)
    np.testing.assert_array_equal(linalg.ldl_factor(fastgrad.tensor(scrambled)).LD.numpy(),
                                  linalg.ldl_factor(fastgrad.tensor(a)).LD.numpy())


def test_a_two_by_two_pivot_in_lapacks_format():
    a = fastgrad.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]], dtype=fastgrad.float64)
    LD, pivots = linalg.ldl_factor(a)
    np.testing.assert_array_equal(pivots.numpy(), [-3, -3, 3])
    np.testing.assert_allclose(LD.numpy(), [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [1.5, 0.5, -3.0]])


def test_batch_dims_of_b_broadcast():
    a, b = symmetric((2, 1, 3, 3), 5, diagonal=6.0), np.random.default_rng(6).normal(size=(4, 3, 2))
    LD, pivots = linalg.ldl_factor(fastgrad.tensor(a))
    x = linalg.ldl_solve(LD, pivots.long(), fastgrad.tensor(b)).numpy()
    assert x.shape == (2, 4, 3, 2)
    np.testing.assert_allclose(a @ x, np.broadcast_to(b, x.shape), atol=1e-10)


def test_singular_d():
    zero = fastgrad.zeros(2, 3, 3)
    LD, pivots, info = linalg.ldl_factor_ex(zero)
    np.testing.assert_array_equal(info.numpy(), [1, 1])
    np.testing.assert_array_equal(pivots.numpy(), [[1, 2, 3]] * 2)
    for call in (lambda: linalg.ldl_factor(zero), lambda: linalg.ldl_factor_ex(zero, check_errors=True)):
        with pytest.raises(linalg.LinAlgError, match=r"\(Batch element 0\): D\[1,1\] is exactly zero"):
            call()


def test_no_derivative():
    a = fastgrad.tensor(symmetric((3, 3), 7, 6.0), requires_grad=True)
    LD, pivots = linalg.ldl_factor(a)
    assert LD.requires_grad and not pivots.requires_grad
    with pytest.raises(RuntimeError, match="the derivative for linalg.ldl_factor is not implemented"):
        LD.sum().backward()
    b = fastgrad.ones(3, 1, dtype=fastgrad.float64, requires_grad=True)
    x = linalg.ldl_solve(LD.detach(), pivots, b)
    with pytest.raises(RuntimeError, match="the derivative for linalg.ldl_solve is not implemented"):
        x.sum().backward()
    with fastgrad.no_grad():
        assert not linalg.ldl_factor(a).LD.requires_grad


@pytest.mark.parametrize("call, error, message", [
    (lambda: linalg.ldl_factor(fastgrad.ones(2, 3)), RuntimeError, "input must be square matrices, got 2 by 3"),
    (lambda: linalg.ldl_factor(fastgrad.ones(3)), RuntimeError, "at least 2 dims"),
    (lambda: linalg.ldl_factor(fastgrad.ones(2, 2).long()), RuntimeError, "floating point tensor"),
    (lambda: linalg.ldl_solve(fastgrad.eye(2), fastgrad.tensor([1, 2], dtype=fastgrad.int32), fastgrad.ones(3, 1)),
     RuntimeError, r"incompatible shapes of A and B .*2x2 and 3x1"),
    (lambda: linalg.ldl_solve(fastgrad.eye(2), fastgrad.tensor([1, 2], dtype=fastgrad.int32), fastgrad.ones(2)),
     RuntimeError, "B must have at least 2 dims"),
    (lambda: linalg.ldl_solve(fastgrad.eye(2), fastgrad.tensor([1, 2], dtype=fastgrad.int32),
                              fastgrad.ones(2, 1, dtype=fastgrad.float64)), RuntimeError, "same dtype"),
    (lambda: linalg.ldl_solve(fastgrad.eye(2), fastgrad.tensor([1.0, 2.0]), fastgrad.ones(2, 1)), TypeError,
     "pivots must be an int32"),
    (lambda: linalg.ldl_solve(fastgrad.eye(2), fastgrad.tensor([1], dtype=fastgrad.int32), fastgrad.ones(2, 1)),
     ValueError, r"pivots must have shape LD.shape\[:-1\] = \(2,\), got \(1,\)"),
    (lambda: linalg.ldl_solve(fastgrad.eye(2), fastgrad.tensor([0, 2], dtype=fastgrad.int32), fastgrad.ones(2, 1)),
     ValueError, r"each pivot must be in \[1, 2\] or \[-2, -1\]"),
    (lambda: linalg.ldl_solve(fastgrad.eye(2), fastgrad.tensor([1, -2], dtype=fastgrad.int32), fastgrad.ones(2, 1)),
     ValueError, "a negative pivot must come in a pair"),
], ids=["not square", "vector", "long", "b rows", "b vector", "b dtype", "float pivots", "pivots shape",
        "pivot range", "unpaired pivot"])
def test_bad_arguments_name_themselves(call, error, message):
    with pytest.raises(error, match=message):
        call()

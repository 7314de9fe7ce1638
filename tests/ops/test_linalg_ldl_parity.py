"""linalg.ldl_factor, ldl_factor_ex and ldl_solve against PyTorch (LAPACK's sytrf and sytrs): the same pivots and
info exactly, LD and the solutions to rounding, dtypes and shapes, results requiring grad with a raising
backward, and the errors of bad arguments."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(batch=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), n=st.integers(0, 8),
       kind=st.sampled_from(["random", "zero diagonal", "integers", "zero row"]),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 2**16))
def test_factor_matches_torch(batch, n, kind, dtype, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=tuple(batch) + (n, n))
    if kind == "integers":  # (ties in the pivot choice)
        a = a.round()
    a = np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)
    if kind == "zero diagonal":
        a = a - np.eye(n) * np.diagonal(a, axis1=-2, axis2=-1)[..., None]
    if kind == "zero row" and n:
        row = int(rng.integers(0, n))
        a[..., row, :] = a[..., :, row] = 0
    # (a rounded matrix that is singular only where its arithmetic is exact: whether a pivot comes out exactly 0, and
    # so info and the columns after it, follows the order of LAPACK's rounding, e.g. 2.2e-16 there and 0 here)
    assume(not (kind == "integers" and n and np.linalg.cond(a).max() > 1e12))
    a = a.astype(dtype)
    ours, theirs = fastgrad.linalg.ldl_factor_ex(fastgrad.tensor(a)), torch.linalg.ldl_factor_ex(torch.tensor(a))
    np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    assert ours.pivots.dtype == fastgrad.int32 and ours.info.dtype == fastgrad.int32
    assert ours.LD.dtype == getattr(fastgrad, dtype) and tuple(ours.LD.shape) == tuple(theirs.LD.shape)
    tolerance = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.LD.numpy(), theirs.LD.numpy(), **tolerance)
    if not theirs.info.any():
        b = rng.normal(size=tuple(batch) + (n, 2)).astype(dtype)
        x = fastgrad.linalg.ldl_solve(ours.LD, ours.pivots, fastgrad.tensor(b)).numpy()
        expected = torch.linalg.ldl_solve(theirs.LD, theirs.pivots, torch.tensor(b)).numpy()
        scale = max(1.0, float(np.abs(expected).max(initial=0)))
        np.testing.assert_allclose(x, expected, atol=(1e-3 if dtype == "float32" else 1e-9) * scale)


def test_larger_matrices_have_lapacks_pivots():
    """PyTorch's sytrf is blocked past 64 columns, with its own rounding: the pivots still agree."""
    a = np.random.default_rng(0).normal(size=(100, 100))
    a = a + a.T
    ours, theirs = fastgrad.linalg.ldl_factor(fastgrad.tensor(a)), torch.linalg.ldl_factor(torch.tensor(a))
    np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
    np.testing.assert_allclose(ours.LD.numpy(), theirs.LD.numpy(), atol=1e-10)


@pytest.mark.parametrize("a_shape, b_shape", [((3, 3), (4, 3, 2)), ((2, 3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1))])
def test_keywords_and_broadcasting_match_torch(a_shape, b_shape):
    """(PyTorch 2.13 crashes, a segmentation fault, when both batch shapes need broadcasting, (2, 1) with (4,):
    test_linalg_ldl.py checks fastgrad's solve there.)"""
    a = np.random.default_rng(1).normal(size=a_shape)
    a = a + np.swapaxes(a, -1, -2)
    b = np.random.default_rng(2).normal(size=b_shape)
    results = []
    for lib in (fastgrad, torch):
        LD, pivots = lib.linalg.ldl_factor(input=lib.tensor(a), hermitian=True)
        results.append(lib.linalg.ldl_solve(LD=LD, pivots=pivots.long(), B=lib.tensor(b), hermitian=False).numpy())
    assert results[0].shape == results[1].shape
    np.testing.assert_allclose(*results, atol=1e-9)


def test_results_require_grad_with_a_raising_backward_as_torchs():
    for lib in (fastgrad, torch):
        a = lib.tensor([[2.0, 1.0], [1.0, -3.0]], requires_grad=True)
        LD, pivots = lib.linalg.ldl_factor(a)
        assert LD.requires_grad and not pivots.requires_grad
        with pytest.raises(RuntimeError, match="derivative"):
            LD.sum().backward()
        x = lib.linalg.ldl_solve(LD.detach(), pivots, lib.ones(2, 1, requires_grad=True))
        assert x.requires_grad
        with pytest.raises(RuntimeError, match="derivative"):
            x.sum().backward()


@pytest.mark.parametrize("call", [
    lambda lib: lib.linalg.ldl_factor(lib.ones(2, 3)), lambda lib: lib.linalg.ldl_factor(lib.ones(2, 2).long()),
    lambda lib: lib.linalg.ldl_factor(lib.zeros(3, 3)),
    lambda lib: lib.linalg.ldl_factor_ex(lib.zeros(3, 3), check_errors=True),
    lambda lib: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(lib.eye(3))[:2], lib.ones(2, 1)),
    lambda lib: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(lib.eye(3))[:2], lib.ones(3, 1, dtype=lib.float64)),
    lambda lib: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(lib.eye(3))[:2], lib.ones(3)),
], ids=["not square", "long", "singular", "singular checked", "b rows", "b dtype", "b vector"])
def test_both_refuse(call):
    with pytest.raises((RuntimeError, TypeError, IndexError)) as theirs:
        call(torch)
    # (PyTorch's IndexError for a vector B is its internal "Dimension out of range"; fastgrad's RuntimeError says
    # that B must be a matrix)
    expected = RuntimeError if theirs.type is IndexError else theirs.type
    with pytest.raises(expected):
        call(fastgrad)

"""fastgrad's top-level lu, lu_solve, lu_unpack and triangular_solve against PyTorch's."""
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def matrices(shape, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, shape)


@pytest.fixture
def same(same_as_torch):
    return same_as_torch


@pytest.fixture(autouse=True)
def quiet_deprecations():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
@pytest.mark.parametrize("get_infos", [False, True])
def test_lu_matches_torch(shape, get_infos, same):
    same(lambda m, a: m.lu(a, get_infos=get_infos), matrices(shape))


def test_lu_of_a_singular_matrix_does_not_raise_as_torch():
    for lib in (fastgrad, torch):
        factor, pivots = lib.lu(lib.zeros(2, 2))
        assert factor.tolist() == [[0, 0], [0, 0]] and pivots.tolist() == [1, 2]


@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3, 2)), ((2, 4, 4), (4, 1)), ((4, 4), (2, 4, 3))])
def test_lu_solve_matches_torch(a_shape, b_shape, same):
    same(lambda m, a, b: m.lu_solve(b, *m.linalg.lu_factor(a)), matrices(a_shape), matrices(b_shape, 1))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (3, 5), (5, 3)])
@pytest.mark.parametrize("unpack_data", [True, False])
@pytest.mark.parametrize("unpack_pivots", [True, False])
def test_lu_unpack_matches_torch(shape, unpack_data, unpack_pivots, same):
    # (PyTorch 2.13's backward through its empty L and U fails: values only there)
    same(lambda m, a: tuple(m.lu_unpack(*m.linalg.lu_factor(a), unpack_data, unpack_pivots)), matrices(shape),
         grad=unpack_data)


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [True, False])
@pytest.mark.parametrize("unitriangular", [True, False])
def test_triangular_solve_matches_torch(upper, transpose, unitriangular, same):
    a = matrices((2, 3, 3)) + 4 * np.eye(3)
    same(lambda m, b, a: tuple(m.triangular_solve(b, a, upper, transpose, unitriangular)), matrices((3, 2), 1), a)


@pytest.mark.parametrize("call", [lambda m, a: m.lu(a), lambda m, a: m.lu_solve(a[:, :1], *m.linalg.lu_factor(a)),
                                  lambda m, a: m.triangular_solve(a[:, :1], a)], ids=["lu", "lu_solve", "triangular_solve"])
def test_deprecated_forms_warn_as_torch(call):
    """(PyTorch warns once per process, so its warning cannot be watched here once another test has called it.)"""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(fastgrad, fastgrad.eye(3, dtype=fastgrad.float64))
    assert [w.category for w in caught] == [UserWarning] and caught[0].filename == __file__
    assert "is deprecated in favor of fastgrad.linalg." in str(caught[0].message)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fastgrad.lu_unpack(*fastgrad.linalg.lu_factor(fastgrad.eye(3)))  # not deprecated
    assert not caught


def test_lu_unpack_refuses_bad_pivots_as_torch():
    for lib in (fastgrad, torch):
        factor, pivots = lib.linalg.lu_factor(lib.eye(3))
        for bad in (pivots.long(), pivots * 0, pivots + 5):
            with pytest.raises((RuntimeError, ValueError, TypeError)):
                lib.lu_unpack(factor, bad)
    # too few pivots: PyTorch 2.13 applies those it has; fastgrad asks for one per row, as lu_factor gives
    factor, pivots = fastgrad.linalg.lu_factor(fastgrad.eye(3))
    with pytest.raises(ValueError, match=r"lu_unpack: pivots must have shape \(3,\)"):
        fastgrad.lu_unpack(factor, pivots[:2])

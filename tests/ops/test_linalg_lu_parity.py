"""fastgrad.linalg's triangular solves, LU factorizations, checked variants, cond, tensorinv, tensorsolve and
householder_product against PyTorch: values, dtypes, info outputs, gradients and errors."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

FLOATS = [np.float32, np.float64]
INF = float("inf")


def well_conditioned(shape, dtype, seed=0, reversed_rows=False):
    """Uniform entries plus a spread diagonal (rows reversed if asked, so that LU pivots)."""
    a = np.random.default_rng(seed).uniform(-1, 1, shape)
    k = min(shape[-2:])
    a[..., range(k), range(k)] += k + np.arange(k)
    return (a[..., ::-1, :] if reversed_rows else a).astype(dtype)


def uniform(shape, dtype, seed=1):
    return np.random.default_rng(seed).uniform(-2, 2, shape).astype(dtype)


@pytest.fixture
def same(same_as_torch):
    return same_as_torch


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3, 2)), ((2, 4, 4), (4, 1)), ((4, 4), (2, 1, 4, 3)),
                                             ((1, 1), (1, 1)), ((3, 3), (3, 0))])
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [True, False])
def test_solve_triangular_matches_torch(dtype, a_shape, b_shape, upper, left, unitriangular, same):
    b = uniform(b_shape, dtype)
    same(lambda m, a, b: m.linalg.solve_triangular(a, b if left else b.mT, upper=upper, left=left,
                                                   unitriangular=unitriangular), well_conditioned(a_shape, dtype), b)


def test_solve_triangular_with_a_zero_on_the_diagonal_gives_torchs_inf_and_nan():
    a, b = np.array([[0.0, 1.0], [0.0, 2.0]]), np.ones((2, 1))
    for upper in (True, False):
        ours = fastgrad.linalg.solve_triangular(fastgrad.tensor(a), fastgrad.tensor(b), upper=upper).numpy()
        theirs = torch.linalg.solve_triangular(torch.tensor(a), torch.tensor(b), upper=upper).numpy()
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (3, 5), (5, 3), (2, 1, 2, 4), (1, 1)])
@pytest.mark.parametrize("reversed_rows", [False, True])
def test_lu_factorizations_match_torch(dtype, shape, reversed_rows, same):
    a = well_conditioned(shape, dtype, reversed_rows=reversed_rows)
    same(lambda m, a: tuple(m.linalg.lu_factor(a)), a)
    same(lambda m, a: tuple(m.linalg.lu_factor_ex(a)), a)
    same(lambda m, a: tuple(m.linalg.lu(a)), a)


EMPTY_CALLS = {
    "lu_factor": lambda m, a: tuple(m.linalg.lu_factor(a)), "lu": lambda m, a: tuple(m.linalg.lu(a)),
    "lu_solve": lambda m, a: m.linalg.lu_solve(*m.linalg.lu_factor(a[..., :0, :0]), a[..., :0, :2]),
    "solve_triangular": lambda m, a: m.linalg.solve_triangular(a[..., :0, :0], a[..., :0, :], upper=True),
    "householder_product": lambda m, a: m.linalg.householder_product(a, a.sum(-1)[..., :0]),
}


@pytest.mark.parametrize("name", EMPTY_CALLS)
@pytest.mark.parametrize("shape", [(0, 0), (3, 0), (0, 3), (2, 0, 3), (0, 3, 3)])
def test_empty_matrices_match_torch(name, shape, same):
    if name == "householder_product" and shape[-2] < shape[-1]:
        pytest.skip("householder_product needs as many rows as columns")
    same(EMPTY_CALLS[name], np.zeros(shape), grad=False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_lu_of_random_matrices_pivots_as_torch(dtype, same):
    """Uniform entries, no dominant diagonal: every step chooses its pivot."""
    same(lambda m, a: tuple(m.linalg.lu_factor(a)), uniform((4, 6, 6), dtype), grad=False)
    same(lambda m, a: tuple(m.linalg.lu(a)), uniform((3, 5, 4), dtype), grad=False)


def test_lu_of_singular_matrices_reports_torchs_info():
    a = np.stack([np.eye(3), np.zeros((3, 3)), [[1, 2, 3], [2, 4, 6], [1, 0, 1]], [[0, 1, 0], [0, 2, 0], [0, 0, 1]]])
    ours, theirs = fastgrad.linalg.lu_factor_ex(fastgrad.tensor(a)), torch.linalg.lu_factor_ex(torch.tensor(a))
    for x, y in zip(ours, theirs):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-15)
        assert str(x.dtype) == str(y.dtype).removeprefix("torch.")
    for mine, reference in zip(fastgrad.linalg.lu(fastgrad.tensor(a)), torch.linalg.lu(torch.tensor(a))):
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), atol=1e-15)


@pytest.mark.parametrize("call", [lambda m, a: m.linalg.lu_factor(a), lambda m, a: m.linalg.lu_factor_ex(
    a, check_errors=True)], ids=["lu_factor", "lu_factor_ex"])
@pytest.mark.parametrize("batched", [False, True])
def test_a_zero_pivot_raises_as_in_torch(call, batched):
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    a = np.stack([np.eye(2), singular]) if batched else singular
    with pytest.raises(RuntimeError) as expected:
        call(torch, torch.tensor(a))
    with pytest.raises(fastgrad.linalg.LinAlgError) as got:
        call(fastgrad, fastgrad.tensor(a))
    assert str(got.value) == str(expected.value).replace("torch.linalg.", "linalg.")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3, 2)), ((2, 4, 4), (4, 1)), ((4, 4), (2, 1, 4, 3))])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
def test_lu_solve_matches_torch(dtype, a_shape, b_shape, left, adjoint, same):
    b = uniform(b_shape, dtype)
    same(lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b if left else b.mT, left=left, adjoint=adjoint),
         well_conditioned(a_shape, dtype, reversed_rows=True), b)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3, 2)), ((2, 4, 4), (4,)), ((2, 4, 4), (2, 4)),
                                             ((4, 4), (2, 1, 4, 3))])
@pytest.mark.parametrize("left", [True, False])
def test_solve_ex_matches_torch(dtype, a_shape, b_shape, left, same):
    if not left and len(b_shape) < len(a_shape):
        pytest.skip("vectors need left=True")
    b = uniform(b_shape, dtype)
    same(lambda m, a, b: tuple(m.linalg.solve_ex(a, b if left or b.ndim < 2 else b.mT, left=left)),
         well_conditioned(a_shape, dtype), b)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_ex_matches_torch(dtype, shape, upper, same):
    a = well_conditioned(shape, dtype)
    spd = (a @ np.swapaxes(a, -1, -2) + np.eye(shape[-1])).astype(dtype)
    same(lambda m, a: tuple(m.linalg.cholesky_ex(a, upper=upper)), spd)


def test_singular_and_indefinite_matrices_give_torchs_info_and_nan_results():
    a = np.stack([2 * np.eye(3), np.zeros((3, 3)), [[1, 2, 3], [2, 4, 6], [1, 0, 1]], -np.eye(3),
                  [[1, 0, 0], [0, 1, 2], [0, 2, 1]]])
    ours, theirs = fastgrad.linalg.solve_ex(fastgrad.tensor(a), fastgrad.ones(3, dtype=fastgrad.float64)), \
        torch.linalg.solve_ex(torch.tensor(a), torch.ones(3, dtype=torch.float64))
    for mine, reference in ((ours, theirs), (fastgrad.linalg.cholesky_ex(fastgrad.tensor(a)),
                                             torch.linalg.cholesky_ex(torch.tensor(a)))):
        np.testing.assert_array_equal(mine[1].numpy(), reference[1].numpy())
        assert mine[1].dtype == np.int32
        usable = reference[1].numpy() == 0
        np.testing.assert_allclose(mine[0].numpy()[usable], reference[0].numpy()[usable])
        assert np.isnan(mine[0].numpy()[~usable]).all()  # no plausible numbers where LAPACK gave up


@pytest.mark.parametrize("call", [
    lambda m, a: m.linalg.solve_ex(a, a[..., :1], check_errors=True),
    lambda m, a: m.linalg.cholesky_ex(a, check_errors=True), lambda m, a: m.linalg.cholesky_ex(a, upper=True,
                                                                                               check_errors=True),
], ids=["solve_ex", "cholesky_ex", "cholesky_ex_upper"])
@pytest.mark.parametrize("batched", [False, True])
def test_check_errors_raises_torchs_linalg_errors(call, batched):
    bad = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    a = np.stack([np.eye(3), bad]) if batched else bad
    with pytest.raises(torch.linalg.LinAlgError) as expected:
        call(torch, torch.tensor(a))
    with pytest.raises(fastgrad.linalg.LinAlgError) as got:
        call(fastgrad, fastgrad.tensor(a))
    assert str(got.value) == str(expected.value).replace("torch.linalg.", "linalg.")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", INF, -INF, 1, -1])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (3, 5), (5, 2)])
def test_cond_matches_torch(dtype, p, shape, same):
    if shape[-1] != shape[-2] and p not in (None, 2, -2):
        for lib in (fastgrad, torch):
            with pytest.raises((RuntimeError, ValueError), match="square"):
                lib.linalg.cond(lib.tensor(well_conditioned(shape, dtype)), p)
        return
    # (PyTorch 2.13's backward of the norms of the inverse fails on its own in-place update: values only there)
    same(lambda m, a: m.linalg.cond(a, p), well_conditioned(shape, dtype), grad=p in (None, 2, -2, "nuc"))


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", INF, -INF, 1, -1])
def test_cond_of_singular_zero_and_empty_matrices_matches_torch(p):
    cases = [np.array([[1.0, 2.0], [2.0, 4.0]]), np.zeros((2, 2)), np.zeros((2, 0, 0)), np.zeros((0, 3, 3))]
    for a in cases:
        ours, theirs = fastgrad.linalg.cond(fastgrad.tensor(a), p), torch.linalg.cond(torch.tensor(a), p)
        assert ours.shape == tuple(theirs.shape)
        if a.size and a.any() and p in (None, 2, -2, "nuc"):
            # the singular values' ratio of a singular matrix is rounding noise (1e16 or so, its inverse 1e-17), which
            # differs between SVD kernels: both must only be that large (that small)
            for value in (ours.item(), theirs.item()):
                assert value <= 1e-15 if p == -2 else value >= 1e15
            continue
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_cond_refuses_bad_norms_and_vectors_as_torch():
    for p in (3, "nope"):
        for lib in (fastgrad, torch):
            with pytest.raises((RuntimeError, ValueError)):
                lib.linalg.cond(lib.eye(3), p)
    with pytest.raises(ValueError, match="linalg.cond: got an invalid norm type 3"):
        fastgrad.linalg.cond(fastgrad.eye(3), 3)
    with pytest.raises(ValueError, match="linalg.cond: got an invalid norm type True"):
        fastgrad.linalg.cond(fastgrad.eye(3), True)  # a flag where a number goes, as matrix_norm (PyTorch's takes 1)
    for lib in (fastgrad, torch):
        with pytest.raises((RuntimeError, ValueError), match="2 dim"):
            lib.linalg.cond(lib.ones(3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,ind", [((6, 2, 3), 1), ((2, 3, 6), 2), ((2, 2, 2, 2), 2), ((4, 4), 1)])
def test_tensorinv_matches_torch(dtype, shape, ind, same):
    n = int(np.prod(shape[:ind]))
    same(lambda m, a: m.linalg.tensorinv(a, ind), well_conditioned((n, n), dtype).reshape(shape))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("a_shape,b_shape,dims", [((2, 3, 6), (2, 3), None), ((6, 2, 3), (2, 3), (0,)),
                                                  ((2, 3, 2, 3), (2, 3), None), ((2, 3, 6), (3, 2), None),
                                                  ((3, 2, 2, 3), (2, 3), (0, 1))])
def test_tensorsolve_matches_torch(dtype, a_shape, b_shape, dims, same):
    n = int(np.prod(b_shape))
    a = well_conditioned((n, n), dtype)
    if dims is not None:  # the dims to move to the end come first in A's layout here
        a = a.T
    same(lambda m, a, b: m.linalg.tensorsolve(a, b, dims), a.reshape(a_shape), uniform(b_shape, dtype))


@pytest.mark.parametrize("call", [
    lambda m: m.linalg.tensorinv(m.zeros(4, 6, 8, 2), ind=2), lambda m: m.linalg.tensorinv(m.eye(4), ind=0),
    lambda m: m.linalg.tensorsolve(m.zeros(2, 3, 5), m.zeros(2, 3)),
    lambda m: m.linalg.tensorsolve(m.zeros(2, 3, 6), m.zeros(2, 3, dtype=m.float64)),
], ids=["tensorinv_shape", "tensorinv_ind", "tensorsolve_shape", "tensorsolve_dtype"])
def test_tensor_function_errors_as_torch(call):
    for lib in (fastgrad, torch):
        with pytest.raises((RuntimeError, ValueError)):
            call(lib)


def test_singular_tensorinv_and_tensorsolve_raise_linalg_errors_as_torch():
    for lib in (fastgrad, torch):
        with pytest.raises(lib.linalg.LinAlgError):
            lib.linalg.tensorinv(lib.zeros(2, 2, 2, 2))
        with pytest.raises(lib.linalg.LinAlgError):
            lib.linalg.tensorsolve(lib.zeros(2, 3, 6), lib.ones(2, 3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,k", [((4, 3), 2), ((4, 3), 3), ((3, 3), 3), ((2, 5, 2), 1), ((4, 3), 0)])
def test_householder_product_matches_torch(dtype, shape, k, same):
    same(lambda m, a, tau: m.linalg.householder_product(a, tau), uniform(shape, dtype),
         uniform(shape[:-2] + (k,), dtype, seed=2))


def test_householder_product_of_geqrf_is_qr_q():
    a = torch.tensor(uniform((5, 3), np.float64))
    reflectors, tau = torch.geqrf(a)
    ours = fastgrad.linalg.householder_product(fastgrad.tensor(reflectors.numpy()), fastgrad.tensor(tau.numpy()))
    np.testing.assert_allclose(ours.numpy(), torch.linalg.qr(a).Q.numpy(), atol=1e-12)


@pytest.mark.parametrize("a_shape,tau_shape", [((3, 4), (2,)), ((4, 3), (4,)), ((2, 4, 3), (2,)), ((2, 4, 3), (1, 2)),
                                               ((4,), (2,))])
def test_householder_product_errors_as_torch(a_shape, tau_shape):
    for lib in (fastgrad, torch):
        with pytest.raises((RuntimeError, ValueError)):
            lib.linalg.householder_product(lib.zeros(*a_shape), lib.zeros(*tau_shape))
    with pytest.raises((RuntimeError, TypeError)):
        torch.linalg.householder_product(torch.zeros(4, 3), torch.zeros(2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="same dtype"):
        fastgrad.linalg.householder_product(fastgrad.zeros(4, 3), fastgrad.zeros(2, dtype=fastgrad.float64))


@pytest.mark.parametrize("call", [
    lambda m: m.linalg.solve_triangular(m.eye(3), m.ones(3), upper=True),
    lambda m: m.linalg.solve_triangular(m.eye(3), m.ones(4, 2), upper=True),
    lambda m: m.linalg.solve_triangular(m.ones(3, 4), m.ones(3, 2), upper=True),
    lambda m: m.linalg.solve_triangular(m.eye(3), m.ones(2, 3), upper=True),
    lambda m: m.linalg.solve_triangular(m.eye(3, dtype=m.int32), m.ones(3, 2, dtype=m.int32), upper=True),
    lambda m: m.linalg.lu_factor(m.ones(3)), lambda m: m.linalg.lu_factor(m.eye(3), pivot=False),
    lambda m: m.linalg.lu(m.eye(3), pivot=False), lambda m: m.linalg.lu_factor(m.eye(3, dtype=m.int32)),
    lambda m: m.linalg.lu_solve(*m.linalg.lu_factor(m.eye(3)), m.ones(3)),
    lambda m: m.linalg.lu_solve(*m.linalg.lu_factor(m.eye(3)), m.ones(4, 2)),
    lambda m: m.linalg.lu_solve(m.linalg.lu_factor(m.eye(3))[0], m.linalg.lu_factor(m.eye(3))[1].long(), m.ones(3, 2)),
    lambda m: m.linalg.lu_solve(m.linalg.lu_factor(m.eye(3))[0], m.linalg.lu_factor(m.eye(3))[1][:2], m.ones(3, 2)),
    lambda m: m.linalg.lu_solve(m.linalg.lu_factor(m.eye(3))[0], m.linalg.lu_factor(m.eye(3))[1] * 0, m.ones(3, 2)),
    lambda m: m.linalg.lu_solve(m.linalg.lu_factor(m.eye(3))[0], m.linalg.lu_factor(m.eye(3))[1] + 5, m.ones(3, 2)),
    lambda m: m.linalg.lu_solve(*m.linalg.lu_factor(m.ones(3, 2)), m.ones(3, 2)),
    lambda m: m.linalg.cholesky_ex(m.ones(3, 4)), lambda m: m.linalg.solve_ex(m.eye(3), m.ones(4)),
], ids=["st_vector", "st_rows", "st_not_square", "st_right_columns", "st_integers", "lu_vector",
        "lu_no_pivot", "lu_P_no_pivot", "lu_integers", "lus_vector", "lus_rows", "lus_int64_pivots", "lus_pivot_count",
        "lus_pivots_below_1", "lus_pivots_above_n", "lus_not_square", "chol_ex_not_square", "solve_ex_rows"])
def test_bad_arguments_raise_as_in_torch(call):
    for lib in (fastgrad, torch):
        with pytest.raises((RuntimeError, ValueError, TypeError, NotImplementedError)):
            call(lib)


def test_solve_triangular_refuses_mixed_dtypes_where_torch_takes_as_dtype():
    """PyTorch 2.13 returns A's dtype, narrowing a float64 B to float32: fastgrad asks for one dtype instead."""
    result = torch.linalg.solve_triangular(torch.eye(2), torch.ones(2, 1, dtype=torch.float64) / 3, upper=True)
    assert result.dtype == torch.float32
    with pytest.raises(RuntimeError, match="linalg.solve_triangular: expected A and B to have the same dtype"):
        fastgrad.linalg.solve_triangular(fastgrad.eye(2), fastgrad.ones(2, 1, dtype=fastgrad.float64), upper=True)


@pytest.mark.parametrize("name", ["eig", "eigvals"])
def test_eig_raises_not_implemented_where_torch_returns_complex(name):
    assert getattr(torch.linalg, name)(torch.eye(2)).dtype.is_complex if name == "eigvals" else \
        torch.linalg.eig(torch.eye(2)).eigenvalues.dtype.is_complex
    with pytest.raises(NotImplementedError, match=f"linalg.{name}: the eigenvalues of a general real matrix are "
                                                  "complex, and fastgrad has no complex dtypes; for symmetric matrices "
                                                  "use linalg.eigh"):
        getattr(fastgrad.linalg, name)(fastgrad.eye(2))

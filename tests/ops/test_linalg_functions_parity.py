"""fastgrad.linalg and the top-level matrix functions against PyTorch: values, dtypes, batch dims, gradients and
errors. Eigenvectors and singular vectors are compared through products that do not depend on their signs."""
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

FLOATS = [np.float32, np.float64]


def well_conditioned(shape, dtype, seed=0):
    """Matrices (square or not) of shape (..., m, n): uniform entries plus k on the diagonal, k = min(m, n),
    so their singular values are spread and away from 0."""
    a = np.random.default_rng(seed).uniform(-1, 1, shape)
    k = min(shape[-2:])
    a[..., range(k), range(k)] += k + np.arange(k)  # distinct diagonal weights: no repeated singular values
    return a.astype(dtype)


def symmetric(shape, dtype, seed=0):
    a = well_conditioned(shape, dtype, seed)
    return ((a + np.swapaxes(a, -1, -2)) / 2).astype(dtype)


def uniform(shape, dtype, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, shape).astype(dtype)


@pytest.fixture
def same(same_as_torch):
    return same_as_torch


def sign_free(vectors, axis):
    """Each singular vector or eigenvector times its first entry: the same whichever sign LAPACK chose."""
    return vectors * (vectors[..., :1, :] if axis == "columns" else vectors[..., :, :1])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 2, 2), (1, 1)])
@pytest.mark.parametrize("call", [
    lambda m, a: m.linalg.inv(a), lambda m, a: m.linalg.det(a), lambda m, a: tuple(m.linalg.slogdet(a)),
    lambda m, a: m.inverse(a), lambda m, a: a.inverse(), lambda m, a: m.det(a), lambda m, a: tuple(a.slogdet()),
    lambda m, a: m.logdet(a), lambda m, a: m.linalg.inv_ex(a).inverse,
    lambda m, a: m.linalg.matrix_power(a, 3), lambda m, a: m.matrix_power(a, -2), lambda m, a: a.matrix_power(1),
    lambda m, a: m.linalg.matrix_power(a, 0), lambda m, a: a.matrix_power(4),
], ids=["inv", "det", "slogdet", "inverse", "inverse_method", "top_det", "slogdet_method", "logdet", "inv_ex",
        "power3", "power_neg2", "power1", "power0", "power4"])
def test_inverses_and_determinants_match_torch(dtype, shape, call, same):
    same(call, well_conditioned(shape, dtype))


def test_logdet_of_negative_and_singular_determinants_matches_torch(same):
    negative = np.array([[0.0, 1.0], [1.0, 0.0]])
    same(lambda m, a: m.logdet(a), negative)  # NaN, and a zero gradient
    same(lambda m, a: m.linalg.det(a), np.zeros((2, 0, 0)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("a_shape,b_shape,left", [
    ((3, 3), (3,), True), ((3, 3), (3, 2), True), ((2, 3, 3), (2, 3), True), ((2, 3, 3), (3, 1), True),
    ((3, 3), (4, 3, 2), True), ((2, 1, 3, 3), (4, 3, 2), True), ((3, 3), (2, 3), False),
    ((2, 3, 3), (5, 1, 4, 3), False),
], ids=["vector", "matrix", "batched_vectors", "broadcast_b", "broadcast_a", "broadcast_both", "right", "right_batch"])
def test_solve_matches_torch(dtype, a_shape, b_shape, left, same):
    same(lambda m, a, b: m.linalg.solve(a, b, left=left), well_conditioned(a_shape, dtype),
         uniform(b_shape, dtype, seed=1))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_matches_torch_and_reads_one_triangle(dtype, shape, upper, same):
    a = symmetric(shape, dtype)
    a[..., 0, -1] += 0.5  # not symmetric: the triangle read decides the factor, in both libraries
    same(lambda m, a: m.linalg.cholesky(a, upper=upper), a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(lambda m, a: m.cholesky(a, upper), symmetric(shape, dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3), (2, 3, 4)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_matches_torch(dtype, shape, mode, same):
    differentiable = mode == "reduced" or (mode == "complete" and shape[-2] <= shape[-1])
    same(lambda m, a: tuple(m.linalg.qr(a, mode)), well_conditioned(shape, dtype), grad=differentiable)


# (rank-deficient in exact arithmetic is not enough: np.ones((3, 2))'s R[1, 1] is exactly 0 with one LAPACK kernel and
# about 1e-16 with another, so these matrices' zero on R's diagonal is exact whatever the kernel)
@pytest.mark.parametrize("a", [np.zeros((3, 3)), np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]),
                               np.array([[1.0, 2.0], [0.0, 0.0]]),
                               np.stack([np.eye(2), np.zeros((2, 2))])])
@pytest.mark.parametrize("which", [0, 1])
def test_qr_gradient_of_a_rank_deficient_matrix_is_inf_or_nan_like_torch(a, which):
    """R has a zero on its diagonal: PyTorch's triangular solve gives inf/NaN (fastgrad raised NumPy's
    unlabelled LinAlgError); the full-rank matrices of a batch keep their finite gradients."""
    grads = []
    for m in (fastgrad, torch):
        x = m.tensor(a, requires_grad=True)
        m.linalg.qr(x)[which].sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(np.isfinite(grads[0]), np.isfinite(grads[1]))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)  # (inf and NaN compare as equal)


def test_qr_without_gradient_raises_like_torch():
    for mode, shape in (("r", (3, 3)), ("complete", (4, 3))):
        a = well_conditioned(shape, np.float64)
        for lib in (fastgrad, torch):
            x = lib.tensor(a, requires_grad=True)
            with pytest.raises(RuntimeError, match="mode='r'|mode='complete'"):
                sum(t.sum() for t in lib.linalg.qr(x, mode) if t.numel()).backward()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (1, 1)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_matches_torch(dtype, shape, uplo, same):
    a = symmetric(shape, dtype)
    a[..., 0, -1] += 0.25  # not symmetric: UPLO decides which triangle is read
    same(lambda m, a: (lambda r: (r.eigenvalues, sign_free(r.eigenvectors, "columns")))(m.linalg.eigh(a, UPLO=uplo)), a)
    same(lambda m, a: m.linalg.eigvalsh(a, uplo), a)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3), (2, 3, 4)])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd_matches_torch(dtype, shape, full_matrices, same):
    k = min(shape[-2:])

    def call(m, a):
        u, s, vh = m.linalg.svd(a, full_matrices=full_matrices)
        # the extra columns of U and rows of Vh (full_matrices) are any basis: compare their span only
        return (sign_free(u[..., :k], "columns"), s, sign_free(vh[..., :k, :], "rows"),
                u[..., k:] @ u[..., k:].mT, vh[..., k:, :].mT @ vh[..., k:, :])

    same(call, well_conditioned(shape, dtype))
    same(lambda m, a: m.linalg.svdvals(a), well_conditioned(shape, dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("some", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4)])
def test_torch_svd_returns_v_like_torch(dtype, some, shape, same):
    k = min(shape[-2:])
    same(lambda m, a: (lambda r: (sign_free(r.U[..., :k], "columns"), r.S, sign_free(r.V[..., :k], "columns")))(
        m.svd(a, some=some)), well_conditioned(shape, dtype))
    same(lambda m, a: tuple(a.svd(compute_uv=False)), well_conditioned(shape, dtype))


def test_singular_value_and_eigenvalue_gradients_exist_for_repeated_values_like_torch(same):
    same(lambda m, a: m.linalg.svdvals(a), np.eye(3))
    same(lambda m, a: m.linalg.eigvalsh(a), 2 * np.eye(3))
    same(lambda m, a: m.linalg.matrix_norm(a, "nuc"), np.eye(2))
    same(lambda m, a: m.linalg.matrix_norm(a, 2), np.eye(2))  # the tie splits the gradient
    same(lambda m, a: m.linalg.pinv(a), 2 * np.eye(2))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("call", [
    lambda m, a: m.linalg.vector_norm(a), lambda m, a: m.linalg.vector_norm(a, 1, -1),
    lambda m, a: m.linalg.vector_norm(a, float("inf"), (0, 2), keepdim=True),
    lambda m, a: m.linalg.vector_norm(a, -float("inf"), 1), lambda m, a: m.linalg.vector_norm(a, 0, 2),
    lambda m, a: m.linalg.vector_norm(a, 3.5, (1, 2)), lambda m, a: m.linalg.vector_norm(a, -1, 0),
    lambda m, a: m.linalg.vector_norm(a, 2, (), keepdim=True),
    lambda m, a: m.linalg.matrix_norm(a), lambda m, a: m.linalg.matrix_norm(a, "nuc"),
    lambda m, a: m.linalg.matrix_norm(a, 2, keepdim=True), lambda m, a: m.linalg.matrix_norm(a, -2),
    lambda m, a: m.linalg.matrix_norm(a, 1), lambda m, a: m.linalg.matrix_norm(a, -1, (2, 0)),
    lambda m, a: m.linalg.matrix_norm(a, float("inf"), (0, 2), keepdim=True),
    lambda m, a: m.linalg.matrix_norm(a, -float("inf")), lambda m, a: m.linalg.matrix_norm(a, "nuc", (2, 0), True),
    lambda m, a: m.linalg.matrix_norm(a, "fro", (0, 1)),
    lambda m, a: m.linalg.norm(a), lambda m, a: m.linalg.norm(a, keepdim=True), lambda m, a: m.linalg.norm(a, 3, 1),
    lambda m, a: m.linalg.norm(a, None, (1, 2)), lambda m, a: m.linalg.norm(a, "nuc", (0, 1)),
    lambda m, a: m.linalg.norm(a, 2, (2, 1)), lambda m, a: m.linalg.norm(a[0], 1), lambda m, a: m.linalg.norm(a[0, 0], 1),
    lambda m, a: m.linalg.norm(a[0], float("inf"), keepdim=True), lambda m, a: m.linalg.norm(a[0, 0], 0),
    lambda m, a: m.linalg.norm(a, dtype=m.float64),
    lambda m, a: m.norm(a), lambda m, a: a.norm(1, (0, 2)), lambda m, a: m.norm(a, "fro", (1, 2)),
    lambda m, a: a.norm(float("inf")),
])
def test_norms_match_torch(dtype, call, same):
    same(call, uniform((2, 3, 4), dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,kwargs", [
    ((4, 3), {}), ((3, 4), {}), ((2, 4, 3), {}), ((4, 4), {"hermitian": True}), ((3, 4), {"rtol": 0.5}),
    ((3, 4), {"atol": 4.0}), ((3, 4), {"atol": 0.1, "rtol": 0.2}),
])
def test_pinv_and_matrix_rank_match_torch(dtype, shape, kwargs, same):
    a = symmetric(shape, dtype) if kwargs.get("hermitian") else well_conditioned(shape, dtype)
    same(lambda m, a: m.linalg.pinv(a, **kwargs), a)
    same(lambda m, a: m.linalg.matrix_rank(a, **kwargs), a)


@pytest.mark.parametrize("kwargs", [
    lambda m: {"atol": m.tensor([0.5, 30.0])}, lambda m: {"atol": m.tensor([[0.5], [3.0]])},
    lambda m: {"atol": m.tensor([0, 3])}, lambda m: {"rtol": m.tensor(0.3)},
    lambda m: {"atol": m.tensor(1.5), "rtol": m.tensor([0.0, 0.9])}, lambda m: {"rtol": m.tensor([[0.05], [0.5]])},
])
def test_tolerances_given_as_tensors_apply_per_matrix_like_torch(kwargs, same):
    """(fastgrad refused tensors here)"""
    a = well_conditioned((2, 3, 4), np.float64)
    same(lambda m, a: m.linalg.matrix_rank(a, **kwargs(m)), a)
    same(lambda m, a: m.linalg.pinv(a, **kwargs(m)), a)


@pytest.mark.parametrize("tol", [0.5, 3.5, 30.0])
def test_matrix_rank_with_the_older_tol_argument_matches_torch(tol, same):
    a = well_conditioned((2, 3, 4), np.float64)
    same(lambda m, a: m.linalg.matrix_rank(a, tol), a)
    same(lambda m, a: m.linalg.matrix_rank(a, tol=tol, hermitian=False), a)
    for m in (fastgrad, torch):
        with pytest.raises(TypeError):
            m.linalg.matrix_rank(m.tensor(a), tol, atol=1.0)
        with pytest.raises(RuntimeError, match="not differentiable"):
            m.linalg.pinv(m.tensor(a), atol=m.tensor([0.5, 1.0], dtype=m.float64, requires_grad=True))


@pytest.mark.parametrize("shape", [(0, 0), (2, 0), (0, 3), (2, 0, 3)])
@pytest.mark.parametrize("ord", [2, 1, float("inf"), -2, -1, float("-inf"), "fro", "nuc"])
def test_norms_of_empty_matrices_match_torch(shape, ord):
    """The largest of no values is 0 for the 2, 1 and inf norms (fastgrad raised); the smallest still raises."""
    results = []
    for m in (fastgrad, torch):
        try:
            results.append(m.linalg.matrix_norm(m.zeros(shape), ord).tolist())
        except (RuntimeError, IndexError) as error:
            results.append(type(error).__name__)
    assert results[0] == results[1]


@pytest.mark.parametrize("dtype", FLOATS)
def test_pinverse_and_rank_deficient_matrices_match_torch(dtype, same):
    low_rank = (uniform((4, 2), dtype) @ uniform((2, 3), dtype, seed=1)).astype(dtype)
    same(lambda m, a: m.linalg.pinv(a), low_rank)
    same(lambda m, a: m.linalg.matrix_rank(a), low_rank)
    same(lambda m, a: m.pinverse(a, rcond=0.1), np.ones((3, 2), dtype))
    same(lambda m, a: a.pinverse(), well_conditioned((2, 3, 4), dtype))


@pytest.mark.parametrize("driver", [None, "gels", "gelsd", "gelss"])
@pytest.mark.parametrize("dtype,a_shape,b_shape", [
    (np.float32, (5, 3), (5, 2)), (np.float32, (2, 5, 3), (2, 5)), (np.float64, (5, 3), (5,)),
    (np.float64, (2, 5, 3), (2, 5)), (np.float64, (1, 5, 3), (4, 5, 2)), (np.float64, (3, 5), (3, 2)),
])  # (float32 rounding of the gradient summed over a broadcast batch exceeds the float32 tolerance)
def test_lstsq_matches_torch(dtype, driver, a_shape, b_shape, same):
    if driver == "gels" and a_shape[-2] < a_shape[-1]:
        return  # PyTorch's gels assumes full column rank; its answer for wide A is not the least-norm one
    same(lambda m, a, b: tuple(m.linalg.lstsq(a, b, driver=driver)), well_conditioned(a_shape, dtype),
         uniform(b_shape, dtype, seed=1))


def test_lstsq_of_a_rank_deficient_matrix_reports_its_rank_like_torch(same):
    same(lambda m, a, b: tuple(m.linalg.lstsq(a, b, driver="gelsd")), np.ones((3, 2)), uniform((3, 1), np.float64))


@pytest.mark.parametrize("driver", ["gels", "gelsd", "gelss"])
def test_lstsq_with_an_rcond_that_drops_singular_values_matches_torch(driver, same):
    # gels ignores rcond (and still reports residuals); gelsd and gelss drop the singular values below it,
    # though PyTorch's gradient is then that of the solution without dropping them: gradients only for gels
    a = well_conditioned((2, 5, 3), np.float64)
    a[..., 2] *= 1e-3  # singular values about 1e-3 times the largest, which rcond=0.01 drops
    same(lambda m, a, b: tuple(m.linalg.lstsq(a, b, rcond=0.01, driver=driver)), a,
         uniform((2, 5, 2), np.float64, seed=1), grad=driver == "gels")


@pytest.mark.parametrize("a_shape,b_shape", [((2, 3), (2,)), ((4, 2, 3), (4, 2)), ((1, 2, 3), (5, 2, 2))])
def test_lstsq_reads_b_as_vectors_or_matrices_like_torch(a_shape, b_shape, same):
    same(lambda m, a, b: tuple(m.linalg.lstsq(a, b, driver="gelsd")), well_conditioned(a_shape, np.float64),
         uniform(b_shape, np.float64, seed=1))


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
@pytest.mark.parametrize("shapes", [[(3,), (3, 4), (4, 2), (2,)], [(2, 3), (3, 4)], [(5, 2), (2, 6), (6, 1), (1, 3)],
                                    [(3,), (3,)], [(3,), (3, 2)]])
def test_multi_dot_and_chain_matmul_match_torch(dtype, shapes, same):
    same(lambda m, *ts: m.linalg.multi_dot(list(ts)), *(uniform(s, dtype, seed=i) for i, s in enumerate(shapes)))
    if all(len(s) == 2 for s in shapes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            same(lambda m, *ts: m.chain_matmul(*ts), *(uniform(s, dtype, seed=i) for i, s in enumerate(shapes)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("call,shapes", [
    (lambda m, a, b: m.linalg.cross(a, b), [(4, 3), (4, 3)]),
    (lambda m, a, b: m.linalg.cross(a, b, dim=0), [(3, 2), (3, 1)]),
    (lambda m, a, b: m.linalg.vecdot(a, b), [(2, 4), (4,)]),
    (lambda m, a, b: m.linalg.vecdot(a, b, dim=0), [(3, 2), (3, 1)]),
    (lambda m, a, b: m.inner(a, b), [(2, 3), (4, 3)]), (lambda m, a, b: a.inner(b), [(3,), (3,)]),
    (lambda m, a, b: m.inner(a, b), [(2, 1, 3), (3,)]), (lambda m, a, b: m.inner(a, b), [(), (2, 3)]),
    (lambda m, a, b: m.vdot(a, b), [(4,), (4,)]),
    (lambda m, a, b: m.linalg.matmul(a, b), [(2, 3, 4), (4,)]),
], ids=["cross", "cross_dim", "vecdot", "vecdot_dim", "inner", "inner_vectors", "inner_batched", "inner_scalar",
        "vdot", "matmul"])
def test_products_match_torch(dtype, call, shapes, same):
    same(call, *(uniform(s, dtype, seed=i) for i, s in enumerate(shapes)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("call,shapes", [
    (lambda m, c, a, b: m.addr(c, a, b), [(2, 3), (2,), (3,)]),
    (lambda m, c, a, b: m.addr(c, a, b, beta=0.5, alpha=-2), [(3,), (2,), (3,)]),
    (lambda m, c, a, b: c.addr(a, b, beta=0), [(1, 3), (2,), (3,)]),
    (lambda m, c, a, b: c.clone().addr_(a, b, alpha=3), [(2, 3), (2,), (3,)]),
])
def test_addr_matches_torch(dtype, call, shapes, same):
    same(call, *(uniform(s, dtype, seed=i) for i, s in enumerate(shapes)))


def test_addr_promotes_and_keeps_integers_like_torch(same):
    # (values only: PyTorch's own backward of a mixed-dtype addr raises)
    same(lambda m, c, a, b: m.addr(c, a, b), uniform((2, 3), np.float32), uniform((2,), np.float64),
         uniform((3,), np.float32), grad=False)
    same(lambda m, c, a, b: m.addr(c, a, b, beta=2, alpha=3), np.ones((2, 3), np.int64), np.arange(2), np.arange(3))


@pytest.mark.parametrize("shapes,dtypes", [
    ([(2, 3), (), (2,), (2, 1)], [np.float32] * 4), ([(2, 2)], [np.float64]),
    ([(2,), (1,)], [np.int64, np.bool_]), ([(2, 3), (1, 2)], [np.float32, np.int64]),
])
def test_block_diag_matches_torch(shapes, dtypes, same):
    same(lambda m, *ts: m.block_diag(*ts),
         *(uniform(s, d, seed=i) if d != np.bool_ else np.ones(s, bool) for i, (s, d) in enumerate(zip(shapes, dtypes))))
    same(lambda m: m.block_diag())


def test_linalg_diagonal_is_tensor_diagonal_on_the_last_dims(same):
    same(lambda m, a: m.linalg.diagonal(a), uniform((2, 3, 4), np.float32))
    same(lambda m, a: m.linalg.diagonal(a, offset=1, dim1=0, dim2=2), uniform((2, 3, 4), np.float64))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape, scale", [((3, 3), 0.1), ((2, 4, 4), 1.0), ((5, 5), 2.0), ((1, 1), 2.0),
                                          ((2, 0, 0), 1.0)])
def test_matrix_exp_matches_torch(same, dtype, shape, scale):
    a = uniform(shape, dtype) * dtype(scale)
    for call in (lambda m, a: m.linalg.matrix_exp(a), lambda m, a: m.matrix_exp(a), lambda m, a: a.matrix_exp()):
        same(call, a)


def test_integer_matrix_power_matches_torch(same):
    same(lambda m, a: m.linalg.matrix_power(a, 3), np.arange(9).reshape(3, 3))
    same(lambda m, a: m.linalg.matrix_power(a, 0), np.arange(8).reshape(2, 2, 2))


@pytest.mark.parametrize("dtype", FLOATS)
def test_inv_ex_reports_zero_pivots_like_torch(dtype):
    a = np.stack([np.eye(3), np.zeros((3, 3)), [[1, 2, 3], [2, 4, 6], [1, 0, 1]], [[0, 1, 0], [1, 0, 0], [0, 0, 1]]])
    ours, theirs = fastgrad.linalg.inv_ex(fastgrad.tensor(a.astype(dtype))), torch.linalg.inv_ex(torch.tensor(a.astype(dtype)))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    assert ours.info.dtype == np.int32
    invertible = theirs.info.numpy() == 0
    np.testing.assert_allclose(ours.inverse.numpy()[invertible], theirs.inverse.numpy()[invertible])
    assert np.isnan(ours.inverse.numpy()[~invertible]).all()  # no plausible numbers for a singular matrix


@pytest.mark.parametrize("call", [
    lambda m, a: m.linalg.inv(a), lambda m, a: m.linalg.solve(a, a[..., 0]), lambda m, a: m.linalg.cholesky(a),
    lambda m, a: m.linalg.inv_ex(a, check_errors=True), lambda m, a: m.linalg.matrix_power(a, -1),
], ids=["inv", "solve", "cholesky", "inv_ex", "matrix_power"])
@pytest.mark.parametrize("batched", [False, True])
def test_singular_and_indefinite_matrices_raise_linalg_errors_like_torch(call, batched):
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    a = np.stack([np.eye(3), singular]) if batched else singular
    with pytest.raises(torch.linalg.LinAlgError) as expected:
        call(torch, torch.tensor(a))
    with pytest.raises(fastgrad.linalg.LinAlgError) as got:
        call(fastgrad, fastgrad.tensor(a))
    assert isinstance(got.value, RuntimeError)
    # PyTorch's message: the batch element, and the zero pivot or the leading minor that is not positive-definite
    assert str(got.value) == str(expected.value).replace("torch.linalg.", "linalg.")


@pytest.mark.parametrize("call", [
    lambda m, a: m.linalg.inv(a), lambda m, a: m.linalg.det(a), lambda m, a: tuple(m.linalg.slogdet(a)),
    lambda m, a: m.linalg.solve(a, m.ones(2, dtype=m.float64)), lambda m, a: m.linalg.eigvalsh(a),
    lambda m, a: m.linalg.inv_ex(a).inverse,
], ids=["inv", "det", "slogdet", "solve", "eigvalsh", "inv_ex"])
def test_nan_matrices_give_nan_like_torch(call):
    a = np.array([[[np.nan, 1.0], [1.0, 1.0]], [[2.0, 1.0], [1.0, 2.0]]])
    got, expected = call(fastgrad, fastgrad.tensor(a)), call(torch, torch.tensor(a))
    for g, e in zip(got if isinstance(got, tuple) else (got,), expected if isinstance(expected, tuple) else (expected,)):
        np.testing.assert_allclose(g.numpy(), e.numpy(), equal_nan=True)


def test_nan_matrices_are_refused_by_cholesky_and_svd_like_torch():
    a = np.array([[np.nan, 1.0], [1.0, 1.0]])
    for call in (lambda m, a: m.linalg.cholesky(a), lambda m, a: m.linalg.svd(a)):
        with pytest.raises(torch.linalg.LinAlgError):
            call(torch, torch.tensor(a))
        with pytest.raises(fastgrad.linalg.LinAlgError):
            call(fastgrad, fastgrad.tensor(a))


def test_deprecated_top_level_functions_warn_like_torch():
    # (PyTorch warns once per process, so whether it still warns here depends on the tests run before)
    a = well_conditioned((3, 3), np.float64)
    for name, call in (("qr", lambda m, a: m.qr(a)), ("cholesky", lambda m, a: m.cholesky(a @ a.T)),
                       ("chain_matmul", lambda m, a: m.chain_matmul(a, a))):
        with pytest.warns(UserWarning, match=f"torch.{name} is deprecated"):
            call(fastgrad, fastgrad.tensor(a))


def test_results_are_namedtuples_with_torchs_fields():
    a = well_conditioned((3, 3), np.float64)
    for call in (lambda m: m.linalg.slogdet(m.tensor(a)), lambda m: m.slogdet(m.tensor(a)),
                 lambda m: m.linalg.eigh(m.tensor(a)), lambda m: m.linalg.svd(m.tensor(a)),
                 lambda m: m.linalg.qr(m.tensor(a)), lambda m: m.linalg.inv_ex(m.tensor(a)),
                 lambda m: m.linalg.lstsq(m.tensor(a), m.tensor(a)), lambda m: m.svd(m.tensor(a))):
        ours, theirs = call(fastgrad), call(torch)
        assert len(ours) == len(theirs) and all(getattr(theirs, field) is theirs[i] for i, field in enumerate(ours._fields))

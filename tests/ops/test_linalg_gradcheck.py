"""gradcheck (float64 central differences) of fastgrad.linalg's functions and the top-level matrix functions,
over hypothesis-generated batch dims and sizes, on every backend. Matrices are a constant with well-separated
singular values (`spread`) plus a small leaf, so they are invertible, positive-definite where needed and free
of repeated eigenvalues and singular values; eigenvectors and singular vectors enter through products that do
not depend on their signs (`sign_free`)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad import linalg
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
batches = array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2)
sizes = st.integers(1, 4)


def spread(batch: tuple, m: int, n: int) -> fastgrad.Tensor:
    """(batch..., m, n) zeros with 2k + 1, ..., 5, 3 on the diagonal (k = min(m, n)): singular values 2 apart."""
    k = min(m, n)
    c = np.zeros(batch + (m, n))
    c[..., range(k), range(k)] = 2.0 * np.arange(k, 0, -1) + 1
    return fastgrad.tensor(c)


def small(shape: tuple, seed: int) -> fastgrad.Tensor:
    """A leaf of entries in [-0.2, 0.2), kept 0.05 from 0 (the kink of |x| in the 1- and inf-norms)."""
    return leaf(shape, seed, -0.2, 0.2, away_from=0.0)


def sign_free(vectors, axis: str = "columns"):
    return vectors * (vectors[..., :1, :] if axis == "columns" else vectors[..., :, :1])


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, n=sizes, seed=st.integers(0, 2**16))
def test_inverses_determinants_and_powers(backend_name, batch, n, seed):
    c, x = spread(batch, n, n), small(batch + (n, n), seed)
    check(backend_name, lambda x: linalg.inv(c + x), x)
    check(backend_name, lambda x: linalg.inv_ex(c + x).inverse, x)
    check(backend_name, lambda x: linalg.det(c + x), x)
    check(backend_name, lambda x: linalg.slogdet(c - x).logabsdet, x)
    check(backend_name, lambda x: fastgrad.logdet(c + x), x)
    for power in (-2, -1, 0, 1, 3):
        check(backend_name, lambda x: linalg.matrix_power(c + x, power), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, n=sizes, seed=st.integers(0, 2**16), scale=st.sampled_from([0.5, 4.0]))
def test_matrix_exp(backend_name, batch, n, seed, scale):
    """Entries up to 8 in size scale the matrix before the Padé approximant (and square after)."""
    x = leaf(batch + (n, n), seed, -scale, scale)
    check(backend_name, linalg.matrix_exp, x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(n=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_det_at_singular_matrices(backend_name, n, seed):
    """det is a polynomial: its gradient, the cofactor matrix, exists at singular matrices too."""
    rows = np.random.default_rng(seed).uniform(-2, 2, (n - 1, n))
    x = fastgrad.tensor(np.vstack([rows, rows[:1] + rows[-1:]]), requires_grad=True)  # rank n - 1
    check(backend_name, linalg.det, x)
    check(backend_name, linalg.det, fastgrad.zeros(n, n, dtype=fastgrad.float64, requires_grad=True))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(a_batch=batches, b_batch=batches, n=sizes, k=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_solve(backend_name, a_batch, b_batch, n, k, seed):
    c, x = spread(a_batch, n, n), small(a_batch + (n, n), seed)
    b = leaf(b_batch + (n, k), seed + 1)
    check(backend_name, lambda x, b: linalg.solve(c + x, b), x, b)
    if b.mT.shape != a_batch + (n,):  # else B.mT is a batch of vectors, which left=False refuses (as PyTorch)
        check(backend_name, lambda x, b: linalg.solve(c + x, b.mT, left=False), x, b)
    vector = leaf((n,), seed + 2)
    check(backend_name, lambda x, v: linalg.solve(c + x, v), x, vector)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, n=sizes, seed=st.integers(0, 2**16))
def test_cholesky(backend_name, batch, n, seed):
    c, x = spread(batch, n, n), leaf(batch + (n, n), seed, -1, 1)
    check(backend_name, lambda x: linalg.cholesky(x @ x.mT + c), x)
    check(backend_name, lambda x: linalg.cholesky(x @ x.mT + c, upper=True), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, n=sizes, seed=st.integers(0, 2**16))
def test_eigh(backend_name, batch, n, seed):
    c, x = spread(batch, n, n), small(batch + (n, n), seed)
    check(backend_name, lambda x: (lambda r: (r.eigenvalues, sign_free(r.eigenvectors)))(linalg.eigh(c + x + x.mT)), x)
    check(backend_name, lambda x: sign_free(linalg.eigh(c + x + x.mT, "U").eigenvectors), x)
    check(backend_name, lambda x: linalg.eigvalsh(c + x + x.mT), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, m=sizes, n=sizes, full_matrices=st.booleans(), seed=st.integers(0, 2**16))
def test_svd(backend_name, batch, m, n, full_matrices, seed):
    c, x, k = spread(batch, m, n), small(batch + (m, n), seed), min(m, n)

    def factors(x):  # with full_matrices, U's last m - k columns and Vh's last n - k rows are any basis
        u, s, vh = linalg.svd(c + x, full_matrices=full_matrices)
        return sign_free(u[..., :k]), s, sign_free(vh[..., :k, :], "rows")

    check(backend_name, factors, x)
    check(backend_name, lambda x: sign_free(linalg.svd(c + x, full_matrices).U[..., :k]), x)  # U alone
    check(backend_name, lambda x: sign_free(linalg.svd(c + x, full_matrices).Vh[..., :k, :], "rows"), x)  # Vh alone
    check(backend_name, lambda x: linalg.svdvals(c + x), x)
    check(backend_name, lambda x: (lambda r: (sign_free(r.U[..., :k]), r.S, sign_free(r.V[..., :k])))(
        fastgrad.svd(c + x, some=not full_matrices)), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, m=sizes, n=sizes, seed=st.integers(0, 2**16))
def test_qr(backend_name, batch, m, n, seed):
    c, x = spread(batch, m, n), small(batch + (m, n), seed)
    check(backend_name, lambda x: tuple(linalg.qr(c + x)), x)
    check(backend_name, lambda x: linalg.qr(c + x).Q, x)  # Q alone
    check(backend_name, lambda x: linalg.qr(c + x).R, x)  # R alone
    if m <= n:
        check(backend_name, lambda x: tuple(linalg.qr(c + x, "complete")), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, m=sizes, n=sizes, seed=st.integers(0, 2**16))
def test_matrix_norms(backend_name, batch, m, n, seed):
    c, x = spread(batch, m, n), small(batch + (m, n), seed)
    for ord in ("fro", "nuc", 2, -2, 1, -1, float("inf"), -float("inf")):
        check(backend_name, lambda x: linalg.matrix_norm(c + x, ord), x)
    check(backend_name, lambda x: linalg.matrix_norm(c + x, "nuc", (-1, -2), keepdim=True), x)
    check(backend_name, lambda x: linalg.norm(c + x, 2, (-2, -1)), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), keepdim=st.booleans(),
       seed=st.integers(0, 2**16))
def test_vector_norms(backend_name, shape, keepdim, seed):
    x = leaf(shape, seed, away_from=0.0)
    for ord in (2, 1, 3, float("inf"), -float("inf"), -1.5):
        check(backend_name, lambda x: linalg.vector_norm(x, ord, -1, keepdim), x)
    check(backend_name, lambda x: linalg.vector_norm(x, 2, None, keepdim), x)
    check(backend_name, lambda x: linalg.norm(x), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=batches, m=sizes, n=sizes, seed=st.integers(0, 2**16))
def test_pinv_and_lstsq(backend_name, batch, m, n, seed):
    c, x = spread(batch, m, n), small(batch + (m, n), seed)
    check(backend_name, lambda x: linalg.pinv(c + x), x)
    check(backend_name, lambda x: fastgrad.pinverse(c + x), x)
    square = spread(batch, n, n)
    check(backend_name, lambda x: linalg.pinv(square + x[..., :1, :].mT @ x[..., :1, :], hermitian=True), x)
    b = leaf(batch + (m, 2), seed + 1)
    check(backend_name, lambda x, b: linalg.lstsq(c + x, b).solution, x, b)
    if m > n:
        check(backend_name, lambda x, b: linalg.lstsq(c + x, b, driver="gelsd").residuals, x, b)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(sizes=st.lists(st.integers(1, 4), min_size=3, max_size=5), first_vector=st.booleans(),
       last_vector=st.booleans(), seed=st.integers(0, 2**16))
def test_products(backend_name, sizes, first_vector, last_vector, seed):
    shapes = [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
    if first_vector:
        shapes[0] = shapes[0][1:]
    if last_vector and len(shapes) > 1:
        shapes[-1] = shapes[-1][:1]
    tensors = [leaf(s, seed + i) for i, s in enumerate(shapes)]
    check(backend_name, lambda *ts: linalg.multi_dot(list(ts)), *tensors)
    a, b, v, w = leaf((2, 3), seed), leaf((4, 3), seed + 1), leaf((2,), seed + 2), leaf((3,), seed + 3)
    check(backend_name, lambda a, b: linalg.vecdot(a, b[:2]), a, b)
    check(backend_name, lambda a, b: linalg.cross(a, b[1:3]), a, b)
    check(backend_name, fastgrad.inner, a, b)
    check(backend_name, lambda a, v, w: fastgrad.addr(a, v, w, beta=0.5, alpha=2), a, v, w)
    check(backend_name, lambda a, b, v: fastgrad.block_diag(a, b, v, v[0]), a, b, v)

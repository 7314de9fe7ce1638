"""fastgrad.linalg and the top-level matrix functions on their own: refused arguments (named, with what was
expected and what came), singular matrices, gradients PyTorch gets wrong or leaves undefined, and the results'
shared version counter."""
import numpy as np
import pytest

import fastgrad
from fastgrad import linalg


def randn(*shape, dtype=fastgrad.float32):
    return fastgrad.tensor(np.random.default_rng(0).standard_normal(shape), dtype=dtype)


def ints(*shape):
    return fastgrad.ones(*shape, dtype=fastgrad.int64)


SINGULAR = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]


@pytest.mark.parametrize("call,error,match", [
    (lambda: linalg.inv(ints(2, 2)), RuntimeError, "linalg.inv: expected A to be a floating point tensor .* got dtype int64"),
    (lambda: linalg.det(ints(2, 2)), RuntimeError, "floating point"),
    (lambda: linalg.cholesky(ints(2, 2)), RuntimeError, "floating point"),
    (lambda: linalg.svd(ints(2, 2)), RuntimeError, "floating point"),
    (lambda: linalg.matrix_rank(ints(2, 2)), RuntimeError, "floating point"),
    (lambda: linalg.vector_norm(ints(3)), RuntimeError, "linalg.vector_norm: expected x to be a floating point"),
    (lambda: linalg.vecdot(ints(3), ints(3)), RuntimeError, "floating point"),
    (lambda: linalg.matrix_power(ints(2, 2), -1), RuntimeError, "linalg.inv: expected A to be a floating point"),
    (lambda: linalg.inv([[1.0]]), TypeError, "linalg.inv: A must be a Tensor, got list"),
    (lambda: linalg.inv(randn(3)), RuntimeError, r"at least 2 dims .* got shape \(3,\)"),
    (lambda: linalg.inv(randn(2, 3)), RuntimeError, r"square matrices, got 2 by 3 matrices"),
    (lambda: linalg.eigh(randn(2, 2, 3)), RuntimeError, "square"),
    (lambda: linalg.eigh(randn(2, 2), "X"), ValueError, "UPLO must be 'L' or 'U', got 'X'"),
    (lambda: linalg.qr(randn(2, 2), "full"), ValueError, "mode must be 'reduced', 'complete' or 'r', got 'full'"),
    (lambda: linalg.svd(randn(2, 2), driver="gesvd"), ValueError, "driver"),
    (lambda: linalg.solve(randn(3, 3), randn(2, 3)), RuntimeError, r"AX = B \(3x3 and 2x3\)"),
    (lambda: linalg.solve(randn(3, 3), randn(3), left=False), RuntimeError, r"XA = B \(3x3 and 3x1\)"),
    (lambda: linalg.solve(randn(1, 1, 1), randn(1, 1), left=False), ValueError, "batch of vectors"),
    (lambda: linalg.solve(randn(3, 3), randn(3, dtype=fastgrad.float64)), RuntimeError,
     "expected A and B to have the same dtype, got float32 and float64"),
    (lambda: linalg.solve(randn(2, 3, 3), randn(4, 3, 1)), RuntimeError, r"batch dims of A \(2,\) and B \(4,\)"),
    (lambda: linalg.solve(randn(3, 3), fastgrad.tensor(1.0)), ValueError, "0-d"),
    (lambda: linalg.vector_norm(randn(3), "fro"), TypeError, "ord must be a number, got str 'fro'"),
    (lambda: linalg.vector_norm(randn(3, dtype=fastgrad.float64), dtype=fastgrad.float32), RuntimeError,
     "without narrowing"),
    (lambda: linalg.vector_norm(randn(3), dtype=fastgrad.int64), TypeError, "dtype must be a floating point dtype"),
    (lambda: linalg.vector_norm(fastgrad.zeros(0), float("inf")), RuntimeError, "empty"),
    (lambda: linalg.matrix_norm(randn(3)), RuntimeError, "at least 2 dims"),
    (lambda: linalg.matrix_norm(randn(3, 3), 3), ValueError, "ord must be one of .* got 3"),
    (lambda: linalg.matrix_norm(randn(3, 3), "abc"), ValueError, "got 'abc'"),
    (lambda: linalg.matrix_norm(randn(3, 3), True), ValueError, "got True"),
    (lambda: linalg.matrix_norm(randn(3, 3, 3), dim=(0, 1, 2)), RuntimeError, "dim must be a pair"),
    (lambda: linalg.matrix_norm(randn(3, 3), dim=(0, 0)), RuntimeError, "same dimension"),
    (lambda: linalg.norm(randn(3, 3, 3), 2), ValueError, r"without dim, A must be 1-D or 2-D, got shape \(3, 3, 3\)"),
    (lambda: linalg.norm(randn(3), "fro"), RuntimeError, "at least 2 dims"),
    (lambda: linalg.norm(randn(3, 3, 3), dim=(0, 1, 2)), ValueError, "dim must be an int or a pair"),
    (lambda: linalg.norm(randn(3, 3), "nuc", 1), RuntimeError, "dim must be a pair"),
    (lambda: linalg.matrix_power(randn(2, 3), 2), RuntimeError, "square"),
    (lambda: linalg.matrix_exp(randn(2, 3)), RuntimeError, "linalg.matrix_exp: A must be square matrices, got 2 by 3"),
    (lambda: linalg.matrix_exp(randn(3)), RuntimeError, "linalg.matrix_exp: A must have at least 2 dims"),
    (lambda: fastgrad.matrix_exp(ints(2, 2)), RuntimeError, "linalg.matrix_exp: expected A to be a floating point"),
    (lambda: linalg.matrix_power(randn(2, 2), 2.0), TypeError, "n must be an int, got float"),
    (lambda: linalg.matrix_power(randn(2, 2), True), TypeError, "n must be an int, got bool"),
    (lambda: linalg.pinv(randn(2, 2), rtol=0.1, rcond=0.1), TypeError, "rtol or its older name rcond"),
    (lambda: linalg.pinv(randn(2, 2), atol="0"), TypeError, "atol must be a real number"),
    (lambda: linalg.lstsq(randn(3, 2), randn(3, 1), driver="qr"), ValueError, "driver must be one of"),
    (lambda: linalg.lstsq(randn(3, 2), randn(4, 1)), ValueError, "same number of rows"),
    (lambda: linalg.lstsq(randn(1, 2, 3), randn(2, 2)), ValueError,
     r"B must be matrices with as many dims as A \(shape \(1, 2, 3\)\) or vectors of shape A.shape\[:-1\] = "
     r"\(1, 2\), got shape \(2, 2\)"),
    (lambda: linalg.lstsq(randn(4, 2, 3), randn(2)), ValueError, r"vectors of shape .* got shape \(2,\)"),
    (lambda: linalg.lstsq(fastgrad.tensor([[1.0, 0.0], [0.0, 1e-3], [0.0, 0.0]]), randn(3, 1), rcond=0.01),
     NotImplementedError, "rcond=0.01 drops singular values .* driver='gelsd'"),
    (lambda: linalg.cross(randn(3), randn(3, dtype=fastgrad.float64)), RuntimeError, "same dtype"),
    (lambda: linalg.cross(randn(2, 2), randn(2, 2)), RuntimeError, "size 3"),
    (lambda: linalg.vecdot(randn(3), randn(3, dtype=fastgrad.float64)), RuntimeError, "x and y"),
    (lambda: linalg.multi_dot([randn(2, 2)]), RuntimeError, "at least 2 tensors, got 1"),
    (lambda: linalg.multi_dot([randn(2, 2), randn(2, 2, 2), randn(2, 2)]), RuntimeError, "middle tensor must be 2-D"),
    (lambda: linalg.multi_dot([randn(2, 2, 2), randn(2, 2)]), RuntimeError, "first tensor must be 1-D or 2-D"),
    (lambda: linalg.multi_dot([randn(2, 3), randn(2, 2)]), RuntimeError,
     r"tensors 0 and 1 with shapes \(2, 3\) and \(2, 2\)"),
    (lambda: linalg.multi_dot([randn(2, 2), randn(2, 2, dtype=fastgrad.float64)]), RuntimeError, "same dtype"),
    (lambda: linalg.multi_dot([randn(2, 2), "a"]), TypeError, r"tensors\[1\] must be a Tensor"),
    (lambda: linalg.diagonal(randn(3)), IndexError, "out of range"),
    (lambda: fastgrad.inner(randn(2, 3), randn(4, 2)), RuntimeError, r"last dims must match, got shapes \(2, 3\)"),
    (lambda: fastgrad.inner(randn(3), randn(3, dtype=fastgrad.float64)), RuntimeError, "same dtype"),
    (lambda: fastgrad.vdot(randn(3, 1), randn(3, 1)), RuntimeError, "1-D"),
    (lambda: fastgrad.addr(randn(2, 3), randn(2, 1), randn(3)), RuntimeError,
     r"expected vec1 to be a 1-D tensor, got a 2-D tensor of shape \(2, 1\)"),
    (lambda: fastgrad.addr(randn(3), randn(2), randn(3, 2)), RuntimeError, "vec2"),
    (lambda: fastgrad.addr(randn(3, 2), randn(2), randn(3)), RuntimeError, "addr: self: the expanded size of the tensor"),
    (lambda: fastgrad.addr(ints(2, 3), ints(2), ints(3), alpha=0.5), RuntimeError, "alpha=0.5"),
    (lambda: fastgrad.block_diag(randn(2, 2, 2)), RuntimeError, "at most 2 dims"),
])
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_chain_matmul_warns_that_it_is_deprecated_and_takes_matrices_only():
    with pytest.warns(UserWarning, match="use fastgrad.linalg.multi_dot"):
        with pytest.raises(RuntimeError, match=r"expected 2-D tensors, got \(2,\) at position 1"):
            fastgrad.chain_matmul(randn(2, 2), randn(2))


@pytest.mark.parametrize("call,match", [
    (lambda a: linalg.inv(a), "linalg.inv: The diagonal element 3 is zero"),
    (lambda a: fastgrad.inverse(a), "linalg.inv: The diagonal element 3 is zero"),
    (lambda a: linalg.solve(a, a), "linalg.solve: The solver failed because the input matrix is singular"),
    (lambda a: linalg.cholesky(a), "the leading minor of order 2 is not positive-definite"),
    (lambda a: linalg.inv_ex(a, check_errors=True), "linalg.inv_ex: The diagonal element 3"),
    (lambda a: linalg.matrix_power(a, -3), "linalg.inv: The diagonal element 3"),
])
def test_singular_matrices_raise_linalg_error(call, match):
    a = fastgrad.tensor(SINGULAR)
    with pytest.raises(linalg.LinAlgError, match=match):
        call(a)
    batch = fastgrad.stack([fastgrad.eye(3), fastgrad.eye(3), a])
    with pytest.raises(RuntimeError, match=r"\(Batch element 2\)"):  # LinAlgError is a RuntimeError, as PyTorch's
        call(batch)


def test_inv_ex_gives_info_and_nan_instead_of_raising():
    result = linalg.inv_ex(fastgrad.stack([fastgrad.tensor(SINGULAR), 2 * fastgrad.eye(3)]))
    assert result.info.tolist() == [3, 0] and result.info.dtype == np.int32
    assert np.isnan(result.inverse[0].detach().numpy()).all()
    np.testing.assert_allclose(result.inverse[1].detach().numpy(), np.eye(3) / 2)


@pytest.mark.parametrize("call,of_matrix", [
    (lambda a: linalg.inv_ex(a).inverse, lambda out, i: out[i]),
    (lambda a: linalg.solve_ex(a, fastgrad.ones(3, 2, dtype=a.dtype)).result, lambda out, i: out[i]),
    (lambda a: linalg.solve_ex(a, fastgrad.ones(2, 3, dtype=a.dtype)).result, lambda out, i: out[i]),  # vectors
    # B's batch of 4 broadcasts against A's: a matrix of A is reached through any of the 4
    (lambda a: linalg.solve_ex(a, fastgrad.ones(4, 1, 3, 2, dtype=a.dtype)).result, lambda out, i: out[2:3, i]),
    (lambda a: linalg.cholesky_ex(a).L, lambda out, i: out[i]),
], ids=["inv_ex", "solve_ex", "solve_ex_vectors", "solve_ex_broadcast", "cholesky_ex"])
def test_ex_functions_give_nan_gradients_for_the_failed_matrices_the_loss_uses(call, of_matrix):
    """The NaN results of a failed matrix had a zero gradient (the stand-ins' results were selected away), a
    plausible gradient for a NaN loss; it is NaN where the loss reads the result, zero where it does not."""
    good = 3 * np.eye(3) + 0.1
    a = fastgrad.tensor(np.stack([good, -np.array(SINGULAR)]), requires_grad=True)  # neither invertible nor PD
    of_matrix(call(a), 1).sum().backward()
    assert np.isnan(a.grad.numpy()[1]).all() and (a.grad.numpy()[0] == 0).all()
    a.grad = None
    of_matrix(call(a), 0).sum().backward()
    assert (a.grad.numpy()[1] == 0).all()
    alone = fastgrad.tensor(np.stack([good, good]), requires_grad=True)
    of_matrix(call(alone), 0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy()[0], alone.grad.numpy()[0], rtol=1e-12)
    assert np.abs(alone.grad.numpy()[0]).max() > 0.01


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    """PyTorch 2.13 returns 0 here; the derivative of det is the cofactor matrix, which is not 0."""
    a = np.array(SINGULAR)
    x = fastgrad.tensor(a, requires_grad=True)
    linalg.det(x).backward()
    cofactors = [[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(3)]
                 for i in range(3)]
    np.testing.assert_allclose(x.grad.numpy(), cofactors, atol=1e-12)
    assert np.abs(cofactors).max() > 1


def test_det_gradient_of_a_matrix_holding_a_nan_is_nan():
    # as PyTorch's (the SVD behind the cofactors does not converge there); the other matrices of the batch keep theirs
    x = fastgrad.tensor([[[np.nan, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]], dtype=fastgrad.float64,
                        requires_grad=True)
    linalg.det(x).sum().backward()
    assert np.isnan(x.grad.numpy()[0]).all()
    np.testing.assert_allclose(x.grad.numpy()[1], [[4.0, -3.0], [-2.0, 1.0]], rtol=1e-12)


@pytest.mark.parametrize("call", [lambda x: linalg.slogdet(x).logabsdet, fastgrad.logdet])
def test_log_determinant_gradient_of_a_matrix_holding_a_nan_is_nan(call):
    """LAPACK's inverse of [[nan, 1], [1, 2]] keeps two finite entries, which the gradient passed on as
    numbers; PyTorch's gradient is NaN throughout. The other matrices of the batch keep theirs."""
    x = fastgrad.tensor([[[np.nan, 1.0], [1.0, 2.0]], [[2.0, 1.0], [1.0, 2.0]]], dtype=fastgrad.float64,
                        requires_grad=True)
    call(x).sum().backward()
    assert np.isnan(x.grad.numpy()[0]).all()
    np.testing.assert_allclose(x.grad.numpy()[1], np.linalg.inv([[2.0, 1.0], [1.0, 2.0]]), rtol=1e-12)


def test_slogdet_gradient_at_a_singular_matrix_is_nan_not_a_number_that_looks_right():
    x = fastgrad.tensor(SINGULAR, requires_grad=True)
    sign, logabsdet = linalg.slogdet(x)
    assert sign.item() == 0 and logabsdet.item() == -np.inf
    logabsdet.backward()
    assert np.isnan(x.grad.numpy()).all()


def test_eigh_and_cholesky_gradients_are_symmetric():
    """Both read the lower triangle only; their gradients are PyTorch's: symmetric, as if A were perturbed
    symmetrically (not zero above the diagonal)."""
    a = fastgrad.tensor([[4.0, 9.0, 9.0], [1.0, 3.0, 9.0], [0.5, 0.2, 2.0]], dtype=fastgrad.float64,
                        requires_grad=True)
    weights = fastgrad.tensor(np.random.default_rng(0).standard_normal((3, 3)))
    for factor in (lambda a: linalg.eigh(a).eigenvectors.abs(), linalg.cholesky):
        a.grad = None
        (factor(a) * weights).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), a.grad.numpy().T, atol=1e-12)
        assert np.abs(a.grad.numpy()).min() > 0


def test_eigenvector_gradient_with_a_repeated_eigenvalue_is_nan_as_documented():
    x = fastgrad.eye(3, dtype=fastgrad.float64, requires_grad=True)
    linalg.eigh(x).eigenvectors.abs().sum().backward()
    assert np.isnan(x.grad.numpy()).any()
    y = fastgrad.eye(3, dtype=fastgrad.float64, requires_grad=True)
    linalg.eigh(y).eigenvalues.sum().backward()  # the eigenvalues alone always have a gradient
    np.testing.assert_allclose(y.grad.numpy(), np.eye(3))


def test_decomposition_results_share_one_version_counter():
    """The results are views of one output that backward reads: changing any of them in place makes backward
    refuse, instead of differentiating with the changed values."""
    a = randn(3, 3, dtype=fastgrad.float64).requires_grad_()
    u, s, vh = linalg.svd(a)
    with fastgrad.no_grad():
        u.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        s.sum().backward()
    q, r = linalg.qr(a)
    (q.sum() + r.sum()).backward()  # unchanged results are fine


def test_qr_without_q_has_no_gradient():
    a = randn(3, 3, dtype=fastgrad.float64).requires_grad_()
    q, r = linalg.qr(a, mode="r")
    assert q.shape == (0,) and r.shape == (3, 3)
    with pytest.raises(RuntimeError, match="mode='r' does not compute"):
        r.sum().backward()
    q, r = linalg.qr(randn(4, 3, dtype=fastgrad.float64).requires_grad_(), mode="complete")
    with pytest.raises(RuntimeError, match=r"mode='complete' with more rows than columns \(4 x 3\)"):
        q.sum().backward()


def test_matrix_power_zero_is_the_identity_with_a_zero_gradient():
    a = fastgrad.tensor([[np.inf, 1.0], [2.0, 3.0]], requires_grad=True)
    power = linalg.matrix_power(a, 0)
    np.testing.assert_array_equal(power.detach().numpy(), np.eye(2))
    power.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros((2, 2)))
    one = linalg.matrix_power(a, 1)
    assert one is not a and not np.shares_memory(one.detach().numpy(), a.detach().numpy())


def test_rank_and_results_without_gradients():
    a = randn(4, 3, dtype=fastgrad.float64).requires_grad_()
    rank = linalg.matrix_rank(a)
    assert rank.item() == 3 and rank.dtype == np.int64 and not rank.requires_grad
    result = linalg.lstsq(a, randn(4, 2, dtype=fastgrad.float64), driver="gelsd")
    assert result.solution.requires_grad and result.residuals.requires_grad
    assert not result.rank.requires_grad and not result.singular_values.requires_grad


def test_linalg_is_a_submodule_of_the_package():
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", "import fastgrad; fastgrad.linalg.inv; fastgrad.linalg.LinAlgError"],
                   check=True)


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
def test_ex_functions_pass_gradcheck_where_the_batch_holds_a_failed_matrix(backend):
    """FailedAsNan's gradients for the matrices that succeeded, against central differences (float64)."""
    def fn(a):
        square = a + 3 * fastgrad.eye(3, dtype=fastgrad.float64)
        batch = fastgrad.stack([square, square * 0])
        return (linalg.inv_ex(batch).inverse[0] + linalg.cholesky_ex(batch @ batch.mT).L[0]
                + linalg.solve_ex(batch, fastgrad.ones(2, 3, dtype=fastgrad.float64)).result[0])

    a = fastgrad.tensor(np.random.default_rng(3).uniform(-0.5, 0.5, (3, 3)), requires_grad=True)
    with fastgrad.backend(backend):
        assert fastgrad.autograd.gradcheck(fn, (a,))

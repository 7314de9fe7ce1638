"""The matrix and stacking functions' arguments: what PyTorch refuses is refused, with the argument named."""
import numpy as np
import pytest

import fastgrad


def randn(*shape, dtype=fastgrad.float32):
    return fastgrad.tensor(np.random.default_rng(0).standard_normal(shape), dtype=dtype)


@pytest.mark.parametrize("call,error,match", [
    (lambda: fastgrad.addmm(randn(2, 2), randn(2, 3), randn(2, 2)), RuntimeError, "cannot be multiplied"),
    (lambda: fastgrad.addmm(randn(3, 2), randn(2, 3), randn(3, 2)), RuntimeError, "addmm: self: the expanded size of the tensor"),
    (lambda: fastgrad.addmm(randn(2, 2, dtype=fastgrad.float64), randn(2, 2), randn(2, 2)), RuntimeError,
     "same dtype"),
    (lambda: fastgrad.addmm(randn(2, 2), randn(2, 2), randn(2, 2), beta="1"), TypeError, "beta"),
    (lambda: fastgrad.addmm(fastgrad.ones(2, 2, dtype=fastgrad.int64), fastgrad.ones(2, 2, dtype=fastgrad.int64),
                            fastgrad.ones(2, 2, dtype=fastgrad.int64), alpha=0.5), RuntimeError, "alpha=0.5"),
    (lambda: fastgrad.addmm(randn(2), [[1.0]], randn(1, 2)), TypeError, "mat1"),
    (lambda: fastgrad.addmv(randn(2), randn(2, 3), randn(2)), RuntimeError, "aligned|multiplied|shapes"),
    (lambda: fastgrad.baddbmm(randn(2, 2, 2), randn(2, 2), randn(2, 2)), IndexError, "3-D"),
    (lambda: randn(2, 3).diagonal(0, 1, -1), RuntimeError, "different dims"),
    (lambda: randn(2, 3).diagonal(0, 0, 2), IndexError, "out of range"),
    (lambda: randn(2, 3).diagonal(1.5), TypeError, "offset"),
    (lambda: randn(3).diag_embed(0, 0, 0), RuntimeError, "different dims"),
    (lambda: randn(2, 2, 2).diag(), RuntimeError, "1-D or 2-D"),
    (lambda: randn(3).trace(), RuntimeError, "2-D"),
    (lambda: randn(3).tile(2.0), TypeError, "tile: dims"),
    (lambda: randn(3).H, RuntimeError, "matrices"),
    (lambda: fastgrad.tensordot(randn(2, 3), randn(3, 2, dtype=fastgrad.float64)), RuntimeError, "same dtype"),
    (lambda: fastgrad.tensordot(randn(2, 3), randn(2, 3), 1), RuntimeError, "same size"),
    (lambda: fastgrad.tensordot(randn(2, 3), randn(3), 3), RuntimeError, "dims must be in"),
    (lambda: fastgrad.tensordot(randn(2, 3), randn(3), ([0, 1], [0])), RuntimeError, "same length"),
    (lambda: fastgrad.tensordot(randn(2, 3), randn(3), "1"), RuntimeError, "dims"),
    (lambda: fastgrad.vstack([randn(2), randn(3)]), RuntimeError, "shape"),
    (lambda: fastgrad.hstack([randn(2), [1.0]]), TypeError, "position 1"),
    (lambda: fastgrad.meshgrid(randn(2, 2), indexing="ij"), RuntimeError, "0-D or 1-D"),
    (lambda: fastgrad.meshgrid(randn(2), indexing="yx"), RuntimeError, "'ij' or 'xy'"),
    (lambda: fastgrad.cartesian_prod(randn(2), randn(2, 1)), RuntimeError, "1-D"),
    (lambda: fastgrad.combinations(randn(2, 2)), RuntimeError, "1-D"),
    (lambda: fastgrad.combinations(randn(3), -1), RuntimeError, "non-negative"),
    (lambda: fastgrad.tril_indices(-1, 3), ValueError, "non-negative"),
    (lambda: fastgrad.triu_indices(3, 3, dtype=fastgrad.float32), TypeError, "integer dtype"),
    (lambda: fastgrad.triu_indices(3, 3.0), TypeError, "col"),
])
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_in_place_products_bump_the_version_and_refuse_leaves():
    a, b = randn(2, 3), randn(3, 2)
    leaf = randn(2, 2).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.addmm_(a, b)
    y = leaf * 1
    reads_y = y * y  # its backward reads y
    version = y._version
    y.addmm_(a, b)
    assert y._version == version + 1
    with pytest.raises(RuntimeError):
        reads_y.sum().backward()
    with pytest.raises(RuntimeError, match="output with shape"):
        randn(2, 1).addmm_(a, b)
    with pytest.raises(RuntimeError, match="same dtype"):
        fastgrad.ones(2, 2, dtype=fastgrad.int64).addmm_(a, b)


def test_in_place_products_under_no_grad_update_a_leaf():
    a, b = randn(2, 3), randn(3, 2)
    leaf = randn(2, 2).requires_grad_()
    expected = leaf.detach().numpy() * 0.5 + a.detach().numpy() @ b.detach().numpy()
    with fastgrad.no_grad():
        leaf.addmm_(a, b, beta=0.5)
    np.testing.assert_allclose(leaf.detach().numpy(), expected, rtol=1e-6)
    assert leaf.is_leaf and leaf.grad_fn is None


def test_in_place_product_gradient_reaches_the_old_history():
    x = randn(2, 2, dtype=fastgrad.float64).requires_grad_()
    a = randn(2, 3, dtype=fastgrad.float64).requires_grad_()
    y = x * 3
    y.addmm_(a, a.T.detach(), beta=2)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 2), 6.0))
    assert a.grad is not None


def test_meshgrid_results_are_expanded_views_of_the_inputs():
    x, y = fastgrad.arange(3.0), fastgrad.arange(2.0)
    gx, gy = fastgrad.meshgrid(x, y, indexing="xy")
    assert gx.shape == gy.shape == (2, 3)
    assert np.shares_memory(gx.detach().numpy(), x.detach().numpy())


def test_linear_with_no_output_features_backpropagates_zeros():
    """(N, 0) outputs: the gradient reshape must not guess the row count from 0 values."""
    x = fastgrad.ones(3, 2, requires_grad=True)
    weight = fastgrad.zeros(0, 2, requires_grad=True)
    fastgrad.nn.functional.linear(x, weight).sum().backward()
    assert x.grad.shape == (3, 2) and not x.grad.numpy().any() and weight.grad.shape == (0, 2)

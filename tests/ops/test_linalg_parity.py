"""The matrix and stacking functions against PyTorch: values, dtypes (with promotion) and gradients."""
import warnings

import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")

FLOATS = [np.float32, np.float64]


def uniform(shape, dtype, low=-2.0, high=2.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


@pytest.fixture
def same(same_as_torch):
    return same_as_torch


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("call,shapes", [
    (lambda m, c, a, b: m.addmm(c, a, b), [(3, 5), (3, 4), (4, 5)]),
    (lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=-2), [(5,), (3, 4), (4, 5)]),
    (lambda m, c, a, b: c.addmm(a, b, beta=0), [(1, 5), (3, 4), (4, 5)]),
    (lambda m, c, a, b: m.addmv(c, a, b, alpha=3), [(3,), (3, 4), (4,)]),
    (lambda m, c, a, b: c.addmv(a, b, beta=2), [(), (3, 4), (4,)]),
    (lambda m, c, a, b: m.baddbmm(c, a, b, beta=0.25), [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    (lambda m, c, a, b: c.baddbmm(a, b, alpha=0.5), [(3, 1), (2, 3, 4), (2, 4, 5)]),
    (lambda m, c, a, b: m.addbmm(c, a, b, beta=-1, alpha=2), [(3, 5), (2, 3, 4), (2, 4, 5)]),
    (lambda m, c, a, b: c.clone().addmm_(a, b, beta=0.5), [(3, 5), (3, 4), (4, 5)]),
    (lambda m, c, a, b: c.clone().addmv_(a, b), [(3,), (3, 4), (4,)]),
    (lambda m, c, a, b: c.clone().baddbmm_(a, b, alpha=2), [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    (lambda m, c, a, b: c.clone().addbmm_(a, b), [(3, 5), (2, 3, 4), (2, 4, 5)]),
], ids=["addmm", "addmm_scaled_broadcast", "addmm_beta0", "addmv", "addmv_0d", "baddbmm", "baddbmm_broadcast",
        "addbmm", "addmm_", "addmv_", "baddbmm_", "addbmm_"])
def test_scaled_products_match_torch(dtype, call, shapes, same):
    same(call, *(uniform(s, dtype, seed=i) for i, s in enumerate(shapes)))


def test_scaled_products_with_beta0_ignore_nan_and_keep_integers(same):
    same(lambda m, c, a, b: m.addmm(c, a, b, beta=0), np.full((2, 2), np.nan), uniform((2, 3), np.float64),
         uniform((3, 2), np.float64, seed=1))
    ints = np.arange(4).reshape(2, 2)
    same(lambda m, c, a, b: m.addmm(c, a, b, beta=2, alpha=3), ints, ints, ints)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("call,shape", [
    (lambda m, x: m.diagonal(x), (3, 4)), (lambda m, x: x.diagonal(1), (3, 4)), (lambda m, x: x.diagonal(-2), (3, 4)),
    (lambda m, x: x.diagonal(5), (3, 4)), (lambda m, x: m.diagonal(x, 1, 2, 0), (2, 3, 4)),
    (lambda m, x: x.diagonal(0, -1, 1), (2, 3, 4)),
    (lambda m, x: m.diag(x), (4,)), (lambda m, x: m.diag(x, 2), (3,)), (lambda m, x: x.diag(-1), (3,)),
    (lambda m, x: m.diag(x, 1), (3, 4)), (lambda m, x: m.diag_embed(x), (2, 3)),
    (lambda m, x: m.diag_embed(x, -1, 0, 2), (2, 3)), (lambda m, x: x.diag_embed(2, 1, 0), (3,)),
    (lambda m, x: m.trace(x), (3, 4)), (lambda m, x: x.trace(), (4, 2)),
    (lambda m, x: m.tile(x, (2,)), (2, 3)), (lambda m, x: x.tile(2, 1, 3), (2, 3)), (lambda m, x: x.tile(()), (3,)),
    (lambda m, x: x.H, (2, 3)), (lambda m, x: x.mH, (2, 3, 4)), (lambda m, x: x.H, ()),
], ids=lambda v: "")
def test_diagonals_and_tiles_match_torch(dtype, call, shape, same):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's deprecation of H on a 0-d tensor
        same(call, uniform(shape, dtype))


def test_diagonal_functions_of_integers_match_torch(same):
    ints = np.arange(12, dtype=np.int32).reshape(3, 4)
    for call in (lambda m, x: m.trace(x), lambda m, x: m.diag(x), lambda m, x: m.diag(x[0]),
                 lambda m, x: m.diag_embed(x), lambda m, x: m.kron(x, x[:2, :2])):
        same(call, ints)


@pytest.mark.parametrize("a_shape,b_shape", [((2,), (3,)), ((2, 3), (2, 2)), ((2,), (2, 3)), ((2, 1, 3), (2, 2)),
                                             ((), (3,))])
def test_kron_matches_torch(a_shape, b_shape, same):
    same(lambda m, a, b: m.kron(a, b), uniform(a_shape, np.float64), uniform(b_shape, np.float64, seed=1))
    same(lambda m, a, b: a.kron(b), uniform(a_shape, np.float32), np.arange(int(np.prod(b_shape))).reshape(b_shape))


@pytest.mark.parametrize("dims,a_shape,b_shape", [
    (2, (2, 3, 4), (3, 4, 5)), (0, (2,), (3,)), (1, (2, 3), (3,)),
    (([1, 0], [0, 1]), (3, 4, 2), (4, 3)), ([[2], [0]], (2, 3, 4), (4, 5)), (((), ()), (2,), (3,)),
])
def test_tensordot_matches_torch(dims, a_shape, b_shape, same):
    same(lambda m, a, b: m.tensordot(a, b, dims), uniform(a_shape, np.float64), uniform(b_shape, np.float64, seed=1))


def test_tensordot_of_integers_matches_torch(same):
    a = np.arange(6).reshape(2, 3)
    same(lambda m, a: m.tensordot(a, a, ([1], [1])), a)


@pytest.mark.parametrize("name", ["vstack", "hstack", "dstack", "column_stack", "row_stack"])
@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (2, 3)], [(), ()], [(2, 3, 1), (2, 3, 2)],
                                    [(2, 1), (2, 2)]])
def test_stacks_match_torch(name, shapes, same):
    arrays = [uniform(s, np.float64, seed=i) for i, s in enumerate(shapes)]
    try:
        expected = getattr(torch, name)([torch.tensor(a) for a in arrays])
    except RuntimeError:
        with pytest.raises((RuntimeError, ValueError)):
            getattr(fastgrad, name)([fastgrad.tensor(a) for a in arrays])
        return
    assert expected is not None
    same(lambda m, *ts: getattr(m, name)(ts), *arrays)


def test_stacks_promote_like_torch(same):
    same(lambda m, a, b: m.vstack([a, b]), np.arange(3), uniform((3,), np.float32))
    same(lambda m, a, b: m.hstack((a, b)), np.array([True, False]), np.arange(2, dtype=np.int32))


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (1, 2, 3, 1)])
def test_atleast_matches_torch(name, shape, same):
    x = uniform(shape, np.float64)
    same(lambda m, x: getattr(m, name)(x), x)
    same(lambda m, x, y: getattr(m, name)(x, y), x, x + 1)
    same(lambda m, x: getattr(m, name)([x]), x)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [[(2,), (3,)], [(2,), (3,), (4,)], [(3,)], [(), (2,)]])
def test_meshgrid_matches_torch(indexing, shapes, same):
    arrays = [uniform(s, np.float64, seed=i) for i, s in enumerate(shapes)]
    same(lambda m, *ts: m.meshgrid(*ts, indexing=indexing), *arrays)
    same(lambda m, *ts: m.meshgrid(list(ts), indexing=indexing), *arrays)


def test_meshgrid_without_indexing_warns_and_uses_ij_like_torch():
    with pytest.warns(UserWarning, match="indexing"):
        got = fastgrad.meshgrid(fastgrad.arange(2), fastgrad.arange(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.meshgrid(torch.arange(2), torch.arange(3))
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g.numpy(), e.numpy())


def test_meshgrid_refuses_mixed_dtypes_like_torch():
    with pytest.raises(RuntimeError):
        torch.meshgrid(torch.arange(2), torch.arange(3.0), indexing="ij")
    with pytest.raises(RuntimeError, match="same dtype"):
        fastgrad.meshgrid(fastgrad.arange(2), fastgrad.arange(3.0), indexing="ij")


@pytest.mark.parametrize("shapes", [[(2,), (3,)], [(2,), (1,), (3,)], [(4,)]])
def test_cartesian_prod_matches_torch(shapes, same):
    same(lambda m, *ts: m.cartesian_prod(*ts), *(uniform(s, np.float64, seed=i) for i, s in enumerate(shapes)))


@pytest.mark.parametrize("n", [0, 1, 4])
@pytest.mark.parametrize("r", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("with_replacement", [False, True])
def test_combinations_match_torch(n, r, with_replacement, same):
    same(lambda m, x: m.combinations(x, r, with_replacement), uniform((n,), np.float64))


@pytest.mark.parametrize("row,col,offset", [(3, 3, 0), (4, 3, 1), (3, 5, -1), (0, 3, 0), (3, 4, 10), (3, 4, -10)])
def test_triangle_indices_match_torch(row, col, offset):
    for name in ("tril_indices", "triu_indices"):
        got, expected = getattr(fastgrad, name)(row, col, offset), getattr(torch, name)(row, col, offset)
        assert got.dtype == np.int64 and got.shape == tuple(expected.shape)
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    got = fastgrad.tril_indices(row, col, offset, dtype=fastgrad.int32)
    assert got.dtype == np.int32


def product_after_a_change(L, a_shape, b_shape, requires_grad, changed):
    """a @ b, then `changed` (0 or 1) changed in place before backward: PyTorch saves each operand only for the other's
    gradient (fastgrad's matmul saved both, and refused a change of an operand no gradient needed)."""
    x = L.tensor(np.arange(np.prod(a_shape)).reshape(a_shape) * 0.25 - 1, dtype=L.float64, requires_grad=True)
    y = L.tensor(np.arange(np.prod(b_shape)).reshape(b_shape) * 0.5 + 1, dtype=L.float64, requires_grad=True)
    a, b = (x * 1 if requires_grad[0] else x.detach()), (y * 1 if requires_grad[1] else y.detach())
    out = a @ b
    (a, b)[changed].mul_(2)
    out.sum().backward()
    return [None if t.grad is None else t.grad.tolist() for t in (x, y)]


@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((4,), (4,)), ((3, 4), (4,)), ((2, 3, 4), (4, 2))])
@pytest.mark.parametrize("requires_grad, changed", [((True, False), 0), ((False, True), 1), ((True, True), 0),
                                                    ((True, False), 1)])
def test_a_product_refuses_a_changed_operand_only_where_torch_does(shapes, requires_grad, changed):
    ours = outcome(lambda: product_after_a_change(fastgrad, *shapes, requires_grad, changed))
    theirs = outcome(lambda: product_after_a_change(torch, *shapes, requires_grad, changed))
    assert_raised_alike(ours, theirs)
    if not isinstance(theirs, Raised):
        assert ours == theirs

"""Scans and order statistics against PyTorch: cummax/cummin, logcumsumexp, kthvalue, quantile/nanquantile,
nanmedian, aminmax, msort and diff give PyTorch's values, indices, dtypes and gradients, NaN and ties
included, and refuse what PyTorch refuses. Among ties, where PyTorch promises no index (kthvalue, topk, unstable
sorts, median and nanmedian with a dim, mode), fastgrad's indices are checked to be valid instead
(tests.ops.tied_picks)."""
import numpy as np
import pytest

import fastgrad

from tests.ops.tied_picks import assert_same_values, assert_valid_picks, implied_values

torch = pytest.importorskip("torch")

NAN = float("nan")
INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.fixture
def same(same_as_torch):
    return same_as_torch


def distinct(shape, seed=0):
    """float64 values at least 0.3 apart: no ties, so indices and gradients are unambiguous."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return ((rng.permutation(size) - size / 2) * 0.5 + rng.uniform(-0.1, 0.1, size)).reshape(shape)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_running_extremes_match_torch_with_ties_and_nan(same, name):
    ties = np.array([[1.0, 3.0, 3.0, NAN, 2.0, NAN, 5.0], [2.0, 2.0, 1.0, 1.0, 3.0, 0.0, 3.0]])
    for dim in (0, 1, -1):
        same(lambda m, x: getattr(m, name)(x, dim), ties)
        same(lambda m, x: getattr(x, name)(dim), ties.astype(np.float32))
    same(lambda m, x: getattr(m, name)(x, 1), distinct((3, 4, 2)))
    same(lambda m, x: getattr(m, name)(x, 0), np.array([3, 1, 1, 4, 4]))
    same(lambda m, x: getattr(m, name)(x, 0), np.array([True, False, True, True]))
    same(lambda m, x: getattr(m, name)(x, -1), np.array(2.5))
    same(lambda m, x: getattr(m, name)(x, 0), np.zeros((0, 2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logcumsumexp_matches_torch(same, dtype):
    x = np.random.default_rng(0).uniform(-3, 3, (3, 5)).astype(dtype)
    for dim in (0, 1, -1):
        same(lambda m, x: m.logcumsumexp(x, dim), x)
    same(lambda m, x: x.logcumsumexp(0), np.array([-np.inf, -np.inf, 1.0, 700.0, -np.inf], dtype=dtype))
    same(lambda m, x: x.logcumsumexp(0), np.array([1.0, NAN, 2.0], dtype=dtype))
    same(lambda m, x: x.logcumsumexp(0), np.array(1.5, dtype=dtype))


@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue_matches_torch(same, keepdim):
    x = distinct((3, 4, 5))
    for k, dim in ((1, -1), (3, 1), (3, 0), (5, 2)):
        same(lambda m, x: m.kthvalue(x, k, dim, keepdim), x)
    same(lambda m, x: x.kthvalue(4, 0, keepdim), np.array([3.0, NAN, 1.0, 2.0]))  # NaN counts as the largest
    same(lambda m, x: x.kthvalue(1, 0, keepdim), np.array(2.0))
    same(lambda m, x: x.kthvalue(2), np.array([5, 2, 9]))


def assert_torchs_values_and_valid_indices(call, x: np.ndarray, dim: int, squeezed: bool, distinct: bool,
                                          ordered: bool = True) -> None:
    """call(lib, x) gives (values, indices) along dim of an op whose index among ties PyTorch leaves open (see
    tests.ops.tied_picks): PyTorch's values exactly (in any order in a line without `ordered`), int64 indices of
    their shape naming elements equal to them (distinct within a line with `distinct`), and the gradient of a random
    weighting of the values that fastgrad's indices imply."""
    ours, theirs = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (got, got_indices), (expected, expected_indices) = call(fastgrad, ours), call(torch, theirs)
    values = got.detach().numpy()
    assert_same_values(values, expected.detach().numpy(), dim, ordered)
    assert got_indices.dtype == fastgrad.int64 and got_indices.shape == tuple(expected_indices.shape)
    indices = got_indices.numpy()
    assert_valid_picks(x, indices, values, dim, squeezed, distinct)
    weights = np.random.default_rng(0).standard_normal(got.shape)
    (got * fastgrad.tensor(weights)).sum().backward()
    (implied_values(torch, theirs, indices, dim, squeezed) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def tied_lines(seed: int, nan: bool = True):
    """Float lines with many ties, in (2, n) arrays: two of 4 elements, then ones of the integers 0 to 3 (a NaN in
    about one of 20 with `nan`) for n from 4 to 300, long enough for every path of PyTorch's kthvalue and topk."""
    rng = np.random.default_rng(seed)
    yield np.array([[2.0, -1.0, 1.0, -1.0], [-1.0, -1.0, -2.0, 3.0]])
    yield np.array([[-2.0, 2.0, -1.0, 2.0], [2.0, 1.0, -3.0, 2.0]])
    for size in (4, 5, 17, 40, 64, 130, 300):
        x = rng.integers(0, 4, (2, size)).astype(float)
        if nan:
            x[rng.random(x.shape) < 0.05] = NAN
        yield x


@pytest.mark.parametrize("seed", range(2))
def test_kthvalue_and_topk_give_torchs_values_and_valid_indices_among_ties(seed):
    """PyTorch promises no index among tied values for kthvalue and topk (nor an order for topk(sorted=False)):
    fastgrad gives the first ones in the stable order, best first (sorted or not), and the gradient goes to the
    elements indexed."""
    for x in tied_lines(seed):
        size = x.shape[1]
        for k in sorted({1, 2, size // 64 + 1, size // 2, size}):
            for keepdim in (False, True):
                assert_torchs_values_and_valid_indices(lambda m, x: m.kthvalue(x, k, 1, keepdim), x, 1,
                                                       squeezed=not keepdim, distinct=False)
            for largest in (True, False):
                for is_sorted in (True, False):
                    assert_torchs_values_and_valid_indices(
                        lambda m, x: m.topk(x, k, largest=largest, sorted=is_sorted), x, -1, squeezed=False,
                        distinct=True, ordered=is_sorted)
                # fastgrad's unsorted result is its sorted one (PyTorch's follows no promised order)
                for name in ("values", "indices"):
                    np.testing.assert_array_equal(*(getattr(fastgrad.topk(fastgrad.tensor(x), k, largest=largest,
                                                                          sorted=is_sorted), name).numpy()
                                                    for is_sorted in (True, False)))


@pytest.mark.parametrize("seed", range(2))
def test_unstable_sorts_medians_and_mode_give_torchs_values_and_valid_indices_among_ties(seed):
    """sort and argsort with stable=False, median and nanmedian with a dim and mode promise no index among ties
    either: fastgrad's (the stable order's; mode's last occurrence) name elements of PyTorch's values."""
    for x in tied_lines(seed):
        for descending in (False, True):
            assert_torchs_values_and_valid_indices(
                lambda m, x: m.sort(x, dim=1, descending=descending, stable=False), x, 1, squeezed=False,
                distinct=True)
            assert_torchs_values_and_valid_indices(  # (argsort's values: the elements its indices name)
                lambda m, x: (m.gather(x, 1, m.argsort(x, dim=1, descending=descending, stable=False)),
                              m.argsort(x, dim=1, descending=descending, stable=False)), x, 1, squeezed=False,
                distinct=True)
        for name in ("median", "nanmedian"):
            for keepdim in (False, True):
                assert_torchs_values_and_valid_indices(lambda m, x: getattr(m, name)(x, 1, keepdim), x, 1,
                                                       squeezed=not keepdim, distinct=False)
    for x in tied_lines(seed, nan=False):  # (fastgrad's mode refuses NaN)
        for dim in (0, 1):
            assert_torchs_values_and_valid_indices(lambda m, x: m.mode(x, dim), x, dim, squeezed=True, distinct=False)


def test_histc_bins_elements_on_an_edge_as_torch(same):
    """An element on a bin edge goes to the bin PyTorch's (x - min) * bins / (max - min) gives: NumPy's histogram put
    0.09401229776087457 (the middle of the range [x - 1, x + 1] that min == max == x gives) into the bin before."""
    same(lambda m, x: m.histc(x, 4, 1.0, 1.0), np.array(0.09401229776087457), grad=False)
    same(lambda m, x: m.histc(x, 3, 1 / 3, 2 / 3), np.array([1 / 3, 4 / 9, 5 / 9, 2 / 3, np.nan, np.inf]), grad=False)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantiles_match_torch(same, name, interpolation):
    x = distinct((3, 6))
    levels = np.linspace(0, 1, 11)
    for dim in (None, 0, 1, -1):
        for keepdim in (False, True):
            same(lambda m, x, q: getattr(m, name)(x, q, dim, keepdim, interpolation=interpolation), x, levels,
                 grad=False)  # (q takes no gradient here)
            same(lambda m, x: getattr(x, name)(m.tensor(levels), dim, keepdim, interpolation=interpolation), x)
            same(lambda m, x: getattr(x, name)(0.35, dim, keepdim, interpolation=interpolation), x)
    same(lambda m, x: getattr(m, name)(x, 0.6, 0, True, interpolation=interpolation), np.array(2.0))
    same(lambda m, x: getattr(m, name)(x, m.tensor(0.25, dtype=m.float64), interpolation=interpolation), x)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_quantile_ranks_round_in_float32_as_torch(same, interpolation):
    """The rank q (n - 1) is computed in the input's dtype: a float32 rank just above or below a whole number
    decides which neighbour 'lower', 'higher' and 'nearest' pick."""
    for n in (6, 7, 11, 31):
        x = distinct((n,), seed=n).astype(np.float32)
        for q in np.linspace(0, 1, 41, dtype=np.float32):
            same(lambda m, x: m.quantile(x, float(q), interpolation=interpolation), x)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_quantiles_with_nan_match_torch(interpolation):
    x = np.array([[1.0, NAN, 3.0, 0.5], [NAN, NAN, NAN, NAN], [4.0, 2.0, 8.0, 6.0]])
    for name in ("quantile", "nanquantile"):
        got = getattr(fastgrad.tensor(x), name)(fastgrad.tensor([0.2, 0.5], dtype=fastgrad.float64), 1,
                                                interpolation=interpolation)
        expected = getattr(torch.tensor(x), name)(torch.tensor([0.2, 0.5], dtype=torch.float64), 1,
                                                  interpolation=interpolation)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), equal_nan=True, rtol=1e-12)



@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantiles_between_an_infinity_and_a_number_match_torch(same, name):
    """The interpolation is PyTorch's lerp, measured from the nearer neighbour: an infinite neighbour with the
    larger weight gives the infinity (not NaN from infinity minus infinity)."""
    x = np.array([[-np.inf, -0.2, 2.3], [0.0, 1.2, np.inf]])
    for q in (0.3, 0.7, 0.85):
        same(lambda m, x: getattr(m, name)(x, q, 1), x, grad=False)
        same(lambda m, x: getattr(m, name)(x, q, 1, interpolation="midpoint"), x, grad=False)


def test_nanmedian_matches_torch(same):
    x = distinct((3, 5))
    x[0, 1] = x[1, 0] = x[1, 3] = NAN
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            same(lambda m, x: m.nanmedian(x, dim, keepdim), x)
    same(lambda m, x: x.nanmedian(), x)
    same(lambda m, x: x.nanmedian(), np.array([[NAN, 3.0, 1.0, NAN, 2.0, 2.0]]))  # split between the tied 2s
    same(lambda m, x: x.nanmedian(), np.array([NAN, NAN]))  # all NaN: NaN, split among the NaNs
    same(lambda m, x: x.nanmedian(0), np.array(1.5))
    same(lambda m, x: m.nanmedian(x), np.array([4, 1, 3, 2]))


def test_nanmedian_of_a_line_of_nans_is_nan_like_torch():
    """(Which NaN's index comes back is PyTorch's quickselect's choice; fastgrad gives the first.)"""
    got = fastgrad.tensor([[NAN, NAN, NAN], [1.0, NAN, 2.0]]).nanmedian(1)
    np.testing.assert_array_equal(got.values.numpy(), [NAN, 1.0])
    assert got.indices.tolist() == [0, 0]


@pytest.mark.parametrize("keepdim", [False, True])
def test_aminmax_matches_torch_and_splits_ties(same, keepdim):
    x = distinct((3, 4))
    for dim in (None, 0, 1, -1):
        same(lambda m, x: m.aminmax(x, dim=dim, keepdim=keepdim), x)
    same(lambda m, x: x.aminmax(dim=1, keepdim=keepdim), np.array([[1.0, 3.0, 3.0, 1.0], [2.0, 2.0, 2.0, 2.0]]))
    same(lambda m, x: x.aminmax(keepdim=keepdim), np.array([1.0, NAN, 2.0]))
    same(lambda m, x: x.aminmax(dim=0, keepdim=keepdim), np.array(4.0))
    same(lambda m, x: x.aminmax(), np.array([True, False]))
    same(lambda m, x: x.aminmax(dim=0), np.array([[3, 1], [2, 5]]))


def test_msort_and_diff_match_torch(same):
    x = distinct((4, 3))
    same(lambda m, x: m.msort(x), x)
    same(lambda m, x: x.msort(), np.array([[2, 1], [0, 3]]))
    for n in (0, 1, 2, 5):
        for dim in (0, 1, -1):
            same(lambda m, x: m.diff(x, n, dim), x)
    same(lambda m, x, p, a: m.diff(x, 2, 0, prepend=p, append=a), x, distinct((2, 3), 1), distinct((1, 3), 2))
    same(lambda m, x, a: x.diff(append=a), np.array([1, 4, 9]), np.array([2.5]))
    same(lambda m, x: m.diff(x), np.array([True, False, False, True]))
    same(lambda m, x, p: m.diff(x, prepend=p), np.array([[1, 2], [3, 5]]), np.array([[0], [0]]))


def test_count_nonzero_over_no_dims_counts_every_element_as_torch(same):
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for dim in ((), [], 0, (-1,), (1, 0)):
        same(lambda m, x: (m.count_nonzero(x, dim), x.count_nonzero(dim)), x, grad=False)
    same(lambda m, x: (m.count_nonzero(x, ()), m.count_nonzero(x, 0), m.count_nonzero(x, -1)), np.array(2.0),
         grad=False)
    same(lambda m, x: m.count_nonzero(x, ()), np.array([True, False, True]))


def test_prod_gradient_is_the_product_of_the_other_elements_with_nan_as_torch(same):
    # a zero anywhere sends PyTorch to its exact formula: the slopes beside a NaN or inf are finite products
    x = np.array([[NAN, 1.0, 0.5], [0.5, 0.0, 2.0], [-1.0, 0.0, np.inf], [NAN, 0.0, 3.0]])
    for dtype in (np.float64, np.float32):
        same(lambda m, x: (m.prod(x, 0), m.prod(x, 1, keepdim=True), m.prod(x[1:], -1)), x.astype(dtype))
        same(lambda m, x: m.prod(x), np.array([NAN, 0.0, -1.5], dtype=dtype))
        same(lambda m, x: m.prod(x, 0), np.array([[NAN, 1.0], [0.5, 0.0], [-1.0, 0.0]], dtype=dtype))
    same(lambda m, x: m.prod(x, 1), np.array([[0.0, -1.0, 1.5, 0.5], [0.5, NAN, 1.0, NAN], [0.0, -0.5, 0.0, NAN]]))


def test_all_and_any_keep_uint8_as_torch(same):
    for dtype in (np.uint8, np.int32, np.float64, np.bool_):
        x = np.array([[1, 2, 0], [3, 0, 0]], dtype=dtype)
        same(lambda m, x: (x.all(), x.any(), m.all(x, 1), m.any(x, 0, keepdim=True), x.all((0, 1))), x, grad=False)


@pytest.mark.parametrize("call", [
    lambda m: m.logcumsumexp(m.tensor([1, 2]), 0),
    lambda m: m.cummax(m.tensor([1.0]), 1),
    lambda m: m.kthvalue(m.tensor([1.0, 2.0]), 3),
    lambda m: m.kthvalue(m.tensor([1.0, 2.0]), 0),
    lambda m: m.kthvalue(m.tensor([True, False]), 1),
    lambda m: m.quantile(m.tensor([]), 0.5),
    lambda m: m.quantile(m.tensor([1, 2]), 0.5),
    lambda m: m.quantile(m.tensor([1.0, 2.0]), 1.5),
    lambda m: m.quantile(m.tensor([1.0, 2.0]), -0.1),
    lambda m: m.quantile(m.tensor([1.0, 2.0]), m.tensor([0.5], dtype=m.float64)),
    lambda m: m.quantile(m.tensor([1.0, 2.0]), m.tensor([[0.5]])),
    lambda m: m.nanquantile(m.tensor([1.0, 2.0]), 0.5, interpolation="cubic"),
    lambda m: m.aminmax(m.zeros(0)),
    lambda m: m.aminmax(m.zeros(2, 0), dim=1),
    lambda m: m.diff(m.tensor(3.0)),
    lambda m: m.diff(m.tensor([1.0, 2.0]), n=-1),
    lambda m: m.diff(m.tensor([1.0, 2.0]), prepend=1.0),
    lambda m: m.diff(m.tensor([[1.0, 2.0]]), prepend=m.tensor([1.0])),
    lambda m: m.diff(m.tensor([[1.0, 2.0, 3.0]]), dim=0, append=m.tensor([[1.0, 2.0]])),
    lambda m: m.nanmedian(m.zeros(2, 0), 1),
    lambda m: m.median(m.tensor([True, False, True])),
    lambda m: m.median(m.tensor([[True], [False]]), 0),
    lambda m: m.nanmedian(m.tensor([True, False])),
    lambda m: m.nanmedian(m.tensor([True, False]), 0, keepdim=True),
])
def test_what_torch_refuses_is_refused(call):
    with pytest.raises((RuntimeError, TypeError, ValueError, IndexError, NotImplementedError)):
        call(torch)
    with pytest.raises((RuntimeError, TypeError, ValueError, IndexError, NotImplementedError)):
        call(fastgrad)

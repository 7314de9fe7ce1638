"""The math, reduction, indexing and in-place functions added after the first op table, against PyTorch:
values, dtypes (with promotion) and gradients."""
import warnings

import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")

FLOATS = [np.float32, np.float64]


def uniform(shape, dtype, low=-2.0, high=2.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


def distinct(shape, seed=0):
    """float64 values at least 0.3 apart: no ties, so medians and their indices are unambiguous."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return ((rng.permutation(size) - size / 2) * 0.5 + rng.uniform(-0.1, 0.1, size)).reshape(shape)


@pytest.fixture
def same(same_as_torch):
    return same_as_torch


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,low,high", [
    ("tan", -1.2, 1.2), ("asin", -0.95, 0.95), ("acos", -0.95, 0.95), ("atan", -3, 3), ("sinh", -3, 3),
    ("cosh", -3, 3), ("asinh", -3, 3), ("acosh", 1.05, 4), ("atanh", -0.95, 0.95), ("erf", -3, 3), ("erfc", -3, 3),
    ("arcsin", -0.9, 0.9), ("arctanh", -0.9, 0.9),
])
def test_unary_math_matches_torch(same, dtype, name, low, high):
    x = uniform((3, 4), dtype, low, high)
    same(lambda m, x: getattr(m, name)(x), x)
    same(lambda m, x: getattr(x, name)(), x)
    same(lambda m, x: getattr(m, name)(x), np.array([0, 1, 2]) if name != "acosh" else np.array([1, 2]))
    same(lambda m, x: getattr(m, name)(x), np.array([True, False]), grad=False)


def test_math_outside_the_domain_gives_nan_like_torch(same):
    same(lambda m, x: (m.asin(x), m.acosh(x), m.atanh(x)), np.array([1.5, -1.5, 0.5]))
    same(lambda m, x: m.erfc(x), np.array([-30.0, 30.0, 0.0]))


@pytest.mark.parametrize("name", ["atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "fmod"])
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 1), (4,)], [(), (2,)]])
def test_binary_math_matches_torch(same, name, shapes):
    a, b = uniform(shapes[0], np.float64, seed=1), uniform(shapes[1], np.float64, seed=2)
    b = np.where(np.abs(b) < 0.3, 0.5, b)  # fmod's divisor away from zero
    same(lambda m, a, b: getattr(m, name)(a, b), a, b)
    same(lambda m, a, b: getattr(a, name)(b), a.astype(np.float32), b)


@pytest.mark.parametrize("name", ["atan2", "hypot", "logaddexp", "logaddexp2", "fmod", "heaviside", "true_divide"])
def test_binary_math_promotion_and_refusals_match_torch(name):
    ints, floats, bools = np.array([1, -2, 0]), np.array([0.5, -1.0, 0.0], dtype=np.float32), np.array([True, False, True])
    for a, b in ((ints, ints), (floats, floats.astype(np.float64)), (ints, floats), (bools, bools)):
        try:
            expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
        except RuntimeError:
            with pytest.raises((RuntimeError, TypeError, ZeroDivisionError)):  # (integer fmod by the 0 in ints)
                getattr(fastgrad, name)(fastgrad.tensor(a), fastgrad.tensor(b))
            continue
        got = getattr(fastgrad, name)(fastgrad.tensor(a), fastgrad.tensor(b))
        assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6, atol=1e-12)


def test_fmod_with_numbers_and_signs_matches_torch(same):
    a = np.array([-7.5, 7.5, -3.0, 3.0])
    same(lambda m, a: m.fmod(a, 2), a)
    same(lambda m, a: m.fmod(a, -2.5), a)
    same(lambda m, a: m.fmod(a, 3), np.array([-7, 7, 2]))


def test_heaviside_matches_torch_and_its_backward_raises_as_torchs(same):
    same(lambda m, x, v: m.heaviside(x, v), np.array([-1.0, 0.0, 2.0]), np.array([0.5]), grad=False)
    for m in (fastgrad, torch):
        x = m.tensor([-1.0, 0.0], requires_grad=True)
        out = m.heaviside(x, m.tensor([0.5]))
        assert out.requires_grad
        with pytest.raises(RuntimeError, match="derivative for .*heaviside.* not implemented"):
            out.sum().backward()


@pytest.mark.parametrize("dtype", FLOATS)
def test_lerp_matches_torch(same, dtype):
    a, b, w = uniform((3, 4), dtype), uniform((4,), dtype, seed=1), uniform((3, 1), dtype, 0, 1, seed=2)
    same(lambda m, a, b, w: m.lerp(a, b, w), a, b, w)
    same(lambda m, a, b: a.lerp(b, 0.3), a, b)
    same(lambda m, a, b: a.lerp(b, 0.8), a, b)
    same(lambda m, a, b, w: (a * 1).lerp_(b, w), a, b, w)



@pytest.mark.parametrize("dtype", FLOATS)
def test_lerp_is_measured_from_the_nearer_end_as_torch(same, dtype):
    """A weight of 1 gives end to its last digit, and an infinite end point is reached where its weight is at
    least one half (start + w (end - start) would give NaN there, or end rounded)."""
    inf = float("inf")
    start = np.array([0.1, -inf, -inf, 1.2, 3.0, 0.3], dtype)
    end = np.array([0.7, 1.0, 1.0, inf, inf, 0.9], dtype)
    weight = np.array([1.0, 0.6, 0.4, 0.7, 0.2, 0.8], dtype)
    same(lambda m, a, b, w: m.lerp(a, b, w), start, end, weight, grad=False)
    same(lambda m, a, b: a.lerp(b, 0.8), start, end, grad=False)
    same(lambda m, a, b: (a * 1).lerp_(b, 1.0), start, end, grad=False)
    finite = np.isfinite(start) & np.isfinite(end)
    same(lambda m, a, b, w: m.lerp(a, b, w), start[finite], end[finite], weight[finite])
    same(lambda m, a, b, w: m.lerp(a.detach(), b.detach(), w), start, end, weight)  # weight's: end - start


def test_lerp_refusals_match_torch():
    for make in ((lambda m: (m.ones(2), m.ones(2, dtype=m.float64), 0.5)),
                 (lambda m: (m.ones(2, dtype=m.int64), m.ones(2, dtype=m.int64), 1))):
        with pytest.raises(RuntimeError):
            torch.lerp(*make(torch))
        with pytest.raises((RuntimeError, TypeError)):
            fastgrad.lerp(*make(fastgrad))


@pytest.mark.parametrize("call", [
    lambda m, x: m.nansum(x), lambda m, x: m.nansum(x, 1), lambda m, x: x.nansum((0, 1), keepdim=True),
    lambda m, x: m.nanmean(x), lambda m, x: x.nanmean(0), lambda m, x: m.nanmean(x, -1, keepdim=True),
    lambda m, x: m.var_mean(x, 1), lambda m, x: m.std_mean(x, 0, keepdim=True), lambda m, x: m.var_mean(x),
    lambda m, x: m.std_mean(x, 1, correction=0), lambda m, x: m.var_mean(x, (0, 1), unbiased=False),
], ids=lambda v: "")
def test_nan_and_pair_reductions_match_torch(same, call):
    x = uniform((3, 4), np.float64)
    same(call, x)
    if "nan" in call.__code__.co_names:
        x[0, 1] = x[2, 3] = x[1, :] = np.nan
        same(call, x)


def test_nansum_and_count_nonzero_of_integers_match_torch(same):
    ints = np.array([[1, 0, 3], [0, 0, 2]], dtype=np.int32)
    same(lambda m, x: (m.nansum(x), m.count_nonzero(x), m.count_nonzero(x, 1), x.count_nonzero((0, 1))), ints)
    same(lambda m, x: m.count_nonzero(x, 0), uniform((3, 2), np.float32) * (np.arange(6).reshape(3, 2) % 2))


@pytest.mark.parametrize("shape,dim,keepdim", [((5,), None, False), ((4,), None, False), ((3, 4), 1, False),
                                               ((3, 4), 0, True), ((2, 3, 4), -1, True), ((), 0, False),
                                               ((), None, False), ((3, 5), None, False)])
def test_median_matches_torch(same, shape, dim, keepdim):
    x = distinct(shape)
    if dim is None:
        same(lambda m, x: m.median(x), x)
    else:
        same(lambda m, x: tuple(x.median(dim, keepdim)), x)
        same(lambda m, x: tuple(m.median(x, dim=dim, keepdim=keepdim)), x.astype(np.int64) if x.ndim else x)


def test_median_of_an_even_count_is_the_lower_middle_and_nan_wins_like_torch(same):
    same(lambda m, x: (m.median(x),) + tuple(m.median(x, 0)), np.array([4.0, 1.0, 3.0, 2.0]))
    same(lambda m, x: (m.median(x),) + tuple(m.median(x, 1)), np.array([[1.0, np.nan, 3.0, np.nan], [4, 3, 2, 1]]))


@pytest.mark.parametrize("data,dim", [([3, 1, 3, 1, 2], -1), ([[1, 2, 2], [5, 5, 4]], 1), ([[1, 2], [1, 3], [4, 3]], 0),
                                      ([7], 0)])
def test_mode_matches_torch(same, data, dim):
    same(lambda m, x: tuple(m.mode(x, dim)), np.array(data))
    same(lambda m, x: tuple(x.mode(dim, keepdim=True)), np.array(data, dtype=np.float64))


def test_argwhere_take_and_searchsorted_match_torch(same):
    x = uniform((3, 4), np.float64) * (np.arange(12).reshape(3, 4) % 3 > 0)
    same(lambda m, x: (m.argwhere(x), x.argwhere()), x, grad=False)
    same(lambda m, x: m.take(x, m.tensor([[0, -1], [5, 11]])), x)
    seq, values = np.array([1.0, 3.0, 5.0, 7.0]), np.array([[0.0, 3.0], [5.5, 9.0]])
    for kwargs in ({}, {"right": True}, {"side": "right"}, {"out_int32": True}):
        same(lambda m, s, v: m.searchsorted(s, v, **kwargs), seq, values, grad=False)
    rows = np.sort(uniform((2, 5), np.float64), axis=1)
    same(lambda m, s, v: m.searchsorted(s, v, side="right"), rows, uniform((2, 3), np.float64, seed=3), grad=False)
    unsorted = np.array([5.0, 1.0, 3.0])
    same(lambda m, s, v: m.searchsorted(s, v, sorter=m.argsort(s)), unsorted, np.array([2.0, 4.0]), grad=False)


def test_searchsorted_and_bucketize_place_nan_and_search_empty_rows_as_torch(same):
    # PyTorch's comparisons with NaN are false: a NaN value goes to the end, a NaN in the sequence compares low
    nan = np.nan
    values = np.array([nan, -1.0, 0.5, 1.0, 2.5, nan])
    for seq in ([-1.0, 0.0, 1.0, 2.0], [-1.0, nan], [nan, 0.0, 1.0], [0.0, 1.0, nan, nan], [nan], []):
        for right in (False, True):
            same(lambda m, s, v: (m.searchsorted(s, v, right=right), m.bucketize(v, s, right=right)),
                 np.array(seq), values, grad=False)
    rows = np.array([[-1.0, nan, nan], [-1.5, -0.5, 1.0]], dtype=np.float32)
    same(lambda m, s, v: m.searchsorted(s, v, side="right"), rows, np.array([[0.5, nan], [nan, -1.5]], np.float32),
         grad=False)
    same(lambda m, s, v: m.searchsorted(s, v), np.zeros((0, 2, 0), np.int64), np.zeros((0, 2, 2), np.int64),
         grad=False)
    same(lambda m, s, v: m.searchsorted(s, v, out_int32=True), np.zeros((2, 0)), np.ones((2, 3)), grad=False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_dist_and_cdist_match_torch(same, dtype):
    a, b = uniform((4, 3), dtype), uniform((4, 3), dtype, seed=1)
    same(lambda m, a, b: (m.cross(a, b, dim=1), a.cross(b, -1), m.cross(a.T, b.T, 0)), a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's deprecation of cross without dim
        same(lambda m, a, b: m.cross(a[:3], b[:3]), a, b)
    for p in (2, 1, 3.5, 0, float("inf")):
        same(lambda m, a, b: (m.dist(a, b, p), a.dist(b[0], p)), a, b, grad=p != 0)  # PyTorch's p=0 has no gradient
        same(lambda m, a, b: m.cdist(a, b[:2], p), a, b, grad=p != 0)
    x1, x2 = uniform((2, 3, 4), dtype), uniform((1, 5, 4), dtype, seed=1)
    same(lambda m, a, b: m.cdist(a, b), x1, x2)
    same(lambda m, a: m.cdist(a, a), a)  # zero distances on the diagonal: a zero gradient there


@pytest.mark.parametrize("p", [1.0, float("inf")])
def test_cdist_and_pdist_slopes_at_ties_nan_and_no_columns_are_torch_s(same, p):
    """PyTorch's cdist and pdist send each largest |difference| the whole gradient where several tie (p=inf; their
    norm shares it, as fastgrad's cdist and pdist did), give a NaN difference a NaN slope (p=1; fastgrad's was 0)
    and put rows of no columns 0 apart (fastgrad refused p=inf)."""
    # (a NaN with p=1 only: PyTorch's p=inf distance passes over NaN differences, where fastgrad's is NaN)
    rows = np.array([[0.0, 1.0, 3.0], [1.0, 0.0, 3.0], [2.0, 2.0, np.nan if p == 1 else 2.0]])
    same(lambda m, a, b: m.cdist(a, b, p), rows[:2], rows[1:])
    same(lambda m, a: m.nn.functional.pdist(a, p), rows)
    same(lambda m, a, b: (m.cdist(a, b, p), m.nn.functional.pdist(a, p)), np.zeros((3, 0)), np.zeros((2, 0)))


def test_histc_matches_torch(same):
    x = uniform((50,), np.float32, -3, 3)
    for args in ((), (10,), (4, -1, 1), (5, 2, 2), (3, 0, 0)):
        same(lambda m, x: m.histc(x, *args), x, grad=False)
    same(lambda m, x: x.histc(3), np.full((4,), 2.0), grad=False)


@pytest.mark.parametrize("dtype", FLOATS)
def test_addcmul_addcdiv_and_renorm_match_torch(same, dtype):
    s, a, b = uniform((3, 4), dtype), uniform((4,), dtype, seed=1), uniform((3, 1), dtype, 0.5, 2, seed=2)
    same(lambda m, s, a, b: (m.addcmul(s, a, b, value=0.5), s.addcdiv(a, b, value=-2), m.addcdiv(s, a, b)), s, a, b)
    same(lambda m, s, a, b: ((s * 1).addcmul_(a, b, value=3), (s * 1).addcdiv_(a, b)), s, a, b)
    for p, dim, maxnorm in ((2, 0, 1.0), (1, 1, 2.0), (3, -1, 0.5), (2, 0, 100.0)):
        same(lambda m, s: (s.renorm(p, dim, maxnorm), m.renorm(s, p, dim, maxnorm), (s * 1).renorm_(p, dim, maxnorm)),
             s)
    ints = np.arange(4)
    same(lambda m, s, a: m.addcmul(s, a, a, value=2), ints, ints)
    bools = np.array([True, False, True, True])  # all bool: PyTorch refuses (fastgrad computed with logical ops)
    same(lambda m, s, a: (m.addcmul(s.long(), a, a), m.addcmul(s, a.long(), a, value=2)), bools, bools)
    for module in (fastgrad, torch):
        for call in (lambda b: module.addcmul(b, b, b), lambda b: b.addcmul_(b, b, value=2)):
            with pytest.raises(NotImplementedError):
                call(module.tensor(bools))


def test_indexed_fills_copies_and_scatters_match_torch(same):
    x, source = uniform((3, 4), np.float64), uniform((3, 2), np.float64, seed=1)
    index = np.array([2, 0])
    same(lambda m, x: (x.index_fill(1, m.tensor(index), -1.5), m.index_fill(x, 0, m.tensor(-1), 2.0)), x)
    same(lambda m, x, v: x.index_fill(1, m.tensor(index), v), x, np.array(0.5))
    same(lambda m, x, s: (x.index_copy(1, m.tensor(index), s), (x * 1).index_copy_(1, m.tensor(index), s)), x, source)
    same(lambda m, x, s: m.index_copy(x, 0, m.tensor([1]), s.reshape(1, 6)[:, :4]), x, source)
    same(lambda m, x: (x * 1).index_fill_(0, m.tensor([0, 2]), 7.0), x)
    mask = np.array([[True, False, True, False], [False] * 4, [True, True, False, True]])
    same(lambda m, x, s: (x.masked_scatter(m.tensor(mask), s), (x * 1).masked_scatter_(m.tensor(mask), s)), x,
         uniform((8,), np.float64, seed=2))
    same(lambda m, x, s: x.masked_scatter(m.tensor(mask[0]), s), x, uniform((2, 5), np.float64, seed=2))
    index2 = np.array([[0, 1, 0, 2], [2, 2, 1, 0]])
    same(lambda m, x, s: (x * 1).scatter_add_(0, m.tensor(index2), s), x, uniform((2, 4), np.float64, seed=3))


@pytest.mark.parametrize("name", ["index_copy", "index_copy_"])
def test_index_copy_of_a_source_of_another_dtype_raises_torch_s_error_naming_itself(name):
    for module in (fastgrad, torch):
        theirs_or_ours = r"(dtype float32, got int64|\(self\) Float and \(source\) Long)"
        with pytest.raises(RuntimeError, match=f"{name}.*{theirs_or_ours}"):
            getattr(module.zeros(3, 2), name)(0, module.tensor([0, 2]), module.ones(2, 2, dtype=module.int64))


@pytest.mark.parametrize("name,args,make", [
    ("sqrt_", (), lambda s, d: uniform(s, d, 0.2, 2)), ("log_", (), lambda s, d: uniform(s, d, 0.2, 2)),
    ("exp_", (), uniform), ("abs_", (), uniform), ("neg_", (), uniform), ("sign_", (), uniform),
    ("pow_", (2,), uniform), ("pow_", (0.5,), lambda s, d: uniform(s, d, 0.2, 2)),
], ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("dtype", FLOATS)
def test_in_place_math_matches_torch(same, name, args, make, dtype):
    x = make((3, 4), dtype)
    same(lambda m, x: getattr(x * 1, name)(*args), x)


def test_in_place_math_refuses_what_torch_refuses():
    for call in (lambda m: m.ones(2, dtype=m.int64).sqrt_(), lambda m: m.ones(2, dtype=m.int64).pow_(0.5),
                 lambda m: m.ones(2, requires_grad=True).abs_(), lambda m: m.ones(2).lerp_(m.ones(3, 2), 0.5)):
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError):
            call(fastgrad)
    ints = [fastgrad.tensor([-2, 3]), torch.tensor([-2, 3])]
    for t in ints:
        t.abs_().neg_().sign_()
        t.pow_(2)
    np.testing.assert_array_equal(ints[0].numpy(), ints[1].numpy())


@pytest.mark.parametrize("view", [
    lambda x: x, lambda x: x.T, lambda x: x[1:, 2:], lambda x: x[:, 1], lambda x: x.transpose(0, 2)[1],
    lambda x: x[0].unsqueeze(0), lambda x: x.reshape(6, 4), lambda x: x[..., ::2], lambda x: x.narrow(2, 1, 2),
    lambda x: x[1:, :1].expand(1, 2, 3, 4), lambda x: x[1].t(), lambda x: x.permute(2, 0, 1)[1:],
    lambda x: x.diagonal(1, 1, 2), lambda x: x.diagonal(-1, 2, 0), lambda x: x[1].diag(), lambda x: x[1:].detach(),
    lambda x: x.T.data[1], lambda x: x[1].detach()[1:].detach(),
], ids=lambda v: "")
def test_strides_offsets_and_sizes_match_torch(view):
    ours, theirs = view(fastgrad.arange(24.0).reshape(2, 3, 4)), view(torch.arange(24.0).reshape(2, 3, 4))
    assert ours.stride() == theirs.stride()
    assert ours.storage_offset() == theirs.storage_offset()
    assert ours.stride(-1) == theirs.stride(-1)
    assert (ours.nbytes, ours.itemsize) == (theirs.nbytes, theirs.itemsize)


@pytest.mark.parametrize("offset, dims", [(0, (0, 1)), (1, (1, 2)), (-1, (2, 0)), (5, (0, 2))])
def test_writes_through_a_diagonal_reach_the_tensor_as_in_torch(offset, dims):
    ours, theirs = fastgrad.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    for x in (ours, theirs):
        x.diagonal(offset, *dims).add_(5)
        x.diagonal(offset, *dims)[..., :1] = 7
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_nanmean_of_an_all_nan_slice_has_torch_nan_gradient(same):
    same(lambda m, x: m.nanmean(x, 1), np.array([[np.nan, np.nan], [1.0, np.nan], [2.0, 3.0]]))
    same(lambda m, x: m.nansum(x, 0) * float("inf"), np.array([[np.nan, 1.0], [2.0, 3.0]]))


def test_nan_inputs_give_torch_signs_and_max_gradients(same):
    x = np.array([[np.nan, -1.0, 0.0], [2.0, np.nan, 2.0]])
    same(lambda m, x: x.sign(), x)
    same(lambda m, x: x.abs(), x)
    same(lambda m, x: x.max(), x)  # the gradient goes to the NaN elements, not NaN everywhere
    same(lambda m, x: x.min(), x)
    same(lambda m, x: x.amax(), x)  # (amax: NaN everywhere, in PyTorch too)
    same(lambda m, x: m.heaviside(x, m.tensor([0.5], dtype=x.dtype)), x, grad=False)


def test_median_of_all_elements_splits_the_gradient_among_ties_like_torch(same):
    same(lambda m, x: m.median(x), np.array([[2.0, 1.0, 2.0], [5.0, 2.0, 0.0]]))


def test_cat_of_empty_1d_tensors_only_keeps_the_graph_as_torch(same):
    """Empty 1-D tensors are skipped beside others; when all are empty, the result still records the graph of
    each (it was the first one's alone, which need not require grad), so backward reaches them as PyTorch's."""
    empty32, empty64 = np.zeros(0, np.float32), np.zeros(0, np.float64)
    same(lambda m, a, b: m.cat([a.detach(), b]), empty32, empty64)
    same(lambda m, a, b: m.cat([a, b.detach()]), empty64, empty32)
    for m in (fastgrad, torch):
        leaf = m.zeros(0, dtype=m.float64, requires_grad=True)
        m.cat([m.zeros(0, dtype=m.int64), leaf]).sum().backward()
        assert leaf.grad.shape == (0,)


JOIN_CASES = {
    "shapes differ": lambda m: [m.zeros(2), m.zeros(3)], "dims differ": lambda m: [m.zeros(2), m.zeros(2, 1)],
    "2-d shapes differ": lambda m: [m.zeros(2, 3), m.zeros(3, 3)], "no tensor": lambda m: [],
    "empty tuple": lambda m: (), "numbers": lambda m: [1, 2], "a list": lambda m: [m.zeros(2), [1.0, 2.0]],
    "one tensor": lambda m: m.zeros(2, 2), "dtypes differ": lambda m: [m.zeros(2), m.ones(2, dtype=m.int64)],
    "0-d": lambda m: [m.zeros(()), m.ones(())]}


@pytest.mark.parametrize("case", JOIN_CASES)
@pytest.mark.parametrize("dim", [0, -1, 3])
def test_stack_refuses_with_torchs_exception_types(case, dim):
    # fastgrad raised ValueError for shapes that differ and for no tensor (PyTorch: RuntimeError) and stacked numbers
    ours = outcome(lambda: fastgrad.stack(JOIN_CASES[case](fastgrad), dim))
    theirs = outcome(lambda: torch.stack(JOIN_CASES[case](torch), dim))
    if isinstance(theirs, Raised):
        assert same_exception_type(ours, theirs), (ours, theirs)
    else:
        assert not isinstance(ours, Raised), (ours, theirs)
        assert (ours.tolist(), str(ours.dtype)) == (theirs.tolist(), str(theirs.dtype).replace("torch.", ""))


@pytest.mark.parametrize("case", JOIN_CASES)
@pytest.mark.parametrize("name, dim", [("cat", 0), ("cat", 1), ("cat", 5), ("concat", -1), ("hstack", None),
                                       ("vstack", None), ("dstack", None), ("column_stack", None), ("row_stack", None)])
def test_cat_and_the_stacks_refuse_with_torchs_exception_types(name, dim, case):
    # fastgrad raised ValueError for shapes that differ and for hstack([]) (PyTorch: RuntimeError), IndexError for a
    # 0-dim tensor, and joined numbers
    def join(m):
        tensors = JOIN_CASES[case](m)
        return getattr(m, name)(tensors) if dim is None else getattr(m, name)(tensors, dim)

    ours, theirs = outcome(lambda: join(fastgrad)), outcome(lambda: join(torch))
    if isinstance(theirs, Raised):
        assert same_exception_type(ours, theirs), (ours, theirs)
    else:
        assert not isinstance(ours, Raised), (ours, theirs)
        assert (ours.tolist(), str(ours.dtype)) == (theirs.tolist(), str(theirs.dtype).replace("torch.", ""))


@pytest.mark.parametrize("name", ["cartesian_prod", "broadcast_tensors"])
@pytest.mark.parametrize("wrap", [list, tuple])
def test_tensors_given_as_one_list_are_refused_where_pytorch_takes_them_only_one_by_one(name, wrap):
    ours, theirs = (outcome(lambda m=m: getattr(m, name)(wrap([m.tensor([1, 2]), m.tensor([3])])))
                    for m in (fastgrad, torch))
    assert isinstance(theirs, Raised) and same_exception_type(ours, theirs), (ours, theirs)


@pytest.mark.parametrize("call", [
    pytest.param(lambda m: m.vander(m.ones(2, 2)), id="vander of a matrix"),
    pytest.param(lambda m: m.vander(m.ones(2), -1), id="vander of a negative N"),
    pytest.param(lambda m: m.tensordot(m.ones(2), 2), id="tensordot of a number"),
    pytest.param(lambda m: m.tensordot(2, m.ones(2), 0), id="tensordot of a number first"),
    pytest.param(lambda m: m.tensordot(m.ones(2), np.ones(2), 1), id="tensordot of an array"),
])
def test_refusals_raise_pytorch_s_exception_type(call):
    ours, theirs = outcome(lambda: call(fastgrad)), outcome(lambda: call(torch))
    assert isinstance(theirs, Raised) and same_exception_type(ours, theirs), (ours, theirs)

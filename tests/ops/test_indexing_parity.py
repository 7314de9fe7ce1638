"""Indexing and ordering ops against PyTorch: the same call on the same data gives the same values and
gradients, and the calls PyTorch rejects are rejected."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def distinct(shape, seed):
    """Values at least 0.3 apart (no ties, so sort orders and argmin are unambiguous)."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return ((rng.permutation(size) - size / 2) * 0.5 + rng.uniform(-0.1, 0.1, size)).reshape(shape)


def run(lib, fn, arrays):
    tensors = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
    return tensors, fn(lib, *tensors)


def assert_same(fn, *arrays, seed=0):
    """fn(lib, *leaves) with lib = fastgrad and torch: equal outputs, and equal gradients of a random
    projection of every float output."""
    fg_leaves, fg_out = run(fastgrad, fn, arrays)
    t_leaves, t_out = run(torch, fn, arrays)
    fg_outs = fg_out if isinstance(fg_out, tuple) else (fg_out,)
    t_outs = t_out if isinstance(t_out, tuple) else (t_out,)
    assert len(fg_outs) == len(t_outs)
    rng = np.random.default_rng(seed)
    fg_loss = t_loss = 0
    for a, b in zip(fg_outs, t_outs):
        expected = b.detach().numpy()
        assert a.shape == tuple(b.shape) and a.dtype == expected.dtype, (a.shape, b.shape, a.dtype, b.dtype)
        np.testing.assert_allclose(a.detach().numpy(), expected, rtol=1e-12, atol=0)
        if b.requires_grad:
            v = rng.standard_normal(a.shape)
            fg_loss = fg_loss + (a * fastgrad.tensor(v)).sum()
            t_loss = t_loss + (b * torch.tensor(v)).sum()
    if isinstance(t_loss, torch.Tensor):
        fg_loss.backward()
        t_loss.backward()
    for a, b in zip(fg_leaves, t_leaves):
        if b.grad is None:
            assert a.grad is None or not a.grad.numpy().any()
        else:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


def _leading(shape):
    return tuple(slice(0, n) for n in shape)


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), data=st.data())
def test_gather_scatter_family(shape, seed, data):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    axis = dim % len(shape)
    index_shape = tuple(int(rng.integers(1, n + 1)) if d != axis else int(rng.integers(1, 6))
                        for d, n in enumerate(shape))
    index = rng.integers(0, shape[axis], index_shape)
    x, src = distinct(shape, seed), distinct(index_shape, seed + 1)
    larger_src = distinct(tuple(n + 1 for n in index_shape), seed + 2)
    assert_same(lambda lib, x: lib.gather(x, dim, lib.tensor(index)), x)
    assert_same(lambda lib, x, s: lib.scatter_add(x, dim, lib.tensor(index), s), x, src)
    # PyTorch cannot backpropagate to a src larger than index (it raises), so compare values only there
    assert_same(lambda lib, x, s: x.scatter_add(dim, lib.tensor(index), s.detach() * 2), x, larger_src)
    # scatter overwrites: with a repeated index which write wins is unspecified, so keep them unique
    unique = np.argsort(rng.random(index_shape[:axis] + (shape[axis],) + index_shape[axis + 1:]), axis=dim)
    unique = np.take(unique, np.arange(min(index_shape[axis], shape[axis])), axis=dim)
    assert_same(lambda lib, x, s: lib.scatter(x, dim, lib.tensor(unique), s), x, src[_leading(unique.shape)])
    assert_same(lambda lib, x, s: lib.scatter(x, dim, lib.tensor(unique), s.detach()), x, larger_src)
    assert_same(lambda lib, x: x.scatter(dim, lib.tensor(unique), -3.5), x)
    assert_same(lambda lib, x: lib.scatter(x, dim, lib.tensor(unique), value=2), x)


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), count=st.integers(0, 5), alpha=st.sampled_from([1, 0.5, -3]),
       data=st.data())
def test_index_select_and_index_add(shape, seed, count, alpha, data):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    axis = dim % len(shape)
    index = rng.integers(0, shape[axis], count)
    x = distinct(shape, seed)
    source = distinct(shape[:axis] + (count,) + shape[axis + 1:], seed + 1)
    assert_same(lambda lib, x: lib.index_select(x, dim, lib.tensor(index, dtype=lib.int64)), x)
    assert_same(lambda lib, x, s: lib.index_add(x, dim, lib.tensor(index, dtype=lib.int64), s, alpha=alpha),
                x, source)
    assert_same(lambda lib, x: x.index_select(dim, lib.tensor(index, dtype=lib.int32)), x)


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), mask_kind=st.sampled_from(["same", "trailing", "larger"]))
def test_masks_and_nonzero(shape, seed, mask_kind):
    rng = np.random.default_rng(seed)
    mask_shape = {"same": shape, "trailing": shape[1:], "larger": (2,) + shape}[mask_kind]
    mask = rng.random(mask_shape) < 0.5  # broadcasts against x either way
    x = distinct(shape, seed)
    assert_same(lambda lib, x: lib.masked_fill(x, lib.tensor(mask), 1.25), x)
    assert_same(lambda lib, x, v: x.masked_fill(lib.tensor(mask), v.sum()), x, np.array([0.5, 2.0]))
    assert_same(lambda lib, x: lib.masked_select(x, lib.tensor(mask)), x)
    x[rng.random(shape) < 0.4] = 0
    assert_same(lambda lib, x: lib.nonzero(x.detach()), x)
    assert_same(lambda lib, x: lib.nonzero(x.detach(), as_tuple=True), x)


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), descending=st.booleans(), keepdim=st.booleans(), data=st.data())
def test_ordering(shape, seed, descending, keepdim, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(0, shape[dim]))
    x = distinct(shape, seed)
    assert_same(lambda lib, x: tuple(lib.sort(x, dim, descending)), x)
    assert_same(lambda lib, x: tuple(x.sort(dim=dim, descending=descending, stable=True)), x)
    assert_same(lambda lib, x: lib.argsort(x, dim, descending), x)
    assert_same(lambda lib, x: tuple(lib.topk(x, k, dim, largest=descending)), x)
    assert_same(lambda lib, x: tuple(x.topk(k, dim=dim)), x)
    assert_same(lambda lib, x: (lib.argmin(x, dim, keepdim), lib.argmax(x, dim, keepdim), x.argmin(),
                                x.argmax(keepdim=keepdim)), x)


def test_ordering_with_nan_and_ties():
    x = np.array([[1.0, np.nan, 2.0, 1.0, np.nan, 2.0], [0.0, -1.0, 0.0, 3.0, 3.0, -1.0]])
    assert_same(lambda lib, x: tuple(lib.sort(x, stable=True)), x)
    assert_same(lambda lib, x: tuple(lib.sort(x, descending=True, stable=True)), x)
    assert_same(lambda lib, x: (lib.argmin(x.detach(), 1), lib.argmax(x.detach(), 1)), x)
    # PyTorch's topk picks among tied elements in no specified order: compare the values only
    assert_same(lambda lib, x: lib.topk(x.detach(), 2).values, x)


@SETTINGS
@given(shape=array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16),
       diagonal=st.integers(-4, 4), data=st.data())
def test_triangles_flip_roll(shape, seed, diagonal, data):
    x = distinct(shape, seed)
    assert_same(lambda lib, x: (lib.tril(x, diagonal), x.triu(diagonal)), x)
    dims = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), max_size=len(shape),
                              unique_by=lambda d: d % len(shape)))
    shifts = data.draw(st.lists(st.integers(-6, 6), min_size=len(dims), max_size=len(dims)))
    assert_same(lambda lib, x: (lib.flip(x, dims), x.flip(dims)), x)
    if dims:
        assert_same(lambda lib, x: lib.roll(x, shifts, dims), x)
    assert_same(lambda lib, x: (lib.roll(x, diagonal), x.roll(diagonal, 0)), x)


def assert_unique_matches_torch(array, **kwargs):
    """Values, inverse and counts, with their shapes and dtypes, and whether the values require grad. 0.0
    and -0.0 are one value; which of the two PyTorch returns depends on where its sort leaves them, so the
    sign of a zero is not compared."""
    ours = fastgrad.unique(fastgrad.tensor(array, requires_grad=array.dtype.kind == "f"), return_inverse=True,
                           return_counts=True, **kwargs)
    theirs = torch.unique(torch.tensor(array, requires_grad=array.dtype.kind == "f"), return_inverse=True,
                          return_counts=True, **kwargs)
    for a, b in zip(ours, theirs):
        expected = b.detach().numpy()
        assert a.shape == expected.shape and a.dtype == expected.dtype and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), expected)
        np.testing.assert_array_equal(np.signbit(a.detach().numpy()) & (expected != 0),
                                      np.signbit(expected) & (expected != 0))


@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), seed=st.integers(0, 2**16),
       kind=st.sampled_from(["float64", "float32", "int64", "int32", "bool"]), data=st.data())
def test_unique(shape, seed, kind, data):
    """Few distinct values, so that elements and slices repeat; NaN and -0.0 among the floats."""
    rng = np.random.default_rng(seed)
    array = rng.integers(-1, 2, shape).astype(kind)
    if kind.startswith("float") and array.size:
        array.reshape(-1)[rng.integers(array.size, size=2)] = [np.nan, -0.0]
    assert_unique_matches_torch(array)
    assert_unique_matches_torch(array, sorted=False)
    if len(shape) and all(n for n in shape):
        assert_unique_matches_torch(np.nan_to_num(array), dim=data.draw(st.integers(-len(shape), len(shape) - 1)))


def test_unique_calls_and_results_as_torch():
    x = np.array([[2, 1, 2], [1, 5, 1], [2, 1, 2]])
    for call in (lambda lib, x: lib.unique(x), lambda lib, x: x.unique(return_counts=True),
                 lambda lib, x: lib.unique(x, True, True), lambda lib, x: x.unique(False, True, True, 0),
                 lambda lib, x: lib.unique(x, dim=-1, return_inverse=True), lambda lib, x: x.unique(dim=1)):
        got, expected = call(fastgrad, fastgrad.tensor(x)), call(torch, torch.tensor(x))
        assert isinstance(got, tuple) == isinstance(expected, tuple)  # one tensor alone, else a tuple
        got, expected = (got, expected) if isinstance(got, tuple) else ((got,), (expected,))
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            assert a.dtype == b.detach().numpy().dtype and a.tolist() == b.tolist()
    assert_unique_matches_torch(np.array([3.0, np.nan, 1.0, np.nan, 3.0]))  # each NaN last, in input order


def test_unique_slices_with_nan_are_kept_as_in_torch_though_ordered_nan_last():
    """Slices holding a NaN equal nothing, so each is kept, as in PyTorch. Their order differs: fastgrad
    sorts NaN last (NumPy's order); PyTorch's comparison takes NaN as tied with every number, which is no
    ordering, so where its sort leaves such slices depends on its sort algorithm. The same slices, the same
    counts, and values[inverse] gives back the input in both."""
    x = np.array([[np.nan, 1.0], [1.0, 2.0], [np.nan, 1.0], [1.0, 2.0], [0.0, np.nan]])
    for lib in (fastgrad, torch):
        values, inverse, counts = lib.unique(lib.tensor(x), dim=0, return_inverse=True, return_counts=True)
        np.testing.assert_array_equal(values[inverse].detach().numpy(), x)
        assert sorted(zip(map(str, values.tolist()), counts.tolist())) == [
            ("[0.0, nan]", 1), ("[1.0, 2.0]", 2), ("[nan, 1.0]", 1), ("[nan, 1.0]", 1)]
    assert str(fastgrad.tensor(x).unique(dim=0).tolist()) == "[[0.0, nan], [1.0, 2.0], [nan, 1.0], [nan, 1.0]]"
    assert_unique_matches_torch(np.zeros((3, 0, 2)), dim=1)
    assert_unique_matches_torch(np.zeros((0, 3)), dim=0)
    assert_unique_matches_torch(np.array(2.5))


def test_unique_has_no_derivative_as_in_torch():
    for lib, error in ((fastgrad, NotImplementedError), (torch, NotImplementedError)):
        x = lib.tensor([3.0, 1.0, 3.0], requires_grad=True)
        for values in (lib.unique(x), x.reshape(3, 1).unique(dim=0)):
            assert values.requires_grad
            with pytest.raises(error, match="derivative for .*unique.* is not implemented"):
                values.sum().backward()
        with lib.no_grad():
            assert not x.unique().requires_grad


def test_zero_dim_inputs():
    x = np.array(1.5)
    assert_same(lambda lib, x: lib.gather(x, 0, lib.tensor([0, 0])), x)
    assert_same(lambda lib, x: lib.index_select(x, 0, lib.tensor(0)), x)
    assert_same(lambda lib, x: tuple(lib.sort(x)) + tuple(lib.topk(x, 1)), x)
    assert_same(lambda lib, x: (lib.flip(x, (0,)), lib.roll(x, 3), x.argmin(0, keepdim=True)), x)
    assert_same(lambda lib, x: lib.nonzero(x.detach(), as_tuple=True), x)


def test_integer_tensors():
    ints = np.array([[3, 1, 7], [2, 5, 0]])
    for fn in (lambda lib, x: lib.gather(x, 1, lib.tensor([[2], [0]])),
               lambda lib, x: lib.masked_fill(x, x > 2, 1.9),
               lambda lib, x: lib.scatter(x, 0, lib.tensor([[1, 0, 1]]), 9),
               lambda lib, x: tuple(lib.sort(x, 0, descending=True)),
               lambda lib, x: tuple(lib.topk(x, 2)),
               lambda lib, x: lib.tril(x, -1)):
        expected = fn(torch, torch.tensor(ints))
        got = fn(fastgrad, fastgrad.tensor(ints))
        for a, b in zip(got if isinstance(got, tuple) else (got,), expected if isinstance(expected, tuple)
                        else (expected,)):
            assert a.dtype == b.detach().numpy().dtype and a.tolist() == b.tolist()


BAD_CALLS = {
    "gather float index": lambda lib, x: lib.gather(x, 1, lib.tensor([[0.0]])),
    "gather int16 index": lambda lib, x: lib.gather(x, 1, lib.tensor(np.array([[0]], dtype=np.int16))),
    "gather index too many dims": lambda lib, x: lib.gather(x, 1, lib.tensor([[[0]]])),
    "gather index too large": lambda lib, x: lib.gather(x, 1, lib.tensor([[0], [0], [0]])),
    "gather out of range": lambda lib, x: lib.gather(x, 1, lib.tensor([[3]])),
    "gather negative": lambda lib, x: lib.gather(x, 1, lib.tensor([[-1]])),
    "gather bad dim": lambda lib, x: lib.gather(x, 2, lib.tensor([[0]])),
    "scatter src dtype": lambda lib, x: lib.scatter(x, 1, lib.tensor([[0]]), lib.tensor([[1.0]])),
    "scatter src small": lambda lib, x: lib.scatter(x, 1, lib.tensor([[0, 1]]), x[:, :1]),
    "scatter out of range": lambda lib, x: lib.scatter(x, 1, lib.tensor([[5]]), 1.0),
    "scatter_add number": lambda lib, x: lib.scatter_add(x, 1, lib.tensor([[0]]), 1.0),
    "index_select 2-d index": lambda lib, x: lib.index_select(x, 1, lib.tensor([[0]])),
    "index_select out of range": lambda lib, x: lib.index_select(x, 0, lib.tensor([2])),
    "index_select negative": lambda lib, x: lib.index_select(x, 0, lib.tensor([-1])),
    "index_add count": lambda lib, x: lib.index_add(x, 1, lib.tensor([0, 1]), x),
    "index_add shape": lambda lib, x: lib.index_add(x, 1, lib.tensor([0, 1, 2]), x.reshape(3, 2)),
    "index_add out of range": lambda lib, x: lib.index_add(x, 0, lib.tensor([0, 2]), x),
    "masked_fill float mask": lambda lib, x: lib.masked_fill(x, x * 0, 1.0),
    "masked_fill 1-d value": lambda lib, x: lib.masked_fill(x, x > 0, x[0, :1]),
    "masked_fill no broadcast": lambda lib, x: lib.masked_fill(x, lib.tensor([True, False]), 1.0),
    "masked_select float mask": lambda lib, x: lib.masked_select(x, x * 0),
    "topk k too large": lambda lib, x: lib.topk(x, 4),
    "topk negative k": lambda lib, x: lib.topk(x, -1),
    "topk float k": lambda lib, x: lib.topk(x, 1.0),
    "topk bool": lambda lib, x: lib.topk(x > 0, 1),
    "sort bad dim": lambda lib, x: lib.sort(x, 2),
    "argmin bool": lambda lib, x: lib.argmin(x > 0),
    "argmin empty": lambda lib, x: lib.argmin(x[:0]),
    "argmin empty dim": lambda lib, x: lib.argmin(x[:, :0], 1),
    "argmin bad dim": lambda lib, x: lib.argmin(x, -3),
    "tril 1-d": lambda lib, x: lib.tril(x[0]),
    "triu float diagonal": lambda lib, x: lib.triu(x, 1.0),
    "flip repeated dim": lambda lib, x: lib.flip(x, (0, -2)),
    "flip bad dim": lambda lib, x: lib.flip(x, (2,)),
    "roll mismatch": lambda lib, x: lib.roll(x, (1, 1), 0),
    "roll shifts without dims": lambda lib, x: lib.roll(x, (1, 1)),
    "roll bad dim": lambda lib, x: lib.roll(x, 1, 2),
    "unique bad dim": lambda lib, x: lib.unique(x, dim=2),
    "unique float dim": lambda lib, x: lib.unique(x, dim=1.0),
    "unique dim of 0-d": lambda lib, x: lib.unique(x[0, 0], dim=0),
    "unique sorted not bool": lambda lib, x: lib.unique(x, sorted=1),
    "unique return_counts not bool": lambda lib, x: lib.unique(x, return_counts=None),
    "unique 0-sized other dim": lambda lib, x: lib.unique(x[:0], dim=1),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_rejected_by_both(name):
    call = BAD_CALLS[name]
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(Exception):
        call(torch, torch.tensor(x))
    with pytest.raises((TypeError, ValueError, IndexError, RuntimeError)):
        call(fastgrad, fastgrad.tensor(x))


@pytest.mark.parametrize("values, weights, minlength", [
    ([0, 2, 2, 5], None, 0), ([0, 2, 2, 5], None, 8), ([], None, 0), ([], None, 3), ([3, 1, 3], [0.5, 2.0, 1.5], 0),
    ([3, 1, 3], np.array([1.0, 2.0, 3.0]), 5), ([3, 1, 3], np.array([1, 2, 3], dtype=np.int32), 0),
    ([], np.zeros(0, np.float32), 2), ([], np.zeros(0, np.float64), 0),  # (int64 zeros, whatever the weights)
])
def test_bincount_matches_torch(values, weights, minlength):
    results = []
    for m in (fastgrad, torch):
        w = m.from_numpy(weights) if isinstance(weights, np.ndarray) else None if weights is None else m.tensor(weights)
        counts = m.bincount(m.tensor(values, dtype=m.long), weights=w, minlength=minlength)
        results.append((counts.tolist(), str(counts.dtype).replace("torch.", "")))
    assert results[0] == results[1]


@pytest.mark.parametrize("values, kwargs", [([-1, 2], {}), ([[1, 2]], {}), ([1, 2], {"minlength": -1}),
                                            ([1, 2], {"weights": [1.0, 2.0, 3.0]})])
def test_bincount_refuses_what_torch_refuses(values, kwargs):
    for m in (fastgrad, torch):
        args = {k: m.tensor(v) if isinstance(v, list) else v for k, v in kwargs.items()}
        with pytest.raises(RuntimeError):
            m.bincount(m.tensor(values), **args)


# -- scatter_reduce, take_along_dim, membership, runs, turns -------------------------------------------------
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), include_self=st.booleans(), data=st.data())
def test_scatter_reduce_matches_torch(reduce, shape, seed, include_self, data):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    axis = dim % len(shape)
    index_shape = tuple(int(rng.integers(1, n + 1)) if d != axis else int(rng.integers(1, 6))
                        for d, n in enumerate(shape))
    index = rng.integers(0, shape[axis], index_shape)
    x, src = distinct(shape, seed), distinct(index_shape, seed + 1)
    assert_same(lambda lib, x, s: x.scatter_reduce(dim, lib.tensor(index), s, reduce, include_self=include_self),
                x, src)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_ties_zeros_nan_and_integers_match_torch(same_as_torch, reduce):
    index = np.array([0, 0, 1, 1, 2, 2])
    x = np.array([2.0, 0.0, 1.0, 7.0])
    src = np.array([2.0, 0.0, 0.0, 3.0, np.nan, 1.0])  # a tie with x[0], zeros, a NaN
    for include_self in (True, False):
        # Without include_self, PyTorch still counts a written-over x that equals an amax/amin result among the
        # ties (so src's gradient there is halved); fastgrad does not. Here no x equals a result then.
        same_as_torch(lambda m, x, s: m.scatter_reduce(x, 0, m.tensor(index), s, reduce, include_self=include_self),
                      x if include_self else x + 0.5, src)
        same_as_torch(lambda m, x, s: x.scatter_reduce(0, m.tensor(index), s, reduce, include_self=include_self),
                      np.array([10, -20, 31, 4]), np.array([-3, 0, 4, 5, 7, -1]))
    same_as_torch(lambda m, x, s: x.scatter_reduce(0, m.tensor(0), s, reduce), np.array(2.0), np.array(3.0))
    if reduce != "mean":  # bools: sum and amax are or, prod and amin and (PyTorch has no bool mean)
        for include_self in (True, False):
            same_as_torch(lambda m, x, s: x.scatter_reduce(0, m.tensor(index), s, reduce, include_self=include_self),
                          np.array([True, False, True, False]), np.array([False, True, True, True, False, False]))


def test_scatter_with_reduce_matches_torch_values_and_has_no_derivative():
    for reduce in ("add", "multiply"):
        for lib in (torch, fastgrad):
            x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PyTorch deprecates reduce= here
                out = x.scatter(0, lib.tensor([0, 0]), lib.tensor([4.0, 5.0]), reduce=reduce)
            assert out.tolist() == ([10.0, 2.0, 3.0] if reduce == "add" else [20.0, 2.0, 3.0])
            with pytest.raises((RuntimeError, NotImplementedError)):
                out.sum().backward()


@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), data=st.data())
def test_take_along_dim_and_turns_match_torch(shape, seed, data):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = tuple(int(rng.integers(1, 5)) if d == dim % len(shape) else int(rng.choice([1, n]))
                        for d, n in enumerate(shape))
    index = rng.integers(-shape[dim], shape[dim], index_shape)
    x = distinct(shape, seed)
    assert_same(lambda lib, x: lib.take_along_dim(x, lib.tensor(index), dim), x)
    assert_same(lambda lib, x: x.take_along_dim(lib.tensor(index % shape[dim])), x)
    assert_same(lambda lib, x: x.flipud(), x)
    assert_same(lambda lib, x, y: lib.broadcast_tensors(x, y, x.sum()), x, distinct(shape[-1:], seed + 1))
    if len(shape) >= 2:
        k = data.draw(st.integers(-5, 5))
        dims = (dim, data.draw(st.sampled_from([d for d in range(-len(shape), len(shape))
                                                 if d % len(shape) != dim % len(shape)])))
        assert_same(lambda lib, x: (lib.fliplr(x), lib.rot90(x, k, dims), x.rot90(k, dims[::-1])), x)


def test_take_along_dim_broadcasts_input_against_indices_like_torch():
    x = distinct((3, 1, 4), 3)
    index = np.array([[[0], [3], [-1]]])  # (1, 3, 1): broadcast to (3, 3, 1)
    assert_same(lambda lib, x: lib.take_along_dim(x, lib.tensor(index), 2), x)
    assert_same(lambda lib, x: lib.take_along_dim(x, lib.tensor(np.array([[[1, 0]]])), 0), distinct((2, 1, 1), 4))


def test_isin_bucketize_and_unique_consecutive_match_torch():
    cases = [
        lambda m: m.isin(m.tensor([1, 2, 3, 2]), m.tensor([2, 5])),
        lambda m: m.isin(m.tensor([[1.0, float("nan")], [2.5, 1.0]]), m.tensor([float("nan"), 1])),
        lambda m: m.isin(m.tensor([1.5, 2.0]), m.tensor([2])),
        lambda m: m.isin(2, m.tensor([2, 5])),
        lambda m: m.isin(m.tensor([1, 2]), 2),
        lambda m: m.isin(m.tensor([1, 2, 3]), m.tensor([1, 3]), invert=True),
        lambda m: m.isin(m.tensor([3, 1]), m.tensor([1, 3]), assume_unique=True),
        lambda m: m.bucketize(m.tensor([[1, 5], [9, 10]]), m.tensor([1, 3, 5, 7, 9])),
        lambda m: m.bucketize(m.tensor([1, 5, 9, 0]), m.tensor([1, 3, 5, 7, 9]), right=True),
        lambda m: m.bucketize(3, m.tensor([1, 3, 5])),
        lambda m: m.bucketize(m.tensor([float("nan"), 2.0]), m.tensor([1.0, 3.0]), out_int32=True),
        lambda m: m.unique_consecutive(m.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True, return_counts=True),
        lambda m: m.unique_consecutive(m.tensor([[1, 2], [2, 2]]), return_inverse=True),
        lambda m: m.unique_consecutive(m.tensor([float("nan"), float("nan"), 1.0]), return_counts=True),
        lambda m: m.unique_consecutive(m.tensor([[1, 1], [1, 1], [2, 3]]), True, True, dim=0),
        lambda m: m.unique_consecutive(m.tensor([[1, 1, 2], [1, 1, 3]]), True, True, dim=1),
        lambda m: m.tensor([[1, 1, 2], [1, 1, 3]]).unique_consecutive(dim=-1),
        lambda m: m.unique_consecutive(m.tensor(3), return_inverse=True),
        lambda m: m.unique_consecutive(m.zeros(0, dtype=m.int64), return_counts=True),
    ]
    for case in cases:
        got, expected = case(fastgrad), case(torch)
        got, expected = (x if isinstance(x, tuple) else (x,) for x in (got, expected))
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            assert a.shape == tuple(b.shape) and str(a.dtype) == str(b.dtype).replace("torch.", ""), (a, b)
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("call", [
    lambda m: m.tensor([1.0]).scatter_reduce(0, m.tensor([0]), m.tensor([1.0]), "median"),
    lambda m: m.tensor([1.0]).scatter_reduce(0, m.tensor([0]), m.tensor([1.0]), "sum", include_self=1),
    lambda m: m.tensor([1.0]).scatter_reduce(0, m.tensor([0]), m.tensor([1.0], dtype=m.float64), "sum"),
    lambda m: m.tensor([1.0]).scatter_reduce(0, m.tensor([1]), m.tensor([1.0]), "sum"),
    lambda m: m.tensor([1.0, 2.0]).take_along_dim(m.tensor([0], dtype=m.int32), 0),
    lambda m: m.tensor([[1.0, 2.0]]).take_along_dim(m.tensor([1]), 0),
    lambda m: m.tensor([[1.0, 2.0]]).take_along_dim(m.tensor([-1])),
    lambda m: m.unique_consecutive(m.tensor([1, 2]), dim=1),
    lambda m: m.unique_consecutive(m.zeros(2, 0), dim=0),
    lambda m: m.take_along_dim(m.tensor(3.0), m.tensor(0), 0),
    lambda m: m.isin(m.tensor([True, False]), m.tensor([1])),
    lambda m: m.fliplr(m.tensor([1, 2])),
    lambda m: m.flipud(m.tensor(1)),
    lambda m: m.rot90(m.tensor([[1, 2], [3, 4]]), 1, [0, 0]),
    lambda m: m.rot90(m.tensor([[1, 2], [3, 4]]), 1, [0]),
    lambda m: m.rot90(m.tensor([1, 2]), 1),
    lambda m: m.rot90(m.tensor([[1, 2], [3, 4]]), 1.5),
    lambda m: m.rot90(m.tensor([[1, 2], [3, 4]]), 1, [0, 2]),
    lambda m: m.bucketize(m.tensor([1]), m.tensor([[1, 3]])),
    lambda m: m.broadcast_tensors(m.tensor([1, 2]), m.tensor([1, 2, 3])),
])
def test_what_torch_refuses_is_refused(call):
    for lib in (torch, fastgrad):
        with pytest.raises((RuntimeError, TypeError, ValueError, IndexError, NotImplementedError)):
            call(lib)


# PyTorch selects with ints (and 0-d integer tensors) before it indexes with arrays: the indexed dims stay in
# place where NumPy, which counts the int among the arrays, would move them to the front
MIXED_KEYS = [
    lambda m: (0, None, slice(None), m.tensor([2, 0, 2])),
    lambda m: (m.tensor(1), None, slice(None), m.tensor([2, 0, 2])),
    lambda m: (0, Ellipsis, m.tensor([[1, 0], [3, 3]])),
    lambda m: (-1, slice(1, None), m.tensor([True, False, True, True])),
    lambda m: (m.tensor([1, 0, 1]), slice(None), -2),
    lambda m: (True, 0, slice(None), m.tensor([3, 1])),
    lambda m: (slice(None), 1, m.tensor([0, 0])),
    lambda m: ([], 0),
    lambda m: (True, 1, 1),
    lambda m: (m.tensor(1), m.tensor([0, 2, 2])),
    lambda m: (slice(None), m.tensor([2, 0]), Ellipsis, m.tensor([3, 3])),  # an Ellipsis of no dims parts nothing
    lambda m: (None, m.tensor([1, 0]), Ellipsis, m.tensor([0, 2]), m.tensor([3, 1])),
    lambda m: (m.tensor([1, 0]), Ellipsis, m.tensor([3, 1])),
    lambda m: (m.tensor([1, 0]), None, m.tensor([2, 1])),
]


@pytest.mark.parametrize("key", MIXED_KEYS)
def test_keys_mixing_ints_and_index_arrays_read_and_write_as_torch(same_as_torch, key):
    x = distinct((2, 3, 4), 0)
    same_as_torch(lambda m, x: x[key(m)], x)
    shape = tuple(torch.tensor(x)[key(torch)].shape)

    def assign(m, x, v, accumulate):
        y = x * 1
        if accumulate and all(isinstance(p, m.Tensor) for p in key(m)):  # index_put_ takes index tensors only
            return y.index_put_(key(m), v, accumulate=True)
        y[key(m)] = v
        return y

    for accumulate in (False, True):
        same_as_torch(lambda m, x, v: assign(m, x, v, accumulate), x, distinct(shape, 1))
        same_as_torch(lambda m, x, v: assign(m, x, v, accumulate), x, distinct(shape[-1:], 2))


@pytest.mark.parametrize("shape,dim", [((0,), 0), ((0, 3), 0), ((2, 0), 1), ((0,), None)])
def test_unique_and_unique_consecutive_of_empty_slices_match_torch(same_as_torch, shape, dim):
    for name in ("unique", "unique_consecutive"):
        same_as_torch(lambda m, x: getattr(m, name)(x, return_inverse=True, return_counts=True, dim=dim),
                      np.zeros(shape, dtype=bool))


def test_index_put_returns_a_new_tensor_as_torch(same_as_torch):
    x, values = distinct((4, 3), 0), distinct((3, 3), 1)
    for accumulate in (False, True):
        same_as_torch(lambda m, x, v: m.index_put(x, (m.tensor([2, 0, 2]),), v, accumulate), x, values)
        same_as_torch(lambda m, x, v: x.index_put((m.tensor([1, 1]), m.tensor([0, -1])), v[0, :2], accumulate=accumulate),
                      x, values)
    same_as_torch(lambda m, x: (x.index_put((m.tensor([0]),), m.tensor(2.0, dtype=m.float64)), x), x)  # x unchanged


@pytest.mark.parametrize("values", [lambda m: m.tensor([1.0, 2.0]), lambda m: m.tensor([1, 2]), lambda m: 2.0,
                                    lambda m: m.tensor(True)])
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_refuses_values_of_another_dtype_as_torch(values, accumulate):
    for m in (torch, fastgrad):
        with pytest.raises((RuntimeError, TypeError)):
            m.zeros(3, dtype=m.float64).index_put_((m.tensor([0, 1]),), values(m), accumulate=accumulate)


@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")
@pytest.mark.parametrize("key", [
    lambda m: [[0, 1], [2, 0]], lambda m: [m.tensor([1, 1]), m.tensor([0, 2])], lambda m: [0, slice(1, None)],
    lambda m: [None, 1], lambda m: [[1, 0]], lambda m: [1, 0], lambda m: [[True, False]], lambda m: [0] * 40,
    lambda m: [Ellipsis, [3, 0]], lambda m: ([[], []],), lambda m: ([], [[]]),
])
def test_a_list_key_holding_sequences_indexes_as_a_tuple_as_in_torch(same_as_torch, key):
    x = distinct((2, 3, 4), 0)
    same_as_torch(lambda m, x: x[key(m)], x)

    def assign(m, x):
        y = x * 1
        y[key(m)] = 0.5
        return y

    same_as_torch(assign, x)


def test_a_list_key_read_as_a_tuple_warns_as_torch():
    with pytest.warns(UserWarning, match="non-tuple sequence for multidimensional indexing is deprecated"):
        fastgrad.zeros(2, 3)[[[0, 1], [2, 0]]]


def test_a_uint8_index_tensor_reads_as_a_mask_with_pytorchs_warning():
    """PyTorch's deprecated rule: uint8 index tensors are masks (fastgrad took them as integer indices: another
    shape, silently)."""
    results = []
    for lib in (fastgrad, torch):
        x = lib.arange(24.0).reshape(2, 3, 4)
        with warnings.catch_warnings(record=True) as caught:  # (PyTorch warns once per process)
            warnings.simplefilter("always")
            whole = x[lib.tensor(np.array([1, 0], dtype=np.uint8))]
            zero_d = x[lib.tensor(np.array(1, dtype=np.uint8))]
        if lib is fastgrad:
            assert len(caught) == 2 and "indexing with dtype uint8 is now deprecated" in str(caught[0].message)
        results.append((whole.detach().numpy(), zero_d.detach().numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_an_assignment_through_a_bool_and_an_int_writes_the_element():
    results = []
    for lib in (fastgrad, torch):
        x = lib.tensor([1.0, 2.0])
        x[True, 1] = 7.0
        results.append(x.detach().numpy())
    np.testing.assert_array_equal(*results)


@pytest.mark.parametrize("requires_grad", [False, True])
def test_index_put_accumulate_adds_values_broadcast_over_a_multi_dim_index(requires_grad):
    """Values of fewer dims than a 2-D index are broadcast over its rows, every row adding up (NumPy 2.4's add.at,
    given them unbroadcast, added the first row alone and read past the values for the others)."""
    results = []
    for lib in (fastgrad, torch):
        x = lib.zeros(4, dtype=lib.float64, requires_grad=requires_grad).clone()
        index = lib.tensor([[-2, 3, 1], [-1, -2, 1]])
        x.index_put_((index,), lib.tensor([1.0, 10.0, 100.0], dtype=lib.float64), accumulate=True)
        y = lib.zeros(4, dtype=lib.float64)
        y[index] += lib.tensor([1.0, 10.0, 100.0], dtype=lib.float64)  # no accumulation: the last write wins
        results.append((x.detach().numpy(), y.detach().numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("mask", [np.zeros(0, bool), np.zeros((2, 0), bool), np.zeros((0, 3), bool),
                                  np.zeros(0, np.uint8)])
@pytest.mark.parametrize("write", [False, True])
def test_an_empty_mask_of_the_wrong_shape_is_refused_as_torch(mask, write):
    """An empty mask must match the dims it indexes like any other (NumPy took it as an empty integer index, so
    x[mask] read or wrote nothing, silently)."""
    for lib in (fastgrad, torch):
        x, key = lib.zeros(2, 3), lib.tensor(mask)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (uint8 masks are deprecated)
            with pytest.raises(IndexError, match="(?i)shape of the mask"):
                if write:
                    x[key] = 1.0
                else:
                    x[key]
    for lib in (fastgrad, torch):  # a mask of the right (empty) shape selects nothing
        assert lib.zeros(0, 3)[lib.tensor(np.zeros(0, bool))].shape == (0, 3)


@pytest.mark.parametrize("index", [[-1, 0], -1])
def test_index_copy_refuses_negative_indices_as_torch(index):
    """PyTorch's index_copy takes no index below 0 (fastgrad counted it from the end, writing the last slice)."""
    for lib in (fastgrad, torch):
        x, source = lib.zeros(2, 3, dtype=lib.float64), lib.ones(2, np.size(index), dtype=lib.float64)
        with pytest.raises(IndexError, match="out of"):
            x.index_copy(1, lib.tensor(index), source)
        with pytest.raises(IndexError, match="out of"):
            x.index_copy_(1, lib.tensor(index), source)
    same = [lib.zeros(2, 3).index_fill(1, lib.tensor(index), 1.0).detach().numpy() for lib in (fastgrad, torch)]
    np.testing.assert_array_equal(*same)  # index_fill does count them from the end


@pytest.mark.parametrize("call", [lambda x, i: x.index_copy(1, i, x[:, :2]), lambda x, i: x.index_copy_(1, i, x[:, :2]),
                                  lambda x, i: x.index_fill(1, i, 1.0), lambda x, i: x.index_fill_(1, i, 1.0)])
def test_index_copy_and_index_fill_refuse_an_int32_index_as_torch(call):
    ours = outcome(lambda: call(fastgrad.zeros(2, 3), fastgrad.tensor([0, 1], dtype=fastgrad.int32)))
    theirs = outcome(lambda: call(torch.zeros(2, 3), torch.tensor([0, 1], dtype=torch.int32)))
    assert isinstance(theirs, Raised) and same_exception_type(ours, theirs), (ours, theirs)  # (IndexError, RuntimeError)
    assert "must be an int64 tensor" in str(ours.error)


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("values_shape", [(1, 3, 2), (1, 1, 2), (3,)])
def test_index_put_refuses_values_that_do_not_broadcast_to_the_indexed_part_as_torch(values_shape, accumulate):
    """index_put_ keeps the values' leading size-1 dims, which x[key] = values drops (fastgrad dropped them in both)."""
    for lib in (fastgrad, torch):
        x, values = lib.zeros(3, 2), lib.ones(*values_shape)
        with pytest.raises(RuntimeError, match="(?i)values? (tensor )?of shape"):
            x.index_put_((lib.tensor([0, 1, 2]),), values, accumulate=accumulate)
        x[lib.tensor([0, 1, 2])] = lib.ones(1, 3, 2)  # dropped here
        assert x.sum().item() == 6


def test_index_put_fills_through_a_lone_mask_with_a_one_element_value_of_any_shape_as_torch():
    results = []
    for lib in (fastgrad, torch):
        x = lib.zeros(3, 2)
        x.index_put_((lib.tensor([True, False, True]),), lib.full((1, 1, 1), 5.0))
        results.append(x.detach().numpy())
        with pytest.raises(RuntimeError, match="(?i)values? (tensor )?of shape"):  # not when accumulating
            x.index_put_((lib.tensor([True, False, True]),), lib.full((1, 1, 1), 5.0), accumulate=True)
    np.testing.assert_array_equal(*results)


SEVERAL_ELLIPSES = [(..., ...), (..., 0, ...), (0, ..., ...), (..., None, ...), (..., ..., ...),
                    (..., slice(None), ...), (..., ..., 0), (..., [0, 1], ...), (0, ..., 0, ...), (None, ..., ...),
                    (..., ..., None, None), (..., slice(1, None), ..., 0)]


@pytest.mark.parametrize("shape", [(2, 3, 4), (2,), ()])
@pytest.mark.parametrize("key", SEVERAL_ELLIPSES, ids=repr)
def test_a_key_of_several_ellipses_reads_and_writes_as_in_torch(key, shape):
    # PyTorch 2.13 takes them (each Ellipsis skips the dims the first one does) where NumPy refuses any second one
    def read_and_write(m):
        x = m.arange(float(np.prod(shape)), requires_grad=True).reshape(shape)
        part = x[key]
        part.sum().backward() if part.numel() else None
        y = x.detach().clone()
        y[key] = -1.0
        return part.detach().numpy(), x.grad.numpy() if x.grad is not None else None, y.detach().numpy()

    ours, theirs = outcome(lambda: read_and_write(fastgrad)), outcome(lambda: read_and_write(torch))
    if isinstance(theirs, Raised):
        assert same_exception_type(ours, theirs) and isinstance(ours.error, IndexError), (ours, theirs)
        return
    assert not isinstance(ours, Raised), (ours, theirs)
    for mine, their in zip(ours, theirs):
        assert (mine is None) == (their is None)
        if their is not None:
            assert mine.shape == their.shape
            np.testing.assert_array_equal(mine, their)


@pytest.mark.parametrize("indices", [
    lambda m: ([0, 1],), lambda m: (0,), lambda m: (slice(None),), lambda m: (None,), lambda m: (np.array([0, 1]),),
    lambda m: [[0, 1]], lambda m: (m.tensor([0, 1]), 0), lambda m: (m.tensor([0]), None), lambda m: (...,),
    lambda m: (True,), lambda m: ("a",), lambda m: (), lambda m: (m.tensor([0, 1]),), lambda m: [m.tensor(0)]])
@pytest.mark.parametrize("form", ["index_put_", "index_put", "torch.index_put"])
def test_index_put_takes_only_tensors_as_indices_as_torch(form, indices):
    # fastgrad took any key x[...] takes, where PyTorch's index_put_ refuses all but tensors (TypeError)
    def put(m):
        x = m.zeros(3, 2)
        call = m.index_put if form == "torch.index_put" else getattr(x, form)
        return call(x, indices(m), m.tensor(1.0)) if form == "torch.index_put" else call(indices(m), m.tensor(1.0))

    ours, theirs = outcome(lambda: put(fastgrad)), outcome(lambda: put(torch))
    if isinstance(theirs, Raised):
        assert same_exception_type(ours, theirs), (ours, theirs)
        assert "index_put_: indices must" in str(ours.error)
    else:
        assert ours.tolist() == theirs.tolist()


# x[key] = value with a value tensor of another dtype: name -> (key(L, x), the value's shape, its dtype name)
OTHER_DTYPE_WRITES = {
    "an index tensor": (lambda L, x: L.tensor([0]), (1, 2), "float64"),
    "a list of ints": (lambda L, x: [0, 1], (2, 2), "float64"),
    "a mask, values of several elements": (lambda L, x: x > -1, (6,), "float64"),
    "an index tensor and a slice": (lambda L, x: (L.tensor([0]), slice(0, 1)), (1, 1), "float64"),
    "an index tensor, a 0-d value": (lambda L, x: L.tensor([0]), (), "float64"),
    "an index tensor, integer values": (lambda L, x: L.tensor([0]), (1, 2), "int64"),
    # cast, as PyTorch: a basic key copies; a mask and one element fill with it as a number
    "a slice": (lambda L, x: slice(0, 1), (1, 2), "float64"),
    "a mask, a 0-d value": (lambda L, x: x > -1, (), "float64"),
    "a mask, a one-element value": (lambda L, x: x > -1, (1,), "float64"),
}


@pytest.mark.parametrize("case", OTHER_DTYPE_WRITES)
def test_an_indexed_write_of_another_dtype_is_refused_or_cast_as_torch(case):
    """PyTorch's index_put_ under x[advanced key] = value refuses a value tensor of another dtype (fastgrad cast it,
    found by a fuzzed program)."""
    key, shape, dtype = OTHER_DTYPE_WRITES[case]

    def write(L):
        x = L.zeros(3, 2)
        x[key(L, x)] = L.ones(shape, dtype=getattr(L, dtype)) * 2
        return x.detach().numpy().tolist()

    ours, theirs = outcome(lambda: write(fastgrad)), outcome(lambda: write(torch))
    assert isinstance(ours, Raised) == isinstance(theirs, Raised), (ours, theirs)
    assert same_exception_type(ours, theirs) if isinstance(theirs, Raised) else ours == theirs, (ours, theirs)

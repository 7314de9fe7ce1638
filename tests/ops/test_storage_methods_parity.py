"""The *_scatter functions, index_reduce, put, resize_ and its kin, as_strided_, nonzero_static, the unsafe_ splits,
constant_pad_nd and the hardshrink/prelu methods against PyTorch 2.13: values, dtypes, shapes, strides, gradients,
and the exception type of each bad call."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
ARRAY = np.random.default_rng(0).standard_normal((3, 4, 5))

# call(lib, x) -> a tensor or a tuple of tensors, for lib = fastgrad and torch, on x = ARRAY as a tensor
CALLS = {
    "diagonal_scatter": lambda lib, x: lib.diagonal_scatter(x, lib.ones(3, 4, dtype=lib.float64) * 2, 0, 1, 2),
    "diagonal_scatter offset, dims": lambda lib, x: x.diagonal_scatter(x[0, :, :2].exp(), -1, 0, 2),
    "diagonal_scatter src cast": lambda lib, x: x.diagonal_scatter(lib.arange(15).reshape(5, 3), 1, 0, 1),
    "select_scatter": lambda lib, x: lib.select_scatter(x, x[0] * x[1], 0, -1),
    "select_scatter dim 2": lambda lib, x: x.select_scatter(x.sum(2).sin(), 2, 3),
    "slice_scatter": lambda lib, x: lib.slice_scatter(x, x[:, :, :2] ** 2, 2, 1, None, 2),
    "slice_scatter defaults": lambda lib, x: x.slice_scatter(x * 3),
    "slice_scatter clipped": lambda lib, x: x.slice_scatter(x[:, 1:] * 2, 1, -3, 100),
    "as_strided_scatter": lambda lib, x: lib.as_strided_scatter(x, x[0, :2, :3] + 1, (2, 3), (7, 2), 3),
    "as_strided_scatter offset default": lambda lib, x: x.as_strided_scatter(x[0, 0] * 5, (5,), (12,)),
    "index_reduce prod": lambda lib, x: x.index_reduce(1, lib.tensor([3, 0, 3]), x[:, :3] + 1, "prod"),
    "index_reduce mean": lambda lib, x: lib.index_reduce(x, 0, lib.tensor([2, 2]), x[:2] * 2, "mean"),
    "index_reduce amax": lambda lib, x: x.index_reduce(2, lib.tensor([4, 0, 4, 1]), x[:, :, 1:], "amax"),
    "index_reduce amin, int32 index": lambda lib, x: x.index_reduce(
        0, lib.tensor([1, 1, 0], dtype=lib.int32), x.flip(0), "amin"),
    "index_reduce without self": lambda lib, x: x.index_reduce(1, lib.tensor([0, 2, 0]), x[:, 1:] * x[:, :3],
                                                               "prod", include_self=False),
    "index_reduce mean without self": lambda lib, x: x.index_reduce(0, lib.tensor([1, 1]), x[1:], "mean",
                                                                    include_self=False),
    "index_reduce bool": lambda lib, x: (x > 0).index_reduce(1, lib.tensor([0, 0]), (x < 0)[:, :2], "prod"),
    "index_reduce amax without self": lambda lib, x: x.index_reduce(0, lib.tensor([2, 0]), x[1:], "amax",
                                                                    include_self=False),
    "put": lambda lib, x: x.put(lib.tensor([[0, -1], [7, 30]]), x[0, :2, :2] * 4),
    "put accumulate": lambda lib, x: lib.put(x, lib.tensor([5, 5, 59]), x[1, 1, :3], accumulate=True),
    "put of a transpose": lambda lib, x: x.transpose(0, 2).put(lib.tensor([1, 2]), x[0, 0, :2] - 1),
    "put repeated": lambda lib, x: x.put(lib.tensor([3, 3]), x[2, 0, :2]),
    "put 0-d": lambda lib, x: x[0, 0, 0].put(lib.tensor([0, -1]), x[1, 1, :2], accumulate=True),
    "resize": lambda lib, x: x.resize(12, 5),
    "resize of a transpose": lambda lib, x: x.transpose(0, 1).resize(4, 15),
    "resize_as": lambda lib, x: x.resize_as(lib.zeros(5, 12)),
    "unsafe_chunk": lambda lib, x: lib.unsafe_chunk(x, 3, 2),
    "unsafe_split": lambda lib, x: x.unsafe_split(3, -1),
    "unsafe_split_with_sizes": lambda lib, x: lib.unsafe_split_with_sizes(x, [1, 3], 1),
    "constant_pad_nd": lambda lib, x: lib.constant_pad_nd(x, (1, 2, -1, 0), 0.5),
    "constant_pad_nd default value": lambda lib, x: lib.constant_pad_nd(x.transpose(0, 2), (2, 2, 1, 1, 0, 1)),
    "hardshrink": lambda lib, x: x.hardshrink(0.3),
    "hardshrink default": lambda lib, x: x.hardshrink(),
    "prelu": lambda lib, x: x.prelu(x[0, :, 0]),
}


def as_tuple(result):
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_values_and_gradients_match_torch(name, same_as_torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (resize warns, index_reduce is "in beta")
        same_as_torch(CALLS[name], ARRAY, grad=not name.startswith("as_strided_scatter"))  # (see below)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_strides_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = as_tuple(CALLS[name](fastgrad, fastgrad.tensor(ARRAY))), as_tuple(CALLS[name](
            torch, torch.tensor(ARRAY)))
    assert [piece.stride() for piece in ours] == [piece.stride() for piece in theirs]


def test_as_strided_scatter_gives_the_input_the_true_gradient_where_torch_gives_it_the_window():
    """PyTorch 2.13 hands the input g inside the window (as src), although the output there is src's: the
    derivative by the input is 0 there, and gradcheck (test_view_scatter) confirms fastgrad's."""
    grads = []
    for lib in (fastgrad, torch):
        x = lib.zeros(5, dtype=lib.float64, requires_grad=True)
        src = lib.ones(2, dtype=lib.float64, requires_grad=True)
        lib.as_strided_scatter(x, src, (2,), (2,), 1).backward(lib.arange(5.0, dtype=lib.float64) + 10)
        grads.append((x.grad.tolist(), src.grad.tolist()))
    assert grads[0][1] == grads[1][1] == [11.0, 13.0]
    assert grads[0][0] == [10.0, 0.0, 12.0, 0.0, 14.0] and grads[1][0] == [0.0, 11.0, 0.0, 13.0, 0.0]


def test_as_strided_scatter_of_a_non_contiguous_input_matches_torch_or_both_refuse_its_gradient():
    for lib in (fastgrad, torch):
        values = lib.as_strided_scatter(lib.arange(12.0).reshape(4, 3).t(), -lib.ones(2, 2), (2, 2), (4, 1), 1)
        assert values.stride() == (1, 3)
        assert values.tolist() == [[0.0, 3.0, -1.0, 9.0], [-1.0, 4.0, 7.0, 10.0], [-1.0, -1.0, 8.0, 11.0]]
        with pytest.raises(RuntimeError):
            lib.as_strided_scatter(lib.zeros(3, 4, requires_grad=True).t(), lib.ones(2, 2), (2, 2), (1, 3))


@pytest.mark.parametrize("view", [lambda x: x[2:8], lambda x: x.reshape(2, 5)[:, ::2],
                                  lambda x: x.reshape(5, 2).t()[:, 1:], lambda x: x.reshape(5, 2)[1:],
                                  lambda x: x[:2].reshape(2, 1).expand(2, 3)],
                         ids=["slice", "strided", "transposed slice", "rows", "expanded"])
@pytest.mark.parametrize("offset", [None, 0, 1, 3])
def test_as_strided_scatter_of_a_view_counts_in_its_memory_like_torch(view, offset):
    def call(lib):
        return lib.as_strided_scatter(view(lib.arange(10.0)), -lib.arange(1.0, 5.0).reshape(2, 2), (2, 2), (3, 1),
                                      offset)

    try:
        expected = call(torch)
    except RuntimeError:  # (a window past the end of the memory)
        with pytest.raises(RuntimeError, match="outside the memory"):
            call(fastgrad)
        return
    assert call(fastgrad).tolist() == expected.tolist()


def test_as_strided_scatter_gives_src_no_gradient_where_the_window_misses_the_input():
    """Window positions on memory around the input write nothing: their src elements get no gradient (PyTorch
    2.13 reads theirs from g at other positions)."""
    x = (fastgrad.arange(10.0, dtype=fastgrad.float64, requires_grad=True) * 1)[2:8]
    src = fastgrad.ones(3, dtype=fastgrad.float64, requires_grad=True)
    out = fastgrad.as_strided_scatter(x, src, (3,), (1,), 0)
    assert out.tolist() == [1.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    out.backward(fastgrad.arange(6.0, dtype=fastgrad.float64) + 10)
    assert src.grad.tolist() == [0.0, 0.0, 10.0]


@st.composite
def index_reduce_calls(draw):
    """A shape, a dim, an index into it (repeats likely) and a reduction, with include_self."""
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    dim = draw(st.integers(0, len(shape) - 1))
    index = draw(st.lists(st.integers(0, shape[dim] - 1), min_size=1, max_size=5))
    return shape, dim, index, draw(st.sampled_from(["prod", "mean", "amax", "amin"])), draw(st.booleans())


@SETTINGS
@given(call=index_reduce_calls(), seed=st.integers(0, 2**16), integers=st.booleans())
def test_index_reduce_matches_torch(call, seed, integers, same_as_torch):
    shape, dim, index, reduce, include_self = call
    rng = np.random.default_rng(seed)
    source_shape = shape[:dim] + (len(index),) + shape[dim + 1:]
    arrays = [rng.integers(-3, 4, n).astype(np.int64 if integers else np.float64) for n in (shape, source_shape)]
    if not (integers or include_self):
        arrays[0] += 0.5  # no written-over value ties with a result (see the test below)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_as_torch(lambda lib, x, source: x.index_reduce(dim, lib.tensor(index), source, reduce,
                                                            include_self=include_self), *arrays)


def test_index_reduce_gives_no_share_of_an_extreme_to_a_written_over_value_where_torch_does():
    """Without include_self a value written over does not take part, so it takes no share of the gradient of an
    amax it ties with: the scattered value gets all of it (as gradcheck finds). PyTorch 2.13 counts the tie and
    gives the scattered value half, losing the other half."""
    grads = []
    for lib in (fastgrad, torch):
        source = lib.tensor([[2.0]], dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.tensor([[2.0]], dtype=lib.float64).index_reduce(0, lib.tensor([0]), source, "amax",
                                                                 include_self=False).sum().backward()
        grads.append(source.grad.item())
    assert grads == [1.0, 0.5]


@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), seed=st.integers(0, 2**16),
       data=st.data())
def test_put_matches_torch(shape, seed, data, same_as_torch):
    count = int(np.prod(shape))
    assume(count > 0)
    index = data.draw(st.lists(st.integers(-count, count - 1), max_size=6))
    accumulate = data.draw(st.booleans())
    assume(accumulate or len({i % count for i in index}) == len(index))  # (one write wins: PyTorch's pick is its own)
    rng = np.random.default_rng(seed)
    same_as_torch(lambda lib, x, source: x.put(lib.tensor(index, dtype=lib.int64), source, accumulate),
                  rng.standard_normal(shape), rng.standard_normal(len(index)))


@pytest.mark.parametrize("size", [0, 2, 3, 7])
@pytest.mark.parametrize("fill_value", [-1, 9])
@pytest.mark.parametrize("array", [np.array([[0, 1, 0], [2, 0, 3]]), np.array(3.5), np.zeros((2, 0)),
                                   np.array([True, False, True])], ids=["2-d", "0-d", "empty", "bool"])
def test_nonzero_static_matches_torch(array, size, fill_value):
    ours = fastgrad.nonzero_static(fastgrad.tensor(array), size=size, fill_value=fill_value)
    theirs = torch.tensor(array).nonzero_static(size=size, fill_value=fill_value)
    assert ours.dtype == fastgrad.int64 and ours.tolist() == theirs.tolist() and ours.shape == tuple(theirs.shape)


RESIZES = {
    "shrink": lambda lib, x: x.resize_(2, 2),
    "the same shape": lambda lib, x: x.resize_(6),
    "grow": lambda lib, x: x.resize_([3, 3])[:2],
    "the same count": lambda lib, x: x.resize_(3, 2),
    "a transpose to another shape": lambda lib, x: x.reshape(2, 3).t().resize_(2, 3),
    "a transpose to its shape": lambda lib, x: x.reshape(2, 3).t().resize_(3, 2),
    "a view within its memory": lambda lib, x: x[2:].resize_(1, 3),
    "to one element": lambda lib, x: x.resize_(1, 1),
    "as a template": lambda lib, x: x.resize_as_(lib.zeros(2, 1)),
    "as a template function": lambda lib, x: lib.resize_as_(x, lib.zeros(5)),
}


@pytest.mark.parametrize("name", sorted(RESIZES))
def test_resize_in_place_matches_torch(name):
    bases = fastgrad.arange(6.0), torch.arange(6.0)
    ours, theirs = (RESIZES[name](lib, base) for lib, base in zip((fastgrad, torch), bases))
    assert ours.tolist() == theirs.tolist() and ours.stride() == theirs.stride()
    assert ours.storage_offset() == theirs.storage_offset()
    # (past the old elements, grown memory holds zeros in fastgrad, whatever was there in PyTorch)
    assert bases[0].reshape(-1)[:6].tolist() == bases[1].reshape(-1)[:6].tolist()


def test_resize_in_place_changes_the_version_and_writes_reach_views_like_torch():
    for lib in (fastgrad, torch):
        base = lib.arange(6.0)
        view = base[1:]
        version = base._version
        view.resize_(2, 2)
        view[1, 1] = 100.0
        assert base._version > version and base.tolist() == [0.0, 1.0, 2.0, 3.0, 100.0, 5.0]


def test_resize_in_place_is_refused_for_tensors_that_require_grad_like_torch():
    for lib in (fastgrad, torch):
        leaf = lib.ones(3, requires_grad=True)
        for call in (lambda: leaf.resize_(2), lambda: (leaf * 2).resize_(3), lambda: leaf.resize_as_(leaf)):
            with pytest.raises(RuntimeError, match="require grad"):
                call()
        with lib.no_grad(), pytest.raises(RuntimeError, match="require grad"):
            leaf.resize_(2)


def test_resize_out_of_place_warns_and_keeps_the_number_of_elements_like_torch():
    for lib in (fastgrad, torch):
        with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
            assert lib.arange(6.0).resize(3, 2).shape == (3, 2)
        with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"), pytest.raises(RuntimeError):
            lib.arange(6.0).resize_as(lib.zeros(4))


AS_STRIDED_IN_PLACE = {
    "a window": lambda lib, x: x.as_strided_((2, 2), (1, 2), 1),
    "windows in turn, offsets from the memory's start": lambda lib, x: x.as_strided_((2, 2), (1, 2), 1).as_strided_(
        (3,), (2,), 0),
    "the default offset": lambda lib, x: x.as_strided_((3,), (1,), 2).as_strided_((2,), (1,)),
    "the whole memory again": lambda lib, x: x.as_strided_((3,), (1,), 2).as_strided_((6,), (1,), 0),
    "a view": lambda lib, x: x[1:].as_strided_((2,), (2,), 0),
    "the function": lambda lib, x: lib.as_strided_(x, (3, 2), (1, 3)),
}


@pytest.mark.parametrize("name", sorted(AS_STRIDED_IN_PLACE))
def test_as_strided_in_place_matches_torch(name):
    call = AS_STRIDED_IN_PLACE[name]
    results = []
    for lib in (fastgrad, torch):
        x = lib.arange(6.0)
        version = x._version
        result = call(lib, x)
        assert x._version > version
        result.mul_(-1.0)  # a write reaches the memory
        results.append((result.tolist(), result.stride(), result.storage_offset()))
        leaf = lib.arange(6.0, requires_grad=True)
        changed = leaf * 1.0
        out = call(lib, changed)
        (out * lib.arange(float(out.numel())).reshape(out.shape)).sum().backward()
        results.append(leaf.grad.tolist())
    assert results[0] == results[2] and results[1] == results[3]


def test_as_strided_in_place_refuses_a_leaf_that_requires_grad_like_torch():
    for lib in (fastgrad, torch):
        with pytest.raises(RuntimeError, match="leaf"):
            lib.ones(3, requires_grad=True).as_strided_((2,), (1,))


BAD_CALLS = {
    "diagonal_scatter src shape": lambda lib, x: x.diagonal_scatter(lib.ones(2), 0, 0, 1),
    "diagonal_scatter src not a tensor": lambda lib, x: x.diagonal_scatter(1.0),
    "select_scatter index out of range": lambda lib, x: x.select_scatter(lib.ones(3, 5), 1, 4),
    "select_scatter src shape": lambda lib, x: x.select_scatter(lib.ones(5, 3), 1, 0),
    "slice_scatter step 0": lambda lib, x: x.slice_scatter(x[:, :0], 1, 0, 4, 0),
    "slice_scatter negative step": lambda lib, x: x.slice_scatter(x, 1, 0, 4, -1),
    "slice_scatter src shape": lambda lib, x: x.slice_scatter(x[:, :2]),
    "slice_scatter dim out of range": lambda lib, x: x.slice_scatter(x, 3),
    "as_strided_scatter src shape": lambda lib, x: x.as_strided_scatter(lib.ones(3), (2,), (1,)),
    "index_reduce sum": lambda lib, x: x.index_reduce(0, lib.tensor([0]), x[:1], "sum"),
    "index_reduce max": lambda lib, x: x.index_reduce(0, lib.tensor([0]), x[:1], "max"),
    "index_reduce float index": lambda lib, x: x.index_reduce(0, lib.tensor([0.0]), x[:1], "prod"),
    "index_reduce dtype": lambda lib, x: x.index_reduce(0, lib.tensor([0]), x[:1].float(), "prod"),
    "index_reduce count": lambda lib, x: x.index_reduce(0, lib.tensor([0, 1]), x[:1], "prod"),
    "index_reduce shape": lambda lib, x: x.index_reduce(0, lib.tensor([0]), x[:1, :2], "prod"),
    "index_reduce index out of range": lambda lib, x: x.index_reduce(0, lib.tensor([3]), x[:1], "prod"),
    "index_reduce negative index": lambda lib, x: x.index_reduce(0, lib.tensor([-1]), x[:1], "prod"),
    "index_reduce 2-d index": lambda lib, x: x.index_reduce(0, lib.tensor([[0]]), x[:1], "prod"),
    "index_reduce bool mean": lambda lib, x: (x > 0).index_reduce(0, lib.tensor([0]), (x > 0)[:1], "mean"),
    "index_reduce bool 1-d": lambda lib, x: (x > 0)[0, 0].index_reduce(0, lib.tensor([0]), (x > 0)[0, 0, :1], "amax"),
    "index_reduce include_self int": lambda lib, x: x.index_reduce(0, lib.tensor([0]), x[:1], "prod",
                                                                   include_self=1),
    "index_reduce_ of a leaf that requires grad": lambda lib, x: x.requires_grad_().index_reduce_(
        0, lib.tensor([0]), x[:1].detach(), "prod"),
    "put out of range": lambda lib, x: x.put(lib.tensor([60]), x[0, 0, :1]),
    "put negative out of range": lambda lib, x: x.put(lib.tensor([-61]), x[0, 0, :1]),
    "put count": lambda lib, x: x.put(lib.tensor([1, 2]), x[0, 0, :1]),
    "put dtype": lambda lib, x: x.put(lib.tensor([1]), lib.tensor([1])),
    "put int32 index": lambda lib, x: x.put(lib.tensor([1], dtype=lib.int32), x[0, 0, :1]),
    "put_ of a leaf that requires grad": lambda lib, x: x.requires_grad_().put_(lib.tensor([1]), x[0, 0, :1].detach()),
    "nonzero_static negative size": lambda lib, x: x.nonzero_static(size=-1),
    "nonzero_static float size": lambda lib, x: x.nonzero_static(size=2.0),
    "nonzero_static float fill": lambda lib, x: x.nonzero_static(size=2, fill_value=0.5),
    "nonzero_static positional size": lambda lib, x: lib.nonzero_static(x, 2),
    "unsafe_split list": lambda lib, x: lib.unsafe_split(x, [1, 2]),
    "resize_ negative": lambda lib, x: x.resize_(-1, 2),
    "as_strided_ outside the memory": lambda lib, x: x.as_strided_((2,), (1,), 59),
    "as_strided_ negative stride": lambda lib, x: x.as_strided_((2,), (-1,), 3),
    "resize_as_ tuple": lambda lib, x: x.resize_as_((2, 2)),
    "resize count": lambda lib, x: x.resize(7),
    "constant_pad_nd odd": lambda lib, x: lib.constant_pad_nd(x, (1,)),
    "constant_pad_nd too long": lambda lib, x: lib.constant_pad_nd(x, (1,) * 8),
    "constant_pad_nd crops past the size": lambda lib, x: lib.constant_pad_nd(x, (-3, -3)),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_calls_raise_torchs_exception_type(name):
    call = BAD_CALLS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            call(torch, torch.tensor(ARRAY))
        with pytest.raises(theirs.type):
            call(fastgrad, fastgrad.tensor(ARRAY))

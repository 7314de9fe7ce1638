"""Indexing and ordering ops (fastgrad/ops/indexing.py): gradcheck over hypothesis-generated shapes on
every backend, values against plain NumPy loops, and the errors for bad arguments."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check
from fastgrad import ops
from fastgrad.autograd.graph import apply

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def leaf(shape, seed):
    """A float64 leaf whose values are at least 0.3 apart, so sorting has no ties for central
    differences (eps 1e-6) to flip."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    values = (rng.permutation(size) - size / 2) * 0.5 + rng.uniform(-0.1, 0.1, size)
    return fastgrad.tensor(values.reshape(shape), dtype=fastgrad.float64, requires_grad=True)


def index_along(rng, shape, dim, size_along_dim, unique=False):
    """An int64 index no larger than `shape` outside dim, `size_along_dim` long along it, with values in
    [0, shape[dim]); `unique`: no value repeats along dim (then size_along_dim <= shape[dim])."""
    index_shape = tuple(size_along_dim if d == dim else int(rng.integers(1, n + 1)) for d, n in enumerate(shape))
    if unique:
        keys = rng.random(index_shape[:dim] + (shape[dim],) + index_shape[dim + 1:])
        order = np.argsort(keys, axis=dim)
        return fastgrad.tensor(np.take(order, np.arange(size_along_dim), axis=dim))
    return fastgrad.tensor(rng.integers(0, shape[dim], index_shape))


# -- gradcheck -------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), data=st.data())
def test_gather_scatter_gradients(backend_name, shape, seed, data):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    axis = dim % len(shape)
    x = leaf(shape, seed)
    index = index_along(rng, shape, axis, int(rng.integers(1, 6)))  # repeats allowed
    check(backend_name, lambda x: x.gather(dim, index), x)
    src = leaf(tuple(n + int(rng.integers(0, 2)) for n in index.shape), seed + 1)  # src may be larger
    check(backend_name, lambda x, s: fastgrad.scatter_add(x, dim, index, s), x, src)
    unique = index_along(rng, shape, axis, int(rng.integers(1, shape[axis] + 1)), unique=True)
    src = leaf(tuple(n + int(rng.integers(0, 2)) for n in unique.shape), seed + 2)
    check(backend_name, lambda x, s: fastgrad.scatter(x, dim, unique, s), x, src)
    check(backend_name, lambda x: x.scatter(dim, unique, value=2.5), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), count=st.integers(0, 5), alpha=st.sampled_from([1, -2.5]),
       data=st.data())
def test_index_select_and_index_add_gradients(backend_name, shape, seed, count, alpha, data):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    axis = dim % len(shape)
    index = fastgrad.tensor(rng.integers(0, shape[axis], count))  # repeats accumulate
    x = leaf(shape, seed)
    if count:
        check(backend_name, lambda x: x.index_select(dim, index) * 1.5, x)
    source = leaf(shape[:axis] + (count,) + shape[axis + 1:], seed + 1)
    inputs = (x, source) if count else (x,)
    check(backend_name, lambda x, s=source: fastgrad.index_add(x, dim, index, s, alpha=alpha), *inputs)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), broadcast_mask=st.booleans())
def test_mask_gradients(backend_name, shape, seed, broadcast_mask):
    rng = np.random.default_rng(seed)
    mask_shape = ((2,) + shape) if broadcast_mask else shape[1:]  # the mask may broadcast either way
    mask = fastgrad.tensor(rng.random(mask_shape) < 0.5)
    x = leaf(shape, seed)
    value = fastgrad.tensor(0.7, dtype=fastgrad.float64, requires_grad=True)
    check(backend_name, lambda x, v: x.masked_fill(mask, v), x, value)
    check(backend_name, lambda x: fastgrad.masked_fill(x, mask, -1.0), x)
    if mask.detach().numpy().any():
        check(backend_name, lambda x: x.masked_select(mask), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), descending=st.booleans(), data=st.data())
def test_sort_and_topk_gradients(backend_name, shape, seed, descending, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(1, shape[dim]))
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.sort(dim, descending).values, x)
    check(backend_name, lambda x: fastgrad.topk(x, k, dim, largest=descending).values, x)
    check(backend_name, lambda x: x.gather(dim, x.argsort(dim)), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16),
       diagonal=st.integers(-4, 4), data=st.data())
def test_triangle_flip_roll_gradients(backend_name, shape, seed, diagonal, data):
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.tril(diagonal), x)
    check(backend_name, lambda x: fastgrad.triu(x, diagonal), x)
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), max_size=len(shape), unique=True))
    check(backend_name, lambda x: fastgrad.flip(x, dims) * 2, x)
    shifts = data.draw(st.lists(st.integers(-5, 5), min_size=len(dims), max_size=len(dims)))
    if dims:
        check(backend_name, lambda x: x.roll(shifts, dims), x)
    check(backend_name, lambda x: fastgrad.roll(x, diagonal), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_zero_dim_tensors_act_as_one_element_vectors(backend_name):
    x = fastgrad.tensor(1.5, dtype=fastgrad.float64, requires_grad=True)
    src = fastgrad.tensor(-2.0, dtype=fastgrad.float64, requires_grad=True)
    zero = fastgrad.tensor(0)
    check(backend_name, lambda x: x.gather(0, fastgrad.tensor([0, 0])), x)
    check(backend_name, lambda x, s: x.scatter(0, zero, s), x, src)
    check(backend_name, lambda x, s: x.scatter_add(-1, zero, s), x, src)
    check(backend_name, lambda x: x.index_select(0, zero), x)
    check(backend_name, lambda x, s: x.index_add(0, fastgrad.tensor([0]), s, alpha=3), x, src)
    check(backend_name, lambda x: x.sort().values + x.topk(1).values + x.flip(0) + x.roll(2), x)
    assert x.gather(0, fastgrad.tensor([0, 0])).shape == (2,)
    assert x.index_select(0, zero).shape == () and x.argsort().shape == ()


# -- values ----------------------------------------------------------------------------------------
def test_gather_scatter_match_the_definition_loops(rng):
    x = rng.standard_normal((3, 4, 5))
    index = rng.integers(0, 4, (2, 6, 3))
    out = fastgrad.gather(fastgrad.tensor(x), 1, fastgrad.tensor(index)).detach().numpy()
    src = rng.standard_normal((2, 6, 4))
    added = fastgrad.scatter_add(fastgrad.tensor(x), 1, fastgrad.tensor(index), fastgrad.tensor(src)).detach().numpy()
    expected_added = x.copy()
    for i, j, k in np.ndindex(index.shape):
        assert out[i, j, k] == x[i, index[i, j, k], k]
        expected_added[i, index[i, j, k], k] += src[i, j, k]
    np.testing.assert_allclose(added, expected_added)


def test_sort_is_stable_puts_nan_last_ascending_first_descending():
    x = fastgrad.tensor([1.0, 2.0, 1.0, float("nan"), 2.0, float("nan")])
    assert x.sort().indices.tolist() == [0, 2, 1, 4, 3, 5]
    assert x.sort(descending=True).indices.tolist() == [3, 5, 1, 4, 0, 2]
    big = fastgrad.tensor([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max])  # no negation overflow
    assert big.argsort(descending=True).tolist() == [2, 1, 0]
    assert fastgrad.topk(x, 2).indices.tolist() == [3, 5]
    assert fastgrad.topk(x, 3, largest=False).values.tolist() == [1.0, 1.0, 2.0]


def test_gradient_uses_the_index_as_it_was_at_forward():
    """The index tensors are copied: changing them in place later cannot move the gradient."""
    x = fastgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    index = fastgrad.tensor([2])
    y = x.gather(0, index)
    index[0] = 0
    values, indices = x.topk(1)
    indices[0] = 1
    (y.sum() + values.sum()).backward()
    assert x.grad.tolist() == [0.0, 0.0, 2.0]


@pytest.mark.parametrize("make_index", [np.array, fastgrad.tensor], ids=["numpy", "tensor"])
def test_subscript_gradient_uses_the_key_as_it_was_at_forward(make_index):
    """x[index]: the caller's index array (NumPy's too) is copied, so changing it later cannot move the gradient."""
    x = fastgrad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    index = make_index([0, 1])
    y = x[index] * fastgrad.tensor([1.0, 2.0])
    index[0] = 3
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 0.0, 0.0]


def test_repeated_scatter_index_follows_pytorch_gradient_formula():
    """With a repeated index one write wins; PyTorch still gives every src element its target's
    gradient (g gathered at index), and the input no gradient where anything was written."""
    x = fastgrad.zeros(3, requires_grad=True)
    src = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    out = x.scatter(0, fastgrad.tensor([1, 1]), src)
    assert out.tolist()[1] in (1.0, 2.0)
    (out * fastgrad.tensor([1.0, 5.0, 7.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 7.0] and src.grad.tolist() == [5.0, 5.0]


def test_index_add_op_applies_directly_with_its_checks():
    """The op itself checks its arguments, so direct users (in-place variants) get the same errors."""
    x, source = fastgrad.zeros(4, 2), fastgrad.ones(3, 2)
    out = apply(ops.IndexAdd, x, source, dim=0, index=np.array([3, 0, 3]), alpha=2)
    assert out.tolist() == [[2, 2], [0, 0], [0, 0], [4, 4]]
    with pytest.raises(IndexError, match=r"index_add: index 4 is out of range for dimension 0 with size 4"):
        apply(ops.IndexAdd, x, source, dim=0, index=np.array([3, 0, 4]), alpha=1)


def test_integer_and_bool_tensors():
    ints = fastgrad.tensor([[3, 1], [2, 5]])
    assert ints.gather(1, fastgrad.tensor([[1], [0]])).tolist() == [[1], [2]]
    assert ints.masked_fill(ints > 2, 1.9).tolist() == [[1, 1], [2, 1]]  # truncated, as PyTorch
    assert ints.index_add(0, fastgrad.tensor([1]), fastgrad.tensor([[10, 10]]), alpha=2).tolist() == [[3, 1],
                                                                                                     [22, 25]]
    flags = fastgrad.tensor([True, False, True])
    assert flags.sort().indices.tolist() == [1, 0, 2] and flags.nonzero().tolist() == [[0], [2]]
    assert fastgrad.tril(ints.bool()).tolist() == [[True, False], [True, True]]


def test_nonzero_shapes():
    x = fastgrad.tensor([[0.0, 1.0], [float("nan"), 0.0]])
    assert x.nonzero().tolist() == [[0, 1], [1, 0]] and x.nonzero().dtype == fastgrad.int64
    rows, cols = fastgrad.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert fastgrad.tensor(3.0).nonzero().shape == (1, 0) and fastgrad.tensor(0.0).nonzero().shape == (0, 0)
    assert [t.tolist() for t in fastgrad.tensor(3.0).nonzero(as_tuple=True)] == [[0]]


def test_argmin_argmax_dims_keepdim_and_nan():
    x = fastgrad.tensor([[3.0, 1.0, 2.0], [0.0, float("nan"), 5.0]])
    assert fastgrad.argmin(x).item() == 4 and fastgrad.argmax(x).item() == 4  # the NaN, as PyTorch
    assert fastgrad.argmin(x[0:1], dim=1).tolist() == [1]
    assert x.argmin(keepdim=True).shape == (1, 1) and x.argmax(0, keepdim=True).shape == (1, 3)
    assert fastgrad.tensor(2.0).argmin(0, keepdim=True).shape == ()
    assert fastgrad.zeros(0, 2).argmin(1).shape == (0,)


# -- errors ----------------------------------------------------------------------------------------
def test_index_arguments_must_be_integer_tensors():
    x = fastgrad.ones(2, 3)
    for name, fn in [("gather", lambda i: x.gather(1, i)), ("scatter", lambda i: x.scatter(1, i, 1.0)),
                     ("scatter_add", lambda i: x.scatter_add(1, i, x)),
                     ("index_select", lambda i: x.index_select(1, i)),
                     ("index_add", lambda i: x.index_add(1, i, fastgrad.ones(2, 1)))]:
        with pytest.raises(RuntimeError, match=rf"{name}: index must be an int64 \(or int32\) tensor, got dtype float32"):
            fn(fastgrad.tensor([[0.0]]))
        with pytest.raises(RuntimeError, match=rf"{name}: index must be an int64 \(or int32\) tensor, got dtype int16"):
            fn(fastgrad.tensor([[0]], dtype=np.int16))
        with pytest.raises(TypeError, match=rf"{name}: index must be a Tensor, got list"):
            fn([[0]])
    assert x.gather(1, fastgrad.tensor([[2]], dtype=fastgrad.int32)).shape == (1, 1)  # int32 is fine


def test_out_of_range_indices_name_the_dim_index_and_size():
    x = fastgrad.ones(2, 3)
    for name, fn in [("gather", lambda i: x.gather(1, i.reshape(1, 1))),
                     ("scatter", lambda i: x.scatter(1, i.reshape(1, 1), 0.0)),
                     ("scatter_add", lambda i: x.scatter_add(1, i.reshape(1, 1), x)),
                     ("index_select", lambda i: x.index_select(1, i)),
                     ("index_add", lambda i: x.index_add(1, i, fastgrad.ones(2, 1)))]:
        for bad in (3, -1):  # negative indices do not wrap around, as in PyTorch (whose gather and scatters raise
            # RuntimeError there, index_select and index_add IndexError)
            error = IndexError if name.startswith("index") else RuntimeError
            with pytest.raises(error, match=rf"{name}: index {bad} is out of range for dimension 1 with size 3"):
                fn(fastgrad.tensor([bad]))
    with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.gather(2, fastgrad.tensor([[0]]))
    with pytest.raises(TypeError, match="dim must be an int, got tuple"):
        x.index_select((0,), fastgrad.tensor([0]))


def test_shape_mismatches_name_both_shapes():
    x = fastgrad.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"gather: index must have as many dims as input, got index shape \(2,\) "
                                           r"for input shape \(2, 3\)"):
        x.gather(1, fastgrad.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"gather: index shape \(3, 1\) is larger than input shape \(2, 3\) "
                                           r"outside dim 1 at dim 0"):
        x.gather(1, fastgrad.tensor([[0], [0], [0]]))
    with pytest.raises(RuntimeError, match=r"scatter: index shape \(2, 2\) is larger than input shape \(2, 3\) outside "
                                           r"dim 1 and src shape \(2, 1\) at dim 1"):
        x.scatter(1, fastgrad.tensor([[0, 1], [2, 1]]), fastgrad.ones(2, 1))
    with pytest.raises(RuntimeError, match=r"scatter: src must have as many dims as index"):
        x.scatter(1, fastgrad.tensor([[0]]), fastgrad.tensor(1.0))
    with pytest.raises(RuntimeError, match="scatter_add: src must have the input's dtype float32, got float64"):
        x.scatter_add(1, fastgrad.tensor([[0]]), fastgrad.ones(1, 1, dtype=fastgrad.float64))
    with pytest.raises(IndexError, match=r"index_select: index must be 1-D \(or 0-d\), got shape \(1, 1\)"):
        x.index_select(1, fastgrad.tensor([[0]]))
    with pytest.raises(RuntimeError, match=r"index_add: source must have shape \(2, 2\) \(the input's shape \(2, 3\) "
                                           r"with dim 1 resized to the 2 indices\), got \(3, 2\)"):
        x.index_add(1, fastgrad.tensor([0, 1]), fastgrad.ones(3, 2))
    with pytest.raises(RuntimeError, match=r"index_add: self \(float32\) and source \(float64\) must have the same dtype"):
        x.index_add(1, fastgrad.tensor([0]), fastgrad.ones(2, 1, dtype=fastgrad.float64))
    with pytest.raises(TypeError, match="index_add: alpha must be an integer for an input of dtype int64, got 1.5"):
        fastgrad.zeros(3, dtype=fastgrad.int64).index_add(0, fastgrad.tensor([1]), fastgrad.tensor([1]), alpha=1.5)
    with pytest.raises(RuntimeError, match="index_select: a 0-d input needs a one-element index, got 2 elements"):
        fastgrad.tensor(1.0).index_select(0, fastgrad.tensor([0, 0]))


def test_scatter_arguments():
    x = fastgrad.ones(2, 3)
    with pytest.raises(ValueError, match="scatter: reduce must be None, 'add' or 'multiply', got 'sum'"):
        x.scatter(1, fastgrad.tensor([[0]]), fastgrad.ones(1, 1), reduce="sum")
    with pytest.raises(TypeError, match="scatter: expected exactly one of src"):
        x.scatter(1, fastgrad.tensor([[0]]))
    with pytest.raises(TypeError, match="scatter_add: src must be a Tensor, got float"):
        x.scatter_add(1, fastgrad.tensor([[0]]), 1.0)


def test_mask_and_value_checks():
    x = fastgrad.ones(2, 3)
    for name, fn in [("masked_fill", lambda m: x.masked_fill(m, 0.0)), ("masked_select", x.masked_select)]:
        with pytest.raises(TypeError, match=rf"{name}: mask must be a bool tensor, got dtype float32"):
            fn(fastgrad.tensor([1.0, 0.0, 1.0]))
        with pytest.raises(RuntimeError, match=rf"{name}: mask and input: the size of tensor a \(2\) must match the "
                                               r"size of tensor b \(3\) .*\(shapes \(2,\), \(2, 3\) do not broadcast\)"):
            fn(fastgrad.tensor([True, False]))
    with pytest.raises(RuntimeError, match=r"masked_fill: value must be a number or a 0-d tensor, got a tensor of shape "
                                         r"\(1,\)"):
        x.masked_fill(x > 0, fastgrad.tensor([1.0]))
    with pytest.raises(TypeError, match="masked_fill: value must be a number, got str"):
        x.masked_fill(x > 0, "a")
    ints = fastgrad.zeros(3, dtype=fastgrad.int32)
    for bad in (float("inf"), float("nan"), 2**40):
        with pytest.raises(RuntimeError, match=rf"masked_fill: value {bad} cannot be converted to type int32 without "
                                             "overflow"):
            ints.masked_fill(ints == 0, bad)
    with pytest.raises(RuntimeError, match=r"scatter: value 1e\+300 cannot be converted to type float32 without overflow"):
        x.scatter(1, fastgrad.tensor([[0]]), 1e300)


def test_ordering_argument_checks():
    x = fastgrad.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"topk: k must be in \[0, 3\] \(the size of dim -1\), got 4"):
        x.topk(4)
    with pytest.raises(RuntimeError, match=r"topk: k must be in \[0, 2\] \(the size of dim 0\), got -1"):
        x.topk(-1, dim=0)
    with pytest.raises(TypeError, match="topk: k must be an int, got float"):
        x.topk(1.0)
    with pytest.raises(RuntimeError, match="topk: bool tensors are not supported"):
        (x > 0).topk(1)
    assert x.topk(0).values.shape == (2, 0)
    with pytest.raises(IndexError, match=r"dimension out of range"):
        x.sort(dim=2)
    with pytest.raises(RuntimeError, match="argmin: bool tensors are not supported"):
        (x > 0).argmin()
    with pytest.raises(IndexError, match=r"argmax: an empty tensor \(shape \(0,\)\) needs a dim to reduce over"):
        fastgrad.zeros(0).argmax()
    with pytest.raises(IndexError, match=r"argmin: dim 1 has size 0 in shape \(2, 0\)"):
        fastgrad.zeros(2, 0).argmin(1)
    with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.argmin(2)


def test_unique_sorts_counts_and_inverts():
    x = fastgrad.tensor([[3.0, 1.0, math.nan], [1.0, math.nan, -0.0], [0.0, 3.0, 1.0]], requires_grad=True)
    values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.detach().numpy(), [-0.0, 1.0, 3.0, math.nan, math.nan])  # each NaN on its own
    assert np.signbit(values.detach().numpy()[0])  # of the equal -0.0 and 0.0, the first met
    assert inverse.tolist() == [[2, 1, 3], [1, 4, 0], [0, 2, 1]] and counts.tolist() == [2, 3, 2, 1, 1]
    assert inverse.dtype == counts.dtype == fastgrad.int64 and not inverse.requires_grad
    assert values.requires_grad  # as PyTorch's, though backward through it raises
    with pytest.raises(NotImplementedError, match="the derivative for unique is not implemented"):
        values.sum().backward()
    rows = fastgrad.tensor([[2, 1], [1, 5], [2, 1], [2, 0]])
    values, inverse, counts = fastgrad.unique(rows, return_inverse=True, return_counts=True, dim=0)
    assert values.tolist() == [[1, 5], [2, 0], [2, 1]]
    assert inverse.tolist() == [2, 0, 2, 1] and counts.tolist() == [1, 1, 2]
    assert rows.unique(dim=1).tolist() == [[1, 2], [5, 1], [1, 2], [0, 2]]
    values, inverse = fastgrad.tensor(7).unique(return_inverse=True)
    assert values.tolist() == [7] and inverse.shape == () and inverse.item() == 0
    assert fastgrad.tensor([True, False, True]).unique().tolist() == [False, True]
    assert fastgrad.zeros(0, 3).unique(dim=0).shape == (0, 3)


def test_unique_argument_checks():
    x = fastgrad.ones(2, 3)
    with pytest.raises(TypeError, match="unique: sorted must be a bool, got int 1"):
        x.unique(sorted=1)
    with pytest.raises(TypeError, match="unique: return_inverse must be a bool, got NoneType None"):
        fastgrad.unique(x, return_inverse=None)
    with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.unique(dim=2)
    with pytest.raises(TypeError, match="dim must be an int, got float"):
        x.unique(dim=1.0)
    with pytest.raises(IndexError, match="unique: dimension specified as 0 but tensor has no dimensions"):
        fastgrad.tensor(1.0).unique(dim=0)
    with pytest.raises(RuntimeError, match=r"unique: shape \(0, 3\) has 0-sized dims besides dim 1"):
        fastgrad.zeros(0, 3).unique(dim=1)


def test_triangle_flip_roll_argument_checks():
    with pytest.raises(RuntimeError, match=r"tril: input must have at least 2 dims, got shape \(3,\)"):
        fastgrad.ones(3).tril()
    with pytest.raises(TypeError, match="triu: diagonal must be an int, got float"):
        fastgrad.ones(2, 2).triu(1.0)
    x = fastgrad.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"dims \(1, -1\) name the same dimension more than once"):
        x.flip(1, -1)
    with pytest.raises(IndexError, match="dimension out of range"):
        x.flip(2)
    with pytest.raises(RuntimeError, match=r"roll: shifts \(1, 1\) and dims 0 must have the same length"):
        x.roll((1, 1), 0)
    with pytest.raises(RuntimeError, match=r"roll: without dims, shifts must be a single number, got \(1, 1\)"):
        x.roll((1, 1))
    with pytest.raises(TypeError, match="roll: shifts must be an int or a sequence of ints"):
        x.roll(1.5, 0)
    with pytest.raises(IndexError, match="roll: dims 0 given, but a 0-d tensor has no dims"):
        fastgrad.tensor(1.0).roll(1, 0)
    assert x.roll((1, 1), (1, 1)).tolist() == fastgrad.roll(x, 2, 1).tolist()  # a repeated dim adds its shifts


def test_bincount_counts_and_refuses_bad_input():
    assert fastgrad.tensor([0, 2, 2]).bincount().tolist() == [1, 0, 2]
    assert fastgrad.bincount(fastgrad.tensor([1]), minlength=3).dtype == fastgrad.int64
    with pytest.raises(NotImplementedError, match="a tensor of integers, got dtype float32"):
        fastgrad.bincount(fastgrad.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="with negative values"):
        fastgrad.bincount(fastgrad.tensor([1, -2]))
    with pytest.raises(RuntimeError, match="minlength must be an int >= 0, got -1"):
        fastgrad.bincount(fastgrad.tensor([1]), minlength=-1)
    with pytest.raises(RuntimeError, match="weights must be a 1-D tensor of the input's length"):
        fastgrad.bincount(fastgrad.tensor([1]), weights=fastgrad.ones(2))
    weights = fastgrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="no derivative for weights"):
        fastgrad.bincount(fastgrad.tensor([1, 1]), weights=weights)
    assert fastgrad.bincount(fastgrad.tensor([1, 1]), weights=weights.detach()).tolist() == [0.0, 2.0]


# -- scatter_reduce, take_along_dim, unique_consecutive, rot90 and the free helpers -------------------------
REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"]


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduce", REDUCTIONS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), include_self=st.booleans(), data=st.data())
def test_scatter_reduce_gradcheck(backend_name, reduce, shape, seed, include_self, data):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index = index_along(rng, shape, dim % len(shape), int(rng.integers(1, 6)))  # repeats: several values meet
    values = factor_leaf if reduce == "prod" else leaf
    x, src = values(shape, seed), values(tuple(n + 1 for n in index.shape), seed + 1)  # src larger than index
    check(backend_name, lambda x, s: x.scatter_reduce(dim, index, s, reduce, include_self=include_self), x, src)


def factor_leaf(shape, seed):
    """A float64 leaf of magnitudes in [0.5, 1.5) with random signs, for products: leaf's values reach 22 for
    (6, 5, 3) shapes, products of up to six of them 1e8, and rounding cost the central differences of the projected
    sum of such products 1e-4 against gradients of 0.04 (seed 1914)."""
    rng = np.random.default_rng(seed)
    values = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 1.5, shape)
    return fastgrad.tensor(values, dtype=fastgrad.float64, requires_grad=True)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), data=st.data())
def test_picking_and_turning_gradcheck(backend_name, shape, seed, data):
    rng = np.random.default_rng(seed)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = leaf(shape, seed)
    # indices broadcast against x outside dim (size 1 there), negative ones counting from the end
    index_shape = tuple(int(rng.integers(1, 5)) if d == dim % len(shape) else int(rng.choice([1, n]))
                        for d, n in enumerate(shape))
    indices = fastgrad.tensor(rng.integers(-shape[dim], shape[dim], index_shape))
    check(backend_name, lambda x: x.take_along_dim(indices, dim), x)
    check(backend_name, lambda x: fastgrad.take_along_dim(x, fastgrad.tensor([0, x.numel() - 1, 0])), x)
    check(backend_name, lambda x: fastgrad.broadcast_tensors(x, x.sum(0, keepdim=True) * 2, x.reshape(-1)[0]), x)
    check(backend_name, lambda x: x.flipud(), x)
    if len(shape) >= 2:
        k = data.draw(st.integers(-5, 5))
        check(backend_name, lambda x: (x.fliplr(), x.rot90(k, (dim, (dim + 1) % len(shape)))), x)


def test_scatter_reduce_values_follow_the_definition():
    x = fastgrad.tensor([10.0, 20.0, 30.0, 40.0])
    index, src = fastgrad.tensor([0, 1, 0, 1, 2]), fastgrad.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    expected = {("sum", True): [14, 26, 35, 40], ("sum", False): [4, 6, 5, 40],
                ("prod", True): [30, 160, 150, 40], ("prod", False): [3, 8, 5, 40],
                ("mean", True): [14 / 3, 26 / 3, 17.5, 40], ("mean", False): [2, 3, 5, 40],
                ("amax", True): [10, 20, 30, 40], ("amax", False): [3, 4, 5, 40],
                ("amin", True): [1, 2, 5, 40], ("amin", False): [1, 2, 5, 40]}
    for (reduce, include_self), values in expected.items():
        got = x.scatter_reduce(0, index, src, reduce, include_self=include_self)
        np.testing.assert_allclose(got.detach().numpy(), values, rtol=1e-6, err_msg=f"{reduce} {include_self}")
    # integer means divide with floor, as PyTorch; "max" and "min" are PyTorch's aliases of amax and amin
    got = fastgrad.tensor([10, 20, 31]).scatter_reduce(0, fastgrad.tensor([0, 0, 2]), fastgrad.tensor([-3, 0, 4]),
                                                       "mean", include_self=False)
    assert got.tolist() == [-2, 20, 4]
    assert x.scatter_reduce(0, index, src, "max").tolist() == x.scatter_reduce(0, index, src, "amax").tolist()


def test_scatter_reduce_prod_gradient_is_exact_at_zeros():
    x = fastgrad.tensor([0.0, 5.0, 2.0], requires_grad=True)
    src = fastgrad.tensor([0.0, 3.0, 0.0, 4.0], requires_grad=True)
    x.scatter_reduce(0, fastgrad.tensor([0, 0, 1, 2]), src, "prod").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 4])  # two zeros at 0; 5 * 0 at 1; 2 * 4 at 2
    np.testing.assert_array_equal(src.grad.numpy(), [0, 0, 5, 2])


def test_scatter_reduce_amax_splits_among_ties_and_leaves_out_a_written_over_value():
    x = fastgrad.tensor([2.0, 0.0], requires_grad=True)
    src = fastgrad.tensor([2.0, 1.0, 2.0], requires_grad=True)
    x.scatter_reduce(0, fastgrad.tensor([0, 0, 0]), src, "amax").sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3, 1])
    np.testing.assert_allclose(src.grad.numpy(), [1 / 3, 0, 1 / 3])
    x.grad = src.grad = None
    x.scatter_reduce(0, fastgrad.tensor([0, 0, 0]), src, "amax", include_self=False).sum().backward()
    # x[0] is not one of the values combined, so the two tied 2s of src share the whole gradient
    np.testing.assert_allclose(x.grad.numpy(), [0, 1])
    np.testing.assert_allclose(src.grad.numpy(), [0.5, 0, 0.5])


def test_scatter_with_reduce_has_values_but_no_derivative():
    x = fastgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = x.scatter(0, fastgrad.tensor([0, 0]), fastgrad.tensor([4.0, 5.0]), reduce="multiply")
    assert out.tolist() == [20.0, 2.0, 3.0]
    assert x.detach().scatter(0, fastgrad.tensor([0, 0]), 2.0, reduce="add").tolist() == [5.0, 2.0, 3.0]
    with pytest.raises(NotImplementedError, match="derivative of scatter with reduce= is not implemented"):
        out.sum().backward()
    y = fastgrad.zeros(3)
    y.scatter_(0, fastgrad.tensor([1, 1]), fastgrad.tensor([1.0, 2.0]), reduce="add")
    assert y.tolist() == [0.0, 3.0, 0.0]


def test_scatter_reduce_in_place_is_recorded():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.scatter_reduce_(0, fastgrad.tensor([0, 0]), fastgrad.tensor([3.0, 4.0]), "prod")
    assert y.tolist() == [12.0, 2.0]
    y.sum().backward()
    assert x.grad.tolist() == [12.0, 1.0]


def test_unique_consecutive_runs_inverse_and_counts():
    values, inverse, counts = fastgrad.tensor([1, 1, 2, 2, 3, 1, 1, 2]).unique_consecutive(True, True)
    assert (values.tolist(), inverse.tolist(), counts.tolist()) == ([1, 2, 3, 1, 2], [0, 0, 1, 1, 2, 3, 3, 4],
                                                                    [2, 2, 1, 2, 1])
    rows = fastgrad.unique_consecutive(fastgrad.tensor([[1, 1], [1, 1], [2, 3]]), return_counts=True, dim=0)
    assert rows[0].tolist() == [[1, 1], [2, 3]] and rows[1].tolist() == [2, 1]
    assert fastgrad.tensor([float("nan")] * 2).unique_consecutive(return_counts=True)[1].tolist() == [1, 1]
    x = fastgrad.tensor([1.0, 1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative for unique_consecutive is not implemented"):
        x.unique_consecutive().sum().backward()


def test_isin_and_bucketize():
    assert fastgrad.isin(fastgrad.tensor([1, 2, 3]), fastgrad.tensor([2, 5])).tolist() == [False, True, False]
    assert fastgrad.isin(fastgrad.tensor([1.0, float("nan")]), fastgrad.tensor([float("nan"), 1.0])).tolist() == [
        True, False]
    assert fastgrad.isin(fastgrad.tensor([1, 2]), 2, invert=True).tolist() == [True, False]
    boundaries = fastgrad.tensor([1, 3, 5, 7, 9])
    assert fastgrad.bucketize(fastgrad.tensor([1, 5, 9, 10]), boundaries).tolist() == [0, 2, 4, 5]
    assert fastgrad.bucketize(fastgrad.tensor([1, 5, 9]), boundaries, right=True).tolist() == [1, 3, 5]
    assert fastgrad.bucketize(3, boundaries, out_int32=True).dtype == fastgrad.int32


@pytest.mark.parametrize("call,error,match", [
    (lambda x, i: x.scatter_reduce(0, i, x, "median"), ValueError, "reduce must be one of .*got 'median'"),
    (lambda x, i: x.scatter_reduce(0, i, x, "sum", include_self=1), TypeError, "include_self must be a bool, got int"),
    (lambda x, i: x.scatter_reduce(0, i, 1.0, "sum"), TypeError, "src must be a Tensor, got float"),
    (lambda x, i: x.scatter_reduce(0, i, x.double(), "sum"), RuntimeError, "src must have the input's dtype float32"),
    (lambda x, i: x.scatter_reduce(0, i * 5, x, "sum"), RuntimeError, "index 5 is out of range for dimension 0 with "
                                                                    "size 3"),
    (lambda x, i: x.scatter_reduce(0, i.float(), x, "sum"), RuntimeError, "index must be an int64"),
    (lambda x, i: x.bool().scatter_reduce(0, i, x.bool(), "mean"), NotImplementedError, "not supported for bool"),
    (lambda x, i: x.take_along_dim(i.int(), 0), TypeError, "int64 tensor .*got dtype int32"),
    (lambda x, i: x.take_along_dim(i.reshape(1, 3), 0), RuntimeError, "same number of dims"),
    (lambda x, i: x.take_along_dim(i - 4, 0), IndexError, "out of range for dim 0 of size 3"),
    (lambda x, i: x.take_along_dim(i - 1), IndexError, "without dim, indices must be non-negative"),
    (lambda x, i: x.reshape(3, 1).take_along_dim(fastgrad.zeros(2, 2, dtype=fastgrad.int64), 1), RuntimeError,
     "cannot be broadcast outside dim 1"),
    (lambda x, i: x.unique_consecutive(dim=1), IndexError, "out of range"),
    (lambda x, i: fastgrad.zeros(2, 0).unique_consecutive(dim=0), RuntimeError, "0-sized dims besides dim 0"),
    (lambda x, i: x[0].take_along_dim(i[0], 0), IndexError, "a 0-d tensor has no dims"),
    (lambda x, i: fastgrad.isin(x > 1, i), TypeError, "isin: not defined for bool tensors \\(elements\\)"),
    (lambda x, i: x.unique_consecutive(return_counts=1), TypeError, "return_counts must be a bool"),
    (lambda x, i: x.fliplr(), RuntimeError, "fliplr: input must have at least 2 dims, got shape"),
    (lambda x, i: x[0].flipud(), RuntimeError, "flipud: input must have at least 1 dim"),
    (lambda x, i: x.rot90(), RuntimeError, "rot90: input must have at least 2 dims"),
    (lambda x, i: x.reshape(3, 1).rot90(1, (0, 0)), RuntimeError, r"the two dims must differ, got \(0, 0\)"),
    (lambda x, i: x.reshape(3, 1).rot90(1, (0,)), RuntimeError, "dims must be two dims"),
    (lambda x, i: x.reshape(3, 1).rot90(1.5), TypeError, "rot90: k must be an int"),
    (lambda x, i: x.reshape(3, 1).rot90(1, (0, 2)), IndexError, "out of range"),
    (lambda x, i: fastgrad.isin(1, 2), TypeError, "elements or test_elements must be a Tensor"),
    (lambda x, i: fastgrad.isin(x, "a"), TypeError, "test_elements must be a real number"),
    (lambda x, i: fastgrad.bucketize(x, x.reshape(1, 3)), ValueError, "boundaries must be a 1-D tensor"),
    (lambda x, i: fastgrad.broadcast_tensors(x, fastgrad.ones(2)), RuntimeError, "do not broadcast"),
    (lambda x, i: fastgrad.broadcast_tensors(x, 1.0), TypeError, "expected tensors, got float at position 1"),
])
def test_scatter_reduce_and_helpers_refuse_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call(fastgrad.tensor([1.0, 2.0, 3.0]), fastgrad.tensor([0, 1, 0]))


def test_index_put_refuses_values_that_are_not_a_tensor_of_the_destination_dtype():
    x, index = fastgrad.zeros(3, dtype=fastgrad.float64), (fastgrad.tensor([0, 1]),)
    with pytest.raises(RuntimeError, match="index_put_: values must have the destination's dtype float64, got float32"):
        x.index_put_(index, fastgrad.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="index_put_: values must be a Tensor, got float"):
        fastgrad.index_put(x, index, 2.0)

"""index_reduce, put, as_strided_, the out-of-place resize and the hardshrink/prelu methods: gradcheck (float64 central
differences) over hypothesis shapes on every backend; resize_'s memory rules; nonzero_static."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
import fastgrad.nn.functional as F
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16),
       include_self=st.booleans(), data=st.data())
def test_index_reduce_gradcheck(backend_name, reduce, shape, seed, include_self, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    index = fastgrad.tensor(data.draw(st.lists(st.integers(0, shape[dim] - 1), min_size=1, max_size=4)))
    x, source = leaf(shape, seed), leaf(shape[:dim] + (len(index),) + shape[dim + 1:], seed + 1)
    # (distinct values: no ties at an extreme, where central differences cross a kink)
    values = np.concatenate([x.detach().numpy().ravel(), source.detach().numpy().ravel()])
    assume(np.unique(values).size == x.numel() + source.numel())
    check(backend_name, lambda x, s: x.index_reduce(dim, index, s, reduce, include_self=include_self), x, source)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16),
       accumulate=st.booleans(), data=st.data())
def test_put_gradcheck(backend_name, shape, seed, accumulate, data):
    count = int(np.prod(shape))
    positions = data.draw(st.lists(st.integers(-count, count - 1), max_size=5,
                                   unique_by=None if accumulate else (lambda i: i % count)))
    index = fastgrad.tensor(positions, dtype=fastgrad.int64)
    check(backend_name, lambda x, s: x.put(index, s, accumulate), leaf(shape, seed), leaf((len(positions),), seed + 1))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16))
def test_resize_hardshrink_and_prelu_methods_gradcheck(backend_name, shape, seed):
    x = leaf(shape, seed, away_from=0.0)
    x._data[np.abs(np.abs(x._data) - 0.5) < 0.05] += 0.1  # away from hardshrink's kinks at +-0.5
    weight = leaf((), seed + 1)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        check(backend_name, lambda x: x.resize(x.numel()) * 2, x)
    check(backend_name, lambda x: x.hardshrink(), x)
    check(backend_name, lambda x, w: x.prelu(w), x, weight)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16), data=st.data())
def test_as_strided_in_place_gradcheck(backend_name, shape, seed, data):
    count = int(np.prod(shape))
    size = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    stride = tuple(data.draw(st.lists(st.integers(0, 3), min_size=len(size), max_size=len(size))))
    offset = data.draw(st.integers(0, count - 1))
    assume(offset + sum((n - 1) * step for n, step in zip(size, stride)) < count)
    check(backend_name, lambda x: (x * 1.0).as_strided_(size, stride, offset) * 2.0, leaf(shape, seed))


def test_the_methods_are_the_functionals():
    x = fastgrad.tensor([-2.0, -0.3, 0.4, 3.0])
    assert x.hardshrink(0.35).tolist() == F.hardshrink(x, 0.35).tolist()
    assert x.prelu(fastgrad.tensor([0.25])).tolist() == F.prelu(x, fastgrad.tensor([0.25])).tolist()


def test_resize_in_place_keeps_the_memory_and_grows_only_memory_it_owns_alone():
    x = fastgrad.arange(6.0)
    x.resize_(2, 2)
    assert x.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    x.resize_(3, 3)  # grown: the kept elements, then zeros (PyTorch's storage would still hold 4.0 and 5.0)
    assert x.reshape(-1).tolist() == [0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    base = fastgrad.arange(6.0)
    view = base[2:]
    with pytest.raises(RuntimeError, match="from offset 2 need memory of 9 elements"):
        view.resize_(7)
    shared = fastgrad.arange(4.0)
    row = shared[1:]
    with pytest.raises(RuntimeError, match="other tensors share it"):
        shared.resize_(8)
    row[0] = 10.0  # the view still writes into shared
    assert shared.tolist() == [0.0, 10.0, 2.0, 3.0]


def test_resize_in_place_refuses_other_memory_formats():
    with pytest.raises(NotImplementedError, match="memory_format"):
        fastgrad.zeros(24).resize_(2, 3, 2, 2, memory_format=fastgrad.channels_last)


def test_nonzero_static_pads_with_the_fill_value_and_cuts_to_size():
    x = fastgrad.tensor([[0, 1], [2, 0]])
    assert fastgrad.nonzero_static(x, size=3, fill_value=-5).tolist() == [[0, 1], [1, 0], [-5, -5]]
    assert x.nonzero_static(size=1).tolist() == [[0, 1]]

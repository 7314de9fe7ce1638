"""Views of a tensor's memory: as_strided (gradcheck on every backend, writes, read-only overlaps, refusals),
view(dtype), unfold's writable windows, and the clear error for writes into read-only views."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def strided_windows(draw, elements: int):
    """(size, stride, storage_offset) that stay inside memory of `elements` elements."""
    size = tuple(draw(st.lists(st.integers(1, 3), max_size=3)))
    stride = tuple(draw(st.lists(st.integers(0, 3), min_size=len(size), max_size=len(size))))
    last = sum((n - 1) * step for n, step in zip(size, stride))
    assume(last < elements)
    return size, stride, draw(st.integers(0, elements - 1 - last))


# -- as_strided ------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16), data=st.data())
def test_as_strided_gradients(backend_name, shape, seed, data):
    x = leaf(shape, seed)
    size, stride, offset = data.draw(strided_windows(x.numel()))
    # overlapping windows (stride 0, or steps smaller than a window) add up their gradients
    check(backend_name, lambda x: x.as_strided(size, stride, offset) * 1.5, x)
    check(backend_name, lambda x: fastgrad.as_strided(x.T, size, stride, offset), x)  # the memory is x's, not x.T's
    # an expanded input shows each element several times: the gradient still reaches each element once per read
    check(backend_name, lambda x: x.expand(2, *shape).as_strided(size, stride, offset), x)


def test_as_strided_counts_in_the_memory_of_the_base():
    base = fastgrad.arange(12.0)
    x = base[2:8]
    assert x.as_strided((2, 2), (1, 2)).tolist() == [[2, 4], [3, 5]]  # offset: x's own (2)
    assert x.as_strided((2, 2), (1, 2), 0).tolist() == [[0, 2], [1, 3]]  # elements x does not show
    assert x.as_strided((), (), 11).tolist() == 11 and x.as_strided([3], [0], 5).tolist() == [5, 5, 5]
    assert x.as_strided((0, 5), (100, 100), 12).shape == (0, 5)  # no element: any offset
    view = x.as_strided((2, 2), (1, 2), 0)
    assert view._base is base and view.stride() == (1, 2) and view.storage_offset() == 0
    assert base.reshape(3, 4).T.as_strided((3,), (4,), 1).tolist() == [1, 5, 9]


def test_as_strided_gradient_reaches_only_the_elements_the_input_shows():
    y = fastgrad.arange(6.0, dtype=fastgrad.float64).requires_grad_()
    windows = (y * 1).as_strided((3, 3), (1, 1))
    windows.sum().backward()
    assert y.grad.tolist() == [1, 2, 3, 2, 1, 0]
    y.grad = None
    # element 0 is read but lies outside y[1:]: PyTorch's as_strided gives it no gradient either
    y[1:].as_strided((2, 2), (2, 1), 0).sum().backward()
    assert y.grad.tolist() == [0, 1, 1, 1, 0, 0]


def test_writes_through_as_strided_reach_the_base_unless_positions_overlap():
    x = fastgrad.arange(6.0)
    every_third = x[1:].as_strided((2,), (3,), 1)
    with fastgrad.no_grad():
        every_third.mul_(10)
    assert x.tolist() == [0, 10, 2, 3, 40, 5] and x._version == 1 and every_third._version == 1
    overlapping = x.as_strided((2, 2), (1, 1))
    with pytest.raises(RuntimeError, match="add_: this tensor is read-only: it shows one element of memory at several "
                                           "positions"):
        overlapping.add_(1)
    with pytest.raises(RuntimeError, match="__setitem__: this tensor is read-only"):
        overlapping[:2] = 1.0  # (all of it: x[0, 0] = 1 writes one element, which PyTorch allows)
    assert x.tolist() == [0, 10, 2, 3, 40, 5]
    # an overlap the quick layout check cannot rule out: counted exactly
    assert fastgrad.arange(8.0).as_strided((3, 2), (2, 3))._data.flags.writeable  # 0 3 2 5 4 7
    assert not x.as_strided((2, 2), (2, 2))._data.flags.writeable  # 0 2 2 4


def test_bad_as_strided_arguments_name_the_argument_and_value():
    x = fastgrad.arange(12.0)[2:8]
    cases = [
        (lambda: x.as_strided((2, 2), (1, 2), 9), RuntimeError, r"size \(2, 2\), stride \(1, 2\) and storage offset 9 "
                                                               "reach element 12, outside the memory, which holds 12 "
                                                               "elements of float32"),
        (lambda: x.as_strided((2,), (1, 2)), RuntimeError, r"size \(2,\) and stride \(1, 2\) must have the same length"),
        (lambda: x.as_strided((2, 2), (-1, 2), 3), RuntimeError, "sizes and strides must be non-negative"),
        (lambda: x.as_strided((-1,), (1,)), RuntimeError, "sizes and strides must be non-negative"),
        (lambda: x.as_strided((2,), (1,), -1), RuntimeError, "storage_offset must be non-negative, got -1"),
        (lambda: x.as_strided(2, 1), TypeError, "as_strided: size must be a tuple of ints, got int"),
        (lambda: x.as_strided((2.0,), (1,)), TypeError, "as_strided: size must be an int, got float 2.0"),
        (lambda: x.as_strided((2,), (1,), 3.0), TypeError, "as_strided: storage_offset must be an int, got float"),
        (lambda: fastgrad.from_numpy(np.arange(4.0)[::-1]).as_strided((2,), (1,)), RuntimeError,
         "negative strides"),
    ]
    for fn, error, message in cases:
        with pytest.raises(error, match=message):
            fn()
    base = fastgrad.arange(6.0)
    stale = base[2:]
    base.data = fastgrad.zeros(2)  # the base's memory is replaced: its old views keep the old memory
    with pytest.raises(RuntimeError, match="no longer lies in the memory of its base"):
        stale.as_strided((2,), (1,))


# -- view(dtype) -----------------------------------------------------------------------------------
def test_view_as_dtype_reads_the_same_memory_outside_autograd():
    x = fastgrad.tensor([1.0, 2.0, -0.5, 0.0], requires_grad=True)
    bits = x.view(fastgrad.int32)
    assert bits.tolist() == np.array([1.0, 2.0, -0.5, 0.0], dtype=np.float32).view(np.int32).tolist()
    assert not bits.requires_grad and bits.is_leaf and not x.view(fastgrad.float32).requires_grad
    assert x.view(dtype=fastgrad.float64).shape == (2,) and x.view(fastgrad.int16).shape == (8,)
    assert x.view(2, 2).shape == (2, 2) and x.view(2, 2).requires_grad  # shapes as before
    y = fastgrad.arange(8, dtype=fastgrad.int32)[2:]
    wide = y.view(fastgrad.int64)
    assert wide.shape == (3,) and wide.storage_offset() == 1 and wide._base is y._base
    with fastgrad.no_grad():
        wide.fill_(0)  # a write through it reaches y, and counts as a change of y's memory
    assert y.tolist() == [0] * 6 and y._version == 1
    m = fastgrad.arange(12.0).reshape(3, 4)
    assert m[::2, :2].view(fastgrad.float64).stride() == (4, 1) and m.T.view(fastgrad.int32).stride() == (1, 4)


def test_bad_dtype_views_name_the_rule_they_break():
    m = fastgrad.arange(12.0).reshape(3, 4)
    cases = [
        (lambda: m.T.view(fastgrad.float64), RuntimeError, "self.size.-1. must be divisible by 2 to view float32 as "
                                                           "float64 .different element sizes., but got 3"),
        (lambda: m.T.view(fastgrad.int16), RuntimeError, r"self.stride\(-1\) must be 1 to view float32 as int16"),
        (lambda: m.view(fastgrad.float16), TypeError, "no 16-bit floats"),
        (lambda: m.view(np.float16), TypeError, "dtype float16 is not supported"),
        (lambda: m[:, 1:3].view(fastgrad.float64), RuntimeError, r"self.storage_offset\(\) must be divisible by 2"),
        (lambda: fastgrad.zeros(3, 3)[:, :2].view(fastgrad.float64), RuntimeError, r"self.stride\(0\) must be "
                                                                                  "divisible by 2 .* but got 3"),
        (lambda: fastgrad.tensor(1.0).view(fastgrad.float64), RuntimeError, r"self.dim\(\) cannot be 0"),
        (lambda: m.view(np.complex64), TypeError, "dtype complex64 is not supported"),
        (lambda: m.view(4, 3, dtype=fastgrad.int32), TypeError, "expected a shape or a dtype, got both"),
    ]
    for fn, error, message in cases:
        with pytest.raises(error, match=message):
            fn()


# -- unfold's windows and writes into read-only views --------------------------------------------
def test_unfold_is_writable_when_its_windows_do_not_overlap():
    x = fastgrad.arange(7.0)
    windows = x.unfold(0, 2, 3)  # [0, 1], [3, 4]: a gap between windows
    with fastgrad.no_grad():
        windows.add_(10)
        windows[1, 0] = -1.0
    assert x.tolist() == [10, 11, 2, -1, 14, 5, 6] and x._version == 2
    single = fastgrad.arange(3.0).unfold(0, 3, 1)  # one window: nothing to overlap
    single.zero_()
    assert single.tolist() == [[0, 0, 0]]
    overlapping = fastgrad.arange(5.0).unfold(0, 3, 1)
    # (a fill writes one value wherever it writes, which PyTorch allows: see test_in_place_expanded_parity.py)
    for write in (lambda w: w.add_(1), lambda w: w.__setitem__((slice(None), slice(1, None)), 1.0),
                  lambda w: w.normal_(), lambda w: w.copy_(fastgrad.ones(3, 3))):
        with pytest.raises(RuntimeError, match="read-only: .* unfold/as_strided windows that overlap"):
            write(overlapping)
    assert overlapping.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    overlapping[1].zero_()  # (one window shows each element once: it takes writes, as PyTorch's)
    assert overlapping.tolist() == [[0, 0, 0], [0, 0, 0], [0, 0, 4]]


def test_a_refused_random_fill_draws_nothing():
    fastgrad.manual_seed(0)
    with pytest.raises(RuntimeError, match="normal_: this tensor is read-only"):
        fastgrad.zeros(1).expand(3).normal_()
    first = fastgrad.randn(2).tolist()
    fastgrad.manual_seed(0)
    assert fastgrad.randn(2).tolist() == first


def test_gradient_of_overlapping_windows_made_before_their_base_changed_adds_up():
    x = fastgrad.arange(5.0, dtype=fastgrad.float64).requires_grad_()
    y = x * 1
    windows = y.unfold(0, 3, 1)
    y.mul_(2)  # the windows show the doubled values, as in PyTorch
    (windows * 1).sum().backward()
    assert x.grad.tolist() == [2, 4, 6, 4, 2]  # PyTorch's numbers: 2 * the windows holding each element

"""Memory formats: the layouts of clone, contiguous, to, the *_like functions and Module.to, their argument
checks, and gradients through copies laid out in another format."""
import copy
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NCHW = array_shapes(min_dims=4, max_dims=4, min_side=1, max_side=3)


def test_the_formats_are_fixed_objects():
    assert isinstance(fastgrad.channels_last, fastgrad.memory_format)
    assert repr(fastgrad.channels_last_3d) == "fastgrad.channels_last_3d"
    assert copy.deepcopy(fastgrad.channels_last) is fastgrad.channels_last
    assert pickle.loads(pickle.dumps(fastgrad.preserve_format)) is fastgrad.preserve_format
    with pytest.raises(TypeError, match="cannot create"):
        fastgrad.memory_format("mine", ())


def test_channels_last_copies_hold_the_same_values_with_nhwc_strides():
    x = fastgrad.randn(2, 3, 4, 5)
    y = x.contiguous(memory_format=fastgrad.channels_last)
    assert y.stride() == (60, 1, 15, 3)
    assert y.is_contiguous(memory_format=fastgrad.channels_last) and not y.is_contiguous()
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    assert y.contiguous(memory_format=fastgrad.channels_last) is y
    assert y.clone().stride() == (60, 1, 15, 3)  # preserve_format, the default
    assert y.contiguous().stride() == (60, 20, 5, 1)
    z = fastgrad.randn(2, 3, 4, 5, 6).contiguous(memory_format=fastgrad.channels_last_3d)
    assert z.stride() == (360, 1, 90, 18, 3) and z.is_contiguous(memory_format=fastgrad.channels_last_3d)


def test_preserve_format_keeps_a_dense_layout_and_orders_others_by_their_strides():
    x = fastgrad.randn(2, 3, 4, 5)
    assert x.transpose(1, 2).clone().stride() == (60, 5, 20, 1)
    assert x.transpose(1, 2)[:, ::2].clone().stride() == (30, 5, 10, 1)
    assert fastgrad.randn(1, 4).expand(3, 4).clone().stride() == (4, 1)
    assert x.transpose(1, 2).to(fastgrad.float64).stride() == (60, 5, 20, 1)


@pytest.mark.parametrize("like", [
    lambda t, f: fastgrad.empty_like(t, memory_format=f), lambda t, f: fastgrad.zeros_like(t, memory_format=f),
    lambda t, f: fastgrad.ones_like(t, memory_format=f), lambda t, f: fastgrad.full_like(t, 2.0, memory_format=f),
    lambda t, f: fastgrad.rand_like(t, memory_format=f), lambda t, f: fastgrad.randn_like(t, memory_format=f),
    lambda t, f: fastgrad.randint_like(t, 5, memory_format=f),
], ids=["empty_like", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "randint_like"])
def test_like_functions_take_a_memory_format(like):
    x = fastgrad.randn(2, 3, 4, 5)
    channels_last = x.contiguous(memory_format=fastgrad.channels_last)
    assert like(x, fastgrad.channels_last).stride() == (60, 1, 15, 3)
    assert like(channels_last, fastgrad.preserve_format).stride() == (60, 1, 15, 3)
    assert like(channels_last, None).stride() == (60, 1, 15, 3)
    assert like(channels_last, fastgrad.contiguous_format).stride() == (60, 20, 5, 1)
    with pytest.raises(RuntimeError, match="rank 5"):
        like(x, fastgrad.channels_last_3d)
    with pytest.raises(TypeError, match="memory_format must be a fastgrad.memory_format"):
        like(x, "channels_last")


def test_to_copies_only_into_another_format():
    x = fastgrad.randn(2, 3, 4, 5)
    assert x.to(memory_format=fastgrad.contiguous_format) is x
    transposed = fastgrad.randn(3, 4).t()  # its strides suggest no other format: no copy, as in PyTorch
    assert transposed.to(memory_format=fastgrad.contiguous_format) is transposed
    y = x.to(memory_format=fastgrad.channels_last)
    assert y.stride() == (60, 1, 15, 3) and y.to(memory_format=fastgrad.channels_last) is y
    assert y.to(fastgrad.float64).stride() == (60, 1, 15, 3)
    assert x.to(fastgrad.float64, memory_format=fastgrad.channels_last).stride() == (60, 1, 15, 3)
    with pytest.raises(RuntimeError, match="rank 4"):
        fastgrad.randn(3, 4).to(memory_format=fastgrad.channels_last)


def test_argument_checks():
    x = fastgrad.randn(3, 4)
    with pytest.raises(RuntimeError, match="rank 4 tensor to use channels_last"):
        x.contiguous(memory_format=fastgrad.channels_last)
    with pytest.raises(RuntimeError, match="rank 4 tensor to use channels_last"):
        x.clone(memory_format=fastgrad.channels_last)
    assert x.contiguous(memory_format=fastgrad.preserve_format) is x  # no copy to make
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported"):
        x.t().contiguous(memory_format=fastgrad.preserve_format)
    with pytest.raises(TypeError, match="got NoneType"):
        x.contiguous(memory_format=None)
    with pytest.raises(TypeError, match="got NoneType"):
        x.is_contiguous(memory_format=None)
    with pytest.raises(TypeError, match="got int"):
        x.clone(memory_format=1)
    for positional in (x.contiguous, x.is_contiguous, x.clone):  # keyword only, as in PyTorch
        with pytest.raises(TypeError):
            positional(fastgrad.contiguous_format)
    assert not x.is_contiguous(memory_format=fastgrad.channels_last)  # another rank: False, no error
    assert x.is_contiguous(memory_format=fastgrad.preserve_format)


def test_empty_takes_a_memory_format():
    assert fastgrad.empty(2, 3, 4, 5, memory_format=fastgrad.channels_last).stride() == (60, 1, 15, 3)
    with pytest.raises(RuntimeError, match="rank 4"):
        fastgrad.empty(2, 3, memory_format=fastgrad.channels_last)


def test_module_to_lays_out_its_4d_and_5d_tensors():
    conv, linear = fastgrad.nn.Conv2d(2, 3, 3), fastgrad.nn.Linear(2, 3)
    conv.weight.grad = fastgrad.zeros_like(conv.weight)
    weight = conv.weight
    assert conv.to(memory_format=fastgrad.channels_last) is conv and conv.weight is weight
    assert weight.stride() == (18, 1, 6, 2) and weight.grad.stride() == (18, 1, 6, 2)
    assert conv.bias.stride() == (1,)
    linear.to(memory_format=fastgrad.channels_last)
    assert linear.weight.stride() == (2, 1)
    with pytest.raises(TypeError, match="memory_format must be"):
        conv.to(memory_format="channels_last")


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("copy_of", [
    lambda x: x.contiguous(memory_format=fastgrad.channels_last) * x,
    lambda x: x.clone(memory_format=fastgrad.channels_last).sum(dim=1),
    lambda x: x.permute(0, 2, 3, 1).clone().exp(),
    lambda x: x.to(fastgrad.float64, memory_format=fastgrad.channels_last).reshape(-1),
], ids=["contiguous", "clone", "preserve", "to"])
@SETTINGS
@given(shape=NCHW, seed=st.integers(0, 2**16))
def test_gradients_through_copies_in_another_format(backend_name, copy_of, shape, seed):
    check(backend_name, copy_of, leaf(shape, seed))


def test_arrays_that_step_backwards_are_copied_in_the_order_of_their_step_sizes():
    values = np.arange(24.0).reshape(2, 3, 4)
    for view in (values[::-1], values[:, ::-1, ::-2]):
        copied = fastgrad.from_numpy(view).clone()
        np.testing.assert_array_equal(copied.numpy(), view)
        assert copied.is_contiguous()

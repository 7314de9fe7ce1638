"""A leaf's .grad owns its memory, every gradient has its input's shape, and backward without
retain_graph lets the graph go."""
import gc
import weakref

import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F


def _identity_function(name: str, backward) -> type:
    """A custom Function named `name` computing x * 1.0, with the given backward(ctx, g)."""
    return type(name, (fastgrad.Function,), {"forward": staticmethod(lambda ctx, x: x * 1.0),
                                             "backward": staticmethod(backward)})


def test_grad_survives_zeroing_between_retained_backwards():
    x = fastgrad.randn(4, 5, requires_grad=True)
    loss = F.cross_entropy(x, fastgrad.tensor([0, 1, 2, 3]))
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad.zero_()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), first)


def test_backward_does_not_store_the_callers_gradient():
    x = fastgrad.randn(3, requires_grad=True)
    g = np.ones(3, dtype=np.float32)
    (x + 0).backward(gradient=fastgrad.from_numpy(g))  # (shares g's memory)
    x.grad.zero_()
    np.testing.assert_array_equal(g, 1.0)
    x.grad = None
    gt = fastgrad.ones(3)
    x.backward(gradient=gt)  # on the leaf itself
    x.grad.add_(1.0)
    np.testing.assert_array_equal(gt.numpy(), 1.0)


def test_backward_reads_the_callers_gradient_without_copying_it_but_never_stores_it():
    seen = []
    # its backward hands g on unchanged, so g reaches the leaf: the walk must copy it there
    Spy = _identity_function("Spy", lambda ctx, g: seen.append(g.numpy()) or g)
    x = fastgrad.randn(2, 3, requires_grad=True)
    g = np.full((2, 3), 2.0, dtype=np.float32)
    Spy.apply(x).backward(gradient=fastgrad.from_numpy(g))  # (shares g's memory)
    assert np.shares_memory(seen[0], g)  # no copy on the way in
    assert not np.shares_memory(x.grad.numpy(), g)
    y = fastgrad.randn(6, requires_grad=True)
    y.reshape(2, 3).backward(gradient=fastgrad.from_numpy(g))  # a view of the caller's array reaches the leaf
    y.grad.zero_()
    np.testing.assert_array_equal(g, 2.0)


def test_grads_of_two_leaves_never_share_memory():
    a, b = fastgrad.randn(3, requires_grad=True), fastgrad.randn(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), 1.0)


def test_custom_function_returning_a_saved_tensor_as_gradient_is_copied():
    class Leak(fastgrad.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(y)
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return y, None  # hands back a tensor the caller owns

    x = fastgrad.randn(3, requires_grad=True)
    y = fastgrad.ones(3)
    Leak.apply(x, y).sum().backward()
    x.grad.zero_()
    np.testing.assert_array_equal(y.numpy(), 1.0)


def test_custom_function_gradient_of_the_wrong_shape_raises():
    Wrong = _identity_function("Wrong", lambda ctx, g: fastgrad.ones(5))
    x = fastgrad.randn(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Wrong.backward returned a gradient of shape \(5,\) for input 0, "
                                           r"which has shape \(2, 3\)"):
        Wrong.apply(x).sum().backward()


def test_custom_function_broadcast_gradient_is_summed_back_and_cast():
    class Spread(fastgrad.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return fastgrad.ones(4, 3, dtype=fastgrad.float64)  # broadcast of x's (3,), another dtype

    x = fastgrad.randn(3, requires_grad=True)
    Spread.apply(x).sum().backward()
    assert x.grad.shape == (3,) and x.grad.dtype == fastgrad.float32
    np.testing.assert_array_equal(x.grad.numpy(), 4.0)


def test_custom_function_takes_one_gradient_per_forward_argument():
    class Scale(fastgrad.Function):
        @staticmethod
        def forward(ctx, x, factor):
            ctx.factor = factor
            return x * factor

        @staticmethod
        def backward(ctx, g):
            assert ctx.needs_input_grad == (True, False)
            return g * ctx.factor, None

    x = fastgrad.randn(3, requires_grad=True)
    Scale.apply(x, 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3.0)


def test_activations_are_freed_after_backward():
    x = fastgrad.randn(512, 512, requires_grad=True)  # 1 MiB activations
    h, refs = x, []
    for _ in range(20):
        h = (h * 1.01).tanh()
        refs.append(weakref.ref(h))
    loss = h.sum()
    del h
    loss.backward()
    gc.collect()
    assert sum(r() is not None for r in refs) == 0
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_retain_graph_keeps_the_graph():
    x = fastgrad.randn(3, requires_grad=True)
    h = (x * 2).tanh()
    ref = weakref.ref(h)
    loss = h.sum()
    del h
    loss.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    loss.backward()


def test_assigned_grad_must_fit_the_tensor():
    w = fastgrad.randn(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"assigned grad has shape \(3,\)"):
        w.grad = fastgrad.ones(3)
    with pytest.raises(RuntimeError, match="assigned grad has dtype float64"):
        w.grad = fastgrad.ones(2, 3, dtype=fastgrad.float64)
    with pytest.raises(TypeError, match="Tensor or None"):
        w.grad = np.ones((2, 3), dtype=np.float32)
    w.grad = fastgrad.ones(2, 3)
    w.grad = None

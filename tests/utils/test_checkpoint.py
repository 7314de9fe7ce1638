"""Activation checkpointing (fastgrad/utils/checkpoint.py): gradients equal those without it (dropout
included), gradcheck on every backend, the activations are not kept, and the errors for bad arguments."""
import gc
import weakref
from collections import namedtuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
import fastgrad.nn as nn
from fastgrad.testing import check_gradients as check, float64_leaf as leaf
from fastgrad.utils.checkpoint import checkpoint, checkpoint_sequential


def block(seed: int = 0, p: float = 0.5) -> nn.Module:
    fastgrad.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Dropout(p), nn.Linear(6, 3)).double()


def gradients(model, x, run) -> tuple:
    """The output, the gradients of the parameters and of x for a loss of the output, and the next draw of the
    generator after the backward (it must not depend on checkpointing)."""
    model.zero_grad()
    x.grad = None
    fastgrad.manual_seed(7)
    out = run(model, x)
    (out ** 2).sum().backward()
    return ([out.detach().numpy()] + [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()],
            fastgrad.rand(1).item())


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_gradients_equal_the_unchecked_ones_with_dropout(use_reentrant):
    model, x = block(), leaf((5, 4), 0)
    plain, plain_next = gradients(model, x, lambda m, x: m(x))
    checked, checked_next = gradients(model, x, lambda m, x: checkpoint(m, x, use_reentrant=use_reentrant))
    for a, b in zip(plain, checked):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert plain_next == checked_next  # the second run restored the state it changed
    model.eval()
    assert not np.allclose(model(x).detach().numpy(), plain[0])  # dropout did drop: the masks agree


def test_without_restoring_the_random_state_dropout_draws_another_mask():
    model, x = block(), leaf((5, 4), 0)
    plain, _ = gradients(model, x, lambda m, x: m(x))
    checked, _ = gradients(model, x, lambda m, x: checkpoint(m, x, use_reentrant=False, preserve_rng_state=False))
    assert not np.allclose(plain[1], checked[1])


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16))
def test_gradcheck_through_a_checkpoint(backend_name, shape, seed):
    x, w = leaf(shape, seed), leaf(shape[-1:], seed + 1)
    outside = leaf((), seed + 2)  # reached from inside the function, not passed to it

    def segment(x, w):
        return ((x * w).tanh() * outside).exp(), x.sum()

    check(backend_name, lambda x, w: checkpoint(segment, x, w, use_reentrant=False), x, w)
    check(backend_name, lambda x, w, o: checkpoint(segment, x, w, use_reentrant=True), x, w, outside)


def test_activations_are_not_kept_until_backward():
    x, w = leaf((3, 4), 0), leaf((4, 4), 1)
    inside = []

    def segment(x):
        h = x @ w
        inside.append(weakref.ref(h))
        return h.tanh().sum(1)

    kept = segment(x)
    plain = checkpoint(segment, x, use_reentrant=False)
    gc.collect()
    assert inside[0]() is not None  # the plain graph holds the product for tanh's backward
    assert inside[1]() is None  # the checkpointed one does not: it is computed again
    plain.sum().backward()
    kept.sum().backward()
    assert len(inside) == 3


def test_autograd_grad_and_backward_inputs_see_the_parameters_inside():
    model, x = block(p=0.0), leaf((2, 4), 3)
    out = checkpoint(model, x.detach(), use_reentrant=False)  # the input needs no gradient; the weights do
    weight_grad, = fastgrad.autograd.grad(out.sum(), [model[0].weight], retain_graph=True)
    assert model[0].weight.grad is None
    out.sum().backward(inputs=[model[3].bias])
    assert model[0].weight.grad is None and model[3].bias.grad.tolist() == [2.0, 2.0, 2.0]
    plain, = fastgrad.autograd.grad(model(x.detach()).sum(), [model[0].weight])
    np.testing.assert_allclose(weight_grad.numpy(), plain.numpy(), rtol=1e-12)


def test_outputs_keep_their_structure_and_integer_and_other_outputs_pass_through():
    Pair = namedtuple("Pair", "values indices")
    x = leaf((3, 4), 2)
    out = checkpoint(lambda x: Pair(*x.max(1)), x, use_reentrant=False)
    assert isinstance(out, Pair) and out.indices.dtype == fastgrad.int64 and not out.indices.requires_grad
    listed = checkpoint(lambda x: [x * 2, "label", 3], x, use_reentrant=False)
    assert isinstance(listed, list) and listed[1:] == ["label", 3]
    (out.values.sum() + listed[0].sum()).backward()
    expected = np.full((3, 4), 2.0)
    expected[np.arange(3), x.detach().numpy().argmax(1)] += 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_keyword_tensors_and_nested_checkpoints_get_gradients():
    x, scale = leaf((3,), 4), leaf((3,), 5)

    def inner(x, scale=None):
        return (x * scale).sin()

    def outer(x):
        return checkpoint(inner, x.exp(), use_reentrant=False, scale=scale) * 2

    checkpoint(outer, x, use_reentrant=False).sum().backward()
    ex = np.exp(x.detach().numpy())
    s = scale.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(ex * s) * s * ex, rtol=1e-12)
    np.testing.assert_allclose(scale.grad.numpy(), 2 * np.cos(ex * s) * ex, rtol=1e-12)


def test_a_sparse_embedding_gradient_inside_arrives_dense_with_the_same_values():
    embedding = nn.Embedding(5, 3, sparse=True)
    ids = fastgrad.tensor([1, 2, 1])
    checkpoint(embedding, ids, use_reentrant=False).sum().backward()
    expected = np.zeros((5, 3))
    expected[1], expected[2] = 2.0, 1.0
    np.testing.assert_array_equal(embedding.weight.grad.numpy(), expected)


def test_changing_an_input_in_place_before_backward_raises():
    x = leaf((3,), 0)
    y = x * 1
    out = checkpoint(lambda y: y.exp(), y, use_reentrant=False)
    with fastgrad.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.sum().backward()


def test_a_second_run_that_differs_is_caught():
    calls = []

    def grows(x):
        calls.append(1)
        return x.repeat(len(calls))

    out = checkpoint(grows, leaf((2,), 0), use_reentrant=False)
    with pytest.raises(RuntimeError, match="second run gave outputs of shapes and dtypes"):
        out.sum().backward()


def test_without_grad_mode_the_function_simply_runs():
    x = leaf((2,), 0)
    with fastgrad.no_grad():
        out = checkpoint(lambda x: x * 2, x, use_reentrant=False)
    assert not out.requires_grad


def test_checkpoint_sequential_equals_the_plain_sequential():
    model, x = block(p=0.3), leaf((5, 4), 1)
    plain, _ = gradients(model, x, lambda m, x: m(x))
    for segments in (1, 2, 4):
        checked, _ = gradients(model, x, lambda m, x: checkpoint_sequential(m, segments, x, use_reentrant=False))
        for a, b in zip(plain, checked):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("call,error,match", [
    (lambda x: checkpoint(3, x), TypeError, "function must be callable, got int"),
    (lambda x: checkpoint(lambda x, y=1: x * y, x, y=2), ValueError, "unexpected keyword arguments y"),
    (lambda x: checkpoint(lambda x: x, x, use_reentrant=False, context_fn=lambda: None), NotImplementedError,
     "context_fn"),
    (lambda x: checkpoint(lambda x: x, x, use_reentrant=False, determinism_check="strict"), ValueError,
     "determinism_check must be 'default' or 'none', got 'strict'"),
    (lambda x: checkpoint(lambda x: {"y": x}, x, use_reentrant=False), TypeError, "must return a Tensor, or a "
                                                                                  "tuple or list.*got dict"),
    (lambda x: checkpoint_sequential([lambda x: x] * 2, 3, x), ValueError, r"segments must be an int in \[1, 2\]"),
    (lambda x: checkpoint_sequential([lambda x: x] * 2, 1.0, x), ValueError, "got 1.0"),
])
def test_bad_arguments_raise_naming_them(call, error, match):
    with pytest.raises(error, match=match):
        call(leaf((2,), 0))

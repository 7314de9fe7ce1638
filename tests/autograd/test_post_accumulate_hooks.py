"""Tensor.register_post_accumulate_grad_hook: a leaf's hook runs once per backward, after its .grad
holds every contribution of that backward (what data-parallel training starts communicating from)."""
import gc

import numpy as np
import pytest

import fastgrad
from fastgrad.autograd import hooks


def test_hook_sees_the_complete_gradient_of_a_leaf_used_many_times():
    w = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda leaf: seen.append(leaf.grad.numpy().copy()))
    y = (w * 2).sum() + (w * w).sum() + w.sum() * 3  # three branches feed w
    y.backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], 2 + 2 * np.array([1.0, 2.0]) + 3)


def test_hooks_run_in_the_order_leaves_become_final_during_the_walk():
    a = fastgrad.tensor([1.0], requires_grad=True)
    b = fastgrad.tensor([2.0], requires_grad=True)
    order = []
    a.register_post_accumulate_grad_hook(lambda leaf: order.append(("a", leaf.grad.item())))
    b.register_post_accumulate_grad_hook(lambda leaf: order.append(("b", leaf.grad.item())))
    # b is consumed last in the forward, so its gradient is final first; a waits for the first node
    ((a * 3).exp() * b).sum().backward()
    assert [name for name, _ in order] == ["b", "a"]
    assert order[0][1] == pytest.approx(np.exp(3.0))
    assert order[1][1] == pytest.approx(3 * np.exp(3.0) * 2)


def test_hook_runs_each_backward_and_sees_accumulated_grad_and_remove_stops_it():
    w = fastgrad.tensor([1.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda leaf: seen.append(leaf.grad.item()))
    (w * 2).sum().backward()
    (w * 5).sum().backward()
    assert seen == [2.0, 7.0]
    handle.remove()
    (w * 1).sum().backward()
    assert seen == [2.0, 7.0]
    assert id(w) not in hooks._POST_ACCUMULATE_HOOKS


def test_hook_on_a_root_leaf_and_with_retain_graph():
    w = fastgrad.tensor([1.0, 1.0], requires_grad=True)
    calls = []
    w.register_post_accumulate_grad_hook(lambda leaf: calls.append(leaf.grad.numpy().tolist()))
    w.backward(fastgrad.tensor([1.0, 2.0]))
    y = (w * w).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert calls == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]


def test_leaf_reached_only_through_integer_outputs_gets_no_hook_call():
    w = fastgrad.tensor([1.0, 3.0], requires_grad=True)
    x = fastgrad.tensor([2.0], requires_grad=True)
    calls = []
    w.register_post_accumulate_grad_hook(lambda leaf: calls.append("w"))
    (x * w.argmax().to(fastgrad.float32)).sum().backward()
    assert calls == [] and w.grad is None and x.grad.item() == 1.0


def test_sparse_gradient_reaches_the_hook():
    emb = fastgrad.nn.Embedding(5, 2, sparse=True)
    seen = []
    emb.weight.register_post_accumulate_grad_hook(lambda leaf: seen.append(leaf.grad))
    (emb(fastgrad.tensor([1, 3, 1])).sum() + emb(fastgrad.tensor([4])).sum()).backward()
    assert len(seen) == 1 and seen[0].is_sparse
    assert sorted(seen[0].rows.tolist()) == [1, 1, 3, 4]


def test_registry_forgets_dead_leaves():
    w = fastgrad.tensor([1.0], requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda leaf: None)
    assert id(w) in hooks._POST_ACCUMULATE_HOOKS
    key = id(w)
    del w
    gc.collect()
    assert key not in hooks._POST_ACCUMULATE_HOOKS


def test_bad_registrations_raise_like_pytorch():
    w = fastgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda leaf: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        fastgrad.tensor([1.0]).register_post_accumulate_grad_hook(lambda leaf: None)
    with pytest.raises(TypeError, match="hook must be callable, got int"):
        w.register_post_accumulate_grad_hook(3)


def test_parity_with_pytorch_call_count_and_values():
    torch = pytest.importorskip("torch")
    values = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    results = {}
    for lib in (fastgrad, torch):
        w = lib.tensor(values, requires_grad=True)
        seen = []
        w.register_post_accumulate_grad_hook(lambda leaf: seen.append(leaf.grad.numpy().copy()))
        ((w * w).sum() + (w.exp() * 2).sum()).backward()
        (w * 3).sum().backward()
        results[lib.__name__] = seen
    assert len(results["fastgrad"]) == len(results["torch"]) == 2
    for ours, theirs in zip(results["fastgrad"], results["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)

"""Tensor.register_hook and retain_grad: hooks see a tensor's gradient summed over every path, may
replace it, and retain_grad keeps a non-leaf's gradient as .grad, as in PyTorch."""
import numpy as np
import pytest

import fastgrad


def hooked_graph(module):
    """x -> y = x * x (hooked, retained) -> two branches; x's hook doubles its gradient."""
    x = module.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()) or g * 2)
    y = x * x
    y.retain_grad()
    y.register_hook(lambda g: g + 1)  # registered after retain_grad: .grad still holds its result
    ((y * 3).sum() + (y * 2).sum()).backward()
    return x.grad.tolist(), y.grad.tolist(), seen


def test_hooks_and_retain_grad():
    x_grad, y_grad, seen = hooked_graph(fastgrad)
    # y's gradient: 3 + 2 from both branches, + 1 by its hook; x's: 2 x y' = 12, 24, 36 before its hook
    assert y_grad == [6.0] * 3 and seen == [[12.0, 24.0, 36.0]] and x_grad == [24.0, 48.0, 72.0]


def test_hooks_and_retain_grad_match_torch():
    torch = pytest.importorskip("torch")
    assert hooked_graph(fastgrad) == hooked_graph(torch)


def test_retain_grad_accumulates_and_a_removed_hook_is_gone():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.retain_grad()  # once is enough
    handle = x.register_hook(lambda g: g * 0)
    y.sum().backward(retain_graph=True)
    assert x.grad.tolist() == [0.0, 0.0] and y.grad.tolist() == [1.0, 1.0] and y.retains_grad
    handle.remove()
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and y.grad.tolist() == [2.0, 2.0]
    assert not x.retains_grad  # a leaf keeps its .grad without it


def test_a_hook_handle_removes_its_hook_when_its_with_block_ends_and_only_once():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    scale = lambda g: g * 10  # noqa: E731
    kept = x.register_hook(scale)
    with x.register_hook(scale) as handle:  # the same function twice: each handle removes one
        (x * 1).sum().backward()
    assert x.grad.tolist() == [100.0, 100.0]
    handle.remove()  # already removed: the other registration stays
    x.grad = None
    (x * 1).sum().backward()
    assert x.grad.tolist() == [10.0, 10.0]
    kept.remove()


def test_a_leaf_with_both_kinds_of_hooks_runs_the_post_accumulate_hook_after_storing():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    order = []
    x.register_hook(lambda g: order.append(("tensor", g.tolist())) or g + 1)
    x.register_post_accumulate_grad_hook(lambda leaf: order.append(("stored", leaf.grad.tolist())))
    ((x * 2).sum() + (x * 3).sum()).backward()
    assert order == [("tensor", [5.0, 5.0]), ("stored", [6.0, 6.0])]


def test_bad_hooks_and_retain_grad_raise_clearly():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match=r"a tensor hook returned a gradient of shape \(1,\)"):
        (x * 2).sum().backward()
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        fastgrad.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="can't retain_grad on a tensor that has requires_grad=False"):
        fastgrad.tensor([1.0]).retain_grad()
    y = fastgrad.tensor(np.ones(2), requires_grad=True)
    y.register_hook(lambda g: 3)
    with pytest.raises(TypeError, match="a tensor hook returned a int"):
        y.sum().backward()


def test_a_retained_0d_gradient_summed_over_two_passes_keeps_its_dtype():
    # Two 0-d arrays summed to a NumPy scalar, which .grad then held: its dtype did not count in promotion, so
    # v.grad * 2 of a float64 gradient came out float32
    x = fastgrad.tensor(0.5, dtype=fastgrad.float64, requires_grad=True)
    v = (x * x).exp()
    v.retain_grad()
    (v.exp() * 2).backward(retain_graph=True)
    (v.exp() * 2).backward()
    assert v.grad.dtype == fastgrad.float64 and (v.grad * 2).dtype == fastgrad.float64
    assert isinstance(v.grad.numpy(), np.ndarray)

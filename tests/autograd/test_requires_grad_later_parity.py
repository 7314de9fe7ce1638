"""requires_grad_() on a leaf after ops used it: those ops recorded no edge to it, so it gets no gradient from them,
as in PyTorch 2.13 (fastgrad's nodes reach the leaf through the tensor, which gave it theirs too); later uses do."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("how", ["backward", "grad", "create_graph"])
def test_uses_before_requires_grad_send_the_leaf_no_gradient(how):
    def turned_on_late(lib):
        a = lib.tensor([1.0, 2.0], dtype=lib.float64)
        b = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        before = (a + b) * b - a
        a.requires_grad_()
        after = a.exp()
        loss = (before * before).sum() + after.sum()
        if how == "backward":
            loss.backward()
            return [a.grad, b.grad]
        return list(lib.autograd.grad(loss, [a, b], create_graph=how == "create_graph"))

    for ours, theirs in zip(turned_on_late(fastgrad), turned_on_late(torch), strict=True):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-14)


def test_a_leaf_used_only_before_requires_grad_is_unused():
    for lib in (fastgrad, torch):
        a = lib.tensor([1.0, 2.0], dtype=lib.float64)
        b = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        loss = (a + b).sum()
        a.requires_grad_()
        assert lib.autograd.grad(loss, [a, b], allow_unused=True)[0] is None


@pytest.mark.parametrize("turn_off", ["detach_", "requires_grad_(False)"])
def test_uses_while_the_leaf_required_grad_keep_their_gradient_after_it_was_turned_off_and_on(turn_off):
    def toggled(lib):
        a = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        first = a + b  # (a requires grad: an edge)
        a.detach_() if turn_off == "detach_" else a.requires_grad_(False)
        second = a + b  # (no edge)
        a.requires_grad_()
        third = a * 3  # (an edge)
        (first * 5 + second * 7 + third).sum().backward()
        return a.grad.numpy(), b.grad.numpy()

    for ours, theirs in zip(toggled(fastgrad), toggled(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)

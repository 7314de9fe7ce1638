"""A view with a history of its own (`b = leaf.clone(); v = b[:2]`) whose base is then changed in place
(`b.mul_(2)`, or under no_grad, or through a detached alias: any change of its memory's version) is, for its uses
afterwards, the view of the base's new history, as PyTorch regenerates it. The
gradient of those uses reached the leaves, but the view itself was passed by: its retained `.grad`,
`autograd.grad(loss, [v])` and `backward(inputs=[v])` gave None (or "not used") where PyTorch gives the gradient,
and `v.backward()` sent the gradient to the base's history before the change. Each program runs on both
libraries; the gradients must agree."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def grads_of(m, case):
    leaf = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
    b = leaf.clone()
    v = b[:2]
    if case == "retain_grad":
        b.mul_(2)
        v.retain_grad()
        (v * 3).sum().backward()
        return v.grad, leaf.grad
    if case == "retain_grad before the change, read before and after":
        v.retain_grad()
        before = (v * 5).sum()
        b.mul_(2)
        (before + (v * 3).sum()).backward()
        return v.grad, leaf.grad
    if case == "autograd.grad":
        b.mul_(2)
        return m.autograd.grad((v * 3).sum(), [v, leaf])
    if case == "backward(inputs=)":
        b.mul_(2)
        (v * 3).sum().backward(inputs=[v])
        return v.grad, leaf.grad
    if case == "the view is the root":
        b.mul_(leaf)
        v.backward(m.tensor([1.0, 10.0], dtype=m.float64))
        return (leaf.grad,)
    if case == "view of a view, changed twice":
        w = v[1:]
        b.add_(1)
        b.mul_(3)
        w.retain_grad()
        (w * v[:1] * 7).sum().backward()
        return w.grad, leaf.grad
    if case == "written by index":
        x = m.tensor([4.0], dtype=m.float64, requires_grad=True)
        v = b[1:]
        b[2:] = x * 2
        return m.autograd.grad((v ** 2).sum(), [v, leaf, x])
    if case == "second order":
        b.mul_(leaf)
        (g,) = m.autograd.grad((v ** 2).sum(), [leaf], create_graph=True)
        return g, m.autograd.grad(g.sum(), [leaf])[0]
    if case == "hook registered after the change":
        b.mul_(2)
        v.grad_fn  # (torch 2.13 crashes registering a hook on a view whose base changed, unless its grad_fn was read)
        v.register_hook(lambda g: g + 1)
        (v * 3).sum().backward()
        return (leaf.grad,)
    if case == "hooks registered before and after the change, read before and after":
        v.register_hook(lambda g: g * 10)
        before = (v * 5).sum()
        b.tanh_()
        v.grad_fn
        v.register_hook(lambda g: g + 1)
        (before + (v * 3).sum()).backward(inputs=[leaf, v])
        return v.grad, leaf.grad
    if case == "view of a view, base changed under no_grad":  # (a fuzzed program: fastgrad gave v [11, 1])
        w = v[0:1]
        with m.no_grad():
            b.add_(1)
        return m.autograd.grad((w * 10).sum() + v.sum(), [v, leaf])
    if case == "sibling view changed under no_grad, retain_grad":
        w = b[1:]
        v.retain_grad()
        before = (v * 5).sum()
        with m.no_grad():
            w.mul_(2)
        (before + (v * 3).sum()).backward()
        return v.grad, leaf.grad
    if case == "view of a view of a leaf, leaf changed under no_grad (an optimizer step)":
        v = leaf[0:2]
        w = v[0:1]
        with m.no_grad():
            leaf.add_(1)
        return m.autograd.grad((w * 10).sum() + v.sum(), [v, leaf])
    if case == "base detached in place, then written":  # (a fuzzed program: fastgrad gave v the gradient 13)
        v = leaf.squeeze()
        leaf.detach_()
        w = v.unsqueeze(0)
        leaf.copy_(leaf * 2)
        v.retain_grad()
        loss = (v * 3).sum() + (w * 10).sum()
        grads = m.autograd.grad(loss, [v, w], retain_graph=True)
        loss.backward()
        return grads + (v.grad,)
    if case == "changed through a detached alias":
        w = v[1:]
        b.detach().add_(1)
        return m.autograd.grad((w * 10).sum() + (v * 2).sum(), [v, leaf])
    raise AssertionError(case)


@pytest.mark.parametrize("case", [
    "retain_grad", "retain_grad before the change, read before and after", "autograd.grad", "backward(inputs=)",
    "the view is the root", "view of a view, changed twice", "written by index", "second order",
    "hook registered after the change", "hooks registered before and after the change, read before and after",
    "view of a view, base changed under no_grad", "sibling view changed under no_grad, retain_grad",
    "view of a view of a leaf, leaf changed under no_grad (an optimizer step)", "changed through a detached alias",
    "base detached in place, then written"])
def test_the_gradient_of_a_view_whose_base_changed_is_torchs(case):
    ours, theirs = grads_of(fastgrad, case), grads_of(torch, case)
    assert [None if g is None else g.tolist() for g in ours] == [None if g is None else g.tolist() for g in theirs]

"""A view taken while its base had no history follows the base once a recorded in-place write gives it one, as
PyTorch regenerates such views (before, the view stayed a constant and its uses passed no gradient: a silent
wrong gradient). Each program runs on both libraries; the gradients, or the refusals, must agree."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def program(m, case):
    w = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
    w0 = m.tensor([0.5, 0.25], dtype=m.float64, requires_grad=True)
    if case == "read after the write":
        buf = m.zeros(3, dtype=m.float64)
        v = buf[:2]
        buf.copy_(w * 2)
        loss = (v * 3).sum() + w.sum()
    elif case == "read before and after (add saves nothing)":
        buf = m.zeros(3, dtype=m.float64)
        v = buf[:2]
        z = v + w0
        buf.copy_(w * 2)
        loss = z.sum() + (v * 3).sum()
    elif case == "read before and after (mul saved it)":
        buf = m.zeros(3, dtype=m.float64)
        v = buf[:2]
        z = v * w0
        buf.copy_(w * 2)
        loss = z.sum() + (v * 3).sum()
    elif case == "written twice":
        buf = m.zeros(3, dtype=m.float64)
        v = buf[1:]
        buf.copy_(w * 2)
        a = v * 3
        buf.mul_(w)
        loss = a.sum() + (v * 5).sum()
    elif case == "row of a transpose, written by index":
        buf = m.zeros(2, 3, dtype=m.float64)
        v = buf.t()[1]
        buf[0] = w
        loss = (v * v).sum()
    elif case == "view of a view":
        buf = m.zeros(4, dtype=m.float64)
        v = buf[1:][::2]
        buf.copy_(m.cat([w, w[:1]]) * 2)
        loss = (v ** 2).sum()
    elif case == "no_grad view, base unchanged":
        h = w * 2
        with m.no_grad():
            v = h[:2]
        loss = (v * w[:2]).sum()
    elif case == "no_grad view, base changed":
        h = w * 2
        with m.no_grad():
            v = h[:2]
        h.mul_(3)
        loss = (v * 3).sum()
    elif case == "in-place write through the view":
        buf = m.zeros(3, dtype=m.float64)
        v = buf[:2]
        buf.copy_(w * 2)
        v.mul_(2)
        loss = buf.sum()
    elif case == "second order":
        buf = m.zeros(3, dtype=m.float64)
        v = buf[:2]
        buf.copy_(w * w)
        g, = m.autograd.grad((v * v).sum(), w, create_graph=True)
        loss = g.sum()
    loss.backward()
    return [t.grad.tolist() if t.grad is not None else None for t in (w, w0)]


@pytest.mark.parametrize("case", [
    "read after the write", "read before and after (add saves nothing)", "read before and after (mul saved it)",
    "written twice", "row of a transpose, written by index", "view of a view", "no_grad view, base unchanged",
    "no_grad view, base changed", "in-place write through the view", "second order"])
def test_a_view_follows_its_base_like_torch(case):
    outcomes = []
    for m in (fastgrad, torch):
        try:
            outcomes.append(program(m, case))
        except RuntimeError:  # (the messages differ; both refuse)
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
def test_the_followed_view_passes_gradcheck_and_gradgradcheck(backend):
    """ViewOfNewHistory's array and recorded backwards against central differences (float64), through a strided
    view of a view taken before the write."""
    def fn(w):
        buf = fastgrad.zeros(2, 4, dtype=fastgrad.float64)
        v = buf.t()[1:][::2]
        buf.copy_(w * w)
        return (v * v).sum() * w[0, 0]

    w = fastgrad.tensor([[0.5, -1.0, 2.0, 0.3], [1.5, 0.7, -0.4, 1.1]], dtype=fastgrad.float64, requires_grad=True)
    with fastgrad.backend(backend):
        assert fastgrad.autograd.gradcheck(fn, (w,))
        assert fastgrad.autograd.gradgradcheck(fn, (w,))


@pytest.mark.parametrize("order", [1, 2])
def test_a_view_of_a_0d_base_follows_it_like_torch(order):
    """A view of a 0-d base changed in place (ViewOfNewHistory indexed the base by its dims, of which a 0-d base has
    none: it raised ValueError), to first and second order."""
    grads = []
    for m in (fastgrad, torch):
        x = m.tensor(2.0, dtype=m.float64, requires_grad=True)
        h = x * 1
        v = h.view(1, 1)
        h.mul_(x)
        g, = m.autograd.grad((v * v * v).sum(), x, create_graph=True)
        grads.append((g if order == 1 else m.autograd.grad(g, x)[0]).item())
    assert grads[0] == pytest.approx(grads[1], rel=1e-12)

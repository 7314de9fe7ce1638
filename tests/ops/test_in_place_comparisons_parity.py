"""x.lt_(other) and the other in-place comparisons are differentiable in PyTorch, unlike x.lt(other): when other
requires grad, x (a tensor inside the graph, or a fresh one) requires grad afterwards, and x's old history and
other get zero gradients (fastgrad gave other None and left a fresh x out of the graph). Each program runs on both
libraries; the values, requires_grad and gradients must agree."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")

COMPARISONS = ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "not_equal_", "less_", "less_equal_", "greater_",
               "greater_equal_"]


def program(m, name, x_is):
    other = m.tensor([[1.0], [2.5]], dtype=m.float64, requires_grad=True)  # (broadcast to x's shape)
    a = m.tensor([2.0, 2.5, 1.0], dtype=m.float64, requires_grad=True)
    x = (a * 1).expand(2, 3).clone() if x_is == "inside the graph" else m.tensor([[1.0, 5.0, 2.5]] * 2, dtype=m.float64)
    assert getattr(x, name)(other) is x
    grads = m.autograd.grad((x * a).sum(), [a, other], allow_unused=True)
    return x.tolist(), x.requires_grad, [None if g is None else g.tolist() for g in grads]


@pytest.mark.parametrize("x_is", ["inside the graph", "fresh"])
@pytest.mark.parametrize("name", COMPARISONS)
def test_an_in_place_comparison_gives_zero_gradients_as_torchs(name, x_is):
    assert program(fastgrad, name, x_is) == program(torch, name, x_is)

"""An in-place op whose operand is the tensor it writes (x.add_(x), x.copy_(x), x[:] = x) reads that tensor as it
was before the write: the gradient reaches x's earlier history through both of the op's inputs."""
import numpy as np
import pytest

import fastgrad


def _set_all(x):
    x[:] = x


def _add_to_itself(x):
    x += x


@pytest.mark.parametrize("change, factor", [
    (lambda x: x.add_(x), 2.0), (_add_to_itself, 2.0), (lambda x: x.add_(x, alpha=3), 4.0),
    (lambda x: x.sub_(x), 0.0), (lambda x: x.copy_(x), 1.0), (_set_all, 1.0),
])
def test_the_old_history_gets_the_gradient_of_both_operands(change, factor):
    a = fastgrad.tensor([1.0, -2.0, 3.0], dtype=fastgrad.float64, requires_grad=True)
    x = a * 1.5
    change(x)
    weights = fastgrad.tensor([1.0, 2.0, 3.0], dtype=fastgrad.float64)
    (x * weights).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), factor * 1.5 * weights.numpy())


@pytest.mark.parametrize("change", [lambda x: x.mul_(x), lambda x: x.div_(x), lambda x: x.atan2_(x)])
def test_an_op_that_saves_the_written_operand_refuses_backward(change):
    """As PyTorch's, which saves x itself and finds it changed by the write."""
    a = fastgrad.tensor([1.0, -2.0, 3.0], dtype=fastgrad.float64, requires_grad=True)
    x = a * 1.5
    change(x)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        x.sum().backward()


def test_the_second_derivative_goes_through_both_operands():
    a = fastgrad.tensor([1.0, -2.0], dtype=fastgrad.float64, requires_grad=True)
    x = a * a
    x.add_(x)
    (g,) = fastgrad.autograd.grad(x.sum(), a, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 4 * a.detach().numpy())
    (h,) = fastgrad.autograd.grad(g.sum(), a)
    np.testing.assert_allclose(h.numpy(), [4.0, 4.0])

import numpy as np
import pytest

import fastgrad
from fastgrad.autograd import Function


class MultiplyGate(Function):
    """The lecture's gate: forward z = x * y, backward dx = g y, dy = g x."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y, grad * x


def test_custom_function_forward_backward():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    y = fastgrad.tensor([3.0, 5.0], requires_grad=True)
    z = MultiplyGate.apply(x, y)
    np.testing.assert_allclose(z.numpy(), [3.0, 10.0])
    (z * z).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * z.numpy() * y.numpy())
    np.testing.assert_allclose(y.grad.numpy(), 2 * z.numpy() * x.numpy())


def test_custom_function_passes_gradcheck_and_profiles_under_its_name():
    x = fastgrad.randn(3, dtype=fastgrad.float64, requires_grad=True)
    y = fastgrad.randn(3, dtype=fastgrad.float64, requires_grad=True)
    assert fastgrad.gradcheck(MultiplyGate.apply, (x, y))
    with fastgrad.profile() as prof:
        MultiplyGate.apply(x, y).sum().backward()
    assert prof.to_dict()[f"MultiplyGate[{fastgrad.get_backend()}]"]["backward_calls"] == 1


def test_custom_function_without_grad_inputs_records_nothing():
    out = MultiplyGate.apply(fastgrad.tensor([1.0]), fastgrad.tensor([2.0]))
    assert not out.requires_grad


def test_gradcheck_fails_on_a_nan_gradient():
    class NanBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * float("nan")

    x = fastgrad.randn(3, dtype=fastgrad.float64, requires_grad=True)
    with pytest.raises(fastgrad.autograd.GradcheckError):
        fastgrad.gradcheck(NanBackward.apply, (x,))


def test_function_results_follow_pytorch_rules_for_views_integers_and_extra_gradients():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    class Rounded(Function):
        @staticmethod
        def forward(ctx, x):
            return (x * 2).long()

        @staticmethod
        def backward(ctx, grad):
            return grad * 5

    class Scaled(Function):
        @staticmethod
        def forward(ctx, x, factor):
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            return grad * 3, grad  # a gradient for the float argument: PyTorch refuses it

    leaf = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place changes of a view"):
        Identity.apply(leaf).mul_(2)  # would change the leaf itself
    assert leaf.tolist() == [1.0, 2.0]
    assert not Rounded.apply(leaf).requires_grad  # an integer result carries no gradient
    with pytest.raises(RuntimeError, match="returned a gradient for argument 1, which is not a Tensor"):
        Scaled.apply(leaf, 3.0).sum().backward()

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

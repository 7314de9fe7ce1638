"""nn.RNN(nonlinearity="relu") gives PyTorch's relu on every backend: a NaN passes through the steps (it used to
become 0), and the gradient passes at a NaN output and stops at a zero one."""
import math

import numpy as np
import pytest

import fastgrad


def run(backend):
    with fastgrad.backend(backend):
        rnn = fastgrad.nn.RNN(1, 1, nonlinearity="relu", bias=False)
        with fastgrad.no_grad():
            rnn.weight_ih_l0.fill_(1.0)
            rnn.weight_hh_l0.fill_(0.5)
        x = fastgrad.tensor([[[-0.0]], [[math.nan]], [[-1.0]]], requires_grad=True)
        out, _ = rnn(x)
        out.sum().backward()
    return out.detach().numpy().ravel(), x.grad.numpy().ravel()


@pytest.mark.parametrize("backend", ["python", "numpy", "compiled"])
def test_relu_rnn_passes_nan_and_its_gradient(backend):
    out, grad = run(backend)
    assert out[0] == 0.0 and math.isnan(out[1]) and math.isnan(out[2])
    # d out_3 / d x_3 = 1 at a NaN output; x_2 gets 1 + 0.5 from steps 2 and 3; step 1's zero output stops it
    np.testing.assert_array_equal(grad, [0.0, 1.5, 1.0])

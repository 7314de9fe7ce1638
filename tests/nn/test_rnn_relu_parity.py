"""nn.RNN(nonlinearity="relu") at NaN and -0.0 on every backend, against torch: relu as PyTorch's (NaN and -0.0
pass through, the gradient passes at a NaN output)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def run(lib, x):
    rnn = lib.nn.RNN(2, 3, nonlinearity="relu", batch_first=True)
    with lib.no_grad():
        for name, p in rnn.named_parameters():
            p.copy_(lib.tensor(np.linspace(-0.5, 0.75, p.numel()).reshape(tuple(p.shape)), dtype=p.dtype))
    x = lib.tensor(x, requires_grad=True)
    out, h = rnn(x)
    (out.sum() + h.sum()).backward()
    return out.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("backend", ["python", "numpy", "compiled"])
@pytest.mark.parametrize("x", [[[[np.nan, 1.0], [-1.0, -1.0], [2.0, 0.5]]], [[[0.0, 0.0], [1.0, -2.0]]]],
                         ids=["nan", "zeros"])
def test_relu_rnn_passes_nan_and_keeps_zero_signs_as_torch(backend, x):
    expected, expected_grad = run(torch, x)
    with fastgrad.backend(backend):
        got, got_grad = run(fastgrad, x)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert np.signbit(got).tolist() == np.signbit(expected).tolist()
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-5, atol=1e-6)

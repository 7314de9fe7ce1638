"""float32 ** a Python int exponent that float32 cannot hold (2**24 + 1, 2**31 + 1), or whose exponent - 1 it cannot
hold (2**24, 2**31): PyTorch keeps the exponent in double precision, so an odd one stays odd: (-1) ** (2**24 + 1) is
-1 and the derivative of x ** 2**31 is negative for x < 0. fastgrad rounded the exponent into float32 (even)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

EXPONENTS = [2 ** 24, 2 ** 24 + 1, 2 ** 31, 2 ** 31 + 1, -(2 ** 24 + 1), 3]


@pytest.mark.parametrize("exponent", EXPONENTS)
def test_values_and_gradients_keep_the_exponent_parity(exponent):
    results = []
    for lib in (torch, fastgrad):
        x = lib.tensor([-3.0, -1.0, 0.5, -1.0000001], requires_grad=True)
        y = x ** exponent
        y.sum().backward()
        written = lib.tensor([-1.0, 2.0, -1.0000001])
        written.pow_(exponent)
        assert str(y.dtype).endswith("float32")
        results.append((y.detach().numpy(), x.grad.numpy(), written.numpy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=2e-7)

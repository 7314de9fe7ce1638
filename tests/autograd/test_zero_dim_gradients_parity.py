"""The gradient of a 0-d tensor is a 0-d tensor of its dtype, as PyTorch's, wherever it shows: a leaf's .grad (once
or accumulated), a retained grad, what a hook gets, autograd.grad's result. (NumPy's 0-d arithmetic gives NumPy
scalars, which a tensor must not hold: x.grad * 2 of a float64 x came out float32.)"""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def zero_dim_grads(lib):
    x = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
    low = lib.tensor([1.0, 2.0], dtype=lib.float32)  # (a 0-d float64 beside a float32 vector: the sum is float32)
    seen = []
    x.register_hook(lambda g: seen.append(g * 2) or g * 2)
    y = x * x
    y.retain_grad()
    (y * 2.0 + y + low.add(x, alpha=2).sum()).backward()
    results = [x.grad, x.grad * 2, y.grad, y.grad * 2, seen[0]]
    (x.sin() * x).backward()
    results += [x.grad, x.grad * 2]
    (g,) = lib.autograd.grad(low.add(x, alpha=2).sum() + x * x, x, create_graph=True)
    (h,) = lib.autograd.grad(g * x, x)
    return results + [g * 2, h * 2]


def test_zero_dim_gradients_keep_their_dtype_as_torch_s():
    for ours, theirs in zip(zero_dim_grads(fastgrad), zero_dim_grads(torch), strict=True):
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert tuple(ours.shape) == tuple(theirs.shape) == ()
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-14)

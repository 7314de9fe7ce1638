"""autograd.grad and backward(inputs=) with respect to a tensor changed in place after an op read it (v[mask] += c
reads v, then writes it): the gradient is that of v's current version, as PyTorch 2.13's, and the op that read the
older version does not lead to it (the walk ran it and freed what it needed, then raised)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def changed(lib, how):
    x = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
    v = x * x - x
    if how == "masked add":
        v[v > 0] += 1.48
    else:
        w = v.exp()
        v.mul_(2)
        v = v + w
    weights = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
    (alone,) = lib.autograd.grad((v * weights).sum(), [v])
    both = lib.autograd.grad((v * weights).sum(), [v, x], retain_graph=True)
    v.retain_grad()
    (v * weights).sum().backward(inputs=[v])
    return [alone.numpy()] + [g.numpy() for g in both] + [v.grad.numpy()]


@pytest.mark.parametrize("how", ["masked add", "mul_ after a use"])
def test_gradient_of_a_tensor_changed_after_use_matches_torch(how):
    for ours, theirs in zip(changed(fastgrad, how), changed(torch, how), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)

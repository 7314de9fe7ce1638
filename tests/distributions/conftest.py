"""Fixtures shared by the parity tests of fastgrad.distributions (torch is imported only by those)."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions


@pytest.fixture
def both():
    """both(make, *arrays): `make(module, *leaves)` with fastgrad.distributions and float64 fastgrad leaves,
    and with torch.distributions and torch leaves, as ((ours, our_leaves), (theirs, their_leaves))."""
    torch = pytest.importorskip("torch")
    import torch.distributions

    def build(make, *arrays):
        mine = [fastgrad.tensor(a, requires_grad=True) for a in arrays]
        torchs = [torch.tensor(a, requires_grad=True) for a in arrays]
        return (make(fastgrad.distributions, *mine), mine), (make(torch.distributions, *torchs), torchs)

    return build


@pytest.fixture
def same_with_gradients():
    """same_with_gradients(ours, theirs, our_leaves, their_leaves, rtol=1e-10, grad_rtol=1e-9): equal values,
    and equal gradients of a random weighting of them for every leaf (none where PyTorch records no graph).
    Gradients through digamma need a looser grad_rtol: PyTorch's trigamma is off by up to about 1e-9
    (fastgrad's is within a few ulps of mpmath's)."""
    torch = pytest.importorskip("torch")

    def check(ours_value, theirs_value, our_leaves, their_leaves, rtol=1e-10, grad_rtol=1e-9):
        np.testing.assert_allclose(ours_value.detach().numpy(), theirs_value.detach().numpy(), rtol=rtol, atol=1e-12)
        assert ours_value.requires_grad == theirs_value.requires_grad
        if not theirs_value.requires_grad:
            return
        weights = np.random.default_rng(9).normal(size=ours_value.shape)
        (ours_value * fastgrad.tensor(weights)).sum().backward()
        (theirs_value * torch.tensor(weights)).sum().backward()
        for mine, reference in zip(our_leaves, their_leaves):
            if reference.grad is None:
                assert mine.grad is None or not mine.grad.numpy().any()
            else:
                np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=grad_rtol, atol=1e-12)

    return check

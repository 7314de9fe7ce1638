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


@pytest.fixture
def same_when_expanded():
    """same_when_expanded(ours, theirs, value): both expanded to (5,) + batch_shape agree on the batch
    shape, the log_prob of `value` and the entropy, and ours draws samples of the expanded shape."""
    torch = pytest.importorskip("torch")

    def check(ours, theirs, value):
        wider = (5,) + tuple(theirs.batch_shape)
        expanded, their_expanded = ours.expand(wider), theirs.expand(wider)
        assert expanded.batch_shape == tuple(their_expanded.batch_shape) == wider
        np.testing.assert_allclose(expanded.log_prob(fastgrad.tensor(value)).detach().numpy(),
                                   their_expanded.log_prob(torch.tensor(value)).detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(expanded.entropy().detach().numpy(), their_expanded.entropy().detach().numpy(),
                                   rtol=1e-12)
        assert expanded.sample((2,)).shape == (2,) + wider + tuple(theirs.event_shape)

    return check

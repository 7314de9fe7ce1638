"""Fixtures shared by the op tests."""
import numpy as np
import pytest

import fastgrad


def compare_with_torch(torch, fastgrad_fn, torch_fn, *arrays, grad: bool = True) -> None:
    """fastgrad_fn and torch_fn on the same arrays (as tensors) give the same values, shapes and dtypes, and
    (with grad) the same gradients of a random weighting of the float outputs for every floating input."""
    differentiable = [grad and a.dtype.kind == "f" for a in arrays]
    ours = [fastgrad.tensor(a, requires_grad=d) for a, d in zip(arrays, differentiable)]
    theirs = [torch.tensor(a, requires_grad=d) for a, d in zip(arrays, differentiable)]
    got, expected = fastgrad_fn(*ours), torch_fn(*theirs)
    got, expected = (tuple(x) if isinstance(x, (tuple, list)) else (x,) for x in (got, expected))
    assert len(got) == len(expected)
    float32 = any(a.dtype == np.float32 for a in arrays) or any(g.dtype == np.float32 for g in got)
    tol = dict(rtol=2e-5, atol=2e-6) if float32 else dict(rtol=1e-10, atol=1e-12)
    for g, e in zip(got, expected):
        assert g.shape == tuple(e.shape) and str(g.dtype) == str(e.dtype).replace("torch.", ""), (g, e)
        np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), equal_nan=True, **tol)
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(e.shape).astype(g.dtype) if e.requires_grad else None
               for g, e in zip(got, expected)]
    if all(w is None for w in weights):
        for g in got:  # PyTorch records no graph: neither does fastgrad
            assert not g.requires_grad
        return
    sum(((g * fastgrad.tensor(w)).sum() for g, w in zip(got, weights) if w is not None)).backward()
    sum(((e * torch.tensor(w)).sum() for e, w in zip(expected, weights) if w is not None)).backward()
    for mine, reference in zip(ours, theirs):
        if reference.grad is None:
            assert mine.grad is None or not mine.grad.numpy().any()
        else:
            np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), equal_nan=True, **tol)


@pytest.fixture
def matches_torch():
    """matches_torch(fastgrad_fn, torch_fn, *arrays, grad=True): see compare_with_torch."""
    torch = pytest.importorskip("torch")
    return lambda fastgrad_fn, torch_fn, *arrays, grad=True: compare_with_torch(torch, fastgrad_fn, torch_fn, *arrays,
                                                                               grad=grad)


@pytest.fixture
def same_as_torch():
    """same_as_torch(call, *arrays, grad=True): call(lib, *tensors) with lib = fastgrad and torch, compared
    as compare_with_torch does."""
    torch = pytest.importorskip("torch")
    return lambda call, *arrays, grad=True: compare_with_torch(
        torch, lambda *t: call(fastgrad, *t), lambda *t: call(torch, *t), *arrays, grad=grad)

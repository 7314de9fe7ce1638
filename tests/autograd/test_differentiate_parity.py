"""autograd.grad(is_grads_batched=True) against PyTorch: batched vector-Jacobian products (a Jacobian, weighted
rows, several outputs and inputs, unused and materialized inputs) and a batched Hessian with create_graph,
differentiated again, in float64."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def batched(lib):
    x = lib.tensor([0.5, -1.0, 1.5], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([[1.0, 2.0], [0.5, -1.0], [3.0, 0.25]], dtype=lib.float64, requires_grad=True)
    unused = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y, scalar = (x.sin() * x) @ w, (x.exp() * x).sum()
    rows = lib.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, -3.0]], dtype=lib.float64)
    scalars = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64)
    first = lib.autograd.grad([y, scalar], [x, w, unused], [rows, scalars], is_grads_batched=True,
                              retain_graph=True, allow_unused=True)
    materialized = lib.autograd.grad(y, [x, unused], rows, is_grads_batched=True, retain_graph=True,
                                     materialize_grads=True)
    (g,) = lib.autograd.grad(scalar, x, create_graph=True)
    (hessian,) = lib.autograd.grad(g, x, lib.eye(3, dtype=lib.float64), is_grads_batched=True, create_graph=True)
    (third,) = lib.autograd.grad((hessian * hessian).sum(), x)
    results = [r for r in first if r is not None] + list(materialized) + [hessian, third]
    return [r.detach().numpy() for r in results], [r is None for r in first]


def test_batched_gradients_match_torch():
    (ours, our_unused), (theirs, their_unused) = batched(fastgrad), batched(torch)
    assert our_unused == their_unused
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)

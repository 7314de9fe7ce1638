"""Embedding and EmbeddingBag with max_norm against PyTorch: the rows renormalised in place before the
lookup (values, the weight afterwards, gradients), PyTorch's argument order, and the version bump that
makes a graph which saved the old weight refuse to backward."""
import numpy as np
import pytest

import fastgrad
from fastgrad import nn

torch = pytest.importorskip("torch")


def pair(module_name, *args, weight, **kwargs):
    ours = getattr(nn, module_name)(*args, _weight=fastgrad.tensor(weight.copy()), **kwargs)
    theirs = getattr(torch.nn, module_name)(*args, _weight=torch.tensor(weight.copy()), **kwargs)
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1.0), (2.0, 3.0), (0.0, 2.0), (100.0, 2.0),
                                                (-1.0, 2.0), (-0.5, 1.0)])
def test_embedding_max_norm_matches(dtype, max_norm, norm_type):
    weight = np.random.default_rng(0).normal(0, 1, (7, 4)).astype(dtype)
    ids = np.array([[1, 3, 3], [0, 6, 1]])
    ours, theirs = pair("Embedding", 7, 4, None, max_norm, norm_type, weight=weight)
    out_ours, out_theirs = ours(fastgrad.tensor(ids)), theirs(torch.tensor(ids))
    tolerance = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=tolerance,
                               atol=tolerance)  # the looked-up rows changed, the others did not
    (out_ours * fastgrad.tensor(np.arange(24.0).reshape(2, 3, 4).astype(dtype))).sum().backward()
    (out_theirs * torch.tensor(np.arange(24.0).reshape(2, 3, 4).astype(dtype))).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("max_norm", [1.0, -1.0])
@pytest.mark.parametrize("mode", ["mean", "sum"])
def test_embedding_bag_max_norm_matches(mode, max_norm):
    weight = np.random.default_rng(1).normal(0, 1, (9, 3)).astype(np.float32)
    ids, offsets = np.array([2, 4, 4, 8, 0]), np.array([0, 2])
    ours, theirs = pair("EmbeddingBag", 9, 3, max_norm, weight=weight, mode=mode)
    out_ours = ours(fastgrad.tensor(ids), fastgrad.tensor(offsets))
    out_theirs = theirs(torch.tensor(ids), torch.tensor(offsets))
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_from_pretrained_takes_pytorchs_positional_order():
    weight = np.random.default_rng(2).normal(0, 2, (5, 3)).astype(np.float32)
    ours = nn.Embedding.from_pretrained(fastgrad.tensor(weight), True, None, 1.0)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(weight), True, None, 1.0)
    assert ours.max_norm == theirs.max_norm == 1.0 and ours.sparse is theirs.sparse is False
    np.testing.assert_allclose(ours(fastgrad.tensor([0, 4])).numpy(), theirs(torch.tensor([0, 4])).numpy(), rtol=1e-6)
    assert repr(nn.Embedding(5, 3, max_norm=1.0)) == repr(torch.nn.Embedding(5, 3, max_norm=1.0))


@pytest.mark.parametrize("lib", ["fastgrad", "torch"])
def test_renormalising_a_weight_another_graph_saved_makes_that_backward_raise(lib):
    engine = fastgrad if lib == "fastgrad" else torch
    module = (nn if lib == "fastgrad" else torch.nn).Embedding(4, 3, max_norm=0.1)
    x = engine.ones(2, 3, requires_grad=True)  # so that the product saves the weight for x.grad
    saved = (x @ module.weight.T).sum()
    module(engine.tensor([1]))
    with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
        saved.backward()

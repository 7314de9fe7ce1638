"""Embedding and EmbeddingBag arguments without PyTorch: max_norm renormalises only the looked-up rows,
options that are not implemented (or that PyTorch refuses) raise instead of being ignored, bad values are
named."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn


def test_max_norm_scales_only_the_rows_looked_up_that_are_too_long():
    weight = fastgrad.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    out = F.embedding(fastgrad.tensor([0, 1]), weight, max_norm=1.0)
    np.testing.assert_allclose(weight.numpy(), [[0.6, 0.8], [0.3, 0.4], [6.0, 8.0]], rtol=1e-6)  # row 2 not looked up
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    bag = nn.EmbeddingBag(3, 2, max_norm=5.0, mode="sum", _weight=fastgrad.tensor([[3.0, 4.0], [0.0, 1.0], [6.0, 8.0]]))
    np.testing.assert_allclose(bag(fastgrad.tensor([[2, 1]])).detach().numpy(), [[3.0, 5.0]], rtol=1e-6)


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.embedding(fastgrad.tensor([1]), fastgrad.ones(4, 2), max_norm="1"), TypeError,
     "embedding: max_norm must be a number, got str"),
    (lambda: nn.EmbeddingBag(4, 2, mode="mean")(fastgrad.tensor([[1]]), None, fastgrad.ones(1, 1)),
     NotImplementedError, r"per_sample_weights is only supported with mode='sum', got mode='mean'"),
    (lambda: nn.EmbeddingBag(4, 2, mode="max")(fastgrad.tensor([1]), fastgrad.tensor([0]), fastgrad.ones(1)),
     NotImplementedError, r"only supported with mode='sum', got mode='max'"),
    (lambda: nn.EmbeddingBag(4, 2, mode="sum")(fastgrad.tensor([[1, 2]]), None, fastgrad.ones(2)), ValueError,
     r"per_sample_weights must have the input's shape \(1, 2\), got shape \(2,\)"),
    (lambda: nn.EmbeddingBag(4, 2, mode="sum")(fastgrad.tensor([[1, 2]]), None,
                                               fastgrad.ones(1, 2, dtype=fastgrad.float64)), TypeError,
     "per_sample_weights must have the weight's dtype float32, got dtype float64"),
    (lambda: nn.EmbeddingBag(4, 2, include_last_offset=True)(fastgrad.tensor([1, 2, 3]), fastgrad.tensor([0, 2])),
     ValueError, r"include_last_offset=True, offsets needs at least one entry and its last must be the number of "
                 r"ids \(3\), got \[0, 2\]"),
    (lambda: nn.EmbeddingBag(4, 2, include_last_offset=True)(fastgrad.tensor([1]), fastgrad.tensor([], dtype=fastgrad.int64)),
     ValueError, "offsets needs at least one entry"),
    (lambda: nn.EmbeddingBag(4, 2, include_last_offset=True)(fastgrad.tensor([1, 2]), fastgrad.tensor([1, 2])),
     ValueError, "offsets must be 1-D, start at 0"),
    (lambda: F.embedding_bag(fastgrad.tensor([1, 2]), fastgrad.ones(4, 2), fastgrad.tensor([], dtype=fastgrad.int64)),
     ValueError, "offsets is empty, but input has 2 ids"),
    (lambda: F.embedding_bag(fastgrad.tensor([[1]]), fastgrad.ones(4, 2), mode="min"), ValueError,
     "mode must be 'mean', 'sum' or 'max', got 'min'"),
    (lambda: nn.EmbeddingBag(4, 2, mode="median"), ValueError, "mode must be 'mean', 'sum' or 'max'"),
    (lambda: F.embedding_bag(fastgrad.tensor([[1]]), fastgrad.ones(4, 2), mode="max", sparse=True), ValueError,
     "mode 'max' supports neither scale_grad_by_freq nor sparse gradients"),
    (lambda: F.embedding_bag(fastgrad.tensor([[1]]), fastgrad.ones(4, 2), mode="max", scale_grad_by_freq=True),
     ValueError, "mode 'max' supports neither"),
    (lambda: F.embedding_bag(fastgrad.tensor([[1]]), fastgrad.ones(4, 2), padding_idx=4), RuntimeError,
     r"padding_idx 4 is out of range for 4 embeddings \(expected in \[-4, 3\]\)"),
    (lambda: F.embedding_bag(fastgrad.tensor([[1]]), fastgrad.ones(4, 2), padding_idx=-5), RuntimeError,
     "padding_idx -5 is out of range"),
    (lambda: nn.EmbeddingBag(4, 2, padding_idx=4), AssertionError, "padding_idx 4 is out of range for 4 embeddings"),
    (lambda: nn.Embedding(4, 2, device="cuda"), RuntimeError, "cuda"),
])
def test_unsupported_or_bad_arguments_raise(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_freeze_and_positional_order():
    frozen = nn.Embedding(3, 2, None, None, 2.0, False, True, None, True)  # PyTorch's order: ..., sparse, _weight, _freeze
    assert frozen.sparse is True and not frozen.weight.requires_grad


@pytest.mark.parametrize("function", ["embedding", "embedding_bag"])
def test_frequency_scaling_with_sparse_gradients_raises_in_backward_as_pytorch(function):
    weight = fastgrad.ones(4, 2, requires_grad=True)
    ids = fastgrad.tensor([1, 1])
    out = (F.embedding(ids, weight, scale_grad_by_freq=True, sparse=True) if function == "embedding" else
           F.embedding_bag(ids, weight, fastgrad.tensor([0]), scale_grad_by_freq=True, sparse=True))
    with pytest.raises(RuntimeError, match=f"{function}: scale_grad_by_freq=True is not supported with sparse"):
        out.sum().backward()


def test_embedding_scale_grad_by_freq_divides_each_rows_gradient_by_its_ids_count():
    module = nn.Embedding(4, 2, padding_idx=0, scale_grad_by_freq=True)
    module(fastgrad.tensor([[1, 1, 3], [0, 1, 0]])).sum().backward()
    np.testing.assert_allclose(module.weight.grad.numpy()[:, 0], [0.0, 1.0, 0.0, 1.0])  # 3 / 3 and 1 / 1

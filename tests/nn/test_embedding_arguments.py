"""Embedding and EmbeddingBag arguments without PyTorch: max_norm renormalises only the looked-up rows,
options that are not implemented raise instead of being ignored, bad values are named."""
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
    (lambda: nn.Embedding(4, 2, scale_grad_by_freq=True)(fastgrad.tensor([1])), NotImplementedError,
     "scale_grad_by_freq=True is not implemented"),
    (lambda: F.embedding(fastgrad.tensor([1]), fastgrad.ones(4, 2), max_norm="1"), TypeError,
     "embedding: max_norm must be a number, got str"),
    (lambda: F.embedding(fastgrad.tensor([1]), fastgrad.ones(4, 2), max_norm=-1.0), ValueError,
     "max_norm must be non-negative, got -1.0"),
    (lambda: nn.EmbeddingBag(4, 2, padding_idx=0)(fastgrad.tensor([[1]])), NotImplementedError,
     "embedding_bag: padding_idx is not implemented"),
    (lambda: nn.EmbeddingBag(4, 2, include_last_offset=True)(fastgrad.tensor([1, 2]), fastgrad.tensor([0, 2])),
     NotImplementedError, "include_last_offset is not implemented"),
    (lambda: nn.EmbeddingBag(4, 2)(fastgrad.tensor([[1]]), None, fastgrad.ones(1, 1)), NotImplementedError,
     "per_sample_weights is not implemented"),
    (lambda: nn.EmbeddingBag(4, 2)(fastgrad.tensor([[1, 2]]), None, fastgrad.ones(1, 2)), NotImplementedError,
     "per_sample_weights is not implemented"),
    (lambda: nn.Embedding(4, 2, device="cuda"), RuntimeError, "cuda"),
])
def test_unsupported_or_bad_arguments_raise(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_freeze_and_positional_order():
    frozen = nn.Embedding(3, 2, None, None, 2.0, False, True, None, True)  # PyTorch's order: ..., sparse, _weight, _freeze
    assert frozen.sparse is True and not frozen.weight.requires_grad

"""Losses of a float32 input and a float64 target (and the other way round) against PyTorch 2.13: the result's
dtype, its value and the input gradient's dtype. binary_cross_entropy_with_logits writes its loss in the target's
dtype; multilabel_soft_margin_loss returns the promoted dtype. cosine_embedding_loss of integer or bool inputs
reads its targets as they are; margin_ranking_loss promotes its target with its inputs."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("input_dtype, target_dtype", [(np.float32, np.float64), (np.float64, np.float32)])
@pytest.mark.parametrize("name, options", [
    ("binary_cross_entropy_with_logits", {}), ("binary_cross_entropy_with_logits", {"reduction": "none"}),
    ("binary_cross_entropy_with_logits", {"pos_weight": [1.0, 2.0, 0.5]}),
    ("multilabel_soft_margin_loss", {}), ("multilabel_soft_margin_loss", {"weight": [1.0, 2.0, 0.5]})])
def test_mixed_float_dtypes(name, options, input_dtype, target_dtype):
    x = np.array([[0.5, -1.0, 2.0], [0.1, 0.3, -0.2]], dtype=input_dtype)
    target = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]], dtype=target_dtype)
    results = []
    for library, functional in ((fastgrad, F), (torch, torch.nn.functional)):
        leaf = library.tensor(x, requires_grad=True)
        extra = {key: library.tensor(np.array(value, dtype=np.float32)) for key, value in options.items()
                 if key != "reduction"}
        loss = getattr(functional, name)(leaf, library.tensor(target), reduction=options.get("reduction", "mean"),
                                         **extra)
        loss.sum().backward()
        results.append((loss, leaf.grad))
    (ours, our_grad), (theirs, their_grad) = results
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    assert our_grad.dtype == np.dtype(str(their_grad.dtype).removeprefix("torch."))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(our_grad.numpy(), their_grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("input_dtype", [np.bool_, np.uint8, np.int64, np.float32])
@pytest.mark.parametrize("target_dtype", [np.int64, np.int8, np.float32])
def test_cosine_embedding_loss_of_integer_and_bool_inputs(input_dtype, target_dtype):
    """The targets are read as 1 and -1 whatever the inputs' dtype (a -1 cast to bool or uint8 is not -1)."""
    x1 = np.array([[1, 0], [1, 1], [2, 1]]).astype(input_dtype)
    x2, target = np.array([[0.5, 1.5], [2.0, 0.1], [1.0, 1.0]]), np.array([1, -1, -1]).astype(target_dtype)
    same_pair_loss("cosine_embedding_loss", x1, x2, target)


@pytest.mark.parametrize("input_dtype", [np.uint8, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("target_dtype", [np.int64, np.int8, np.float32])
def test_margin_ranking_loss_of_integer_inputs(input_dtype, target_dtype):
    """The target is promoted with the inputs, as PyTorch's (cast to a uint8 input's dtype, -1 was 255)."""
    x1, x2 = np.array([1, 0, 2]).astype(input_dtype), np.array([0.5, 1.5, 1.0])
    target = np.array([1, -1, -1]).astype(target_dtype)
    same_pair_loss("margin_ranking_loss", x1, x2, target)


def same_pair_loss(name, x1, x2, target):
    """The loss `name` of (x1, x2, target) per pair: the same dtype and values as PyTorch's."""
    ours = getattr(F, name)(fastgrad.tensor(x1), fastgrad.tensor(x2), fastgrad.tensor(target), margin=0.2,
                            reduction="none")
    theirs = getattr(torch.nn.functional, name)(torch.tensor(x1), torch.tensor(x2), torch.tensor(target), margin=0.2,
                                                reduction="none")
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)

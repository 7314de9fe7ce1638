"""nn.TransformerEncoderLayer / TransformerEncoder / Transformer without PyTorch: structure, dropout, and
refusals of bad arguments."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn


def test_encoder_holds_independent_copies_with_pytorch_names():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 3)
    assert len(encoder.layers) == 3
    assert "layers.2.self_attn.in_proj_weight" in encoder.state_dict()
    first, second = encoder.layers[0].linear1.weight, encoder.layers[1].linear1.weight
    assert first is not second
    with fastgrad.no_grad():
        first.add_(1.0)
    assert not np.allclose(first.numpy(), second.numpy())


def test_dropout_changes_outputs_in_training_only():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, batch_first=True)
    x = fastgrad.randn(2, 5, 8)
    layer.eval()
    reference = layer(x).numpy()
    np.testing.assert_array_equal(layer(x).numpy(), reference)
    layer.train()
    assert not np.allclose(layer(x).numpy(), reference)


def test_bad_activation_raises():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(TypeError, match="activation must be 'relu', 'gelu' or a callable, got int"):
        nn.TransformerEncoderLayer(4, 2, activation=3)


def test_bad_inputs_raise():
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    with pytest.raises(TypeError, match="src must be a Tensor, got list"):
        layer([[0.0] * 4])
    with pytest.raises(TypeError, match="encoder_layer must be a Module, got str"):
        nn.TransformerEncoder("layer", 2)
    with pytest.raises(AssertionError, match="only bool and floating types of src_mask are supported"):
        layer(fastgrad.zeros(3, 2, 4), src_mask=fastgrad.zeros(3, 3, dtype=fastgrad.int64))
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerEncoderLayer(5, 2)


def test_transformer_itself_is_refused_but_its_mask_is_there():
    with pytest.raises(NotImplementedError, match="nn.Transformer .* is not implemented"):
        nn.Transformer()
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert mask.dtype == fastgrad.float32
    np.testing.assert_array_equal(mask.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    with pytest.raises(ValueError, match="sz must be a non-negative int, got -1"):
        nn.Transformer.generate_square_subsequent_mask(-1)

"""nn.TransformerEncoderLayer / TransformerEncoder / TransformerDecoderLayer / TransformerDecoder /
Transformer without PyTorch: structure, dropout, initialisation, gradcheck of the decoder layer on every
backend, and refusals of bad arguments."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn as nn

BACKENDS = ["numpy", "compiled", "python"]


def test_encoder_holds_independent_copies_with_pytorch_names():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 3)
    assert len(encoder.layers) == 3
    assert "layers.2.self_attn.in_proj_weight" in encoder.state_dict()
    first, second = encoder.layers[0].linear1.weight, encoder.layers[1].linear1.weight
    assert first is not second
    with fastgrad.no_grad():
        first.add_(1.0)
    assert not np.allclose(first.detach().numpy(), second.detach().numpy())


def test_dropout_changes_outputs_in_training_only():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, batch_first=True)
    x = fastgrad.randn(2, 5, 8)
    layer.eval()
    reference = layer(x).detach().numpy()
    np.testing.assert_array_equal(layer(x).detach().numpy(), reference)
    layer.train()
    assert not np.allclose(layer(x).detach().numpy(), reference)


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


def test_generate_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert mask.dtype == fastgrad.float32
    np.testing.assert_array_equal(mask.detach().numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    with pytest.raises(ValueError, match="sz must be a non-negative int, got -1"):
        nn.Transformer.generate_square_subsequent_mask(-1)


def test_decoder_holds_independent_copies_with_pytorch_names():
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8), 3, norm=nn.LayerNorm(4))
    assert len(decoder.layers) == 3
    names = list(decoder.state_dict())
    assert names[:2] == ["layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias"]
    assert "layers.2.multihead_attn.out_proj.weight" in names and "layers.2.norm3.bias" in names
    assert names[-2:] == ["norm.weight", "norm.bias"]
    first, second = decoder.layers[0].multihead_attn.in_proj_weight, decoder.layers[1].multihead_attn.in_proj_weight
    with fastgrad.no_grad():
        first.add_(1.0)
    assert not np.allclose(first.detach().numpy(), second.detach().numpy())


def test_decoder_layer_dropout_changes_outputs_in_training_only():
    layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.5)
    tgt, memory = fastgrad.randn(3, 2, 8), fastgrad.randn(5, 2, 8)
    layer.eval()
    reference = layer(tgt, memory).detach().numpy()
    np.testing.assert_array_equal(layer(tgt, memory).detach().numpy(), reference)
    layer.train()
    assert not np.allclose(layer(tgt, memory).detach().numpy(), reference)


def test_decoder_layer_masks_reach_their_attention():
    # a memory_mask blocking every key but the first: the output is as if memory were that key alone
    layer = nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, batch_first=True)
    tgt, memory = fastgrad.randn(2, 3, 4), fastgrad.randn(2, 5, 4)
    only_first = np.ones((3, 5), dtype=bool)
    only_first[:, 0] = False
    expected = layer(tgt, memory[:, :1]).detach().numpy()
    np.testing.assert_allclose(layer(tgt, memory, memory_mask=fastgrad.tensor(only_first)).detach().numpy(), expected,
                               rtol=1e-5, atol=1e-6)
    padding = fastgrad.tensor(np.broadcast_to(only_first[0], (2, 5)).copy())
    np.testing.assert_allclose(layer(tgt, memory, memory_key_padding_mask=padding).detach().numpy(), expected,
                               rtol=1e-5, atol=1e-6)
    # a causal tgt_mask: the first target position's output does not depend on the later ones
    causal = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_allclose(layer(tgt, memory, tgt_mask=causal)[:, :1].detach().numpy(),
                               layer(tgt[:, :1], memory).detach().numpy(), rtol=1e-5, atol=1e-6)


def tiny_decoder_layer(norm_first=False):
    fastgrad.manual_seed(0)
    return nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, activation="gelu", norm_first=norm_first,
                                      dtype=fastgrad.float64, batch_first=True)


def weighted_sum(output, seed=0):
    """A scalar with a gradient through LayerNorm (whose outputs sum to a constant)."""
    return (output * fastgrad.tensor(np.random.default_rng(seed).normal(size=output.shape))).sum()


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_decoder_layer_gradcheck_of_every_parameter(backend_name):
    layer = tiny_decoder_layer()
    rng = np.random.default_rng(0)
    tgt, memory = (fastgrad.tensor(rng.normal(size=shape), requires_grad=True) for shape in ((2, 3, 4), (2, 2, 4)))
    tgt_mask = fastgrad.tensor(rng.normal(size=(3, 3)))
    padding = fastgrad.tensor(np.array([[False, True], [False, False]]))

    def decode(tgt, memory, *parameters):
        return weighted_sum(layer(tgt, memory, tgt_mask=tgt_mask, memory_key_padding_mask=padding))

    with fastgrad.backend(backend_name):
        assert fastgrad.gradcheck(decode, [tgt, memory, *layer.parameters()])


@pytest.mark.parametrize("backend_name", BACKENDS)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tgt_length=st.integers(1, 3), memory_length=st.integers(1, 3), batch=st.integers(0, 2),
       norm_first=st.booleans(), causal=st.booleans(), seed=st.integers(0, 2**16))
def test_decoder_layer_gradcheck_of_inputs(backend_name, tgt_length, memory_length, batch, norm_first, causal, seed):
    # batch 0: unbatched input
    layer = tiny_decoder_layer(norm_first)
    rng = np.random.default_rng(seed)
    lead = (batch,) if batch else ()
    tgt, memory = (fastgrad.tensor(rng.normal(size=lead + (length, 4)), requires_grad=True)
                   for length in (tgt_length, memory_length))
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt_length, dtype=fastgrad.float64) if causal else None

    def decode(tgt, memory):
        return weighted_sum(layer(tgt, memory, tgt_mask=tgt_mask, tgt_is_causal=causal), seed)

    with fastgrad.backend(backend_name):
        assert fastgrad.gradcheck(decode, [tgt, memory])


def test_transformer_builds_pytorch_structure_and_initialisation():
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False because "
                                         "encoder_layer.self_attn.batch_first was not True"):
        model = nn.Transformer(32, 2, 2, 1, 64)
    assert (model.d_model, model.nhead, model.batch_first) == (32, 2, False)
    assert len(model.encoder.layers) == 2 and len(model.decoder.layers) == 1
    assert isinstance(model.encoder.norm, nn.LayerNorm) and isinstance(model.decoder.norm, nn.LayerNorm)
    for name, parameter in model.named_parameters():
        values = parameter.detach().numpy()
        if values.ndim > 1:  # Xavier-uniform, PyTorch's _reset_parameters
            bound = np.sqrt(6.0 / sum(values.shape))
            assert 0.9 * bound < np.abs(values).max() <= bound, name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, batch_first=True), 1)
        decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8, batch_first=True), 1)
        custom = nn.Transformer(4, 2, custom_encoder=encoder, custom_decoder=decoder, batch_first=True)
    assert custom.encoder is encoder and custom.decoder is decoder
    assert custom(fastgrad.randn(2, 5, 4), fastgrad.randn(2, 3, 4)).shape == (2, 3, 4)
    assert custom(fastgrad.randn(5, 4), fastgrad.randn(3, 4)).shape == (3, 4)


def quiet_transformer(**options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nn.Transformer(**{**dict(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                        dim_feedforward=8), **options})


def test_transformer_bad_shapes_raise():
    model = quiet_transformer()
    with pytest.raises(RuntimeError, match=r"the batch number of src and tgt must be equal: got src of shape "
                                           r"\(5, 2, 4\) and tgt of shape \(3, 3, 4\) \(batch dim 1"):
        model(fastgrad.zeros(5, 2, 4), fastgrad.zeros(3, 3, 4))
    with pytest.raises(RuntimeError, match=r"the batch number of src and tgt must be equal: got src of shape "
                                           r"\(2, 5, 4\) and tgt of shape \(3, 3, 4\) \(batch dim 0"):
        quiet_transformer(batch_first=True)(fastgrad.zeros(2, 5, 4), fastgrad.zeros(3, 3, 4))
    with pytest.raises(RuntimeError, match=r"the feature number of src and tgt must be equal to d_model: expected 4, "
                                           r"got src of shape \(5, 2, 4\) and tgt of shape \(3, 2, 6\)"):
        model(fastgrad.zeros(5, 2, 4), fastgrad.zeros(3, 2, 6))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(fastgrad.zeros(5, 6), fastgrad.zeros(3, 4))
    with pytest.raises(TypeError, match="Transformer: tgt must be a Tensor, got ndarray"):
        model(fastgrad.zeros(5, 2, 4), np.zeros((3, 2, 4)))


def test_decoder_bad_arguments_raise():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerDecoderLayer(6, 4)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.Transformer(6, 4)
    for make in (lambda: nn.TransformerDecoderLayer(4, 2, activation="tanh"),
                 lambda: nn.Transformer(4, 2, 1, 1, 8, activation="tanh")):
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            make()
    with pytest.raises(TypeError, match="activation must be 'relu', 'gelu' or a callable, got int"):
        nn.TransformerDecoderLayer(4, 2, activation=3)
    with pytest.raises(TypeError, match="TransformerDecoder: decoder_layer must be a Module, got str"):
        nn.TransformerDecoder("layer", 2)
    layer = nn.TransformerDecoderLayer(4, 2, 8)
    decoder = nn.TransformerDecoder(layer, 2)
    tgt, memory = fastgrad.zeros(3, 2, 4), fastgrad.zeros(5, 2, 4)
    with pytest.raises(TypeError, match="TransformerDecoderLayer: memory must be a Tensor, got list"):
        layer(tgt, [[0.0] * 4])
    with pytest.raises(TypeError, match="TransformerDecoder: tgt must be a Tensor, got float"):
        decoder(1.0, memory)
    with pytest.raises(RuntimeError, match="only bool and floating types of tgt_mask are supported, got int64"):
        decoder(tgt, memory, tgt_mask=fastgrad.zeros(3, 3, dtype=fastgrad.int64))
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask are supported"):
        layer(tgt, memory, tgt_mask=fastgrad.zeros(3, 3, dtype=fastgrad.int64))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        decoder(tgt, memory, memory_is_causal=True)
    with pytest.raises(RuntimeError, match=r"memory must have d_model=4 features \(its last dim\), got memory of "
                                           r"shape \(5, 2, 6\)"):
        decoder(tgt, fastgrad.zeros(5, 2, 6))
    with pytest.raises(RuntimeError, match=r"tgt and memory must have the same batch size \(dim 1\), got tgt of "
                                           r"shape \(3, 2, 4\) and memory of shape \(5, 3, 4\)"):
        decoder(tgt, fastgrad.zeros(5, 3, 4))
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D but found 2-D"):
        decoder(tgt, fastgrad.zeros(5, 4))

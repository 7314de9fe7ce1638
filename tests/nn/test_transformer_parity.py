"""nn.TransformerEncoderLayer, nn.TransformerEncoder and Transformer.generate_square_subsequent_mask against
torch.nn with PyTorch's weights loaded: parameter names, reprs, outputs and gradients (post- and pre-norm,
relu/gelu/callable activations, masks), and PyTorch's inference fast paths."""
import warnings

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn

torch = pytest.importorskip("torch")

PADDING = np.array([[False, False, True], [False, True, True]])


def layer_pair(dtype="float64", **options):
    ours = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, dtype=getattr(fastgrad, dtype), **options)
    theirs = torch.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, dtype=getattr(torch, dtype), **options)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def encoder_pair(dtype="float64", final_norm=True, **options):
    layer, their_layer = layer_pair(dtype, **options)
    ours = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4, dtype=getattr(fastgrad, dtype)) if final_norm else None)
    with warnings.catch_warnings():  # PyTorch warns when its nested-tensor path cannot be used
        warnings.simplefilter("ignore")
        theirs = torch.nn.TransformerEncoder(their_layer, 2, norm=torch.nn.LayerNorm(4, dtype=getattr(torch, dtype))
                                             if final_norm else None)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def assert_parity(ours, theirs, x, grads=True, **masks):
    results = []
    for module, lib in ((ours, fastgrad), (theirs, torch)):
        leaf = lib.tensor(x, requires_grad=grads)
        output = module(leaf, **{k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in masks.items()})
        if grads:
            output.sum().backward()
        results.append((output.detach().numpy(), leaf.grad.numpy() if grads else None))
    tolerance = dict(rtol=1e-10, atol=1e-10) if x.dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(results[0][0], results[1][0], **tolerance)
    if grads:
        np.testing.assert_allclose(results[0][1], results[1][1], **tolerance)
        parameters = dict(ours.named_parameters())
        assert list(parameters) == [name for name, _ in theirs.named_parameters()]
        for name, parameter in theirs.named_parameters():
            np.testing.assert_allclose(parameters[name].grad.numpy(), parameter.grad.numpy(), **tolerance,
                                       err_msg=name)


def source(dtype="float64", batch_first=True):
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype(dtype)
    return x if batch_first else x.transpose(1, 0, 2).copy()


OPTIONS = [dict(), dict(norm_first=True), dict(activation="gelu"), dict(activation=lambda x: x.tanh()),
           dict(bias=False, layer_norm_eps=1e-3)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("batch_first", [True, False])
def test_encoder_layer_matches_pytorch(dtype, options, batch_first):
    ours, theirs = layer_pair(dtype, batch_first=batch_first, **options)
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    assert_parity(ours, theirs, source(dtype, batch_first))
    ours.zero_grad(), theirs.zero_grad()
    assert_parity(ours, theirs, source(dtype, batch_first), src_key_padding_mask=PADDING, src_mask=causal)
    ours.zero_grad(), theirs.zero_grad()
    assert_parity(ours, theirs, source(dtype, batch_first), src_mask=causal, is_causal=True)


@pytest.mark.parametrize("options", OPTIONS)
def test_encoder_matches_pytorch(options):
    ours, theirs = encoder_pair(batch_first=True, **options)
    assert repr(ours) == repr(theirs).replace("NonDynamicallyQuantizableLinear", "Linear")
    assert [k for k in ours.state_dict()] == [k for k in theirs.state_dict()]
    assert_parity(ours, theirs, source(), src_key_padding_mask=PADDING)
    ours.zero_grad(), theirs.zero_grad()
    mask = torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64).numpy()
    assert_parity(ours, theirs, source(), mask=mask)  # detected as causal, as PyTorch does


@pytest.mark.parametrize("options", [dict(), dict(norm_first=True), dict(activation=lambda x: x.relu())])
@pytest.mark.parametrize("padding", [PADDING, np.array([[False, False, True], [True, True, True]]),
                                     np.array([[False, True, False], [False, False, False]])])
@pytest.mark.parametrize("final_norm", [True, False])
def test_inference_fast_paths_match_pytorch(options, padding, final_norm):
    # PyTorch's eval/no-grad kernels: padded positions zero (nested tensors, left-aligned padding only),
    # NaN for an all-padding sequence in the layer kernel
    ours, theirs = encoder_pair("float32", final_norm=final_norm, batch_first=True, **options)
    ours.eval(), theirs.eval()
    with torch.no_grad(), fastgrad.no_grad():
        assert_parity(ours, theirs, source("float32"), grads=False, src_key_padding_mask=padding)
        assert_parity(ours.layers[0], theirs.layers[0], source("float32"), grads=False, src_key_padding_mask=padding)


def test_generate_square_subsequent_mask_matches_pytorch():
    for size, dtype in ((1, None), (4, None), (3, "float64")):
        ours = nn.Transformer.generate_square_subsequent_mask(size, dtype=dtype and getattr(fastgrad, dtype))
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(size, dtype=dtype and getattr(torch, dtype))
        assert ours.dtype == getattr(np, str(theirs.dtype).replace("torch.", ""))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_bad_activation_raises_as_pytorch():
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(RuntimeError) as ours:
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    assert str(ours.value) == str(theirs.value)

"""nn.MultiheadAttention without PyTorch: gradcheck on every backend, and its refusals of bad arguments."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn

BACKENDS = ["numpy", "compiled", "python"]


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("options", [dict(), dict(kdim=3, vdim=2, add_bias_kv=True, add_zero_attn=True)])
def test_gradcheck(backend_name, options):
    fastgrad.manual_seed(0)
    attention = nn.MultiheadAttention(4, 2, dtype=fastgrad.float64, batch_first=True, **options)
    rng = np.random.default_rng(0)
    leaves = [fastgrad.tensor(rng.normal(size=shape), requires_grad=True)
              for shape in ((2, 3, 4), (2, 2, options.get("kdim", 4)), (2, 2, options.get("vdim", 4)))]
    padding = fastgrad.tensor(np.array([[0.0, -np.inf], [0.0, 0.0]]))  # a float mask, as attn_mask
    attn_mask = fastgrad.tensor(rng.normal(size=(3, 2)))
    parameters = list(attention.parameters())

    def attend(query, key, value, *weights):
        output, attention_weights = attention(query, key, value, key_padding_mask=padding, attn_mask=attn_mask,
                                              average_attn_weights=False)
        return output.sum() + (attention_weights * attention_weights).sum()

    with fastgrad.backend(backend_name):
        assert fastgrad.gradcheck(attend, leaves + parameters)


def test_embed_dim_not_divisible_by_num_heads_raises():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)


@pytest.mark.parametrize("embed_dim, num_heads", [(0, 1), (4, 0), (-4, 2)])
def test_non_positive_sizes_raise(embed_dim, num_heads):
    with pytest.raises(ValueError, match=f"got embed_dim={embed_dim} and num_heads={num_heads}"):
        nn.MultiheadAttention(embed_dim, num_heads)


def test_bad_dropout_and_device_raise():
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\], got 1.5"):
        nn.MultiheadAttention(4, 2, dropout=1.5)
    with pytest.raises(TypeError, match="MultiheadAttention: device must be"):
        nn.MultiheadAttention(4, 2, device=3.0)


def test_non_tensor_inputs_raise():
    attention = nn.MultiheadAttention(4, 2)
    x = fastgrad.zeros(3, 2, 4)
    with pytest.raises(TypeError, match="key must be a Tensor, got list"):
        attention(x, [[0.0]], x)
    with pytest.raises(TypeError, match="attn_mask must be a Tensor, got ndarray"):
        attention(x, x, x, attn_mask=np.zeros((3, 3), dtype=bool))


def test_float_mask_of_another_dtype_raises():
    attention = nn.MultiheadAttention(4, 2)
    x = fastgrad.zeros(3, 2, 4)
    with pytest.raises(RuntimeError, match="attn_mask must be bool or of the query's dtype float32, got float64"):
        attention(x, x, x, attn_mask=fastgrad.zeros(3, 3, dtype=fastgrad.float64))


def test_integer_mask_raises():
    attention = nn.MultiheadAttention(4, 2)
    x = fastgrad.zeros(3, 2, 4)
    with pytest.raises(AssertionError, match="only bool and floating types of key_padding_mask are supported"):
        attention(x, x, x, key_padding_mask=fastgrad.zeros(2, 3, dtype=fastgrad.int64))


def test_need_weights_false_returns_no_weights():
    attention = nn.MultiheadAttention(4, 2)
    x = fastgrad.randn(3, 2, 4)
    output, weights = attention(x, x, x, need_weights=False)
    assert weights is None and output.shape == (3, 2, 4)
    assert attention(x, x, x)[1].shape == (2, 3, 3)
    assert attention(x, x, x, average_attn_weights=False)[1].shape == (2, 2, 3, 3)

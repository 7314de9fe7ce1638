"""set_default_dtype against torch's: with float32 and with float64 as the default, every way of making a
floating tensor without naming a dtype (creation functions, type promotion of Python numbers and integer
tensors, layers' parameters, distributions' parameters) gives the dtype PyTorch gives."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions
import fastgrad.nn

torch = pytest.importorskip("torch")
import torch.distributions  # noqa: E402
import torch.nn  # noqa: E402

DEFAULTS = ["float32", "float64"]


@pytest.fixture(params=DEFAULTS)
def default(request):
    """Both libraries' default set to the same dtype (the conftest fixture restores both afterwards)."""
    fastgrad.set_default_dtype(getattr(fastgrad, request.param))
    torch.set_default_dtype(getattr(torch, request.param))
    return request.param


def name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def ints(lib):
    return lib.tensor([1, 2, 3])


# Each case makes a tensor with `lib` (fastgrad or torch) without naming the result's dtype.
CREATIONS = {
    "tensor(float)": lambda lib: lib.tensor(1.0),
    "tensor(mixed list)": lambda lib: lib.tensor([1, 2.5]),
    "tensor(int list)": lambda lib: lib.tensor([1, 2]),
    "tensor(float32 array)": lambda lib: lib.tensor(np.ones(2, np.float32)),
    # a list's items promote one another by PyTorch's rules (NumPy's would make the first two float64)
    "tensor([np.float32, float])": lambda lib: lib.tensor([np.float32(1.5), 2.0]),
    "tensor([np.int32, float])": lambda lib: lib.tensor([np.int32(1), 2.5]),
    "tensor([float, np.float64])": lambda lib: lib.tensor([1.5, np.float64(2.0)]),
    "tensor([[np.float32, int], float32 array])": lambda lib: lib.tensor([[np.float32(1), 2], np.ones(2, np.float32)]),
    "as_tensor([np.float32, float])": lambda lib: lib.as_tensor([np.float32(1.5), 2.0]),
    "from_numpy(float32)": lambda lib: lib.from_numpy(np.ones(2, np.float32)),
    "from_numpy(float64)": lambda lib: lib.from_numpy(np.ones(2)),
    "as_tensor(list)": lambda lib: lib.as_tensor([1.5, 2.0]),
    "zeros": lambda lib: lib.zeros(2, 3),
    "ones": lambda lib: lib.ones(2),
    "empty": lambda lib: lib.empty(2),
    "full(float)": lambda lib: lib.full((2,), 1.5),
    "full(int)": lambda lib: lib.full((2,), 1),
    "full(np.float32)": lambda lib: lib.full((2,), np.float32(1.5)),
    "full(np.int32)": lambda lib: lib.full((2,), np.int32(1)),
    "full(bool)": lambda lib: lib.full((2,), True),
    "rand": lambda lib: lib.rand(2),
    "randn": lambda lib: lib.randn(2),
    "arange(floats)": lambda lib: lib.arange(0, 1, 0.25),
    "arange(float end)": lambda lib: lib.arange(3.0),
    "arange(ints)": lambda lib: lib.arange(3),
    "arange(np.float32)": lambda lib: lib.arange(np.float32(2.0)),
    "arange(np.float32 step)": lambda lib: lib.arange(0, 3, np.float32(0.5)),
    "linspace": lambda lib: lib.linspace(0, 1, 5),
    "logspace": lambda lib: lib.logspace(0, 2, 3),
    "eye": lambda lib: lib.eye(3),
    "normal(numbers)": lambda lib: lib.normal(0.0, 1.0, (2,)),
    "zeros_like(float32)": lambda lib: lib.zeros_like(lib.ones(2, dtype=lib.float32)),
    "ones_like(float64)": lambda lib: lib.ones_like(lib.ones(2, dtype=lib.float64)),
    "full_like(float32)": lambda lib: lib.full_like(lib.ones(2, dtype=lib.float32), 2.5),
    "rand_like(float32)": lambda lib: lib.rand_like(lib.ones(2, dtype=lib.float32)),
    "randn_like(float64)": lambda lib: lib.randn_like(lib.ones(2, dtype=lib.float64)),
    "Parameter()": lambda lib: lib.nn.Parameter(),
    "clip_grad_norm_(no grads)": lambda lib: lib.nn.utils.clip_grad_norm_([], 1.0),
}

PROMOTIONS = {
    "int * 2.5": lambda lib: ints(lib) * 2.5,
    "2.5 * int": lambda lib: 2.5 * ints(lib),
    "int + 0.5": lambda lib: ints(lib) + 0.5,
    "int - 1.5": lambda lib: ints(lib) - 1.5,
    "int * 2": lambda lib: ints(lib) * 2,
    "int / int": lambda lib: ints(lib) / ints(lib),
    "int / 2": lambda lib: ints(lib) / 2,
    "2 / int": lambda lib: 2 / ints(lib),
    "int.div(2)": lambda lib: ints(lib).div(2),
    "int // 2.5": lambda lib: ints(lib) // 2.5,
    "int ** 0.5": lambda lib: ints(lib) ** 0.5,
    "2.5 ** int": lambda lib: 2.5 ** ints(lib),
    "int % 1.5": lambda lib: ints(lib) % 1.5,
    "where(bool, int, 2.5)": lambda lib: lib.where(ints(lib) > 1, ints(lib), 2.5),
    "exp(int)": lambda lib: lib.exp(ints(lib)),
    "sqrt(int)": lambda lib: ints(lib).sqrt(),
    "sigmoid(int)": lambda lib: ints(lib).sigmoid(),
    "sin(int)": lambda lib: ints(lib).sin(),
    "log2(int)": lambda lib: ints(lib).log2(),
    "clamp(int, 0.5)": lambda lib: ints(lib).clamp(0.5),
    "atan2(int, int)": lambda lib: ints(lib).atan2(ints(lib)),
    "float32 * 2.5": lambda lib: lib.ones(2, dtype=lib.float32) * 2.5,
    "float32 + float64 0-dim": lambda lib: lib.ones(2, dtype=lib.float32) + lib.tensor(1.0, dtype=lib.float64),
    "int + float 0-dim": lambda lib: ints(lib) + lib.tensor(1.5),
    "float64 / int": lambda lib: lib.ones(3, dtype=lib.float64) / ints(lib),
    # alpha and value scale in the result's dtype (int * 2.5 alone would be the default dtype)
    "float32.add(int, alpha=2.5)": lambda lib: lib.ones(3, dtype=lib.float32).add(ints(lib), alpha=2.5),
    "sub(float32 0-dim, int, alpha=2.5)": lambda lib: lib.sub(lib.tensor(1.0, dtype=lib.float32), ints(lib), alpha=2.5),
    "float32.add(bool, alpha=0.5)": lambda lib: lib.ones(3, dtype=lib.float32).add(ints(lib) > 1, alpha=0.5),
    "addcmul(float32, int, int, value=0.5)": lambda lib: lib.addcmul(lib.ones(3, dtype=lib.float32), ints(lib),
                                                                 ints(lib), value=0.5),
    "addcdiv(float32, int, float32, value=0.5)": lambda lib: lib.ones(3, dtype=lib.float32).addcdiv(
        ints(lib), lib.ones(3, dtype=lib.float32), value=0.5),
    "mean(int, dtype=None) of float": lambda lib: ints(lib).to(lib.get_default_dtype()).mean(),
}


@pytest.mark.parametrize("case", list(CREATIONS) + list(PROMOTIONS))
def test_result_dtype_matches_torch(default, case):
    make = CREATIONS.get(case) or PROMOTIONS[case]
    assert name(make(fastgrad).dtype) == name(make(torch).dtype)


def test_get_default_dtype_matches_torch(default):
    assert name(fastgrad.get_default_dtype()) == name(torch.get_default_dtype()) == default
    assert name(fastgrad.finfo().dtype) == name(torch.finfo().dtype)


def test_repr_names_the_dtype_unless_it_is_the_default(default):
    for dtype in ("float32", "float64"):
        ours = fastgrad.tensor([1.5], dtype=getattr(fastgrad, dtype))
        theirs = torch.tensor([1.5], dtype=getattr(torch, dtype))
        assert ("dtype=" in repr(ours)) == ("dtype=" in repr(theirs)) == (dtype != default)


LAYERS = {
    "Linear": lambda nn: nn.Linear(3, 2),
    "Bilinear": lambda nn: nn.Bilinear(2, 3, 2),
    "Embedding": lambda nn: nn.Embedding(5, 3),
    "EmbeddingBag": lambda nn: nn.EmbeddingBag(5, 3),
    "RNN": lambda nn: nn.RNN(3, 4),
    "LSTM": lambda nn: nn.LSTM(3, 4, num_layers=2, bidirectional=True),
    "GRU": lambda nn: nn.GRU(3, 4),
    "RNNCell": lambda nn: nn.RNNCell(3, 4),
    "LSTMCell": lambda nn: nn.LSTMCell(3, 4),
    "GRUCell": lambda nn: nn.GRUCell(3, 4),
    "LayerNorm": lambda nn: nn.LayerNorm(3),
    "RMSNorm": lambda nn: nn.RMSNorm(3),
    "GroupNorm": lambda nn: nn.GroupNorm(2, 4),
    "BatchNorm1d": lambda nn: nn.BatchNorm1d(3),
    "Conv1d": lambda nn: nn.Conv1d(2, 3, 3),
    "Conv2d": lambda nn: nn.Conv2d(2, 3, 3),
    "PReLU": lambda nn: nn.PReLU(),
    "MultiheadAttention": lambda nn: nn.MultiheadAttention(4, 2),
    "TransformerDecoderLayer": lambda nn: nn.TransformerDecoderLayer(4, 2, dim_feedforward=8),
    "AdaptiveLogSoftmaxWithLoss": lambda nn: nn.AdaptiveLogSoftmaxWithLoss(4, 10, [3, 6]),
}


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_parameter_and_buffer_dtypes_match_torch(default, layer):
    ours, theirs = LAYERS[layer](fastgrad.nn), LAYERS[layer](torch.nn)
    assert ({k: name(v.dtype) for k, v in ours.state_dict().items()}
            == {k: name(v.dtype) for k, v in theirs.state_dict().items()})


def test_transformer_parameters_and_output_follow_the_default(default):
    model = fastgrad.nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                    dim_feedforward=8, dropout=0.0)
    reference = torch.nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                     dim_feedforward=8, dropout=0.0)
    assert ({k: name(v.dtype) for k, v in model.state_dict().items()}
            == {k: name(v.dtype) for k, v in reference.state_dict().items()})
    mask = fastgrad.nn.Transformer.generate_square_subsequent_mask(3)
    out = model(fastgrad.randn(5, 2, 4), fastgrad.randn(3, 2, 4), tgt_mask=mask)
    assert {name(mask.dtype), name(out.dtype)} == {default}


def test_layer_forward_keeps_the_default_dtype(default):
    x = fastgrad.randn(2, 5, 3)
    output, (h, c) = fastgrad.nn.LSTM(3, 4, batch_first=True)(x)
    assert {name(t.dtype) for t in (x, output, h, c)} == {default}


DISTRIBUTIONS = {
    "Normal": lambda d: d.Normal(0.0, 1.0),
    "Laplace": lambda d: d.Laplace(0.0, 2.0),
    "Uniform": lambda d: d.Uniform(0.0, 2.0),
    "Exponential": lambda d: d.Exponential(1.5),
    "Gumbel": lambda d: d.Gumbel(0.0, 1.0),
    "LogNormal": lambda d: d.LogNormal(0.0, 1.0),
    "Bernoulli": lambda d: d.Bernoulli(0.3),
}


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_distribution_with_number_parameters_matches_torch(default, distribution):
    ours = DISTRIBUTIONS[distribution](fastgrad.distributions)
    theirs = DISTRIBUTIONS[distribution](torch.distributions)
    assert name(ours.sample().dtype) == name(theirs.sample().dtype)
    assert name(ours.mean.dtype) == name(theirs.mean.dtype)

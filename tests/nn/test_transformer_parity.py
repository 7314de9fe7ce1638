"""nn.TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder and Transformer
against torch.nn with PyTorch's weights loaded: parameter names, reprs, warnings, outputs and gradients of the
inputs and of every parameter (post- and pre-norm, batch_first or not, relu/gelu/callable/module activations,
bool, float, per-head and key-padding masks, causal flags, unbatched input), and PyTorch's inference fast paths."""
import warnings

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn

torch = pytest.importorskip("torch")

PADDING = np.array([[False, False, True], [False, True, True]])


def module_pair(name, *args, dtype="float64", options=lambda lib_nn: {}, **fixed):
    """fastgrad's and PyTorch's nn.<name>(*args, **fixed, **options(the library's nn)), with PyTorch's
    state dict loaded into fastgrad's; their reprs and state-dict keys must agree."""
    with warnings.catch_warnings():  # the encoders' warning about nested tensors, checked on its own below
        warnings.simplefilter("ignore")
        ours = getattr(nn, name)(*args, dtype=getattr(fastgrad, dtype), **fixed, **options(nn))
        theirs = getattr(torch.nn, name)(*args, dtype=getattr(torch, dtype), **fixed, **options(torch.nn))
    return loaded(ours, theirs)


def loaded(ours, theirs):
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, with_module_activations(theirs)


def with_module_activations(theirs):
    """theirs with its decoder layers running their activation modules: PyTorch's copies of a decoder layer
    run relu instead (fastgrad's keep the module, and warn; see test_decoder_copies_keep_module_activation)."""
    for module in theirs.modules():
        if isinstance(module, torch.nn.TransformerDecoderLayer) and "activation" in module._modules:
            module.__dict__.pop("activation", None)  # present in copies only
    return theirs


def stack_pair(name, layers, dtype="float64", final_norm=True):
    """fastgrad's and PyTorch's nn.<name> (TransformerEncoder or TransformerDecoder) of two copies of their
    layer in `layers`, with a final LayerNorm or none."""
    stacks = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib, layer in zip((fastgrad, torch), layers):
            norm = lib.nn.LayerNorm(4, dtype=getattr(lib, dtype)) if final_norm else None
            stacks.append(getattr(lib.nn, name)(layer, 2, norm=norm))
    return loaded(*stacks)


def layer_pair(dtype="float64", **options):
    return module_pair("TransformerEncoderLayer", 4, 2, 8, dtype=dtype, dropout=0.0, **options)


def encoder_pair(dtype="float64", final_norm=True, **options):
    return stack_pair("TransformerEncoder", layer_pair(dtype, **options), dtype, final_norm)


def assert_parity(ours, theirs, *inputs, grads=True, float32_tolerance=1e-5, **masks):
    """The same outputs from both modules for the same inputs and masks (arrays, or flags as they are), and
    with grads the same gradients of every input and parameter, for the loss sum(output * weights)."""
    results = []
    for module, lib in ((ours, fastgrad), (theirs, torch)):
        leaves = [lib.tensor(x, requires_grad=grads) for x in inputs]
        output = module(*leaves, **{k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in masks.items()})
        if grads:
            # weights unlike 1: LayerNorm's output sums to a constant, so sum() alone has no gradient to check
            weights = np.random.default_rng(1).normal(size=output.shape).astype(inputs[0].dtype)
            (output * lib.tensor(weights)).sum().backward()
        results.append((output.detach().numpy(), [leaf.grad.numpy() for leaf in leaves] if grads else None))
    bound = 1e-10 if inputs[0].dtype == np.float64 else float32_tolerance
    tolerance = dict(rtol=bound, atol=bound)
    np.testing.assert_allclose(results[0][0], results[1][0], **tolerance)
    if grads:
        for ours_grad, their_grad in zip(results[0][1], results[1][1]):
            np.testing.assert_allclose(ours_grad, their_grad, **tolerance)
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
    assert repr(ours) == repr(theirs)
    assert [k for k in ours.state_dict()] == [k for k in theirs.state_dict()]
    assert_parity(ours, theirs, source(), src_key_padding_mask=PADDING)
    ours.zero_grad(), theirs.zero_grad()
    mask = torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64).detach().numpy()
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
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def test_bad_activation_raises_as_pytorch():
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(RuntimeError) as ours:
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    assert str(ours.value) == str(theirs.value)


# -- the decoder and the whole model --------------------------------------------------------------------
TGT, MEMORY, BATCH, HEADS = 3, 5, 2, 2  # unequal lengths, so a swapped dim cannot go unnoticed

# each builds the options for one library's nn (a module activation must come from that library)
MODEL_OPTIONS = {
    "post-norm": lambda lib_nn: {}, "pre-norm": lambda lib_nn: dict(norm_first=True),
    "gelu": lambda lib_nn: dict(activation="gelu"), "callable": lambda lib_nn: dict(activation=lambda x: x.tanh()),
    "module-activation": lambda lib_nn: dict(activation=lib_nn.GELU(), norm_first=True),
    "no-bias": lambda lib_nn: dict(bias=False, layer_norm_eps=1e-3)}


def sequences(dtype="float64", batch_first=True, lengths=(TGT, MEMORY), batched=True):
    rng = np.random.default_rng(2)
    arrays = [rng.normal(size=(BATCH, length, 4)).astype(dtype) for length in lengths]
    if not batched:
        return [x[0] for x in arrays]
    return arrays if batch_first else [x.transpose(1, 0, 2).copy() for x in arrays]


def blocked(shape, *rows):
    """A bool mask of `shape`, True (blocked) at the given (row, column) pairs."""
    mask = np.zeros(shape, dtype=bool)
    for row, column in rows:
        mask[row, column] = True
    return mask


def as_float(mask, dtype):
    return np.where(mask, -np.inf, 0.0).astype(dtype)


def decoder_masks(kind, dtype="float64"):
    """The decoder's masks of one kind: no query is left without a key to attend to, except in 'blocked'."""
    rng = np.random.default_rng(3)
    causal = np.triu(np.ones((TGT, TGT), dtype=bool), 1)
    tgt_padding, memory_padding = blocked((BATCH, TGT), (0, 2), (1, 1), (1, 2)), blocked((BATCH, MEMORY), (1, 4))
    memory_mask = blocked((TGT, MEMORY), (0, 1), (2, 3))
    return {
        "none": {},
        "bool": dict(tgt_mask=causal, memory_mask=memory_mask, tgt_key_padding_mask=tgt_padding,
                     memory_key_padding_mask=memory_padding),
        "float": dict(tgt_mask=rng.normal(size=(TGT, TGT)).astype(dtype),
                      memory_mask=rng.normal(size=(TGT, MEMORY)).astype(dtype),
                      tgt_key_padding_mask=as_float(tgt_padding, dtype),
                      memory_key_padding_mask=as_float(memory_padding, dtype)),
        "per-head": dict(tgt_mask=rng.normal(size=(BATCH * HEADS, TGT, TGT)).astype(dtype),
                         memory_mask=np.stack([memory_mask] * (BATCH * HEADS))),
        # causal hints with their masks: without key padding PyTorch's attention follows the hints
        "causal-hints": dict(tgt_mask=as_float(causal, dtype), tgt_is_causal=True,
                             memory_mask=as_float(np.triu(np.ones((TGT, MEMORY), dtype=bool), 1), dtype),
                             memory_is_causal=True),
        "causal-hints-padding": dict(tgt_mask=causal, tgt_is_causal=True, tgt_key_padding_mask=tgt_padding,
                                     memory_mask=np.triu(np.ones((TGT, MEMORY), dtype=bool), 1),
                                     memory_is_causal=True, memory_key_padding_mask=memory_padding),
        # a target sequence and a memory that are all padding: queries with no key at all
        "blocked": dict(tgt_key_padding_mask=blocked((BATCH, TGT), (1, 0), (1, 1), (1, 2)),
                        memory_key_padding_mask=blocked((BATCH, MEMORY), *[(1, j) for j in range(MEMORY)])),
    }[kind]


MASK_KINDS = ["none", "bool", "float", "per-head", "causal-hints", "causal-hints-padding", "blocked"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", MODEL_OPTIONS.values(), ids=MODEL_OPTIONS.keys())
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("masks", MASK_KINDS)
def test_decoder_layer_matches_pytorch(dtype, options, batch_first, masks):
    ours, theirs = module_pair("TransformerDecoderLayer", 4, HEADS, 8, dtype=dtype, options=options,
                               dropout=0.0, batch_first=batch_first)
    for mode in ("train", "eval"):  # dropout 0 in training; with gradients wanted, eval takes no fast path
        getattr(ours, mode)(), getattr(theirs, mode)()
        ours.zero_grad(), theirs.zero_grad()
        assert_parity(ours, theirs, *sequences(dtype, batch_first), **decoder_masks(masks, dtype))


@pytest.mark.parametrize("options", MODEL_OPTIONS.values(), ids=MODEL_OPTIONS.keys())
@pytest.mark.parametrize("masks", MASK_KINDS)
def test_decoder_layer_inference_matches_pytorch(options, masks):
    # eval and no gradients: PyTorch's self-attention takes its native kernel where it can (batch_first,
    # bool masks), which gives NaN for a query with no key; its cross-attention never does
    ours, theirs = module_pair("TransformerDecoderLayer", 4, HEADS, 8, dtype="float32", options=options,
                               dropout=0.5, batch_first=True)
    ours.eval(), theirs.eval()
    with torch.no_grad(), fastgrad.no_grad():
        assert_parity(ours, theirs, *sequences("float32"), grads=False, **decoder_masks(masks, "float32"))


@pytest.mark.parametrize("options", MODEL_OPTIONS.values(), ids=MODEL_OPTIONS.keys())
@pytest.mark.parametrize("batch_first", [True, False])
def test_decoder_layer_unbatched_matches_pytorch(options, batch_first):
    ours, theirs = module_pair("TransformerDecoderLayer", 4, HEADS, 8, options=options, dropout=0.0,
                               batch_first=batch_first)
    causal = np.triu(np.ones((TGT, TGT), dtype=bool), 1)
    assert_parity(ours, theirs, *sequences(batched=False))
    ours.zero_grad(), theirs.zero_grad()
    assert_parity(ours, theirs, *sequences(batched=False), tgt_mask=causal, tgt_is_causal=True,
                  tgt_key_padding_mask=np.array([False, False, True]),
                  memory_key_padding_mask=np.array([False, True, False, False, True]))


def decoder_pair(dtype="float64", final_norm=True, options=MODEL_OPTIONS["post-norm"], **fixed):
    layers = module_pair("TransformerDecoderLayer", 4, HEADS, 8, dtype=dtype, options=options, dropout=0.0, **fixed)
    return stack_pair("TransformerDecoder", layers, dtype, final_norm)


@pytest.mark.parametrize("options", MODEL_OPTIONS.values(), ids=MODEL_OPTIONS.keys())
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("final_norm", [True, False])
def test_decoder_matches_pytorch(options, batch_first, final_norm):
    ours, theirs = decoder_pair(options=options, batch_first=batch_first, final_norm=final_norm)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(TGT, dtype=torch.float64).detach().numpy()
    padding = decoder_masks("bool")
    # causal masks given without tgt_is_causal are detected as causal, float and bool alike, as PyTorch does
    # and masks of the same shape that are not causal are not
    not_causal = np.random.default_rng(5).normal(size=(TGT, TGT))
    for masks in (decoder_masks("float"), dict(tgt_mask=causal), dict(tgt_mask=np.isneginf(causal), **{
            k: v for k, v in padding.items() if k != "tgt_mask"}), dict(tgt_mask=causal, tgt_is_causal=False),
            dict(tgt_mask=not_causal), dict(tgt_mask=np.isneginf(causal).T), decoder_masks("causal-hints"),
            decoder_masks("per-head")):
        ours.zero_grad(), theirs.zero_grad()
        assert_parity(ours, theirs, *sequences(batch_first=batch_first), **masks)
    ours.zero_grad(), theirs.zero_grad()
    assert_parity(ours, theirs, *sequences(batched=False), tgt_mask=causal)


def transformer_pair(dtype="float64", options=MODEL_OPTIONS["post-norm"], **fixed):
    return module_pair("Transformer", 4, HEADS, 2, 2, 8, dtype=dtype, options=options, dropout=0.0, **fixed)


def transformer_masks(dtype="float64"):
    source_padding = blocked((BATCH, MEMORY), (0, 4), (1, 3), (1, 4))
    return dict(src_mask=np.random.default_rng(4).normal(size=(MEMORY, MEMORY)).astype(dtype),
                tgt_mask=as_float(np.triu(np.ones((TGT, TGT), dtype=bool), 1), dtype),
                memory_mask=as_float(blocked((TGT, MEMORY), (0, 1), (2, 3)), dtype),
                src_key_padding_mask=as_float(source_padding, dtype),
                tgt_key_padding_mask=as_float(blocked((BATCH, TGT), (0, 2)), dtype),
                memory_key_padding_mask=as_float(source_padding, dtype))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", MODEL_OPTIONS.values(), ids=MODEL_OPTIONS.keys())
@pytest.mark.parametrize("batch_first", [True, False])
def test_transformer_matches_pytorch(dtype, options, batch_first):
    ours, theirs = transformer_pair(dtype, options, batch_first=batch_first)
    source, target = sequences(dtype, batch_first, lengths=(MEMORY, TGT))
    not_causal = dict(src_mask=np.random.default_rng(5).normal(size=(MEMORY, MEMORY)).astype(dtype),
                      tgt_mask=np.random.default_rng(6).normal(size=(TGT, TGT)).astype(dtype))
    causal_hints = dict(src_mask=np.triu(np.ones((MEMORY, MEMORY), dtype=bool), 1),
                        tgt_mask=np.triu(np.ones((TGT, TGT), dtype=bool), 1), src_is_causal=True, tgt_is_causal=True)
    for masks in ({}, transformer_masks(dtype), not_causal, causal_hints):
        for mode in ("train", "eval"):
            getattr(ours, mode)(), getattr(theirs, mode)()
            ours.zero_grad(), theirs.zero_grad()
            # float32 round-off grows through the model's four layers and two final norms
            assert_parity(ours, theirs, source, target, float32_tolerance=1e-4, **masks)


@pytest.mark.parametrize("options", [MODEL_OPTIONS["post-norm"], MODEL_OPTIONS["pre-norm"]],
                         ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("padding", [blocked((BATCH, MEMORY), (0, 4), (1, 3), (1, 4)),
                                     blocked((BATCH, MEMORY), (0, 1))], ids=["left-aligned", "not-left-aligned"])
def test_transformer_inference_matches_pytorch(options, padding):
    # eval and no gradients: PyTorch's encoder runs on nested tensors (left-aligned source padding, post-norm),
    # its self-attentions take their native kernels
    ours, theirs = transformer_pair("float32", options, batch_first=True)
    ours.eval(), theirs.eval()
    with torch.no_grad(), fastgrad.no_grad():
        assert_parity(ours, theirs, *sequences("float32", lengths=(MEMORY, TGT)), grads=False,
                      src_key_padding_mask=padding, memory_key_padding_mask=padding,
                      tgt_key_padding_mask=blocked((BATCH, TGT), (1, 2)))


@pytest.mark.parametrize("batch_first", [True, False])
def test_transformer_unbatched_matches_pytorch(batch_first):
    ours, theirs = transformer_pair(batch_first=batch_first)
    assert_parity(ours, theirs, *sequences(lengths=(MEMORY, TGT), batched=False),
                  tgt_mask=np.triu(np.ones((TGT, TGT), dtype=bool), 1),
                  src_key_padding_mask=np.array([False, False, False, True, True]))


def test_transformer_warns_and_initialises_as_pytorch():
    for options in (dict(), dict(batch_first=True), dict(batch_first=True, norm_first=True),
                    dict(batch_first=True, activation=lambda x: x.tanh()), dict(batch_first=True, nhead=1)):
        arguments = dict(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
        arguments.update(options)
        messages = []
        for lib in (nn, torch.nn):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                lib.Transformer(**arguments)
            messages.append([str(w.message) for w in caught])
        assert messages[0] == messages[1]
    # Xavier-uniform for every parameter of more than one dim (those of a custom encoder too), Linear's and
    # LayerNorm's own for the rest: the same bounds as PyTorch's
    for lib in (nn, torch.nn):
        layer = lib.TransformerEncoderLayer(32, 2, 64, batch_first=True)
        model = lib.Transformer(32, 2, 1, 1, 64, batch_first=True, custom_encoder=lib.TransformerEncoder(layer, 1))
        for name, parameter in model.named_parameters():
            values = parameter.detach().numpy()
            if values.ndim > 1:
                bound = np.sqrt(6.0 / sum(values.shape))
                assert 0.9 * bound < np.abs(values).max() <= bound, name
            elif "norm" in name:
                assert np.all(values == (1.0 if name.endswith("weight") else 0.0)), name


def test_transformer_bad_shapes_raise_as_pytorch():
    def errors(make, *shapes, same_message=True):
        raised = []
        for lib in (fastgrad, torch):
            with pytest.raises(Exception) as error:
                make(lib)(*[lib.zeros(*shape) for shape in shapes])
            raised.append(error)
        assert raised[0].type is raised[1].type
        if same_message:  # fastgrad's may add the shapes
            assert str(raised[0].value).startswith(str(raised[1].value))

    def model(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return lib.nn.Transformer(4, 2, 1, 1, 8)

    errors(model, (5, 2, 4), (3, 3, 4))  # batch sizes differ
    errors(model, (5, 2, 4), (3, 2, 6))  # tgt's features are not d_model
    errors(model, (5, 6), (3, 4))  # unbatched src's features are not d_model
    # the decoder given a memory that does not fit: PyTorch's RuntimeErrors come from inside its attention
    errors(lambda lib: lib.nn.TransformerDecoderLayer(4, 2, 8), (3, 2, 4), (5, 3, 4), same_message=False)
    errors(lambda lib: lib.nn.TransformerDecoderLayer(4, 2, 8), (3, 2, 4), (5, 2, 6), same_message=False)
    errors(lambda lib: lib.nn.TransformerDecoderLayer(4, 2, 8), (3, 2, 4), (5, 4), same_message=True)
    for lib in (nn, torch.nn):
        with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
            lib.Transformer(6, 4)
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            lib.TransformerDecoderLayer(4, 2, activation="tanh")


def test_decoder_copies_keep_module_activation():
    # PyTorch's TransformerDecoderLayer.__setstate__ puts F.relu over a module activation in each copy the
    # decoder makes: fastgrad keeps the activation asked for, and warns that the results differ from PyTorch's
    layer, their_layer = module_pair("TransformerDecoderLayer", 4, HEADS, 8, dropout=0.0, batch_first=True,
                                     options=MODEL_OPTIONS["module-activation"])
    with pytest.warns(UserWarning, match=r"activation is the module GELU\(approximate='none'\); .* PyTorch's copies "
                                         "use relu instead"):
        ours = nn.TransformerDecoder(layer, 1)
    theirs = torch.nn.TransformerDecoder(their_layer, 1)
    assert theirs.layers[0].activation is torch.nn.functional.relu
    inputs = sequences()
    output = ours(*[fastgrad.tensor(x) for x in inputs]).detach().numpy()
    with torch.no_grad():
        assert not np.allclose(output, theirs(*[torch.tensor(x) for x in inputs]).detach().numpy())
        np.testing.assert_allclose(output,
                                   with_module_activations(theirs)(*[torch.tensor(x) for x in inputs]).detach().numpy(),
                                   rtol=1e-10, atol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # relu gives the same results either way: no warning
        nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8, activation=nn.ReLU()), 2)
        nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8, activation="gelu"), 2)

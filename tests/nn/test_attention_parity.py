"""nn.MultiheadAttention against torch.nn.MultiheadAttention with PyTorch's weights loaded: parameters and
state_dict keys, outputs, attention weights, gradients of inputs and every parameter, masks and their
errors, and PyTorch's NaN/zero answers for queries that may attend to no key."""
import re

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn

torch = pytest.importorskip("torch")

E, HEADS = 6, 2
TOLERANCE = {"float64": dict(rtol=1e-10, atol=1e-10), "float32": dict(rtol=1e-5, atol=1e-5)}


def without_torch_size(message: str) -> str:
    """PyTorch's message with torch.Size([2, 4]) written as fastgrad's shape tuple (2, 4)."""
    return re.sub(r"torch\.Size\(\[([^\]]*)\]\)", r"(\1)", message)


def pair(dtype="float64", **options):
    """A torch MultiheadAttention and a fastgrad one holding its weights."""
    theirs = torch.nn.MultiheadAttention(E, HEADS, dtype=getattr(torch, dtype), **options)
    ours = nn.MultiheadAttention(E, HEADS, dtype=getattr(fastgrad, dtype), **options)
    ours.load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    return ours, theirs


def inputs(dtype, batch_first, kdim=E, vdim=E, target=3, source=4, batch=2, seed=0):
    rng = np.random.default_rng(seed)
    shape = (lambda length, dim: (batch, length, dim)) if batch_first else (lambda length, dim: (length, batch, dim))
    if batch is None:
        shape = lambda length, dim: (length, dim)  # noqa: E731
    return [rng.normal(size=shape(length, dim)).astype(dtype) for length, dim in
            ((target, E), (source, kdim), (source, vdim))]


def run_both(ours, theirs, arrays, masks=None, **options):
    """Outputs, weights and input gradients of both modules (masks: name -> array, None entries dropped)."""
    masks = {name: mask for name, mask in (masks or {}).items() if mask is not None}
    results = []
    for module, lib in ((ours, fastgrad), (theirs, torch)):
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        output, weights = module(*leaves, **{name: lib.tensor(m) for name, m in masks.items()}, **options)
        (output.sum() + (0 if weights is None else (weights * weights).sum())).backward()
        results.append((output.detach().numpy(), None if weights is None else weights.detach().numpy(),
                        [leaf.grad.numpy() for leaf in leaves]))
    return results


def assert_parity(ours, theirs, arrays, masks=None, **options):
    (output, weights, grads), (their_output, their_weights, their_grads) = run_both(ours, theirs, arrays, masks,
                                                                                    **options)
    tolerance = TOLERANCE[str(arrays[0].dtype)]
    np.testing.assert_allclose(output, their_output, **tolerance)
    assert (weights is None) == (their_weights is None)
    if weights is not None:
        np.testing.assert_allclose(weights, their_weights, **tolerance)
    for grad, their_grad in zip(grads, their_grads):
        np.testing.assert_allclose(grad, their_grad, **tolerance)
    parameters = dict(ours.named_parameters())
    assert list(parameters) == [name for name, _ in theirs.named_parameters()]
    for name, parameter in theirs.named_parameters():
        np.testing.assert_allclose(parameters[name].grad.numpy(), parameter.grad.numpy(), **tolerance, err_msg=name)


LAYOUTS = [dict(), dict(kdim=3, vdim=5), dict(add_bias_kv=True), dict(add_zero_attn=True),
           dict(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5), dict(bias=False)]


@pytest.mark.parametrize("options", LAYOUTS)
def test_state_dict_keys_shapes_and_repr_match_pytorch(options):
    ours, theirs = pair(**options)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
           {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("options", LAYOUTS)
def test_initialisation_follows_pytorch_scheme(options):
    ours = nn.MultiheadAttention(60, 4, **options)
    for name in ("in_proj_weight", "q_proj_weight"):
        weight = getattr(ours, name)
        if weight is not None:  # Xavier-uniform: bound sqrt(6 / (fan_in + fan_out))
            bound = np.sqrt(6 / sum(weight.shape))
            largest = np.abs(weight.detach().numpy()).max()
            assert 0.9 * bound < largest <= bound
    if options.get("bias", True):
        assert not ours.in_proj_bias.detach().numpy().any() and not ours.out_proj.bias.detach().numpy().any()
    if ours.bias_k is not None:
        assert ours.bias_k.shape == (1, 1, 60) and ours.bias_k.detach().numpy().std() > 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", LAYOUTS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_outputs_weights_and_gradients_match_pytorch(dtype, options, batch_first):
    ours, theirs = pair(dtype, batch_first=batch_first, **options)
    arrays = inputs(dtype, batch_first, options.get("kdim", E), options.get("vdim", E))
    assert_parity(ours, theirs, arrays)
    assert_parity(ours, theirs, arrays, average_attn_weights=False)
    assert_parity(ours, theirs, arrays, need_weights=False)


def key_padding(batch=2, source=4):
    return np.array([[False, False, True, False], [False, True, True, False]])[:batch, :source]


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("options", [dict(), dict(add_bias_kv=True, add_zero_attn=True)])
@pytest.mark.parametrize("mask_kind", ["bool", "float"])
@pytest.mark.parametrize("attn_mask_dims", [None, 2, 3])
def test_masks_match_pytorch(need_weights, options, mask_kind, attn_mask_dims):
    ours, theirs = pair(batch_first=True, **options)
    rng = np.random.default_rng(1)
    padding = key_padding()
    attn_mask = None
    if attn_mask_dims is not None:
        shape = (3, 4) if attn_mask_dims == 2 else (2 * HEADS, 3, 4)
        attn_mask = rng.random(shape) < 0.3
        attn_mask[..., 0] = False  # every query keeps a key: no fully masked rows here
    if mask_kind == "float":
        padding = np.where(padding, -np.inf, 0.0)
        attn_mask = None if attn_mask is None else np.where(attn_mask, -np.inf, rng.normal(size=attn_mask.shape))
    assert_parity(ours, theirs, inputs("float64", True), dict(key_padding_mask=padding, attn_mask=attn_mask),
                  need_weights=need_weights)


def test_is_causal_with_a_causal_mask_matches_pytorch():
    ours, theirs = pair(batch_first=True)
    arrays = inputs("float64", True, source=3)
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    for need_weights in (True, False):
        assert_parity(ours, theirs, arrays, dict(attn_mask=causal), is_causal=True, need_weights=need_weights)
        assert_parity(ours, theirs, arrays, dict(attn_mask=causal, key_padding_mask=key_padding(source=3)),
                      is_causal=True, need_weights=need_weights)


@pytest.mark.parametrize("attn_mask_dims", [None, 2, 3])
def test_unbatched_inputs_match_pytorch(attn_mask_dims):
    ours, theirs = pair(batch_first=True)
    masks = dict(key_padding_mask=key_padding()[0])
    if attn_mask_dims is not None:
        masks["attn_mask"] = np.zeros((3, 4) if attn_mask_dims == 2 else (HEADS, 3, 4), dtype=bool)
        masks["attn_mask"][..., 1] = True
    assert_parity(ours, theirs, inputs("float64", True, batch=None), masks)
    assert_parity(ours, theirs, inputs("float64", True, batch=None), masks, average_attn_weights=False)


def outputs_with_a_fully_masked_query(module, lib, need_weights, train, grad, masks):
    """Batch entry 0 may attend to no key (self-attention of one tensor, as PyTorch's fast path needs)."""
    module.train(train)
    x = lib.tensor(inputs("float32", True, source=3)[0])
    context = lib.enable_grad() if grad else lib.no_grad()
    with context:
        output, weights = module(x, x, x, need_weights=need_weights, **{k: lib.tensor(v) for k, v in masks.items()})
    return output.detach().numpy(), None if weights is None else weights.detach().numpy()


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("grad", [True, False])
@pytest.mark.parametrize("mask_kind", ["bool", "float"])
def test_fully_masked_queries_give_pytorchs_nan_or_zeros(need_weights, train, grad, mask_kind):
    # PyTorch: NaN on the need_weights path and on its inference fast path (bool masks only), zeros on the
    # scaled_dot_product_attention path
    ours, theirs = pair("float32", batch_first=True)
    padding = np.array([[True, True, True], [False, False, True]])
    masks = dict(key_padding_mask=padding if mask_kind == "bool" else np.where(padding, -np.inf, 0).astype("f4"))
    (output, weights), (their_output, their_weights) = (
        outputs_with_a_fully_masked_query(module, lib, need_weights, train, grad, masks)
        for module, lib in ((ours, fastgrad), (theirs, torch)))
    np.testing.assert_allclose(output, their_output, rtol=1e-5, atol=1e-5)  # NaN where PyTorch has NaN
    if need_weights:
        np.testing.assert_allclose(weights, their_weights, rtol=1e-5, atol=1e-5)


def test_a_fully_masked_query_gives_nan_gradients_as_pytorch():
    # the NaN of its output reaches the gradients of the query, the keys and the values (not a finite
    # gradient behind a NaN output), on the need_weights path
    ours, theirs = pair(batch_first=True)
    attn_mask = np.zeros((3, 4), dtype=bool)
    attn_mask[0] = True
    assert_parity(ours, theirs, inputs("float64", True), dict(attn_mask=attn_mask), average_attn_weights=False)


def test_mismatched_mask_types_warn_as_pytorch():
    ours, _ = pair(batch_first=True)
    arrays = [fastgrad.tensor(a) for a in inputs("float64", True)]
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask is deprecated"):
        ours(*arrays, key_padding_mask=fastgrad.tensor(key_padding()), attn_mask=fastgrad.zeros(3, 4,
                                                                                              dtype=fastgrad.float64))


@pytest.mark.parametrize("bad", [
    dict(attn_mask=np.zeros((2, 4), dtype=bool)), dict(attn_mask=np.zeros((3, 3, 4), dtype=bool)),
    dict(attn_mask=np.zeros((1, 1, 3, 4), dtype=bool)), dict(key_padding_mask=np.zeros((2, 5), dtype=bool)),
    dict(key_padding_mask=np.zeros((3, 4), dtype=bool)), dict(key_padding_mask=np.zeros(4, dtype=bool)),
    dict(attn_mask=np.zeros((3, 4), dtype=np.int64)), dict(is_causal=True),
])
def test_bad_masks_raise_as_pytorch(bad):
    ours, theirs = pair(batch_first=True)
    arrays = inputs("float64", True)
    errors = []
    for module, lib in ((theirs, torch), (ours, fastgrad)):
        with pytest.raises((AssertionError, RuntimeError)) as caught:
            module(*[lib.tensor(a) for a in arrays], **{k: lib.tensor(v) if isinstance(v, np.ndarray) else v
                                                       for k, v in bad.items()})
        errors.append((type(caught.value), without_torch_size(str(caught.value))))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("shapes", [((2, 3, 7), (2, 4, 6), (2, 4, 6)), ((2, 3, 6), (2, 4, 6), (2, 5, 6)),
                                    ((2, 3, 6, 1), (2, 4, 6), (2, 4, 6)), ((3, 6), (2, 4, 6), (2, 4, 6))])
def test_bad_input_shapes_raise_as_pytorch(shapes):
    ours, theirs = pair(batch_first=True)
    messages = []
    for module, lib in ((theirs, torch), (ours, fastgrad)):
        with pytest.raises(AssertionError) as caught:
            module(*[lib.zeros(shape, dtype=lib.float64) for shape in shapes])
        messages.append(without_torch_size(str(caught.value)))
    assert messages[0] == messages[1]


def test_dropout_changes_outputs_in_training_only():
    ours, _ = pair("float64", batch_first=True, dropout=0.5)
    arrays = [fastgrad.tensor(a) for a in inputs("float64", True, batch=4, target=5, source=6)]
    ours.eval()
    reference = ours(*arrays)[0].detach().numpy()
    np.testing.assert_array_equal(ours(*arrays)[0].detach().numpy(), reference)
    ours.train()
    for need_weights in (True, False):
        assert not np.allclose(ours(*arrays, need_weights=need_weights)[0].detach().numpy(), reference)

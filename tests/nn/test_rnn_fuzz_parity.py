"""A seeded differential fuzzer of nn.RNN / nn.LSTM / nn.GRU and their cells against PyTorch 2.13's: random
sizes (some past a SIMD vector's width), 1 to 3 layers, both directions, batch_first, no bias, dropout (in eval
mode), the initial state given or not, unbatched inputs, empty batches and PackedSequence inputs (sorted or not,
lengths as a list or a tensor), values that saturate the gates, NaN and infinities (also in the initial state of
a packed sequence shorter than the others), on a random backend. PyTorch's state dict is loaded into fastgrad's
module; the outputs, final states and the gradients of the input, the initial states and every parameter must
agree to 1e-10 in float64 (1e-3 of the largest value in float32).

Malformed calls (inputs of the wrong dims or input_size, states of the wrong shape, kind or count) must raise
where PyTorch's raise, with PyTorch's exception type or fastgrad's ValueError or TypeError naming the fault, where
PyTorch's is a RuntimeError, or the IndexError, AttributeError or ValueError of its code tripping over the bad
argument (a tuple hx of a GRU, one tensor for an LSTM's (h, c)). Fixed seeds, so the cases are the same on every
run."""
import numpy as np
import pytest

import fastgrad
from fastgrad.nn.utils import convert_torch_state_dict

torch = pytest.importorskip("torch")

CASES_PER_KIND = 60
REFUSAL_CASES = 60
BACKENDS = ["numpy", "compiled", "python"]


def choice(rng, values):
    return values[rng.integers(len(values))]


def size(rng, low, high):
    return int(rng.integers(low, high))


def twins(kind, args, options, dtype):
    """PyTorch's module and fastgrad's, the latter loaded from the former's state dict."""
    theirs = getattr(torch.nn, kind)(*args, **options).to(getattr(torch, np.dtype(dtype).name))
    ours = getattr(fastgrad.nn, kind)(*args, **options).to(getattr(fastgrad, np.dtype(dtype).name))
    ours.load_state_dict(convert_torch_state_dict({k: v.detach() for k, v in theirs.state_dict().items()}))
    return theirs, ours


def width(rng):
    """A feature or hidden size: mostly small, now and then past a SIMD vector's width (with a remainder)."""
    return size(rng, 1, 5) if rng.random() < 0.75 else choice(rng, [7, 9, 16, 17])


def values(rng, shape):
    """Normal values, often scaled up to saturate the gates, now and then holding a NaN or an infinity."""
    array = rng.standard_normal(shape) * choice(rng, [1.0, 1.0, 4.0, 30.0])
    if array.size and rng.random() < 0.05:
        array.flat[rng.integers(array.size)] = choice(rng, [np.nan, np.inf, -np.inf])
    return array


def draw_case(kind, rng, dtype):
    """(constructor args, options, input array, packing (lengths, as_tensor, enforce_sorted) or None, states)."""
    features, hidden = width(rng), width(rng)
    if kind.endswith("Cell"):
        options = {"bias": bool(rng.random() < 0.8)}
        if kind == "RNNCell":
            options["nonlinearity"] = choice(rng, ["tanh", "relu"])
        lead = () if rng.random() < 0.3 else (choice(rng, [0, 1, 2, 3]),)
        states = [values(rng, lead + (hidden,)) for _ in range(2 if kind == "LSTMCell" else 1)]
        return (features, hidden), options, values(rng, lead + (features,)), None, (
            states if rng.random() < 0.6 else None)
    options = {"num_layers": size(rng, 1, 4), "bias": bool(rng.random() < 0.8),
               "batch_first": bool(rng.random() < 0.4), "bidirectional": bool(rng.random() < 0.5)}
    if kind == "RNN":
        options["nonlinearity"] = choice(rng, ["tanh", "relu"])
    if options["num_layers"] > 1 and rng.random() < 0.2:
        options["dropout"] = 0.3  # (run in eval mode, where it is the identity)
    steps, batch, unbatched = size(rng, 1, 6), choice(rng, [0, 1, 2, 3, 5, 9]), rng.random() < 0.2
    packing = None
    if not unbatched and batch and rng.random() < 0.4:
        lengths = rng.integers(1, steps + 1, batch)
        lengths[rng.integers(batch)] = steps if rng.random() < 0.7 else lengths.max()
        enforce_sorted = bool(rng.random() < 0.4)
        if enforce_sorted:
            lengths = np.sort(lengths)[::-1].copy()
        packing = (lengths, bool(rng.random() < 0.5), enforce_sorted)
    shape = (steps, features) if unbatched else (batch, steps, features) if options["batch_first"] else (
        steps, batch, features)
    state_shape = (options["num_layers"] * (1 + options["bidirectional"]),) + (() if unbatched else (batch,)) + (
        hidden,)
    states = [values(rng, state_shape) for _ in range(2 if kind == "LSTM" else 1)]
    if packing is not None and rng.random() < 0.2:  # an infinite state of a sequence shorter than the batch's
        states[-1][..., int(np.argmin(packing[0])), 0] = choice(rng, [np.inf, -np.inf])
    return (features, hidden), options, values(rng, shape), packing, states if rng.random() < 0.6 else None


def made(library, kind, x, packing, states, batch_first, dtype):
    """The forward's (input, hx) in `library` and the leaves whose gradients are compared."""
    leaf = library.tensor(x.astype(dtype), requires_grad=True)
    state_leaves = [library.tensor(s.astype(dtype), requires_grad=True) for s in states or ()]
    hx = None if states is None else tuple(state_leaves) if kind.startswith("LSTM") else state_leaves[0]
    argument = leaf
    if packing is not None:
        lengths, as_tensor, enforce_sorted = packing
        argument = library.nn.utils.rnn.pack_padded_sequence(
            leaf, library.tensor(lengths) if as_tensor else lengths.tolist(), batch_first=batch_first,
            enforce_sorted=enforce_sorted)
    return argument, hx, [leaf, *state_leaves]


def flat(result):
    if isinstance(result, (tuple, list)):
        return [item for part in result for item in flat(part)]
    if hasattr(result, "batch_sizes"):
        return [result.data, result.batch_sizes, result.sorted_indices, result.unsorted_indices]
    return [result]


def assert_close(ours, theirs, dtype, what):
    ours, theirs = ours.detach().numpy(), theirs.detach().numpy()
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, PyTorch's {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype}, PyTorch's {theirs.dtype}"
    # (float32: against the largest value, since a saturated gate's tiny gradients are rounding noise, and loose,
    # since three layers' float32 rounding, PyTorch's as fastgrad's, reach 4e-4 of it; float64 is the real check)
    scale = np.abs(theirs[np.isfinite(theirs)]).max(initial=1.0)
    tolerance = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-3 * scale)
    np.testing.assert_allclose(ours, theirs, err_msg=what, equal_nan=True, **tolerance)


def check_case(kind, args, options, x, packing, states, dtype, backend):
    theirs, ours = twins(kind, args, options, dtype)
    theirs.eval(), ours.eval()
    batch_first = options.get("batch_first", False)
    their_input, their_hx, their_leaves = made(torch, kind, x, packing, states, batch_first, dtype)
    our_input, our_hx, our_leaves = made(fastgrad, kind, x, packing, states, batch_first, dtype)
    with fastgrad.backend(backend):
        their_out, our_out = flat(theirs(their_input, their_hx)), flat(ours(our_input, our_hx))
        assert len(our_out) == len(their_out)
        upstream, mine, references = np.random.default_rng(1), [], []
        for index, (o, t) in enumerate(zip(our_out, their_out)):
            assert (o is None) == (t is None), f"output {index}"
            if t is None:
                continue
            assert_close(o, t, dtype, f"output {index}")
            if t.is_floating_point():
                gradient = upstream.standard_normal(tuple(t.shape)).astype(dtype)
                mine.append((o * fastgrad.tensor(gradient)).sum())
                references.append((t * torch.tensor(gradient)).sum())
        sum(references).backward()
        sum(mine).backward()
    for index, (o, t) in enumerate(zip(our_leaves, their_leaves)):
        assert_close(o.grad, t.grad, dtype, f"gradient of input {index}")
    our_parameters = dict(ours.named_parameters())
    for name, parameter in theirs.named_parameters():
        assert_close(our_parameters[name].grad, parameter.grad, dtype, f"gradient of {name}")


KINDS = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]


def run_cases(kind, seeds):
    for case in seeds:
        rng = np.random.default_rng([case, sum(map(ord, kind))])
        dtype = np.float64 if rng.random() < 0.8 else np.float32
        args, options, x, packing, states = draw_case(kind, rng, dtype)
        backend = choice(rng, BACKENDS)
        torch.manual_seed(case)
        try:
            with np.errstate(all="ignore"):  # (NaN and infinite inputs)
                check_case(kind, args, options, x, packing, states, dtype, backend)
        except AssertionError as failure:
            raise AssertionError(f"case {case}: {kind}{args} {options} input {x.shape} packing {packing} states "
                                 f"{None if states is None else [s.shape for s in states]} {np.dtype(dtype)} "
                                 f"{backend}") from failure


@pytest.mark.parametrize("kind", KINDS)
def test_recurrent_layer_against_pytorch(kind):
    run_cases(kind, range(CASES_PER_KIND))


# -- malformed calls ------------------------------------------------------------------------------------------
def draw_refusal(kind, rng):
    """A call with one thing wrong (or, now and then, nothing): (args, options, input shape, states)."""
    features, hidden, batch, steps = size(rng, 1, 4), size(rng, 1, 4), size(rng, 1, 4), size(rng, 1, 4)
    cell = kind.endswith("Cell")
    layers = 1 if cell else size(rng, 1, 3)
    directions = 1 if cell else 1 + int(rng.random() < 0.5)
    options = {} if cell else {"num_layers": layers, "bidirectional": directions == 2}
    unbatched = rng.random() < 0.3
    shape = ((features,) if unbatched else (batch, features)) if cell else (
        (steps, features) if unbatched else (steps, batch, features))
    state_shape = ((hidden,) if unbatched else (batch, hidden)) if cell else (
        (layers * directions, hidden) if unbatched else (layers * directions, batch, hidden))
    states = [state_shape] * (2 if kind.startswith("LSTM") else 1)
    fault = choice(rng, ["input dims", "input size", "state shape", "state dims", "state count", "none",
                         "second state shape", "no states"])
    if fault == "input dims":
        shape = choice(rng, [(), shape[:1], shape + (1,), (1,) + shape])
    elif fault == "input size":
        shape = shape[:-1] + (shape[-1] + choice(rng, [1, -1]),)
    elif fault == "state shape":
        axis = size(rng, 0, len(state_shape))
        states[0] = state_shape[:axis] + (state_shape[axis] + 1,) + state_shape[axis + 1:]
    elif fault == "state dims":
        states[0] = choice(rng, [state_shape[1:], (1,) + state_shape])
    elif fault == "state count":
        states = [state_shape] * (1 if kind.startswith("LSTM") else 2)
    elif fault == "second state shape" and len(states) == 2:
        states[1] = state_shape[:-1] + (state_shape[-1] + 1,)
    elif fault == "no states":
        states = None
    return (features, hidden), options, shape, states


def refusal_outcome(library, kind, args, options, shape, states):
    module = getattr(library.nn, kind)(*args, **options).double()
    x = library.tensor(np.ones(shape))
    hx = None
    if states is not None:
        tensors = [library.tensor(np.ones(s)) for s in states]
        hx = tensors[0] if len(tensors) == 1 and not kind.startswith("LSTM") else tuple(tensors)
        if len(tensors) == 1 and kind.startswith("LSTM"):
            hx = tensors[0]
    try:
        result = module(x, hx)
    except Exception as error:  # noqa: BLE001  (compared with PyTorch's)
        return error
    return [tuple(t.shape) for t in flat(result)]


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_calls_raise_as_pytorchs(kind):
    for case in range(REFUSAL_CASES):
        rng = np.random.default_rng([case, sum(map(ord, kind)), 7])
        args, options, shape, states = draw_refusal(kind, rng)
        ours = refusal_outcome(fastgrad, kind, args, options, shape, states)
        what = f"case {case}: {kind}{args} {options} input {shape} states {states}"
        if kind.endswith("Cell") and len(shape) == 1 and any(len(state) == 2 for state in states or ()):
            # PyTorch's cells run an unbatched input with a batched state as if both were batched, and crash (a
            # segmentation fault) when only one of an LSTMCell's two states is batched: fastgrad refuses both
            assert isinstance(ours, ValueError), f"{what}: fastgrad {ours!r}"
            continue
        theirs = refusal_outcome(torch, kind, args, options, shape, states)
        if not isinstance(theirs, Exception):
            assert ours == theirs, f"{what}: fastgrad {ours!r}, PyTorch's shapes {theirs}"
            continue
        assert isinstance(ours, Exception), f"{what}: PyTorch raised {theirs!r}, fastgrad returned {ours}"
        assert type(ours) is type(theirs) or isinstance(ours, (ValueError, TypeError)) and isinstance(
            theirs, (RuntimeError, IndexError, AttributeError, ValueError)), f"{what}: fastgrad raised {ours!r}, " \
                                                                           f"PyTorch {theirs!r}"

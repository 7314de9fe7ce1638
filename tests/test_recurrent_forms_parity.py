"""torch's top-level aten forms of the recurrent layers and cells (fastgrad/recurrent_forms.py) against PyTorch,
called with PyTorch's own signatures: outputs, final states and the gradients of every input, state and parameter
in float64 to 1e-9, both overloads of the layers (padded input and packed data), and the wrong calls."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-9, atol=1e-9)
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
INPUT, HIDDEN, STEPS, BATCH = 3, 4, 5, 3


def layer_arrays(name, num_layers, directions, has_biases, seed=0):
    """Seeded arrays: the flat params (per layer, per direction: w_ih, w_hh[, b_ih, b_hh]), the input
    (T, B, I) and the initial states (one, or two for lstm), each (num_layers * D, B, H)."""
    rng = np.random.default_rng(seed)
    rows, params = GATES[name] * HIDDEN, []
    for layer in range(num_layers):
        for _ in range(directions):
            params += [rng.normal(scale=0.5, size=(rows, INPUT if layer == 0 else HIDDEN * directions)),
                       rng.normal(scale=0.5, size=(rows, HIDDEN))]
            params += [rng.normal(scale=0.5, size=rows) for _ in range(2 * has_biases)]
    states = [rng.normal(scale=0.5, size=(num_layers * directions, BATCH, HIDDEN))
              for _ in range(2 if name == "lstm" else 1)]
    return params, rng.normal(size=(STEPS, BATCH, INPUT)), states


def leaves(lib, arrays):
    return [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]


def hx(lib_states, name):
    return lib_states if name == "lstm" else lib_states[0]


def outputs_and_gradients(lib, outputs, leaves_):
    """The outputs and the gradients of a weighted sum of them (every element read) with respect to leaves_."""
    outputs = list(outputs)
    loss = sum((o * lib.tensor(np.linspace(-1.0, 1.5, o.numel()).reshape(tuple(o.shape)))).sum() for o in outputs)
    return [o.detach().numpy() for o in outputs] + [g.numpy() for g in lib.autograd.grad(loss, leaves_)]


def assert_same(results):
    ours, theirs = results
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, **TOL)


@pytest.mark.parametrize("name", sorted(GATES))
@pytest.mark.parametrize("num_layers, directions, has_biases, batch_first",
                         [(1, 1, True, False), (1, 2, False, False), (2, 1, True, True), (2, 2, True, False)])
def test_layers_match_torch(name, num_layers, directions, has_biases, batch_first):
    params, x, states = layer_arrays(name, num_layers, directions, has_biases)
    if batch_first:
        x = x.transpose(1, 0, 2)
    results = []
    for lib in (fastgrad, torch):
        p, (xs,), s = leaves(lib, params), leaves(lib, [x]), leaves(lib, states)
        out = getattr(lib, name)(xs, hx(s, name), p, has_biases, num_layers, 0.0, True, directions == 2, batch_first)
        assert len(out) == (3 if name == "lstm" else 2)
        results.append(outputs_and_gradients(lib, out, p + [xs] + s))
    assert_same(results)


@pytest.mark.parametrize("name", sorted(GATES))
@pytest.mark.parametrize("directions", [1, 2])
def test_packed_data_overload_matches_torch(name, directions):
    """Sequences of 5, 3 and 2 steps, packed by PyTorch; the states are in the packed (sorted) order."""
    params, x, states = layer_arrays(name, 2, directions, True, seed=1)
    lengths = [5, 3, 2]
    results = []
    for lib in (fastgrad, torch):
        p, (xs,), s = leaves(lib, params), leaves(lib, [x]), leaves(lib, states)
        packed = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths)
        rows = lib.tensor(packed.batch_sizes.numpy())
        data = xs.reshape(STEPS * BATCH, INPUT)[lib.tensor([t * BATCH + b for t in range(STEPS) for b in range(BATCH)
                                                            if t < lengths[b]])]
        np.testing.assert_array_equal(data.detach().numpy(), packed.data.numpy())  # torch's layout
        out = getattr(lib, name)(data, rows, hx(s, name), p, True, 2, 0.0, False, directions == 2)
        results.append(outputs_and_gradients(lib, out, p + [xs] + s))
    assert_same(results)


@pytest.mark.parametrize("name", sorted(GATES))
def test_keyword_calls_of_both_overloads(name):
    params, x, states = layer_arrays(name, 1, 1, False)
    results = []
    for lib in (fastgrad, torch):
        p, xs, s = leaves(lib, params), lib.tensor(x), leaves(lib, states)
        padded = getattr(lib, name)(input=xs, hx=hx(s, name), params=p, has_biases=False, num_layers=1, dropout=0.0,
                                    train=False, bidirectional=False, batch_first=False)
        packed = getattr(lib, name)(data=xs.reshape(-1, INPUT), batch_sizes=lib.tensor([BATCH] * STEPS),
                                    hx=hx(s, name), params=p, has_biases=False, num_layers=1, dropout=0.0,
                                    train=False, bidirectional=False)
        positional_packed = getattr(lib, name)(xs.reshape(-1, INPUT), lib.tensor([BATCH] * STEPS), hx(s, name), p,
                                               False, 1, 0.0, False, False)
        results.append([t.detach().numpy() for t in (*padded, *packed, *positional_packed)])
    assert_same(results)
    np.testing.assert_allclose(results[0][0].reshape(-1, HIDDEN), results[0][len(results[0]) // 3], **TOL)


@pytest.mark.parametrize("name", sorted(GATES))
def test_dropout_between_layers_only_in_training(name):
    """Not training, or with p = 0, dropout changes nothing, as in PyTorch; in training it drops (fastgrad's own
    draws: only that the output differs from the undropped one is compared)."""
    params, x, states = layer_arrays(name, 2, 1, True)
    results = []
    for lib in (fastgrad, torch):
        p, xs, s = [lib.tensor(a) for a in params], lib.tensor(x), [lib.tensor(a) for a in states]
        call = lambda dropout, train: getattr(lib, name)(xs, hx(s, name), p, True, 2, dropout, train, False, False)
        plain, evaluated, dropped = call(0.0, True), call(0.7, False), call(0.7, True)
        assert not np.allclose(dropped[0].numpy(), plain[0].numpy())
        results.append([t.numpy() for t in (*plain, *evaluated)])
    assert_same(results)


CELLS = {"lstm_cell": 4, "gru_cell": 3, "rnn_tanh_cell": 1, "rnn_relu_cell": 1}


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("biases", [0, 1, 2])
def test_cells_match_torch(name, biases):
    """Without biases, with b_ih alone, and with both."""
    rng = np.random.default_rng(3)
    rows = CELLS[name] * HIDDEN
    arrays = [rng.normal(size=(BATCH, INPUT)), rng.normal(scale=0.5, size=(rows, INPUT)),
              rng.normal(scale=0.5, size=(rows, HIDDEN))] + [rng.normal(scale=0.5, size=rows) for _ in range(biases)]
    states = [rng.normal(size=(BATCH, HIDDEN)) for _ in range(2 if name == "lstm_cell" else 1)]
    results = []
    for lib in (fastgrad, torch):
        (x, w_ih, w_hh, *b), s = leaves(lib, arrays), leaves(lib, states)
        out = getattr(lib, name)(x, s if name == "lstm_cell" else s[0], w_ih, w_hh, *b)
        results.append(outputs_and_gradients(lib, out if name == "lstm_cell" else (out,), [x, w_ih, w_hh, *b, *s]))
    assert_same(results)


def _lstm_arguments(lib, **changes):
    params, x, states = layer_arrays("lstm", 1, 1, True)
    arguments = dict(input=lib.tensor(x), hx=[lib.tensor(a) for a in states], params=[lib.tensor(a) for a in params],
                     has_biases=True, num_layers=1, dropout=0.0, train=False, bidirectional=False, batch_first=False)
    arguments.update({k: v(lib, arguments) if callable(v) else v for k, v in changes.items()})
    return arguments


def _gru_cell_arguments(lib):
    rng = np.random.default_rng(4)
    shapes = ((BATCH, INPUT), (BATCH, HIDDEN), (12, INPUT), (12, HIDDEN))  # x, h and a gru's w_ih and w_hh
    return [lib.tensor(rng.normal(size=shape)) for shape in shapes]


def _int32_batch_sizes(lib, layers):
    """A packed-data call whose batch_sizes are int32 (PyTorch wants int64)."""
    float64 = dict(dtype=lib.float64)
    return layers(lib.ones(4, 3, **float64), lib.tensor([2, 2], dtype=lib.int32), lib.zeros(1, 2, 4, **float64),
                  [lib.ones(4, 3, **float64), lib.ones(4, 4, **float64)], False, 1, 0.0, False, False)


@pytest.mark.parametrize("call, error", [
    (lambda m: m.lstm(**_lstm_arguments(m, params=lambda m, a: a["params"][:3])), (RuntimeError, ValueError)),
    (lambda m: m.lstm(**_lstm_arguments(m, has_biases=False)), (RuntimeError, ValueError)),
    (lambda m: m.lstm(**_lstm_arguments(m, num_layers=2)), (RuntimeError, ValueError)),
    (lambda m: m.lstm(**_lstm_arguments(m, hx=lambda m, a: a["hx"][:1])), (RuntimeError, TypeError)),
    (lambda m: m.lstm(**_lstm_arguments(m, hx=lambda m, a: [a["hx"][0][:, :1], a["hx"][1]])),
     (RuntimeError, ValueError)),
    (lambda m: m.lstm(**_lstm_arguments(m, has_biases=1)), TypeError),
    (lambda m: m.lstm(**_lstm_arguments(m, train=1)), TypeError),
    (lambda m: m.lstm(**_lstm_arguments(m, input=lambda m, a: a["input"][:0])), (RuntimeError, ValueError)),
    (lambda m: m.lstm(**_lstm_arguments(m, input=lambda m, a: a["input"][..., :2])), (RuntimeError, ValueError)),
    (lambda m: m.lstm(**_lstm_arguments(m, input=lambda m, a: a["input"][None])), (RuntimeError, ValueError)),
    (lambda m: m.lstm(**_lstm_arguments(m, input=lambda m, a: a["input"].float())), RuntimeError),
    (lambda m: m.lstm(**{k: v for k, v in _lstm_arguments(m).items() if k != "batch_first"}), TypeError),
    (lambda m: m.gru(*_lstm_arguments(m).values()), (TypeError, ValueError)),  # a list as gru's hx
    (lambda m: _int32_batch_sizes(m, m.rnn_tanh), (RuntimeError, TypeError)),
    (lambda m: m.lstm_cell(*(lambda x, h, w, u: (x, [h, h], m.cat([w, w[:4]]), m.cat([u, u[:4]])))(
        *_gru_cell_arguments(m))[:2], *_gru_cell_arguments(m)[2:]), (RuntimeError, ValueError)),
    (lambda m: m.lstm_cell(*(lambda x, h, w, u: (x, h, m.cat([w, w[:4]]), m.cat([u, u[:4]])))(
        *_gru_cell_arguments(m))), TypeError),
    (lambda m: m.gru_cell(*(lambda x, h, w, u: (x[0], h[0], w, u))(*_gru_cell_arguments(m))),
     (IndexError, ValueError)),
    (lambda m: m.gru_cell(*(lambda x, h, w, u: (x, None, w, u))(*_gru_cell_arguments(m))), TypeError),
    (lambda m: m.gru_cell(*(lambda x, h, w, u: (x, h[:1], w, u))(*_gru_cell_arguments(m))),
     (RuntimeError, ValueError)),
    (lambda m: m.gru_cell(*(lambda x, h, w, u: (x[:, :2], h, w, u))(*_gru_cell_arguments(m))),
     (RuntimeError, ValueError)),
    (lambda m: m.gru_cell(*(lambda x, h, w, u: (x, h, w[:8], u))(*_gru_cell_arguments(m))),
     (RuntimeError, ValueError)),
    (lambda m: m.rnn_tanh_cell(*(lambda x, h, w, u: (x.float(), h, w[:4], u[:4]))(*_gru_cell_arguments(m))),
     RuntimeError),
    (lambda m: m.rnn_relu_cell(*(lambda x, h, w, u: (x, h, w[:4], u[:4], u[0, :3]))(*_gru_cell_arguments(m))),
     (RuntimeError, ValueError)),
])
def test_wrong_calls_are_refused_as_torch(call, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error):
            call(lib)


@pytest.mark.parametrize("call, error, match", [
    (lambda: fastgrad.lstm(**_lstm_arguments(fastgrad, params=lambda m, a: a["params"][:3])), ValueError,
     r"lstm: params must hold 4 tensors \(num_layers 1 x 1 direction\(s\) x 4 \(w_ih, w_hh, b_ih, b_hh\)\), got 3"),
    (lambda: fastgrad.lstm(**_lstm_arguments(fastgrad, params=lambda m, a: a["params"] + [m.ones(4, 4)])), ValueError,
     r"got 5; LSTM projections \(w_hr\) are not supported"),
    (lambda: fastgrad.lstm(**_lstm_arguments(fastgrad, train=1)), TypeError, r"lstm: train must be a bool, got int"),
    (lambda: fastgrad.lstm(**_lstm_arguments(fastgrad, num_layers=0)), ValueError,
     r"lstm: num_layers must be at least 1, got 0"),
    (lambda: fastgrad.lstm(**_lstm_arguments(fastgrad, dropout=1.5)), ValueError,
     r"lstm: dropout must be a probability in \[0, 1\], got 1.5"),
    (lambda: fastgrad.lstm(**_lstm_arguments(fastgrad, hx=lambda m, a: [a["hx"][0][:, :1], a["hx"][1]])), ValueError,
     r"lstm: hx\[0\] has shape \(1, 1, 4\), expected \(num_layers \* num_directions, batch, hidden_size\)"),
    # PyTorch runs a 2-D input against 3-D states as a batch of its own making; fastgrad asks for (T, B, I)
    (lambda: fastgrad.lstm(**_lstm_arguments(fastgrad, input=lambda m, a: a["input"][:, 0])), ValueError,
     r"lstm: input must be a 3-D sequence \(T, B, I\)"),
    (lambda: fastgrad.gru_cell(*_gru_cell_arguments(fastgrad)[:1], None, *_gru_cell_arguments(fastgrad)[2:]),
     TypeError, r"gru_cell: hx must be a Tensor, got NoneType"),
    (lambda: fastgrad.lstm_cell(fastgrad.ones(3, dtype=fastgrad.float64), [fastgrad.ones(4)] * 2,
                                fastgrad.ones(16, 3), fastgrad.ones(16, 4)), ValueError,
     r"lstm_cell: input must be 2-D \(batch, input_size\), got shape \(3,\)"),
    (lambda: _int32_batch_sizes(fastgrad, fastgrad.rnn_relu), TypeError,
     r"rnn_relu: batch_sizes must be an int64 Tensor"),
])
def test_fastgrad_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_packed_data_must_hold_as_many_rows_as_batch_sizes_count():
    """PyTorch reads 8 rows against batch_sizes summing to 7 without a word; fastgrad refuses them."""
    params, x, states = layer_arrays("gru", 1, 1, True)
    with pytest.raises(ValueError, match=r"batch_sizes \[3, 3, 1\] add up to 7 steps, but data has 8 rows"):
        fastgrad.gru(fastgrad.tensor(x.reshape(-1, INPUT)[:8]), fastgrad.tensor([3, 3, 1]),
                     fastgrad.tensor(states[0]), [fastgrad.tensor(a) for a in params], True, 1, 0.0, False, False)

"""nn.LSTM, nn.GRU and their cells without PyTorch: shapes, consistency between cells and sequences,
directions, dropout, packed sequences (against each sequence run alone, and gradcheck), and the errors
for bad arguments (PyTorch parity is in test_rnn_parity.py)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from fastgrad.nn.utils.rnn import PackedSequence, pack_padded_sequence, pack_sequence, pad_packed_sequence
from fastgrad.testing import check_gradients as check, float64_leaf as leaf


def double(module):
    fastgrad.manual_seed(0)
    return module.double()


@pytest.mark.parametrize("kind, gate_count", [("LSTM", 4), ("GRU", 3), ("RNN", 1)])
def test_parameters_have_torchs_names_and_shapes(kind, gate_count):
    module = getattr(nn, kind)(3, 5, num_layers=2, bidirectional=True)
    shapes = {name: p.shape for name, p in module.named_parameters()}
    rows = gate_count * 5
    assert list(shapes) == [f"{w}_l{k}{s}" for k in range(2) for s in ("", "_reverse")
                            for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert shapes["weight_ih_l0"] == (rows, 3) and shapes["weight_ih_l1_reverse"] == (rows, 10)
    assert shapes["weight_hh_l1"] == (rows, 5) and shapes["bias_hh_l0_reverse"] == (rows,)
    assert [n for n, _ in getattr(nn, kind)(3, 5, bias=False).named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]


def test_output_shapes():
    x = fastgrad.randn(7, 2, 3)
    output, (h_n, c_n) = nn.LSTM(3, 5, num_layers=3, bidirectional=True)(x)
    assert output.shape == (7, 2, 10) and h_n.shape == c_n.shape == (6, 2, 5)
    output, h_n = nn.GRU(3, 5, batch_first=True)(x)
    assert output.shape == (7, 2, 5) and h_n.shape == (1, 7, 5)
    output, (h_n, c_n) = nn.LSTM(3, 5, num_layers=2)(fastgrad.randn(4, 3))  # unbatched
    assert output.shape == (4, 5) and h_n.shape == c_n.shape == (2, 5)
    assert nn.LSTMCell(3, 5)(fastgrad.randn(3))[1].shape == (5,)
    assert nn.GRUCell(3, 5)(fastgrad.randn(2, 3)).shape == (2, 5)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_final_states_are_the_last_outputs_of_each_direction(rng, kind):
    module = double(getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True))
    output, state = module(fastgrad.tensor(rng.standard_normal((6, 2, 3))))
    h_n = state[0] if kind == "LSTM" else state
    # last layer, forward: step T-1
    np.testing.assert_array_equal(h_n.detach().numpy()[2], output.detach().numpy()[-1, :, :4])
    # last layer, reverse: step 0
    np.testing.assert_array_equal(h_n.detach().numpy()[3], output.detach().numpy()[0, :, 4:])


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_reverse_direction_is_the_forward_layer_on_the_reversed_sequence(rng, kind):
    module = double(getattr(nn, kind)(3, 4, bidirectional=True))
    x = rng.standard_normal((5, 2, 3))
    both, _ = module(fastgrad.tensor(x))
    forward_only = double(getattr(nn, kind)(3, 4))
    forward_only.load_state_dict({name.replace("_reverse", ""): value for name, value in module.state_dict().items()
                                  if name.endswith("_reverse")})
    reversed_run, _ = forward_only(fastgrad.tensor(x[::-1].copy()))
    np.testing.assert_allclose(both.detach().numpy()[:, :, 4:], reversed_run.detach().numpy()[::-1], rtol=1e-12,
                               atol=1e-12)


def test_cells_equal_one_step_of_the_sequence_modules(rng):
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    cell, layer = double(nn.LSTMCell(3, 4)), double(nn.LSTM(3, 4))
    layer.load_state_dict({f"{name}_l0": value for name, value in cell.state_dict().items()})
    h1, c1 = cell(fastgrad.tensor(x), (fastgrad.tensor(h), fastgrad.tensor(c)))
    _, (h_n, c_n) = layer(fastgrad.tensor(x[None]), (fastgrad.tensor(h[None]), fastgrad.tensor(c[None])))
    np.testing.assert_array_equal(h1.detach().numpy(), h_n.detach().numpy()[0])
    np.testing.assert_array_equal(c1.detach().numpy(), c_n.detach().numpy()[0])
    gru_cell, gru = double(nn.GRUCell(3, 4)), double(nn.GRU(3, 4))
    gru.load_state_dict({f"{name}_l0": value for name, value in gru_cell.state_dict().items()})
    np.testing.assert_array_equal(gru_cell(fastgrad.tensor(x)).detach().numpy(),
                                  gru(fastgrad.tensor(x[None]))[1].detach().numpy()[0])


def test_lstm_forward_by_hand(rng):
    """One unit, one step: the gate order i, f, g, o of the weight rows, and c' = f c + i g, h' = o tanh(c')."""
    lstm = double(nn.LSTM(1, 1))
    with fastgrad.no_grad():
        lstm.weight_ih_l0.copy_(fastgrad.tensor([[1.0], [2.0], [3.0], [4.0]]))
        lstm.weight_hh_l0.zero_()
        lstm.bias_ih_l0.zero_()
        lstm.bias_hh_l0.zero_()
    _, (h, c) = lstm(fastgrad.tensor([[[0.5]]]).double(), (fastgrad.zeros(1, 1, 1).double(), fastgrad.ones(1, 1, 1).double()))
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    expected_c = sigmoid(1.0) * 1.0 + sigmoid(0.5) * np.tanh(1.5)
    assert c.item() == pytest.approx(expected_c, rel=1e-12)
    assert h.item() == pytest.approx(sigmoid(2.0) * np.tanh(expected_c), rel=1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_dropout_only_between_layers_and_only_in_training(rng, kind):
    module = double(getattr(nn, kind)(3, 4, num_layers=2, dropout=0.5))
    x = fastgrad.tensor(rng.standard_normal((5, 2, 3)))
    module.eval()
    evaluated = module(x)[0].detach().numpy()
    np.testing.assert_array_equal(module(x)[0].detach().numpy(), evaluated)
    module.train()
    fastgrad.manual_seed(1)
    trained = module(x)[0].detach().numpy()
    assert not np.allclose(trained, evaluated)
    with pytest.warns(UserWarning, match="num_layers=1"):
        single = double(getattr(nn, kind)(3, 4, dropout=0.5))
    single.train()
    single_train = single(x)[0].detach().numpy()
    single.eval()
    np.testing.assert_array_equal(single(x)[0].detach().numpy(), single_train)  # nothing after the last layer


def test_gradients_reach_every_parameter_and_the_initial_states(rng):
    lstm = double(nn.LSTM(2, 3, num_layers=2, bidirectional=True))
    x = fastgrad.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    h0 = fastgrad.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    c0 = fastgrad.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)

    def run(x, h0, c0, *params):
        output, (h_n, c_n) = lstm(x, (h0, c0))
        return output, h_n, c_n

    assert fastgrad.gradcheck(run, [x, h0, c0] + list(lstm.parameters()))


def test_repr_reads_like_torch():
    assert repr(nn.LSTM(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.1, bidirectional=True)) == \
        "LSTM(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.1, bidirectional=True)"
    assert repr(nn.GRU(3, 4)) == "GRU(3, 4)"
    assert repr(nn.LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"
    assert repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4)"  # torch.nn.RNN's repr omits it too


# -- packed sequences ------------------------------------------------------------------------------------
def states_of(kind, state):
    """h_n, or (h_n, c_n), as a list."""
    return list(state) if kind == "LSTM" else [state]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_a_packed_batch_gives_what_each_sequence_gives_alone(rng, kind):
    """The oracle without PyTorch: each sequence run by itself (unpadded, batch of one) from its own
    initial state gives its packed output steps and its column of h_n (and c_n), in both directions."""
    module = double(getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True))
    lengths = [2, 5, 1, 5, 3]
    x = rng.standard_normal((5, len(lengths), 3))
    initial = [rng.standard_normal((4, len(lengths), 4)) for _ in range(2 if kind == "LSTM" else 1)]
    hx = tuple(map(fastgrad.tensor, initial)) if kind == "LSTM" else fastgrad.tensor(initial[0])
    packed = pack_padded_sequence(fastgrad.tensor(x), lengths, enforce_sorted=False)
    output, state = module(packed, hx)
    assert isinstance(output, PackedSequence) and output.batch_sizes is packed.batch_sizes
    assert output.sorted_indices is packed.sorted_indices and output.unsorted_indices is packed.unsorted_indices
    padded, _ = pad_packed_sequence(output)
    for b, n in enumerate(lengths):
        alone_hx = [fastgrad.tensor(s[:, b:b + 1]) for s in initial]
        alone_output, alone_state = module(fastgrad.tensor(x[:n, b:b + 1]),
                                           tuple(alone_hx) if kind == "LSTM" else alone_hx[0])
        np.testing.assert_allclose(padded.detach().numpy()[:n, b:b + 1], alone_output.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
        assert not padded.detach().numpy()[n:, b].any()
        for final, alone_final in zip(states_of(kind, state), states_of(kind, alone_state)):
            np.testing.assert_allclose(final.detach().numpy()[:, b:b + 1], alone_final.detach().numpy(), rtol=1e-12,
                                       atol=1e-12)


def test_packed_output_feeds_the_next_recurrent_layer(rng):
    first, second = double(nn.GRU(3, 4, bidirectional=True)), double(nn.LSTM(8, 2))
    packed = pack_sequence([fastgrad.tensor(rng.standard_normal((n, 3))) for n in (2, 4, 3)], enforce_sorted=False)
    output, (h_n, _) = second(first(packed)[0])
    assert isinstance(output, PackedSequence) and output.data.shape == (9, 2) and h_n.shape == (1, 3, 2)
    padded, lengths = pad_packed_sequence(output, batch_first=True)
    assert lengths.tolist() == [2, 4, 3]
    # each one's last step
    np.testing.assert_array_equal(h_n.detach().numpy()[0], padded.detach().numpy()[[0, 1, 2], [1, 3, 2]])


packed_batches = st.lists(st.integers(1, 3), min_size=1, max_size=3).flatmap(
    lambda lengths: st.tuples(st.just(lengths), st.integers(0, 2**16)))


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=packed_batches)
def test_packed_gradients(backend_name, kind, batch):
    """Through packing, two bidirectional layers and padding back: the padded input, the initial state
    (in the caller's order) and the weights of the second layer's reverse direction."""
    lengths, seed = batch
    module = double(getattr(nn, kind)(2, 2, num_layers=2, bidirectional=True))
    x = leaf((max(lengths), len(lengths), 2), seed)
    states = [leaf((4, len(lengths), 2), seed + 1 + k) for k in range(2 if kind == "LSTM" else 1)]

    def run(x, *states_and_weights):  # the weights are the module's own: gradcheck perturbs them in place
        hx = tuple(states_and_weights[:2]) if kind == "LSTM" else states_and_weights[0]
        output, state = module(pack_padded_sequence(x, lengths, enforce_sorted=False), hx)
        return [pad_packed_sequence(output)[0]] + states_of(kind, state)

    check(backend_name, run, x, *states, module.weight_ih_l1_reverse, module.weight_hh_l1_reverse)


# -- bad arguments ---------------------------------------------------------------------------------------
def test_constructor_errors():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size, got proj_size=4"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size must be zero .* got -1"):
        nn.LSTM(3, 4, proj_size=-1)
    with pytest.raises(ValueError, match=r"GRU: dropout must be a number in \[0, 1\].*got 1.5"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="LSTM: num_layers must be an integer greater than zero, got 0"):
        nn.LSTM(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="GRU: hidden_size must be greater than zero, got 0"):
        nn.GRU(3, 0)
    with pytest.raises(TypeError, match="LSTMCell: hidden_size must be an integer, got float"):
        nn.LSTMCell(3, 4.0)


def test_input_and_state_shape_errors():
    lstm, gru = nn.LSTM(3, 4, num_layers=2), nn.GRU(3, 4)
    with pytest.raises(ValueError, match=r"LSTM: input has shape \(5, 2, 6\), expected \(T, B, 3\)"):
        lstm(fastgrad.randn(5, 2, 6))
    with pytest.raises(ValueError, match=r"GRU: input has shape \(2, 5, 2, 3\)"):
        gru(fastgrad.randn(2, 5, 2, 3))
    with pytest.raises(ValueError, match=r"LSTM: hx\[0\] \(h_0\) has shape \(1, 2, 4\), expected \(2, 2, 4\) "
                                         r"\(num_layers \* num_directions, batch, hidden_size\)"):
        lstm(fastgrad.randn(5, 2, 3), (fastgrad.zeros(1, 2, 4), fastgrad.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match=r"LSTM: hx\[1\] \(c_0\) has shape \(2, 3, 4\), expected \(2, 2, 4\)"):
        lstm(fastgrad.randn(5, 2, 3), (fastgrad.zeros(2, 2, 4), fastgrad.zeros(2, 3, 4)))
    with pytest.raises(ValueError, match=r"GRU: hx has shape \(1, 2, 4\), expected \(1, 4\) "
                                         r"\(num_layers \* num_directions, hidden_size\)"):
        gru(fastgrad.randn(5, 3), fastgrad.zeros(1, 2, 4))  # unbatched input needs an unbatched state
    with pytest.raises(TypeError, match=r"LSTM: hx must be a tuple \(h_0, c_0\) of two Tensors, got Tensor"):
        lstm(fastgrad.randn(5, 2, 3), fastgrad.zeros(2, 2, 4))
    with pytest.raises(TypeError, match="LSTM: hx must be a tuple .* got tuple of length 1"):
        lstm(fastgrad.randn(5, 2, 3), (fastgrad.zeros(2, 2, 4),))
    with pytest.raises(TypeError, match="GRU: hx must be a Tensor, got tuple"):
        gru(fastgrad.randn(5, 2, 3), (fastgrad.zeros(1, 2, 4),))
    with pytest.raises(ValueError, match=r"GRU: input has shape \(0, 2, 3\) with no time steps"):
        gru(fastgrad.randn(0, 2, 3))


def test_packed_input_and_state_errors():
    lstm = nn.LSTM(3, 4, num_layers=2)
    packed = pack_sequence([fastgrad.randn(3, 3), fastgrad.randn(2, 3)])
    with pytest.raises(ValueError, match=r"LSTM: a packed input's data has shape \(5, 2\), expected \(N, 3\)"):
        lstm(pack_sequence([fastgrad.randn(3, 2), fastgrad.randn(2, 2)]))
    with pytest.raises(ValueError, match=r"GRU: a packed input's data has shape \(5, 1, 3\), expected \(N, 3\)"):
        nn.GRU(3, 4)(pack_sequence([fastgrad.randn(3, 1, 3), fastgrad.randn(2, 1, 3)]))
    with pytest.raises(ValueError, match=r"LSTM: hx\[0\] \(h_0\) has shape \(2, 3, 4\), expected \(2, 2, 4\) "
                                         r"\(num_layers \* num_directions, batch, hidden_size\)"):
        lstm(packed, (fastgrad.zeros(2, 3, 4), fastgrad.zeros(2, 3, 4)))
    with pytest.raises(ValueError, match=r"RNN: hx has shape \(1, 4\), expected \(1, 2, 4\)"):
        nn.RNN(3, 4)(packed, fastgrad.zeros(1, 4))  # a packed batch needs a batched state
    with pytest.raises(TypeError, match="GRU: hx must be a Tensor, got tuple"):
        nn.GRU(3, 4)(packed, (fastgrad.zeros(1, 2, 4),))
    with pytest.raises(ValueError, match="GRU: input has dtype float64, expected the weights' dtype float32"):
        nn.GRU(3, 4)(packed.double())


def test_functional_lengths_errors():
    x, h = fastgrad.randn(4, 2, 3), fastgrad.zeros(2, 4)
    weights = (fastgrad.zeros(16, 3), fastgrad.zeros(16, 4))
    with pytest.raises(ValueError, match=r"lstm: lengths must lie in \[1, 4\] \(the input's time steps\), "
                                         r"got \[5, 1\]"):
        F.lstm(x, (h, h), *weights, lengths=[5, 1])
    with pytest.raises(ValueError, match=r"rnn: lengths must lie in \[1, 4\] .* got \[0, 1\]"):
        F.rnn(x, h, fastgrad.zeros(4, 3), fastgrad.zeros(4, 4), lengths=[0, 1])
    with pytest.raises(ValueError, match=r"gru: lengths must be 2 integers \(one per sequence of input \(4, 2, 3\)\), "
                                         r"got dtype int64 and shape \(3,\)"):
        F.gru(x, h, fastgrad.zeros(12, 3), fastgrad.zeros(12, 4), lengths=[1, 2, 3])
    with pytest.raises(ValueError, match="lstm: lengths must be 2 integers .* got dtype float64"):
        F.lstm(x, (h, h), *weights, lengths=[1.0, 2.0])


def test_cell_errors():
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"LSTMCell: input has shape \(2, 5\), expected \(batch, 3\)"):
        cell(fastgrad.randn(2, 5))
    with pytest.raises(ValueError, match=r"LSTMCell: input has shape \(1, 2, 3\)"):
        cell(fastgrad.randn(1, 2, 3))
    with pytest.raises(ValueError, match=r"LSTMCell: hx\[0\] \(h\) has shape \(3, 4\), expected \(2, 4\)"):
        cell(fastgrad.randn(2, 3), (fastgrad.zeros(3, 4), fastgrad.zeros(2, 4)))
    with pytest.raises(TypeError, match=r"LSTMCell: hx must be a tuple \(h, c\)"):
        cell(fastgrad.randn(2, 3), fastgrad.zeros(2, 4))
    with pytest.raises(ValueError, match=r"GRUCell: hx has shape \(4,\), expected \(2, 4\)"):
        nn.GRUCell(3, 4)(fastgrad.randn(2, 3), fastgrad.zeros(4))


def test_functional_errors_name_the_argument():
    x = fastgrad.randn(5, 2, 3)
    h = fastgrad.zeros(2, 4)
    with pytest.raises(ValueError, match=r"lstm: weight_hh has shape \(12, 4\), expected \(4 \* hidden, hidden\)"):
        F.lstm(x, (h, h), fastgrad.zeros(16, 3), fastgrad.zeros(12, 4))
    with pytest.raises(ValueError, match=r"gru: weight_ih has shape \(12, 2\), expected \(3 \* hidden, input size\) = "
                                         r"\(12, 3\)"):
        F.gru(x, h, fastgrad.zeros(12, 2), fastgrad.zeros(12, 4))
    with pytest.raises(ValueError, match=r"lstm: c_0 has shape \(2, 5\), expected \(batch, hidden\) = \(2, 4\)"):
        F.lstm(x, (h, fastgrad.zeros(2, 5)), fastgrad.zeros(16, 3), fastgrad.zeros(16, 4))
    with pytest.raises(ValueError, match=r"gru: bias_hh has shape \(4,\), expected \(12,\)"):
        F.gru(x, h, fastgrad.zeros(12, 3), fastgrad.zeros(12, 4), None, fastgrad.zeros(4))
    with pytest.raises(TypeError, match=r"lstm: hx must be a pair \(h_0, c_0\)"):
        F.lstm(x, h, fastgrad.zeros(16, 3), fastgrad.zeros(16, 4))
    with pytest.raises(ValueError, match=r"gru: input has shape \(2, 3\), expected a 3-D \(T, B, I\) sequence"):
        F.gru(fastgrad.randn(2, 3), h, fastgrad.zeros(12, 3), fastgrad.zeros(12, 4))


def test_functional_lstm_on_an_empty_sequence_returns_the_initial_state():
    h, c = fastgrad.ones(2, 4), fastgrad.full((2, 4), 2.0)
    output, (h_n, c_n) = F.lstm(fastgrad.zeros(0, 2, 3), (h, c), fastgrad.zeros(16, 3), fastgrad.zeros(16, 4))
    assert output.shape == (0, 2, 4) and h_n is h and c_n is c


@pytest.mark.parametrize("make, error", [
    (lambda: nn.LSTM(3, 4)(fastgrad.zeros(2, 1, 3, dtype=fastgrad.float64)), ValueError),
    (lambda: nn.GRU(3, 4)(fastgrad.zeros(2, 1, 3), fastgrad.zeros(1, 1, 4, dtype=fastgrad.float64)), RuntimeError),
    (lambda: nn.RNNCell(3, 4)(fastgrad.zeros(1, 3, dtype=fastgrad.float64)), RuntimeError),
], ids=["LSTM input", "GRU h0", "RNNCell input"])
def test_recurrent_layers_refuse_a_dtype_other_than_their_weights(make, error):
    """NumPy would promote to float64 silently; PyTorch raises (a module's input: ValueError), and so does fastgrad."""
    with pytest.raises(error, match="expected the weights' dtype float32"):
        make()

"""torch's top-level (aten) forms of the recurrent layers and cells, which take the weights as arguments:
`torch.lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)` with
`params` the flat list an nn.LSTM holds (per layer, then per direction: w_ih, w_hh and, with has_biases, b_ih,
b_hh), its packed-data overload `torch.lstm(data, batch_sizes, hx, params, has_biases, num_layers, dropout,
train, bidirectional)`, the same two for gru, rnn_tanh and rnn_relu, and the single steps lstm_cell, gru_cell,
rnn_tanh_cell and rnn_relu_cell. They run the layers of nn.RNN/LSTM/GRU (F.rnn, F.lstm, F.gru), stacked as
those modules stack them."""
from __future__ import annotations

import functools

import numpy as np

from fastgrad.functional_forms import _flag
from fastgrad.nn import functional as F
from fastgrad.nn.modules.rnn import run_gru_layer, run_lstm_layer, run_rnn_layer, run_stacked_layers
from fastgrad.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from fastgrad.tensor import Tensor


# -- single steps: input (B, I), states (B, H) ------------------------------------------------------
def _step_input(name: str, input) -> Tensor:
    """The input as a sequence of one step; aten's cells take a batch only (PyTorch fails on a 1-D input)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim != 2:
        raise ValueError(f"{name}: input must be 2-D (batch, input_size), got shape {input.shape}")
    return input.unsqueeze(0)


def _state(name: str, label: str, hx) -> Tensor:
    if not isinstance(hx, Tensor):
        raise TypeError(f"{name}: {label} must be a Tensor, got {type(hx).__name__}")
    return hx


def _state_pair(name: str, hx) -> tuple[Tensor, Tensor]:
    if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
        raise TypeError(f"{name}: hx must be a list or tuple of two Tensors (h, c), got {type(hx).__name__}"
                        + (f" of length {len(hx)}" if isinstance(hx, (tuple, list)) else ""))
    return _state(name, "hx[0]", hx[0]), _state(name, "hx[1]", hx[1])


def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step: hx = (h, c) -> (h', c'), gates i, f, g, o as nn.LSTMCell."""
    _, (h, c) = F.lstm(_step_input("lstm_cell", input), _state_pair("lstm_cell", hx), w_ih, w_hh, b_ih, b_hh)
    return h, c


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step: h -> h', gates r, z, n as nn.GRUCell."""
    return F.gru(_step_input("gru_cell", input), _state("gru_cell", "hx", hx), w_ih, w_hh, b_ih, b_hh)[0]


def _rnn_cell(name: str, nonlinearity: str, input, hx, w_ih, w_hh, b_ih, b_hh) -> Tensor:
    return F.rnn(_step_input(name, input), _state(name, "hx", hx), w_ih, w_hh, b_ih, b_hh,
                 nonlinearity=nonlinearity)[0]


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """One Elman step, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return _rnn_cell("rnn_tanh_cell", "tanh", input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                  b_hh: Tensor | None = None) -> Tensor:
    """One Elman step, h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return _rnn_cell("rnn_relu_cell", "relu", input, hx, w_ih, w_hh, b_ih, b_hh)


# -- whole layers: every layer and direction from a flat parameter list ------------------------------
def _layer_weights(name: str, params, has_biases, num_layers, bidirectional) -> list:
    """The flat params grouped per layer, then per direction, as (w_ih, w_hh, b_ih, b_hh) (None for no biases),
    after checking their count."""
    per_layer = 4 if _flag(name, "has_biases", has_biases) else 2
    directions = 2 if _flag(name, "bidirectional", bidirectional) else 1
    if isinstance(num_layers, (bool, np.bool_)) or not isinstance(num_layers, (int, np.integer)):
        raise TypeError(f"{name}: num_layers must be an int, got {type(num_layers).__name__}")
    if num_layers < 1:
        raise ValueError(f"{name}: num_layers must be at least 1, got {num_layers}")
    if not (isinstance(params, (tuple, list)) and all(isinstance(p, Tensor) for p in params)):
        raise TypeError(f"{name}: params must be a list of Tensors, got {type(params).__name__}")
    if len(params) != num_layers * directions * per_layer:
        raise ValueError(f"{name}: params must hold {num_layers * directions * per_layer} tensors (num_layers "
                         f"{num_layers} x {directions} direction(s) x {per_layer} (w_ih, w_hh"
                         f"{', b_ih, b_hh' if per_layer == 4 else ''})), got {len(params)}"
                         + ("; LSTM projections (w_hr) are not supported" if name == "lstm" else ""))
    weights = [tuple(params[start:start + per_layer]) + (None, None) * (per_layer == 2)
               for start in range(0, len(params), per_layer)]
    return [weights[layer * directions:(layer + 1) * directions] for layer in range(num_layers)]


def _stacked(name: str, run_layer, input, states: tuple[Tensor, ...], params, has_biases, num_layers, dropout,
             train, bidirectional, batch_first=False, lengths: np.ndarray | None = None) -> tuple:
    """The layers over input (T, B, I), or (B, T, I) with batch_first, from the initial states (each
    (num_layers * D, B, H)): (the last layer's output (T, B, D*H), or (B, T, D*H), the final states, each
    (num_layers * D, B, H))."""
    weights = _layer_weights(name, params, has_biases, num_layers, bidirectional)
    train, batch_first = _flag(name, "train", train), _flag(name, "batch_first", batch_first)
    if isinstance(dropout, (bool, np.bool_)) or not isinstance(dropout, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name}: dropout must be a float, got {type(dropout).__name__}")
    if not 0.0 <= dropout <= 1.0:
        raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout}")
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim != 3 or input.shape[1 if batch_first else 0] == 0:
        raise ValueError(f"{name}: input must be a 3-D sequence ({'B, T' if batch_first else 'T, B'}, I) of at least "
                         f"one step, got shape {input.shape}")
    if batch_first:
        input = input.transpose(0, 1)
    count = num_layers * len(weights[0])
    for index, state in enumerate(states):
        if state.ndim != 3 or state.shape[:2] != (count, input.shape[1]):
            label = "hx" if len(states) == 1 else f"hx[{index}]"
            raise ValueError(f"{name}: {label} has shape {state.shape}, expected (num_layers * num_directions, "
                             f"batch, hidden_size) with {count} and batch {input.shape[1]}")
    output, finals = run_stacked_layers(run_layer, input, states, weights, float(dropout), train, lengths)
    return (output.transpose(0, 1) if batch_first else output), *finals


def _overloads(name: str, run_layer, states_of, args: tuple, kwargs: dict) -> tuple:
    """A layer form's two overloads, told apart by the arguments: (input, hx, params, has_biases, num_layers,
    dropout, train, bidirectional, batch_first) and the packed (data, batch_sizes, hx, params, has_biases,
    num_layers, dropout, train, bidirectional), where data (N, I) holds the valid steps of B sequences sorted
    longest first (PackedSequence.data), batch_sizes how many of them run at each step, and hx follows the
    same order. Returns (output, *final states); the packed overload's output is packed data (N, D*H)."""

    def from_input(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
        return _stacked(name, run_layer, input, states_of(name, hx), params, has_biases, num_layers, dropout, train,
                        bidirectional, batch_first)

    def from_data(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional):
        if not isinstance(batch_sizes, Tensor) or batch_sizes.dtype != np.int64:
            raise TypeError(f"{name}: batch_sizes must be an int64 Tensor, got "
                            f"{getattr(batch_sizes, 'dtype', type(batch_sizes).__name__)}")
        padded, lengths = pad_packed_sequence(PackedSequence(data, batch_sizes))
        output, *finals = _stacked(name, run_layer, padded, states_of(name, hx), params, has_biases, num_layers,
                                   dropout, train, bidirectional, lengths=lengths._data)
        return pack_padded_sequence(output, lengths).data, *finals

    # the second argument is batch_sizes, a Tensor; the input overload's hx is one too for a single state
    single = states_of is _single_state
    packed = "data" in kwargs or "batch_sizes" in kwargs or (len(args) > 1 and isinstance(args[1], Tensor) and (
        not single or "hx" in kwargs or (len(args) > 2 and isinstance(args[2], Tensor))))
    return (from_data if packed else from_input)(*args, **kwargs)


def _single_state(name: str, hx) -> tuple[Tensor]:
    return (_state(name, "hx", hx),)


def lstm(*args, **kwargs) -> tuple[Tensor, Tensor, Tensor]:
    """torch.lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first) with
    hx = [h_0, c_0] -> (output (T, B, D*H), or (B, T, D*H) with batch_first; h_n; c_n), each state
    (num_layers * D, B, H), or torch.lstm(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
    bidirectional) -> (the output's packed data, h_n, c_n)."""
    return _overloads("lstm", run_lstm_layer, _state_pair, args, kwargs)


def gru(*args, **kwargs) -> tuple[Tensor, Tensor]:
    """torch.gru, lstm's two signatures with one state: hx (num_layers * D, B, H) -> (output, h_n)."""
    return _overloads("gru", run_gru_layer, _single_state, args, kwargs)


def rnn_tanh(*args, **kwargs) -> tuple[Tensor, Tensor]:
    """torch.rnn_tanh: the Elman layers with tanh, with gru's signatures."""
    return _overloads("rnn_tanh", run_rnn_layer, _single_state, args, kwargs)


def rnn_relu(*args, **kwargs) -> tuple[Tensor, Tensor]:
    """torch.rnn_relu: the Elman layers with relu, with gru's signatures."""
    return _overloads("rnn_relu", functools.partial(run_rnn_layer, nonlinearity="relu"), _single_state, args, kwargs)

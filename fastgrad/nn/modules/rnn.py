"""Recurrent layers as in `torch.nn`: RNN, LSTM and GRU stacked layer by layer (and direction by direction)
over the whole-sequence functions `F.rnn`, `F.lstm` and `F.gru`, on padded batches or packed sequences,
and the single-step LSTMCell and GRUCell.

Parameter names, shapes, gate order and initialisation are PyTorch's, so a PyTorch state dict loads as
it is (`Module.load_state_dict` after `nn.utils.convert_torch_state_dict`).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from fastgrad.dtypes import dtype_or_default
from fastgrad.functions import cat, stack, where
from fastgrad.nn import functional as F
from fastgrad.nn import init
from fastgrad.nn.modules.module import Module
from fastgrad.nn.parameter import Parameter
from fastgrad.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from fastgrad.tensor import Tensor, check_device


def _uniform_init(module: Module, hidden_size: int) -> None:
    # PyTorch's default for every recurrent weight and bias: U(-1/sqrt(H), 1/sqrt(H)).
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for param in module.parameters():
        init.uniform_(param, -bound, bound)


def _check_sizes(name: str, input_size: int, hidden_size: int) -> None:
    for argument, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{name}: {argument} must be an integer, got {type(value).__name__}")
    if input_size < 0:
        raise ValueError(f"{name}: input_size must be non-negative, got {input_size}")
    if hidden_size <= 0:
        raise ValueError(f"{name}: hidden_size must be greater than zero, got {hidden_size}")


def run_stacked_layers(run_layer, input: Tensor, states: tuple[Tensor, ...], weights: list, dropout: float,
                       training: bool, lengths: np.ndarray | None = None) -> tuple[Tensor, tuple[Tensor, ...]]:
    """Layers stacked over input (T, B, I): weights[layer][direction] holds (weight_ih, weight_hh, bias_ih,
    bias_hh) (None for no biases), and layer k + 1 reads layer k's output, both directions side by side,
    after dropout (in training, when dropout > 0). run_layer(input, state, weights, reverse, lengths) runs
    one layer in one direction from its initial `state` (the states' tensors at index layer * D +
    direction). Returns (the last layer's output (T, B, D*H), the final states, each (num_layers * D, B, H))."""
    finals: list[list[Tensor]] = [[] for _ in states]
    output = input
    for layer, directions in enumerate(weights):
        if layer > 0 and dropout > 0:
            output = F.dropout(output, dropout, training)
        outputs = []
        for direction, layer_weights in enumerate(directions):
            index = layer * len(directions) + direction
            layer_output, final = run_layer(output, tuple(state[index] for state in states), layer_weights,
                                            direction == 1, lengths)
            outputs.append(layer_output)
            for collected, tensor in zip(finals, final):
                collected.append(tensor)
        output = outputs[0] if len(outputs) == 1 else cat(outputs, dim=2)
    return output, tuple(stack(collected) for collected in finals)


def run_rnn_layer(input: Tensor, state: tuple[Tensor], weights: tuple, reverse: bool, lengths: np.ndarray | None,
                  nonlinearity: str = "tanh") -> tuple[Tensor, tuple[Tensor]]:
    """One Elman layer in one direction: (every hidden state, (the final one,))."""
    output = F.rnn(input, state[0], *weights, nonlinearity=nonlinearity, reverse=reverse, lengths=lengths)
    return output, (F._final_states(output, reverse, lengths),)


def run_gru_layer(input: Tensor, state: tuple[Tensor], weights: tuple, reverse: bool,
                  lengths: np.ndarray | None) -> tuple[Tensor, tuple[Tensor]]:
    """One GRU layer in one direction: (every hidden state, (the final one,))."""
    output = F.gru(input, state[0], *weights, reverse=reverse, lengths=lengths)
    return output, (F._final_states(output, reverse, lengths),)


def run_lstm_layer(input: Tensor, state: tuple[Tensor, Tensor], weights: tuple, reverse: bool,
                   lengths: np.ndarray | None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """One LSTM layer in one direction: (every hidden state, (h_n, c_n)); with a fifth weight, weight_hr,
    the layer with projections."""
    if len(weights) == 5:
        return run_projected_lstm_layer(input, state, weights, reverse, lengths)
    return F.lstm(input, state, *weights, reverse=reverse, lengths=lengths)


def run_projected_lstm_layer(input: Tensor, state: tuple[Tensor, Tensor], weights: tuple, reverse: bool,
                             lengths: np.ndarray | None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """One layer of an LSTM with projections (Sak et al. 2014; PyTorch's proj_size P): the cell is H wide,
    and the hidden state it returns and feeds back is projected to P, h_t = W_hr (o_t * tanh(c_t)). The
    fused LSTM kernel has no projection, so the steps are written with differentiable ops and autograd
    takes their gradient. With lengths, a sequence's state stays as it is on its padding steps, so each
    direction starts and ends at the sequence's own steps (reverse reads the padding first); those steps
    compute from zeros, not from the padding or the kept state, so that an infinite or NaN value there cannot
    reach the weights' gradients through the zero gradient of a step that is thrown away (PyTorch never
    computes them)."""
    weight_ih, weight_hh, bias_ih, bias_hh, weight_hr = weights
    h, c = state
    steps = input.shape[0]
    valid = None if lengths is None else np.arange(steps)[:, None] < np.asarray(lengths)[None, :]
    if valid is not None and not valid.all():
        input = where(Tensor._from_data(valid[:, :, None]), input, 0.0)
    input_gates = F.linear(input, weight_ih, bias_ih)  # every step's input term at once: (T, B, 4H)
    outputs: list = [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        stepped = None if valid is None or valid[t].all() else Tensor._from_data(valid[t][:, None])
        h_read, c_read = (h, c) if stepped is None else (where(stepped, h, 0.0), where(stepped, c, 0.0))
        i, f, g, o = (input_gates[t] + F.linear(h_read, weight_hh, bias_hh)).chunk(4, dim=1)
        c_next = f.sigmoid() * c_read + i.sigmoid() * g.tanh()
        h_next = F.linear(o.sigmoid() * c_next.tanh(), weight_hr)
        if stepped is not None:
            h_next, c_next = where(stepped, h_next, h), where(stepped, c_next, c)
        h, c = h_next, c_next
        outputs[t] = h
    return stack(outputs), (h, c)


class RNNBase(Module):
    """What RNN, LSTM and GRU share: PyTorch's constructor arguments, parameters and init, the checks on
    the input and initial state, and the stacking of layers and directions.

    Per layer k and direction ("" or "_reverse"): weight_ih_lk (G*H, I for k = 0, else D*H),
    weight_hh_lk (G*H, H), bias_ih_lk and bias_hh_lk (G*H,), where G is the number of gate blocks
    (`gate_count`) and D = 2 if bidirectional else 1. `forward(input, hx=None)`: input (T, B, I), or
    (B, T, I) with batch_first, or unbatched (T, I); the initial state (each tensor (num_layers * D, B, H),
    or (num_layers * D, H) unbatched) defaults to zeros. Returns (output, final state): output (T, B, D*H)
    holds the last layer's hidden states (both directions side by side), the final state is indexed by
    layer * D + direction as in PyTorch. Dropout, when > 0, is applied at train time to every layer's
    output except the last one's.

    The input may be a PackedSequence (`nn.utils.rnn.pack_padded_sequence`), as in PyTorch: the output is
    then a PackedSequence with the input's batch_sizes and indices, hx and the final state (each
    (num_layers * D, B, H)) are in the caller's batch order, and each sequence's final state is the one
    after its own last step (for the reverse direction, after reading it from its last step back to
    its first); batch_first does not apply. It costs what the padded batch costs: the layers run over
    the padding too and those steps are thrown away.
    """

    gate_count = 1
    state_names: tuple[str, ...] = ("hx",)  # the tensors of the recurrent state, as error messages name them
    projects = False  # whether proj_size may project the hidden state (an LSTM's only, as in PyTorch)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None, *, proj_size: int = 0) -> None:
        super().__init__()
        name = type(self).__name__
        check_device(name, device)
        _check_sizes(name, input_size, hidden_size)
        if proj_size and not self.projects:
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or GRU")
        if not isinstance(num_layers, (int, np.integer)) or isinstance(num_layers, bool) or num_layers < 1:
            raise ValueError(f"{name}: num_layers must be an integer greater than zero, got {num_layers!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be a number in [0, 1] (the probability of zeroing an element), "
                             f"got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            caller = 2 if type(self).__init__ is RNNBase.__init__ else 3  # point at the user's line, past RNN/LSTM
            warnings.warn(f"{name}: dropout is applied between recurrent layers, so dropout={dropout} with "
                          "num_layers=1 does nothing", UserWarning, stacklevel=caller)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bool(bidirectional), proj_size
        dtype = dtype_or_default(dtype)
        rows, output_size = self.gate_count * hidden_size, self._output_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else output_size * self.num_directions
            for suffix in self._suffixes():
                setattr(self, f"weight_ih_l{layer}{suffix}", Parameter(np.empty((rows, layer_input), dtype=dtype)))
                setattr(self, f"weight_hh_l{layer}{suffix}", Parameter(np.empty((rows, output_size), dtype=dtype)))
                if bias:
                    setattr(self, f"bias_ih_l{layer}{suffix}", Parameter(np.empty(rows, dtype=dtype)))
                    setattr(self, f"bias_hh_l{layer}{suffix}", Parameter(np.empty(rows, dtype=dtype)))
                if proj_size:
                    setattr(self, f"weight_hr_l{layer}{suffix}",
                            Parameter(np.empty((proj_size, hidden_size), dtype=dtype)))
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _output_size(self) -> int:
        """The width of the hidden state a layer returns and feeds back: proj_size when projected."""
        return self.proj_size or self.hidden_size

    def _state_sizes(self) -> tuple[int, ...]:
        """The width of each tensor of the recurrent state (`state_names`): only the hidden state is projected,
        an LSTM's cell state stays hidden_size wide."""
        return (self._output_size,) + (self.hidden_size,) * (len(self.state_names) - 1)

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_parameters(self) -> None:
        _uniform_init(self, self.hidden_size)

    def _layer_weights(self, layer: int, suffix: str) -> tuple:
        names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
        if self.bias:
            names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
        weights = tuple(getattr(self, name) for name in names) + (None,) * (4 - len(names))
        return weights + (getattr(self, f"weight_hr_l{layer}{suffix}"),) if self.proj_size else weights

    def _run_layer(self, input: Tensor, state: tuple[Tensor, ...], weights: tuple, reverse: bool,
                   lengths: np.ndarray | None) -> tuple[Tensor, tuple[Tensor, ...]]:
        """One layer in one direction, over sequences `lengths[b]` valid steps long if given: (every hidden
        state (T, B, H), the final state's tensors)."""
        raise NotImplementedError

    def _initial_state(self, hx) -> tuple[Tensor, ...] | None:
        """The initial state as a tuple of tensors (one per name in `state_names`)."""
        if hx is None:
            return None
        if not isinstance(hx, Tensor):
            raise TypeError(f"{type(self).__name__}: hx must be a Tensor, got {type(hx).__name__}")
        return (hx,)

    def _final_state(self, states: tuple[Tensor, ...]):
        return states[0]

    def flatten_parameters(self) -> None:
        """PyTorch packs the weights into one cuDNN buffer here; on the CPU there is nothing to do."""

    def _checked_states(self, hx, batch: int, unbatched: bool) -> tuple[Tensor, ...] | None:
        """The initial state's tensors after checking their shapes against a batch of `batch` sequences."""
        count = self.num_layers * self.num_directions
        states = self._initial_state(hx)
        for state_name, state, size in zip(self.state_names, states or (), self._state_sizes()):
            expected = (count, size) if unbatched else (count, batch, size)
            if state.shape != expected:
                width = "proj_size" if size != self.hidden_size else "hidden_size"
                raise ValueError(f"{type(self).__name__}: {state_name} has shape {state.shape}, expected {expected} "
                                 f"(num_layers * num_directions, {'' if unbatched else 'batch, '}{width})")
        return states

    def _check_input_dtype(self, input: Tensor) -> None:
        """PyTorch's RNN modules check the input's dtype first, with a ValueError (a state's or a cell's
        mismatch is the RuntimeError of the functions below)."""
        if input.dtype != self.weight_ih_l0.dtype:
            raise ValueError(f"{type(self).__name__}: input has dtype {input.dtype}, expected the weights' dtype "
                             f"{self.weight_ih_l0.dtype} (convert the input, or the module with .to(dtype))")

    def forward(self, input: Tensor | PackedSequence, hx=None):
        self._check_input_dtype(input.data if isinstance(input, PackedSequence) else input)
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        name = type(self).__name__
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has shape {input.shape}, expected (T, B, {self.input_size}), "
                             f"(B, T, {self.input_size}) with batch_first, or unbatched (T, {self.input_size})")
        unbatched = input.ndim == 2
        time_axis = 1 if self.batch_first and not unbatched else 0
        if input.shape[time_axis] == 0:
            raise ValueError(f"{name}: input has shape {input.shape} with no time steps; expected a sequence "
                             "length of at least 1")
        states = self._checked_states(hx, 1 if unbatched else input.shape[1 - time_axis], unbatched)
        if unbatched:
            input = input.unsqueeze(1)
            states = None if states is None else tuple(state.unsqueeze(1) for state in states)
        elif self.batch_first:
            input = input.transpose(0, 1)
        output, final_states = self._run_layers(input, states)
        if unbatched:
            output = output.squeeze(1)
            final_states = tuple(state.squeeze(1) for state in final_states)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, self._final_state(final_states)

    def _forward_packed(self, packed: PackedSequence, hx):
        """PyTorch's packed path: hx and the final state are in the caller's batch order, the sequences run
        longest first (packed.sorted_indices). The packed data is padded, every layer runs over the padded
        batch with each sequence's length (so that each direction starts and ends at its own steps), and
        the valid steps of the output are packed again; the steps computed on padding are thrown away."""
        if packed.data.ndim != 2 or packed.data.shape[1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: a packed input's data has shape {packed.data.shape}, expected "
                             f"(N, {self.input_size}): one row of input_size {self.input_size} per valid step")
        padded, lengths = pad_packed_sequence(PackedSequence(packed.data, packed.batch_sizes))  # longest first
        states = self._checked_states(hx, padded.shape[1], unbatched=False)
        if states is not None and packed.sorted_indices is not None:
            states = tuple(state.index_select(1, packed.sorted_indices) for state in states)
        output, final_states = self._run_layers(padded, states, lengths._data)
        if packed.unsorted_indices is not None:
            final_states = tuple(state.index_select(1, packed.unsorted_indices) for state in final_states)
        output = PackedSequence(pack_padded_sequence(output, lengths).data, packed.batch_sizes,
                                packed.sorted_indices, packed.unsorted_indices)
        return output, self._final_state(final_states)

    def _run_layers(self, input: Tensor, states: tuple[Tensor, ...] | None,
                    lengths: np.ndarray | None = None) -> tuple[Tensor, tuple[Tensor, ...]]:
        """Every layer and direction over input (T, B, I) from the initial states (zeros for None), each
        sequence `lengths[b]` valid steps long if given: (the last layer's output (T, B, D*H), the final
        states, each (num_layers * D, B, H))."""
        if states is None:
            states = tuple(Tensor._from_data(np.zeros((self.num_layers * self.num_directions, input.shape[1], size),
                                                      dtype=input.dtype)) for size in self._state_sizes())
        weights = [[self._layer_weights(layer, suffix) for suffix in self._suffixes()]
                   for layer in range(self.num_layers)]
        return run_stacked_layers(self._run_layer, input, states, weights, self.dropout, self.training, lengths)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        return text


class RNN(RNNBase):
    """Elman RNN, h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) with f = tanh or relu, as `torch.nn.RNN`.
    forward(input, hx=None) -> (output, h_n); shapes and options in `RNNBase`."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device,
                         dtype)
        self.nonlinearity = nonlinearity

    def _run_layer(self, input, state, weights, reverse, lengths):
        return run_rnn_layer(input, state, weights, reverse, lengths, self.nonlinearity)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al. 2014) as `torch.nn.GRU`, gates r, z, n:

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)     z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))  h' = (1 - z) * n + z * h

    forward(input, hx=None) -> (output, h_n); shapes and options in `RNNBase` (G = 3 gate blocks)."""

    gate_count = 3

    _run_layer = staticmethod(run_gru_layer)


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997; forget gate: Gers et al. 2000) as
    `torch.nn.LSTM`, gates i, f, g, o:

        i, f, o = sigmoid(W_i* x + b_i* + W_h* h + b_h*)   g = tanh(W_ig x + b_ig + W_hg h + b_hg)
        c' = f * c + i * g                               h' = o * tanh(c')

    forward(input, hx=None) with hx = (h_0, c_0) -> (output, (h_n, c_n)); shapes and options in `RNNBase`
    (G = 4 gate blocks). With proj_size P > 0 (an LSTM with projections) the hidden state is projected,
    h = W_hr (o * tanh(c)) with weight_hr_lk (P, H) per layer and direction: weight_hh_lk is (4H, P),
    h_0, h_n and the output are P wide per direction (layer k + 1 reads D*P), c_0 and c_n stay H wide.
    """

    gate_count = 4
    state_names = ("hx[0] (h_0)", "hx[1] (c_0)")
    projects = True

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        if not isinstance(proj_size, (int, np.integer)) or isinstance(proj_size, bool):
            raise TypeError(f"LSTM: proj_size must be an integer, got {type(proj_size).__name__}")
        if proj_size < 0:
            raise ValueError(f"LSTM: proj_size must be zero (no projection) or positive, got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(f"LSTM: proj_size has to be smaller than hidden_size, got proj_size={proj_size} and "
                             f"hidden_size={hidden_size}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device,
                         dtype, proj_size=int(proj_size))

    def _initial_state(self, hx):
        if hx is None:
            return None
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2 and all(isinstance(t, Tensor) for t in hx)):
            raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0) of two Tensors, got {type(hx).__name__}"
                            + (f" of length {len(hx)}" if isinstance(hx, (tuple, list)) else ""))
        return tuple(hx)

    def _final_state(self, states):
        return states

    _run_layer = staticmethod(run_lstm_layer)


class RNNCellBase(Module):
    """A single recurrent step with PyTorch's parameters: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih
    and bias_hh (G*H,), initialised U(-1/sqrt(H), 1/sqrt(H)). It runs the sequence kernels for one step,
    so a cell and a one-layer sequence module compute the same numbers."""

    gate_count = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        check_device(type(self).__name__, device)
        _check_sizes(type(self).__name__, input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = dtype_or_default(dtype)
        rows = self.gate_count * hidden_size
        self.weight_ih = Parameter(np.empty((rows, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((rows, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(rows, dtype=dtype))
            self.bias_hh = Parameter(np.empty(rows, dtype=dtype))
        else:
            self.bias_ih = self.bias_hh = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _uniform_init(self, self.hidden_size)

    def _step_arguments(self, input: Tensor, states: tuple[Tensor | None, ...], state_names: tuple[str, ...]):
        """(input (1, B, I), states (B, H) each, zeros for None, unbatched) after checking the shapes."""
        name = type(self).__name__
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has shape {input.shape}, expected (batch, {self.input_size}) or "
                             f"unbatched ({self.input_size},)")
        unbatched = input.ndim == 1
        expected = (self.hidden_size,) if unbatched else (input.shape[0], self.hidden_size)
        for state_name, state in zip(state_names, states):
            if state is not None and state.shape != expected:
                raise ValueError(f"{name}: {state_name} has shape {state.shape}, expected {expected} "
                                 f"({'' if unbatched else 'batch, '}hidden_size) for input of shape {input.shape}")
        if unbatched:
            input = input.unsqueeze(0)
            states = tuple(None if state is None else state.unsqueeze(0) for state in states)
        zeros = Tensor._from_data(np.zeros((input.shape[0], self.hidden_size), dtype=input.dtype))
        return input.unsqueeze(0), tuple(zeros if state is None else state for state in states), unbatched

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class LSTMCell(RNNCellBase):
    """One LSTM step as `torch.nn.LSTMCell`: forward(input (B, I) or (I,), hx=(h, c) or None) -> (h', c')."""

    gate_count = 4

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"LSTMCell: hx must be a tuple (h, c) of two Tensors, got {type(hx).__name__}")
        sequence, (h, c), unbatched = self._step_arguments(input, hx or (None, None), ("hx[0] (h)", "hx[1] (c)"))
        _, (h_next, c_next) = F.lstm(sequence, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h_next.squeeze(0), c_next.squeeze(0)) if unbatched else (h_next, c_next)


class GRUCell(RNNCellBase):
    """One GRU step as `torch.nn.GRUCell`: forward(input (B, I) or (I,), hx (B, H) or None) -> h'."""

    gate_count = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        sequence, (h,), unbatched = self._step_arguments(input, (hx,), ("hx",))
        h_next = F.gru(sequence, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)[0]
        return h_next.squeeze(0) if unbatched else h_next


class RNNCell(RNNCellBase):
    """One Elman step, h' = f(x W_ih^T + b_ih + h W_hh^T + b_hh) with f = tanh or relu, as
    `torch.nn.RNNCell`: forward(input (B, I) or (I,), hx (B, H) or None) -> h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        sequence, (h,), unbatched = self._step_arguments(input, (hx,), ("hx",))
        h_next = F.rnn(sequence, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                       nonlinearity=self.nonlinearity)[0]
        return h_next.squeeze(0) if unbatched else h_next

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else f"{text}, nonlinearity={self.nonlinearity}"

"""Elman RNN, stacked layer by layer over the whole-sequence kernel `F.rnn`."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.dtypes import as_dtype, default_float
from fastgrad.functions import stack
from fastgrad.nn import functional as F
from fastgrad.nn import init
from fastgrad.nn.modules.module import Module
from fastgrad.nn.parameter import Parameter
from fastgrad.tensor import Tensor


class RNN(Module):
    """h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) with f = tanh or relu, as `torch.nn.RNN`.

    Parameters per layer k: weight_ih_lk (H, I or H), weight_hh_lk (H, H), bias_ih_lk, bias_hh_lk (H,).
    `forward(input, hx=None)`: input (T, B, I) ((B, T, I) if batch_first, or unbatched (T, I)),
    hx (num_layers, B, H) -> (output (T, B, H): the last layer's states, h_n (num_layers, B, H)).
    With dropout > 0, dropout is applied to every layer's output except the last, at train time.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, dtype=None) -> None:
        super().__init__()
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        if num_layers < 1:
            raise ValueError(f"RNN: num_layers must be at least 1, got {num_layers}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"RNN: dropout must be in [0, 1], got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.nonlinearity, self.bias, self.batch_first, self.dropout = nonlinearity, bias, batch_first, dropout
        dtype = as_dtype(dtype) if dtype is not None else default_float
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size
            setattr(self, f"weight_ih_l{layer}", Parameter(np.empty((hidden_size, layer_input), dtype=dtype)))
            setattr(self, f"weight_hh_l{layer}", Parameter(np.empty((hidden_size, hidden_size), dtype=dtype)))
            if bias:
                setattr(self, f"bias_ih_l{layer}", Parameter(np.empty(hidden_size, dtype=dtype)))
                setattr(self, f"bias_hh_l{layer}", Parameter(np.empty(hidden_size, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch's default: every weight and bias U(-1/sqrt(H), 1/sqrt(H)).
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def _layer_weights(self, layer: int) -> tuple:
        biases = (getattr(self, f"bias_ih_l{layer}"), getattr(self, f"bias_hh_l{layer}")) if self.bias else (None, None)
        return (getattr(self, f"weight_ih_l{layer}"), getattr(self, f"weight_hh_l{layer}")) + biases

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(f"RNN: input has shape {input.shape}, expected (T, B, {self.input_size}), "
                             f"(B, T, {self.input_size}) with batch_first, or unbatched (T, {self.input_size})")
        unbatched = input.ndim == 2
        batch = 1 if unbatched else input.shape[0 if self.batch_first else 1]
        expected_hx = (self.num_layers, self.hidden_size) if unbatched else (self.num_layers, batch, self.hidden_size)
        if hx is not None and hx.shape != expected_hx:
            raise ValueError(f"RNN: hx has shape {hx.shape}, expected {expected_hx} (num_layers, "
                             f"{'' if unbatched else 'batch, '}hidden_size)")
        if unbatched:
            input = input.unsqueeze(1)
            hx = hx.unsqueeze(1) if hx is not None else None
        elif self.batch_first:
            input = input.transpose(0, 1)
        if hx is None:
            hx = Tensor(np.zeros((self.num_layers, batch, self.hidden_size), dtype=input.dtype))
        last_states = []
        output = input
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0:
                output = F.dropout(output, self.dropout, self.training)
            output = F.rnn(output, hx[layer], *self._layer_weights(layer), nonlinearity=self.nonlinearity)
            last_states.append(output[-1])
        h_n = stack(last_states)
        if unbatched:
            return output.squeeze(1), h_n.squeeze(1)
        return (output.transpose(0, 1) if self.batch_first else output), h_n

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
        return text


class RNNCell(Module):
    """One Elman step, h' = f(x W_ih^T + b_ih + h W_hh^T + b_hh), as `torch.nn.RNNCell`: parameters
    weight_ih (H, I), weight_hh (H, H), bias_ih, bias_hh (H,), initialized like RNN's.
    `forward(input, hx=None)`: input (B, I) or unbatched (I,), hx of shape (B, H) / (H,) (zeros if
    omitted) -> h' of hx's shape."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 dtype=None) -> None:
        super().__init__()
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.input_size, self.hidden_size, self.bias, self.nonlinearity = input_size, hidden_size, bias, nonlinearity
        dtype = as_dtype(dtype) if dtype is not None else default_float
        self.weight_ih = Parameter(np.empty((hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((hidden_size, hidden_size), dtype=dtype))
        self.register_parameter("bias_ih", Parameter(np.empty(hidden_size, dtype=dtype)) if bias else None)
        self.register_parameter("bias_hh", Parameter(np.empty(hidden_size, dtype=dtype)) if bias else None)
        self.reset_parameters()

    reset_parameters = RNN.reset_parameters  # every weight and bias U(-1/sqrt(H), 1/sqrt(H))

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"RNNCell: input has shape {input.shape}, expected (batch, {self.input_size}) or "
                             f"unbatched ({self.input_size},)")
        unbatched = input.ndim == 1
        batch = 1 if unbatched else input.shape[0]
        expected_hx = (self.hidden_size,) if unbatched else (batch, self.hidden_size)
        if hx is not None and hx.shape != expected_hx:
            raise ValueError(f"RNNCell: hx has shape {hx.shape}, expected {expected_hx}")
        steps = input.reshape(1, batch, self.input_size)  # a sequence of one step for the whole-sequence kernel
        h = (Tensor(np.zeros((batch, self.hidden_size), dtype=input.dtype)) if hx is None
             else hx.reshape(batch, self.hidden_size))
        h_next = F.rnn(steps, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                       nonlinearity=self.nonlinearity)[0]
        return h_next.reshape(expected_hx)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

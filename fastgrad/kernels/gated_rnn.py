"""LSTM and GRU layers over a whole sequence: forward and backpropagation through time.

Same signatures and results as `lstm_forward`, `lstm_backward`, `gru_forward` and `gru_backward` in
`fastgrad.backends.numpy` (the formulas are in their docstrings). The matrix products stay in BLAS: the
input projection of all T steps is one product, and each step adds one recurrent product
h_{t-1} W_hh^T. What lies between the products - the gate nonlinearities and the cell update, or in the
backward the gate gradients - is one compiled pass per step, where NumPy would make about a dozen
passes with a temporary each. The weight gradients are again single products over all steps.

The compiled loops index their arrays without bounds checks: the arguments arrive checked and of one
float dtype (`fastgrad.kernels.checks`, run by the kernel registry).
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _sigmoid(v, one):
    # Split by sign so exp never overflows, as the NumPy reference does.
    if v >= 0:
        return one / (one + np.exp(-v))
    e = np.exp(v)
    return e / (one + e)


@njit(cache=True)
def _lstm_step(gates, recurrent, c_prev, h_out, c_out):
    """gates (B, 4H) holds x_t W_ih^T + b on entry and the activated i, f, g, o on return; recurrent is
    h_{t-1} W_hh^T. Writes c_t = f c_{t-1} + i g and h_t = o tanh(c_t)."""
    one = gates.dtype.type(1)
    hidden = h_out.shape[1]
    for b in range(h_out.shape[0]):
        for j in range(hidden):
            i = _sigmoid(gates[b, j] + recurrent[b, j], one)
            f = _sigmoid(gates[b, hidden + j] + recurrent[b, hidden + j], one)
            g = np.tanh(gates[b, 2 * hidden + j] + recurrent[b, 2 * hidden + j])
            o = _sigmoid(gates[b, 3 * hidden + j] + recurrent[b, 3 * hidden + j], one)
            gates[b, j], gates[b, hidden + j], gates[b, 2 * hidden + j], gates[b, 3 * hidden + j] = i, f, g, o
            c = f * c_prev[b, j] + i * g
            c_out[b, j] = c
            h_out[b, j] = o * np.tanh(c)


@njit(cache=True)
def _lstm_step_backward(g_h, g_c, carry_h, carry_c, gates, c, c_prev, d_gates):
    """One step of LSTM backpropagation: d_gates (B, 4H) from the gradients reaching h_t (g_h + carry_h)
    and c_t (g_c + carry_c + the path through h_t); carry_c is overwritten with the gradient for c_{t-1}."""
    one = gates.dtype.type(1)
    hidden = c.shape[1]
    for b in range(c.shape[0]):
        for j in range(hidden):
            i, f = gates[b, j], gates[b, hidden + j]
            g, o = gates[b, 2 * hidden + j], gates[b, 3 * hidden + j]
            tanh_c = np.tanh(c[b, j])
            dh = g_h[b, j] + carry_h[b, j]
            dc = g_c[b, j] + carry_c[b, j] + dh * o * (one - tanh_c * tanh_c)
            d_gates[b, j] = dc * g * i * (one - i)
            d_gates[b, hidden + j] = dc * c_prev[b, j] * f * (one - f)
            d_gates[b, 2 * hidden + j] = dc * i * (one - g * g)
            d_gates[b, 3 * hidden + j] = dh * tanh_c * o * (one - o)
            carry_c[b, j] = dc * f


@njit(cache=True)
def _gru_step(input_part, recurrent, b_hh, h_prev, h_out, gates):
    """input_part (B, 3H) is x_t W_ih^T + b_ih, recurrent is h_{t-1} W_hh^T. Writes h_t and the gates
    r, z, n and W_hn h_{t-1} + b_hn that the backward reads."""
    one = h_out.dtype.type(1)
    hidden = h_out.shape[1]
    for b in range(h_out.shape[0]):
        for j in range(hidden):
            r = _sigmoid(input_part[b, j] + (recurrent[b, j] + b_hh[j]), one)
            z = _sigmoid(input_part[b, hidden + j] + (recurrent[b, hidden + j] + b_hh[hidden + j]), one)
            hidden_n = recurrent[b, 2 * hidden + j] + b_hh[2 * hidden + j]
            n = np.tanh(input_part[b, 2 * hidden + j] + r * hidden_n)
            h_out[b, j] = (one - z) * n + z * h_prev[b, j]
            gates[b, j], gates[b, hidden + j], gates[b, 2 * hidden + j], gates[b, 3 * hidden + j] = r, z, n, hidden_n


@njit(cache=True)
def _gru_step_backward(g_h, carry_product, carry_direct, gates, h_prev, d_input, d_hidden):
    """One step of GRU backpropagation. The gradient reaching h_t is g_h + carry_product (the previous
    step's d_hidden W_hh) + carry_direct (its dh z); carry_direct is overwritten with this step's."""
    one = gates.dtype.type(1)
    hidden = h_prev.shape[1]
    for b in range(h_prev.shape[0]):
        for j in range(hidden):
            r, z = gates[b, j], gates[b, hidden + j]
            n, hidden_n = gates[b, 2 * hidden + j], gates[b, 3 * hidden + j]
            dh = g_h[b, j] + carry_product[b, j] + carry_direct[b, j]
            d_n = dh * (one - z) * (one - n * n)
            d_z = dh * (h_prev[b, j] - n) * z * (one - z)
            d_r = d_n * hidden_n * r * (one - r)
            d_input[b, j], d_input[b, hidden + j], d_input[b, 2 * hidden + j] = d_r, d_z, d_n
            d_hidden[b, j], d_hidden[b, hidden + j], d_hidden[b, 2 * hidden + j] = d_r, d_z, d_n * r
            carry_direct[b, j] = dh * z


def _step_inputs(x: np.ndarray, h0: np.ndarray, hs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What every step read, as (T * B, .) rows: x_t, and the state h_{t-1} it started from. The weight
    gradients are then one product each over all steps: dW_ih = d^T x, dW_hh = d^T h_{t-1}."""
    steps, batch, hidden = hs.shape
    h_prev = np.concatenate([h0[None], hs[:-1]])[:steps].reshape(steps * batch, hidden)  # [:steps]: T = 0
    return x.reshape(steps * batch, x.shape[2]), h_prev


# -- LSTM --------------------------------------------------------------------------------------------
def lstm_forward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                 bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    steps, batch, inputs = x.shape
    hidden = w_hh.shape[1]
    gates = np.matmul(x.reshape(steps * batch, inputs), w_ih.T).reshape(steps, batch, 4 * hidden)
    gates += bias
    states = np.empty((2, steps, batch, hidden), dtype=x.dtype)
    w_hh_t = np.ascontiguousarray(w_hh.T)  # h @ W^T as a plain product: BLAS runs it faster
    recurrent = np.empty((batch, 4 * hidden), dtype=x.dtype)
    h_prev, c_prev = h0, c0
    for t in range(steps):
        np.matmul(h_prev, w_hh_t, out=recurrent)
        _lstm_step(gates[t], recurrent, c_prev, states[0, t], states[1, t])
        h_prev, c_prev = states[0, t], states[1, t]
    return states, gates


def lstm_backward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                  states: np.ndarray, gates: np.ndarray, g_states: np.ndarray, need_x: bool):
    steps, batch, hidden = states.shape[1:]
    d_gates = np.empty_like(gates)
    carry_h = np.zeros((batch, hidden), dtype=x.dtype)
    carry_c = np.zeros((batch, hidden), dtype=x.dtype)
    for t in range(steps - 1, -1, -1):
        c_prev = states[1, t - 1] if t > 0 else c0
        _lstm_step_backward(g_states[0, t], g_states[1, t], carry_h, carry_c, gates[t], states[1, t], c_prev,
                            d_gates[t])
        np.matmul(d_gates[t], w_hh, out=carry_h)
    x_rows, h_prev_rows = _step_inputs(x, h0, states[0])
    flat = d_gates.reshape(steps * batch, 4 * hidden)
    dx = (flat @ w_ih).reshape(x.shape) if need_x else None
    return dx, carry_h, carry_c, flat.T @ x_rows, flat.T @ h_prev_rows, flat.sum(axis=0)


# -- GRU ---------------------------------------------------------------------------------------------
def gru_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray,
                b_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    steps, batch, inputs = x.shape
    hidden = w_hh.shape[1]
    input_part = np.matmul(x.reshape(steps * batch, inputs), w_ih.T).reshape(steps, batch, 3 * hidden)
    input_part += b_ih
    hs = np.empty((steps, batch, hidden), dtype=x.dtype)
    gates = np.empty((steps, batch, 4 * hidden), dtype=x.dtype)
    w_hh_t = np.ascontiguousarray(w_hh.T)
    recurrent = np.empty((batch, 3 * hidden), dtype=x.dtype)
    h_prev = h0
    for t in range(steps):
        np.matmul(h_prev, w_hh_t, out=recurrent)
        _gru_step(input_part[t], recurrent, b_hh, h_prev, hs[t], gates[t])
        h_prev = hs[t]
    return hs, gates


def gru_backward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, hs: np.ndarray,
                 gates: np.ndarray, g_hs: np.ndarray, need_x: bool):
    steps, batch, hidden = hs.shape
    d_input = np.empty((steps, batch, 3 * hidden), dtype=x.dtype)
    d_hidden = np.empty_like(d_input)
    carry_product = np.zeros((batch, hidden), dtype=x.dtype)
    carry_direct = np.zeros((batch, hidden), dtype=x.dtype)
    for t in range(steps - 1, -1, -1):
        h_prev = hs[t - 1] if t > 0 else h0
        _gru_step_backward(g_hs[t], carry_product, carry_direct, gates[t], h_prev, d_input[t], d_hidden[t])
        np.matmul(d_hidden[t], w_hh, out=carry_product)
    x_rows, h_prev_rows = _step_inputs(x, h0, hs)
    flat_input = d_input.reshape(steps * batch, 3 * hidden)
    flat_hidden = d_hidden.reshape(steps * batch, 3 * hidden)
    dx = (flat_input @ w_ih).reshape(x.shape) if need_x else None
    return (dx, carry_product + carry_direct, flat_input.T @ x_rows, flat_hidden.T @ h_prev_rows,
            flat_input.sum(axis=0), flat_hidden.sum(axis=0))

"""The Python face of fastgrad's C kernels (csrc/); the only module that imports them.

Each kernel has the signature and return convention of the NumPy reference of the same name in
fastgrad/backends/numpy.py. The C code trusts its arguments: the kernel registry runs the kernel's
check from `fastgrad.kernels.checks` first (types, shapes, index ranges, one C-contiguous float
dtype). Large matrix products stay in NumPy (BLAS); C does the fused passes between them. If the
compiled library is missing, this module still imports with AVAILABLE False, and the registry falls
back to the Numba or NumPy kernels (with one warning).
"""
from __future__ import annotations

import numpy as np

try:
    from fastgrad._native_lib import ffi, lib
except ImportError as error:  # not built (or built for another Python): fall back to NumPy
    IMPORT_ERROR: ImportError | None = error
else:
    IMPORT_ERROR = None

AVAILABLE = IMPORT_ERROR is None
_C_ARRAY_TYPES = {np.dtype(np.float32): "float[]", np.dtype(np.float64): "double[]"}

# Below this many elements a row-parallel loop runs on one thread: waking the thread pool costs more
# than the work, and on a busy machine a wake-up can wait a whole scheduler slice (~20 ms).
PARALLEL_MIN_ELEMENTS = 1 << 16


def _pointer(array: np.ndarray):
    """A C pointer to the array's data; valid while the array lives (the caller holds it)."""
    return ffi.from_buffer(_C_ARRAY_TYPES[array.dtype], array)


def _by_dtype(name: str) -> dict:
    """The float32 and float64 versions of C kernel `name`, keyed by NumPy dtype."""
    return {np.dtype(np.float32): getattr(lib, f"{name}_f32"), np.dtype(np.float64): getattr(lib, f"{name}_f64")}


def _num_threads(elements: int) -> int:
    """Threads for row-parallel C loops: fastgrad's one thread count (`fastgrad.threads`), as the Numba
    loops get it; one thread for small inputs."""
    if elements < PARALLEL_MIN_ELEMENTS:
        return 1
    from fastgrad.kernels.parallel import kernel_threads

    return kernel_threads()


# -- fused softmax cross-entropy -------------------------------------------------------------------
def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray, ignore_index: int, reduction: str,
                          need_grad: bool, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Cross-entropy of softmax(logits) (N, C) against int64 targets (N,), and d loss / d logits.

    Same conventions as the NumPy reference: loss is 0-d for "mean"/"sum", (N,) for "none" ("mean"
    over the counted rows, NaN when all are ignored); dlogits = softmax - onehot, divided by the
    count for "mean", zero on ignored rows, written into `out` when given (which may be `logits`).
    Per-row losses are summed in float64.
    """
    rows, classes = logits.shape
    count = rows - int(np.count_nonzero(targets == ignore_index))
    grad_scale = 1.0 / count if reduction == "mean" and count else 1.0
    row_loss = np.empty(rows, dtype=np.float64)
    dlogits = (np.empty_like(logits) if out is None else out) if need_grad else None
    _SOFTMAX_XENT[logits.dtype](_pointer(logits), ffi.from_buffer("int64_t[]", targets), rows, classes,
                                ignore_index, grad_scale, _pointer(row_loss),
                                _pointer(dlogits) if need_grad else ffi.NULL, _num_threads(logits.size))
    if reduction == "none":
        loss = row_loss.astype(logits.dtype)
    elif reduction == "sum":
        loss = np.asarray(row_loss.sum(), dtype=logits.dtype)
    else:
        loss = np.asarray(row_loss.sum() / count if count else np.nan, dtype=logits.dtype)
    return loss, dlogits


# -- Elman, LSTM and GRU layers over a whole sequence -----------------------------------------------
# Per step one BLAS product (h_{t-1} W_hh^T forward, d_gates W_hh backward) and one C pass for everything
# between products (csrc/elman_rnn.c, csrc/gated_rnn.c); everything else is a single product over all T
# steps. Formulas and shapes: the references in fastgrad/backends/numpy.py.
def _step_inputs(x: np.ndarray, h0: np.ndarray, hs: np.ndarray) -> np.ndarray:
    """What every step's gates read, as (T * B, I + H + 1) rows [x_t, h_{t-1}, 1]: the weight and bias
    gradients are then one product, d^T [x, h_prev, 1] = [dW_ih, dW_hh, db]."""
    steps, batch, hidden = hs.shape
    width = x.shape[2] + hidden + 1
    rows = np.empty((steps, batch, width), dtype=hs.dtype)
    rows[..., :x.shape[2]] = x
    if steps:
        rows[0, :, x.shape[2]:-1] = h0
        rows[1:, :, x.shape[2]:-1] = hs[:-1]
    rows[..., -1] = 1
    return rows.reshape(steps * batch, width)


def _weight_gradients(d_gates: np.ndarray, rows: np.ndarray, inputs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dW_ih, dW_hh, db) from d_gates (T * B, G) and the step inputs [x, h_prev, 1] in one product."""
    dw_ih, dw_hh, db = np.hsplit(d_gates.T @ rows, [inputs, rows.shape[1] - 1])
    return np.ascontiguousarray(dw_ih), np.ascontiguousarray(dw_hh), np.ascontiguousarray(db[:, 0])


def rnn_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray,
                nonlinearity: str) -> np.ndarray:
    steps, batch, inputs = x.shape
    hidden = w_hh.shape[1]
    hs = np.matmul(x.reshape(steps * batch, inputs), w_ih.T).reshape(steps, batch, hidden)
    hs += bias
    w_hh_t = np.ascontiguousarray(w_hh.T)
    recurrent = np.empty((batch, hidden), dtype=x.dtype)
    step, relu = _ELMAN_STEP[x.dtype], int(nonlinearity == "relu")
    hs_at, recurrent_at, size = _pointer(hs), _pointer(recurrent), batch * hidden
    h_prev = h0
    for t in range(steps):
        np.matmul(h_prev, w_hh_t, out=recurrent)
        step(hs_at + t * size, recurrent_at, size, relu)
        h_prev = hs[t]
    return hs


def rnn_backward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, hs: np.ndarray,
                 g_hs: np.ndarray, nonlinearity: str, need_x: bool):
    steps, batch, hidden = hs.shape
    deltas = np.empty_like(hs)  # d loss / d pre-activation, per step
    carry = np.zeros((batch, hidden), dtype=x.dtype)  # d loss / d h_t arriving from step t + 1
    delta, relu = _ELMAN_DELTA[x.dtype], int(nonlinearity == "relu")
    g_at, hs_at, deltas_at, carry_at = _pointer(g_hs), _pointer(hs), _pointer(deltas), _pointer(carry)
    size = batch * hidden
    for t in range(steps - 1, -1, -1):
        delta(g_at + t * size, carry_at, hs_at + t * size, size, relu, deltas_at + t * size)
        np.matmul(deltas[t], w_hh, out=carry)
    flat = deltas.reshape(steps * batch, hidden)
    dx = (flat @ w_ih).reshape(x.shape) if need_x else None
    # Two products and a sum: with one gate block, the single product over [x, h_prev, 1] that the gated
    # layers use measured 10-20% slower (its odd-width operand and the copies out of the result).
    h_prev = np.concatenate([h0[None], hs[:-1]])[:steps].reshape(steps * batch, hidden)  # [:steps]: T = 0
    return dx, carry, flat.T @ x.reshape(steps * batch, x.shape[2]), flat.T @ h_prev, flat.sum(axis=0)


def lstm_forward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                 bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    steps, batch, inputs = x.shape
    hidden = w_hh.shape[1]
    gates = np.matmul(x.reshape(steps * batch, inputs), w_ih.T).reshape(steps, batch, 4 * hidden)
    gates += bias
    states = np.empty((2, steps, batch, hidden), dtype=x.dtype)
    w_hh_t = np.ascontiguousarray(w_hh.T)  # h @ W^T as a plain product: BLAS runs it faster
    recurrent = np.empty((batch, 4 * hidden), dtype=x.dtype)
    step = _LSTM_STEP[x.dtype]
    gates_at, states_at, recurrent_at = _pointer(gates), _pointer(states), _pointer(recurrent)
    gate_size, size = batch * 4 * hidden, batch * hidden
    h_prev, c_prev_at = h0, _pointer(c0)
    for t in range(steps):
        np.matmul(h_prev, w_hh_t, out=recurrent)
        c_at = states_at + (steps + t) * size
        step(gates_at + t * gate_size, recurrent_at, c_prev_at, states_at + t * size, c_at, batch, hidden)
        h_prev, c_prev_at = states[0, t], c_at
    return states, gates


def lstm_backward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                  states: np.ndarray, gates: np.ndarray, g_states: np.ndarray, need_x: bool):
    steps, batch, hidden = states.shape[1:]
    d_gates = np.empty_like(gates)
    carry_h = np.zeros((batch, hidden), dtype=x.dtype)
    carry_c = np.zeros((batch, hidden), dtype=x.dtype)
    step = _LSTM_STEP_BACKWARD[x.dtype]
    g_at, states_at, gates_at, d_gates_at = _pointer(g_states), _pointer(states), _pointer(gates), _pointer(d_gates)
    carry_h_at, carry_c_at, c0_at = _pointer(carry_h), _pointer(carry_c), _pointer(c0)
    gate_size, size = batch * 4 * hidden, batch * hidden
    for t in range(steps - 1, -1, -1):
        c_prev_at = states_at + (steps + t - 1) * size if t > 0 else c0_at
        step(g_at + t * size, g_at + (steps + t) * size, carry_h_at, carry_c_at, gates_at + t * gate_size,
             states_at + (steps + t) * size, c_prev_at, d_gates_at + t * gate_size, batch, hidden)
        np.matmul(d_gates[t], w_hh, out=carry_h)
    flat = d_gates.reshape(steps * batch, 4 * hidden)
    dx = (flat @ w_ih).reshape(x.shape) if need_x else None
    return (dx, carry_h, carry_c, *_weight_gradients(flat, _step_inputs(x, h0, states[0]), x.shape[2]))


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
    step = _GRU_STEP[x.dtype]
    input_at, hs_at, gates_at, recurrent_at, b_hh_at = (_pointer(a) for a in (input_part, hs, gates, recurrent, b_hh))
    size = batch * hidden
    h_prev, h_prev_at = h0, _pointer(h0)
    for t in range(steps):
        np.matmul(h_prev, w_hh_t, out=recurrent)
        step(input_at + t * 3 * size, recurrent_at, b_hh_at, h_prev_at, hs_at + t * size, gates_at + t * 4 * size,
             batch, hidden)
        h_prev, h_prev_at = hs[t], hs_at + t * size
    return hs, gates


def gru_backward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, hs: np.ndarray,
                 gates: np.ndarray, g_hs: np.ndarray, need_x: bool):
    steps, batch, hidden = hs.shape
    d_input = np.empty((steps, batch, 3 * hidden), dtype=x.dtype)
    d_hidden = np.empty_like(d_input)
    carry_product = np.zeros((batch, hidden), dtype=x.dtype)
    carry_direct = np.zeros((batch, hidden), dtype=x.dtype)
    step = _GRU_STEP_BACKWARD[x.dtype]
    g_at, hs_at, h0_at, gates_at = _pointer(g_hs), _pointer(hs), _pointer(h0), _pointer(gates)
    d_input_at, d_hidden_at = _pointer(d_input), _pointer(d_hidden)
    product_at, direct_at = _pointer(carry_product), _pointer(carry_direct)
    size = batch * hidden
    for t in range(steps - 1, -1, -1):
        h_prev_at = hs_at + (t - 1) * size if t > 0 else h0_at
        step(g_at + t * size, product_at, direct_at, gates_at + t * 4 * size, h_prev_at, d_input_at + t * 3 * size,
             d_hidden_at + t * 3 * size, batch, hidden)
        np.matmul(d_hidden[t], w_hh, out=carry_product)
    flat_input = d_input.reshape(steps * batch, 3 * hidden)
    flat_hidden = d_hidden.reshape(steps * batch, 3 * hidden)
    dx = (flat_input @ w_ih).reshape(x.shape) if need_x else None
    rows, inputs = _step_inputs(x, h0, hs), x.shape[2]
    dw_hh, db_hh = np.hsplit(flat_hidden.T @ rows[:, inputs:], [hidden])  # [dW_hh, db_hh] = d_hidden^T [h_prev, 1]
    return (dx, carry_product + carry_direct, flat_input.T @ rows[:, :inputs], np.ascontiguousarray(dw_hh),
            flat_input.sum(axis=0), np.ascontiguousarray(db_hh[:, 0]))


# -- elementwise exp/tanh as the kernels compute them (for accuracy tests and measurements) --------
def _elementwise(name: str, x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x)
    if x.dtype not in _C_ARRAY_TYPES:
        raise TypeError(f"x: expected dtype float32 or float64, got {x.dtype}")
    out = np.empty_like(x)
    getattr(lib, f"fg_{name}_{'f32' if x.dtype == np.float32 else 'f64'}")(_pointer(x), x.size, _pointer(out))
    return out


def exp(x: np.ndarray) -> np.ndarray:
    """The polynomial exp of the softmax kernel, elementwise."""
    return _elementwise("exp", x)


def tanh(x: np.ndarray) -> np.ndarray:
    """The tanh of the gated recurrent kernels, elementwise."""
    return _elementwise("tanh", x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The sigmoid of the gated recurrent kernels, elementwise."""
    return _elementwise("sigmoid", x)


def simd_level() -> int:
    """Instruction set the kernels run with: 0 baseline (SSE2/NEON), 1 AVX2+FMA, 2 AVX-512."""
    return lib.fg_simd_level()


def set_simd_level(level: int) -> int:
    """Run the kernels at most at `level` (clamped to what the CPU has); returns the level in use."""
    return lib.fg_set_simd_level(int(level))


def max_simd_level() -> int:
    return lib.fg_max_simd_level()


if AVAILABLE:
    _SOFTMAX_XENT = _by_dtype("fg_softmax_xent")
    _ELMAN_STEP, _ELMAN_DELTA = _by_dtype("fg_elman_step"), _by_dtype("fg_elman_delta")
    _LSTM_STEP, _LSTM_STEP_BACKWARD = _by_dtype("fg_lstm_step"), _by_dtype("fg_lstm_step_backward")
    _GRU_STEP, _GRU_STEP_BACKWARD = _by_dtype("fg_gru_step"), _by_dtype("fg_gru_step_backward")
else:
    class _MissingLibrary:
        """Stands in for lib, ffi and the kernel tables: any use raises, naming the import error."""

        def _fail(self, *args):
            raise RuntimeError(f"fastgrad's C kernels are not built ({IMPORT_ERROR}); run `pip install -e .`")

        __getattr__ = __getitem__ = _fail

    lib = ffi = _SOFTMAX_XENT = _ELMAN_STEP = _ELMAN_DELTA = _MissingLibrary()
    _LSTM_STEP = _LSTM_STEP_BACKWARD = _GRU_STEP = _GRU_STEP_BACKWARD = _MissingLibrary()

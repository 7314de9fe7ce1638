"""The "python" backend: the kernels of the lecture's models as plain Python loops.

Arrays are turned into nested lists on the way in and back into arrays on the way out; everything in
between is `for` loops over Python floats and `math.exp`/`math.tanh`. It is slow on purpose - the
baseline that shows what vectorizing (NumPy) and compiling (Numba, C) buy - and simple enough to be
an obviously-right oracle for the other backends. Every kernel has the signature and return
convention of its NumPy reference in `fastgrad/backends/numpy.py`; the arithmetic runs in float64
and is cast to the reference's output dtype at the end. The kernel registry (fastgrad/kernels/registry.py)
lists which kernels have a loop version; the others come from the NumPy backend.
"""
from __future__ import annotations

import math
from operator import mul

import numpy as np

name = "python"

Matrix = list[list[float]]


# -- list helpers ------------------------------------------------------------------------------------
def _dot(u: list[float], v: list[float]) -> float:
    # sum(map(mul, ...)) is the fastest inner product plain Python has; a fair baseline, not a strawman.
    return sum(map(mul, u, v))


def matmul_lists(a: Matrix, b_columns: Matrix) -> Matrix:
    """a (n, k) times the matrix whose columns are `b_columns` (m lists of k): an (n, m) product.
    Public so that benchmarks can time the loops alone, on lists converted beforehand."""
    return [[_dot(row, column) for column in b_columns] for row in a]


def _columns(a: Matrix) -> Matrix:
    return [list(column) for column in zip(*a)]


def _column_sums(a: Matrix, width: int) -> list[float]:
    sums = [0.0] * width
    for row in a:
        for j, value in enumerate(row):
            sums[j] += value
    return sums


def _add_into(target: list[float], values: list[float], scale: float = 1.0) -> None:
    for j, value in enumerate(values):
        target[j] += scale * value


def _array(values, dtype, shape: tuple[int, ...], out: np.ndarray | None = None) -> np.ndarray:
    """The nested lists `values` as an array of `shape`; written into `out` and returned as it when given
    (a kernel's out= argument)."""
    array = np.array(values, dtype=dtype).reshape(shape)
    if out is None:
        return array
    out[...] = array
    return out


# -- activations -------------------------------------------------------------------------------------
def tanh(x: np.ndarray) -> np.ndarray:
    dtype = np.result_type(x.dtype, np.float16)  # np.tanh's output dtype: ints become floats
    return _array([math.tanh(v) for v in x.reshape(-1).tolist()], dtype, x.shape)


def tanh_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    # d tanh(x)/dx = 1 - tanh(x)^2, from the saved output y
    values = [gi * (1.0 - yi * yi) for gi, yi in zip(g.reshape(-1).tolist(), y.reshape(-1).tolist())]
    return _array(values, np.result_type(g, y), g.shape)


def relu(x: np.ndarray) -> np.ndarray:
    return _array([0 if v < 0 else v for v in x.reshape(-1).tolist()], x.dtype, x.shape)  # NaN, -0.0 stay


def relu_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    values = [0 if yi <= 0 else gi for gi, yi in zip(g.reshape(-1).tolist(), y.reshape(-1).tolist())]
    return _array(values, g.dtype, g.shape)


# -- matrix products ---------------------------------------------------------------------------------
def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for 1-D and 2-D operands (NumPy's promotion rules); batched products go to NumPy."""
    if a.ndim > 2 or b.ndim > 2 or a.ndim == 0 or b.ndim == 0:
        return np.matmul(a, b)
    if a.shape[-1] != b.shape[0]:
        raise ValueError(f"matmul: a has shape {a.shape} and b has shape {b.shape}; "
                         f"a's last dimension ({a.shape[-1]}) must equal b's first ({b.shape[0]})")
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    product = matmul_lists(a2.tolist(), b2.T.tolist())
    shape = a.shape[:-1] + b.shape[1:]
    return _array(product, np.result_type(a, b), shape)


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, out: np.ndarray | None = None) -> np.ndarray:
    """y = x W^T + b: each output is a row of x dotted with a row of W."""
    y = matmul_lists(x.tolist(), weight.tolist())
    dtypes = [x, weight]
    if bias is not None:
        b = bias.tolist()
        y = [[value + b[j] for j, value in enumerate(row)] for row in y]
        dtypes.append(bias)
    return _array(y, np.result_type(*dtypes), (x.shape[0], weight.shape[0]), out)


def linear_backward(x: np.ndarray, weight: np.ndarray, g: np.ndarray, need_x: bool, need_weight: bool,
                    need_bias: bool, out: tuple | None = None) -> tuple[np.ndarray | None, np.ndarray | None,
                                                                         np.ndarray | None]:
    """dx = g W, dW = g^T x, db = sum over rows of g: the same delta g serves all three."""
    g_rows = g.tolist()
    dtype = np.result_type(x, weight, g)
    out_x, out_weight, out_bias = out or (None, None, None)
    gx = gw = gb = None
    # columns listed from the transposed arrays: a matrix with no rows (0 output features) still has its columns
    if need_x:
        gx = _array(matmul_lists(g_rows, weight.T.tolist()), dtype, x.shape, out_x)
    if need_weight:
        gw = _array(matmul_lists(g.T.tolist(), x.T.tolist()), dtype, weight.shape, out_weight)
    if need_bias:
        gb = _array(_column_sums(g_rows, g.shape[1]), g.dtype, (g.shape[1],), out_bias)
    return gx, gw, gb


# -- softmax + cross-entropy -------------------------------------------------------------------------
def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray, ignore_index: int, reduction: str,
                          need_grad: bool, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Per row: loss = log sum_j exp(z_j - m) - (z_t - m) with m = max_j z_j (so exp never overflows);
    its gradient is softmax(z) - onehot(t). Ignored rows count for nothing; "mean" divides by the
    number of counted rows."""
    losses, grad_rows, count = [], [], 0
    for row, target in zip(logits.tolist(), targets.tolist()):
        if target == ignore_index:
            losses.append(0.0)
            grad_rows.append([0.0] * len(row))
            continue
        count += 1
        top = max(row)
        exps = [math.exp(v - top) for v in row]
        sum_exp = sum(exps)
        losses.append(math.log(sum_exp) - (row[target] - top))
        if need_grad:
            probabilities = [e / sum_exp for e in exps]
            probabilities[target] -= 1.0
            grad_rows.append(probabilities)
    if reduction == "none":
        loss = np.array(losses, dtype=logits.dtype)
    elif reduction == "sum":
        loss = np.asarray(sum(losses), dtype=logits.dtype)
    else:  # NaN when every row is ignored, as PyTorch
        loss = np.asarray(sum(losses) / count if count else math.nan, dtype=logits.dtype)
    if not need_grad:
        return loss, None
    if reduction == "mean" and count:
        grad_rows = [[v / count for v in row] for row in grad_rows]
    return loss, _array(grad_rows, logits.dtype, logits.shape, out)


# -- embeddings --------------------------------------------------------------------------------------
def _rows_of(weight: np.ndarray, ids: list[int]) -> dict[int, list[float]]:
    """The looked-up rows as lists; converting only those keeps a large table from costing O(V d)."""
    return {i: weight[i].tolist() for i in set(ids)}


def embedding(weight: np.ndarray, ids: np.ndarray) -> np.ndarray:
    flat_ids = ids.reshape(-1).tolist()
    rows = _rows_of(weight, flat_ids)
    return _array([rows[i] for i in flat_ids], weight.dtype, ids.shape + (weight.shape[1],))


def _scatter_rows(ids: list[int], values: Matrix, num_rows: int, width: int, padding_idx: int, sparse: bool,
                  dtype: np.dtype):
    """Row i of the gradient collects every value row whose id is i (padding_idx collects nothing):
    dense (num_rows, width), or sparse (rows, values) with one entry per kept id, uncoalesced."""
    kept = [(i, row) for i, row in zip(ids, values) if i != padding_idx]  # ids are >= 0: -1 keeps all
    if sparse:
        return (np.array([i for i, _ in kept], dtype=np.int64),
                _array([row for _, row in kept], dtype, (len(kept), width)))
    dense = [[0.0] * width for _ in range(num_rows)]
    for i, row in kept:
        _add_into(dense[i], row)
    return _array(dense, dtype, (num_rows, width))


def embedding_backward(ids: np.ndarray, g: np.ndarray, num_rows: int, padding_idx: int, sparse: bool):
    values = g.reshape(ids.size, -1)
    return _scatter_rows(ids.reshape(-1).tolist(), values.tolist(), num_rows, values.shape[1], padding_idx, sparse,
                         g.dtype)


def _bags(num_ids: int, offsets: list[int]) -> list[range]:
    """Bag b holds ids[offsets[b]:offsets[b+1]]; the last bag runs to the end."""
    ends = offsets[1:] + [num_ids]
    return [range(start, end) for start, end in zip(offsets, ends)]


def embedding_bag(weight: np.ndarray, ids: np.ndarray, offsets: np.ndarray, mode: str) -> np.ndarray:
    """Sum (or mean) of the weight rows in each bag; an empty bag gives a zero row."""
    id_list, width = ids.tolist(), weight.shape[1]
    rows = _rows_of(weight, id_list)
    out = []
    for bag in _bags(len(id_list), offsets.tolist()):
        total = [0.0] * width
        for position in bag:
            _add_into(total, rows[id_list[position]])
        if mode == "mean" and len(bag):
            total = [v / len(bag) for v in total]
        out.append(total)
    return _array(out, weight.dtype, (offsets.size, width))


def embedding_bag_backward(ids: np.ndarray, offsets: np.ndarray, g: np.ndarray, mode: str, num_rows: int,
                           sparse: bool):
    """Each id in bag b receives g[b] (divided by the bag's length for "mean")."""
    id_list, bag_grads, width = ids.tolist(), g.tolist(), g.shape[1]
    values: Matrix = [[] for _ in id_list]
    for bag, bag_grad in zip(_bags(len(id_list), offsets.tolist()), bag_grads):
        scale = 1.0 / len(bag) if mode == "mean" and len(bag) else 1.0
        for position in bag:
            values[position] = [v * scale for v in bag_grad]
    return _scatter_rows(id_list, values, num_rows, width, -1, sparse, g.dtype)


# -- Elman RNN ---------------------------------------------------------------------------------------
def rnn_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray,
                nonlinearity: str) -> np.ndarray:
    """h_t = f(W_ih x_t + W_hh h_{t-1} + b), one step and one batch row at a time."""
    activate = math.tanh if nonlinearity == "tanh" else (lambda v: 0.0 if v < 0 else v)
    w_ih_rows, w_hh_rows, b = w_ih.tolist(), w_hh.tolist(), bias.tolist()
    h = h0.tolist()
    hs = []
    for x_t in x.tolist():
        h = [[activate(_dot(w_in, x_row) + _dot(w_rec, h_row) + b_j)
              for w_in, w_rec, b_j in zip(w_ih_rows, w_hh_rows, b)]
             for x_row, h_row in zip(x_t, h)]
        hs.append(h)
    return _array(hs, np.result_type(x, h0, w_ih, w_hh, bias), (x.shape[0],) + h0.shape)


def rnn_backward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, hs: np.ndarray,
                 g_hs: np.ndarray, nonlinearity: str, need_x: bool):
    """Backpropagation through time, from the last step to the first. At step t the gradient reaching
    h_t is g_hs[t] plus what flows back from step t+1 (carry); delta_t = that times f'(pre_t), with
    f' = 1 - h_t^2 for tanh and [h_t > 0] for relu. Then dW_ih += delta_t^T x_t, dW_hh += delta_t^T
    h_{t-1}, db += sum delta_t, dx_t = delta_t W_ih and carry = delta_t W_hh.
    Returns (dx or None, dh0, dW_ih, dW_hh, db)."""
    steps, batch, hidden = hs.shape
    inputs = x.shape[2]
    x_list, h_list, g_list = x.tolist(), hs.tolist(), g_hs.tolist()
    h0_list = h0.tolist()
    w_ih_columns, w_hh_columns = _columns(w_ih.tolist()), _columns(w_hh.tolist())
    dw_ih = [[0.0] * inputs for _ in range(hidden)]
    dw_hh = [[0.0] * hidden for _ in range(hidden)]
    db = [0.0] * hidden
    dx = [None] * steps
    carry = [[0.0] * hidden for _ in range(batch)]
    for t in range(steps - 1, -1, -1):
        h_prev = h_list[t - 1] if t > 0 else h0_list
        deltas = []
        for n in range(batch):
            if nonlinearity == "tanh":
                delta = [(g + c) * (1.0 - h * h) for g, c, h in zip(g_list[t][n], carry[n], h_list[t][n])]
            else:
                delta = [0.0 if h <= 0 else (g + c) for g, c, h in zip(g_list[t][n], carry[n], h_list[t][n])]
            for j, d in enumerate(delta):
                _add_into(dw_ih[j], x_list[t][n], d)
                _add_into(dw_hh[j], h_prev[n], d)
                db[j] += d
            deltas.append(delta)
        if need_x:
            dx[t] = matmul_lists(deltas, w_ih_columns)
        carry = matmul_lists(deltas, w_hh_columns)
    dtype = np.result_type(x, h0, w_ih, w_hh, hs, g_hs)
    return (_array(dx, dtype, x.shape) if need_x else None, _array(carry, dtype, h0.shape),
            _array(dw_ih, dtype, w_ih.shape), _array(dw_hh, dtype, w_hh.shape), _array(db, dtype, (hidden,)))


# -- gated recurrent layers (LSTM, GRU) ----------------------------------------------------------------
def _sigmoid(v: float) -> float:
    if v >= 0:  # split by sign so exp never overflows
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def _gate_preactivations(w_ih_rows: Matrix, w_hh_rows: Matrix, bias: list[float], x_row: list[float],
                         h_row: list[float]) -> list[float]:
    """One batch row's W_ih x_t + b + W_hh h_{t-1}: a dot product per gate unit."""
    return [_dot(w_in, x_row) + b_k + _dot(w_rec, h_row) for w_in, w_rec, b_k in zip(w_ih_rows, w_hh_rows, bias)]


def lstm_forward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                 bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step and batch row: gates i, f, g, o from 4H dot products, then c = f c + i g, h = o tanh(c)
    unit by unit. Returns states (2, T, B, H) and the activated gates (T, B, 4H)."""
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    w_ih_rows, w_hh_rows, b = w_ih.tolist(), w_hh.tolist(), bias.tolist()
    h, c = h0.tolist(), c0.tolist()
    hs, cs, gates = [], [], []
    for x_t in x.tolist():
        step_gates, h_next, c_next = [], [], []
        for x_row, h_row, c_row in zip(x_t, h, c):
            pre = _gate_preactivations(w_ih_rows, w_hh_rows, b, x_row, h_row)
            i = [_sigmoid(v) for v in pre[:hidden]]
            f = [_sigmoid(v) for v in pre[hidden:2 * hidden]]
            g = [math.tanh(v) for v in pre[2 * hidden:3 * hidden]]
            o = [_sigmoid(v) for v in pre[3 * hidden:]]
            c_row = [f_j * c_j + i_j * g_j for f_j, c_j, i_j, g_j in zip(f, c_row, i, g)]
            h_next.append([o_j * math.tanh(c_j) for o_j, c_j in zip(o, c_row)])
            c_next.append(c_row)
            step_gates.append(i + f + g + o)
        h, c = h_next, c_next
        hs.append(h)
        cs.append(c)
        gates.append(step_gates)
    dtype = np.result_type(x, h0, c0, w_ih, w_hh, bias)
    return _array([hs, cs], dtype, (2, steps, batch, hidden)), _array(gates, dtype, (steps, batch, 4 * hidden))


def _accumulate_outer(d_rows: Matrix, input_rows: Matrix, dw: Matrix, db: list[float] | None) -> None:
    """dw += d^T inputs (and db += the sum of d's rows), one batch row at a time."""
    for d_row, input_row in zip(d_rows, input_rows):
        for k, d in enumerate(d_row):
            _add_into(dw[k], input_row, d)
            if db is not None:
                db[k] += d


def lstm_backward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                  states: np.ndarray, gates: np.ndarray, g_states: np.ndarray, need_x: bool):
    """From the last step to the first, unit by unit: dh = g_h + carry_h, dc = g_c + carry_c + dh o (1 -
    tanh^2 c_t), the four gate gradients dc g i(1-i), dc c_{t-1} f(1-f), dc i (1-g^2), dh tanh(c_t) o(1-o);
    carry_c = dc f and carry_h = d_gates W_hh go to step t-1. Returns (dx or None, dh0, dc0, dW_ih,
    dW_hh, db)."""
    steps, batch, hidden = states.shape[1:]
    x_list, gate_list = x.tolist(), gates.tolist()
    (h_list, c_list), (g_h_list, g_c_list) = states.tolist(), g_states.tolist()
    w_ih_columns, w_hh_columns = _columns(w_ih.tolist()), _columns(w_hh.tolist())
    dw_ih = [[0.0] * x.shape[2] for _ in range(4 * hidden)]
    dw_hh = [[0.0] * hidden for _ in range(4 * hidden)]
    db = [0.0] * (4 * hidden)
    dx = [None] * steps
    carry_h = [[0.0] * hidden for _ in range(batch)]
    carry_c = [[0.0] * hidden for _ in range(batch)]
    for t in range(steps - 1, -1, -1):
        c_prev = c_list[t - 1] if t > 0 else c0.tolist()
        d_rows = []
        for n in range(batch):
            gate_row, d_row = gate_list[t][n], [0.0] * (4 * hidden)
            for j in range(hidden):
                i, f, g, o = (gate_row[k * hidden + j] for k in range(4))
                tanh_c = math.tanh(c_list[t][n][j])
                dh = g_h_list[t][n][j] + carry_h[n][j]
                dc = g_c_list[t][n][j] + carry_c[n][j] + dh * o * (1.0 - tanh_c * tanh_c)
                d_row[j] = dc * g * i * (1.0 - i)
                d_row[hidden + j] = dc * c_prev[n][j] * f * (1.0 - f)
                d_row[2 * hidden + j] = dc * i * (1.0 - g * g)
                d_row[3 * hidden + j] = dh * tanh_c * o * (1.0 - o)
                carry_c[n][j] = dc * f
            d_rows.append(d_row)
        _accumulate_outer(d_rows, x_list[t], dw_ih, db)
        _accumulate_outer(d_rows, h_list[t - 1] if t > 0 else h0.tolist(), dw_hh, None)
        if need_x:
            dx[t] = matmul_lists(d_rows, w_ih_columns)
        carry_h = matmul_lists(d_rows, w_hh_columns)
    dtype = np.result_type(x, h0, c0, w_ih, w_hh, states, gates, g_states)
    return (_array(dx, dtype, x.shape) if need_x else None, _array(carry_h, dtype, h0.shape),
            _array(carry_c, dtype, c0.shape), _array(dw_ih, dtype, w_ih.shape), _array(dw_hh, dtype, w_hh.shape),
            _array(db, dtype, (4 * hidden,)))


def gru_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray,
                b_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per step, batch row and unit: r and z from sums of dot products, n = tanh(W_in x + b_in + r (W_hn h
    + b_hn)), h = (1 - z) n + z h. Returns the states (T, B, H) and gates (T, B, 4H): r, z, n, W_hn h + b_hn."""
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    w_ih_rows, w_hh_rows, bias_ih, bias_hh = w_ih.tolist(), w_hh.tolist(), b_ih.tolist(), b_hh.tolist()
    h = h0.tolist()
    hs, gates = [], []
    for x_t in x.tolist():
        step_gates, h_next = [], []
        for x_row, h_row in zip(x_t, h):
            input_part = [_dot(w, x_row) + b for w, b in zip(w_ih_rows, bias_ih)]
            hidden_part = [_dot(w, h_row) + b for w, b in zip(w_hh_rows, bias_hh)]
            r = [_sigmoid(input_part[j] + hidden_part[j]) for j in range(hidden)]
            z = [_sigmoid(input_part[hidden + j] + hidden_part[hidden + j]) for j in range(hidden)]
            hidden_n = hidden_part[2 * hidden:]
            n = [math.tanh(input_part[2 * hidden + j] + r[j] * hidden_n[j]) for j in range(hidden)]
            h_next.append([(1.0 - z_j) * n_j + z_j * h_j for z_j, n_j, h_j in zip(z, n, h_row)])
            step_gates.append(r + z + n + hidden_n)
        h = h_next
        hs.append(h)
        gates.append(step_gates)
    dtype = np.result_type(x, h0, w_ih, w_hh, b_ih, b_hh)
    return _array(hs, dtype, (steps, batch, hidden)), _array(gates, dtype, (steps, batch, 4 * hidden))


def gru_backward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, hs: np.ndarray,
                 gates: np.ndarray, g_hs: np.ndarray, need_x: bool):
    """From the last step to the first, unit by unit: dh = g_hs[t] + carry, dn = dh (1 - z)(1 - n^2),
    dz = dh (h_{t-1} - n) z (1 - z), dr = dn (W_hn h + b_hn) r (1 - r); the hidden side's n gradient is
    dn r. carry = dh z + d_hidden W_hh. Returns (dx or None, dh0, dW_ih, dW_hh, db_ih, db_hh)."""
    steps, batch, hidden = hs.shape
    x_list, h_list, gate_list, g_list = x.tolist(), hs.tolist(), gates.tolist(), g_hs.tolist()
    w_ih_columns, w_hh_columns = _columns(w_ih.tolist()), _columns(w_hh.tolist())
    dw_ih = [[0.0] * x.shape[2] for _ in range(3 * hidden)]
    dw_hh = [[0.0] * hidden for _ in range(3 * hidden)]
    db_ih, db_hh = [0.0] * (3 * hidden), [0.0] * (3 * hidden)
    dx = [None] * steps
    carry = [[0.0] * hidden for _ in range(batch)]
    for t in range(steps - 1, -1, -1):
        h_prev = h_list[t - 1] if t > 0 else h0.tolist()
        input_rows, hidden_rows, direct = [], [], []
        for n_row in range(batch):
            gate_row = gate_list[t][n_row]
            d_input, d_hidden, carry_row = [0.0] * (3 * hidden), [0.0] * (3 * hidden), [0.0] * hidden
            for j in range(hidden):
                r, z, n, hidden_n = (gate_row[k * hidden + j] for k in range(4))
                dh = g_list[t][n_row][j] + carry[n_row][j]
                d_n = dh * (1.0 - z) * (1.0 - n * n)
                d_z = dh * (h_prev[n_row][j] - n) * z * (1.0 - z)
                d_r = d_n * hidden_n * r * (1.0 - r)
                d_input[j], d_input[hidden + j], d_input[2 * hidden + j] = d_r, d_z, d_n
                d_hidden[j], d_hidden[hidden + j], d_hidden[2 * hidden + j] = d_r, d_z, d_n * r
                carry_row[j] = dh * z
            input_rows.append(d_input)
            hidden_rows.append(d_hidden)
            direct.append(carry_row)
        _accumulate_outer(input_rows, x_list[t], dw_ih, db_ih)
        _accumulate_outer(hidden_rows, h_prev, dw_hh, db_hh)
        if need_x:
            dx[t] = matmul_lists(input_rows, w_ih_columns)
        carry = [[a + b for a, b in zip(row_direct, row_product)]
                 for row_direct, row_product in zip(direct, matmul_lists(hidden_rows, w_hh_columns))]
    dtype = np.result_type(x, h0, w_ih, w_hh, hs, gates, g_hs)
    return (_array(dx, dtype, x.shape) if need_x else None, _array(carry, dtype, h0.shape),
            _array(dw_ih, dtype, w_ih.shape), _array(dw_hh, dtype, w_hh.shape), _array(db_ih, dtype, (3 * hidden,)),
            _array(db_hh, dtype, (3 * hidden,)))

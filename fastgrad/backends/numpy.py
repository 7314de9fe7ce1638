"""The NumPy backend: the vectorized reference for every kernel.

A kernel takes and returns NumPy arrays and knows nothing of graphs. The compiled backend replaces
some of these by Numba/C versions with the same signatures, and the tests hold them to these results.
"""
from __future__ import annotations

import numpy as np

name = "numpy"

# -- elementwise and linear algebra: NumPy's own ufuncs are the kernels ---------------------------
add = np.add
subtract = np.subtract
multiply = np.multiply
divide = np.true_divide
power = np.power
negative = np.negative
exp = np.exp
log = np.log
sqrt = np.sqrt
absolute = np.abs
sign = np.sign
maximum = np.maximum
minimum = np.minimum
clip = np.clip
where = np.where
matmul = np.matmul
tanh = np.tanh


# Reductions call the ufuncs' reduce directly: np.sum & co. add microseconds of Python dispatch.
def sum(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    return np.add.reduce(x, axis=axis, keepdims=keepdims)


def amax(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    return np.maximum.reduce(x, axis=axis, keepdims=keepdims)


def amin(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    return np.minimum.reduce(x, axis=axis, keepdims=keepdims)


# -- activations: forward, and backward from the upstream gradient g -------------------------------
def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def relu_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    return g * (y > 0)


def leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x > 0, x, x * x.dtype.type(slope))


def leaky_relu_backward(g: np.ndarray, x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x > 0, g, g * g.dtype.type(slope))


def hardtanh(x: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(x, low, high)


def hardtanh_backward(g: np.ndarray, x: np.ndarray, low: float, high: float) -> np.ndarray:
    return g * ((x > low) & (x < high))


def tanh_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    return g * (1 - y * y)  # d tanh = 1 - tanh^2, from the saved output


def sigmoid(x: np.ndarray) -> np.ndarray:
    # Split by sign so exp never overflows: 1/(1+e^-x) for x>=0, e^x/(1+e^x) otherwise.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    return g * y * (1 - y)


def silu(x: np.ndarray) -> np.ndarray:
    return x * sigmoid(x)


def silu_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    s = sigmoid(x)
    return g * (s * (1 + x * (1 - s)))


# -- softmax family (over the last axis) -----------------------------------------------------------
def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def log_softmax_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    return g - np.exp(y) * g.sum(axis=-1, keepdims=True)


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    return y * (g - (g * y).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray, ignore_index: int, reduction: str,
                          need_grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Cross-entropy of softmax(logits) (N, C) against int64 targets (N,), and its gradient.

    Returns (loss, dlogits): loss is a 0-d array for "mean"/"sum" and (N,) for "none"; dlogits is
    (softmax - onehot), divided by the number of counted rows for "mean", zero on ignored rows,
    and unscaled per row for "none" (the op multiplies by the upstream gradient).
    """
    keep = targets != ignore_index
    safe_targets = np.where(keep, targets, 0)
    rows = np.arange(logits.shape[0])
    shifted = logits - logits.max(axis=1, keepdims=True)
    sum_exp = np.exp(shifted).sum(axis=1)
    losses = (np.log(sum_exp) - shifted[rows, safe_targets]) * keep
    count = int(keep.sum())
    if reduction == "none":
        loss = losses.astype(logits.dtype)
    elif reduction == "sum":
        loss = np.asarray(losses.sum(), dtype=logits.dtype)
    else:  # mean over counted rows; NaN when every row is ignored, as PyTorch
        loss = np.asarray(losses.sum() / count if count else np.nan, dtype=logits.dtype)
    if not need_grad:
        return loss, None
    grad = np.exp(shifted) / sum_exp[:, None]
    grad[rows, safe_targets] -= 1
    grad *= keep[:, None]
    if reduction == "mean" and count:
        grad /= count
    return loss, grad.astype(logits.dtype, copy=False)


# -- linear layer: y = x W^T + b on 2-D x ----------------------------------------------------------
def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    y = x @ weight.T
    if bias is not None:
        y += bias
    return y


def linear_backward(x: np.ndarray, weight: np.ndarray, g: np.ndarray, need_x: bool, need_weight: bool,
                    need_bias: bool) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """dx = g W, dW = g^T x, db = sum_rows g: one delta feeds all three (the lecture's reuse of delta)."""
    gx = g @ weight if need_x else None
    gw = g.T @ x if need_weight else None
    gb = g.sum(axis=0) if need_bias else None
    return gx, gw, gb


# -- embeddings (indices are range-checked by the op before any kernel runs) ------------------------
def embedding(weight: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return weight[ids]


def embedding_backward(ids: np.ndarray, g: np.ndarray, num_rows: int, padding_idx: int, sparse: bool):
    """Gradient of weight[ids] w.r.t. weight: scatter-add of g's rows.

    Dense: a (num_rows, d) array. Sparse: (rows, values), one entry per looked-up id (not
    coalesced); rows equal to padding_idx get no gradient.
    """
    flat_ids = ids.reshape(-1)
    values = g.reshape(flat_ids.size, g.shape[-1])
    if padding_idx >= 0:
        keep = flat_ids != padding_idx
        flat_ids, values = flat_ids[keep], values[keep]
    if sparse:
        return flat_ids.astype(np.int64, copy=True), values.copy()
    dense = np.zeros((num_rows, values.shape[1]), dtype=g.dtype)
    np.add.at(dense, flat_ids, values)
    return dense


def _bag_of(ids: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For flat ids split into bags at `offsets`: each id's bag, and each bag's length."""
    lengths = np.diff(np.append(offsets, ids.size))
    return np.repeat(np.arange(offsets.size), lengths), lengths


def embedding_bag(weight: np.ndarray, ids: np.ndarray, offsets: np.ndarray, mode: str) -> np.ndarray:
    """Sum or mean of weight rows per bag; bag b holds ids[offsets[b]:offsets[b+1]] (empty bag -> 0)."""
    bag, lengths = _bag_of(ids, offsets)
    out = np.zeros((offsets.size, weight.shape[1]), dtype=weight.dtype)
    np.add.at(out, bag, weight[ids])
    if mode == "mean":
        out /= np.maximum(lengths, 1)[:, None].astype(weight.dtype)
    return out


def embedding_bag_backward(ids: np.ndarray, offsets: np.ndarray, g: np.ndarray, mode: str, num_rows: int,
                           sparse: bool):
    bag, lengths = _bag_of(ids, offsets)
    values = g[bag]
    if mode == "mean":
        values /= np.maximum(lengths, 1)[bag, None].astype(g.dtype)
    return embedding_backward(ids, values, num_rows, -1, sparse)


# -- dropout ---------------------------------------------------------------------------------------
def dropout_mask(shape: tuple[int, ...], p: float, dtype: np.dtype, seed: int) -> np.ndarray:
    """Inverted-dropout mask: 0 with probability p, else 1/(1-p), from a generator seeded by `seed`."""
    keep = np.random.default_rng(seed).random(shape) >= p
    return keep.astype(dtype) / dtype.type(1 - p)


# -- Elman RNN over a whole sequence ---------------------------------------------------------------
def _activate(nonlinearity: str, pre: np.ndarray) -> np.ndarray:
    return np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)


def rnn_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray,
                nonlinearity: str) -> np.ndarray:
    """h_t = f(x_t W_ih^T + h_{t-1} W_hh^T + b) for t = 1..T; x (T, B, I), h0 (B, H) -> hs (T, B, H).

    The input projection of all T steps is one matrix product; only the recurrence is a loop.
    """
    steps, batch, _ = x.shape
    pre = (x.reshape(steps * batch, x.shape[2]) @ w_ih.T + bias).reshape(steps, batch, w_ih.shape[0])
    hs = np.empty_like(pre)
    h = h0
    for t in range(steps):
        h = _activate(nonlinearity, pre[t] + h @ w_hh.T)
        hs[t] = h
    return hs


def rnn_backward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, hs: np.ndarray,
                 g_hs: np.ndarray, nonlinearity: str, need_x: bool):
    """Backpropagation through time. g_hs (T, B, H) is dLoss/dh_t from above (the output layer and,
    at the last step, h_n). Returns (dx, dh0, dW_ih, dW_hh, db); the weight gradients are single
    matrix products over all steps once the per-step deltas are known."""
    steps, batch, hidden = hs.shape
    deltas = np.empty_like(hs)  # dLoss/d(pre-activation) per step
    carry = np.zeros((batch, hidden), dtype=hs.dtype)  # dLoss/dh_t arriving from step t+1
    for t in range(steps - 1, -1, -1):
        g = g_hs[t] + carry
        deltas[t] = g * (1 - hs[t] * hs[t]) if nonlinearity == "tanh" else g * (hs[t] > 0)
        carry = deltas[t] @ w_hh
    flat_deltas = deltas.reshape(steps * batch, hidden)
    h_prev = np.concatenate([h0[None], hs[:-1]])[:steps].reshape(steps * batch, hidden)  # [:steps] for T=0
    dw_ih = flat_deltas.T @ x.reshape(steps * batch, x.shape[2])
    dw_hh = flat_deltas.T @ h_prev
    db = flat_deltas.sum(axis=0)
    dx = (flat_deltas @ w_ih).reshape(x.shape) if need_x else None
    return dx, carry, dw_ih, dw_hh, db


# -- linear-chain CRF: forward algorithm, its gradient, Viterbi (fastgrad/kernels/crf.py has the formulas) ----
def _logaddexp_over(x: np.ndarray, axis: int) -> np.ndarray:
    """log(sum(exp(x))) over `axis`, -inf where every term is -inf (forbidden paths)."""
    high = x.max(axis=axis, keepdims=True)
    finite = np.where(np.isfinite(high), high, 0)
    with np.errstate(divide="ignore"):
        return np.squeeze(np.log(np.exp(x - finite).sum(axis=axis, keepdims=True)) + finite, axis=axis)


def _sentences(lengths: np.ndarray):
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return zip(offsets[:-1], offsets[1:])


def crf_forward(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray, start: np.ndarray,
                end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log Z per sentence, alphas (N, K)) for the sentences stacked in `emissions`, `lengths` tokens each."""
    from fastgrad.kernels.crf import check_crf

    check_crf(emissions, lengths, transitions, start, end)
    alphas = np.empty_like(emissions)
    log_z = np.empty(len(lengths), dtype=emissions.dtype)
    for b, (first, stop) in enumerate(_sentences(lengths)):
        alphas[first] = start + emissions[first]
        for t in range(first + 1, stop):  # alphas[t, j] = e[t, j] + logadd_i (alphas[t-1, i] + A[i, j])
            alphas[t] = _logaddexp_over(alphas[t - 1][:, None] + transitions, 0) + emissions[t]
        log_z[b] = _logaddexp_over(alphas[stop - 1] + end, 0)
    return log_z, alphas


def crf_backward(g: np.ndarray, emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                 start: np.ndarray, end: np.ndarray, alphas: np.ndarray, log_z: np.ndarray) -> tuple:
    """Gradients of sum_b g[b] log Z_b: the tag and transition marginals from the backward recursion."""
    d_emissions = np.empty_like(emissions)
    d_transitions = np.zeros_like(transitions)
    d_start, d_end = np.zeros_like(start), np.zeros_like(end)
    for b, (first, stop) in enumerate(_sentences(lengths)):
        betas = np.empty((stop - first, len(end)), dtype=emissions.dtype)
        betas[-1] = end
        for t in range(stop - first - 2, -1, -1):  # betas[t, i] = logadd_j (A[i, j] + e[t+1, j] + betas[t+1, j])
            betas[t] = _logaddexp_over(transitions + (emissions[first + t + 1] + betas[t + 1])[None, :], 1)
        d_emissions[first:stop] = g[b] * np.exp(alphas[first:stop] + betas - log_z[b])
        after = emissions[first + 1:stop] + betas[1:]  # pairs[t, i, j]: tag i at t, tag j at t + 1
        pairs = alphas[first:stop - 1][:, :, None] + transitions[None] + after[:, None, :]
        d_transitions += g[b] * np.exp(pairs - log_z[b]).sum(axis=0)
        d_start += d_emissions[first]
        d_end += g[b] * np.exp(alphas[stop - 1] + end - log_z[b])
    return d_emissions, d_transitions, d_start, d_end


def crf_viterbi(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray, start: np.ndarray,
                end: np.ndarray) -> np.ndarray:
    """The best tag path of every sentence, stacked (N,); ties go to the lowest tag id."""
    best = np.zeros(emissions.shape[0], dtype=np.int64)
    for first, stop in _sentences(lengths):
        scores = start + emissions[first]
        pointers = np.zeros((stop - first, len(end)), dtype=np.int64)
        for t in range(first + 1, stop):
            candidates = scores[:, None] + transitions
            pointers[t - first] = candidates.argmax(axis=0)
            scores = candidates.max(axis=0) + emissions[t]
        best[stop - 1] = int(np.argmax(scores + end))
        for t in range(stop - 1, first, -1):
            best[t - 1] = pointers[t - first, best[t]]
    return best


# -- sparse row updates for optimizers (rows may repeat; values are summed per row first) ----------
def coalesce_rows(rows: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique sorted rows and the sum of the values given for each."""
    unique, inverse = np.unique(rows, return_inverse=True)
    summed = np.zeros((unique.size, values.shape[1]), dtype=values.dtype)
    np.add.at(summed, inverse, values)
    return unique, summed


def sgd_rows_update(weight: np.ndarray, rows: np.ndarray, values: np.ndarray, lr: float) -> None:
    np.subtract.at(weight, rows, weight.dtype.type(lr) * values)


def adagrad_rows_update(weight: np.ndarray, state_sum: np.ndarray, rows: np.ndarray, values: np.ndarray,
                        lr: float, eps: float) -> None:
    """Adagrad on the touched rows only; `rows` must be unique (coalesced)."""
    state_sum[rows] += values * values
    weight[rows] -= lr * values / (np.sqrt(state_sum[rows]) + eps)


def sparse_adam_rows_update(weight: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, rows: np.ndarray,
                            values: np.ndarray, lr: float, beta1: float, beta2: float, eps: float, step: int) -> None:
    """Adam's moments and step on the touched rows only (PyTorch's SparseAdam); `rows` must be unique."""
    m = exp_avg[rows] * beta1 + (1 - beta1) * values
    v = exp_avg_sq[rows] * beta2 + (1 - beta2) * values * values
    exp_avg[rows], exp_avg_sq[rows] = m, v
    step_size = lr * np.sqrt(1 - beta2**step) / (1 - beta1**step)
    weight[rows] -= (step_size * m / (np.sqrt(v) + eps)).astype(weight.dtype)


def build_kernel_table():
    from fastgrad.backends import kernel_table

    return kernel_table(name)

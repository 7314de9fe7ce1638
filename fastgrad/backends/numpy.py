"""The NumPy backend: the vectorized reference for every kernel.

A kernel takes and returns NumPy arrays and knows nothing of graphs. The kernel registry
(fastgrad/kernels/registry.py) declares, for each of these, the Numba, C and loop versions with the
same signature that the other backends use instead, and the tests hold them to these results.
"""
from __future__ import annotations

import math

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
where = np.where
matmul = np.matmul
tanh = np.tanh
log1p = np.log1p
expm1 = np.expm1
sin = np.sin
cos = np.cos
square = np.square
floor_divide = np.floor_divide
remainder = np.remainder


# At a tie NumPy's maximum and minimum return their second operand, PyTorch's its first: the swaps below keep
# the operand PyTorch keeps, which shows where -0.0 meets 0.0 (maximum(-0.0, 0.0) is -0.0, as PyTorch's).
def maximum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(b, a)


def minimum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.minimum(b, a)


def clip(a: np.ndarray, low, high) -> np.ndarray:
    """PyTorch's clamp: a itself where it equals a bound (np.clip would give the bound's zero), NaN kept."""
    out = a if low is None else np.maximum(low, a)
    return out if high is None else np.minimum(high, out)


def sign(a: np.ndarray) -> np.ndarray:
    """-1, 0 or 1, and 0 for NaN as PyTorch's (NumPy's sign gives NaN), so abs's gradient at NaN is 0 too."""
    out = np.sign(a)
    return np.where(np.isnan(a), 0, out).astype(out.dtype, copy=False) if out.dtype.kind == "f" else out


def reciprocal(x: np.ndarray) -> np.ndarray:
    return 1 / x  # np.reciprocal would divide integers as integers


def rsqrt(x: np.ndarray) -> np.ndarray:
    return 1 / np.sqrt(x)


# Reductions call the ufuncs' reduce directly: np.sum & co. add microseconds of Python dispatch.
# (NumPy's module has a __getattr__, so Python 3.11 looks np.add up the slow way each time; a loss's sum runs
# every step)
_add_reduce = np.add.reduce


def sum(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    if axis is None or x.dtype != np.float32:  # (a whole array is added pairwise; see _in_blocks)
        return _add_reduce(x, axis=axis, keepdims=keepdims)
    axes = tuple(a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
    blocked = [a for a in axes if x.shape[a] > _ROWS_PER_BLOCK and (a != x.ndim - 1 or x.strides[a] != x.itemsize)]
    if not blocked:
        return _add_reduce(x, axis=axis, keepdims=keepdims)
    for a in blocked:
        x = _in_blocks(x, a)
    out = np.add.reduce(x, axis=axes, keepdims=True)
    return out if keepdims else out.reshape([n for a, n in enumerate(out.shape) if a not in axes])


# NumPy adds pairwise (error ~ log n) only along the innermost contiguous axis; along any other it adds one
# row after another (error ~ n): the float32 column sums of 20,000 rows were off by 2e-6 of the total, of
# 1,000,000 rows by 1e-5, where PyTorch's cascade stays near 1e-7. Such an axis is summed in blocks of rows
# first, at the same speed (the blocks are views), and the block sums again, until one row is left.
_ROWS_PER_BLOCK = 128


def _in_blocks(x: np.ndarray, axis: int) -> np.ndarray:
    """x with `axis` summed down to one entry (kept as a dim of size 1), _ROWS_PER_BLOCK rows at a time."""
    while x.shape[axis] > _ROWS_PER_BLOCK:
        n, lead = x.shape[axis], (slice(None),) * axis
        whole = n - n % _ROWS_PER_BLOCK
        blocks = x[lead + (slice(0, whole),)].reshape(
            x.shape[:axis] + (whole // _ROWS_PER_BLOCK, _ROWS_PER_BLOCK) + x.shape[axis + 1:])
        sums = np.add.reduce(blocks, axis=axis + 1)
        if whole < n:
            sums = np.concatenate([sums, np.add.reduce(x[lead + (slice(whole, n),)], axis=axis, keepdims=True)], axis)
        x = sums
    return np.add.reduce(x, axis=axis, keepdims=True)


def amax(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    return np.maximum.reduce(x, axis=axis, keepdims=keepdims)


def amin(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    return np.minimum.reduce(x, axis=axis, keepdims=keepdims)


def prod(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    return np.multiply.reduce(x, axis=axis, keepdims=keepdims)


# Running sums and products of float32 are accumulated in float64 and rounded once per element, as PyTorch's
# CPU kernels do: a float32 accumulator drifts (100,000 running sums of 0.1 ended at 9998.56, not 10000).
def cumsum(x: np.ndarray, axis: int) -> np.ndarray:
    if x.dtype == np.float32:
        return np.add.accumulate(x, axis=axis, dtype=np.float64).astype(np.float32)
    return np.add.accumulate(x, axis=axis)


def cumprod(x: np.ndarray, axis: int) -> np.ndarray:
    if x.dtype == np.float32:
        return np.multiply.accumulate(x, axis=axis, dtype=np.float64).astype(np.float32)
    return np.multiply.accumulate(x, axis=axis)


def logsumexp(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """log(sum(exp(x))) with the maximum m taken out first, log(sum(exp(x - m))) + m, so exp never
    overflows; an infinite (or empty, -inf) maximum is not taken out, since inf - inf is NaN."""
    shift = np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)
    shift = np.where(np.isfinite(shift), shift, 0).astype(x.dtype, copy=False)
    with np.errstate(divide="ignore"):  # log(0) = -inf when every term is -inf
        out = np.log(sum(np.exp(x - shift), axis, True)) + shift  # (this module's sum: rows in blocks)
    return out if keepdims else np.squeeze(out, axis=axis)


# -- activations: forward, and backward from the upstream gradient g -------------------------------
def _zero_where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """values, with 0 where mask (a bool array) is set: selected (a NaN or inf value there gives 0, never NaN as a
    product would), by masking the bits. np.where with a scalar 0 does the same about 6x slower (measured on a
    256 x 256 float32 relu: 150 against 23 us), which made the NumPy backend's MLP step 1.4x slower than with
    np.maximum."""
    if values.itemsize not in (4, 8) or mask.shape != values.shape:
        return np.where(mask, values.dtype.type(0), values)
    bits = np.dtype(f"i{values.itemsize}")
    # -1 (all ones) where the value is kept, 0 where mask is set (the bits of +0.0 and of integer 0): made on the
    # mask's bytes, then widened (sign-extended), one pass fewer over the wide array than widening 0/1 first
    # (about 20% fewer instructions for the whole selection: 218 against 271 thousand on 256 x 256 float32)
    keep = np.subtract(mask.view(np.int8), 1).astype(bits)
    keep &= values.view(bits)
    return keep.view(values.dtype)


def relu(x: np.ndarray) -> np.ndarray:
    return _zero_where(x < 0, x)  # (np.maximum would turn -0.0 into 0.0; PyTorch keeps it)


def relu_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    # selected, not multiplied: a NaN gradient stays out; at a NaN output the gradient passes, as PyTorch's
    return _zero_where(y <= 0, g)


def leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x > 0, x, x * x.dtype.type(slope))


def leaky_relu_backward(g: np.ndarray, x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x > 0, g, g * g.dtype.type(slope))


def hardtanh(x: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(x, low, high)


def hardtanh_backward(g: np.ndarray, x: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.where((x <= low) | (x >= high), g.dtype.type(0), g)  # (at a NaN x the gradient passes, as PyTorch's)


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


# NumPy has no erf: libm's, one element at a time (exact, but slow next to the other kernels).
_erf = np.vectorize(math.erf, otypes=[np.float64])
_SQRT_HALF = math.sqrt(0.5)
_SQRT_TWO_OVER_PI = math.sqrt(2 / math.pi)
_GELU_CUBIC = 0.044715


def _gelu_tanh_inner(x: np.ndarray) -> np.ndarray:
    return _SQRT_TWO_OVER_PI * (x + _GELU_CUBIC * x * x * x)


def gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    """x Phi(x) with Phi the standard normal CDF (Hendrycks & Gimpel, 2016), or its tanh approximation
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(_gelu_tanh_inner(x)))
    return (0.5 * x * (1 + _erf(x * _SQRT_HALF))).astype(x.dtype, copy=False)


def gelu_backward(g: np.ndarray, x: np.ndarray, approximate: str) -> np.ndarray:
    if approximate == "tanh":
        t = np.tanh(_gelu_tanh_inner(x))
        d_inner = _SQRT_TWO_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
    cdf = 0.5 * (1 + _erf(x * _SQRT_HALF))
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return (g * (cdf + x * pdf)).astype(g.dtype, copy=False)  # d(x Phi(x)) = Phi(x) + x phi(x)


def elu(x: np.ndarray, alpha: float) -> np.ndarray:
    # min(x, 0) keeps expm1 from overflowing on the positive side, which np.where discards anyway; the exp
    # branch is taken where x <= 0, as PyTorch's: -0.0 gives -0.0, and NaN takes the identity branch
    return np.where(x <= 0, alpha * np.expm1(np.minimum(0, x)), x).astype(x.dtype, copy=False)


def elu_backward(g: np.ndarray, x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x <= 0, g * (alpha * np.exp(np.minimum(x, 0))), g).astype(g.dtype, copy=False)


def softplus(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (where the two agree to
    rounding), as PyTorch."""
    scaled = x * beta
    smooth = np.log1p(np.exp(np.minimum(scaled, threshold))) / beta
    return np.where(scaled > threshold, x, smooth).astype(x.dtype, copy=False)


def softplus_backward(g: np.ndarray, x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    scaled = x * beta
    return np.where(scaled > threshold, g, g * sigmoid(np.minimum(scaled, threshold))).astype(g.dtype, copy=False)


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    # log sigmoid(x) = min(x, 0) - log(1 + e^-|x|): no overflow and no log(0) for any finite x
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def log_sigmoid_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    return g * sigmoid(-x)


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
                          need_grad: bool, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Cross-entropy of softmax(logits) (N, C) against int64 targets (N,), and its gradient.

    Returns (loss, dlogits): loss is a 0-d array for "mean"/"sum" and (N,) for "none"; dlogits is
    (softmax - onehot), divided by the number of counted rows for "mean", zero on ignored rows,
    and unscaled per row for "none" (the op multiplies by the upstream gradient). `out`: a C-contiguous
    array of the logits' shape and dtype that dlogits is written into and returned as; it may be `logits`
    itself, which the gradient then overwrites.
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
    if out is not None:
        out[...] = grad
        return loss, out
    return loss, grad.astype(logits.dtype, copy=False)


# -- layer normalization over the last axis of 2-D (rows, features) x --------------------------------
def layer_norm(x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
               eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, xhat, rstd): xhat = (x - mean) * rstd with rstd = 1 / sqrt(biased var + eps) per row, and
    y = xhat * weight + bias; xhat and rstd (rows, 1) are what the backward needs."""
    centered = x - x.mean(axis=1, keepdims=True)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):  # handled below
        variance = (centered * centered).mean(axis=1, keepdims=True)
        rstd = 1 / np.sqrt(variance + x.dtype.type(eps))
    # squares past the dtype's range (float32 values near 1e20) give rstd 0 and a row of zeros; squares
    # below its normal range (near 1e-20, with eps 0) lose their digits and give a plausible wrong row
    unrepresentable = np.isinf(variance[:, 0]) | ((variance[:, 0] < np.finfo(x.dtype).tiny) & centered.any(axis=1))
    if unrepresentable.any():  # rescale those rows by their largest deviation
        rows = centered[unrepresentable]
        largest = np.abs(rows).max(axis=1, keepdims=True)
        scaled = rows / largest
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            scaled_eps = x.dtype.type(eps) / largest / largest
            rescaled = 1 / (largest * np.sqrt((scaled * scaled).mean(axis=1, keepdims=True) + scaled_eps))
            # an eps that large next to the row's spread is all of its variance
            rstd[unrepresentable] = np.where(np.isinf(scaled_eps), 1 / np.sqrt(x.dtype.type(eps)), rescaled)
    xhat = centered * rstd
    y = xhat if weight is None else xhat * weight
    if bias is not None:
        y = y + bias
    return y, xhat, rstd


def layer_norm_backward(g: np.ndarray, xhat: np.ndarray, rstd: np.ndarray, weight: np.ndarray | None,
                        need_x: bool, need_weight: bool, need_bias: bool):
    """(dx, dweight, dbias); dx projects d = g * weight off the directions the normalization removes
    (the row mean and xhat itself): dx = rstd (d - mean(d) - xhat mean(d xhat))."""
    g_x = None
    if need_x:
        d = g if weight is None else g * weight
        g_x = rstd * (d - d.mean(axis=1, keepdims=True) - xhat * (d * xhat).mean(axis=1, keepdims=True))
    g_weight = sum(g * xhat, 0, False) if need_weight else None  # (this module's sum: rows in blocks)
    g_bias = sum(g, 0, False) if need_bias else None
    return g_x, g_weight, g_bias


# -- linear layer: y = x W^T + b on 2-D x ----------------------------------------------------------
def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, out: np.ndarray | None = None) -> np.ndarray:
    """y = x W^T + b; `out`: an array of y's shape and dtype that y is written into and returned as."""
    y = np.matmul(x, weight.T, out=out)
    if bias is not None:
        y += bias
    return y


def linear_backward(x: np.ndarray, weight: np.ndarray, g: np.ndarray, need_x: bool, need_weight: bool,
                    need_bias: bool, out: tuple | None = None) -> tuple[np.ndarray | None, np.ndarray | None,
                                                                         np.ndarray | None]:
    """dx = g W, dW = g^T x, db = sum_rows g: one delta feeds all three (the lecture's reuse of delta).
    `out`: (dx, dW, db) arrays of the gradients' shapes and dtype that they are written into and returned
    as, None for any to allocate.

    The column sums are a matrix-vector product, ones^T g: BLAS runs it 2-4x faster than g.sum(axis=0)
    on a language model's (rows, V) deltas (measured at (350, 10000), float32, 1 and 2 threads)."""
    out_x, out_weight, out_bias = out or (None, None, None)
    gx = np.matmul(g, weight, out=out_x) if need_x else None
    gw = np.matmul(g.T, x, out=out_weight) if need_weight else None
    gb = None
    if need_bias:
        ones = np.empty(g.shape[0], dtype=g.dtype)
        ones.fill(1)  # (np.ones is two Python calls)
        gb = np.matmul(ones, g, out=out_bias)
    return gx, gw, gb


# -- contractions ----------------------------------------------------------------------------------
def einsum(equation: str, *operands: np.ndarray) -> np.ndarray:
    """np.einsum on an explicit equation ("ij,jk->ik"); with two or more operands NumPy is allowed to
    route the contraction through BLAS (`optimize`), which plain einsum loops never do."""
    return np.einsum(equation, *operands, optimize=len(operands) > 1)


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


def embedding_bag_weighted(weight: np.ndarray, ids: np.ndarray, offsets: np.ndarray,
                           per_sample_weights: np.ndarray) -> np.ndarray:
    """Weighted sum of weight rows per bag: out[b] = sum of per_sample_weights[k] * weight[ids[k]] over the
    bag's positions k (empty bag -> 0)."""
    bag, _ = _bag_of(ids, offsets)
    out = np.zeros((offsets.size, weight.shape[1]), dtype=weight.dtype)
    np.add.at(out, bag, weight[ids] * per_sample_weights[:, None])
    return out


def embedding_bag_weighted_backward(weight: np.ndarray, ids: np.ndarray, offsets: np.ndarray,
                                    per_sample_weights: np.ndarray, g: np.ndarray, sparse: bool,
                                    need_sample_grad: bool):
    """Gradients of embedding_bag_weighted: w.r.t. weight, id k's row receives per_sample_weights[k] g[bag]
    (dense, or sparse (rows, values) as embedding_backward); w.r.t. per_sample_weights[k], the dot product
    g[bag] . weight[ids[k]] (None unless need_sample_grad)."""
    bag, _ = _bag_of(ids, offsets)
    bag_grads = g[bag]
    weight_grad = embedding_backward(ids, bag_grads * per_sample_weights[:, None], weight.shape[0], -1, sparse)
    return weight_grad, np.einsum("kd,kd->k", bag_grads, weight[ids]) if need_sample_grad else None


def embedding_bag_max(weight: np.ndarray, ids: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per bag and dimension, the largest of the bag's rows: (out (num_bags, d), positions (num_bags, d)), where
    positions holds the index into ids of the row each value came from, -1 for an empty bag (whose out is 0).

    As PyTorch's loop, which starts from the bag's first row and moves only to a strictly larger value: of
    equal values the first wins, a NaN first row stays and a later NaN is passed over."""
    num_bags, width = offsets.size, weight.shape[1]
    positions = np.full((num_bags, width), -1, dtype=np.int64)
    out = np.zeros((num_bags, width), dtype=weight.dtype)
    if ids.size == 0:
        return out, positions
    bag, lengths = _bag_of(ids, offsets)
    filled = lengths > 0
    starts = offsets[filled]  # distinct and increasing: each non-empty bag runs to the next one's start
    rows = weight[ids]
    largest = np.fmax.reduceat(rows, starts, axis=0)  # the largest value other than NaN
    # the first position holding it; a bag starting with NaN keeps its first row, as PyTorch's loop does
    at_largest = np.where(rows == largest[np.cumsum(filled)[bag] - 1], np.arange(ids.size)[:, None], ids.size)
    first = np.minimum.reduceat(at_largest, starts, axis=0)
    first_is_nan = np.isnan(rows[starts])
    first[first_is_nan] = np.broadcast_to(starts[:, None], first.shape)[first_is_nan]
    positions[filled] = first
    out[filled] = np.take_along_axis(rows, first, axis=0)
    return out, positions


def embedding_bag_max_backward(ids: np.ndarray, positions: np.ndarray, g: np.ndarray, num_rows: int) -> np.ndarray:
    """Gradient of embedding_bag_max w.r.t. weight: g[b, j] goes to row ids[positions[b, j]], column j, only
    (an empty bag's position is -1 and sends nothing)."""
    dense = np.zeros((num_rows, g.shape[1]), dtype=g.dtype)
    bags, columns = np.nonzero(positions >= 0)
    np.add.at(dense, (ids[positions[bags, columns]], columns), g[bags, columns])
    return dense


# -- dropout ---------------------------------------------------------------------------------------
def dropout_mask(shape: tuple[int, ...], p: float, dtype: np.dtype, seed: int) -> np.ndarray:
    """Inverted-dropout mask: 0 with probability p, else 1/(1-p), from a generator seeded by `seed`."""
    keep = np.random.default_rng(seed).random(shape) >= p
    return keep.astype(dtype) / dtype.type(1 - p)


# -- Elman RNN over a whole sequence ---------------------------------------------------------------
def rnn_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray,
                nonlinearity: str) -> np.ndarray:
    """h_t = f(x_t W_ih^T + h_{t-1} W_hh^T + b) for t = 1..T; x (T, B, I), h0 (B, H) -> hs (T, B, H).

    The input projection of all T steps is one matrix product, written into hs; per step one product
    h_{t-1} W_hh^T and in-place passes for the sum and f (the compiled backend fuses those into one C pass,
    fastgrad/_native.py).
    """
    steps, batch, _ = x.shape
    hidden = w_ih.shape[0]
    dtype = np.result_type(x, h0, w_ih, w_hh, bias)
    hs = np.matmul(x.reshape(steps * batch, x.shape[2]), w_ih.T).astype(dtype, copy=False).reshape(steps, batch, hidden)
    hs += bias
    w_hh_t = np.ascontiguousarray(w_hh.T, dtype=dtype)  # h @ W^T as a plain product: BLAS runs it faster
    recurrent = np.empty((batch, hidden), dtype=dtype)
    h = h0
    for t in range(steps):
        np.matmul(h, w_hh_t, out=recurrent)
        recurrent += hs[t]
        if nonlinearity == "tanh":
            np.tanh(recurrent, out=hs[t])
        else:
            np.maximum(0, recurrent, out=hs[t])  # (at a tie NumPy returns recurrent: -0.0 stays, as PyTorch's)
        h = hs[t]
    return hs


def rnn_backward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, hs: np.ndarray,
                 g_hs: np.ndarray, nonlinearity: str, need_x: bool):
    """Backpropagation through time. g_hs (T, B, H) is dLoss/dh_t from above (the output layer and,
    at the last step, h_n). Returns (dx, dh0, dW_ih, dW_hh, db); the weight gradients are single
    matrix products over all steps once the per-step deltas are known."""
    steps, batch, hidden = hs.shape
    dtype = np.result_type(x, h0, w_ih, w_hh, hs, g_hs)
    w_hh = w_hh.astype(dtype, copy=False)
    deltas = np.empty((steps, batch, hidden), dtype=dtype)  # dLoss/d(pre-activation) per step
    carry = np.zeros((batch, hidden), dtype=dtype)  # dLoss/dh_t arriving from step t+1
    derivative = np.empty_like(carry)
    for t in range(steps - 1, -1, -1):
        np.add(g_hs[t], carry, out=deltas[t])
        if nonlinearity == "tanh":  # f' from the output: 1 - h^2
            np.multiply(hs[t], hs[t], out=derivative)
            np.subtract(1, derivative, out=derivative)
            deltas[t] *= derivative
        else:  # relu's, selected as PyTorch's: 0 where h <= 0 (a NaN gradient stays out), passed at a NaN h
            deltas[t][hs[t] <= 0] = 0
        np.matmul(deltas[t], w_hh, out=carry)
    flat_deltas = deltas.reshape(steps * batch, hidden)
    h_prev = np.concatenate([h0[None], hs[:-1]])[:steps].reshape(steps * batch, hidden)  # [:steps] for T=0
    dw_ih = flat_deltas.T @ x.reshape(steps * batch, x.shape[2])
    dw_hh = flat_deltas.T @ h_prev
    db = sum(flat_deltas, 0, False)
    dx = (flat_deltas @ w_ih).reshape(x.shape) if need_x else None
    return dx, carry, dw_ih, dw_hh, db


# -- gated recurrent layers over a whole sequence, in PyTorch's gate order -------------------------
def _input_projection(x: np.ndarray, w_ih: np.ndarray, bias: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """x_t W_ih^T + b for all T steps as one matrix product: (T, B, I) -> (T, B, rows of W_ih)."""
    steps, batch, inputs = x.shape
    projected = x.reshape(steps * batch, inputs) @ w_ih.T + bias
    return projected.astype(dtype, copy=False).reshape(steps, batch, w_ih.shape[0])


def _previous_states(first: np.ndarray, states: np.ndarray) -> np.ndarray:
    """[first, states[0], ..., states[T-2]] as (T * B, H) rows: the state each step started from."""
    steps, batch, hidden = states.shape
    return np.concatenate([first[None], states[:-1]])[:steps].reshape(steps * batch, hidden)  # [:steps]: T = 0


def lstm_forward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                 bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An LSTM layer (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000) over T steps:

        i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the four H-blocks of x_t W_ih^T + h_{t-1} W_hh^T + b
        c_t = f * c_{t-1} + i * g        h_t = o * tanh(c_t)

    x (T, B, I), h0 and c0 (B, H), w_ih (4H, I), w_hh (4H, H), b (4H,) = b_ih + b_hh. Returns states
    (2, T, B, H) (states[0] the h_t, states[1] the c_t) and the activated gates (T, B, 4H), which the
    backward reads. The input projection of all steps is one matrix product.
    """
    dtype = np.result_type(x, h0, c0, w_ih, w_hh, bias)
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    gates = _input_projection(x, w_ih, bias, dtype)
    states = np.empty((2, steps, batch, hidden), dtype=dtype)
    h, c = h0, c0
    for t in range(steps):
        pre = gates[t] + h @ w_hh.T
        activated = sigmoid(pre)
        activated[:, 2 * hidden:3 * hidden] = np.tanh(pre[:, 2 * hidden:3 * hidden])
        gates[t] = activated
        i, f, g, o = np.split(activated, 4, axis=1)
        c = f * c + i * g
        h = o * np.tanh(c)
        states[0, t], states[1, t] = h, c
    return states, gates


def lstm_backward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                  states: np.ndarray, gates: np.ndarray, g_states: np.ndarray, need_x: bool):
    """Backpropagation through time for `lstm_forward`. g_states (2, T, B, H) is dLoss/dh_t and dLoss/dc_t
    from outside the layer. Per step, from the last: dh = g_h + carry_h, dc = g_c + carry_c + dh o (1 -
    tanh^2 c_t); the gate pre-activations get di = dc g, df = dc c_{t-1}, dg = dc i, do = dh tanh(c_t)
    times each activation's derivative; carry_c = dc f and carry_h = d_gates W_hh flow to step t-1.
    Returns (dx or None, dh0, dc0, dW_ih, dW_hh, db); the weight gradients are single products over all
    steps."""
    steps, batch, hidden = states.shape[1:]
    d_gates = np.empty_like(gates)
    carry_h = np.zeros((batch, hidden), dtype=states.dtype)
    carry_c = np.zeros((batch, hidden), dtype=states.dtype)
    for t in range(steps - 1, -1, -1):
        i, f, g, o = np.split(gates[t], 4, axis=1)
        c_prev = states[1, t - 1] if t > 0 else c0
        tanh_c = np.tanh(states[1, t])
        dh = g_states[0, t] + carry_h
        dc = g_states[1, t] + carry_c + dh * o * (1 - tanh_c * tanh_c)
        d_gates[t] = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                                     dh * tanh_c * o * (1 - o)], axis=1)
        carry_c = dc * f
        carry_h = d_gates[t] @ w_hh
    flat = d_gates.reshape(steps * batch, 4 * hidden)
    dw_ih = flat.T @ x.reshape(steps * batch, x.shape[2])
    dw_hh = flat.T @ _previous_states(h0, states[0])
    dx = (flat @ w_ih).reshape(x.shape) if need_x else None
    return dx, carry_h, carry_c, dw_ih, dw_hh, sum(flat, 0, False)


def gru_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray,
                b_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A GRU layer (Cho et al. 2014) over T steps, as PyTorch defines it (b_hn inside the reset product):

        r = sigmoid(W_ir x_t + b_ir + W_hr h + b_hr)      z = sigmoid(W_iz x_t + b_iz + W_hz h + b_hz)
        n = tanh(W_in x_t + b_in + r * (W_hn h + b_hn))   h_t = (1 - z) * n + z * h    (h = h_{t-1})

    x (T, B, I), h0 (B, H), w_ih (3H, I), w_hh (3H, H), b_ih and b_hh (3H,). Returns the states (T, B, H)
    and, for the backward, gates (T, B, 4H): r, z, n and W_hn h + b_hn per step.
    """
    dtype = np.result_type(x, h0, w_ih, w_hh, b_ih, b_hh)
    steps, batch, _ = x.shape
    hidden = w_hh.shape[1]
    input_part = _input_projection(x, w_ih, b_ih, dtype)
    hs = np.empty((steps, batch, hidden), dtype=dtype)
    gates = np.empty((steps, batch, 4 * hidden), dtype=dtype)
    h = h0
    for t in range(steps):
        hidden_part = h @ w_hh.T + b_hh
        reset_update = sigmoid(input_part[t, :, :2 * hidden] + hidden_part[:, :2 * hidden])
        r, z = reset_update[:, :hidden], reset_update[:, hidden:]
        hidden_n = hidden_part[:, 2 * hidden:]
        n = np.tanh(input_part[t, :, 2 * hidden:] + r * hidden_n)
        h = (1 - z) * n + z * h
        hs[t] = h
        gates[t] = np.concatenate([r, z, n, hidden_n], axis=1)
    return hs, gates


def gru_backward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, hs: np.ndarray,
                 gates: np.ndarray, g_hs: np.ndarray, need_x: bool):
    """Backpropagation through time for `gru_forward`. Per step, from the last: dh = g_hs[t] + carry,
    dn = dh (1 - z), dz = dh (h_{t-1} - n), dr = dn_pre (W_hn h + b_hn), each times its activation's
    derivative. The input-side and hidden-side pre-activations differ only in the n block (the hidden
    side's is r times the input side's), so there are two gate gradients; carry = dh z + d_hidden W_hh.
    Returns (dx or None, dh0, dW_ih, dW_hh, db_ih, db_hh)."""
    steps, batch, hidden = hs.shape
    d_input = np.empty((steps, batch, 3 * hidden), dtype=hs.dtype)
    d_hidden = np.empty_like(d_input)
    carry = np.zeros((batch, hidden), dtype=hs.dtype)
    for t in range(steps - 1, -1, -1):
        r, z, n, hidden_n = np.split(gates[t], 4, axis=1)
        h_prev = hs[t - 1] if t > 0 else h0
        dh = g_hs[t] + carry
        d_n = dh * (1 - z) * (1 - n * n)
        d_z = dh * (h_prev - n) * z * (1 - z)
        d_r = d_n * hidden_n * r * (1 - r)
        d_input[t] = np.concatenate([d_r, d_z, d_n], axis=1)
        d_hidden[t] = np.concatenate([d_r, d_z, d_n * r], axis=1)
        carry = dh * z + d_hidden[t] @ w_hh
    flat_input = d_input.reshape(steps * batch, 3 * hidden)
    flat_hidden = d_hidden.reshape(steps * batch, 3 * hidden)
    dw_ih = flat_input.T @ x.reshape(steps * batch, x.shape[2])
    dw_hh = flat_hidden.T @ _previous_states(h0, hs)
    dx = (flat_input @ w_ih).reshape(x.shape) if need_x else None
    return dx, carry, dw_ih, dw_hh, sum(flat_input, 0, False), sum(flat_hidden, 0, False)
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


# -- connectionist temporal classification (fastgrad/kernels/ctc.py has the formulas) ------------------------
def _ctc_sequences(targets: np.ndarray, target_lengths: np.ndarray, blank: int):
    """Per sequence b: b, its extended target (blank, l_1, blank, ..., l_S, blank) and where a position may
    be reached from two positions before (a label unlike the label before it)."""
    offsets = np.concatenate([[0], np.cumsum(target_lengths)]).astype(np.int64)
    for b in range(target_lengths.size):
        extended = np.full(2 * target_lengths[b] + 1, blank, dtype=np.int64)
        extended[1::2] = targets[offsets[b]:offsets[b + 1]]
        skip = np.zeros(extended.size, dtype=bool)
        skip[3::2] = extended[3::2] != extended[1:-2:2]
        yield b, extended, skip


def _ctc_step(previous: np.ndarray, skip: np.ndarray, shift: int) -> np.ndarray:
    """logadd of `previous` at s, s - shift and (where skip allows) s - 2 shift: shift 1 runs the forward
    recursion, -1 the backward one (on the reversed positions, so skip is read reversed too)."""
    one = np.full_like(previous, -np.inf)
    two = np.full_like(previous, -np.inf)
    if shift == 1:
        one[1:], two[2:] = previous[:-1], previous[:-2]
    else:
        one[:-1], two[:-2] = previous[1:], previous[2:]
        skip = np.concatenate([skip[2:], np.zeros(min(2, skip.size), dtype=bool)])  # s reads the rule of s + 2
    two[~skip] = -np.inf
    return np.logaddexp(np.logaddexp(previous, one), two)


def ctc_forward(log_probs: np.ndarray, targets: np.ndarray, target_lengths: np.ndarray, input_lengths: np.ndarray,
                blank: int) -> tuple[np.ndarray, np.ndarray]:
    """(the loss of each sequence (N,) in log_probs' dtype, the forward variables (N, T, L) in float64)."""
    positions = 2 * int(target_lengths.max(initial=0)) + 1
    log_alpha = np.full((log_probs.shape[1], log_probs.shape[0], positions), -np.inf)
    nll = np.empty(log_probs.shape[1])
    for b, extended, skip in _ctc_sequences(targets, target_lengths, blank):
        frames, size = int(input_lengths[b]), extended.size
        if frames == 0:
            nll[b] = 0.0 if size == 1 else np.inf
            continue
        emitted = log_probs[:frames, b, :].astype(np.float64)[:, extended]
        alpha = log_alpha[b, :, :size]
        alpha[0, :2] = emitted[0, :2]
        for t in range(1, frames):
            alpha[t] = _ctc_step(alpha[t - 1], skip, 1) + emitted[t]
        nll[b] = -np.logaddexp.reduce(alpha[frames - 1, -2:])
    return nll.astype(log_probs.dtype), log_alpha


def ctc_backward(g: np.ndarray, log_probs: np.ndarray, targets: np.ndarray, target_lengths: np.ndarray,
                 input_lengths: np.ndarray, blank: int, nll: np.ndarray, log_alpha: np.ndarray) -> np.ndarray:
    """The gradient of sum_b g[b] * loss_b with respect to log_probs (T, N, C): minus the posterior of each
    label at each frame, NaN over the frames of a sequence whose loss is infinite."""
    grad = np.zeros(log_probs.shape)
    for b, extended, skip in _ctc_sequences(targets, target_lengths, blank):
        frames, size = int(input_lengths[b]), extended.size
        if frames == 0:
            continue
        if np.isinf(nll[b]):
            grad[:frames, b] = np.nan
            continue
        emitted = log_probs[:frames, b, :].astype(np.float64)[:, extended]
        beta = np.full((frames, size), -np.inf)
        beta[-1, -2:] = emitted[-1, -2:]
        for t in range(frames - 2, -1, -1):
            beta[t] = _ctc_step(beta[t + 1], skip, -1) + emitted[t]
        with np.errstate(invalid="ignore"):  # -inf - -inf where a label has probability 0: never occupied
            log_occupancy = log_alpha[b, :frames, :size] + beta - emitted + float(nll[b])
        occupancy = np.where(emitted == -np.inf, 0.0, np.exp(log_occupancy))
        np.add.at(grad[:frames, b], (slice(None), extended), -float(g[b]) * occupancy)
    return grad.astype(log_probs.dtype)


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

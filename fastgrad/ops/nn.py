"""Neural-network ops: softmax family and losses, dropout, embeddings, recurrent layers (Elman RNN, LSTM, GRU),
the CRF's log partition."""
from __future__ import annotations

import contextlib
import functools
import warnings

import numpy as np

from fastgrad.autograd.grad_mode import GRAD_MODE
from fastgrad.autograd.graph import Op, apply
from fastgrad.backends.numpy import _bag_of  # (a helper of the reference kernels, not a kernel)
from fastgrad.kernels.parallel import split_across_threads, threads_for_parts
from fastgrad.ops.elementwise import Maximum
from fastgrad.ops.recorded import constant, select
from fastgrad.ops.shape import Cat, ScatterIndexed, Stack
from fastgrad.sparse import SparseRowGrad


# -- softmax family: the kernels work on the last axis; other dims are moved there and back -------
class LogSoftmax(Op):
    """log softmax over `axis`; backward from the saved output: g - softmax * sum(g)."""

    forward_kernel, backward_kernel = "log_softmax", "log_softmax_backward"
    saves_inputs, saves_output = False, True

    def forward(ctx, K, x, axis):
        last = getattr(K, ctx.op.forward_kernel)(np.ascontiguousarray(np.moveaxis(x, axis, -1)))
        ctx.saved = (last, axis)
        return np.moveaxis(last, -1, axis)

    def backward(ctx, K, g):
        last, axis = ctx.saved
        return (np.moveaxis(getattr(K, ctx.op.backward_kernel)(np.moveaxis(g, axis, -1), last), -1, axis),)

    def backward_graph(ctx, g, out):
        return (g - out.exp() * g.sum(ctx.saved[1], keepdim=True),)


class Softmax(LogSoftmax):
    """softmax over `axis`; backward from the saved output: y (g - sum(g y))."""

    forward_kernel, backward_kernel = "softmax", "softmax_backward"

    def backward_graph(ctx, g, out):
        return (out * (g - (g * out).sum(ctx.saved[1], keepdim=True)),)


class SoftmaxCrossEntropy(Op):
    """Fused softmax + cross-entropy on (N, C) logits: the forward pass also produces d(logits), so
    backward is one scaling by the upstream gradient. With class weights w, row i counts w[target_i]
    times and "mean" divides by the summed weights of the counted rows (PyTorch's weighted mean)."""

    saves_inputs = False

    def forward(ctx, K, logits, targets, ignore_index, reduction, weight=None):
        need_grad = ctx.inputs[0]._requires_grad
        logits = np.ascontiguousarray(logits)
        if weight is None:  # the common case: one kernel call does everything
            loss, dlogits = K.softmax_cross_entropy(logits, targets, ignore_index, reduction, need_grad)
        else:
            loss, dlogits = _class_weighted_cross_entropy(K, logits, targets, ignore_index, reduction, need_grad,
                                                          weight)
        # the rest is for backward_graph, which recomputes the softmax from the logits as they were then
        ctx.saved = (dlogits, reduction, targets, ignore_index, weight, ctx.inputs[0]._counter.value)
        return loss

    def backward(ctx, K, g):
        dlogits, reduction, targets, ignore_index = ctx.saved[:4]
        if reduction != "none" and g == 1:  # the usual case, loss.backward(): skip a full pass over the (N, C) gradient
            return dlogits, None
        grad = K.multiply(dlogits, g[:, None] if reduction == "none" else g)
        if not np.isfinite(g).all():  # the ignored rows stay 0 (not 0 * NaN), as PyTorch's, which leaves them out
            grad[targets == ignore_index] = 0
        return grad, None

    def backward_graph(ctx, g, out):
        _, reduction, targets, ignore_index, weight, version = ctx.saved
        logits = ctx.inputs[0]
        if logits._counter.value != version:
            raise RuntimeError("one of the tensors needed for gradient computation (the logits of cross_entropy) was "
                               f"modified by an in-place operation: it is at version {logits._counter.value}, "
                               f"expected version {version}")
        one_hot, scale = _target_coefficients(logits._data, targets, ignore_index, reduction, weight)
        grad = (apply(Softmax, logits, axis=1) - constant(one_hot)) * constant(scale[:, None])
        return _counted_rows(targets, ignore_index, grad * (g.unsqueeze(1) if reduction == "none" else g)), None


def _counted_rows(targets: np.ndarray, ignore_index: int, grad):
    """The rows of a recorded (N, C) gradient whose targets count, the others zero whatever their logits (as
    the kernel sets them: selected, not multiplied, so a NaN logit in an ignored row does not leak)."""
    return select((targets != ignore_index)[:, None], grad)


def _target_coefficients(scores: np.ndarray, targets, ignore_index, reduction, weight) -> tuple:
    """For a loss over (N, C) scores at int targets: the one-hot matrix of the counted rows' targets and each
    row's factor (its class weight, divided by the summed weights of the counted rows for "mean")."""
    row_weight = _row_weights(targets, ignore_index, weight, scores.dtype)
    rows = np.nonzero(targets != ignore_index)[0]
    one_hot = np.zeros(scores.shape, dtype=scores.dtype)
    one_hot[rows, targets[rows]] = 1
    total_weight = row_weight.sum(dtype=np.float64)
    if reduction == "mean":
        row_weight = _over_total_weight(row_weight, total_weight, targets != ignore_index)
    return one_hot, row_weight


def _over_total_weight(row_weight: np.ndarray, total_weight: float, counted: np.ndarray) -> np.ndarray:
    """Each row's factor in a "mean" over class weights: its weight / the counted rows' summed weights. When
    rows count but their weights sum to 0 (all zero class weights), PyTorch divides by that 0: NaN in the
    counted rows (0 / 0); when no row counts, every factor stays 0."""
    if total_weight:
        return (row_weight / total_weight).astype(row_weight.dtype)
    return np.where(counted, np.nan, row_weight).astype(row_weight.dtype)


class LinearCrossEntropy(Op):
    """Cross-entropy of softmax(hidden W^T + b) (V classes) against int targets, the output layer of a
    language model fused with its loss, without ever holding all (N, V) logits: rows go through in
    blocks of about BLOCK_LOGITS logits. Per block, one matrix product gives the logits, the fused
    softmax cross-entropy kernel turns them into per-row losses and, in place, into the gradient
    softmax - onehot, and that one delta feeds dW += delta^T h, db += sum delta and dh = delta W at once
    (the lecture's reuse of delta for W, b and the layer below). Exact: every row's softmax sees all V
    logits in one block, so the loss and gradients are those of the unfused layer.

    Row blocks rather than vocabulary chunks with an online log-sum-exp: a row's softmax gradient needs
    its full normalizer, which vocabulary chunks know only after the last chunk, so they must compute
    the logits twice (a fourth N x H x V product; measured 1.5x the unfused layer's time on one core),
    while row blocks need the three products of the unfused layer. For "mean" and "sum" the forward
    computes the gradients for a unit upstream gradient and the backward scales them, as
    SoftmaxCrossEntropy does; for "none" the backward runs the blocks again, each row's delta scaled by
    its upstream gradient."""

    def forward(ctx, K, hidden, weight, bias, targets, ignore_index, reduction, block_rows=None):
        needs = tuple(GRAD_MODE.enabled and t.requires_grad for t in ctx.inputs[:3])
        count = targets.size - int(np.count_nonzero(targets == ignore_index))
        grads_now = any(needs) and reduction != "none"
        # "mean": d loss / d row loss = 1 / count (no counted row: NaN loss and zero gradients, as cross_entropy)
        row_scale = (1.0 / count if reduction == "mean" and count else 1.0) if grads_now else None
        losses, *grads = _linear_cross_entropy_blocks(K, hidden, weight, bias, targets, ignore_index, row_scale,
                                                      needs, block_rows)
        ctx.saved = (hidden, weight, bias, targets, ignore_index, reduction, needs, grads, block_rows)
        if reduction == "none":
            return losses
        total = losses.sum(dtype=np.float64)
        return np.asarray(total if reduction == "sum" else (total / count if count else np.nan), dtype=losses.dtype)

    def backward(ctx, K, g):
        hidden, weight, bias, targets, ignore_index, reduction, needs, grads, block_rows = ctx.saved
        if reduction == "none":
            return (*_linear_cross_entropy_blocks(K, hidden, weight, bias, targets, ignore_index, g, needs,
                                                  block_rows)[1:], None)
        if g == 1:  # the usual case, loss.backward(): the forward's gradients as they are
            return (*grads, None)
        return (*(None if grad is None else K.multiply(grad, g) for grad in grads), None)

    def backward_graph(ctx, g, out):
        # unfused: all (N, V) logits at once, which the recorded graph keeps for the second backward anyway
        hidden, weight, bias = ctx.inputs[:3]
        targets, ignore_index, reduction = ctx.saved[3:6]
        logits = hidden @ weight.T + bias
        one_hot, scale = _target_coefficients(logits._data, targets, ignore_index, reduction, None)
        delta = _counted_rows(targets, ignore_index, (apply(Softmax, logits, axis=1) - constant(one_hot))
                              * constant(scale[:, None]))
        delta = delta * (g.unsqueeze(1) if reduction == "none" else g)
        return (delta @ weight if hidden._requires_grad else None,
                delta.T @ hidden if weight._requires_grad else None,
                delta.sum(0) if bias._requires_grad else None, None)


# Logits per block of LinearCrossEntropy: 32 MB in float32, so that the RNN LM's 700 x 10000 logits are one
# block on one thread (two blocks of 350 rows made its step 5-8% slower than the unfused layer: the weight
# gradient written and summed twice, products with half the rows) and one block per thread on two; its
# step's peak memory grew by 25 MiB for it (bench/lm_step_memory.py: 94 -> 119 MiB against PyTorch's 253+),
# and is 92 MiB since each block's delta overwrites its logits.
BLOCK_LOGITS = 1 << 23


def _linear_cross_entropy_blocks(K, hidden, weight, bias, targets, ignore_index, row_scale, needs, block_rows=None):
    """Per-row losses of softmax(hidden W^T + b) against targets, and, unless row_scale is None, the
    gradients (dh, dW, db) of sum_i row_scale_i loss_i (row_scale: a number or one per row), None for the
    inputs `needs` leaves out. Rows go in blocks of `block_rows` (default: about BLOCK_LOGITS logits).

    With two or more threads the blocks are shared evenly among them, each thread running its blocks with
    one-thread BLAS into its own dW and db, summed at the end: one product per thread scales better than
    every product split across the threads (the RNN LM's 700 x 200 -> 10,000 layer, forward and backward,
    in two 350-row blocks: 1.94x the one-thread speed at two threads, against 1.68x).

    Every large array the threads write is allocated here, in the calling thread, and written in place:
    each block's delta overwrites its logits, and its dh and its thread's first dW and db go straight into
    their arrays. The C allocator gives every thread its own arena and keeps what a thread frees there
    for that thread, so blocks allocated in the part threads stayed resident beside the calling thread's
    memory: the RNN LM step's max RSS grew by 126-156 MiB at two threads for 87 MiB of arrays at their
    peak, and grows by 93 MiB now (bench/lm_step_memory.py; docs/benchmarks.md, "Memory at two threads")."""
    rows, classes = hidden.shape[0], weight.shape[0]
    losses = np.empty(rows, dtype=hidden.dtype)
    want = needs if row_scale is not None else (False, False, False)
    scale = np.asarray(row_scale if row_scale is not None else 1.0, dtype=hidden.dtype)
    # (C order, as the products write straight into them)
    d_hidden = np.empty(hidden.shape, dtype=hidden.dtype) if want[0] else None
    threads = threads_for_parts(rows * classes)
    block = block_rows or _default_block_rows(rows, classes, threads)
    parts = _block_edges(rows, block, threads)
    logits_blocks = [np.empty((min(block, rows), classes), dtype=hidden.dtype) for _ in parts]
    # each part's dW and db (the first part's become the sums); zeros when no block runs (no rows)
    allocate = np.empty if rows else np.zeros
    d_weights = [allocate(weight.shape, dtype=weight.dtype) if want[1] else None for _ in parts]
    d_biases = [allocate(bias.shape, dtype=bias.dtype) if want[2] else None for _ in parts]

    def run_blocks(part: int) -> None:
        """The blocks between consecutive edges of `part`, their dW and db summed into the part's."""
        edges = parts[part]
        for start, stop in zip(edges[:-1], edges[1:]):
            logits = K.linear(hidden[start:stop], weight, bias, out=logits_blocks[part][:stop - start])
            losses[start:stop], delta = K.softmax_cross_entropy(logits, targets[start:stop], ignore_index, "none",
                                                                any(want), out=logits)
            if not any(want):
                continue
            if scale.ndim:  # one scale per row ("none"); a single scale goes onto the smaller gradients at the end
                delta *= scale[start:stop, None]
            first = start == edges[0]  # later blocks' dW and db are added to the first's
            _, g_weight, g_bias = K.linear_backward(
                hidden[start:stop], weight, delta, *want,
                out=(d_hidden[start:stop] if want[0] else None, d_weights[part] if first else None,
                     d_biases[part] if first else None))
            if want[1] and not first:
                d_weights[part] += g_weight
            if want[2] and not first:
                d_biases[part] += g_bias

    split_across_threads([functools.partial(run_blocks, part) for part in range(len(parts))])
    d_weight, d_bias = _summed(d_weights), _summed(d_biases)
    if scale.ndim == 0 and scale != 1:
        for grad in (d_hidden, d_weight, d_bias):
            if grad is not None:
                grad *= scale
    return losses, d_hidden, d_weight, d_bias


def _default_block_rows(rows: int, classes: int, threads: int) -> int:
    """Rows per block: about BLOCK_LOGITS logits at most, and as many blocks of as many rows as can be for
    each of `threads` threads."""
    blocks = -(-rows // max(1, BLOCK_LOGITS // max(classes, 1)))
    blocks = -(-blocks // threads) * threads
    return -(-rows // blocks) if rows else 1


def _block_edges(rows: int, block: int, parts: int) -> list[np.ndarray]:
    """Each part's block edges: blocks of `block` rows from row 0 (the last may be shorter), shared out
    among at most `parts` parts as evenly as whole blocks go."""
    edges = np.append(np.arange(0, rows, block), rows)
    blocks = len(edges) - 1
    parts = max(1, min(parts, blocks))
    cuts = np.linspace(0, blocks, parts + 1).round().astype(np.int64)
    return [edges[cuts[part]:cuts[part + 1] + 1] for part in range(parts)]


def _summed(arrays: list):
    """The sum of the parts' arrays, into the first (None when the parts computed none)."""
    total = arrays[0]
    for array in arrays[1:] if total is not None else ():
        total += array
    return total


def _row_weights(targets: np.ndarray, ignore_index: int, weight: np.ndarray | None, dtype) -> np.ndarray:
    """Each row's weight: its target class's weight (1 without class weights), 0 for ignored rows."""
    keep = targets != ignore_index
    if weight is None:
        return keep.astype(dtype)
    return np.where(keep, weight[np.where(keep, targets, 0)], 0).astype(dtype)


def _class_weighted_cross_entropy(K, logits, targets, ignore_index, reduction, need_grad, weight):
    """The unweighted kernel's per-row losses and gradients, scaled by each row's class weight."""
    row_loss, dlogits = K.softmax_cross_entropy(logits, targets, ignore_index, "none", need_grad)
    row_weight = _row_weights(targets, ignore_index, weight, logits.dtype)
    row_loss = row_loss * row_weight
    if dlogits is not None:
        dlogits *= row_weight[:, None]
    if reduction == "none":
        return row_loss, dlogits
    if reduction == "sum":
        return np.asarray(row_loss.sum(), dtype=logits.dtype), dlogits
    total_weight = row_weight.sum(dtype=np.float64)
    if dlogits is not None and total_weight:
        dlogits /= logits.dtype.type(total_weight)
    elif dlogits is not None:  # rows count, but with zero weights: PyTorch's 0 / 0 (no row counts: zeros)
        dlogits[targets != ignore_index] = np.nan
    # NaN when the counted rows weigh 0 in all (every target ignored, or zero class weights), as PyTorch
    loss = row_loss.sum(dtype=np.float64) / total_weight if total_weight else np.nan
    return np.asarray(loss, dtype=logits.dtype), dlogits


class NLLLoss(Op):
    """Negative log-likelihood of log-probabilities (N, C) at int targets, each row weighted by its
    target's class weight (1 without `weight`); "mean" divides by the summed weights of the counted rows."""

    saves_inputs = False

    def forward(ctx, K, logp, targets, ignore_index, reduction, weight=None):
        keep = targets != ignore_index
        rows = np.arange(logp.shape[0])
        safe_targets = np.where(keep, targets, 0)
        row_weight = _row_weights(targets, ignore_index, weight, logp.dtype)
        picked = np.where(keep, -logp[rows, safe_targets] * row_weight, 0).astype(logp.dtype)
        total_weight = row_weight.sum(dtype=np.float64)
        ctx.saved = (logp.shape, safe_targets, keep, row_weight, total_weight, reduction)
        if reduction == "none":
            return picked
        total = picked.sum()
        return np.asarray(total if reduction == "sum" else (total / total_weight if total_weight else np.nan),
                          dtype=logp.dtype)

    def backward(ctx, K, g):
        shape, targets, keep, row_weight, total_weight, reduction = ctx.saved
        grad = np.zeros(shape, dtype=g.dtype)
        rows = np.nonzero(keep)[0]
        if reduction == "none":
            grad[rows, targets[rows]] = -g[rows] * row_weight[rows]
        else:
            scale = g / total_weight if reduction == "mean" and total_weight else g
            grad[rows, targets[rows]] = -scale * row_weight[rows]
            if reduction == "mean" and not total_weight:  # rows count, but with zero weights: PyTorch's 0 / 0
                grad[rows, targets[rows]] = np.nan
        return grad, None

    def backward_graph(ctx, g, out):
        shape, targets, keep, row_weight, total_weight, reduction = ctx.saved
        scale = _over_total_weight(row_weight, total_weight, keep) if reduction == "mean" else row_weight
        coefficients = np.zeros(shape, dtype=g._data.dtype)
        rows = np.nonzero(keep)[0]
        coefficients[rows, targets[rows]] = -scale[rows]
        picked = np.zeros(shape, dtype=bool)
        picked[rows, targets[rows]] = True
        # selected, not only multiplied, as the array backward writes: a NaN upstream gradient stays out of the rest
        return select(picked, constant(coefficients) * (g.unsqueeze(1) if reduction == "none" else g)), None


class BCEWithLogits(Op):
    """Binary cross-entropy of sigmoid(x) against targets y in [0, 1], each term scaled by `weight` w and
    its positive part by `pos_weight` p (both optional constants broadcast to x's shape, as in PyTorch;
    `weighted` names those given): -w [p y log sigmoid(x) + (1 - y) log sigmoid(-x)], computed as
    w [(1 - y) x - (1 + (p - 1) y) log sigmoid(x)], where the log-sigmoid kernel never overflows.
    Derivatives: d/dx = w [(1 + (p - 1) y) sigmoid(x) - p y] (w (sigmoid(x) - y) without pos_weight) and
    d/dy = w [log sigmoid(-x) - p log sigmoid(x)] (-w x without pos_weight), PyTorch's form, which is +-inf
    at infinite x where the equal -w [x + (p - 1) log sigmoid(x)] is inf - inf. "mean" divides by the number of
    elements, whatever the weights."""

    def forward(ctx, K, x, y, *weights, reduction, weighted):
        named = dict(zip(weighted, weights))
        weight, pos_weight = named.get("weight"), named.get("pos_weight")
        log_sigmoid = K.log_sigmoid(x)
        positive_scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        losses = (1 - y) * x - positive_scale * log_sigmoid
        if weight is not None:
            losses = losses * weight
        ctx.saved = (x, y, log_sigmoid, weight, pos_weight, reduction)
        if reduction == "none":
            return losses
        return np.asarray(losses.sum() if reduction == "sum" else losses.mean(), dtype=losses.dtype)

    def backward(ctx, K, g):
        x, y, log_sigmoid, weight, pos_weight, reduction = ctx.saved
        scale = g / x.size if reduction == "mean" else g
        if weight is not None:
            scale = scale * weight
        s = K.sigmoid(x)
        slope_x = s - y if pos_weight is None else (1 + (pos_weight - 1) * y) * s - pos_weight * y
        g_y = None
        if ctx.inputs[1].requires_grad:
            slope_y = -x if pos_weight is None else K.log_sigmoid(-x) - pos_weight * log_sigmoid
            g_y = K.multiply(slope_y, scale)
        return (K.multiply(slope_x, scale), g_y) + (None,) * len(ctx.inputs[2:])

    def backward_graph(ctx, g, out):
        from fastgrad.ops.elementwise import LogSigmoid

        x, y = ctx.inputs[:2]
        _, _, _, weight, pos_weight, reduction = ctx.saved
        scale = g / x.numel() if reduction == "mean" else g
        if weight is not None:
            scale = scale * constant(weight)
        s = x.sigmoid()
        if pos_weight is None:
            slope_x = s - y
        else:
            pos_weight = constant(pos_weight)
            slope_x = (1 + (pos_weight - 1) * y) * s - pos_weight * y
        g_y = None
        if y._requires_grad:
            slope_y = -x if pos_weight is None else apply(LogSigmoid, -x) - pos_weight * apply(LogSigmoid, x)
            g_y = slope_y * scale
        return (slope_x * scale, g_y) + (None,) * len(ctx.inputs[2:])


# PyTorch's losses keep their 1e-12 floors (binary cross-entropy's gradient, cosine_embedding_loss's squared norms)
# in a float, 9.99999996e-13, whatever the tensors' dtype: the same floor gives the same numbers there.
LOSS_EPSILON = float(np.float32(1e-12))


class BinaryCrossEntropy(Op):
    """-(y log x + (1 - y) log(1 - x)) elementwise, for probabilities x in [0, 1] and targets y, each log
    clamped at -100 as in PyTorch (x = 0 or 1 gives a loss of 100, not inf). Derivatives as PyTorch
    defines them: d/dx = (x - y) / max(x (1 - x), LOSS_EPSILON), finite at 0 and 1; d/dy = log(1 - x) - log(x)
    (unclamped: infinite at 0 and 1)."""

    def forward(ctx, K, x, y):
        ctx.saved = (x, y)
        with np.errstate(divide="ignore"):
            log_x, log_not_x = np.log(x), np.log1p(-x)
        return -(y * np.maximum(log_x, -100) + (1 - y) * np.maximum(log_not_x, -100))

    def backward(ctx, K, g):
        x, y = ctx.saved
        g_y = None
        if ctx.inputs[1].requires_grad:
            with np.errstate(divide="ignore"):
                g_y = g * (np.log1p(-x) - np.log(x))
        return g * (x - y) / np.maximum(x * (1 - x), LOSS_EPSILON), g_y

    def backward_graph(ctx, g, out):
        x, y = ctx.inputs
        floor = constant(np.asarray(LOSS_EPSILON, dtype=x._data.dtype))
        g_y = None
        if y._requires_grad:
            with np.errstate(divide="ignore"):  # infinite at x = 0 and 1, as the array backward's
                g_y = g * ((-x).log1p() - x.log())
        return g * (x - y) / apply(Maximum, x * (1 - x), floor), g_y


# -- normalization ---------------------------------------------------------------------------------
class LayerNorm(Op):
    """Layer normalization (Ba et al., 2016) over the last `normalized_ndim` dims: xhat = (x - mean) / sqrt(var
    + eps) with the biased variance, y = xhat * weight + bias (each optional; `affine` names the inputs
    after x). Backward per row with d = g * weight: dx = rstd (d - mean(d) - xhat mean(d xhat)),
    dweight = sum over rows of g xhat, dbias = sum over rows of g."""

    def forward(ctx, K, x, *params, normalized_ndim, eps, affine):
        normalized_shape = x.shape[x.ndim - normalized_ndim:]
        named = dict(zip(affine, (param.reshape(-1) for param in params)))
        # (the row count spelled out: -1 cannot be inferred when the normalized shape holds a 0)
        rows = x.reshape(int(np.prod(x.shape[:x.ndim - normalized_ndim])), int(np.prod(normalized_shape)))
        with _quiet_when_empty(rows.shape[1]):
            y, xhat, rstd = K.layer_norm(rows, named.get("weight"), named.get("bias"), eps)
        ctx.saved = (xhat, rstd, named.get("weight"), x.shape, normalized_shape, affine, eps)
        return y.reshape(x.shape)

    def backward(ctx, K, g):
        xhat, rstd, weight, x_shape, normalized_shape, affine, _ = ctx.saved
        needs = dict(zip(("input",) + affine, (t.requires_grad for t in ctx.inputs)))
        with _quiet_when_empty(xhat.shape[1]):
            g_x, g_weight, g_bias = K.layer_norm_backward(g.reshape(xhat.shape), xhat, rstd, weight, needs["input"],
                                                          needs.get("weight", False), needs.get("bias", False))
        by_name = {"weight": g_weight, "bias": g_bias}
        return (_reshaped(g_x, x_shape),) + tuple(_reshaped(by_name[name], normalized_shape) for name in affine)

    def backward_graph(ctx, g, out):
        # the array kernels' formula on tensors (without their rescaling of rows beyond the float range)
        *_, x_shape, normalized_shape, affine, eps = ctx.saved
        x, params = ctx.inputs[0], dict(zip(affine, ctx.inputs[1:]))
        width = int(np.prod(normalized_shape))
        count = int(np.prod(x_shape[:len(x_shape) - len(normalized_shape)]))
        rows, g_rows = x.reshape(count, width), g.reshape(count, width)
        centered = rows - rows.mean(1, keepdim=True)
        rstd = ((centered * centered).mean(1, keepdim=True) + eps).rsqrt()
        xhat = centered * rstd
        d = g_rows * params["weight"].reshape(width) if "weight" in params else g_rows
        g_x = rstd * (d - d.mean(1, keepdim=True) - xhat * (d * xhat).mean(1, keepdim=True))
        by_name = {"weight": lambda: (g_rows * xhat).sum(0), "bias": lambda: g_rows.sum(0)}
        return (g_x.reshape(x_shape),) + tuple(by_name[name]().reshape(normalized_shape) for name in affine)


def _quiet_when_empty(width: int):
    """No NumPy warnings about the means of empty rows (a normalized shape holding a 0, whose output is empty,
    as PyTorch's); rows with elements pay for no warnings context."""
    return contextlib.nullcontext() if width else _no_runtime_warnings()


@contextlib.contextmanager
def _no_runtime_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _reshaped(grad: np.ndarray | None, shape: tuple) -> np.ndarray | None:
    return None if grad is None else grad.reshape(shape)


class Dropout(Op):
    """Inverted dropout: zero with probability p and scale the rest by 1/(1-p) at train time, so
    evaluation is the identity. The mask comes from a seed drawn from fastgrad's generator."""

    saves_inputs = False

    def forward(ctx, K, x, p, seed):
        mask = K.dropout_mask(x.shape, p, x.dtype, seed)
        ctx.saved = mask
        return K.multiply(x, mask)

    def backward(ctx, K, g):
        return (K.multiply(g, ctx.saved),)

    def backward_graph(ctx, g, out):
        return (g * constant(ctx.saved),)


# -- embeddings: ids are range-checked by fastgrad.nn.functional before these run -------------------
def _weight_grad(ctx, result, num_rows: int):
    """Kernels return (rows, values) for a sparse gradient; wrap it for the graph layer."""
    if isinstance(result, tuple):
        rows, values = result
        return SparseRowGrad(rows, values, (num_rows, values.shape[1]))
    return result


def _scaled_by_frequency(dense, ids: np.ndarray, what: str) -> np.ndarray:
    """scale_grad_by_freq: each row's gradient divided by how often its id occurs in the mini-batch (every
    contribution to row r is divided by the same count, so the summed row can be divided once)."""
    if isinstance(dense, tuple):  # a sparse (rows, values) gradient; PyTorch raises here, in backward, too
        raise RuntimeError(f"{what}: scale_grad_by_freq=True is not supported with sparse gradients")
    dense /= _row_counts(ids, dense.shape[0], dense.dtype)
    return dense


def _row_counts(ids: np.ndarray, num_rows: int, dtype) -> np.ndarray:
    """(num_rows, 1): how often each row's id occurs in `ids` (at least 1, a divisor for scale_grad_by_freq)."""
    return np.maximum(np.bincount(ids, minlength=num_rows), 1)[:, None].astype(dtype)


def _id_counts(ids: np.ndarray, dtype) -> np.ndarray:
    """ids.shape + (1,): how often each id occurs in `ids` (the divisor of its row's scaled gradient)."""
    _, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    return counts[inverse.reshape(ids.shape)][..., None].astype(dtype)


class Embedding(Op):
    """weight[ids]: a row lookup; the backward scatter-adds g into the rows that were looked up, as a
    row-sparse gradient when `sparse` (no dense V x d array) or a dense one otherwise."""

    saves_inputs = False

    def forward(ctx, K, weight, ids, padding_idx, sparse, scale_grad_by_freq=False):
        ctx.saved = (ids, weight.shape[0], padding_idx, sparse and ctx.inputs[0]._node is None, scale_grad_by_freq)
        return K.embedding(weight, ids)

    def backward(ctx, K, g):
        ids, num_rows, padding_idx, sparse, scale_grad_by_freq = ctx.saved
        dim = g.shape[-1]
        result = K.embedding_backward(ids, np.ascontiguousarray(g.reshape(-1, dim)), num_rows,
                                      -1 if padding_idx is None else padding_idx, sparse)
        if scale_grad_by_freq:
            result = _scaled_by_frequency(result, ids.reshape(-1), "embedding")
        return _weight_grad(ctx, result, num_rows), None

    def backward_graph(ctx, g, out):
        ids, num_rows, padding_idx, sparse, scale_grad_by_freq = ctx.saved
        if sparse:
            raise NotImplementedError("create_graph=True: Embedding(sparse=True) gives a row-sparse gradient, which is "
                                      "not recorded; use sparse=False to differentiate twice")
        return apply(EmbeddingGradient, g, ids=ids, num_rows=num_rows, padding_idx=padding_idx,
                     scale_grad_by_freq=scale_grad_by_freq), None


class EmbeddingGradient(Op):
    """The dense gradient of an embedding lookup as an op of its own, so that it can be differentiated again:
    g's rows added into zeros (num_rows, d) at their ids (none for padding_idx; divided by each id's count
    with scale_grad_by_freq). It is linear in g; its own gradient reads rows back at the ids, scaled alike."""

    saves_inputs = False

    def forward(ctx, K, g, ids, num_rows, padding_idx, scale_grad_by_freq):
        ctx.saved = (ids, padding_idx, scale_grad_by_freq)
        grad = K.embedding_backward(ids, np.ascontiguousarray(g.reshape(-1, g.shape[-1])), num_rows,
                                    -1 if padding_idx is None else padding_idx, False)
        return _scaled_by_frequency(grad, ids.reshape(-1), "embedding") if scale_grad_by_freq else grad

    def backward(ctx, K, gg):
        ids, padding_idx, scale_grad_by_freq = ctx.saved
        rows = gg[ids]
        if scale_grad_by_freq:
            rows = rows / _id_counts(ids, rows.dtype)
        if padding_idx is not None:
            rows = np.where((ids == padding_idx)[..., None], rows.dtype.type(0), rows)
        return (rows,)

    def backward_graph(ctx, gg, out):
        ids, padding_idx, scale_grad_by_freq = ctx.saved
        rows = gg[ids]
        if scale_grad_by_freq:
            rows = rows / constant(_id_counts(ids, rows._data.dtype))
        if padding_idx is not None:
            rows = select((ids != padding_idx)[..., None], rows)
        return (rows,)


class EmbeddingBag(Op):
    """Sum or mean of looked-up rows per bag (flat ids cut at offsets), without building the
    (ids, d) intermediate in the compiled backend."""

    saves_inputs = False

    def forward(ctx, K, weight, ids, offsets, mode, sparse, scale_grad_by_freq=False):
        ctx.saved = (ids, offsets, mode, weight.shape[0], sparse and ctx.inputs[0]._node is None, scale_grad_by_freq)
        return K.embedding_bag(weight, ids, offsets, mode)

    def backward(ctx, K, g):
        ids, offsets, mode, num_rows, sparse, scale_grad_by_freq = ctx.saved
        result = K.embedding_bag_backward(ids, offsets, np.ascontiguousarray(g), mode, num_rows, sparse)
        if scale_grad_by_freq:
            result = _scaled_by_frequency(result, ids, "embedding_bag")
        return _weight_grad(ctx, result, num_rows), None, None

    def backward_graph(ctx, g, out):
        ids, offsets, mode, num_rows, sparse, scale_grad_by_freq = ctx.saved
        if sparse:
            raise NotImplementedError("create_graph=True: EmbeddingBag(sparse=True) gives a row-sparse gradient, "
                                      "which is not recorded; use sparse=False to differentiate twice")
        return apply(EmbeddingBagGradient, g, ids=ids, offsets=offsets, mode=mode, num_rows=num_rows,
                     scale_grad_by_freq=scale_grad_by_freq), None, None


class EmbeddingBagGradient(Op):
    """The dense gradient of a sum or mean embedding bag as an op of its own, so that it can be differentiated
    again: each bag's gradient (divided by its size for "mean") added into zeros (num_rows, d) at its ids,
    rows divided by their ids' counts with scale_grad_by_freq. Linear in g: its own gradient is the bag
    itself applied to the (count-scaled) upstream rows."""

    saves_inputs = False

    def forward(ctx, K, g, ids, offsets, mode, num_rows, scale_grad_by_freq):
        ctx.saved = (ids, offsets, mode, scale_grad_by_freq)
        grad = K.embedding_bag_backward(ids, offsets, np.ascontiguousarray(g), mode, num_rows, False)
        return _scaled_by_frequency(grad, ids, "embedding_bag") if scale_grad_by_freq else grad

    def backward(ctx, K, gg):
        ids, offsets, mode, scale_grad_by_freq = ctx.saved
        rows = _scaled_by_frequency(gg.copy(), ids, "embedding_bag") if scale_grad_by_freq else gg
        return (K.embedding_bag(np.ascontiguousarray(rows), ids, offsets, mode),)

    def backward_graph(ctx, gg, out):
        ids, offsets, mode, scale_grad_by_freq = ctx.saved
        rows = gg / constant(_row_counts(ids, gg.shape[0], gg._data.dtype)) if scale_grad_by_freq else gg
        return (apply(EmbeddingBag, rows, constant(ids), constant(offsets), mode=mode, sparse=False),)


class WeightedEmbeddingBag(Op):
    """Sum of looked-up rows per bag, row k scaled by per_sample_weights[k]; differentiable w.r.t. the
    weight (each id's row receives its bag's gradient times its weight) and per_sample_weights (the dot
    product of its bag's gradient with its row)."""

    def forward(ctx, K, weight, ids, offsets, per_sample_weights, sparse, scale_grad_by_freq):
        need_sample_grad = ctx.inputs[3].requires_grad
        if not need_sample_grad:  # the weight's values are read only for per_sample_weights' gradient
            ctx.mark_unsaved(0)
        ctx.saved = (weight, ids, offsets, per_sample_weights, sparse and ctx.inputs[0]._node is None,
                     scale_grad_by_freq, need_sample_grad)
        return K.embedding_bag_weighted(weight, ids, offsets, per_sample_weights)

    def backward(ctx, K, g):
        weight, ids, offsets, per_sample_weights, sparse, scale_grad_by_freq, need_sample_grad = ctx.saved
        weight_grad, sample_grad = K.embedding_bag_weighted_backward(weight, ids, offsets, per_sample_weights,
                                                                     np.ascontiguousarray(g), sparse, need_sample_grad)
        if scale_grad_by_freq:
            weight_grad = _scaled_by_frequency(weight_grad, ids, "embedding_bag")
        return _weight_grad(ctx, weight_grad, weight.shape[0]), None, None, sample_grad

    def backward_graph(ctx, g, out):
        weight, _, _, per_sample_weights = ctx.inputs
        _, ids, offsets, _, sparse, scale_grad_by_freq, _ = ctx.saved
        if sparse:
            raise NotImplementedError("create_graph=True: EmbeddingBag(sparse=True) gives a row-sparse gradient, "
                                      "which is not recorded; use sparse=False to differentiate twice")
        bag_grads = g[_bag_of(ids, offsets)[0]]  # each id's bag's gradient
        weight_grad = sample_grad = None
        if weight._requires_grad:
            weight_grad = apply(EmbeddingGradient, bag_grads * per_sample_weights.unsqueeze(1), ids=ids,
                                num_rows=weight.shape[0], padding_idx=None, scale_grad_by_freq=scale_grad_by_freq)
        if per_sample_weights._requires_grad:
            sample_grad = (bag_grads * weight[ids]).sum(1)
        return weight_grad, None, None, sample_grad


class EmbeddingBagMax(Op):
    """Per bag and dimension, the largest value among the bag's rows; the gradient goes to the one
    element it came from (an empty bag gives 0 and sends none). Dense gradients only, as in PyTorch."""

    saves_inputs = False

    def forward(ctx, K, weight, ids, offsets):
        out, positions = K.embedding_bag_max(weight, ids, offsets)
        ctx.saved = (ids, positions, weight.shape[0])
        return out

    def backward(ctx, K, g):
        ids, positions, num_rows = ctx.saved
        return K.embedding_bag_max_backward(ids, positions, np.ascontiguousarray(g), num_rows), None, None

    def backward_graph(ctx, g, out):
        ids, positions, num_rows = ctx.saved
        bags, columns = np.nonzero(positions >= 0)  # an empty bag sends nothing
        return apply(ScatterIndexed, g[bags, columns], shape=(num_rows, g.shape[1]),
                     key=(ids[positions[bags, columns]], columns), advanced=True), None, None


# -- recurrent layers: one op runs one layer in one direction over the whole sequence ---------------
def _in_direction(array, reverse: bool, time_axis: int = 0):
    """The array (or tensor, in a recorded backward) with its time axis reversed when `reverse`: a
    backward-direction layer (as in a bidirectional RNN) runs the same kernels over the reversed sequence,
    and its outputs and input gradients are reversed back, so that index t always belongs to input step t."""
    if not reverse:
        return array
    return np.flip(array, time_axis) if isinstance(array, np.ndarray) else array.flip(time_axis)


# The recorded backward of a recurrent layer (backward_graph) is the kernels' backpropagation through time on
# tensors, in the kernels' (directed) time order: the gates are recomputed from the inputs and the saved
# output states, which are tensors with the layer's op behind them, so the gradient's own gradient reaches
# the parameters through the states too; only the carry from step to step is a loop.
def _zero_state(like):
    return constant(np.zeros(like.shape, dtype=like._data.dtype))


def _started_from(first, states):
    """[first, states[0], ..., states[T-2]] (T, B, H): the state each step started from, as a tensor."""
    return apply(Cat, first.unsqueeze(0), states[:-1], axis=0)[:states.shape[0]]  # [:T]: T = 0


def _projected(sequence, weight, bias=None):
    """sequence (T, B, n) times weight^T (+ bias), as one product over all steps."""
    steps, batch, width = sequence.shape
    product = sequence.reshape(steps * batch, width) @ weight.T  # (not -1: ambiguous when empty)
    return (product if bias is None else product + bias).reshape(steps, batch, weight.shape[0])


def _over_time(per_step: list, shape: tuple, dtype):
    """The per-step tensors (in step order) stacked on a time axis: (T,) + shape."""
    if not per_step:
        return constant(np.zeros((0,) + shape, dtype=dtype))
    return apply(Stack, *per_step, axis=0)


def _layer_gradients(x, previous, weights, d_input, d_hidden, reverse):
    """Gradients of the input sequence, the weights and the biases of a recurrent layer from the gradients of
    its gate pre-activations (T, B, G*H) on the input side and the hidden side (one tensor for both where
    they are the same), as the kernels form them: single products over all steps. x and previous (the state
    each step started from) are in the kernels' time order; None for what requires no grad."""
    w_ih, w_hh, b_ih, b_hh = weights
    steps, batch, rows = d_input.shape
    flat_input = d_input.reshape(steps * batch, rows)
    flat_hidden = d_hidden.reshape(steps * batch, rows)
    dx = dw_ih = dw_hh = db_ih = db_hh = None
    if x._requires_grad:
        dx = _in_direction((flat_input @ w_ih).reshape(x.shape), reverse)
    if w_ih._requires_grad:
        dw_ih = flat_input.T @ x.reshape(steps * batch, x.shape[2])
    if w_hh._requires_grad:
        dw_hh = flat_hidden.T @ previous.reshape(steps * batch, previous.shape[2])
    if b_ih._requires_grad:
        db_ih = flat_input.sum(0)
    if b_hh._requires_grad:
        db_hh = flat_hidden.sum(0)
    return dx, dw_ih, dw_hh, db_ih, db_hh


class RNN(Op):
    """One Elman RNN layer over a whole sequence, h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh):
    the forward and the backpropagation through time are one kernel call each."""

    saves_output = True

    def forward(ctx, K, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse):
        x = np.ascontiguousarray(_in_direction(x, reverse))
        h0 = np.ascontiguousarray(h0)
        hs = K.rnn_forward(x, h0, w_ih, w_hh, b_ih + b_hh, nonlinearity)
        ctx.saved = (x, h0, w_ih, w_hh, hs, nonlinearity, reverse)
        return _in_direction(hs, reverse)

    def backward(ctx, K, g):
        x, h0, w_ih, w_hh, hs, nonlinearity, reverse = ctx.saved
        g = np.ascontiguousarray(_in_direction(g, reverse))
        dx, dh0, dw_ih, dw_hh, db = K.rnn_backward(x, h0, w_ih, w_hh, hs, g, nonlinearity, ctx.inputs[0].requires_grad)
        dx = None if dx is None else _in_direction(dx, reverse)
        return dx, dh0, dw_ih, dw_hh, db, db  # b_ih and b_hh enter the sum the same way

    def backward_graph(ctx, g, out):
        x, h0, *weights = ctx.inputs
        nonlinearity, reverse = ctx.saved[5:]
        hs, g = _in_direction(out, reverse), _in_direction(g, reverse)
        carry = _zero_state(h0)  # the gradient arriving at h_t from step t+1
        deltas = []  # the gradient of each step's pre-activation, from the last step
        for t in range(hs.shape[0] - 1, -1, -1):
            h = hs[t]
            # f' from the output: 1 - h^2 (recorded), or the constant mask h > 0 (relu'' is 0)
            slope = 1 - h * h if nonlinearity == "tanh" else constant((h._data > 0).astype(h._data.dtype))
            deltas.append((g[t] + carry) * slope)
            carry = deltas[-1] @ weights[1]
        d_pre = _over_time(deltas[::-1], tuple(h0.shape), h0._data.dtype)
        x = _in_direction(x, reverse)
        dx, dw_ih, dw_hh, db_ih, db_hh = _layer_gradients(x, _started_from(h0, hs), weights, d_pre, d_pre, reverse)
        return dx, (carry if h0._requires_grad else None), dw_ih, dw_hh, db_ih, db_hh


class LSTM(Op):
    """One LSTM layer over a whole sequence, gates i, f, g, o as in PyTorch:
    c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g), h_t = sigmoid(o) tanh(c_t) (formulas and shapes in
    `lstm_forward` of fastgrad/backends/numpy.py). Its output, states (2, T, B, H), holds h_t and c_t of
    every step, so that gradients can reach both h_n and c_n; the forward and the backpropagation
    through time are one kernel call each."""

    saves_output = True

    def forward(ctx, K, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        x = np.ascontiguousarray(_in_direction(x, reverse))
        h0, c0 = np.ascontiguousarray(h0), np.ascontiguousarray(c0)
        states, gates = K.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih + b_hh)
        ctx.saved = (x, h0, c0, w_ih, w_hh, states, gates, reverse)
        return _in_direction(states, reverse, time_axis=1)

    def backward(ctx, K, g):
        x, h0, c0, w_ih, w_hh, states, gates, reverse = ctx.saved
        g = np.ascontiguousarray(_in_direction(g, reverse, time_axis=1))
        dx, dh0, dc0, dw_ih, dw_hh, db = K.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates, g,
                                                         ctx.inputs[0].requires_grad)
        dx = None if dx is None else _in_direction(dx, reverse)
        return dx, dh0, dc0, dw_ih, dw_hh, db, db  # b_ih and b_hh enter the sum the same way

    def backward_graph(ctx, g, out):
        x, h0, c0, *weights = ctx.inputs
        w_ih, w_hh, b_ih, b_hh = weights
        reverse = ctx.saved[-1]
        states, g = _in_direction(out, reverse, time_axis=1), _in_direction(g, reverse, time_axis=1)
        x = _in_direction(x, reverse)
        hidden = h0.shape[1]
        h_previous, c_previous = _started_from(h0, states[0]), _started_from(c0, states[1])
        pre = _projected(x, w_ih, b_ih + b_hh) + _projected(h_previous, w_hh)
        i, f, o = (pre[..., k * hidden:(k + 1) * hidden].sigmoid() for k in (0, 1, 3))
        cell = pre[..., 2 * hidden:3 * hidden].tanh()
        tanh_c = states[1].tanh()
        # d(pre-activation) = dc * (the first three slopes), dh * (the last), per step
        slopes = apply(Cat, cell * i * (1 - i), c_previous * f * (1 - f), i * (1 - cell * cell),
                       tanh_c * o * (1 - o), axis=2)
        c_slope = o * (1 - tanh_c * tanh_c)  # dc_t / dh_t within step t
        carry_h, carry_c = _zero_state(h0), _zero_state(c0)
        deltas = []
        for t in range(states.shape[1] - 1, -1, -1):
            dh = g[0, t] + carry_h
            dc = g[1, t] + carry_c + dh * c_slope[t]
            deltas.append(apply(Cat, dc, dc, dc, dh, axis=1) * slopes[t])
            carry_c = dc * f[t]
            carry_h = deltas[-1] @ w_hh
        d_pre = _over_time(deltas[::-1], (h0.shape[0], 4 * hidden), h0._data.dtype)
        dx, dw_ih, dw_hh, db_ih, db_hh = _layer_gradients(x, h_previous, weights, d_pre, d_pre, reverse)
        return (dx, carry_h if h0._requires_grad else None, carry_c if c0._requires_grad else None,
                dw_ih, dw_hh, db_ih, db_hh)


class GRU(Op):
    """One GRU layer over a whole sequence, gates r, z, n as in PyTorch (b_hn inside the reset product):
    n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h_t = (1 - z) n + z h_{t-1} (all formulas in
    `gru_forward` of fastgrad/backends/numpy.py). The forward and the backpropagation through time are
    one kernel call each."""

    saves_output = True

    def forward(ctx, K, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        x = np.ascontiguousarray(_in_direction(x, reverse))
        h0 = np.ascontiguousarray(h0)
        hs, gates = K.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
        ctx.saved = (x, h0, w_ih, w_hh, hs, gates, reverse)
        return _in_direction(hs, reverse)

    def backward(ctx, K, g):
        x, h0, w_ih, w_hh, hs, gates, reverse = ctx.saved
        g = np.ascontiguousarray(_in_direction(g, reverse))
        dx, dh0, dw_ih, dw_hh, db_ih, db_hh = K.gru_backward(x, h0, w_ih, w_hh, hs, gates, g,
                                                             ctx.inputs[0].requires_grad)
        dx = None if dx is None else _in_direction(dx, reverse)
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh

    def backward_graph(ctx, g, out):
        x, h0, *weights = ctx.inputs
        w_ih, w_hh, b_ih, b_hh = weights
        reverse = ctx.saved[-1]
        hs, g = _in_direction(out, reverse), _in_direction(g, reverse)
        x = _in_direction(x, reverse)
        hidden = h0.shape[1]
        h_previous = _started_from(h0, hs)
        input_part, hidden_part = _projected(x, w_ih, b_ih), _projected(h_previous, w_hh, b_hh)
        reset_update = (input_part[..., :2 * hidden] + hidden_part[..., :2 * hidden]).sigmoid()
        r, z = reset_update[..., :hidden], reset_update[..., hidden:]
        hidden_n = hidden_part[..., 2 * hidden:]
        n = (input_part[..., 2 * hidden:] + r * hidden_n).tanh()
        # d(pre-activation) = dh * slope per step, on the input side and on the hidden side
        n_slope = (1 - z) * (1 - n * n)
        r_slope = n_slope * hidden_n * r * (1 - r)
        z_slope = (h_previous - n) * z * (1 - z)
        input_slopes = apply(Cat, r_slope, z_slope, n_slope, axis=2)
        hidden_slopes = apply(Cat, r_slope, z_slope, n_slope * r, axis=2)
        carry = _zero_state(h0)
        dhs = []
        for t in range(hs.shape[0] - 1, -1, -1):
            dh = g[t] + carry
            dhs.append(apply(Cat, dh, dh, dh, axis=1))
            carry = dh * z[t] + (dhs[-1] * hidden_slopes[t]) @ w_hh
        dh = _over_time(dhs[::-1], (h0.shape[0], 3 * hidden), h0._data.dtype)
        dx, dw_ih, dw_hh, db_ih, db_hh = _layer_gradients(x, h_previous, weights, dh * input_slopes,
                                                          dh * hidden_slopes, reverse)
        return dx, (carry if h0._requires_grad else None), dw_ih, dw_hh, db_ih, db_hh
class CRFLogPartition(Op):
    """log Z of a linear-chain CRF for each sentence of a batch (Collobert et al. 2011's sentence-level
    likelihood): the forward algorithm over emissions (N, K) stacked sentence by sentence, `lengths` (B,)
    tokens each, with transitions (K, K) and start/end scores (K,). Backward: the tag and transition
    marginals times the upstream gradient (forward-backward); see fastgrad/kernels/crf.py."""

    saves_output = True  # the backward reads log Z

    def forward(ctx, K, emissions, transitions, start, end, lengths):
        log_z, alphas = K.crf_forward(emissions, lengths, transitions, start, end)
        ctx.saved = (emissions, transitions, start, end, lengths, alphas, log_z)
        return log_z

    def backward(ctx, K, g):
        emissions, transitions, start, end, lengths, alphas, log_z = ctx.saved
        return K.crf_backward(np.ascontiguousarray(g), emissions, lengths, transitions, start, end, alphas, log_z)

    def backward_graph(ctx, g, out):
        # the kernels' forward-backward on tensors, sentence by sentence: alphas and betas recomputed with
        # logsumexp, whose derivative at a row of -inf only is NaN where the marginals' is 0: refused
        emissions, transitions, start, end = ctx.inputs
        if not all(np.isfinite(score._data).all() for score in ctx.inputs):
            raise NotImplementedError("create_graph=True: crf_log_partition with -inf (or other non-finite) scores "
                                      "has no recorded backward; use large negative finite scores to differentiate "
                                      "twice")
        rows = []
        d_transitions, d_start, d_end = (constant(np.zeros(score.shape, dtype=score._data.dtype))
                                         for score in (transitions, start, end))
        offsets = np.concatenate([[0], np.cumsum(ctx.saved[4])]).tolist()
        for b, (first, stop) in enumerate(zip(offsets[:-1], offsets[1:])):
            alphas = [start + emissions[first]]
            for t in range(first + 1, stop):
                alphas.append((alphas[-1].unsqueeze(1) + transitions).logsumexp(0) + emissions[t])
            betas = [end]
            for t in range(stop - 1, first, -1):
                betas.insert(0, (transitions + (emissions[t] + betas[0]).unsqueeze(0)).logsumexp(1))
            alphas, betas = apply(Stack, *alphas, axis=0), apply(Stack, *betas, axis=0)
            rows.append(g[b] * (alphas + betas - out[b]).exp())
            after = emissions[first + 1:stop] + betas[1:]  # pairs[t, i, j]: tag i at t, tag j at t + 1
            pairs = alphas[:-1].unsqueeze(2) + transitions.unsqueeze(0) + after.unsqueeze(1)
            d_transitions = d_transitions + g[b] * (pairs - out[b]).exp().sum(0)
            d_start = d_start + rows[-1][0]
            d_end = d_end + g[b] * (alphas[-1] + end - out[b]).exp()
        d_emissions = apply(Cat, *rows, axis=0) if rows else constant(np.zeros(emissions.shape, emissions._data.dtype))
        return tuple(grad if score._requires_grad else None
                     for grad, score in zip((d_emissions, d_transitions, d_start, d_end), ctx.inputs))


class CTCLoss(Op):
    """The CTC loss of each sequence of a batch (Graves et al. 2006): -log p(target | log_probs) summed over
    every alignment, from log_probs (T, N, C), the targets concatenated (sum of target_lengths,) and the
    lengths (N,). Backward: minus each label's posterior at each frame (fastgrad/kernels/ctc.py). With
    `zero_infinity`, a sequence no alignment fits gets loss 0 and gradient 0 (else inf and NaN)."""

    def forward(ctx, K, log_probs, targets, target_lengths, input_lengths, blank, zero_infinity):
        nll, log_alpha = K.ctc_forward(log_probs, targets, target_lengths, input_lengths, blank)
        ctx.saved = (targets, target_lengths, input_lengths, blank, nll, log_alpha, zero_infinity)
        return np.where(nll == np.inf, np.zeros_like(nll), nll) if zero_infinity else nll

    def backward(ctx, K, g):
        log_probs = ctx.inputs[0]._data
        targets, target_lengths, input_lengths, blank, nll, log_alpha, zero_infinity = ctx.saved
        grad = K.ctc_backward(np.ascontiguousarray(g), log_probs, targets, target_lengths, input_lengths, blank, nll,
                              log_alpha)
        if zero_infinity:
            grad[:, nll == np.inf, :] = 0
        return (grad,)

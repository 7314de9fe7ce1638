"""Neural-network ops: softmax family and losses, dropout, embeddings, the Elman RNN, the CRF's log partition."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.graph import Op
from fastgrad.sparse import SparseRowGrad


# -- softmax family: the kernels work on the last axis; other dims are moved there and back -------
class LogSoftmax(Op):
    """log softmax over `axis`; backward from the saved output: g - softmax * sum(g)."""

    kernel = "log_softmax"
    saves_inputs, saves_output = False, True

    def forward(ctx, K, x, axis):
        last = getattr(K, ctx.op.kernel)(np.ascontiguousarray(np.moveaxis(x, axis, -1)))
        ctx.saved = (last, axis)
        return np.moveaxis(last, -1, axis)

    def backward(ctx, K, g):
        last, axis = ctx.saved
        return (np.moveaxis(getattr(K, ctx.op.kernel + "_backward")(np.moveaxis(g, axis, -1), last), -1, axis),)


class Softmax(LogSoftmax):
    """softmax over `axis`; backward from the saved output: y (g - sum(g y))."""

    kernel = "softmax"


class SoftmaxCrossEntropy(Op):
    """Fused softmax + cross-entropy on (N, C) logits: the forward pass also produces d(logits), so
    backward is one scaling by the upstream gradient."""

    saves_inputs = False

    def forward(ctx, K, logits, targets, ignore_index, reduction):
        need_grad = ctx.inputs[0].requires_grad
        loss, dlogits = K.softmax_cross_entropy(np.ascontiguousarray(logits), targets, ignore_index, reduction,
                                                need_grad)
        ctx.saved = (dlogits, reduction)
        return loss

    def backward(ctx, K, g):
        dlogits, reduction = ctx.saved
        if reduction == "none":
            return K.multiply(dlogits, g[:, None]), None
        if g == 1:  # the usual case, loss.backward(): skip a full pass over the (N, C) gradient
            return dlogits, None
        return K.multiply(dlogits, g), None


class NLLLoss(Op):
    """Negative log-likelihood of log-probabilities (N, C) at int targets."""

    saves_inputs = False

    def forward(ctx, K, logp, targets, ignore_index, reduction):
        keep = targets != ignore_index
        rows = np.arange(logp.shape[0])
        picked = np.where(keep, -logp[rows, np.where(keep, targets, 0)], 0).astype(logp.dtype)
        count = int(keep.sum())
        ctx.saved = (logp.shape, targets, keep, count, reduction)
        if reduction == "none":
            return picked
        total = picked.sum()
        return np.asarray(total if reduction == "sum" else (total / count if count else np.nan), dtype=logp.dtype)

    def backward(ctx, K, g):
        shape, targets, keep, count, reduction = ctx.saved
        grad = np.zeros(shape, dtype=g.dtype)
        rows = np.nonzero(keep)[0]
        if reduction == "none":
            grad[rows, targets[rows]] = -g[rows]
        else:
            grad[rows, targets[rows]] = -(g / count if reduction == "mean" else g)
        return grad, None


class BCEWithLogits(Op):
    """Binary cross-entropy of sigmoid(x) against targets y in [0, 1], in the stable form
    max(x, 0) - x y + log(1 + exp(-|x|)); its derivative is sigmoid(x) - y."""

    def forward(ctx, K, x, y, reduction):
        losses = K.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
        ctx.saved = (x, y, reduction)
        if reduction == "none":
            return losses
        return np.asarray(losses.sum() if reduction == "sum" else losses.mean(), dtype=losses.dtype)

    def backward(ctx, K, g):
        x, y, reduction = ctx.saved
        scale = g / x.size if reduction == "mean" else g
        s = K.sigmoid(x)
        g_x = K.multiply(s - y, scale)
        g_y = K.multiply(-x, scale) if ctx.inputs[1].requires_grad else None
        return g_x, g_y


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


# -- embeddings: ids are range-checked by fastgrad.nn.functional before these run -------------------
def _weight_grad(ctx, result, num_rows: int):
    """Kernels return (rows, values) for a sparse gradient; wrap it for the graph layer."""
    if isinstance(result, tuple):
        rows, values = result
        return SparseRowGrad(rows, values, (num_rows, values.shape[1]))
    return result


class Embedding(Op):
    """weight[ids]: a row lookup; the backward scatter-adds g into the rows that were looked up, as a
    row-sparse gradient when `sparse` (no dense V x d array) or a dense one otherwise."""

    saves_inputs = False

    def forward(ctx, K, weight, ids, padding_idx, sparse):
        ctx.saved = (ids, weight.shape[0], padding_idx, sparse and ctx.inputs[0]._node is None)
        return K.embedding(weight, ids)

    def backward(ctx, K, g):
        ids, num_rows, padding_idx, sparse = ctx.saved
        dim = g.shape[-1]
        result = K.embedding_backward(ids, np.ascontiguousarray(g.reshape(-1, dim)), num_rows,
                                      -1 if padding_idx is None else padding_idx, sparse)
        return _weight_grad(ctx, result, num_rows), None


class EmbeddingBag(Op):
    """Sum or mean of looked-up rows per bag (flat ids cut at offsets), without building the
    (ids, d) intermediate in the compiled backend."""

    saves_inputs = False

    def forward(ctx, K, weight, ids, offsets, mode, sparse):
        ctx.saved = (ids, offsets, mode, weight.shape[0], sparse and ctx.inputs[0]._node is None)
        return K.embedding_bag(weight, ids, offsets, mode)

    def backward(ctx, K, g):
        ids, offsets, mode, num_rows, sparse = ctx.saved
        result = K.embedding_bag_backward(ids, offsets, np.ascontiguousarray(g), mode, num_rows, sparse)
        return _weight_grad(ctx, result, num_rows), None, None


class RNN(Op):
    """One Elman RNN layer over a whole sequence, h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh):
    the forward and the backpropagation through time are one kernel call each."""

    saves_output = True

    def forward(ctx, K, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity):
        x = np.ascontiguousarray(x)
        h0 = np.ascontiguousarray(h0)
        hs = K.rnn_forward(x, h0, w_ih, w_hh, b_ih + b_hh, nonlinearity)
        ctx.saved = (x, h0, w_ih, w_hh, hs, nonlinearity)
        return hs

    def backward(ctx, K, g):
        x, h0, w_ih, w_hh, hs, nonlinearity = ctx.saved
        dx, dh0, dw_ih, dw_hh, db = K.rnn_backward(x, h0, w_ih, w_hh, hs, np.ascontiguousarray(g), nonlinearity,
                                                   ctx.inputs[0].requires_grad)
        return dx, dh0, dw_ih, dw_hh, db, db  # b_ih and b_hh enter the sum the same way


class CRFLogPartition(Op):
    """log Z of a linear-chain CRF for each sentence of a batch (Collobert et al. 2011's sentence-level
    likelihood): the forward algorithm over emissions (N, K) stacked sentence by sentence, `lengths` (B,)
    tokens each, with transitions (K, K) and start/end scores (K,). Backward: the tag and transition
    marginals times the upstream gradient (forward-backward); see fastgrad/kernels/crf.py."""

    def forward(ctx, K, emissions, transitions, start, end, lengths):
        log_z, alphas = K.crf_forward(emissions, lengths, transitions, start, end)
        ctx.saved = (emissions, transitions, start, end, lengths, alphas, log_z)
        return log_z

    def backward(ctx, K, g):
        emissions, transitions, start, end, lengths, alphas, log_z = ctx.saved
        return K.crf_backward(np.ascontiguousarray(g), emissions, lengths, transitions, start, end, alphas, log_z)

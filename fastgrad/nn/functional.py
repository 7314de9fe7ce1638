"""`fastgrad.nn.functional` (import as F): activations, losses, dropout, linear, embeddings, RNN, CRF.

Arguments are checked here, at the Python boundary, before any kernel runs: index tensors must be
integers inside their range, shapes must agree, and errors say which argument was wrong.
"""
from __future__ import annotations

import numpy as np

from fastgrad import ops
from fastgrad.autograd.graph import apply
from fastgrad.random import next_seed
from fastgrad.tensor import Tensor, _normalize_dims


def _ids(ids, size: int, name: str, allowed: int | None = None) -> np.ndarray:
    """An int64 array of indices, each in [0, size) (or equal to `allowed`), else IndexError."""
    array = ids._data if isinstance(ids, Tensor) else np.asarray(ids)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer tensor, got dtype {array.dtype}")
    array = np.ascontiguousarray(array, dtype=np.int64)
    if array.size:
        valid = (array >= 0) & (array < size)
        if allowed is not None:
            valid |= array == allowed
        if not valid.all():
            bad = int(array[~valid].flat[0])
            raise IndexError(f"{name} contains index {bad}, outside the valid range [0, {size})")
    return array


def _reduction(reduction: str) -> str:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


# -- activations -----------------------------------------------------------------------------------
def relu(x: Tensor) -> Tensor:
    return apply(ops.Relu, x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return apply(ops.LeakyRelu, x, slope=float(negative_slope))


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """One slope for all elements (weight of size 1) or one per channel, dim 1 of x."""
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.numel() not in (1, channels):
        raise ValueError(f"prelu: weight has {weight.numel()} elements, expected 1 or the {channels} channels of "
                         f"input shape {x.shape}")
    return apply(ops.Prelu, x, weight)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} is greater than max_val {max_val}")
    return apply(ops.Hardtanh, x, low=float(min_val), high=float(max_val))


def tanh(x: Tensor) -> Tensor:
    return apply(ops.Tanh, x)


def sigmoid(x: Tensor) -> Tensor:
    return apply(ops.Sigmoid, x)


def silu(x: Tensor) -> Tensor:
    """x * sigmoid(x), also called swish."""
    return apply(ops.Silu, x)


swish = silu


# -- softmax family and losses ------------------------------------------------------------------------
def softmax(x: Tensor, dim: int = -1) -> Tensor:
    (axis,) = _normalize_dims(dim, x.ndim)
    return apply(ops.Softmax, x, axis=axis)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    (axis,) = _normalize_dims(dim, x.ndim)
    return apply(ops.LogSoftmax, x, axis=axis)


def _class_scores(input: Tensor, target, name: str):
    """(N, C) scores and (N,) targets from (N, C) / (N,), (C,) / (), or (N, C, d...) / (N, d...)."""
    target_array = target._data if isinstance(target, Tensor) else np.asarray(target)
    if input.ndim == 1:
        scores, expected = input.reshape(1, -1), ()
    elif input.ndim == 2:
        scores, expected = input, input.shape[:1]
    else:  # class dim 1, any number of extra dims
        scores = input.permute((0,) + tuple(range(2, input.ndim)) + (1,)).reshape(-1, input.shape[1])
        expected = (input.shape[0],) + input.shape[2:]
    if target_array.shape != expected:
        raise ValueError(f"{name}: target has shape {target_array.shape}, expected {expected} for input of shape "
                         f"{input.shape}")
    return scores, target_array.reshape(-1)


def cross_entropy(input: Tensor, target, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Softmax + negative log-likelihood over dim 1 (class scores), fused into one kernel."""
    scores, targets = _class_scores(input, target, "cross_entropy")
    targets = _ids(targets, scores.shape[1], "cross_entropy target", allowed=ignore_index)
    loss = apply(ops.SoftmaxCrossEntropy, scores, Tensor._wrap(targets, False, None), ignore_index=ignore_index,
                 reduction=_reduction(reduction))
    if reduction == "none" and input.ndim != 2:
        loss = loss.reshape(np.asarray(target._data if isinstance(target, Tensor) else target).shape)
    return loss


def nll_loss(input: Tensor, target, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (e.g. from log_softmax) at the targets."""
    scores, targets = _class_scores(input, target, "nll_loss")
    targets = _ids(targets, scores.shape[1], "nll_loss target", allowed=ignore_index)
    return apply(ops.NLLLoss, scores, Tensor._wrap(targets, False, None), ignore_index=ignore_index,
                 reduction=_reduction(reduction))


def binary_cross_entropy_with_logits(input: Tensor, target, reduction: str = "mean") -> Tensor:
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input.dtype))
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target shape {target.shape} differs from input shape "
                         f"{input.shape}")
    return apply(ops.BCEWithLogits, input, target.to(input.dtype), reduction=_reduction(reduction))


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: at train time zero each element with probability p and scale the rest by 1/(1-p)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    return apply(ops.Dropout, x, p=float(p), seed=next_seed())


# -- layers ---------------------------------------------------------------------------------------------
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b over the last dim of x; W is (out_features, in_features) as in PyTorch."""
    if weight.ndim != 2 or x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape} "
                         f"(expected input (..., {weight.shape[1] if weight.ndim == 2 else '?'}))")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias has shape {bias.shape}, expected ({weight.shape[0]},)")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise RuntimeError(f"linear: input and {name} must have the same dtype, but got {x.dtype} and {t.dtype}")
    return apply(ops.Linear, x, weight) if bias is None else apply(ops.Linear, x, weight, bias)


def embedding(input, weight: Tensor, padding_idx: int | None = None, sparse: bool = False) -> Tensor:
    """Rows of weight (num_embeddings, dim) at the int ids in input; output shape input.shape + (dim,)."""
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, dim), got shape {weight.shape}")
    ids = _ids(input, weight.shape[0], "embedding input")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    return apply(ops.Embedding, weight, Tensor._wrap(ids, False, None), padding_idx=padding_idx, sparse=sparse)


def embedding_bag(input, weight: Tensor, offsets=None, mode: str = "mean", sparse: bool = False) -> Tensor:
    """Sum or mean of embedding rows per bag: input (B, L) gives B bags of L ids; a 1-D input with
    `offsets` (B,) gives bag b = input[offsets[b]:offsets[b+1]]. Empty bags give zeros."""
    if mode not in ("mean", "sum"):
        raise ValueError(f"embedding_bag: mode must be 'mean' or 'sum', got {mode!r}")
    if weight.ndim != 2:
        raise ValueError(f"embedding_bag: weight must be 2-D (num_embeddings, dim), got shape {weight.shape}")
    ids = _ids(input, weight.shape[0], "embedding_bag input")
    if ids.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: offsets must be None when input is 2-D (B, L)")
        offset_array = np.arange(0, ids.size, max(ids.shape[1], 1), dtype=np.int64)[: ids.shape[0]]
        ids = ids.reshape(-1)
    elif ids.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag: a 1-D input needs offsets (the start of each bag)")
        offset_array = np.ascontiguousarray(offsets._data if isinstance(offsets, Tensor) else offsets, dtype=np.int64)
        if offset_array.ndim != 1 or (offset_array.size and (offset_array[0] != 0 or (np.diff(offset_array) < 0).any()
                                                             or offset_array[-1] > ids.size)):
            raise ValueError(f"embedding_bag: offsets must be 1-D, start at 0, not decrease and stay <= {ids.size} "
                             f"(the number of ids), got {offset_array.tolist()[:10]}")
    else:
        raise ValueError(f"embedding_bag: input must be 1-D (with offsets) or 2-D, got shape {ids.shape}")
    return apply(ops.EmbeddingBag, weight, Tensor._wrap(ids, False, None), Tensor._wrap(offset_array, False, None),
                 mode=mode, sparse=sparse)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    array = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if num_classes < 0:
        num_classes = int(array.max()) + 1 if array.size else 0
    ids = _ids(array, num_classes, "one_hot input")
    return Tensor._wrap(np.eye(num_classes, dtype=np.int64)[ids], False, None)


def rnn(input: Tensor, hx: Tensor, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None = None,
        bias_hh: Tensor | None = None, nonlinearity: str = "tanh") -> Tensor:
    """One Elman layer over a whole sequence: input (T, B, I), hx (B, H) -> every hidden state (T, B, H)."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    hidden = weight_hh.shape[0]
    if input.ndim != 3 or weight_ih.shape != (hidden, input.shape[2]) or weight_hh.shape != (hidden, hidden):
        raise ValueError(f"rnn: input {input.shape} (expected (T, B, I)), weight_ih {weight_ih.shape} and weight_hh "
                         f"{weight_hh.shape} do not fit (expected ({hidden}, I) and ({hidden}, {hidden}))")
    if hx.shape != (input.shape[1], hidden):
        raise ValueError(f"rnn: hx has shape {hx.shape}, expected (batch, hidden) = ({input.shape[1]}, {hidden})")
    zeros = Tensor._wrap(np.zeros(hidden, dtype=weight_ih.dtype), False, None)
    return apply(ops.RNN, input, hx, weight_ih, weight_hh, bias_ih if bias_ih is not None else zeros,
                 bias_hh if bias_hh is not None else zeros, nonlinearity=nonlinearity)


def crf_log_partition(emissions: Tensor, lengths, transitions: Tensor, start: Tensor, end: Tensor) -> Tensor:
    """log Z of a linear-chain CRF for each of B sentences (the forward algorithm; not a PyTorch function):
    emissions (N, K) are the sentences' tag scores stacked, `lengths` (B,) their token counts (each >= 1,
    summing to N), transitions (K, K) the score of tag j after tag i, start/end (K,) the scores of the first
    and last tags. -inf scores forbid a transition. Returns (B,); the gradient is the tag marginals."""
    lengths = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths)
    if lengths.ndim != 1 or lengths.dtype.kind not in "iu":
        raise TypeError(f"crf_log_partition: lengths must be a 1-D integer array, got dtype {lengths.dtype} "
                        f"and shape {lengths.shape}")
    if emissions.ndim != 2:
        raise ValueError(f"crf_log_partition: emissions must be (N, K), got shape {tuple(emissions.shape)}")
    tags = emissions.shape[1]
    for name, value, shape in (("transitions", transitions, (tags, tags)), ("start", start, (tags,)),
                               ("end", end, (tags,))):
        if tuple(value.shape) != shape:
            raise ValueError(f"crf_log_partition: {name} must have shape {shape} for {tags} tags, "
                             f"got {tuple(value.shape)}")
    if lengths.size and lengths.min() < 1:
        raise ValueError(f"crf_log_partition: every sentence needs a token, got a length of {int(lengths.min())}")
    if int(lengths.sum()) != emissions.shape[0]:
        raise ValueError(f"crf_log_partition: lengths add up to {int(lengths.sum())}, but emissions has "
                         f"{emissions.shape[0]} rows")
    return apply(ops.CRFLogPartition, emissions, transitions, start, end, lengths=lengths.astype(np.int64))

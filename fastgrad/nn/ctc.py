"""The CTC loss in PyTorch's functional form, `ctc_loss`: the arguments read as PyTorch reads them, checked,
and handed to the CTCLoss op (fastgrad/ops/nn.py; the recursions are in fastgrad/kernels/ctc.py).

Float and bool targets are read as PyTorch reads them, converted to int64 labels (floats truncated toward
zero). Stricter than PyTorch where its answer would be a number from an invalid input: the labels must be
finite and in [0, C) other than the blank (PyTorch reads an out-of-range label outside its memory).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from fastgrad import ops
from fastgrad.autograd.graph import apply
from fastgrad.nn import functional as F
from fastgrad.tensor import Tensor


def _lengths(name: str, value, batch: int) -> np.ndarray:
    """Lengths given as an integer tensor or a sequence of ints: (batch,) int64."""
    if isinstance(value, Tensor):
        lengths = value._data
        if lengths.dtype.kind not in "iu":  # (PyTorch's check of a tensor's dtype: RuntimeError)
            raise RuntimeError(f"ctc_loss: {name} must be an integer tensor, got dtype {value.dtype}")
    elif isinstance(value, (list, tuple)) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                                  for v in value):
        lengths = np.array(value, dtype=np.int64)
    else:
        raise TypeError(f"ctc_loss: {name} must be an integer tensor or a sequence of ints, got "
                        f"{type(value).__name__}")
    lengths = lengths.reshape(-1).astype(np.int64)
    if lengths.size != batch:
        raise RuntimeError(f"ctc_loss: {name} must have one length per sequence ({batch}), got {lengths.size}")
    return lengths


def _concatenated(targets: Tensor, target_lengths: np.ndarray, batched: bool) -> np.ndarray:
    """The batch's targets concatenated, from PyTorch's two layouts: padded (N, S) or already concatenated (a 1-D
    target of an unbatched input too, as PyTorch reads it: exactly target_length labels, no padding)."""
    if not isinstance(targets, Tensor):
        raise TypeError(f"ctc_loss: targets must be a Tensor, got {type(targets).__name__}")
    if targets._data.dtype.kind not in "iubf":
        raise TypeError(f"ctc_loss: targets must be a real or bool tensor, got dtype {targets.dtype}")
    if targets._data.dtype.kind == "f" and not np.isfinite(targets._data).all():
        raise ValueError("ctc_loss: targets must be finite labels, got a NaN or infinite value")
    labels = np.trunc(targets._data).astype(np.int64)  # (PyTorch's conversion of float and bool targets to int64)
    if labels.ndim == 2:
        if labels.shape[0] != target_lengths.size:
            raise RuntimeError(f"ctc_loss: padded targets must have a row per sequence ({target_lengths.size}), "
                               f"got shape {tuple(targets.shape)}")
        widest = int(target_lengths.max(initial=0))
        if widest > labels.shape[1]:
            raise RuntimeError(f"ctc_loss: a target length of {widest} does not fit targets padded to "
                               f"{labels.shape[1]} labels")
        return np.concatenate([row[:length] for row, length in zip(labels, target_lengths)]).astype(np.int64)
    if labels.ndim != 1:
        raise RuntimeError(f"ctc_loss: targets must be (N, S) padded or 1-D concatenated, got shape "
                           f"{tuple(targets.shape)}")
    if labels.size != int(target_lengths.sum()):
        raise RuntimeError(f"ctc_loss: concatenated targets must hold the {int(target_lengths.sum())} labels "
                           f"target_lengths add up to, got {labels.size}")
    return labels.astype(np.int64)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Tensor | Sequence[int],
             target_lengths: Tensor | Sequence[int], blank: int = 0, reduction: str = "mean",
             zero_infinity: bool = False) -> Tensor:
    """The connectionist temporal classification loss of log_probs (T, N, C) or unbatched (T, C), normally a
    log_softmax over C classes, against targets padded (N, S) or concatenated (sum of target_lengths,).
    'mean' divides each loss by its target length (at least 1), then averages over the batch. A target
    no alignment fits has loss inf (0 with zero_infinity, which also zeroes its gradient)."""
    reduction = F._reduction(reduction)
    if not isinstance(log_probs, Tensor):
        raise TypeError(f"ctc_loss: log_probs must be a Tensor, got {type(log_probs).__name__}")
    # PyTorch's types: no kernel for other dtypes (NotImplementedError), its argument checks' RuntimeError
    F._floating(log_probs, "ctc_loss", "log_probs", error=NotImplementedError)
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"ctc_loss: log_probs must be of shape (T, N, C) or (T, C), got shape "
                           f"{tuple(log_probs.shape)}")
    if log_probs.numel() == 0:
        raise RuntimeError(f"ctc_loss: log_probs must not be empty, got shape {tuple(log_probs.shape)}")
    batched = log_probs.ndim == 3
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor):
        raise TypeError("ctc_loss: input_lengths and target_lengths must both be tensors or both sequences of ints")
    frames, classes = log_probs.shape[0], log_probs.shape[-1]
    if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)):
        raise TypeError(f"ctc_loss: blank must be an int, got {type(blank).__name__}")
    if not 0 <= blank < classes:
        raise RuntimeError(f"ctc_loss: blank must be a class in [0, {classes}), got {blank!r}")
    batch = log_probs.shape[1] if batched else 1
    input_array = _lengths("input_lengths", input_lengths, batch)
    target_array = _lengths("target_lengths", target_lengths, batch)
    if input_array.size and (input_array.min() < 0 or input_array.max() > frames):
        bad = int(input_array.min()) if input_array.min() < 0 else int(input_array.max())
        raise RuntimeError(f"ctc_loss: input_lengths must be in [0, {frames}] (the frames of log_probs), got {bad}")
    if target_array.size and target_array.min() < 0:
        raise RuntimeError(f"ctc_loss: target_lengths must be >= 0, got {int(target_array.min())}")
    labels = _concatenated(targets, target_array, batched)
    invalid = (labels < 0) | (labels >= classes) | (labels == blank)
    if invalid.any():
        raise ValueError(f"ctc_loss: targets must be classes in [0, {classes}) other than the blank {blank}, got "
                         f"{int(labels[invalid][0])}")
    inputs = log_probs if batched else log_probs.unsqueeze(1)
    losses = apply(ops.CTCLoss, inputs, targets=labels, target_lengths=target_array, input_lengths=input_array,
                   blank=int(blank), zero_infinity=bool(zero_infinity))
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        divisors = np.maximum(target_array, 1).astype(losses._data.dtype)
        return (losses / Tensor._from_data(divisors)).mean()
    return losses if batched else losses.reshape(())

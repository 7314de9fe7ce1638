"""Batching variable-length sequences, as torch.nn.utils.rnn (padding; packed sequences are not
implemented: fastgrad's recurrent layers take padded batches)."""
from __future__ import annotations

from typing import Iterable

from fastgrad.functions import stack
from fastgrad.nn.functional import pad
from fastgrad.tensor import Tensor


def pad_sequence(sequences: Iterable[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Sequences of shapes (L_i, *) padded with `padding_value` to the longest and stacked: (L, B, *), or
    (B, L, *) with batch_first; padding goes after each sequence, or before it with padding_side="left".
    As PyTorch, the result has the first sequence's dtype. Gradients flow back to every sequence."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    for i, seq in enumerate(sequences):
        if not isinstance(seq, Tensor):
            raise TypeError(f"pad_sequence: sequence {i} must be a Tensor, got {type(seq).__name__}")
        if seq.ndim == 0:
            raise IndexError(f"pad_sequence: sequence {i} is a 0-dim tensor; each needs a length dim (dim 0)")
        if seq.shape[1:] != sequences[0].shape[1:]:
            raise RuntimeError(f"pad_sequence: sequence {i} has shape {seq.shape}, whose dims after the first do "
                               f"not match sequence 0's {sequences[0].shape}")
    longest, dtype = max(seq.shape[0] for seq in sequences), sequences[0].dtype
    padded = []
    for seq in sequences:
        missing = longest - seq.shape[0]
        widths = (0, 0) * (seq.ndim - 1) + ((0, missing) if padding_side == "right" else (missing, 0))
        padded.append(pad(seq.to(dtype), widths, value=padding_value))
    return stack(padded, dim=0 if batch_first else 1)

"""Batching variable-length sequences, as torch.nn.utils.rnn: padding them (pad_sequence, unpad_sequence)
and packing them (PackedSequence, pack_padded_sequence, pad_packed_sequence, pack_sequence,
unpack_sequence), which the recurrent layers take and return.

Packing and padding are gathers (advanced indexing) with index arrays computed from the lengths, so
gradients flow from the packed data back to the padded input and the other way round.
"""
from __future__ import annotations

from typing import Iterable, NamedTuple

import numpy as np

from fastgrad.functions import stack
from fastgrad.nn.functional import pad
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.arguments import NotATensorError


def pad_sequence(sequences: Iterable[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Sequences of shapes (L_i, *) padded with `padding_value` to the longest and stacked: (L, B, *), or
    (B, L, *) with batch_first; padding goes after each sequence, or before it with padding_side="left".
    As PyTorch, the result has the first sequence's dtype. Gradients flow back to every sequence."""
    # (PyTorch's order of checks: padding_side's type, the sequences' types, no sequence, padding_side's value)
    if not isinstance(padding_side, str):
        raise TypeError(f"pad_sequence: padding_side must be a str, 'left' or 'right', got "
                        f"{type(padding_side).__name__} {padding_side!r:.50}")
    sequences = list(sequences)
    for i, seq in enumerate(sequences):
        if not isinstance(seq, Tensor):
            raise TypeError(f"pad_sequence: sequence {i} must be a Tensor, got {type(seq).__name__}")
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r:.50}")
    for i, seq in enumerate(sequences):
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


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list[Tensor]:
    """The inverse of pad_sequence (right padding): padded (T, B, *), or (B, T, *) with batch_first, cut to
    each sequence's length, a list of B tensors (lengths[b], *). Unlike PyTorch's, it leaves the padded
    tensor as it is (PyTorch's transposes it in place when batch_first is False)."""
    if not isinstance(padded_sequences, Tensor) or padded_sequences.ndim < 2:
        got = padded_sequences.shape if isinstance(padded_sequences, Tensor) else type(padded_sequences).__name__
        raise ValueError(f"unpad_sequence: padded_sequences must be a tensor of at least 2 dims (T, B, *), got {got}")
    if not isinstance(lengths, (Tensor, np.ndarray)):  # (PyTorch's takes a tensor, or an array: both have .device)
        raise NotATensorError(f"unpad_sequence: lengths must be a 1-D tensor, got {type(lengths).__name__} "
                              f"{lengths!r:.50}")
    steps, batch = padded_sequences.shape[:2][::-1] if batch_first else padded_sequences.shape[:2]
    lengths = _lengths_values("unpad_sequence", lengths)
    if len(lengths) != batch:
        raise ValueError(f"unpad_sequence: got {len(lengths)} lengths for a batch of {batch} sequences "
                         f"(padded_sequences of shape {padded_sequences.shape}, batch_first={batch_first})")
    # PyTorch keeps the steps whose index is below the length, compared in the length's dtype: a length beyond the
    # padded steps (or infinite) keeps them all, a negative one (or NaN) none, 2.5 three
    kept = np.count_nonzero(np.arange(steps)[:, None] < lengths, axis=0)
    if batch_first:
        return [padded_sequences[b, :n] for b, n in enumerate(kept.tolist())]
    return [padded_sequences[:n, b] for b, n in enumerate(kept.tolist())]


class _PackedSequenceFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceFields):
    """A batch of sequences of different lengths stored step by step, as torch.nn.utils.rnn.PackedSequence
    (a named tuple). With the sequences ordered longest first, `data` (N, *) holds step 0 of every
    sequence, then step 1 of those at least 2 long, and so on; `batch_sizes` (T,) int64 counts the
    sequences at each step. `sorted_indices[k]` is the batch position, in the caller's order, of the
    k-th longest sequence and `unsorted_indices` is its inverse; both are None when the batch came
    sorted. Made by pack_padded_sequence and pack_sequence; the recurrent layers take and return it.
    Constructing one checks that the fields agree (PyTorch leaves that to the functions that make them).
    """

    def __new__(cls, data, batch_sizes: Tensor | None = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> "PackedSequence":
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), ...), as PyTorch accepts
            if not (isinstance(data, (tuple, list)) and len(data) == 2):
                raise TypeError(f"PackedSequence: without batch_sizes, data must be a pair (data, batch_sizes), got "
                                f"{type(data).__name__}")
            data, batch_sizes = data
        _check_packed_fields(data, batch_sizes, sorted_indices, unsorted_indices)
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        """`data.to(...)` (the sizes and indices stay as they are): self when data does not change."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, self.batch_sizes, self.sorted_indices,
                                                         self.unsorted_indices)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def cpu(self) -> "PackedSequence":
        return self

    def double(self) -> "PackedSequence":
        return self.to(np.float64)

    def float(self) -> "PackedSequence":
        return self.to(np.float32)

    def long(self) -> "PackedSequence":
        return self.to(np.int64)

    def int(self) -> "PackedSequence":
        return self.to(np.int32)


def _check_packed_fields(data, batch_sizes, sorted_indices, unsorted_indices) -> None:
    """Refuse fields that do not describe a packed batch (PyTorch would read past its data or fail inside
    an operation with an unrelated message)."""
    if not isinstance(data, Tensor) or data.ndim == 0:
        got = "a 0-dim tensor" if isinstance(data, Tensor) else type(data).__name__
        raise TypeError(f"PackedSequence: data must be a tensor (N, *) of the packed steps, got {got}")
    if not isinstance(batch_sizes, Tensor) or batch_sizes.ndim != 1 or batch_sizes.dtype.kind not in "iu":
        got = (f"dtype {batch_sizes.dtype} and shape {batch_sizes.shape}" if isinstance(batch_sizes, Tensor)
               else type(batch_sizes).__name__)
        raise TypeError(f"PackedSequence: batch_sizes must be a 1-D int64 tensor, got {got}")
    sizes = batch_sizes._data
    if sizes.size == 0 or sizes.min() < 1 or np.any(np.diff(sizes) > 0):
        raise ValueError(f"PackedSequence: batch_sizes must be positive and non-increasing (the number of sequences "
                         f"still running at each step), got {sizes.tolist()}")
    if int(sizes.sum()) != data.shape[0]:
        raise ValueError(f"PackedSequence: batch_sizes {sizes.tolist()} add up to {int(sizes.sum())} steps, but data "
                         f"has {data.shape[0]} rows (shape {data.shape})")
    for name, indices in (("sorted_indices", sorted_indices), ("unsorted_indices", unsorted_indices)):
        if indices is None:
            continue
        if not (isinstance(indices, Tensor) and indices.ndim == 1 and indices.dtype.kind in "iu"
                and np.array_equal(np.sort(indices._data), np.arange(sizes[0]))):
            raise ValueError(f"PackedSequence: {name} must be an int64 tensor holding a permutation of the "
                             f"{sizes[0]} sequences, got {indices!r}")
    if unsorted_indices is not None and (sorted_indices is None or not np.array_equal(
            unsorted_indices._data[sorted_indices._data], np.arange(sizes[0]))):
        raise ValueError("PackedSequence: unsorted_indices must be the inverse permutation of sorted_indices")


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation (1-D int64 tensor; a 0-d one is taken as one element), None for None, as
    PyTorch's, which refuses the same: more dims (IndexError), another dtype and ids out of range
    (RuntimeError). Repeated ids raise too: PyTorch 2.13 returns uninitialised memory for the ids never hit."""
    if permutation is None:
        return None
    if not isinstance(permutation, Tensor):
        raise TypeError(f"invert_permutation: permutation must be a Tensor, got {type(permutation).__name__}")
    if permutation.ndim > 1:
        raise IndexError(f"invert_permutation: permutation must be 1-D, got shape {permutation.shape}")
    if permutation.dtype != np.int64:
        raise RuntimeError(f"invert_permutation: permutation must be an int64 tensor, got dtype "
                           f"{np.dtype(permutation.dtype)}")
    ids = permutation._data.reshape(-1)
    outside = (ids < 0) | (ids >= ids.size)
    if outside.any():
        raise RuntimeError(f"invert_permutation: id {ids[outside][0]} is out of range for a permutation of "
                           f"{ids.size} elements (expected ids in [0, {ids.size}))")
    if np.bincount(ids, minlength=ids.size).max(initial=1) > 1:
        repeated = int(np.flatnonzero(np.bincount(ids) > 1)[0])
        raise RuntimeError(f"invert_permutation: permutation must hold each id once, got id {repeated} more than once")
    inverse = np.empty(ids.size, dtype=np.int64)
    inverse[ids] = np.arange(ids.size)
    return Tensor._from_data(inverse.reshape(permutation.shape))


def _lengths_values(name: str, lengths) -> np.ndarray:
    """Sequence lengths (a list, tuple, NumPy array or tensor of numbers) as a 1-D array of their own dtype;
    bools are the lengths 0 and 1 (int64), as PyTorch takes them."""
    values = lengths._data if isinstance(lengths, Tensor) else lengths
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):
        array = np.asarray(None)
    if array.dtype.kind == "b":
        array = array.astype(np.int64)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name}: lengths must be integers (a list or a 1-D int64 tensor), got {lengths!r}")
    if array.ndim != 1:
        raise RuntimeError(f"{name}: lengths must be 1-D (one length per sequence), got shape {array.shape}")
    return array


def _lengths_array(name: str, lengths) -> np.ndarray:
    """Sequence lengths as a 1-D int64 array, as PyTorch casts them: a fractional length truncated toward 0 (2.5
    is 2, 0.5 is 0); an infinite or NaN one, which has no int64 value, refused."""
    array = _lengths_values(name, lengths)
    if not np.isfinite(array).all():
        raise RuntimeError(f"{name}: lengths must be finite, got {array.tolist()}")
    return array.astype(np.int64)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch, input (T, B, *) or (B, T, *) with batch_first, whose sequence b holds its
    `lengths[b]` valid steps first. With enforce_sorted the lengths must not increase (PyTorch's ONNX
    requirement); otherwise the sequences are sorted longest first (ties keep their order) and the
    permutation is recorded in sorted_indices. Steps past every length are dropped. Differentiable."""
    name = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(f"{name}: input has shape {input.shape}, expected (T, B, *), or (B, T, *) with batch_first")
    steps, batch = input.shape[:2][::-1] if batch_first else input.shape[:2]
    lengths = _lengths_array(name, lengths)
    if input.numel() == 0:
        raise RuntimeError(f"{name}: cannot pack empty tensors (input has shape {input.shape})")
    if len(lengths) != batch:
        raise RuntimeError(f"{name}: expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={batch}, input of shape {input.shape}, batch_first={batch_first})")
    if lengths.min() <= 0:
        raise RuntimeError(f"{name}: length of all samples has to be greater than 0, got lengths {lengths.tolist()}")
    if lengths.max() > steps:  # PyTorch reads past the input here; fastgrad refuses
        raise RuntimeError(f"{name}: lengths {lengths.tolist()} exceed the input's {steps} time steps (input of "
                           f"shape {input.shape}, batch_first={batch_first})")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(f"{name}: `lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                               f"True, got {lengths.tolist()}. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do "
                               "not need ONNX exportability.")
        order, sorted_indices = np.arange(batch), None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = Tensor._from_data(order)
    ordered = lengths[order]
    # valid[t, k]: step t of the k-th longest sequence exists; packed data lists these in row-major order.
    valid = np.arange(ordered[0])[:, None] < ordered
    step, rank = np.nonzero(valid)
    data = input[(order[rank], step) if batch_first else (step, order[rank])]
    return PackedSequence(data, Tensor._from_data(valid.sum(axis=1).astype(np.int64)), sorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The inverse of pack_padded_sequence: (padded (T, B, *), or (B, T, *) with batch_first, in the
    caller's batch order, with `padding_value` after each sequence; the lengths, an int64 tensor (B,)).
    T is the longest length, or total_length, which must be at least that. Differentiable."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: sequence must be a PackedSequence, got {type(sequence).__name__}")
    if not isinstance(padding_value, (int, float, np.number, np.bool_)):
        raise TypeError(f"pad_packed_sequence: padding_value must be a number, got {padding_value!r}")
    sizes = sequence.batch_sizes._data
    steps = len(sizes)
    if total_length is not None:
        if isinstance(total_length, bool) or not isinstance(total_length, (int, np.integer)):
            raise TypeError(f"pad_packed_sequence: total_length must be an int, got {total_length!r}")
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {steps}")
        steps = int(total_length)
    data = sequence.data
    # source[t, k]: the data row of step t of the k-th longest sequence, or the padding row appended below.
    valid = np.arange(sizes[0]) < sizes[:, None]
    source = np.full((steps, sizes[0]), data.shape[0], dtype=np.int64)
    source[:len(sizes)][valid] = np.arange(data.shape[0])
    lengths = valid.sum(axis=0)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices._data
        source, lengths = source[:, unsorted], lengths[unsorted]
    with_padding_row = pad(data, (0, 0) * (data.ndim - 1) + (0, 1), value=padding_value)
    return with_padding_row[source.T if batch_first else source], Tensor._from_data(lengths.astype(np.int64))


def pack_sequence(sequences: Iterable[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *): pad_sequence, then pack_padded_sequence with their lengths."""
    sequences = list(sequences)
    padded = pad_sequence(sequences)
    return pack_padded_sequence(padded, [seq.shape[0] for seq in sequences], enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The inverse of pack_sequence: the list of sequences (L_i, *), in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

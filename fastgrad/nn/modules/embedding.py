"""Embedding (a lookup table of rows) and EmbeddingBag (sum or mean of rows per bag)."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.dtypes import as_dtype, default_float
from fastgrad.nn import functional as F
from fastgrad.nn import init
from fastgrad.nn.modules.module import Module
from fastgrad.nn.parameter import Parameter
from fastgrad.tensor import Tensor


def _padding_index(padding_idx: int | None, num_embeddings: int) -> int | None:
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise IndexError(f"padding_idx {padding_idx} is out of range for {num_embeddings} embeddings")
    return padding_idx % num_embeddings


def _weight_of(num_embeddings: int, embedding_dim: int, weight, dtype) -> tuple[Parameter, bool]:
    """A given weight (checked for shape) or a new N(0, 1) one; the flag says whether it was new."""
    if weight is None:
        dtype = as_dtype(dtype) if dtype is not None else default_float
        return Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype)), True
    array = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    if array.shape != (num_embeddings, embedding_dim):
        raise ValueError(f"_weight has shape {array.shape}, expected (num_embeddings, embedding_dim) = "
                         f"({num_embeddings}, {embedding_dim})")
    return (weight if isinstance(weight, Parameter) else Parameter(array)), False


class Embedding(Module):
    """Row `i` of weight (num_embeddings, embedding_dim) is the vector of id `i`; initialised N(0, 1).

    `sparse=True` makes the weight's gradient a SparseRowGrad holding only the looked-up rows, which
    SGD, Adagrad and SparseAdam apply without touching the rest of the table. The padding row is
    zero and gets no gradient.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 sparse: bool = False, _weight=None, dtype=None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_index(padding_idx, num_embeddings)
        self.sparse = sparse
        self.weight, is_new = _weight_of(num_embeddings, embedding_dim, _weight, dtype)
        if is_new:
            self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        sparse: bool = False) -> "Embedding":
        """An Embedding whose weight is a copy of `embeddings` (2-D), frozen unless freeze=False."""
        weight = _pretrained_weight(embeddings, freeze)
        return cls(weight.shape[0], weight.shape[1], padding_idx, sparse, _weight=weight)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text + (", sparse=True" if self.sparse else "")


class EmbeddingBag(Module):
    """Sum or mean of the rows of each bag, without materialising the per-id vectors: input (B, L)
    is B bags of L ids, or a 1-D input is cut into bags at `offsets`."""

    def __init__(self, num_embeddings: int, embedding_dim: int, mode: str = "mean", sparse: bool = False,
                 _weight=None, dtype=None) -> None:
        super().__init__()
        if mode not in ("mean", "sum"):
            raise ValueError(f"EmbeddingBag: mode must be 'mean' or 'sum', got {mode!r}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.mode, self.sparse = mode, sparse
        self.weight, is_new = _weight_of(num_embeddings, embedding_dim, _weight, dtype)
        if is_new:
            self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)

    def forward(self, input, offsets=None) -> Tensor:
        return F.embedding_bag(input, self.weight, offsets, self.mode, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, mode: str = "mean",
                        sparse: bool = False) -> "EmbeddingBag":
        weight = _pretrained_weight(embeddings, freeze)
        return cls(weight.shape[0], weight.shape[1], mode, sparse, _weight=weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}" + (", sparse=True" if self.sparse else "")


def _pretrained_weight(embeddings, freeze: bool) -> Parameter:
    """A 2-D float array or tensor as a Parameter sharing its memory (as PyTorch's), trainable unless `freeze`;
    a read-only array (a memory map, say) is copied, since training writes the weights in place."""
    array = embeddings._data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
    if array.ndim != 2 or array.dtype.kind != "f":
        raise ValueError(f"from_pretrained: embeddings must be a 2-D float array, got shape {array.shape} "
                         f"and dtype {array.dtype}")
    return Parameter(array if array.flags.writeable else array.copy(), requires_grad=not freeze)

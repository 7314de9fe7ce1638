"""Embedding (a lookup table of rows) and EmbeddingBag (sum, mean or max of rows per bag)."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.dtypes import dtype_or_default
from fastgrad.nn import functional as F
from fastgrad.nn import init
from fastgrad.nn.modules.module import Module
from fastgrad.nn.parameter import Parameter
from fastgrad.tensor import Tensor, check_device


def _weight_of(num_embeddings: int, embedding_dim: int, weight, dtype) -> tuple[Parameter, bool]:
    """A given weight (checked for shape) or a new N(0, 1) one; the flag says whether it was new."""
    if weight is None:
        dtype = dtype_or_default(dtype)
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
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        check_device("Embedding", device)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = F._padding_index(padding_idx, num_embeddings)
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.sparse = sparse
        self.weight, is_new = _weight_of(num_embeddings, embedding_dim, _weight, dtype)
        if _freeze:
            self.weight.requires_grad_(False)
        if is_new:
            self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> "Embedding":
        """An Embedding whose weight is a copy of `embeddings` (2-D), frozen unless freeze=False."""
        weight = _pretrained_weight(embeddings, freeze)
        return cls(weight.shape[0], weight.shape[1], padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=weight)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return text + (", sparse=True" if self.sparse else "")


class EmbeddingBag(Module):
    """Sum, mean or max of the rows of each bag, without materialising the per-id vectors: input (B, L)
    is B bags of L ids, or a 1-D input is cut into bags at `offsets` (see F.embedding_bag). The padding
    row is initialised to zero; ids equal to padding_idx are left out of their bags."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False, _weight=None,
                 include_last_offset: bool = False, padding_idx: int | None = None, device=None, dtype=None) -> None:
        super().__init__()
        check_device("EmbeddingBag", device)
        if mode not in ("mean", "sum", "max"):
            raise ValueError(f"EmbeddingBag: mode must be 'mean', 'sum' or 'max', got {mode!r}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.mode, self.sparse = mode, sparse
        self.include_last_offset = include_last_offset
        self.padding_idx = F._padding_index(padding_idx, num_embeddings)
        self.weight, is_new = _weight_of(num_embeddings, embedding_dim, _weight, dtype)
        if is_new:
            self.reset_parameters()

    reset_parameters = Embedding.reset_parameters

    def forward(self, input, offsets=None, per_sample_weights=None) -> Tensor:
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False, padding_idx: int | None = None) -> "EmbeddingBag":
        """An EmbeddingBag whose weight shares the memory of `embeddings` (2-D), frozen unless freeze=False;
        the padding row keeps its values, as in PyTorch."""
        weight = _pretrained_weight(embeddings, freeze)
        return cls(weight.shape[0], weight.shape[1], max_norm, norm_type, scale_grad_by_freq, mode, sparse,
                   _weight=weight, include_last_offset=include_last_offset, padding_idx=padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        text += f", mode={self.mode!r}"
        return text + ("" if self.padding_idx is None else f", padding_idx={self.padding_idx}")


def _pretrained_weight(embeddings, freeze: bool) -> Parameter:
    """A 2-D float array or tensor as a Parameter sharing its memory (as PyTorch's), trainable unless `freeze`;
    a read-only array (a memory map, say) is copied, since training writes the weights in place."""
    array = embeddings._data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
    if array.ndim != 2 or array.dtype.kind != "f":
        raise ValueError(f"from_pretrained: embeddings must be a 2-D float array, got shape {array.shape} "
                         f"and dtype {array.dtype}")
    return Parameter(array if array.flags.writeable else array.copy(), requires_grad=not freeze)

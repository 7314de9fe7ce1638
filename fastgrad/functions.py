"""Free-function forms of tensor ops (`fastgrad.cat`, `fastgrad.where`, ...), as in PyTorch."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from fastgrad import ops
from fastgrad.autograd.graph import apply
from fastgrad.tensor import Tensor, _normalize_dims


def _as_tensor(x, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return like._operand(x) if like is not None else Tensor(x)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    (axis,) = _normalize_dims(dim, tensors[0].ndim)
    for i, t in enumerate(tensors):
        if t.ndim != tensors[0].ndim or t.shape[:axis] + t.shape[axis + 1:] != tensors[0].shape[:axis] + tensors[0].shape[axis + 1:]:
            raise ValueError(f"cat: tensor {i} has shape {t.shape}, which does not match {tensors[0].shape} "
                             f"outside dim {dim}")
    return apply(ops.Cat, *tensors, axis=axis)


concat = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, expected {tensors[0].shape} like tensor 0")
    (axis,) = _normalize_dims(dim, tensors[0].ndim + 1)
    return apply(ops.Stack, *tensors, axis=axis)


def where(condition, input, other) -> Tensor:
    """Elementwise `input` where condition holds, else `other`; gradients flow to both branches."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    a, b = _as_tensor(input, like), _as_tensor(other, like)
    if a.dtype != b.dtype:
        a, b = a._promoted(b)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {a.shape} and {b.shape} cannot be broadcast together") from None
    return apply(ops.Where, Tensor._wrap(cond, False, None), a, b)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    return _as_tensor(a) @ b


def maximum(a: Tensor, b) -> Tensor:
    return _as_tensor(a).maximum(b)


def minimum(a: Tensor, b) -> Tensor:
    return _as_tensor(a).minimum(b)


def exp(x: Tensor) -> Tensor:
    return x.exp()


def log(x: Tensor) -> Tensor:
    return x.log()


def sqrt(x: Tensor) -> Tensor:
    return x.sqrt()


def abs(x: Tensor) -> Tensor:
    return x.abs()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def relu(x: Tensor) -> Tensor:
    return x.relu()


def clamp(x: Tensor, min=None, max=None) -> Tensor:
    return x.clamp(min, max)


def sum(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return x.sum(dim, keepdim)


def mean(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return x.mean(dim, keepdim)


def max(x: Tensor, dim=None, keepdim: bool = False):
    return x.max(dim, keepdim)


def min(x: Tensor, dim=None, keepdim: bool = False):
    return x.min(dim, keepdim)


def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return x.argmax(dim, keepdim)


def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return x.argmin(dim, keepdim)


def reshape(x: Tensor, shape) -> Tensor:
    return x.reshape(shape)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    return x.transpose(dim0, dim1)


def permute(x: Tensor, dims) -> Tensor:
    return x.permute(dims)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    return x.unsqueeze(dim)


def squeeze(x: Tensor, dim: int | None = None) -> Tensor:
    return x.squeeze(dim)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return x.flatten(start_dim, end_dim)


# -- indexing, ordering and sampling (the Tensor methods check the arguments) ------------------------
def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    return input.gather(dim, index)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce: str | None = None) -> Tensor:
    return input.scatter(dim, index, src, value, reduce=reduce)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    return input.scatter_add(dim, index, src)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    return input.index_select(dim, index)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: float = 1) -> Tensor:
    return input.index_add(dim, index, source, alpha=alpha)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    return input.masked_fill(mask, value)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    return input.masked_select(mask)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    return input.nonzero(as_tuple=as_tuple)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    return input.sort(dim, descending, stable=stable)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    return input.argsort(dim, descending, stable=stable)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    return input.topk(k, dim, largest, sorted)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    return input.tril(diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    return input.triu(diagonal)


def flip(input: Tensor, dims) -> Tensor:
    return input.flip(dims)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    return input.roll(shifts, dims)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    return input.multinomial(num_samples, replacement, generator=generator)


def bernoulli(input: Tensor, p: float | None = None, *, generator=None) -> Tensor:
    return input.bernoulli(p, generator=generator)

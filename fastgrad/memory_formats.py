"""Memory formats, as torch.memory_format: the order in which a copy lays out a tensor's elements.

fastgrad's tensors are NumPy arrays, which carry any strides, so the formats do what PyTorch's do: a
`channels_last` copy of an (N, C, H, W) tensor holds the same values with NHWC strides, and
`preserve_format` (the default of `clone`, `to` and the `*_like` functions) keeps a dense tensor's strides
and gives any other tensor dense strides in the order of its own.
"""
from __future__ import annotations

import numpy as np


class memory_format:
    """One of `contiguous_format`, `preserve_format`, `channels_last`, `channels_last_3d` (no others can be
    made, as in PyTorch)."""

    __slots__ = ("name", "_outer_to_inner")
    _sealed = False

    def __init__(self, name: str, outer_to_inner: tuple | None):
        if memory_format._sealed:
            raise TypeError("cannot create 'fastgrad.memory_format' instances; use fastgrad.contiguous_format, "
                            "preserve_format, channels_last or channels_last_3d")
        self.name = name
        # the dims from the largest stride to the smallest: () for every rank in order, None for preserve_format
        self._outer_to_inner = outer_to_inner

    def __repr__(self) -> str:
        return f"fastgrad.{self.name}"

    def __reduce__(self):  # (copies and pickles are the same object, as torch's)
        return self.name


contiguous_format = memory_format("contiguous_format", ())
preserve_format = memory_format("preserve_format", None)
channels_last = memory_format("channels_last", (0, 2, 3, 1))
channels_last_3d = memory_format("channels_last_3d", (0, 2, 3, 4, 1))
memory_format._sealed = True


def check_memory_format(where: str, value, shape: tuple | None = None, none_is_preserve: bool = False):
    """A `memory_format=` argument, for a tensor of the given shape when a copy is to be laid out in it (a
    channels_last format needs its rank); None means preserve_format where PyTorch reads it so (clone, to,
    the *_like functions)."""
    if value is None and none_is_preserve:
        return preserve_format
    if not isinstance(value, memory_format):
        raise TypeError(f"{where}: memory_format must be a fastgrad.memory_format (contiguous_format, "
                        f"preserve_format, channels_last, channels_last_3d), got {type(value).__name__}")
    rank = len(value._outer_to_inner or ())
    if shape is not None and rank and len(shape) != rank:
        raise RuntimeError(f"{where}: required rank {rank} tensor to use {value.name} format, got a "
                           f"{len(shape)}-D tensor of shape {tuple(shape)}")
    return value


def _dense_strides(shape: tuple, outer_to_inner: list) -> tuple:
    strides, step = [0] * len(shape), 1
    for dim in reversed(outer_to_inner):
        strides[dim] = step
        step *= max(shape[dim], 1)
    return tuple(strides)


def is_contiguous_as(array: np.ndarray, fmt: memory_format) -> bool:
    """Whether the array's strides are those of format fmt (dims of size 1 have any stride, as in PyTorch; a
    channels_last format of another rank is False, and preserve_format reads as contiguous_format)."""
    if fmt._outer_to_inner and array.ndim != len(fmt._outer_to_inner):
        return False
    if not fmt._outer_to_inner:
        return array.flags.c_contiguous
    step = array.itemsize
    for dim in reversed(fmt._outer_to_inner):
        if array.shape[dim] != 1:
            if array.strides[dim] != step:
                return False
            step *= array.shape[dim]
    return True


def suggested_format(array: np.ndarray) -> memory_format:
    """The format an array's strides resemble, as PyTorch's suggest_memory_format: channels_last (or _3d) for a
    4-D (5-D) array whose strides grow from the channels through the spatial dims to the batch dim, each at
    least the previous one times its size; contiguous_format otherwise."""
    for fmt in (channels_last, channels_last_3d):
        if array.ndim == len(fmt._outer_to_inner) and _strides_grow(array, fmt._outer_to_inner[::-1]):
            return fmt
    return contiguous_format


def _strides_grow(array: np.ndarray, inner_to_outer: tuple) -> bool:
    shape, strides = array.shape, [s // array.itemsize for s in array.strides]
    if strides[1] == 0:
        return False
    least = 0
    for dim in inner_to_outer:
        if shape[dim] == 0 or strides[dim] < least:
            return False
        if dim == 0 and least == strides[1]:  # batch and channels alike: nothing tells them apart
            return False
        least = strides[dim] * max(shape[dim], 1)
    return True


def _preserved_strides(array: np.ndarray) -> tuple:
    """The strides a preserve_format copy takes, as PyTorch's: the array's own where its elements fill their
    memory without gaps or overlaps; otherwise dense strides with the dims in the order of its strides (an
    expanded dim, of stride 0, keeps its place; equal strides put the larger dim outside)."""
    strides = [s // array.itemsize for s in array.strides]
    shape = array.shape
    if _non_overlapping_and_dense(shape, strides):
        return tuple(strides)
    # dims from innermost out; each dim moves in past every dim that must lie outside it. (A NumPy array may
    # step backwards, which PyTorch's never do: its dims are ordered by the size of their steps.)
    strides = [abs(stride) for stride in strides]
    inner_first = list(range(array.ndim))[::-1]
    for i in range(1, len(inner_first)):
        moving = i
        for other in range(i - 1, -1, -1):
            a, b = inner_first[other], inner_first[moving]
            if strides[a] == 0 or strides[b] == 0:
                continue  # no order between them: look further out
            if strides[a] > strides[b] or (strides[a] == strides[b] and shape[a] > shape[b]):
                inner_first[other], inner_first[moving] = b, a
                moving = other
            else:
                break
    return _dense_strides(shape, inner_first[::-1])


def _non_overlapping_and_dense(shape: tuple, strides: list) -> bool:
    step = 1
    for dim in sorted(range(len(shape)), key=lambda d: strides[d]):
        if shape[dim] != 1:
            if strides[dim] != step:
                return False
            step *= shape[dim]
    return True


def empty_in_format(like: np.ndarray, dtype, fmt: memory_format) -> np.ndarray:
    """An uninitialized array of like's shape and the given dtype, laid out in format fmt (preserve_format:
    like's layout; a channels_last format must fit like's rank, as check_memory_format checks)."""
    if fmt is preserve_format:
        strides = _preserved_strides(like)
    else:
        strides = _dense_strides(like.shape, list(fmt._outer_to_inner or range(like.ndim)))
    dtype = np.dtype(dtype)
    if strides == _dense_strides(like.shape, list(range(like.ndim))):
        return np.empty(like.shape, dtype)
    memory = np.empty(like.size, dtype)
    return np.lib.stride_tricks.as_strided(memory, like.shape, tuple(s * dtype.itemsize for s in strides))


def copy_in_format(array: np.ndarray, dtype, fmt: memory_format) -> np.ndarray:
    """A copy of the array in the given dtype (NumPy's casting, as astype), laid out in format fmt."""
    if fmt is contiguous_format or (fmt is preserve_format and array.flags.c_contiguous and 1 not in array.shape):
        return array.astype(dtype, order="C", copy=True)  # (the usual case, without working out strides)
    out = empty_in_format(array, dtype, fmt)
    np.copyto(out, array, casting="unsafe")
    return out


def laid_out(values: np.ndarray, like: np.ndarray, fmt: memory_format) -> np.ndarray:
    """values (of like's shape) in format fmt with respect to like; values itself when it already is."""
    out = empty_in_format(like, values.dtype, fmt)
    if out.strides == values.strides:
        return values
    np.copyto(out, values)
    return out

"""Strided views of memory, as NumPy arrays: the element each position of a view reaches, whether two positions reach
one element, and arrays over a given address of another array's memory."""
from __future__ import annotations

import numpy as np


def memory_positions(shape: tuple, strides: tuple, offset: int) -> np.ndarray:
    """The element index in memory of every position of a strided view: offset + sum_d i_d * strides[d]."""
    positions = np.full(shape, offset, dtype=np.int64)
    for d, (n, step) in enumerate(zip(shape, strides)):
        positions += (np.arange(n, dtype=np.int64) * step).reshape((n,) + (1,) * (len(shape) - d - 1))
    return positions


def overlaps_itself(shape: tuple, strides: tuple) -> bool:
    """Whether two positions of a view with these (non-negative) element strides reach one element."""
    if 0 in shape or _steps_past_itself(shape, strides):
        return False
    if any(step == 0 and n > 1 for n, step in zip(shape, strides)):  # (an expanded dim: no need to count)
        return True
    positions = memory_positions(shape, strides, 0)
    return np.unique(positions).size != positions.size


def _steps_past_itself(shape: tuple, strides: tuple) -> bool:
    """The quick proof that no two positions reach one element: taking dims by increasing stride, each stride
    steps past every element the smaller ones reach (a contiguous, permuted or sliced layout)."""
    reach = 0
    for step, n in sorted((step, n) for n, step in zip(shape, strides) if n > 1):
        if step <= reach:
            return False
        reach += step * (n - 1)
    return True


class _MemoryWindow:
    """What np.asarray reads an array from (NumPy's array interface): an address in `owner`'s memory, a
    shape, byte strides and a dtype. It holds `owner`, so the memory lives as long as the array does."""

    def __init__(self, owner: np.ndarray, address: int, shape: tuple, strides: tuple, dtype: np.dtype,
                 writeable: bool):
        self.owner = owner
        self.__array_interface__ = {"version": 3, "data": (address, not writeable), "shape": shape,
                                    "strides": strides, "typestr": dtype.str}


def strided_view(owner: np.ndarray, address: int, shape: tuple, strides: tuple, dtype: np.dtype,
                  writeable: bool) -> np.ndarray:
    """An array of `dtype` over owner's memory, its first element at `address` (the caller keeps every
    element inside that memory)."""
    return np.asarray(_MemoryWindow(owner, address, shape, strides, dtype, writeable))


def writable_unless_repeating(view: np.ndarray) -> np.ndarray:
    """`view`, a read-only view of writable memory, made writable where no two of its positions reach one element:
    a view of an expanded tensor that shows each element once (a row of it, its diagonal) takes writes, as PyTorch's
    does, though the expanded tensor refuses them. Judged by the quick proof alone (every view op of an unfold's
    windows asks), so a rarer layout that repeats no element stays read-only; so do negative strides."""
    itemsize = view.itemsize
    if any(step < 0 or step % itemsize for step in view.strides):
        return view
    if not _steps_past_itself(view.shape, tuple(step // itemsize for step in view.strides)):
        return view
    return strided_view(view, view.__array_interface__["data"][0], view.shape, view.strides, view.dtype, True)

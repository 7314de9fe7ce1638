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


def writable_alias(array: np.ndarray) -> np.ndarray:
    """A writable array over the memory read-only `array` shows, laid out as it is (for a write whose caller knows
    the memory takes it)."""
    return strided_view(array, array.__array_interface__["data"][0], array.shape, array.strides, array.dtype, True)


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


# -- the strides PyTorch reports for a view ------------------------------------------------------------------------
# A dim of size 1 is never stepped along, and an empty view steps along nothing: NumPy gives such dims strides of its
# own (0 for a dim that None added), where PyTorch's stride() reports the one its view op's rule gives. The view ops
# give their arrays PyTorch's strides there (`restrided`), so that stride() reads them as they are.


def restrided(view: np.ndarray, strides: tuple) -> np.ndarray:
    """`view` with `strides` (in elements), PyTorch's for it, where they differ from its own only along dims that are
    never stepped along (of size 1, or any dim of an empty view); `view` itself otherwise (a copy NumPy made)."""
    itemsize = view.itemsize
    steps = tuple(step * itemsize for step in strides)
    if steps == view.strides:
        return view
    if view.size and any(n > 1 and step != own for n, step, own in zip(view.shape, steps, view.strides)):
        return view
    return strided_view(view, view.__array_interface__["data"][0], view.shape, steps, view.dtype,
                        view.flags.writeable)


def element_strides(array: np.ndarray) -> tuple:
    """array's strides in elements."""
    return tuple(step // array.itemsize for step in array.strides)


def unsqueeze_stride(shape: tuple, strides: tuple, dim: int) -> int:
    """The stride PyTorch gives a dim of size 1 inserted before dim `dim` (x.unsqueeze(dim), x[..., None, ...]): the
    span of dim `dim`, 1 past the last dim."""
    return shape[dim] * strides[dim] if dim < len(shape) else 1


def basic_index_strides(shape: tuple, strides: tuple, key: tuple) -> tuple | None:
    """The strides (in elements) PyTorch gives x[key] for a basic key of ints, slices, None and one Ellipsis, as its
    indexing applies them left to right: an int drops its dim, a slice multiplies the stride by its step (also where
    it keeps one element or none), None inserts a dim by unsqueeze's rule. None for any other key."""
    if key.count(Ellipsis) > 1:
        return None
    consumed = sum(part is not None and part is not Ellipsis for part in key)
    if Ellipsis in key:
        at = key.index(Ellipsis)
        key = key[:at] + (slice(None),) * (len(shape) - consumed) + key[at + 1:]
    result, dim = [], 0
    for part in key:
        if part is None:
            result.append(unsqueeze_stride(shape, strides, dim))
        elif isinstance(part, slice):
            result.append(strides[dim] * (1 if part.step is None else part.step))
            dim += 1
        elif isinstance(part, (int, np.integer)) and not isinstance(part, bool):
            dim += 1
        else:
            return None
    return tuple(result) + tuple(strides[dim:])


def view_strides(shape: tuple, strides: tuple, new_shape: tuple) -> tuple | None:
    """The strides (in elements) of PyTorch's view of a tensor of `shape` and `strides` as `new_shape` (view,
    reshape where it gives a view), None where it would copy. PyTorch's rule: the old dims fall into chunks that are
    contiguous among themselves; each chunk's elements are cut into the new dims that cover them, from the last, each
    new dim stepping over the ones after it from the chunk's last stride; a new dim of size 1 at a chunk's edge
    belongs to the chunk before it (the one nearer the front). An empty tensor's view is laid out contiguously."""
    if not shape:
        return (1,) * len(new_shape)
    if 0 in shape:
        if tuple(new_shape) == tuple(shape):
            return tuple(strides)
        result, step = [], 1
        for n in reversed(new_shape):
            result.append(step)
            step *= max(n, 1)
        return tuple(reversed(result))
    result = [0] * len(new_shape)
    view_dim = len(new_shape) - 1
    chunk_stride, chunk_elements, view_elements = strides[-1], 1, 1
    for dim in reversed(range(len(shape))):
        chunk_elements *= shape[dim]
        chunk_ends = dim == 0 or (shape[dim - 1] != 1 and strides[dim - 1] != chunk_elements * chunk_stride)
        if not chunk_ends:
            continue
        while view_dim >= 0 and (view_elements < chunk_elements or new_shape[view_dim] == 1):
            result[view_dim] = view_elements * chunk_stride
            view_elements *= new_shape[view_dim]
            view_dim -= 1
        if view_elements != chunk_elements:
            return None
        if dim > 0:
            chunk_stride, chunk_elements, view_elements = strides[dim - 1], 1, 1
    return tuple(result) if view_dim == -1 else None

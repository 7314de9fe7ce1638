"""Tensor methods that write through a view or reshape the memory itself: the *_scatter functions, index_reduce,
put, as_strided_, resize_ and its kin, nonzero_static, the unsafe_ splits, new_empty_strided, and the methods of
two activations (hardshrink, prelu) whose functional forms live in nn.functional."""
from __future__ import annotations

import math
import sys
import warnings
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from fastgrad.autograd import graph
from fastgrad.autograd.grad_mode import GRAD_MODE
from fastgrad.autograd.graph import apply
from fastgrad.memory_formats import contiguous_format, preserve_format
from fastgrad.ops.assign import Put
from fastgrad.ops.indexing import ScatterReduce
from fastgrad.ops.view_scatter import ViewScatter
from fastgrad.strided_views import memory_positions, overlaps_itself, strided_view
from fastgrad.tensor_methods.arguments import int_arg, one_dim
from fastgrad.tensor_methods.in_place import view_form

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor

INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")
_as_strided_in_place = view_form("as_strided")


class StorageMethods:
    __slots__ = ()  # Tensor keeps no __dict__

    # -- a view's elements replaced ----------------------------------------------------------------
    def diagonal_scatter(self, src: "Tensor", offset: int = 0, dim1: int = 0, dim2: int = 1) -> "Tensor":
        """A copy of self with the diagonal that self.diagonal(offset, dim1, dim2) shows replaced by src."""
        return self._view_scatter("diagonal_scatter", src, lambda grid: grid.diagonal(offset, dim1, dim2))

    def select_scatter(self, src: "Tensor", dim: int, index: int) -> "Tensor":
        """A copy of self with the slice self.select(dim, index) replaced by src."""
        return self._view_scatter("select_scatter", src, lambda grid: grid.select(dim, index))

    def slice_scatter(self, src: "Tensor", dim: int = 0, start: int | None = None, end: int | None = None,
                      step: int = 1) -> "Tensor":
        """A copy of self with the elements start:end:step along dim replaced by src."""
        return self._view_scatter("slice_scatter", src,
                                  lambda grid: grid._slice_along("slice_scatter", dim, start, end, step))

    def as_strided_scatter(self, src: "Tensor", size: Sequence[int], stride: Sequence[int],
                           storage_offset: int | None = None) -> "Tensor":
        """A copy of self with the elements a window of its memory shows replaced by src, as PyTorch's: size,
        stride and storage_offset count in self's memory (from its base's first element; the offset defaults to
        self's own), or in new contiguous memory where two of self's positions share an element (an expanded
        self). Window positions on memory that self does not show (a slice's neighbours) write nothing, and src
        gets no gradient there; where the window shows an element twice the later write wins. The copy is laid
        out as clone() lays self out (PyTorch's keeps a strided self's strides and memory). PyTorch 2.13 refuses
        a non-contiguous input that requires grad; so does fastgrad."""
        if GRAD_MODE.enabled and self._requires_grad and not self.is_contiguous():
            raise RuntimeError("as_strided_scatter: an input that requires grad must be contiguous (PyTorch 2.13 "
                               f"refuses it too), got shape {tuple(self.shape)} and stride {self.stride()}")
        shape, strides, count = tuple(self.shape), self.stride(), self._data.size
        if overlaps_itself(shape, strides):
            start, memory = 0, np.arange(count, dtype=np.int64)
        else:  # each memory element holds the flat index of the element of self it is, or -1
            _, start, elements = self._place_in_memory("as_strided_scatter")
            memory = np.full(elements, -1, dtype=np.int64)
            memory[memory_positions(shape, strides, start)] = np.arange(count, dtype=np.int64).reshape(shape)
        offset = start if storage_offset is None else storage_offset
        return self._view_scatter("as_strided_scatter", src, lambda grid: grid.as_strided(size, stride, offset),
                                  graph.Tensor._wrap(memory, False, None))

    def _view_scatter(self, name: str, src, view: Callable, grid: "Tensor | None" = None) -> "Tensor":
        """ViewScatter of src at the elements view(grid) shows, grid holding self's elements' flat indices (by
        default in a row-major layout; -1 marks memory self does not show, where src is dropped): the view's own
        checks apply to its arguments. src is cast to self's dtype, as in PyTorch."""
        if not isinstance(src, graph.Tensor):
            raise TypeError(f"{name}(): argument 'src' must be a Tensor, got {type(src).__name__}")
        if grid is None:
            grid = graph.Tensor._wrap(np.arange(self._data.size, dtype=np.int64).reshape(self.shape), False, None)
        positions = view(grid)._data
        if src.shape != positions.shape:
            raise RuntimeError(f"{name}: expected src to have a size equal to the slice of self: src size "
                               f"{tuple(src.shape)}, slice size {positions.shape}")
        src, shown = src.to(self.dtype), positions >= 0
        if not shown.all():
            src, positions = src[graph.Tensor._wrap(shown, False, None)], positions[shown]
        return apply(ViewScatter, self, src, positions=np.array(positions))

    def _slice_along(self, name: str, dim: int = 0, start: int | None = None, end: int | None = None,
                     step: int = 1) -> "Tensor":
        """self[..., start:end:step] along dim (aten's slice): bounds clip to the dim, the step must be positive."""
        axis = one_dim(dim, self.ndim)
        start = None if start is None else int_arg(start, f"{name}: start")
        end = None if end is None else int_arg(end, f"{name}: end")
        if int_arg(step, f"{name}: step") <= 0:
            raise RuntimeError(f"{name}: slice step must be positive, got {step}")
        return self[(slice(None),) * axis + (slice(start, end, step),)]

    # -- index_reduce ------------------------------------------------------------------------------
    def index_reduce(self, dim: int, index: "Tensor", source: "Tensor", reduce: str, *,
                     include_self: bool = True) -> "Tensor":
        """A copy of self with slice k of source (along dim) combined into slice index[k] by reduce ("prod",
        "mean", "amax" or "amin"; integer means round down, as PyTorch's); with include_self=False the slices
        written to start from the combined values alone. Gradients as scatter_reduce's (see ops.ScatterReduce)."""
        return apply(ScatterReduce, self, source, **self._index_reduce_args("index_reduce", dim, index, source,
                                                                           reduce, include_self))

    def index_reduce_(self, dim: int, index: "Tensor", source: "Tensor", reduce: str, *,
                      include_self: bool = True) -> "Tensor":
        """index_reduce in place (recorded by autograd on tensors that are not leaves)."""
        return graph.apply_inplace(ScatterReduce, "index_reduce_", self, source, **self._index_reduce_args(
            "index_reduce_", dim, index, source, reduce, include_self))

    def _index_reduce_args(self, name: str, dim, index, source, reduce, include_self) -> dict:
        """PyTorch's checks, in its order, and index_reduce as a scatter_reduce: the index repeated over source's
        other dims."""
        if not isinstance(source, graph.Tensor):
            raise TypeError(f"{name}(): argument 'source' must be a Tensor, got {type(source).__name__}")
        if not isinstance(index, graph.Tensor):
            raise TypeError(f"{name}(): argument 'index' must be a Tensor, got {type(index).__name__}")
        if not isinstance(include_self, (bool, np.bool_)):
            raise TypeError(f"{name}(): argument 'include_self' must be bool, got {type(include_self).__name__}")
        if reduce not in INDEX_REDUCTIONS:
            raise RuntimeError(f"{name}: expected reduce to be one of prod, mean, amax or amin, got {reduce!r}")
        axis = one_dim(dim, self.ndim)
        if index.ndim > 1:
            raise IndexError(f"{name}: index must be a vector (0-d or 1-d), got shape {tuple(index.shape)}")
        if index.dtype not in (np.int32, np.int64):
            raise RuntimeError(f"{name}: expected dtype int32 or int64 for index, got {index.dtype}")
        if source.dtype != self.dtype:
            raise RuntimeError(f"{name}: self ({self.dtype}) and source ({source.dtype}) must have the same dtype")
        if self._data.dtype.kind == "b" and (reduce == "mean" or self.ndim < 2):  # (PyTorch's kernels' reach)
            raise NotImplementedError(f"{name}: not implemented for bool tensors with reduce='mean' or fewer than 2 "
                                      f"dims (as in PyTorch), got reduce={reduce!r} and shape {tuple(self.shape)}")
        rows = index._data.reshape(-1).astype(np.int64)
        if source.ndim != self.ndim or any(source.shape[d] != self.shape[d] for d in range(self.ndim) if d != axis):
            raise RuntimeError(f"{name}: source shape must match self shape outside dim {dim}, got self shape "
                               f"{tuple(self.shape)} and source shape {tuple(source.shape)}")
        along = source.shape[axis] if source.ndim else 1
        if rows.size != along:
            raise RuntimeError(f"{name}: the number of indices ({rows.size}) should equal source.size(dim) "
                               f"({along}) for dim {dim}")
        size = self.shape[axis] if self.ndim else 1
        if rows.size and (rows.min() < 0 or rows.max() >= size):
            bad = int(rows.min() if rows.min() < 0 else rows.max())
            raise IndexError(f"{name}: index {bad} is out of range for dim {dim} of size {size} (expected 0 <= index "
                             f"< {size})")
        spread = rows.reshape([-1 if d == axis else 1 for d in range(self.ndim)]) if self.ndim else rows.reshape(())
        return {"dim": axis, "index": np.broadcast_to(spread, source.shape).copy(), "reduce": reduce,
                "include_self": bool(include_self)}

    # -- put ---------------------------------------------------------------------------------------
    def put_(self, index: "Tensor", source: "Tensor", accumulate: bool = False) -> "Tensor":
        """source's elements written (added, with accumulate) in place at the positions index names in self seen
        as one row-major dim (negative ones count from the end), as torch.Tensor.put_."""
        if self.ndim == 0:
            if isinstance(source, graph.Tensor):  # (refused in self's memory, as by _put below and PyTorch's put_)
                graph.refuse_partial_overlap("put_", self._data, source._data, same_memory_too=True)
            return self._assign_in_place("put_", lambda old: old.put(index, source, accumulate), source)
        key, values = self._put_args("put_", index, source)
        return self._put(None, key, values, bool(accumulate), "put_", Put)

    def put(self, index: "Tensor", source: "Tensor", accumulate: bool = False) -> "Tensor":
        """put_ on a copy of self. Where an index repeats without accumulate one of the writes wins, and every
        one of those source elements gets the gradient of the position, as in PyTorch."""
        self._put_args("put", index, source)
        if self.ndim == 0:
            return self.reshape(1).put(index, source, accumulate).reshape(())
        return self.clone().put_(index, source, accumulate)

    def _put_args(self, name: str, index, source) -> tuple[tuple, "Tensor"]:
        """The advanced key of the positions index names, and source as one dim; PyTorch's checks."""
        if not isinstance(index, graph.Tensor) or not isinstance(source, graph.Tensor):
            raise TypeError(f"{name}(): index and source must be Tensors, got {type(index).__name__} and "
                            f"{type(source).__name__}")
        if index.dtype != np.int64:
            raise RuntimeError(f"{name}: expected an int64 tensor for index, got {index.dtype}")
        if source.dtype != self.dtype:
            raise RuntimeError(f"{name}: self and source must have the same dtype, got {self.dtype} and "
                               f"{source.dtype}")
        if index.numel() != source.numel():
            raise IndexError(f"{name}: index and source must have the same number of elements, got "
                             f"{index.numel()} and {source.numel()}")
        flat, size = index._data.reshape(-1), self._data.size
        if flat.size and (flat.min() < -size or flat.max() >= size):
            bad = int(flat.min() if flat.min() < -size else flat.max())
            raise IndexError(f"{name}: index {bad} is out of range for a tensor of {size} elements (expected "
                             f"{-size} <= index < {size})")
        return np.unravel_index(flat % max(size, 1), self.shape or (1,)), source.reshape(-1)  # (0-d: see put_)

    def as_strided_(self, size: Sequence[int], stride: Sequence[int], storage_offset: int | None = None) -> "Tensor":
        """self becomes self.as_strided(size, stride, storage_offset), a window of the memory it shows, as
        torch.Tensor.as_strided_: recorded by autograd on a tensor inside the graph (not on a view), refused on a
        leaf that requires grad. A tensor that owned its memory keeps it as the memory it lies in, so that
        storage_offset() and later as_strided calls count from the memory's start, as in PyTorch."""
        memory, owned = self._data, self._memory_owner() is self
        _as_strided_in_place(self, size, stride, storage_offset)
        if owned:
            self._storage = graph.Tensor._wrap(memory, False, None)
            self._storage._counter = self._counter
        return self

    # -- resizing ----------------------------------------------------------------------------------
    def resize_(self, *sizes, memory_format=None) -> "Tensor":
        """self becomes a contiguous tensor of the given sizes, its elements read from its memory in memory order
        from where it starts (torch's resize_): the first ones stay, a transposed tensor's come back in memory
        order; the same shape keeps the layout. Memory self owns alone is replaced by new memory of the new size
        (new elements are zeros; PyTorch leaves them uninitialized, and after a shrink keeps the old ones beyond
        the end, which a later grow brings back there but not here). Memory shared with other tensors (a view's
        base, a view of self, values saved for backward) is kept, and self becomes a window of it, as in PyTorch;
        growing past its end is refused, since theirs could not follow. Refused, as in PyTorch, for a tensor
        that requires grad."""
        shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        shape = tuple(int_arg(n, "resize_: size") for n in shape)
        if any(n < 0 for n in shape):
            raise RuntimeError(f"resize_: sizes must be non-negative, got {list(shape)}")
        if memory_format not in (None, contiguous_format, preserve_format):
            raise NotImplementedError(f"resize_: fastgrad lays out resized tensors contiguously only, got "
                                      f"memory_format={memory_format}")
        if self._requires_grad:
            raise RuntimeError("resize_: cannot resize variables that require grad (as in PyTorch)")
        if shape != tuple(self.shape):
            self._data = self._resized_memory(shape)
        self._counter.value += 1
        return self

    def _resized_memory(self, shape: tuple) -> np.ndarray:
        owner, offset, elements = self._place_in_memory("resize_")
        memory, dtype, count = owner._data, self._data.dtype, math.prod(shape)
        # self's own array, referenced by nothing else: counted as a local array is, plus self's reference (the
        # count's own references differ between Python versions)
        local = np.empty(0)
        if owner is self and memory.base is None and sys.getrefcount(memory) <= sys.getrefcount(local) + 1:
            kept = min(count, elements)
            resized = np.zeros(shape, dtype=dtype)
            resized.reshape(-1)[:kept] = memory.ravel(order="K")[:kept]  # (memory order: an owned array's strides
            return resized  # are positive)
        if offset + count > elements:
            raise RuntimeError(f"resize_: {count} elements from offset {offset} need memory of {offset + count} "
                               f"elements, and this tensor's holds {elements}, which fastgrad cannot grow while other "
                               "tensors share it (a view's base, a view of it, or values saved for backward); clone() "
                               "it first")
        start = memory.__array_interface__["data"][0] + offset * dtype.itemsize
        strides = tuple(math.prod(shape[d + 1:]) * dtype.itemsize for d in range(len(shape)))
        return strided_view(memory, start, shape, strides, dtype, memory.flags.writeable)

    def resize_as_(self, the_template: "Tensor", *, memory_format=None) -> "Tensor":
        """resize_ to the template's shape."""
        if not isinstance(the_template, graph.Tensor):
            raise TypeError(f"resize_as_(): argument 'the_template' must be a Tensor, got "
                            f"{type(the_template).__name__}")
        return self.resize_(the_template.shape, memory_format=memory_format)

    def resize(self, *sizes) -> "Tensor":
        """PyTorch's deprecated out-of-place resize: a reshape (differentiable) that must keep the number of
        elements."""
        warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
        return self._same_count_reshape(sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list))
                                        else sizes)

    def resize_as(self, tensor: "Tensor") -> "Tensor":
        """PyTorch's deprecated out-of-place resize_as: resize to tensor's shape."""
        warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
        return self._same_count_reshape(tensor.shape)

    def _same_count_reshape(self, shape) -> "Tensor":
        shape = tuple(int_arg(n, "resize: size") for n in shape)
        if math.prod(shape) != self._data.size:
            raise RuntimeError(f"resize: requested resize to {'x'.join(map(str, shape))} ({math.prod(shape)} "
                               f"elements in total), but the tensor has {self._data.size} elements; the out-of-place "
                               "resize can only change the shape, keeping the number of elements")
        return self.reshape(shape)

    # -- small forms of other functions ------------------------------------------------------------
    def nonzero_static(self, *, size: int, fill_value: int = -1) -> "Tensor":
        """nonzero()'s (n, ndim) int64 indices cut or padded with fill_value to exactly `size` rows."""
        for label, value in (("size", size), ("fill_value", fill_value)):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"nonzero_static(): argument '{label}' must be int, got {type(value).__name__}")
        if size < 0:
            raise RuntimeError(f"nonzero_static: 'size' must be a non-negative integer, got {size}")
        found = np.argwhere(self._data)[:size]
        out = np.full((size, self.ndim), fill_value, dtype=np.int64)
        out[:len(found)] = found
        return graph.Tensor._wrap(out, False, None)

    def unsafe_chunk(self, chunks: int, dim: int = 0) -> tuple["Tensor", ...]:
        """chunk (PyTorch's unsafe_ form skips a check of later in-place changes that fastgrad makes anyway)."""
        return self.chunk(chunks, dim)

    def unsafe_split(self, split_size: int, dim: int = 0) -> tuple["Tensor", ...]:
        """split into pieces of split_size (an int, as PyTorch's unsafe_split takes)."""
        return self._split_by_size("unsafe_split", int_arg(split_size, "unsafe_split: split_size"), dim)

    def unsafe_split_with_sizes(self, split_sizes: Sequence[int], dim: int = 0) -> tuple["Tensor", ...]:
        return self._split_with_sizes("unsafe_split_with_sizes", split_sizes, dim)

    def new_empty_strided(self, size: Sequence[int], stride: Sequence[int], *, dtype=None, device=None,
                          requires_grad: bool = False) -> "Tensor":
        """empty_strided in self's dtype unless given."""
        from fastgrad.creation import empty_strided

        return empty_strided(size, stride, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def hardshrink(self, lambd: float = 0.5) -> "Tensor":
        from fastgrad.nn import functional

        return functional.hardshrink(self, lambd)

    def prelu(self, weight: "Tensor") -> "Tensor":
        from fastgrad.nn import functional

        return functional.prelu(self, weight)

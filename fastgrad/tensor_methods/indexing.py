"""Indexing as Tensor methods: x[key] and x[key] = v, gather/scatter (and scatter_reduce), take_along_dim,
index_*, masks, sorting, unique and unique_consecutive, triangles, flips, rot90 and roll."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from fastgrad import ops
from fastgrad.autograd import graph
from fastgrad.autograd.grad_mode import GRAD_MODE
from fastgrad.autograd.graph import apply
from fastgrad.dtypes import checked_cast
from fastgrad.ops.assign import region, write_at
from fastgrad.ops.indexing import ScatterReduce, ScatterWithReduce, UniqueConsecutive, stable_order
from fastgrad.ops.shape import basic_view
from fastgrad.strided_views import writable_alias
from fastgrad.tensor_methods.arguments import broadcast_error, int_arg, normalize_dims, number_of_dtype, one_dim
from fastgrad.tensor_methods.reductions import ValuesIndices

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor


class IndexingMethods:
    __slots__ = ()  # Tensor keeps no __dict__

    def _index_key(self, key):
        """Turn a user key into NumPy keys, range-checking integer index arrays per dimension: (selection,
        np_key, advanced). PyTorch selects with an int (or a 0-d integer tensor) before it indexes with
        arrays, where NumPy counts the int among the arrays, which moves the indexed dims to the front when
        a slice stands between them (x[0, :, idx]). So a key with both is split: `selection` (the ints) is
        applied first, then `np_key` (the rest); without arrays or ints, selection is None."""
        parts = [_key_part(part) for part in (key if isinstance(key, tuple) or _list_as_tuple(key) else (key,))]
        consumes = sum(0 if p is None or p is Ellipsis else p.ndim if _is_bool_index(p) else 1 for p in parts)
        if sum(p is Ellipsis for p in parts) > 1:
            if consumes > self.ndim:
                raise IndexError(f"too many indices for a tensor of shape {self.shape}: {consumes} dims indexed")
            parts = _ellipses_as_slices(parts, self.ndim - consumes, self.shape)
        if self.ndim == consumes and any(map(_is_index_array, parts)):
            # an Ellipsis of no dims does not part index arrays in PyTorch, as it would in NumPy (x[:, i, ..., j])
            parts = [p for p in parts if p is not Ellipsis]
        advanced, dim = False, 0
        for part in parts:
            if part is Ellipsis:
                dim += self.ndim - consumes
            elif part is None:
                pass
            elif isinstance(part, np.ndarray):
                advanced = True
                if part.dtype.kind == "b":
                    indexed = tuple(self.shape[dim:dim + part.ndim])
                    if part.shape != indexed:  # (NumPy takes an empty mask of any shape as an empty integer index)
                        raise IndexError(f"the shape of the mask {part.shape} at index {dim} does not match the "
                                         f"shape {indexed} of the dims it indexes in a tensor of shape {self.shape}")
                    dim += part.ndim
                elif part.dtype.kind in "iu":
                    if dim >= self.ndim:
                        raise IndexError(f"too many indices for a tensor of shape {self.shape}")
                    _check_index_array(part, self.shape[dim], dim)
                    dim += 1
                else:
                    raise IndexError(f"tensors used as indices must be integer or bool, got dtype {part.dtype}")
            elif isinstance(part, (int, np.integer)):
                if dim >= self.ndim:
                    raise IndexError(f"too many indices for a tensor of shape {self.shape}")
                if not -self.shape[dim] <= part < self.shape[dim]:
                    raise IndexError(f"index {part} is out of range for dimension {dim} with size {self.shape[dim]}")
                dim += 1
            else:
                if isinstance(part, slice) and part.step is not None and part.step <= 0:
                    raise ValueError(f"slice step must be positive (as in PyTorch; use flip() to reverse), got "
                                     f"{part.step}")
                dim += 1
        if not (any(map(_is_selector, parts)) and any(map(_is_index_array, parts))):
            return None, tuple(parts), advanced
        selection = []
        for part in parts:
            if _is_selector(part):
                selection.append(int(part))
            elif part is Ellipsis:
                selection.append(Ellipsis)
            elif part is not None:  # the dims this part indexes are kept whole
                selection.extend([slice(None)] * (part.ndim if _is_bool_index(part) else 1))
        return tuple(selection), tuple(p for p in parts if not _is_selector(p)), True

    def __getitem__(self, key) -> "Tensor":
        selection, np_key, advanced = self._index_key(key)
        x = self if selection is None else apply(ops.GetItem, self, key=selection, advanced=False)
        return apply(ops.GetItem, x, key=np_key, advanced=advanced)

    def __setitem__(self, key, value) -> None:
        """x[key] = value in place; recorded by autograd when grad mode is on and x or value requires grad. value is
        a tensor or a number: a Python one, or a NumPy int or float64 (which is a Python float), as PyTorch takes;
        other NumPy scalars (np.True_, np.float32) and None are refused as PyTorch refuses them. A NumPy array or a
        list is taken too (PyTorch refuses them), as fastgrad's own code writes arrays this way."""
        if not isinstance(value, (graph.Tensor, int, float, complex, np.integer, np.ndarray, list)):  # (bool: an int)
            raise TypeError(f"__setitem__: can't assign a {type(value).__module__}.{type(value).__name__} to a tensor "
                            f"of dtype {self.dtype} (as PyTorch, x[key] = value takes a tensor, a Python number or a "
                            "NumPy int); convert it with fastgrad.tensor() or fastgrad.as_tensor() first")
        self._put(*self._index_key(key)[:2], value, accumulate=False, name="__setitem__")

    def index_put_(self, indices, values, accumulate: bool = False) -> "Tensor":
        """x[indices] = values (or += with accumulate, repeated indices adding up), as PyTorch's."""
        if not isinstance(indices, (tuple, list)):
            raise TypeError(f"index_put_: indices must be a tuple of tensors, got {type(indices).__name__}")
        for position, index in enumerate(indices):  # (PyTorch's takes no ints, slices, None, lists or arrays)
            if not isinstance(index, graph.Tensor):
                raise TypeError(f"index_put_: indices must be a tuple of tensors, got {type(index).__name__} "
                                f"{index!r:.50} at position {position}")
        if not isinstance(values, graph.Tensor):
            raise TypeError(f"index_put_: values must be a Tensor, got {type(values).__name__}")
        if not indices:  # (PyTorch 2.13 fails an internal check: "sym_strides() called on an undefined Tensor")
            raise RuntimeError("index_put_: indices must hold at least one tensor, got none")
        if values.dtype != self.dtype:  # (x[key] = values casts; index_put_ does not, as in PyTorch)
            raise RuntimeError(f"index_put_: values must have the destination's dtype {self.dtype}, got {values.dtype}")
        selection, np_key, _ = self._index_key(tuple(indices))
        indexed_shape = region(self._data, selection)[np_key].shape
        try:  # (x[key] = values drops the values' leading size-1 dims; index_put_ does not, as in PyTorch)
            fits = np.broadcast_shapes(values.shape, indexed_shape) == indexed_shape
        except ValueError:
            fits = False
        fills = _fills_through_mask(indices, values, accumulate)  # (values of any shape then)
        if not (fits or fills):
            raise RuntimeError(f"index_put_: values of shape {values.shape} cannot be broadcast to the indexed shape "
                               f"{indexed_shape}")
        return self._put(selection, np_key, values, accumulate, "index_put_")

    def index_put(self, indices, values, accumulate: bool = False) -> "Tensor":
        """index_put_ on a copy of self."""
        return self.clone().index_put_(indices, values, accumulate)

    def fill_diagonal_(self, fill_value, wrap: bool = False) -> "Tensor":
        """The elements [i, i, ..., i] become fill_value, in place, for a matrix or a tensor whose dims all have one
        size; with wrap, a tall matrix's diagonal starts again N + 1 rows further down (NumPy's and PyTorch's
        rule). As PyTorch's, a fill_ of the diagonal as a strided view of self (a step of every dim at once), so
        that an expanded self is written through its shared memory, and its history passes a gradient (the
        diagonal of an expanded matrix shows each element once, where a mask over all of it would repeat them)."""
        if self.ndim < 2:
            raise RuntimeError(f"fill_diagonal_: expected a tensor with at least 2 dims, got shape {tuple(self.shape)}")
        if self.ndim > 2 and len(set(self.shape)) != 1:
            raise RuntimeError(f"fill_diagonal_: all dims of the tensor must have one size, got shape "
                               f"{tuple(self.shape)}")
        if not isinstance(fill_value, graph.Tensor):  # (checked here to name this method; fill_ casts it)
            number_of_dtype("fill_diagonal_", fill_value, self.dtype)
        height, width = self.shape[0], self.shape[1]
        step, start = sum(self.stride()), self.storage_offset()
        length = min(height, width)
        self.as_strided((length,), (step,), start).fill_(fill_value)
        if wrap and self.ndim == 2 and height > width + 1:
            wrapped = -(-self.numel() // (width + 1)) - length  # (PyTorch's count: numel / (N + 1) rounded up, less N)
            self.as_strided((wrapped,), (step,), start + self.stride(0) * (width + 1)).fill_(fill_value)
        return self

    def where(self, condition: "Tensor", other) -> "Tensor":
        """self where condition holds, else other: fastgrad.where(condition, self, other)."""
        from fastgrad.functions import where  # (functions imports the Tensor class, which this module builds)

        return where(condition, self, other)

    def _put(self, selection, np_key, value, accumulate: bool, name: str, op=ops.IndexPut) -> "Tensor":
        """self[key] = value (or += with accumulate) in place, recorded as `op` (an IndexPut; put_'s Put saves the
        source)."""
        basic = all(part is None or part is Ellipsis or isinstance(part, (int, slice)) for part in np_key)
        if basic and not self._data.flags.writeable and self._data.size:
            # (an expand, say: PyTorch copies the value into the view the key picks, which takes it where it shows
            # each element once, x[0] of an expanded row, and refuses it where it repeats one, x[:, 0])
            part = self if selection is None else apply(ops.GetItem, self, key=selection, advanced=False)
            part = apply(ops.GetItem, part, key=np_key, advanced=False)
            if part._data.flags.writeable:
                part._put(None, (Ellipsis,), value, accumulate, name, op)
                return self
        # An advanced key into an expand: PyTorch warns, and writes the values through the memory (IndexPut's
        # repeated_memory_write); it refuses put_
        repeated = (not basic and not self._data.flags.writeable and self._data.size
                    and graph.repeats_writable_memory(self)
                    and op.repeated_memory_write({"key": np_key, "accumulate": accumulate, "selection": selection}))
        if repeated:
            _warn_if_expanded("index_put_", self, stacklevel=4)
        else:
            graph.refuse_read_only(name, self)
        if self._base is not None and GRAD_MODE.enabled:
            if basic:  # (PyTorch writes into a new view of the base, for which a view of self follows self's base)
                graph.follows_new_base_history(self)
            graph.refuse_stale_view_write(name, self)
        if not isinstance(value, graph.Tensor):  # numbers the dtype cannot hold are refused, arrays cast, as PyTorch
            values = np.asarray(value)
            if isinstance(value, np.ndarray):
                values = values.astype(self.dtype)
            else:
                values = checked_cast(values, self.dtype, name)
            value = graph.Tensor._wrap(values, False, None)
        given = value._data
        if value.ndim and value.shape[0] == 1:  # PyTorch drops the value's leading size-1 dims: x[0] = row[None]
            value = value.reshape(value.shape[_leading_ones(value.shape):])
        if basic:  # (the values are copied into a view, which PyTorch checks for overlap with them)
            written = basic_view(region(self._data, selection), np_key)
            copied = _as_copied(written, given, value._data)
            if copied is not None:
                graph.refuse_partial_overlap(name, written, copied)
        elif not _fills_through_mask(np_key, value, accumulate):
            # PyTorch's index_put_ refuses values of another dtype (numbers and arrays were cast above) and values in
            # the memory of the tensor it indexes (but for the one value its fill through a mask reads as a number
            # first: x[x > 3] = x[2])
            if value.dtype != self.dtype:
                raise RuntimeError(f"{name}: index put requires the source and destination dtypes to match, got "
                                   f"{self.dtype} for the destination and {value.dtype} for the source")
            graph.refuse_partial_overlap(name, region(self._data, selection), value._data, same_memory_too=True)
        if not (GRAD_MODE.enabled and (self.requires_grad or value.requires_grad)):
            memory = writable_alias(self._data) if repeated else self._data
            write_at(region(memory, selection), np_key, value._data, accumulate)  # region: a view
            self._counter.value += 1
            return self
        if value._data.dtype != self._data.dtype:
            value = value.to(self._data.dtype)
        return graph.apply_inplace(op, name, self, value, key=np_key, accumulate=accumulate, selection=selection)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def gather(self, dim: int, index: "Tensor") -> "Tensor":
        """out[i][j] = self[i][index[i][j]] for dim=1; the gradient scatter-adds back."""
        return apply(ops.Gather, self, dim=one_dim(dim, self.ndim), index=_index_array("gather", index))

    def scatter(self, dim: int, index: "Tensor", src: "Tensor | float | None" = None, value: float | None = None, *,
                reduce: str | None = None) -> "Tensor":
        """A copy with src[i][j] (or the number `value`) written at [i][index[i][j]] for dim=1; with reduce="add"
        or "multiply" combined into it instead (no derivative then, as in PyTorch: use scatter_reduce)."""
        op, src, attrs = self._scatter_args("scatter", dim, index, src, value, reduce)
        return apply(op, self, src, **attrs)

    def scatter_(self, dim: int, index: "Tensor", src: "Tensor | float | None" = None, value: float | None = None, *,
                 reduce: str | None = None) -> "Tensor":
        """scatter in place (recorded by autograd on tensors that are not leaves), as in the one-hot idiom
        `torch.zeros(n, k).scatter_(1, labels.unsqueeze(1), 1.0)`."""
        op, src, attrs = self._scatter_args("scatter_", dim, index, src, value, reduce)
        return graph.apply_inplace(op, "scatter_", self, src, **attrs)

    def _scatter_args(self, name: str, dim, index, src, value, reduce) -> tuple[type, "Tensor", dict]:
        if reduce not in (None, "add", "multiply"):
            raise ValueError(f"{name}: reduce must be None, 'add' or 'multiply', got {reduce!r}")
        if (src is None) == (value is None):
            raise TypeError(f"{name}: expected exactly one of src (a tensor or number) and value (a number)")
        index_array = _index_array(name, index)
        if not isinstance(src, graph.Tensor):
            fill = number_of_dtype(name, src if value is None else value, self.dtype)
            src = graph.Tensor._wrap(np.full(index_array.shape, fill), False, None)
        attrs = {"dim": one_dim(dim, self.ndim), "index": index_array}
        if reduce is None:
            return ops.Scatter, src, attrs
        return ScatterWithReduce, src, dict(attrs, reduce="sum" if reduce == "add" else "prod", include_self=True)

    def scatter_reduce(self, dim: int, index: "Tensor", src: "Tensor", reduce: str, *,
                       include_self: bool = True) -> "Tensor":
        """A copy with each src[i][j] combined into [i][index[i][j]] (dim=1) by `reduce`: "sum", "prod", "mean",
        "amax" or "amin" (PyTorch's aliases "max" and "min" too); include_self=False leaves out the values of
        the positions written to. Gradients by PyTorch's rules (see ops.ScatterReduce), except that without
        include_self a written-over value that happens to equal an amax/amin result takes no share."""
        return apply(ScatterReduce, self, src, **self._scatter_reduce_args("scatter_reduce", dim, index, src, reduce,
                                                                          include_self))

    def scatter_reduce_(self, dim: int, index: "Tensor", src: "Tensor", reduce: str, *,
                        include_self: bool = True) -> "Tensor":
        """scatter_reduce in place (recorded by autograd on tensors that are not leaves)."""
        return graph.apply_inplace(ScatterReduce, "scatter_reduce_", self, src, **self._scatter_reduce_args(
            "scatter_reduce_", dim, index, src, reduce, include_self))

    def _scatter_reduce_args(self, name: str, dim, index, src, reduce, include_self) -> dict:
        if not isinstance(src, graph.Tensor):
            raise TypeError(f"{name}: src must be a Tensor, got {type(src).__name__}")
        reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
        if reduce not in ("sum", "prod", "mean", "amax", "amin"):
            raise ValueError(f"{name}: reduce must be one of 'sum', 'prod', 'mean', 'amax', 'amin', got {reduce!r}")
        if not isinstance(include_self, (bool, np.bool_)):
            raise TypeError(f"{name}: include_self must be a bool, got {type(include_self).__name__} {include_self!r}")
        if self._data.dtype.kind == "b" and reduce == "mean":  # (prod of bools is their logical and)
            raise NotImplementedError(f"{name}: reduce={reduce!r} is not supported for bool tensors; convert with .long() "
                                      "first")
        return {"dim": one_dim(dim, self.ndim), "index": _index_array(name, index), "reduce": reduce,
                "include_self": bool(include_self)}

    def take_along_dim(self, indices: "Tensor", dim: int | None = None) -> "Tensor":
        """The elements at `indices` along dim (negative ones count from the end), self and indices broadcast
        in the other dims, as torch.take_along_dim; without dim, of the flattened tensor (indices from 0 then,
        as PyTorch's). The gradient scatter-adds back."""
        if not isinstance(indices, graph.Tensor):
            raise TypeError(f"take_along_dim: indices must be a Tensor, got {type(indices).__name__}")
        if indices.dtype != np.int64:
            raise TypeError(f"take_along_dim: indices must be an int64 tensor (as PyTorch), got dtype {indices.dtype}")
        if dim is None:
            if indices.numel() and indices._data.min() < 0:
                raise IndexError(f"take_along_dim: without dim, indices must be non-negative (as PyTorch), got "
                                 f"{indices._data.min()}")
            return self.reshape(-1).take_along_dim(indices.reshape(-1), 0)
        if indices.ndim != self.ndim:
            raise RuntimeError(f"take_along_dim: input and indices must have the same number of dims, got shapes "
                               f"{self.shape} and {indices.shape}")
        if self.ndim == 0:
            raise IndexError(f"take_along_dim: dim {dim} given, but a 0-d tensor has no dims (as PyTorch)")
        axis = one_dim(dim, self.ndim)
        x = self
        size = x.shape[axis]
        index = indices._data
        if index.size and not (-size <= index.min() and index.max() < size):
            raise IndexError(f"take_along_dim: index out of range for dim {dim} of size {size} (got values in "
                             f"[{index.min()}, {index.max()}])")
        try:
            shape = np.broadcast_shapes(x.shape[:axis] + (1,) + x.shape[axis + 1:],
                                        index.shape[:axis] + (1,) + index.shape[axis + 1:])
        except ValueError:
            raise RuntimeError(f"take_along_dim: input of shape {self.shape} and indices of shape {indices.shape} "
                               f"cannot be broadcast outside dim {dim}") from None
        x = x.expand(shape[:axis] + (size,) + shape[axis + 1:])
        index = np.broadcast_to(index % max(size, 1), shape[:axis] + (index.shape[axis],) + shape[axis + 1:]).copy()
        return apply(ops.Gather, x, dim=axis, index=index)

    def select(self, dim: int, index: int) -> "Tensor":
        """The slice at `index` along `dim`, without that dim (a view), as x[:, index] for dim=1."""
        axis = one_dim(dim, self.ndim)
        index = int_arg(index, "select: index")
        if not -self.shape[axis] <= index < self.shape[axis]:
            raise IndexError(f"select: index {index} is out of range for dim {dim} of size {self.shape[axis]}")
        return self[(slice(None),) * axis + (index,)]

    def scatter_add(self, dim: int, index: "Tensor", src: "Tensor") -> "Tensor":
        """A copy with src[i][j] added at [i][index[i][j]] for dim=1 (repeated indices accumulate)."""
        if not isinstance(src, graph.Tensor):
            raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
        return apply(ops.ScatterAdd, self, src, dim=one_dim(dim, self.ndim), index=_index_array("scatter_add", index))

    def index_select(self, dim: int, index: "Tensor") -> "Tensor":
        """The slices along dim picked by the 1-D index, in its order (repeats allowed)."""
        return apply(ops.IndexSelect, self, dim=one_dim(dim, self.ndim), index=_index_array("index_select", index))

    def index_add(self, dim: int, index: "Tensor", source: "Tensor", *, alpha: float = 1) -> "Tensor":
        """A copy with alpha * source's slices along dim added to the slices named by the 1-D index."""
        if not isinstance(source, graph.Tensor):
            raise TypeError(f"index_add: source must be a Tensor, got {type(source).__name__}")
        return apply(ops.IndexAdd, self, source, dim=one_dim(dim, self.ndim), index=_index_array("index_add", index),
                     alpha=alpha)

    def index_add_(self, dim: int, index: "Tensor", source: "Tensor", *, alpha: float = 1) -> "Tensor":
        """index_add in place (recorded by autograd on tensors that are not leaves)."""
        if not isinstance(source, graph.Tensor):
            raise TypeError(f"index_add_: source must be a Tensor, got {type(source).__name__}")
        return graph.apply_inplace(ops.IndexAdd, "index_add_", self, source, dim=one_dim(dim, self.ndim),
                                   index=_index_array("index_add_", index), alpha=alpha)

    def masked_fill(self, mask: "Tensor", value: "float | Tensor") -> "Tensor":
        """A copy with `value` (a number, or a 0-d tensor, which then gets a gradient) where the bool
        mask is True; self and mask broadcast."""
        fill, attrs = self._masked_fill_args("masked_fill", mask, value)
        return apply(ops.MaskedFill, self, fill, **attrs)

    def masked_fill_(self, mask: "Tensor", value: "float | Tensor") -> "Tensor":
        """masked_fill in place (recorded by autograd on tensors that are not leaves)."""
        _warn_if_expanded("masked_fill_", self)
        return self._masked_fill_in_place("masked_fill_", mask, value)

    def _masked_fill_in_place(self, name: str, mask, value) -> "Tensor":
        fill, attrs = self._masked_fill_args(name, mask, value)
        return graph.apply_inplace(ops.MaskedFill, name, self, fill, **attrs)

    def _masked_fill_args(self, name: str, mask, value) -> tuple["Tensor", dict]:
        mask_array = _mask_array(name, mask, self.shape)
        if isinstance(value, graph.Tensor):
            if value.ndim != 0:
                raise RuntimeError(f"{name}: value must be a number or a 0-d tensor, got a tensor of shape "
                                   f"{value.shape}")
            number_of_dtype(name, value.item(), self.dtype)  # refuses a value self's dtype cannot hold, as a number's
            if GRAD_MODE.enabled and value.requires_grad and self.dtype.kind != "f":
                raise RuntimeError(f"{name}: value requires grad, which a result of dtype {self.dtype} cannot carry "
                                   "(as in PyTorch); fill a floating point tensor, or detach the value")
            fill = value.to(self.dtype)
        else:
            fill = graph.Tensor._wrap(number_of_dtype(name, value, self.dtype), False, None)
        return fill, {"mask": mask_array}

    def scatter_add_(self, dim: int, index: "Tensor", src: "Tensor") -> "Tensor":
        """scatter_add in place (recorded by autograd on tensors that are not leaves)."""
        if not isinstance(src, graph.Tensor):
            raise TypeError(f"scatter_add_: src must be a Tensor, got {type(src).__name__}")
        return graph.apply_inplace(ops.ScatterAdd, "scatter_add_", self, src, dim=one_dim(dim, self.ndim),
                                   index=_index_array("scatter_add_", index))

    def index_fill(self, dim: int, index: "Tensor", value: "float | Tensor") -> "Tensor":
        """A copy with the slices along dim named by the 1-D index set to `value` (a number, or a 0-d
        tensor, which then gets a gradient)."""
        return self.masked_fill(self._index_mask("index_fill", dim, index), value)

    def index_fill_(self, dim: int, index: "Tensor", value: "float | Tensor") -> "Tensor":
        _warn_if_expanded("index_fill_", self)
        return self._masked_fill_in_place("index_fill_", self._index_mask("index_fill_", dim, index), value)

    def _index_mask(self, name: str, dim, index) -> "Tensor":
        """A bool tensor, broadcastable to self, true on the slices along dim that the index names."""
        axis = one_dim(dim, max(self.ndim, 1))
        rows = _slice_indices(name, index, self.shape[axis] if self.ndim else 1, negative_from_end=True)
        mask = np.zeros([self.shape[axis] if d == axis else 1 for d in range(self.ndim)], dtype=bool)
        mask.reshape(-1)[rows] = True
        return graph.Tensor._wrap(mask, False, None)

    def index_copy(self, dim: int, index: "Tensor", source: "Tensor") -> "Tensor":
        """A copy with slice i of source (along dim) written to slice index[i]; the gradient reaches source
        from there and self everywhere else."""
        return apply(ops.IndexCopy, self, source, **self._index_copy_args("index_copy", dim, index, source))

    def index_copy_(self, dim: int, index: "Tensor", source: "Tensor") -> "Tensor":
        return graph.apply_inplace(ops.IndexCopy, "index_copy_", self, source,
                                   **self._index_copy_args("index_copy_", dim, index, source))

    def _index_copy_args(self, name: str, dim, index, source) -> dict:
        """index_copy's attributes as a scatter along dim (ops.IndexCopy): the index repeated over source's other
        dims."""
        if not isinstance(source, graph.Tensor):
            raise TypeError(f"{name}: source must be a Tensor, got {type(source).__name__}")
        if source.dtype != self.dtype:  # (checked here, where scatter's check would name scatter)
            raise RuntimeError(f"{name}: source must have self's dtype {self.dtype}, got {source.dtype}")
        axis = one_dim(dim, max(self.ndim, 1))
        if source.ndim != self.ndim:
            raise ValueError(f"{name}: source must have self's {self.ndim} dims, got shape {source.shape}")
        rows = _slice_indices(name, index, self.shape[axis] if self.ndim else 1, negative_from_end=False)
        if self.ndim and (len(rows) != source.shape[axis] or any(
                source.shape[d] != self.shape[d] for d in range(self.ndim) if d != axis)):
            raise ValueError(f"{name}: source of shape {source.shape} does not fit self of shape {self.shape} with "
                             f"{len(rows)} indices along dim {dim}")
        along = np.broadcast_to(rows.reshape([-1 if d == axis else 1 for d in range(self.ndim)]), source.shape)
        return {"dim": axis, "index": along.copy()}

    def masked_scatter(self, mask: "Tensor", source: "Tensor") -> "Tensor":
        """A copy with source's first elements (in row-major order) written where the bool mask is true
        (mask and self broadcast); the gradient reaches source from there and self everywhere else."""
        from fastgrad.functions import where  # (functions imports the Tensor class, which this module builds)

        if not isinstance(source, graph.Tensor):
            raise TypeError(f"masked_scatter: source must be a Tensor, got {type(source).__name__}")
        if source.dtype != self.dtype:
            raise RuntimeError(f"masked_scatter: source must have self's dtype {self.dtype}, got {source.dtype}")
        mask_array = np.broadcast_to(_mask_array("masked_scatter", mask, self.shape),
                                     np.broadcast_shapes(self.shape, mask.shape))
        taken = int(mask_array.sum())
        if taken > source.numel():
            raise RuntimeError(f"masked_scatter: the mask is true at {taken} places but source has only "
                               f"{source.numel()} elements")
        position = np.maximum(np.cumsum(mask_array.reshape(-1)) - 1, 0).reshape(mask_array.shape)
        return where(graph.Tensor._wrap(mask_array.copy(), False, None), source.reshape(-1)[position], self)

    def masked_scatter_(self, mask: "Tensor", source: "Tensor") -> "Tensor":
        return self._assign_in_place("masked_scatter_", lambda old: old.masked_scatter(mask, source), source)

    def take(self, index: "Tensor") -> "Tensor":
        """The elements of the flattened tensor at `index` (negative counts from the end), in index's shape."""
        flat = _index_array("take", index)
        size = self.numel()
        if flat.size and not (-size <= flat.min() and flat.max() < size):
            raise IndexError(f"take: index out of range for a tensor of {size} elements (got values in "
                             f"[{flat.min()}, {flat.max()}])")
        # (a 1-d index, reshaped after: a 0-d one would select a view, where take copies)
        positions = graph.Tensor._wrap(np.reshape(flat % max(size, 1), -1), False, None)
        return self.reshape(-1)[positions].reshape(flat.shape)

    def argwhere(self) -> "Tensor":
        """The (n, ndim) int64 indices of the non-zero elements, as nonzero(); outside the graph."""
        return self.nonzero()

    def masked_select(self, mask: "Tensor") -> "Tensor":
        """The elements where the bool mask is True (self and mask broadcast), as a 1-D tensor."""
        return apply(ops.MaskedSelect, self, mask=_mask_array("masked_select", mask, self.shape))

    def nonzero(self, *, as_tuple: bool = False) -> "Tensor | tuple[Tensor, ...]":
        """The indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor per dim."""
        if as_tuple:  # a 0-d tensor counts as 1-d here, as in PyTorch
            return tuple(graph.Tensor._wrap(i, False, None) for i in np.nonzero(np.atleast_1d(self._data)))
        return graph.Tensor._wrap(np.argwhere(self._data), False, None)

    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> ValuesIndices:
        """(values, indices) sorted along dim; always stable, so `stable` changes nothing. NaN sorts as
        the largest value. The values' gradient goes back to the positions the indices name."""
        axis = one_dim(dim, self.ndim)
        order = apply(ops.Argsort, self, dim=axis, descending=descending)._data
        return self._take_ordered(axis, order)

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> "Tensor":
        """The indices that sort along dim (always stable; NaN sorts as the largest value)."""
        return apply(ops.Argsort, self, dim=one_dim(dim, self.ndim), descending=descending)

    def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
               dim: int | None = None):
        """The distinct elements in ascending order, or with `dim` the distinct slices along it in
        lexicographic order, as torch.unique; with return_inverse also the index of each element's value
        (a tensor of the input's shape; one per slice with dim), with return_counts how often each value
        occurs (both int64). Always sorted, as PyTorch on the CPU, whatever `sorted` says. Each NaN is a
        value of its own. No derivative, as in PyTorch: backward through the values raises."""
        for name, flag in (("sorted", sorted), ("return_inverse", return_inverse), ("return_counts", return_counts)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"unique: {name} must be a bool, got {type(flag).__name__} {flag!r}")
        axis = None
        if dim is not None:
            if self.ndim == 0:
                raise IndexError(f"unique: dimension specified as {dim} but tensor has no dimensions")
            axis = one_dim(dim, self.ndim)
            if any(n == 0 for d, n in enumerate(self.shape) if d != axis):
                raise RuntimeError(f"unique: shape {self.shape} has 0-sized dims besides dim {dim}, so there are no "
                                   "slices to compare (PyTorch refuses it too)")
        values, inverse, counts = ops.unique_sorted(self._data, axis)
        result = (apply(ops.Unique, self, values=values),)
        if return_inverse:
            result += (graph.Tensor._wrap(inverse, False, None),)
        if return_counts:
            result += (graph.Tensor._wrap(counts, False, None),)
        return result if len(result) > 1 else result[0]

    def unique_consecutive(self, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None):
        """The elements (or with dim, the slices along it) with each run of equal neighbours kept once, as
        torch.unique_consecutive; with return_inverse the index of each element's (slice's) run, with
        return_counts the run lengths (both int64). Each NaN is a run of its own. No derivative, as in PyTorch."""
        for name, flag in (("return_inverse", return_inverse), ("return_counts", return_counts)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"unique_consecutive: {name} must be a bool, got {type(flag).__name__} {flag!r}")
        if dim is None:
            lines = self._data.reshape(-1, 1)
        else:
            if self.ndim == 0:
                raise IndexError(f"unique_consecutive: dimension specified as {dim} but tensor has no dimensions")
            axis = one_dim(dim, self.ndim)
            if any(n == 0 for d, n in enumerate(self.shape) if d != axis):
                raise RuntimeError(f"unique_consecutive: shape {self.shape} has 0-sized dims besides dim {dim}, so "
                                   "there are no slices to compare (PyTorch refuses it too)")
            moved = np.moveaxis(self._data, axis, 0)
            lines = moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))  # (-1 fails when there are none)
        starts = np.ones(len(lines), dtype=bool)
        starts[1:] = np.any(lines[1:] != lines[:-1], axis=1)
        first = np.flatnonzero(starts)
        values = self._data.reshape(-1)[first] if dim is None else np.take(self._data, first, axis=axis)
        result = (apply(UniqueConsecutive, self, values=values),)
        if return_inverse:
            inverse = np.cumsum(starts) - 1
            result += (graph.Tensor._wrap(inverse.reshape(self.shape if dim is None else -1).astype(np.int64),
                                          False, None),)
        if return_counts:
            result += (graph.Tensor._wrap(np.diff(np.append(first, len(lines))).astype(np.int64), False, None),)
        return result if len(result) > 1 else result[0]

    def bincount(self, weights: "Tensor | None" = None, minlength: int = 0) -> "Tensor":
        """How often each value 0, 1, ..., max occurs in a 1-D tensor of non-negative integers (at least
        `minlength` counts), int64; with `weights`, the sum of the weights of each value (float32 weights
        give float32, any other dtype float64, and an empty input int64 zeros, as in PyTorch). Outside the
        graph: PyTorch has no derivative for the weights, so weights that require grad are refused rather than
        silently given none."""
        if self._data.dtype.kind not in "iu":  # (PyTorch has no kernel for it, and says so first)
            raise NotImplementedError(f"bincount: input must be a tensor of integers, got dtype {self.dtype}")
        if self.ndim != 1 or (self.numel() and self._data.min() < 0):
            raise RuntimeError(f"bincount: input must be a 1-D tensor of non-negative integers, got shape "
                               f"{self.shape}" + (" with negative values" if self.ndim == 1 else ""))
        if isinstance(minlength, bool) or not isinstance(minlength, (int, np.integer)) or minlength < 0:
            raise RuntimeError(f"bincount: minlength must be an int >= 0, got {minlength!r}")
        if weights is None:
            return graph.Tensor._wrap(np.bincount(self._data, minlength=minlength).astype(np.int64), False, None)
        if not isinstance(weights, graph.Tensor) or weights.shape != self.shape:
            got = weights.shape if isinstance(weights, graph.Tensor) else type(weights).__name__
            raise RuntimeError(f"bincount: weights must be a 1-D tensor of the input's length {self.shape}, got {got}")
        if weights.requires_grad and GRAD_MODE.enabled:
            raise RuntimeError("bincount: there is no derivative for weights (as in PyTorch); pass weights.detach()")
        dtype = np.float32 if weights.dtype == np.float32 else np.float64
        if not self.numel():
            dtype = np.int64  # PyTorch's zeros for an empty input, whatever the weights
        counts = np.bincount(self._data, weights=weights._data.astype(np.float64), minlength=minlength)
        return graph.Tensor._wrap(counts.astype(dtype), False, None)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
        """(values, indices) of the k largest (or smallest) elements along dim, NaN counting as the largest value,
        always best first, which also satisfies sorted=False. Among ties the first ones (PyTorch promises no index
        among ties, nor an order without sorted); the gradient goes to the elements indexed."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"topk: k must be an int, got {type(k).__name__}")
        axis = one_dim(dim, self.ndim)
        size = self.shape[axis] if self.ndim else 1
        if not 0 <= k <= size:  # (PyTorch's type: a RuntimeError)
            raise RuntimeError(f"topk: k must be in [0, {size}] (the size of dim {dim}), got {k}")
        self._refuse_bool("topk", RuntimeError)
        if self.ndim == 0:
            return self._take_ordered(axis, np.zeros((), dtype=np.int64))
        order = stable_order(self._data, axis, descending=largest)
        return self._take_ordered(axis, order[(slice(None),) * axis + (slice(0, k),)])

    def _take_ordered(self, axis: int, indices: np.ndarray) -> ValuesIndices:
        """(values, indices) with values gathered at `indices` along axis: the gradient flows back to
        the positions the indices name. The returned indices are a copy of the ones backward uses."""
        values = apply(ops.Gather, self, dim=axis, index=indices)
        return ValuesIndices(values, graph.Tensor._wrap(indices.copy(), False, None))

    def tril(self, diagonal: int = 0) -> "Tensor":
        """The lower triangle of the last two dims (on and below `diagonal`), zeros above it."""
        return apply(ops.Tril, self, diagonal=self._diagonal("tril", diagonal))

    def triu(self, diagonal: int = 0) -> "Tensor":
        """The upper triangle of the last two dims (on and above `diagonal`), zeros below it."""
        return apply(ops.Triu, self, diagonal=self._diagonal("triu", diagonal))

    def _diagonal(self, name: str, diagonal) -> int:
        if self.ndim < 2:
            raise RuntimeError(f"{name}: input must have at least 2 dims, got shape {self.shape}")
        if isinstance(diagonal, bool) or not isinstance(diagonal, (int, np.integer)):
            raise TypeError(f"{name}: diagonal must be an int, got {type(diagonal).__name__}")
        return int(diagonal)

    def flip(self, *dims) -> "Tensor":
        """A copy reversed along dims (`x.flip(0, 1)` or `x.flip((0, 1))`)."""
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        axes = normalize_dims(dims, self.ndim)
        return apply(ops.Flip, self, axes=axes if self.ndim else ())  # a 0-d tensor has nothing to reverse

    def fliplr(self) -> "Tensor":
        """A copy reversed along dim 1 (left to right), of a tensor of at least 2 dims."""
        if self.ndim < 2:
            raise RuntimeError(f"fliplr: input must have at least 2 dims, got shape {self.shape}")
        return self.flip(1)

    def flipud(self) -> "Tensor":
        """A copy reversed along dim 0 (up to down), of a tensor of at least 1 dim."""
        if self.ndim < 1:
            raise RuntimeError("flipud: input must have at least 1 dim, got a 0-d tensor")
        return self.flip(0)

    def rot90(self, k: int = 1, dims=(0, 1)) -> "Tensor":
        """A copy rotated by k quarter turns in the plane of dims, from the first dim's direction towards the
        second's (negative k the other way), as torch.rot90."""
        k = int_arg(k, "rot90: k")
        if not isinstance(dims, (tuple, list)) or len(dims) != 2:
            raise RuntimeError(f"rot90: dims must be two dims, got {dims!r}")
        if self.ndim < 2:
            raise RuntimeError(f"rot90: input must have at least 2 dims, got shape {self.shape}")
        first, second = (one_dim(d, self.ndim) for d in dims)
        if first == second:
            raise RuntimeError(f"rot90: the two dims must differ, got {dims}")
        turns = k % 4
        if turns == 1:
            return self.flip(second).transpose(first, second)
        if turns == 2:
            return self.flip(first, second)
        if turns == 3:
            return self.flip(first).transpose(first, second)
        return self.clone()

    def roll(self, shifts, dims=None) -> "Tensor":
        """Elements shifted cyclically by shifts[i] along dims[i]; without dims, over the flattened
        tensor (then shifts must be one number)."""
        shift_tuple = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in shift_tuple):
            raise TypeError(f"roll: shifts must be an int or a sequence of ints, got {shifts!r}")
        dim_tuple = () if dims is None else tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if not shift_tuple:
            raise RuntimeError("roll: `shifts` required")
        if not dim_tuple:  # (no dims, or dims=(): over the flattened tensor, as PyTorch)
            if len(shift_tuple) != 1:
                raise RuntimeError(f"roll: without dims, shifts must be a single number, got {shifts}")
            return apply(ops.Roll, self, shifts=int(shift_tuple[0]), axes=None)
        if len(dim_tuple) != len(shift_tuple):
            raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same length")
        if self.ndim == 0:
            raise IndexError(f"roll: dims {dims} given, but a 0-d tensor has no dims")
        axes = tuple(one_dim(d, self.ndim) for d in dim_tuple)  # a dim may repeat: its shifts add up
        return apply(ops.Roll, self, shifts=tuple(int(s) for s in shift_tuple), axes=axes)


def _ellipses_as_slices(parts: list, skipped: int, shape: tuple) -> list:
    """A key of several Ellipses as PyTorch 2.13 reads it: each one skips the dims the first one does (those that no
    other part indexes), so each stands for that many full slices, but those after the last other part for none.
    x[..., 0, ...] is x[..., 0]; of a tensor whose dims the other parts all index, the Ellipses are nothing. Where
    the slices run past the last dim PyTorch raises (or reads past the sizes it has), and so does fastgrad."""
    last = max((i for i, p in enumerate(parts) if p is not Ellipsis), default=-1)
    expanded = []
    for i, part in enumerate(parts):
        if part is not Ellipsis:
            expanded.append(part)
        elif i < last:
            expanded.extend([slice(None)] * skipped)
    indexed = sum(0 if p is None else p.ndim if _is_bool_index(p) else 1 for p in expanded)
    if indexed > len(shape):
        raise IndexError(f"too many indices for a tensor of shape {shape}: with several Ellipses each skips the "
                         f"{skipped} dims the first one skips, as in PyTorch, which makes {indexed} dims indexed")
    return expanded


def _check_index_array(index: np.ndarray, size: int, dim: int) -> None:
    if index.size and (index.max() >= size or index.min() < -size):
        bad = index.max() if index.max() >= size else index.min()
        raise IndexError(f"index {int(bad)} is out of range for dimension {dim} with size {size}")


def _list_as_tuple(key) -> bool:
    """Whether PyTorch reads a list key as a tuple of indices (x[[rows, cols]] as x[rows, cols]), as old NumPy
    did: a short list holding a sequence, tensor, slice, None or Ellipsis. Deprecated there, so warned here too."""
    if not (isinstance(key, list) and len(key) < 32 and any(
            isinstance(p, (list, tuple, np.ndarray, graph.Tensor, slice)) or p is None or p is Ellipsis for p in key)):
        return False
    warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated (as in PyTorch); use "
                  "x[tuple(seq)] instead of x[seq]", UserWarning, stacklevel=4)
    return True


def _key_part(part):
    """One part of an index key, with tensors, lists and bools as NumPy arrays. A copy of an index array,
    whoever made it: backward reuses the key after the caller may change it. A uint8 tensor is a mask, with
    PyTorch's deprecation warning (PyTorch refuses it in assignments, fastgrad assigns). A bool indexes as a 0-d mask
    (adding a dim of length 1 or 0), a 0-d integer tensor as an int, and an empty list (or list of empty lists) as an
    empty integer index, as in PyTorch."""
    if isinstance(part, graph.Tensor):
        if part._data.dtype == np.uint8:  # PyTorch's deprecated reading: a mask, not indices
            warnings.warn("indexing with dtype uint8 is now deprecated, please use a dtype bool instead", UserWarning,
                          stacklevel=4)
            return part._data.astype(bool)
        if part.ndim == 0 and part._data.dtype.kind in "iu":  # PyTorch selects with it as with an int: a view
            return int(part._data)
        return part._data.copy()
    if isinstance(part, list):
        array = np.array(part)
        return array.astype(np.int64) if array.size == 0 else array  # (NumPy makes empty lists float)
    if isinstance(part, (np.ndarray, bool, np.bool_)):
        return np.array(part)
    return part


def _is_selector(part) -> bool:
    """An index part that PyTorch applies as a select: an int, or a 0-d integer array."""
    return isinstance(part, (int, np.integer)) or (isinstance(part, np.ndarray) and part.ndim == 0
                                                    and part.dtype.kind in "iu")


def _is_index_array(part) -> bool:
    """An index part that PyTorch applies as advanced indexing: an integer array of at least one dim, or a mask."""
    return isinstance(part, np.ndarray) and (part.ndim > 0 or part.dtype.kind == "b")


def _is_bool_index(part) -> bool:
    data = part._data if isinstance(part, graph.Tensor) else part
    return isinstance(data, np.ndarray) and data.dtype.kind == "b"


def _fills_through_mask(key, values, accumulate: bool) -> bool:
    """Whether PyTorch's index_put_ writes `values` as masked_fill_ does, with values.item(): one bool mask among
    the index tensors of the key (not 0-d: x[True] indexes with integers), a one-element values tensor of any shape,
    no accumulate."""
    indices = [part for part in key if isinstance(part, (np.ndarray, graph.Tensor))]
    return (not accumulate and values.numel() == 1 and len(indices) == 1 and _is_bool_index(indices[0])
            and indices[0].ndim > 0)


def _as_copied(written: np.ndarray, given: np.ndarray, value: np.ndarray) -> np.ndarray | None:
    """The values that x[basic key] = value copies into the view `written`, as PyTorch checks them for overlap with
    it: the value as given where its shape is the view's; none for a 0-d value, which PyTorch reads as a number
    first (fill_: x[:4] = x[2]); else `value` (the given one without its leading size-1 dims) expanded to the view's
    shape, whose new size-1 dims PyTorch lays out as contiguous (so x[None] = x passes, and x[::2] = x[0] of an x
    with one row is refused: x[::2] steps 2 rows along its size-1 dim) and whose stretched dims repeat elements
    (which it does not check: x[:] = x[0])."""
    if given.shape == written.shape:
        return given
    if given.ndim == 0:
        return None
    try:
        return np.broadcast_to(value, written.shape)
    except ValueError:  # (the write raises PyTorch's error)
        return None


def _leading_ones(shape: tuple) -> int:
    """How many size-1 dims lead `shape`."""
    return next((i for i, n in enumerate(shape) if n != 1), len(shape))


def _index_array(name: str, index) -> np.ndarray:
    """An int64 copy of an index tensor (int32 is accepted too, as in PyTorch). A copy, so that changing
    the index tensor in place later cannot change where backward sends the gradient."""
    if not isinstance(index, graph.Tensor):
        raise TypeError(f"{name}: index must be a Tensor, got {type(index).__name__}")
    if index.dtype not in (np.int64, np.int32):  # (PyTorch's type: RuntimeError)
        raise RuntimeError(f"{name}: index must be an int64 (or int32) tensor, got dtype {index.dtype}")
    return index._data.astype(np.int64)


def _slice_indices(name: str, index, size: int, negative_from_end: bool) -> np.ndarray:
    """A 0-d or 1-D int64 index of slices along a dim of `size`, range-checked; negative ones are counted from the end
    (index_fill) or out of range (index_copy), as in PyTorch, whose two take no int32 index either."""
    rows = _index_array(name, index)
    if index.dtype != np.int64:  # (PyTorch's types: index_fill's IndexError, index_copy's RuntimeError)
        raise (IndexError if name.startswith("index_fill") else RuntimeError)(
            f"{name}: index must be an int64 tensor, got dtype {index.dtype}")
    if rows.ndim > 1:
        raise ValueError(f"{name}: index must be a 0-D or 1-D tensor, got shape {index.shape}")
    rows = rows.reshape(-1)
    lowest = -size if negative_from_end else 0
    if rows.size and not (lowest <= rows.min() and rows.max() < size):
        raise IndexError(f"{name}: index out of range for a dim of size {size}: expected values in [{lowest}, {size}), "
                         f"got values in [{rows.min()}, {rows.max()}]")
    return rows % max(size, 1)


def _mask_array(name: str, mask, shape: tuple) -> np.ndarray:
    if not isinstance(mask, graph.Tensor):
        raise TypeError(f"{name}: mask must be a Tensor, got {type(mask).__name__}")
    if mask.dtype != np.bool_:
        raise TypeError(f"{name}: mask must be a bool tensor, got dtype {mask.dtype}")
    try:
        np.broadcast_shapes(shape, mask.shape)
    except ValueError:
        raise broadcast_error(f"{name}: mask and input", mask.shape, shape) from None
    return mask._data.copy()  # backward reads the mask: a later in-place change must not move the gradient


def _warn_if_expanded(name: str, tensor, stacklevel: int = 3) -> None:
    """PyTorch's warning when masked_fill_, index_fill_ or index_put_ (x[indices] = v) writes a tensor with an
    expanded dim (of stride 0 and size over 1), which it still allows."""
    if any(step == 0 and n > 1 for n, step in zip(tensor._data.shape, tensor._data.strides)):
        warnings.warn(f"Use of {name} on expanded tensors is deprecated. Please clone() the tensor before performing "
                      "this operation.", UserWarning, stacklevel=stacklevel)

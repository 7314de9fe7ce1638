"""Shape changes as Tensor methods: reshapes, permutations, expansion, repetition, views along a dim, and
views of the memory itself (as_strided, view(dtype))."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Sequence

import numpy as np

from fastgrad import ops
from fastgrad.autograd import graph
from fastgrad.autograd.graph import apply
from fastgrad.dtypes import AbsentDtype, as_dtype
from fastgrad.memory_formats import contiguous_format
from fastgrad.strided_views import unsqueeze_stride
from fastgrad.tensor_methods.arguments import expanded_shape, int_arg, normalize_dims, one_dim

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor

_NO_IMAGINARY_PART = "imag is not implemented for tensors with non-complex dtypes."


class ShapeMethods:
    __slots__ = ()  # Tensor keeps no __dict__

    def reshape(self, *shape) -> "Tensor":
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        known = int(np.prod([n for n in shape if n != -1]))
        free = shape.count(-1)
        if (free > 1 or any(n < -1 for n in shape) or (free == 0 and known != self._data.size)
                or (free == 1 and (known == 0 or self._data.size % known))):
            raise RuntimeError(f"reshape: cannot reshape a tensor of shape {self.shape} ({self._data.size} elements) "
                               f"into shape {shape}")
        return apply(ops.Reshape, self, shape=shape)

    def view(self, *shape, dtype=None) -> "Tensor":
        """view(*shape): the same memory in another shape; view(dtype): the memory read as another dtype
        (_view_as_dtype). Where the strides allow no view of the shape, a view of another tensor (a
        transpose, a slice: the strides PyTorch's would have) raises as PyTorch's does. A tensor that owns
        memory laid out otherwise (a few results are laid out differently here: an einsum's, a softmax
        over dim 0) gets a read-only copy instead, since PyTorch's contiguous result would give a view:
        reading it works, a write through it raises rather than silently missing self; but unlike a
        view it does not follow later in-place changes of self."""
        if dtype is not None or (len(shape) == 1 and _is_dtype(shape[0])):
            if dtype is not None and shape:
                raise TypeError(f"view: expected a shape or a dtype, got both: {shape} and dtype={dtype}")
            return self._view_as_dtype(shape[0] if dtype is None else dtype)
        result = self.reshape(*shape)
        if result._base is None and result._data.size:
            if self._memory_owner() is not self:
                raise RuntimeError(f"view: size {tuple(result.shape)} is not compatible with the input's size "
                                   f"{tuple(self.shape)} and stride {self.stride()} (at least one dimension spans "
                                   "across two contiguous subspaces); use .reshape(...) instead")
            result._data.flags.writeable = False
        return result

    def _view_as_dtype(self, dtype) -> "Tensor":
        """The same memory read as `dtype`, as torch.Tensor.view(dtype). For another element size the last
        dim (of stride 1) is re-cut into elements of the new size, so (PyTorch's rules) that dim, every
        other stride and the start in memory must hold whole elements of the new size. Not differentiable,
        as in PyTorch: the result never requires grad. Writes through it reach self and count as changes
        of self's memory (one version counter)."""
        old, new = self._data.dtype, as_dtype(dtype)
        if new.kind not in "biuf":
            raise TypeError(f"view: cannot view a tensor as dtype {new}: fastgrad's dtypes are bool, integer and "
                            "floating point")
        if new.itemsize != old.itemsize:
            what = f"to view {old} as {new} (different element sizes)"
            if self.ndim == 0:
                raise RuntimeError(f"view: self.dim() cannot be 0 {what}")
            ratio = new.itemsize // old.itemsize  # (checked in PyTorch's order, so the same rule is named)
            if ratio > 1 and self.shape[-1] % ratio:
                raise RuntimeError(f"view: self.size(-1) must be divisible by {ratio} {what}, but got {self.shape[-1]}")
            if ratio > 1 and self.storage_offset() % ratio:
                raise RuntimeError(f"view: self.storage_offset() must be divisible by {ratio} {what}, but got "
                                   f"{self.storage_offset()}")
            if self.stride(-1) != 1:
                raise RuntimeError(f"view: self.stride(-1) must be 1 {what}, but got {self.stride(-1)}")
            for d, step in enumerate(self.stride()[:-1] if ratio > 1 else ()):
                if step % ratio:
                    raise RuntimeError(f"view: self.stride({d}) must be divisible by {ratio} {what}, but got {step}")
        return self._in_memory(graph.Tensor._wrap(self._data.view(new), False, None))


    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        (start,), (end,) = normalize_dims(start_dim, self.ndim), normalize_dims(end_dim, self.ndim)
        if self.ndim == 0:
            return self.reshape(1)
        if start > end:
            raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {self.shape}")
        if start == end:  # nothing to flatten: PyTorch's returns self (so hooks and flags set on the result are self's)
            return self
        merged = int(np.prod(self.shape[start:end + 1], dtype=np.int64))  # (not -1: with a 0 it is not inferred)
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1:])

    def permute(self, *dims) -> "Tensor":
        if not dims:  # (PyTorch's argument parser: dims is required)
            raise TypeError("permute() missing 1 required positional argument: 'dims'")
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute: {len(dims)} dims {dims} given for the {self.ndim} dims of shape {self.shape}")
        axes = normalize_dims(dims, self.ndim)
        if sorted(axes) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {dims} are not a permutation of the {self.ndim} dims of shape {self.shape}")
        return apply(ops.Permute, self, axes=axes)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        d0, d1 = one_dim(dim0, self.ndim), one_dim(dim1, self.ndim)  # (the same dim twice: no change, as PyTorch)
        axes = list(range(self.ndim))
        if axes:  # (a 0-dim tensor's dims 0 and -1 name no axis: a view of it, as PyTorch's)
            axes[d0], axes[d1] = axes[d1], axes[d0]
        return apply(ops.Permute, self, axes=tuple(axes))

    swapaxes = swapdims = transpose

    def movedim(self, source, destination) -> "Tensor":
        """The dims `source` (an int or a tuple) moved to positions `destination`, the others keeping their
        order, as torch.movedim."""
        if isinstance(source, (tuple, list)) != isinstance(destination, (tuple, list)):
            raise TypeError(f"movedim: source and destination must both be ints or both be tuples of ints, got "
                            f"{source!r} and {destination!r}")
        if isinstance(source, (tuple, list)) and len(source) != len(destination):  # (checked first, as PyTorch)
            raise RuntimeError(f"movedim: source {source} and destination {destination} name different numbers of dims")
        sources, destinations = normalize_dims(source, self.ndim), normalize_dims(destination, self.ndim)
        rest = iter(d for d in range(self.ndim) if d not in sources)
        placed = dict(zip(destinations, sources))
        return apply(ops.Permute, self, axes=tuple(placed[i] if i in placed else next(rest) for i in range(self.ndim)))

    moveaxis = movedim

    @property
    def T(self) -> "Tensor":
        """The dims reversed. PyTorch deprecates it (with a warning) but for matrices."""
        if self.ndim == 0:
            warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                          UserWarning, stacklevel=2)
        elif self.ndim != 2:
            warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
                          "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
                          "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
                          "tensor.", UserWarning, stacklevel=2)
        return self._reversed_dims()

    def _reversed_dims(self) -> "Tensor":
        return apply(ops.Permute, self, axes=tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> "Tensor":
        """The last two dims swapped (a batch of matrices transposed)."""
        return self._matrix_transpose("mT", "This function is the identity in these cases.")

    def adjoint(self) -> "Tensor":
        """The conjugate transpose of the last two dims, a view: .mT, for real tensors."""
        return self._matrix_transpose("adjoint()", "Consider using x.conj().")

    def _matrix_transpose(self, name: str, advice_on_0d: str) -> "Tensor":
        """transpose(-2, -1) for mT, mH and adjoint(); a 0-dim tensor gives itself, with PyTorch's deprecation
        warning, and a 1-dim one is refused."""
        if self.ndim == 0:
            label = name if name.endswith(")") else f"Tensor.{name}"
            warnings.warn(f"{label} is deprecated on 0-D tensors. {advice_on_0d}", UserWarning, stacklevel=3)
            return self
        if self.ndim == 1:
            raise RuntimeError(f"{name}: tensor.{name.rstrip('()')} is only supported on matrices or batches of "
                               "matrices. Got 1-D tensor.")
        return self.transpose(-2, -1)

    @property
    def real(self) -> "Tensor":
        """The real part: the tensor itself, since fastgrad's dtypes are real (PyTorch returns self too)."""
        return self

    @real.setter
    def real(self, value) -> None:
        self.copy_(value)

    @property
    def imag(self) -> "Tensor":
        """Refused, as PyTorch refuses it for real tensors (fastgrad has no complex dtypes)."""
        raise RuntimeError(_NO_IMAGINARY_PART)

    @imag.setter
    def imag(self, value) -> None:
        raise RuntimeError(_NO_IMAGINARY_PART)

    def t(self) -> "Tensor":
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with at most 2 dims, got shape {self.shape}")
        return self._reversed_dims()

    def unsqueeze(self, dim: int) -> "Tensor":
        (d,) = normalize_dims(dim, self.ndim + 1)
        strides = self.stride()
        return apply(ops.Reshape, self, shape=self.shape[:d] + (1,) + self.shape[d:],
                     strides=strides[:d] + (unsqueeze_stride(self.shape, strides, d),) + strides[d:])

    def squeeze(self, dim: int | Sequence[int] | None = None) -> "Tensor":
        """The size-1 dims (of `dim`, an int or ints, when given) removed. A view even where none is, as PyTorch's:
        self as the result would share its hooks, retain_grad and requires_grad with what should be a new tensor."""
        dims = range(self.ndim) if dim is None else normalize_dims(dim, self.ndim)
        removed = {d for d in dims if self.ndim and self.shape[d] == 1}
        return apply(ops.Reshape, self, shape=tuple(n for d, n in enumerate(self.shape) if d not in removed),
                     strides=tuple(step for d, step in enumerate(self.stride()) if d not in removed))

    def expand(self, *sizes) -> "Tensor":
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        return apply(ops.Expand, self, shape=expanded_shape("expand", self.shape, sizes))

    def broadcast_to(self, *sizes) -> "Tensor":
        return self.expand(*sizes)

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    def view_as(self, other: "Tensor") -> "Tensor":
        return self.view(other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> "Tensor":
        """Dim `dim` split into `sizes` (one of them may be -1, inferred), as torch.unflatten."""
        sizes = tuple(int_arg(n, "unflatten: sizes") for n in sizes)
        if not sizes:  # (PyTorch's order: the sizes, the dims, dim's range)
            raise RuntimeError("unflatten: sizes must be non-empty")
        if self.ndim == 0:
            raise RuntimeError("unflatten: needs a tensor with at least 1 dim, got a 0-dim tensor")
        (axis,) = normalize_dims(dim, self.ndim)
        size = self.shape[axis]
        known = int(np.prod([n for n in sizes if n != -1]))
        free = sizes.count(-1)
        if (free > 1 or any(n < -1 for n in sizes) or (free == 0 and known != size)
                or (free == 1 and (known == 0 or size % known))):
            raise RuntimeError(f"unflatten: sizes {list(sizes)} do not multiply up to the size {size} of dim {dim} "
                               f"(shape {self.shape}); expected sizes with at most one -1")
        # (the -1 worked out here: reshape cannot infer it where another dim of self is empty)
        sizes = tuple(size // known if n == -1 else n for n in sizes)
        return self.reshape(self.shape[:axis] + sizes + self.shape[axis + 1:])

    def repeat(self, *sizes) -> "Tensor":
        """The tensor tiled sizes[d] times along each dim d, as torch.Tensor.repeat (np.tile): `sizes` may
        be longer than the shape, which then gets leading dims of size 1."""
        if not sizes:  # (repeat() itself: the sizes () of a 0-dim tensor are given as repeat(()))
            raise TypeError("repeat() missing 1 required positional argument: 'repeats'")
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        sizes = tuple(int_arg(n, "repeat: sizes") for n in sizes)
        if len(sizes) < self.ndim or any(n < 0 for n in sizes):
            raise RuntimeError(f"repeat: expected at least {self.ndim} non-negative sizes (one per dim of shape "
                               f"{self.shape}), got {sizes}")
        return apply(ops.Repeat, self, repeats=sizes)

    def repeat_interleave(self, repeats, dim: int | None = None, *, output_size: int | None = None) -> "Tensor":
        """Each element repeated in place: `repeats` an int, or an int tensor with one count per element
        along `dim` (the flattened tensor when dim is None)."""
        if dim is None:
            x, axis = self.reshape(-1), 0
        elif self.ndim == 0:
            if not isinstance(repeats, graph.Tensor):
                _repeat_counts(repeats, 1)  # (PyTorch checks a number of repeats before the dim)
            raise IndexError(f"repeat_interleave: dim {dim} given for a 0-dim tensor")
        else:
            x, (axis,) = self, normalize_dims(dim, self.ndim)
        counts = _repeat_counts(repeats, x.shape[axis])
        if output_size is not None and output_size != counts.sum():
            raise RuntimeError(f"repeat_interleave: output_size is {output_size}, but the repeats give "
                               f"{int(counts.sum())} elements along dim {axis}")
        return apply(ops.RepeatInterleave, x, repeats=counts, axis=axis)

    def _slice(self, axis: int, start: int, stop: int) -> "Tensor":
        """self[..., start:stop] along `axis`: basic slicing, a view."""
        return apply(ops.GetItem, self, key=(slice(None),) * axis + (slice(start, stop),), advanced=False)

    def _in_memory(self, view: "Tensor") -> "Tensor":
        """`view`, a result in self's memory, as a view of that memory even where NumPy sees no shared memory
        (an empty result, or one showing none of self's elements): storage_offset and the version counter
        follow the memory, as in PyTorch."""
        if view._base is None:
            view._counter = self._counter
            graph.mark_as_view(view, self._memory_owner())
        return view

    def narrow(self, dim: int, start: int, length: int) -> "Tensor":
        """The view of `length` elements from `start` along `dim` (start may be negative)."""
        return self._slice(*self._narrowed("narrow", dim, start, length))

    def narrow_copy(self, dim: int, start: int, length: int) -> "Tensor":
        """narrow's elements in new (contiguous) memory."""
        narrowed = self._slice(*self._narrowed("narrow_copy", dim, start, length))
        return narrowed.clone(memory_format=contiguous_format)

    def _narrowed(self, name: str, dim, start, length) -> tuple[int, int, int]:
        """narrow's arguments checked: the axis, and the start and stop along it."""
        if self.ndim == 0:
            raise RuntimeError(f"{name}: cannot be applied to a 0-dim tensor")
        (axis,) = normalize_dims(dim, self.ndim)
        start, length, size = int_arg(start, f"{name}: start"), int_arg(length, f"{name}: length"), self.shape[axis]
        if length < 0:  # (before start's range, as PyTorch checks)
            raise RuntimeError(f"{name}: length must be non-negative, got {length}")
        if not -size <= start <= size:
            raise IndexError(f"{name}: start {start} is out of range for dim {dim} of size {size} (expected in "
                             f"[{-size}, {size}])")
        start = start + size if start < 0 else start
        if start + length > size:
            raise RuntimeError(f"{name}: length {length} from start {start} does not fit dim {dim} of size {size} "
                               f"(expected 0 <= length <= {size - start})")
        return axis, start, start + length

    def ravel(self) -> "Tensor":
        """The elements in one dim: a view of a contiguous tensor, else a contiguous copy (as PyTorch)."""
        return self.contiguous().reshape(-1)

    def unfold(self, dimension: int, size: int, step: int) -> "Tensor":
        """The windows of `size` elements, `step` apart, along `dimension`: that dim becomes the number of
        windows and a new last dim holds each window (`stream.unfold(0, n, 1)` gives a stream's n-grams).
        A view, writable when no two windows overlap (step >= size). Overlapping windows are read-only,
        unlike PyTorch's: there, in-place arithmetic updates a shared element once per window that holds
        it, in its loop's order (x.unfold(0, 3, 1).add_(1) adds up to 3), which fastgrad's whole-array
        writes would not reproduce; writes through them raise instead. A 0-dim tensor counts as one
        element."""
        size, step = int_arg(size, "unfold: size"), int_arg(step, "unfold: step")
        if self.ndim == 0:
            one_dim(dimension, 1)
            return self.reshape(1).unfold(0, size, step).reshape(size)
        axis = one_dim(dimension, self.ndim)
        if size < 0:
            raise RuntimeError(f"unfold: size must be >= 0, got {size}")
        if size > self.shape[axis]:
            raise RuntimeError(f"unfold: size {size} is larger than dimension {dimension} of size {self.shape[axis]}")
        if step <= 0:
            raise RuntimeError(f"unfold: step must be > 0, got {step}")
        return apply(ops.Unfold, self, axis=axis, size=size, step=step)

    def as_strided(self, size: Sequence[int], stride: Sequence[int], storage_offset: int | None = None) -> "Tensor":
        """A view of the memory this tensor shows, as torch.as_strided: element i_0, i_1, ... is the element
        storage_offset + sum_d i_d * stride[d] of the memory of the tensor it is a view of (its base, or
        itself), counted in elements of this dtype; storage_offset defaults to this tensor's own. Writes
        through it reach that memory, except where two positions share an element: that view is read-only
        (see Tensor.unfold). The gradient reaches this tensor's elements (see ops.AsStrided). Refused:
        negative sizes, strides or offset, and any position outside the memory."""
        size = _int_sequence("as_strided: size", size)
        stride = _int_sequence("as_strided: stride", stride)
        if len(size) != len(stride):
            raise RuntimeError(f"as_strided: size {size} and stride {stride} must have the same length")
        if any(n < 0 for n in size) or any(step < 0 for step in stride):
            raise RuntimeError(f"as_strided: sizes and strides must be non-negative, got size {size} and stride "
                               f"{stride}")
        owner, own_offset, elements = self._place_in_memory("as_strided")
        offset = own_offset if storage_offset is None else int_arg(storage_offset, "as_strided: storage_offset")
        if offset < 0:
            raise RuntimeError(f"as_strided: storage_offset must be non-negative, got {offset}")
        last = offset + sum((n - 1) * step for n, step in zip(size, stride))
        if 0 not in size and last >= elements:
            raise RuntimeError(f"as_strided: size {size}, stride {stride} and storage offset {offset} reach element "
                               f"{last}, outside the memory, which holds {elements} elements of {self.dtype}")
        return self._in_memory(apply(ops.AsStrided, self, memory=owner._data, size=size, stride=stride, offset=offset))

    def _place_in_memory(self, name: str) -> tuple["Tensor", int, int]:
        """The tensor whose memory this one shows, where this one starts in it, and how many elements of this
        dtype that memory holds (from its base's first element to the end of its last)."""
        owner = self._memory_owner()
        memory, itemsize = owner._data, self._data.itemsize
        low, high = _byte_bounds(memory)
        if low != memory.__array_interface__["data"][0]:
            raise RuntimeError(f"{name}: the memory of this tensor's base (shape {owner.shape}) is laid out with "
                               f"negative strides {memory.strides} (bytes); clone() it first")
        own_low, own_high = _byte_bounds(self._data)
        if self._data.size and not low <= own_low <= own_high <= high:
            raise RuntimeError(f"{name}: this tensor no longer lies in the memory of its base (shape {owner.shape}), "
                               "which was replaced (by `.data = ...`, say); clone() it first")
        start = self._data.__array_interface__["data"][0] - low
        if start % itemsize or any(step % itemsize for step in self._data.strides):
            raise RuntimeError(f"{name}: this tensor's place in its memory (offset {start} bytes, strides "
                               f"{self._data.strides} bytes) is not in whole elements of {self.dtype}")
        return owner, start // itemsize, (high - low) // itemsize

    def split(self, split_size: "int | Sequence[int]", dim: int = 0) -> tuple["Tensor", ...]:
        """Views along `dim`: of split_size elements each (the last may be shorter), or of the given sizes,
        which must add up to the dim's size (split_with_sizes). Refusals are PyTorch's, in its order: the
        arguments' types (TypeError), a 0-dim tensor and a negative split_size (RuntimeError), dim out of range
        (IndexError), a split_size of 0 for a dim that is not empty (RuntimeError)."""
        if isinstance(split_size, (list, tuple)):
            return self._split_with_sizes("split", split_size, dim)
        if type(split_size) is not int:  # (PyTorch's split takes a Python int only; a NumPy int is no size list)
            raise TypeError(f"split: split_size must be an int or a list of ints, got {type(split_size).__name__} "
                            f"{split_size!r:.50}")
        return self._split_by_size("split", split_size, dim)

    def _split_by_size(self, name: str, step: int, dim) -> tuple["Tensor", ...]:
        _split_dim_type(name, dim)
        _at_least_one_dim(name, self.ndim)
        if step < 0:
            raise RuntimeError(f"{name}: split_size must be non-negative, got {step}")
        (axis,) = normalize_dims(dim, self.ndim)
        size = self.shape[axis]
        if step == 0 and size != 0:
            raise RuntimeError(f"{name}: split_size can be 0 only for a dim of size 0, got 0 for dim {dim} of size "
                               f"{size}")
        # an empty dim still gives one (empty) piece, as in PyTorch
        sizes = [min(step, size - start) for start in range(0, size, step or 1)] or [0]
        return _several_views(name, self._pieces(axis, sizes))

    def split_with_sizes(self, split_sizes: Sequence[int], dim: int = 0) -> tuple["Tensor", ...]:
        """Views along `dim` of the given sizes, which must add up to the dim's size."""
        return self._split_with_sizes("split_with_sizes", split_sizes, dim)

    def _split_with_sizes(self, name: str, split_sizes, dim) -> tuple["Tensor", ...]:
        if not isinstance(split_sizes, (list, tuple)):
            raise TypeError(f"{name}: split_sizes must be a list of ints, got {type(split_sizes).__name__}")
        sizes = [int_arg(n, f"{name}: split_size") for n in split_sizes]
        _split_dim_type(name, dim)
        _at_least_one_dim(name, self.ndim)
        (axis,) = normalize_dims(dim, self.ndim)
        if any(n < 0 for n in sizes):
            raise RuntimeError(f"{name}: split_sizes must be non-negative, got {sizes}")
        if sum(sizes) != self.shape[axis]:
            raise RuntimeError(f"{name}: split_sizes {sizes} must add up to {self.shape[axis]}, the size of dim {dim}, "
                               f"got {sum(sizes)}")
        return _several_views(name, self._pieces(axis, sizes))

    def _pieces(self, axis: int, sizes: list[int]) -> tuple["Tensor", ...]:
        """Views of consecutive pieces of the given sizes along `axis`, from its start."""
        stops = np.cumsum(sizes, dtype=np.int64)
        return tuple(self._slice(axis, int(stop) - n, int(stop)) for stop, n in zip(stops, sizes))

    def tensor_split(self, indices_or_sections=None, /, dim: int = 0, *, sections=None, indices=None,
                     tensor_indices_or_sections=None) -> tuple["Tensor", ...]:
        """Views along `dim`, as torch.tensor_split: `sections` (an int, or a 0-dim int64 tensor) pieces, the
        first size % sections of them one element longer; or the pieces between the given `indices` (a
        list, or a 1-dim int64 tensor), which clip to the dim as slice bounds do (a piece whose end comes
        before its start is empty). PyTorch's keyword names are accepted in place of the first argument."""
        points = _split_points("tensor_split", indices_or_sections, sections, indices, tensor_indices_or_sections)
        _split_dim_type("tensor_split", dim)
        if self.ndim == 0:
            raise RuntimeError("tensor_split: expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
        axis = one_dim(dim, self.ndim)
        size = self.shape[axis]
        if isinstance(points, int):
            if points <= 0:
                raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {points}")
            longer, length = size % points, size // points
            return self._pieces(axis, [length + 1] * longer + [length] * (points - longer))
        bounds = [0] + points + [size]
        pieces = []
        for first, last in zip(bounds, bounds[1:]):
            start, stop, _ = slice(first, last).indices(size)
            pieces.append(self._slice(axis, start, max(start, stop)))
        return tuple(pieces)

    def hsplit(self, indices_or_sections=None, /, *, sections=None, indices=None) -> tuple["Tensor", ...]:
        """tensor_split along dim 1 (dim 0 of a 1-dim tensor), into equal pieces when given a count."""
        return self._split_along("hsplit", 1 if self.ndim > 1 else 0, 1, indices_or_sections, sections, indices)

    def vsplit(self, indices_or_sections=None, /, *, sections=None, indices=None) -> tuple["Tensor", ...]:
        """tensor_split along dim 0 of a tensor with at least 2 dims, into equal pieces when given a count."""
        return self._split_along("vsplit", 0, 2, indices_or_sections, sections, indices)

    def dsplit(self, indices_or_sections=None, /, *, sections=None, indices=None) -> tuple["Tensor", ...]:
        """tensor_split along dim 2 of a tensor with at least 3 dims, into equal pieces when given a count."""
        return self._split_along("dsplit", 2, 3, indices_or_sections, sections, indices)

    def _split_along(self, name: str, axis: int, min_dims: int, indices_or_sections, sections, indices):
        points = _split_points(name, indices_or_sections, sections, indices)
        if self.ndim < min_dims:
            raise RuntimeError(f"{name}: requires a tensor with at least {min_dims} dimension(s), but got a tensor "
                               f"with {self.ndim} dimensions")
        if isinstance(points, int) and (points == 0 or self.shape[axis] % points):
            raise RuntimeError(f"{name}: attempted to split along dimension {axis}, but the size of the dimension "
                               f"{self.shape[axis]} is not divisible by the split_size {points}")
        return self.tensor_split(points, axis)

    def chunk(self, chunks: int, dim: int = 0) -> tuple["Tensor", ...]:
        """At most `chunks` views along `dim`, each of ceil(size / chunks) elements but the last (so fewer
        than `chunks` pieces can come back, as in PyTorch)."""
        chunks = int_arg(chunks, "chunk: chunks")
        _split_dim_type("chunk", dim)
        _at_least_one_dim("chunk", self.ndim)  # (PyTorch's order: the types, the dims, chunks, dim's range)
        if chunks <= 0:
            raise RuntimeError(f"chunk: chunks must be a positive int, got {chunks!r}")
        (axis,) = normalize_dims(dim, self.ndim)
        size = self.shape[axis]
        if size == 0:
            return _several_views("chunk", tuple(self._slice(axis, 0, 0) for _ in range(chunks)))
        return self.split(-(-size // chunks), axis)

    def unbind(self, dim: int = 0) -> tuple["Tensor", ...]:
        """The slices along `dim`, each without that dim."""
        if self.ndim == 0:
            raise IndexError("unbind: dim given but the tensor has no dimensions")
        (axis,) = normalize_dims(dim, self.ndim)
        return _several_views("unbind", tuple(apply(ops.GetItem, self, key=(slice(None),) * axis + (i,), advanced=False)
                                              for i in range(self.shape[axis])))


def _split_dim_type(name: str, dim) -> None:
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}: dim must be an int, got {type(dim).__name__} {dim!r:.50}")


def _at_least_one_dim(name: str, ndim: int) -> None:
    if ndim == 0:
        raise RuntimeError(f"{name}: expects a tensor with at least 1 dim, got a 0-dim tensor")


def _several_views(name: str, views: tuple) -> tuple:
    """The views of an op that returns several (unbind, split, chunk): as PyTorch's, they refuse to be used with grad
    mode on once their base was changed in place (tensor_split, made of single slices in PyTorch, does not)."""
    graph.refuse_to_follow(views, f"is an output of {name}, which returns several views")
    return views


def _split_points(name: str, *candidates) -> "int | list[int]":
    """The one argument of tensor_split (hsplit, ...), given positionally or by one of PyTorch's keyword
    names: a number of sections (an int or a 0-dim int64 tensor) or a list of indices (a sequence of ints
    or a 1-dim int64 tensor)."""
    given = [value for value in candidates if value is not None]
    if len(given) != 1:
        raise TypeError(f"{name}: expected one of indices_or_sections, sections or indices, got {len(given)}")
    (value,) = given
    if isinstance(value, graph.Tensor):
        if value._data.dtype != np.int64:
            raise RuntimeError(f"{name}: expected indices or sections as a tensor of dtype int64, but got "
                               f"{value.dtype}")
        if value.ndim > 1:
            raise RuntimeError(f"{name}: expected indices or sections as a zero-dimensional or one-dimensional "
                               f"tensor, but got a tensor with {value.ndim} dims")
        return int(value._data) if value.ndim == 0 else value._data.tolist()
    if isinstance(value, (list, tuple)):
        return [int_arg(index, f"{name}: indices") for index in value]
    return int_arg(value, f"{name}: sections")


def _byte_bounds(array: np.ndarray) -> tuple[int, int]:
    """The address of the lowest byte of an array's elements and one past its highest."""
    start = array.__array_interface__["data"][0]
    if array.size == 0:
        return start, start
    extents = [(n - 1) * step for n, step in zip(array.shape, array.strides)]
    return start + sum(e for e in extents if e < 0), start + sum(e for e in extents if e > 0) + array.itemsize


def _int_sequence(name: str, values) -> tuple[int, ...]:
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a tuple of ints, got {type(values).__name__}")
    return tuple(int_arg(n, name) for n in values)


def _is_dtype(value) -> bool:
    """A dtype (view(dtype)) rather than a size (view(n)): a NumPy dtype or scalar type, as fastgrad's are, or
    one of the 16-bit floats fastgrad names but refuses (AbsentDtype)."""
    return isinstance(value, (np.dtype, AbsentDtype)) or (isinstance(value, type) and issubclass(value, np.generic))


def _repeat_counts(repeats, size: int) -> np.ndarray:
    """repeat_interleave's `repeats` (an int, or an int tensor of 1 or `size` counts) as `size` int64 counts."""
    if isinstance(repeats, graph.Tensor):
        if repeats._data.dtype.kind not in "iu":  # (PyTorch has no kernel for them: NotImplementedError)
            raise NotImplementedError(f"repeat_interleave: repeats must be an integer tensor, got dtype "
                                      f"{repeats.dtype}")
        if repeats.ndim > 1 or repeats.numel() not in (1, size):
            raise RuntimeError(f"repeat_interleave: repeats must be an int or a 0-dim/1-dim tensor of 1 or {size} "
                               f"counts (the size of the repeated dim), got shape {repeats.shape}")
        counts = repeats._data
    elif isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        counts = np.asarray(repeats)
    else:
        raise TypeError(f"repeat_interleave: repeats must be an int or an integer tensor, got {type(repeats).__name__}")
    if (counts < 0).any():
        raise RuntimeError(f"repeat_interleave: repeats must be non-negative, got {counts.tolist()}")
    return np.broadcast_to(counts.astype(np.int64).reshape(-1), (size,)).copy()

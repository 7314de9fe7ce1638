"""Shape changes as Tensor methods: reshapes, permutations, expansion, repetition and views along a dim."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from fastgrad import ops
from fastgrad.autograd import graph
from fastgrad.autograd.graph import apply
from fastgrad.tensor_methods.arguments import int_arg, normalize_dims, one_dim

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor


class ShapeMethods:
    __slots__ = ()  # Tensor keeps no __dict__

    def reshape(self, *shape) -> "Tensor":
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        known = int(np.prod([n for n in shape if n != -1]))
        free = shape.count(-1)
        if free > 1 or (free == 0 and known != self._data.size) or (free == 1 and (known == 0 or self._data.size % known)):
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} ({self._data.size} elements) "
                             f"into shape {shape}")
        return apply(ops.Reshape, self, shape=shape)

    def view(self, *shape) -> "Tensor":
        """The same memory in another shape. Where the strides allow no view, PyTorch raises; here the
        result is a read-only copy, so reading it works and a write through it raises instead of silently
        missing self. Raising at view() would refuse PyTorch code that works: some results are laid out
        differently here (an einsum's, a softmax over dim 0), so their view needs a copy where PyTorch's
        does not."""
        result = self.reshape(*shape)
        if result._base is None and result._data.size:
            result._data.flags.writeable = False
        return result

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        if self.ndim == 0:
            return self.reshape(1)
        (start,), (end,) = normalize_dims(start_dim, self.ndim), normalize_dims(end_dim, self.ndim)
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {self.shape}")
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])

    def permute(self, *dims) -> "Tensor":
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        axes = normalize_dims(dims, self.ndim)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"permute: dims {dims} are not a permutation of the {self.ndim} dims of shape {self.shape}")
        return apply(ops.Permute, self, axes=axes)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        d0, d1 = one_dim(dim0, self.ndim), one_dim(dim1, self.ndim)  # (the same dim twice: no change, as PyTorch)
        axes = list(range(self.ndim))
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return apply(ops.Permute, self, axes=tuple(axes))

    swapaxes = swapdims = transpose

    def movedim(self, source, destination) -> "Tensor":
        """The dims `source` (an int or a tuple) moved to positions `destination`, the others keeping their
        order, as torch.movedim."""
        sources, destinations = normalize_dims(source, self.ndim), normalize_dims(destination, self.ndim)
        if len(sources) != len(destinations):
            raise ValueError(f"movedim: source {source} and destination {destination} name different numbers of dims")
        rest = iter(d for d in range(self.ndim) if d not in sources)
        placed = dict(zip(destinations, sources))
        return apply(ops.Permute, self, axes=tuple(placed[i] if i in placed else next(rest) for i in range(self.ndim)))

    moveaxis = movedim

    @property
    def T(self) -> "Tensor":
        return apply(ops.Permute, self, axes=tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> "Tensor":
        """The last two dims swapped (a batch of matrices transposed)."""
        if self.ndim < 2:
            raise RuntimeError(f"mT: expected a tensor with at least 2 dims, got shape {self.shape}")
        return self.transpose(-2, -1)

    def t(self) -> "Tensor":
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dims, got shape {self.shape}")
        return self.T

    def unsqueeze(self, dim: int) -> "Tensor":
        (d,) = normalize_dims(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: int | None = None) -> "Tensor":
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        (d,) = normalize_dims(dim, self.ndim)
        if self.ndim == 0 or self.shape[d] != 1:
            return self
        return self.reshape(self.shape[:d] + self.shape[d + 1:])

    def expand(self, *sizes) -> "Tensor":
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: shape {sizes} has fewer dims than the tensor's shape {self.shape}")
        shape = tuple(self.shape[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(sizes))
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise ValueError(f"expand: cannot expand shape {self.shape} to {sizes}") from None
        return apply(ops.Expand, self, shape=shape)

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    def view_as(self, other: "Tensor") -> "Tensor":
        return self.view(other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> "Tensor":
        """Dim `dim` split into `sizes` (one of them may be -1, inferred), as torch.unflatten."""
        if self.ndim == 0:
            raise ValueError("unflatten: needs a tensor with at least 1 dim, got a 0-dim tensor")
        (axis,) = normalize_dims(dim, self.ndim)
        sizes, size = tuple(int_arg(n, "unflatten: sizes") for n in sizes), self.shape[axis]
        known = int(np.prod([n for n in sizes if n != -1]))
        free = sizes.count(-1)
        if (not sizes or free > 1 or any(n < -1 for n in sizes) or (free == 0 and known != size)
                or (free == 1 and (known == 0 or size % known))):
            raise ValueError(f"unflatten: sizes {list(sizes)} do not multiply up to the size {size} of dim {dim} "
                             f"(shape {self.shape}); expected non-empty sizes with at most one -1")
        return self.reshape(self.shape[:axis] + sizes + self.shape[axis + 1:])

    def repeat(self, *sizes) -> "Tensor":
        """The tensor tiled sizes[d] times along each dim d, as torch.Tensor.repeat (np.tile): `sizes` may
        be longer than the shape, which then gets leading dims of size 1."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        sizes = tuple(int_arg(n, "repeat: sizes") for n in sizes)
        if not sizes and self.ndim == 0:
            raise TypeError("repeat: missing the repeat sizes")
        if len(sizes) < self.ndim or any(n < 0 for n in sizes):
            raise ValueError(f"repeat: expected at least {self.ndim} non-negative sizes (one per dim of shape "
                             f"{self.shape}), got {sizes}")
        return apply(ops.Repeat, self, repeats=sizes)

    def repeat_interleave(self, repeats, dim: int | None = None, *, output_size: int | None = None) -> "Tensor":
        """Each element repeated in place: `repeats` an int, or an int tensor with one count per element
        along `dim` (the flattened tensor when dim is None)."""
        if dim is None:
            x, axis = self.reshape(-1), 0
        elif self.ndim == 0:
            raise IndexError(f"repeat_interleave: dim {dim} given for a 0-dim tensor")
        else:
            x, (axis,) = self, normalize_dims(dim, self.ndim)
        counts = _repeat_counts(repeats, x.shape[axis])
        if output_size is not None and output_size != counts.sum():
            raise ValueError(f"repeat_interleave: output_size is {output_size}, but the repeats give "
                             f"{int(counts.sum())} elements along dim {axis}")
        return apply(ops.RepeatInterleave, x, repeats=counts, axis=axis)

    def _slice(self, axis: int, start: int, stop: int) -> "Tensor":
        """self[..., start:stop] along `axis`: basic slicing, a view."""
        return apply(ops.GetItem, self, key=(slice(None),) * axis + (slice(start, stop),), advanced=False)

    def narrow(self, dim: int, start: int, length: int) -> "Tensor":
        """The view of `length` elements from `start` along `dim` (start may be negative)."""
        if self.ndim == 0:
            raise ValueError("narrow: cannot be applied to a 0-dim tensor")
        (axis,) = normalize_dims(dim, self.ndim)
        start, length, size = int_arg(start, "narrow: start"), int_arg(length, "narrow: length"), self.shape[axis]
        if not -size <= start <= size:
            raise IndexError(f"narrow: start {start} is out of range for dim {dim} of size {size} (expected in "
                             f"[{-size}, {size}])")
        start = start + size if start < 0 else start
        if length < 0 or start + length > size:
            raise ValueError(f"narrow: length {length} from start {start} does not fit dim {dim} of size {size} "
                             f"(expected 0 <= length <= {size - start})")
        return self._slice(axis, start, start + length)

    def unfold(self, dimension: int, size: int, step: int) -> "Tensor":
        """The windows of `size` elements, `step` apart, along `dimension`: that dim becomes the number of
        windows and a new last dim holds each window (`stream.unfold(0, n, 1)` gives a stream's n-grams).
        A read-only view; a 0-dim tensor counts as one element."""
        size, step = int_arg(size, "unfold: size"), int_arg(step, "unfold: step")
        if self.ndim == 0:
            one_dim(dimension, 1)
            return self.reshape(1).unfold(0, size, step).reshape(size)
        axis = one_dim(dimension, self.ndim)
        if size < 0:
            raise ValueError(f"unfold: size must be >= 0, got {size}")
        if size > self.shape[axis]:
            raise ValueError(f"unfold: size {size} is larger than dimension {dimension} of size {self.shape[axis]}")
        if step <= 0:
            raise ValueError(f"unfold: step must be > 0, got {step}")
        return apply(ops.Unfold, self, axis=axis, size=size, step=step)

    def split(self, split_size: "int | Sequence[int]", dim: int = 0) -> tuple["Tensor", ...]:
        """Views along `dim`: of split_size elements each (the last may be shorter), or of the given sizes,
        which must add up to the dim's size."""
        if self.ndim == 0:
            raise ValueError("split: expects a tensor with at least 1 dim, got a 0-dim tensor")
        (axis,) = normalize_dims(dim, self.ndim)
        size = self.shape[axis]
        if isinstance(split_size, (int, np.integer)) and not isinstance(split_size, bool):
            step = int(split_size)
            if step < 0 or (step == 0 and size != 0):
                raise ValueError(f"split: split_size must be positive (0 only for a dim of size 0), got {step} for "
                                 f"dim {dim} of size {size}")
            sections = [min(step, size - start) for start in range(0, size, step)] if step else []
        elif isinstance(split_size, (list, tuple)):
            sections = [int_arg(n, "split: split_size") for n in split_size]
            if any(n < 0 for n in sections) or sum(sections) != size:
                raise ValueError(f"split: sizes {sections} must be non-negative and add up to {size}, the size of "
                                 f"dim {dim}")
        else:
            raise TypeError(f"split: split_size must be an int or a list of ints, got {type(split_size).__name__}")
        starts = np.cumsum([0] + sections[:-1])
        return tuple(self._slice(axis, int(start), int(start) + n) for start, n in zip(starts, sections or [0]))

    def chunk(self, chunks: int, dim: int = 0) -> tuple["Tensor", ...]:
        """At most `chunks` views along `dim`, each of ceil(size / chunks) elements but the last (so fewer
        than `chunks` pieces can come back, as in PyTorch)."""
        if int_arg(chunks, "chunk: chunks") <= 0:
            raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
        if self.ndim == 0:
            raise ValueError("chunk: expects a tensor with at least 1 dim, got a 0-dim tensor")
        (axis,) = normalize_dims(dim, self.ndim)
        size = self.shape[axis]
        if size == 0:
            return tuple(self._slice(axis, 0, 0) for _ in range(chunks))
        return self.split(-(-size // chunks), axis)

    def unbind(self, dim: int = 0) -> tuple["Tensor", ...]:
        """The slices along `dim`, each without that dim."""
        if self.ndim == 0:
            raise IndexError("unbind: dim given but the tensor has no dimensions")
        (axis,) = normalize_dims(dim, self.ndim)
        return tuple(apply(ops.GetItem, self, key=(slice(None),) * axis + (i,), advanced=False)
                     for i in range(self.shape[axis]))


def _repeat_counts(repeats, size: int) -> np.ndarray:
    """repeat_interleave's `repeats` (an int, or an int tensor of 1 or `size` counts) as `size` int64 counts."""
    if isinstance(repeats, graph.Tensor):
        if repeats._data.dtype.kind not in "iu":
            raise TypeError(f"repeat_interleave: repeats must be an integer tensor, got dtype {repeats.dtype}")
        if repeats.ndim > 1 or repeats.numel() not in (1, size):
            raise ValueError(f"repeat_interleave: repeats must be an int or a 0-dim/1-dim tensor of 1 or {size} "
                             f"counts (the size of the repeated dim), got shape {repeats.shape}")
        counts = repeats._data
    elif isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        counts = np.asarray(repeats)
    else:
        raise TypeError(f"repeat_interleave: repeats must be an int or an integer tensor, got {type(repeats).__name__}")
    if (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must be non-negative, got {counts.tolist()}")
    return np.broadcast_to(counts.astype(np.int64).reshape(-1), (size,)).copy()

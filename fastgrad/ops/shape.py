"""Ops that move elements without arithmetic: reshape, permute, expand, indexing, cat, stack."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.autograd.graph import Op, apply, view_positions
from fastgrad.memory_formats import copy_in_format, preserve_format
from fastgrad.ops.recorded import constant
from fastgrad.strided_views import (basic_index_strides, element_strides, memory_positions, overlaps_itself,
                                     restrided, strided_view, view_strides)


class Reshape(Op):
    """x in another shape: a view where the strides allow one, with PyTorch's strides along its dims of size 1 (see
    strided_views.restrided): `strides` (in elements) when the caller gives them (unsqueeze's and squeeze's own
    rules), else those of PyTorch's view (strided_views.view_strides)."""

    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, shape, strides=None):
        ctx.saved = x.shape
        out = x.reshape(shape)
        if 1 in out.shape or out.size == 0:
            if strides is None:
                strides = view_strides(x.shape, element_strides(x), out.shape)
            if strides is not None:
                out = restrided(out, strides)
        return out

    def backward(ctx, K, g):
        return (g.reshape(ctx.saved),)

    def backward_graph(ctx, g, out):
        return (g.reshape(ctx.saved),)


class Permute(Op):
    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, axes):
        ctx.saved = axes
        return x.transpose(axes)

    def backward(ctx, K, g):
        return (g.transpose(np.argsort(ctx.saved)),)  # the inverse permutation

    def backward_graph(ctx, g, out):
        return (g.permute(tuple(np.argsort(ctx.saved).tolist())),)


class Expand(Op):
    """A broadcast view; its gradient sums over the broadcast dims (done by the graph layer). Read-only where it
    repeats an element (a dim of size 1, or a new one, made longer than 1), as a write there would depend on the
    order of the writes (PyTorch refuses it); writable as x is where it repeats none (x.expand(x.shape), new dims
    of size 1), as PyTorch's."""

    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, shape):
        # PyTorch's strides (NumPy's broadcast_to gives every size-1 dim the stride 0): a dim kept keeps its stride
        # (x's are PyTorch's, see strided_views.restrided), a stretched or new one repeats (0), but a new dim of size 1
        # steps over the dims after it (none of a 0-d x)
        lead, strides, step = len(shape) - x.ndim, [0] * len(shape), x.itemsize if x.ndim else 0
        for i in reversed(range(len(shape))):
            if i >= lead and x.shape[i - lead] == shape[i]:
                strides[i] = x.strides[i - lead]
            elif i < lead and shape[i] == 1:
                strides[i] = step
            step = strides[i] * shape[i]
        repeats = any(stride == 0 and n > 1 for stride, n in zip(strides, shape))
        return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=x.flags.writeable and not repeats)

    def backward(ctx, K, g):
        return (g,)

    def backward_graph(ctx, g, out):
        return (g,)


class Unfold(Op):
    """Every window of `size` elements, `step` apart, along `axis`, as torch.Tensor.unfold: the axis
    becomes the window count and the windows' elements a new last axis. A strided view, writable as
    PyTorch's when no two windows overlap (step >= size). Overlapping windows show one element at
    several positions, and PyTorch's in-place arithmetic on them updates an element once per window
    that holds it, in its loop's order (`add_(1)` adds 1, 2 or 3), where fastgrad's would add 1 once:
    rather than give other numbers, that view is read-only and writes through it raise. The gradient of
    each input element sums over the windows that hold it."""

    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, axis, size, step):
        count = (x.shape[axis] - size) // step + 1
        ctx.saved = (x.shape, axis, size, step, count)
        shape = x.shape[:axis] + (count,) + x.shape[axis + 1:] + (size,)
        strides = x.strides[:axis] + (x.strides[axis] * step,) + x.strides[axis + 1:] + (x.strides[axis],)
        return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=step >= size or count <= 1)

    def backward(ctx, K, g):
        shape, axis, size, step, count = ctx.saved
        grad = np.zeros(shape, dtype=g.dtype)
        for offset in range(size):  # element `offset` of every window: one strided slice, no overlaps
            grad[(slice(None),) * axis + (slice(offset, offset + step * (count - 1) + 1, step),)] += g[..., offset]
        return (grad,)

    def backward_graph(ctx, g, out):
        shape, axis, size, step, count = ctx.saved
        # window w's element o is x's element w * step + o along axis: with the element axis moved next to the
        # window axis, g lines up with those (count, size) positions, which the scatter adds up where they repeat
        positions = np.arange(count)[:, None] * step + np.arange(size)
        order = list(range(g.ndim - 1))
        order.insert(axis + 1, g.ndim - 1)
        return (apply(ScatterIndexed, g.permute(tuple(order)), shape=shape, key=(slice(None),) * axis + (positions,),
                      advanced=True),)


class Diagonal(Op):
    """The `offset` diagonal of the matrices in the last two axes, as a new last axis: a writable strided
    view, as PyTorch's (x.diagonal().fill_(1) sets x's diagonal). The gradient lands on that diagonal."""

    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, offset):
        rows, cols = x.shape[-2:]
        count = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
        ctx.saved = (x.shape, offset, count)
        corner = x[..., max(-offset, 0):, max(offset, 0):] if count else x  # starts at the diagonal's first element
        return np.lib.stride_tricks.as_strided(corner, x.shape[:-2] + (count,),
                                               x.strides[:-2] + (x.strides[-2] + x.strides[-1],))

    def backward(ctx, K, g):
        shape, offset, count = ctx.saved
        grad = np.zeros(shape, dtype=g.dtype)
        grad[_diagonal_key(offset, count)] = g
        return (grad,)

    def backward_graph(ctx, g, out):
        shape, offset, count = ctx.saved
        return (apply(ScatterIndexed, g, shape=shape, key=_diagonal_key(offset, count), advanced=True),)


def _diagonal_key(offset: int, count: int) -> tuple:
    """The key of the `offset` diagonal's `count` elements in the last two axes."""
    steps = np.arange(count)
    return Ellipsis, steps + max(-offset, 0), steps + max(offset, 0)


def region_key(selection: tuple) -> tuple:
    """A basic key with an Ellipsis added when it has none, so that a key of ints alone picks a 0-d view, not a
    NumPy scalar."""
    return selection if Ellipsis in selection else selection + (Ellipsis,)  # (basic parts: ints, slices, None)


def basic_view(x: np.ndarray, key: tuple) -> np.ndarray:
    """x[key] for a basic key (ints, slices, None, Ellipsis), a view, with PyTorch's strides along the dims it does not
    step along (see strided_views.restrided)."""
    out = x[region_key(key)]
    if 1 in out.shape or out.size == 0:
        strides = basic_index_strides(x.shape, element_strides(x), key)
        if strides is not None:
            out = restrided(out, strides)
    return out


class GetItem(Op):
    """x[key] for ints, slices, None, Ellipsis and integer/boolean index arrays (a gather); the
    backward scatters g back, adding where an index repeats."""

    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, key, advanced):
        ctx.saved = (x.shape, x.dtype, key, advanced)
        # a basic key of ints alone picks a 0-d view, as PyTorch's x[0] (NumPy's would be a copied scalar, which a
        # later x.add_(1) or x[0].fill_(v) would not reach)
        return x[key] if advanced else basic_view(x, key)

    def backward(ctx, K, g):
        shape, dtype, key, advanced = ctx.saved
        return (_scattered(g, shape, key, advanced),)

    def backward_graph(ctx, g, out):
        shape, dtype, key, advanced = ctx.saved
        return (apply(ScatterIndexed, g, shape=shape, key=key, advanced=advanced),)


def _scattered(g: np.ndarray, shape: tuple, key, advanced: bool) -> np.ndarray:
    """Zeros of `shape` with g at x[key] (summed where an advanced index repeats)."""
    grad = np.zeros(shape, dtype=g.dtype)
    if advanced:
        np.add.at(grad, key, g)  # repeated indices accumulate
    else:
        grad[key] = g
    return grad


class ScatterIndexed(Op):
    """The gradient of x[key] as an op of its own, so that it can be differentiated again: g put into
    zeros of x's shape at key. It is linear in g, and its gradient is gg[key], the indexing itself."""

    saves_inputs = False

    def forward(ctx, K, g, shape, key, advanced):
        ctx.saved = (key, advanced)
        return _scattered(g, shape, key, advanced)

    def backward(ctx, K, gg):
        key, _ = ctx.saved
        return (gg[key],)

    def backward_graph(ctx, gg, out):
        key, advanced = ctx.saved
        return (apply(GetItem, gg, key=key, advanced=advanced),)


class ConstantPad(Op):
    """Widen each dim by (before, after) cells filled with `value`; a negative width crops instead.
    The gradient is the part of g that holds the input's surviving cells."""

    saves_inputs = False

    def forward(ctx, K, x, widths, value):
        kept, placed = _pad_windows(x.shape, widths)
        out = np.full([n + before + after for n, (before, after) in zip(x.shape, widths)], value, dtype=x.dtype)
        out[placed] = x[kept]
        ctx.saved = (x.shape, widths)
        return out

    def backward(ctx, K, g):
        shape, widths = ctx.saved
        kept, placed = _pad_windows(shape, widths)
        grad = np.zeros(shape, dtype=g.dtype)
        grad[kept] = g[placed]
        return (grad,)

    def backward_graph(ctx, g, out):
        shape, widths = ctx.saved
        kept, placed = _pad_windows(shape, widths)
        # the surviving cells, padded with zeros back to the input's shape where they were cropped from it
        regrown = tuple((window.start, n - window.stop) for n, window in zip(shape, kept))
        return (apply(ConstantPad, apply(GetItem, g, key=placed, advanced=False), widths=regrown, value=0),)


def _pad_windows(shape: tuple, widths: tuple) -> tuple[tuple, tuple]:
    """For padding `shape` by `widths` ((before, after) per dim): the slices of the input that survive
    cropping, and where they land in the output."""
    kept, placed = [], []
    for n, (before, after) in zip(shape, widths):
        start, stop = max(-before, 0), n - max(-after, 0)
        length = max(stop - start, 0)
        kept.append(slice(start, start + length))
        placed.append(slice(max(before, 0), max(before, 0) + length))
    return tuple(kept), tuple(placed)


class Cat(Op):
    """The inputs joined along `axis`, but for those `skipped` (torch.cat's 1-D empty tensors), which take no part
    and get an empty gradient, as PyTorch's."""

    saves_inputs = False

    def forward(ctx, K, *xs, axis, skipped=()):
        skipped = skipped or (False,) * len(xs)
        joined = [x for x, skip in zip(xs, skipped) if not skip]
        ctx.saved = (axis, np.cumsum([x.shape[axis] for x in joined])[:-1], skipped)
        return np.concatenate(joined, axis=axis)

    def backward(ctx, K, g):
        axis, splits, skipped = ctx.saved
        return _with_empty_gradients(np.split(g, splits, axis=axis), skipped, np.zeros(0, g.dtype))

    def backward_graph(ctx, g, out):
        axis, splits, skipped = ctx.saved
        axis %= g.ndim
        bounds = [0, *splits.tolist(), g.shape[axis]]
        parts = [g[(slice(None),) * axis + (slice(start, stop),)] for start, stop in zip(bounds, bounds[1:])]
        return _with_empty_gradients(parts, skipped, constant(np.zeros(0, g._data.dtype)))


def _with_empty_gradients(parts: list, skipped: tuple, empty) -> tuple:
    """The gradients of Cat's inputs: the parts of g in order, `empty` for each skipped input."""
    parts = iter(parts)
    return tuple(empty if skip else next(parts) for skip in skipped)


class Stack(Op):
    saves_inputs = False

    def forward(ctx, K, *xs, axis):
        ctx.saved = axis
        return np.stack(xs, axis=axis)

    def backward(ctx, K, g):
        return tuple(np.moveaxis(g, ctx.saved, 0))

    def backward_graph(ctx, g, out):
        axis = ctx.saved % g.ndim
        return tuple(g[(slice(None),) * axis + (i,)] for i in range(g.shape[axis]))


class Cast(Op):
    """A copy in another dtype (also `clone()`, with the same dtype), laid out in a memory format (by default
    the input's layout, as PyTorch's); the gradient is cast back."""

    saves_inputs = False

    def forward(ctx, K, x, dtype, memory_format=preserve_format):
        ctx.saved = x.dtype
        return copy_in_format(x, dtype, memory_format)

    def backward(ctx, K, g):
        return (g.astype(ctx.saved, copy=False),)

    def backward_graph(ctx, g, out):
        return (g.to(ctx.saved),)


class Repeat(Op):
    """x tiled `repeats[d]` times along each dim d (x's shape padded with leading 1s when `repeats` is
    longer), as torch.Tensor.repeat; each input element gets the sum of the gradients of its copies."""

    saves_inputs = False

    def forward(ctx, K, x, repeats):
        ctx.saved = (x.shape, repeats)
        return np.tile(x, repeats)

    def backward(ctx, K, g):
        shape, repeats = ctx.saved
        copies_and_elements, copy_axes = _copies_and_elements(shape, repeats)
        return (g.reshape(copies_and_elements).sum(axis=copy_axes).reshape(shape),)

    def backward_graph(ctx, g, out):
        shape, repeats = ctx.saved
        copies_and_elements, copy_axes = _copies_and_elements(shape, repeats)
        split = g.reshape(copies_and_elements)
        return ((split.sum(dim=copy_axes) if copy_axes else split).reshape(shape),)  # (dim=() would sum all)


def _copies_and_elements(shape: tuple, repeats: tuple) -> tuple[list, tuple]:
    """Repeat's output shape with each dim split into (copy, element), since output index k * size + i along
    a dim is copy k of element i, and the axes of the copies."""
    padded = (1,) * (len(repeats) - len(shape)) + shape
    return [n for pair in zip(repeats, padded) for n in pair], tuple(range(0, 2 * len(repeats), 2))


class RepeatInterleave(Op):
    """Element i along `axis` repeated repeats[i] times in place (np.repeat); its gradient is the sum
    of the gradients of its repeats[i] consecutive copies (0 when it was repeated 0 times)."""

    saves_inputs = False

    def forward(ctx, K, x, repeats, axis):
        ctx.saved = (x.shape, repeats, axis)
        return np.repeat(x, repeats, axis=axis)

    def backward(ctx, K, g):
        shape, repeats, axis = ctx.saved
        grad = np.zeros(shape, dtype=g.dtype)
        present = repeats > 0
        if present.any():  # reduceat sums each run of copies, given where the runs start
            starts = np.cumsum(repeats) - repeats
            index = (slice(None),) * axis + (present,)
            grad[index] = np.add.reduceat(g, starts[present], axis=axis)
        return (grad,)

    def backward_graph(ctx, g, out):
        shape, repeats, axis = ctx.saved
        source = np.repeat(np.arange(shape[axis]), repeats)  # the element each output position copies
        return (apply(ScatterIndexed, g, shape=shape, key=(slice(None),) * axis + (source,), advanced=True),)


class ViewOfNewHistory(Op):
    """A view taken while its base had no history, read after a recorded in-place write gave the base one
    (`v = buf[:2]`, `buf.copy_(w)`, then `v * 3`): the view as a function of its base's new history, as PyTorch
    regenerates such views. `view` is the view's own array; its gradient goes to the base's elements it shows."""

    saves_inputs, returns_view = False, True

    def forward(ctx, K, base, view):
        # (indices into the flattened base: a 0-d base has no dim to index)
        ctx.saved = (base.shape, (view_positions(view, base),))
        return view

    def backward(ctx, K, g):
        shape, key = ctx.saved
        return (_scattered(g, (math.prod(shape),), key, True).reshape(shape),)

    def backward_graph(ctx, g, out):
        shape, key = ctx.saved
        return (apply(ScatterIndexed, g, shape=(math.prod(shape),), key=key, advanced=True).reshape(shape),)


class AsStrided(Op):
    """torch.as_strided: the elements of `memory` (the memory of input 0's base) at offset + sum_d i_d *
    stride[d], counted in elements of input 0's dtype; they may include elements input 0 does not show.
    The gradient goes through the memory, as PyTorch's: g is scattered into the memory's elements (output
    positions that share one add up) and read back at input 0's positions. An element input 0 shows at
    several positions (an expanded input) shares its gradient equally among them, so that their sum,
    which the expand's backward forms, is the element's gradient; an element input 0 does not show gets
    none (PyTorch's rule too). Read-only where output positions share an element (see Unfold) or where
    the memory is."""

    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, memory, size, stride, offset):
        itemsize, start = x.itemsize, memory.__array_interface__["data"][0]
        x_offset = (x.__array_interface__["data"][0] - start) // itemsize
        ctx.saved = (x.shape, tuple(step // itemsize for step in x.strides), x_offset, size, stride, offset)
        writeable = memory.flags.writeable and not overlaps_itself(size, stride)
        return strided_view(memory, start + offset * itemsize, size, tuple(step * itemsize for step in stride),
                            x.dtype, writeable)

    def backward(ctx, K, g):
        window = _gradient_window(ctx)
        if window is None:
            return (np.zeros(ctx.saved[0], dtype=g.dtype),)
        read, shown, length, counts = window
        memory_grad = np.zeros(length, dtype=g.dtype)
        np.add.at(memory_grad, read, g.reshape(-1))
        if counts.max() > 1:
            memory_grad /= np.maximum(counts, 1)
        return (memory_grad[shown],)

    def backward_graph(ctx, g, out):
        window = _gradient_window(ctx)
        if window is None:
            return (constant(np.zeros(ctx.saved[0], dtype=g._data.dtype)),)
        read, shown, length, counts = window
        memory_grad = apply(ScatterIndexed, g.reshape(-1), shape=(length,), key=(read,), advanced=True)
        if counts.max() > 1:
            memory_grad = memory_grad / constant(np.maximum(counts, 1).astype(g._data.dtype))
        return (apply(GetItem, memory_grad, key=(shown,), advanced=True),)


def _gradient_window(ctx) -> tuple | None:
    """Where AsStrided's gradient goes through memory, in a window of it (not all of it): the window positions
    read by the output (flat) and shown by the input (in its shape), the window's length and how often the input
    shows each of its elements. None when either reaches no element."""
    shape, strides, x_offset, size, stride, offset = ctx.saved
    read = memory_positions(size, stride, offset).reshape(-1)
    shown = memory_positions(shape, strides, x_offset)
    if read.size == 0 or shown.size == 0:
        return None
    low = min(read.min(), shown.min())
    length = int(max(read.max(), shown.max()) - low) + 1
    return read - low, shown - low, length, np.bincount((shown - low).reshape(-1), minlength=length)

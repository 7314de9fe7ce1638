"""Ops that move elements without arithmetic: reshape, permute, expand, indexing, cat, stack."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.graph import Op


class Reshape(Op):
    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, shape):
        ctx.saved = x.shape
        return x.reshape(shape)

    def backward(ctx, K, g):
        return (g.reshape(ctx.saved),)


class Permute(Op):
    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, axes):
        ctx.saved = axes
        return x.transpose(axes)

    def backward(ctx, K, g):
        return (g.transpose(np.argsort(ctx.saved)),)  # the inverse permutation


class Expand(Op):
    """A broadcast view; its gradient sums over the broadcast dims (done by the graph layer)."""

    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, shape):
        return np.broadcast_to(x, shape)

    def backward(ctx, K, g):
        return (g,)


class Unfold(Op):
    """Every window of `size` elements, `step` apart, along `axis`, as torch.Tensor.unfold: the axis
    becomes the window count and the windows' elements a new last axis. A read-only strided view
    (windows overlap when step < size); the gradient of each input element sums over the windows that
    hold it."""

    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, axis, size, step):
        count = (x.shape[axis] - size) // step + 1
        ctx.saved = (x.shape, axis, size, step, count)
        shape = x.shape[:axis] + (count,) + x.shape[axis + 1:] + (size,)
        strides = x.strides[:axis] + (x.strides[axis] * step,) + x.strides[axis + 1:] + (x.strides[axis],)
        return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)

    def backward(ctx, K, g):
        shape, axis, size, step, count = ctx.saved
        grad = np.zeros(shape, dtype=g.dtype)
        for offset in range(size):  # element `offset` of every window: one strided slice, no overlaps
            grad[(slice(None),) * axis + (slice(offset, offset + step * (count - 1) + 1, step),)] += g[..., offset]
        return (grad,)


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
        steps = np.arange(count)
        grad[..., steps + max(-offset, 0), steps + max(offset, 0)] = g
        return (grad,)


class GetItem(Op):
    """x[key] for ints, slices, None, Ellipsis and integer/boolean index arrays (a gather); the
    backward scatters g back, adding where an index repeats."""

    saves_inputs, returns_view = False, True

    def forward(ctx, K, x, key, advanced):
        ctx.saved = (x.shape, x.dtype, key, advanced)
        return x[key]

    def backward(ctx, K, g):
        shape, dtype, key, advanced = ctx.saved
        grad = np.zeros(shape, dtype=g.dtype)
        if advanced:
            np.add.at(grad, key, g)  # repeated indices accumulate
        else:
            grad[key] = g
        return (grad,)


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
    saves_inputs = False

    def forward(ctx, K, *xs, axis):
        ctx.saved = (axis, np.cumsum([x.shape[axis] for x in xs])[:-1])
        return np.concatenate(xs, axis=axis)

    def backward(ctx, K, g):
        axis, splits = ctx.saved
        return tuple(np.split(g, splits, axis=axis))


class Stack(Op):
    saves_inputs = False

    def forward(ctx, K, *xs, axis):
        ctx.saved = axis
        return np.stack(xs, axis=axis)

    def backward(ctx, K, g):
        return tuple(np.moveaxis(g, ctx.saved, 0))


class Cast(Op):
    """A copy in another dtype (also `clone()`, with the same dtype); the gradient is cast back."""

    saves_inputs = False

    def forward(ctx, K, x, dtype):
        ctx.saved = x.dtype
        return x.astype(dtype, order="C", copy=True)

    def backward(ctx, K, g):
        return (g.astype(ctx.saved, copy=False),)


class Repeat(Op):
    """x tiled `repeats[d]` times along each dim d (x's shape padded with leading 1s when `repeats` is
    longer), as torch.Tensor.repeat; each input element gets the sum of the gradients of its copies."""

    saves_inputs = False

    def forward(ctx, K, x, repeats):
        ctx.saved = (x.shape, repeats)
        return np.tile(x, repeats)

    def backward(ctx, K, g):
        shape, repeats = ctx.saved
        padded = (1,) * (len(repeats) - len(shape)) + shape
        # Output index k * size + i along a dim is copy k of element i: split each dim into (copy, element).
        copies_and_elements = [n for pair in zip(repeats, padded) for n in pair]
        copy_axes = tuple(range(0, 2 * len(repeats), 2))
        return (g.reshape(copies_and_elements).sum(axis=copy_axes).reshape(shape),)


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

"""Ops that overwrite values: fill, random fill, copy and indexed assignment. The in-place methods
(`fill_`, `uniform_`, `copy_`, `x[key] = v`, `index_put_`) run them through `apply_inplace`, which writes the result
back into the tensor's memory and, under autograd, records the op as the tensor's new history."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.graph import Op, apply
from fastgrad.ops.indexing import save_source_only
from fastgrad.ops.recorded import select, zeros_like
from fastgrad.ops.shape import GetItem, basic_view, region_key


class Fill(Op):
    """Every element becomes `value`; nothing of the old values reaches the output."""

    saves_inputs = False

    @staticmethod
    def one_value_written_where(attrs: dict):
        return True

    def forward(ctx, K, x, value):
        return np.full(x.shape, value, dtype=x.dtype)

    def backward(ctx, K, g):
        return (np.zeros_like(g),)

    def backward_graph(ctx, g, out):
        return (zeros_like(g),)


class RandomFill(Fill):
    """Every element becomes a draw: `draw(shape)` returns the values (`uniform_`, `normal_`,
    `bernoulli_`). The draw runs inside the op, after apply_inplace's checks, so a refused fill takes
    nothing from the generator. Each element gets a draw of its own, so PyTorch refuses to write an expand."""

    one_value_written_where = Op.one_value_written_where

    def forward(ctx, K, x, draw):
        with np.errstate(over="ignore"):  # a draw beyond the dtype's range becomes inf, as in PyTorch
            return draw(x.shape).astype(x.dtype)

    backward_graph = Fill.backward_graph


class CopyFrom(Op):
    """dest.copy_(src): src broadcast to dest's shape and cast to its dtype."""

    saves_inputs = False

    def forward(ctx, K, dest, src):
        out = np.empty_like(dest)
        out[...] = src
        return out

    def backward(ctx, K, g):
        return np.zeros_like(g), g  # the graph sums g back to src's shape and casts it to src's dtype

    def backward_graph(ctx, g, out):
        return zeros_like(g), g


class IndexPut(Op):
    """x[key] = values (or += with `accumulate`, repeated indices adding up), in the part of x that the
    basic key `selection` picks (all of x when None; see Tensor._index_key). The gradient reaches the old x
    where it was not overwritten, and the values through the positions they were written to."""

    saves_inputs = False
    in_place_overlap = None  # (Tensor._put checks the part it writes against the values)

    @staticmethod
    def repeated_memory_write(attrs: dict):
        """Into an expand (PyTorch warns, see Tensor._put), the values written through the memory in the index's
        order, as PyTorch's: of two positions on one element the later write wins, and accumulate adds each."""
        key, accumulate, selection = attrs["key"], attrs["accumulate"], attrs["selection"]
        return lambda memory, out, others: write_at(region(memory, selection), key, others[0], accumulate)

    def forward(ctx, K, x, values, key, accumulate, selection=None):
        ctx.saved = (key, accumulate, selection)
        out = x.copy()
        write_at(region(out, selection), key, values, accumulate)
        return out

    def backward(ctx, K, g):
        key, accumulate, selection = ctx.saved
        g_x = g
        if not accumulate:
            g_x = g.copy()
            region(g_x, selection)[key] = 0
        return g_x, region(g, selection)[key]

    def backward_graph(ctx, g, out):
        key, accumulate, selection = ctx.saved
        g_region = g if selection is None else apply(GetItem, g, key=region_key(selection), advanced=False)
        advanced = any(isinstance(part, np.ndarray) for part in key)
        g_values = apply(GetItem, g_region, key=key, advanced=advanced)
        if accumulate:
            return g, g_values
        kept = np.ones(g.shape, dtype=bool)
        region(kept, selection)[key] = False
        return select(kept, g), g_values



class Put(IndexPut):
    """put_ (source's elements at flat positions of x): an IndexPut that saves the source as PyTorch's put_ does (see
    save_source_only), where x[key] = v and index_put_ save none of their inputs."""

    saves_inputs = True
    repeated_memory_write = Op.repeated_memory_write  # (PyTorch's put_ refuses an expand)

    def forward(ctx, K, x, values, key, accumulate, selection=None):
        save_source_only(ctx)
        return IndexPut.forward(ctx, K, x, values, key, accumulate, selection)


class CopySlices(Op):
    """A base's new history after a recorded in-place op on a view of it (PyTorch's CopySlices): the old base
    with the elements the view shows (`positions`: for each view element, its C-order index in the base)
    replaced by `values`, the op's result. apply_inplace has written the values already, so forward hands the
    base back as it is. The old base's gradient is the base's outside the view; the values' is the base's
    gathered at the view's elements. Where the view `repeats` an element (a fill of an expand, x[indices] = v into
    one), PyTorch's backward writes the gradient through that view, which it refuses when the old base needs a
    gradient: so does this one."""

    saves_inputs = False

    def forward(ctx, K, base, values, positions, repeats):
        ctx.saved = positions, repeats
        return base

    def backward(ctx, K, g):
        positions = _positions_to_differentiate(ctx)
        flat = g.flatten()  # (a copy, in C order)
        values = flat[positions].reshape(positions.shape)  # (a 0-d index gives a NumPy scalar)
        flat[positions] = 0
        return flat.reshape(g.shape), values

    def backward_graph(ctx, g, out):
        positions = _positions_to_differentiate(ctx)
        kept = np.ones(g.shape, dtype=bool)
        kept.reshape(-1)[positions] = False
        return select(kept, g), apply(GetItem, g.reshape(-1), key=(positions,), advanced=True)


def _positions_to_differentiate(ctx) -> np.ndarray:
    """CopySlices' positions, once its refusal (see there) is checked."""
    positions, repeats = ctx.saved
    if repeats and ctx.inputs[0].requires_grad:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a single "
                           "memory location: the backward of an in-place write into an expanded tensor (of shape "
                           f"{positions.shape}) whose base requires grad; as PyTorch, fastgrad refuses it. clone() "
                           "the expanded tensor before the write")
    return positions


def write_at(target: np.ndarray, key: tuple, values: np.ndarray, accumulate: bool) -> None:
    """target[key] = values, or += with `accumulate` (repeated indices adding up). np.add.at gets the values
    broadcast to target[key]'s shape: NumPy 2.4 adds values with fewer dims than a multi-dim index array
    wrongly (it reads past them: np.add.at(zeros(4), [[0, 1], [2, 3]], [1., 2.]) misses the second row)."""
    if accumulate:
        np.add.at(target, key, np.broadcast_to(values, target[key].shape))
    else:
        target[key] = values


def region(array: np.ndarray, selection) -> np.ndarray:
    """The view of array that a basic key picks (array itself for None), for writing through: with an
    Ellipsis added when the key has none, so that a key of ints alone gives a 0-d view, not a NumPy scalar."""
    return array if selection is None else basic_view(array, selection)

"""Ops that pick, place or reorder elements by index: gather/scatter, index_select/index_add, masks,
triangles, flip and roll (sort and topk are an argsort followed by a gather), unique.

`dim` arrives normalized (non-negative) and index arrays as integer arrays the op may keep (the
Tensor methods pass arrays no one else holds). Each forward checks shapes and index ranges itself, so callers that
apply an op directly (the in-place variants) get the same errors as the Tensor methods.
"""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.graph import Op, apply
from fastgrad.ops.recorded import DelayedError, constant, select
from fastgrad.ops.shape import GetItem, ScatterIndexed


def save_source_only(ctx) -> None:
    """What PyTorch's index_add_, index_copy_ and put_ save of their inputs (self, source): the source, when it
    requires grad (its backward shapes the source's gradient like it), and never self. Their gradients read
    neither, but backward refuses, as PyTorch's, once a saved source changed in place since."""
    ctx.mark_unsaved(0)
    if not ctx.inputs[1]._requires_grad:
        ctx.mark_unsaved(1)


# -- checks ----------------------------------------------------------------------------------------
def _check_index_range(name: str, index: np.ndarray, dim: int, size: int, error: type = IndexError) -> None:
    """Indices must lie in [0, size): negative ones are out of range here, as in PyTorch, whose exception type is
    IndexError for index_select and index_add, RuntimeError for gather and the scatters."""
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise error(f"{name}: index {int(bad)} is out of range for dimension {dim} with size {size}")


def _check_along_dim(name: str, shape: tuple, index: np.ndarray, dim: int, src_shape: tuple | None = None) -> None:
    """gather/scatter rules: index has the dims of the input (and of src), is no larger than the input
    outside `dim` and no larger than src anywhere, and its values index dim `dim`."""
    if index.ndim != len(shape):
        raise RuntimeError(f"{name}: index must have as many dims as input, got index shape {index.shape} "
                           f"for input shape {shape}")
    if src_shape is not None and len(src_shape) != index.ndim:
        raise RuntimeError(f"{name}: src must have as many dims as index, got src shape {src_shape} "
                           f"for index shape {index.shape}")
    if index.size:  # an empty index selects nothing, whatever its other sizes (as PyTorch)
        for d, n in enumerate(index.shape):
            if (d != dim and n > shape[d]) or (src_shape is not None and n > src_shape[d]):
                limit = f"input shape {shape} outside dim {dim}" + ("" if src_shape is None else
                                                                   f" and src shape {src_shape}")
                raise RuntimeError(f"{name}: index shape {index.shape} is larger than {limit} at dim {d}")
    _check_index_range(name, index, dim, shape[dim], RuntimeError)


def _along_dim_key(index: np.ndarray, dim: int) -> tuple:
    """The NumPy key that reads x[i0, ..., index[i0, ..., ik], ..., ik] for every position of index:
    `index` on axis `dim`, each other axis its own position (an arange broadcast along it)."""
    key = []
    for d, n in enumerate(index.shape):
        if d == dim:
            key.append(index)
        else:
            position = [1] * index.ndim
            position[d] = n
            key.append(np.arange(n).reshape(position))
    return tuple(key)


def _leading(shape: tuple) -> tuple:
    """The key of the leading block of that shape (src may be larger than index in scatter)."""
    return tuple(slice(0, n) for n in shape)


# -- gather / scatter ------------------------------------------------------------------------------
class Gather(Op):
    """out[i][j] = x[i][index[i][j]] for dim=1 (likewise along any dim); 0-d tensors act as 1-d.
    Backward: g is scatter-added back to the gathered positions (repeated indices accumulate)."""

    saves_inputs = False

    def forward(ctx, K, x, dim, index):
        x_1d, index_1d = np.atleast_1d(x), np.atleast_1d(index)
        _check_along_dim("gather", x_1d.shape, index_1d, dim)
        key = _along_dim_key(index_1d, dim)
        ctx.saved = (x.shape, x_1d.shape, key, index_1d.shape)
        return x_1d[key].reshape(index.shape)

    def backward(ctx, K, g):
        shape, shape_1d, key, index_shape_1d = ctx.saved
        grad = np.zeros(shape_1d, dtype=g.dtype)
        np.add.at(grad, key, g.reshape(index_shape_1d))  # repeated indices accumulate
        return (grad.reshape(shape),)

    def backward_graph(ctx, g, out):
        shape, shape_1d, key, index_shape_1d = ctx.saved
        return (apply(ScatterIndexed, g.reshape(index_shape_1d), shape=shape_1d, key=key, advanced=True).reshape(shape),)


class Scatter(Op):
    """out = x with out[i][index[i][j]] = src[i][j] (dim=1); where an index repeats, one of the
    writes wins. Backward: x gets g except at the written positions, src gets g gathered from them
    (PyTorch's formula, so with repeated indices every write receives its position's gradient)."""

    saves_inputs = False
    accumulate = False  # ScatterAdd adds instead of writing
    in_place_overlap = "none"  # (PyTorch's scatter_ refuses src in its memory, even the same memory)

    def forward(ctx, K, x, src, dim, index):
        name = "scatter_add" if ctx.op.accumulate else "scatter"
        if src.dtype != x.dtype:
            raise RuntimeError(f"{name}: src must have the input's dtype {x.dtype}, got {src.dtype}")
        x_1d, src_1d, index_1d = np.atleast_1d(x), np.atleast_1d(src), np.atleast_1d(index)
        _check_along_dim(name, x_1d.shape, index_1d, dim, src_1d.shape)
        key = _along_dim_key(index_1d, dim)
        values = src_1d[_leading(index_1d.shape)]
        out = x_1d.copy()
        if ctx.op.accumulate:
            np.add.at(out, key, values)
        else:
            out[key] = values
        ctx.saved = (key, src.shape, src_1d.shape, index_1d.shape)
        return out.reshape(x.shape)

    def backward(ctx, K, g):
        key, src_shape, src_shape_1d, index_shape = ctx.saved
        g_1d = np.atleast_1d(g)
        g_src = np.zeros(src_shape_1d, dtype=g.dtype)
        g_src[_leading(index_shape)] = g_1d[key]
        if ctx.op.accumulate:
            g_x = g
        else:
            g_x = g_1d.copy()
            g_x[key] = 0  # overwritten values do not reach the output
        return g_x.reshape(g.shape), g_src.reshape(src_shape)

    def backward_graph(ctx, g, out):
        key, src_shape, src_shape_1d, index_shape = ctx.saved
        g_1d = g.reshape(np.atleast_1d(g._data).shape)
        g_values = apply(GetItem, g_1d, key=key, advanced=True)
        g_src = apply(ScatterIndexed, g_values, shape=src_shape_1d, key=_leading(index_shape), advanced=False)
        if ctx.op.accumulate:
            return g, g_src.reshape(src_shape)
        kept = np.ones(g_1d.shape, dtype=bool)
        kept[key] = False
        return select(kept.reshape(g.shape), g), g_src.reshape(src_shape)


class IndexCopy(Scatter):
    """index_copy(_) as a scatter along dim, with the index repeated over source's other dims; as PyTorch's, it
    saves the source (see save_source_only), where scatter saves none of its inputs."""

    saves_inputs = True

    def forward(ctx, K, x, src, dim, index):
        save_source_only(ctx)
        return Scatter.forward(ctx, K, x, src, dim, index)


class ScatterAdd(Scatter):
    """out = x with src[i][j] added at out[i][index[i][j]] (dim=1); repeated indices accumulate.
    Backward: x gets g, src gets g gathered from the positions it was added to."""

    accumulate = True
    backward_graph = Scatter.backward_graph


# -- index_select / index_add (a 1-d index along one dim) -------------------------------------------
def _check_vector_index(name: str, index: np.ndarray) -> np.ndarray:
    if index.ndim > 1:
        raise IndexError(f"{name}: index must be 1-D (or 0-d), got shape {index.shape}")
    return index.reshape(-1)


class IndexSelect(Op):
    """The slices x[..., index[k], ...] along dim, stacked in index order; a 0-d input takes a
    one-element index. Backward: g's slices are added back into the slices they came from."""

    saves_inputs = False

    def forward(ctx, K, x, dim, index):
        flat_index = _check_vector_index("index_select", index)
        x_1d = np.atleast_1d(x)
        if x.ndim == 0 and flat_index.size != 1:
            raise RuntimeError(f"index_select: a 0-d input needs a one-element index, got {flat_index.size} elements")
        _check_index_range("index_select", flat_index, dim, x_1d.shape[dim])
        ctx.saved = (x.shape, x_1d.shape, dim, flat_index)
        out = np.take(x_1d, flat_index, axis=dim)
        return out.reshape(()) if x.ndim == 0 else out

    def backward(ctx, K, g):
        shape, shape_1d, dim, flat_index = ctx.saved
        grad = np.zeros(shape_1d, dtype=g.dtype)
        np.add.at(grad, (slice(None),) * dim + (flat_index,), np.atleast_1d(g))
        return (grad.reshape(shape),)

    def backward_graph(ctx, g, out):
        shape, shape_1d, dim, flat_index = ctx.saved
        key = (slice(None),) * dim + (flat_index,)
        rows = g.reshape(np.atleast_1d(g._data).shape)
        return (apply(ScatterIndexed, rows, shape=shape_1d, key=key, advanced=True).reshape(shape),)


class IndexAdd(Op):
    """out = x with alpha * source[..., k, ...] added to out[..., index[k], ...] along dim (repeated
    indices accumulate); `apply(IndexAdd, x, source, dim=, index=, alpha=)`.
    Backward: x gets g, source gets alpha times g's slices at index."""

    in_place_overlap = "none"  # (as PyTorch's index_add_)

    def forward(ctx, K, x, source, dim, index, alpha=1):
        save_source_only(ctx)
        flat_index = _check_vector_index("index_add", index)
        if source.dtype != x.dtype:
            raise RuntimeError(f"index_add: self ({x.dtype}) and source ({source.dtype}) must have the same dtype")
        if x.dtype.kind != "f" and not float(alpha).is_integer():
            raise TypeError(f"index_add: alpha must be an integer for an input of dtype {x.dtype}, got {alpha}")
        x_1d, source_1d = np.atleast_1d(x), np.atleast_1d(source)
        expected = x_1d.shape[:dim] + (flat_index.size,) + x_1d.shape[dim + 1:]
        if source.ndim != x.ndim or source_1d.shape != expected:  # (a 0-d input takes only a 0-d source)
            raise RuntimeError(f"index_add: source must have shape {expected if x.ndim else ()} (the input's shape "
                               f"{x.shape} with dim {dim} resized to the {flat_index.size} indices), got "
                               f"{source.shape}")
        _check_index_range("index_add", flat_index, dim, x_1d.shape[dim])
        scale = x.dtype.type(alpha)
        out = x_1d.copy()
        np.add.at(out, (slice(None),) * dim + (flat_index,), source_1d if alpha == 1 else source_1d * scale)
        ctx.saved = (source.shape, dim, flat_index, scale)
        return out.reshape(x.shape)

    def backward(ctx, K, g):
        source_shape, dim, flat_index, scale = ctx.saved
        g_source = np.take(np.atleast_1d(g), flat_index, axis=dim)
        return g, (g_source if scale == 1 else g_source * scale).reshape(source_shape)

    def backward_graph(ctx, g, out):
        source_shape, dim, flat_index, scale = ctx.saved
        g_source = apply(IndexSelect, g, dim=dim, index=flat_index)
        return g, (g_source if scale == 1 else g_source * float(scale)).reshape(source_shape)


# -- masks ------------------------------------------------------------------------------------------
class MaskedFill(Op):
    """`value` (a 0-d array of x's dtype) where mask is True, x elsewhere; x and mask broadcast.
    Backward: x gets g where the mask is False, value the sum of g where it is True."""

    saves_inputs = False
    in_place_overlap = None  # (PyTorch's masked_fill_ reads the value as a number first: x.masked_fill_(m, x[0]))

    @staticmethod
    def one_value_written_where(attrs: dict):
        return attrs["mask"]

    def forward(ctx, K, x, value, mask):
        ctx.saved = mask
        return K.where(mask, value, x)

    def backward(ctx, K, g):
        mask = ctx.saved
        zero = g.dtype.type(0)
        return K.where(mask, zero, g), K.where(mask, g, zero)  # the graph sums value's share to its 0-d shape

    def backward_graph(ctx, g, out):
        return select(~ctx.saved, g), select(ctx.saved, g)


class MaskedSelect(Op):
    """The elements of x where mask is True (x and mask broadcast), as a 1-d array in row-major
    order. Backward: g goes back to those positions, zero elsewhere."""

    saves_inputs = False

    def forward(ctx, K, x, mask):
        shape = np.broadcast_shapes(x.shape, mask.shape)
        full_mask = np.broadcast_to(mask, shape)
        ctx.saved = full_mask
        return np.broadcast_to(x, shape)[full_mask]

    def backward(ctx, K, g):
        full_mask = ctx.saved
        grad = np.zeros(full_mask.shape, dtype=g.dtype)
        grad[full_mask] = g
        return (grad,)

    def backward_graph(ctx, g, out):
        full_mask = ctx.saved
        return (apply(ScatterIndexed, g, shape=full_mask.shape, key=np.nonzero(full_mask), advanced=True),)


# -- ordering ---------------------------------------------------------------------------------------
def stable_order(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """The indices that sort x along axis, equal elements in their order, NaN as the largest value (PyTorch's
    stable sort's order; argsort's and topk's)."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    # reversed, sorted ascending, reversed again: largest (and NaN) first, ties in their order, without negating
    # (which would overflow the smallest integer and misplace NaN)
    return x.shape[axis] - 1 - np.flip(np.argsort(np.flip(x, axis), axis=axis, kind="stable"), axis)


class Argsort(Op):
    """The int64 indices that sort x along dim (no gradient). Always stable: equal elements keep their
    order, descending too; NaN counts as larger than every number (PyTorch's order)."""

    saves_inputs = False

    def forward(ctx, K, x, dim, descending):
        return stable_order(np.atleast_1d(x), dim, descending).astype(np.int64, copy=False).reshape(x.shape)


def unique_sorted(x: np.ndarray, axis: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """torch.unique's (values, inverse, counts): the distinct elements of x in ascending order (axis None),
    or its distinct slices along `axis` in lexicographic order; the int64 index into values of each
    element (of x's shape) or slice; how often each value occurs. Equal means == as PyTorch: each NaN is
    distinct (sorted last, in input order) and 0.0 equals -0.0 (the first one met is kept)."""
    moved = x.reshape(-1) if axis is None else np.moveaxis(x, axis, 0)
    rows = moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))  # one row per element or slice
    if rows.shape[1] == 1:
        order = np.argsort(rows[:, 0], kind="stable")
    else:  # lexsort's last key is the primary one; it sorts stably, NaN last
        order = np.lexsort(rows.T[::-1])
    ordered = rows[order]
    starts_value = np.ones(len(order), dtype=bool)
    starts_value[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    starts = np.flatnonzero(starts_value)
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.cumsum(starts_value) - 1
    counts = np.diff(np.append(starts, len(order))).astype(np.int64, copy=False)
    values = ordered[starts].reshape((len(starts),) + moved.shape[1:])
    if axis is None:
        return values, inverse.reshape(x.shape), counts
    return np.moveaxis(values, 0, axis), inverse, counts


class Unique(Op):
    """The values of `unique_sorted`, computed by the caller together with the inverse and counts it also
    returns. PyTorch defines no derivative for unique: the values require grad when the input does, and
    a backward pass through them raises, as here."""

    saves_inputs = False

    def forward(ctx, K, x, values):
        return values

    def backward(ctx, K, g):
        raise NotImplementedError("the derivative for unique is not implemented (as in PyTorch); detach its input "
                                  "or compute it under fastgrad.no_grad()")


# -- triangles, flip, roll --------------------------------------------------------------------------
class Tril(Op):
    """The lower triangle (on and below `diagonal`) of the last two dims, zeros above; the gradient is
    the same triangle of g."""

    saves_inputs = False
    triangle = staticmethod(np.tril)

    def forward(ctx, K, x, diagonal):
        ctx.saved = diagonal
        return ctx.op.triangle(x, diagonal)

    def backward(ctx, K, g):
        return (ctx.op.triangle(g, ctx.saved),)

    def backward_graph(ctx, g, out):
        return (apply(ctx.op, g, diagonal=ctx.saved),)


class Triu(Tril):
    triangle = staticmethod(np.triu)
    backward_graph = Tril.backward_graph


class Flip(Op):
    """x reversed along `axes` (a copy, as PyTorch); the gradient is g reversed the same way."""

    saves_inputs = False

    def forward(ctx, K, x, axes):
        ctx.saved = axes
        return np.flip(x, axes).copy()

    def backward(ctx, K, g):
        return (np.flip(g, ctx.saved),)

    def backward_graph(ctx, g, out):
        return (apply(Flip, g, axes=ctx.saved),)


class Roll(Op):
    """x shifted cyclically by `shifts` along `axes` (or over the flattened tensor when axes is None);
    the gradient is g shifted back."""

    saves_inputs = False

    def forward(ctx, K, x, shifts, axes):
        ctx.saved = (shifts, axes)
        return np.roll(x, shifts, axes)

    def backward(ctx, K, g):
        shifts, axes = ctx.saved
        return (np.roll(g, _shifts_back(shifts, axes), axes),)

    def backward_graph(ctx, g, out):
        shifts, axes = ctx.saved
        return (apply(Roll, g, shifts=_shifts_back(shifts, axes), axes=axes),)


def _shifts_back(shifts, axes):
    """The shifts that roll back: one int over the flattened tensor (axes None), else one per axis."""
    return -shifts if axes is None else tuple(-s for s in shifts)


# -- scatter with a reduction ------------------------------------------------------------------------
def _identity(reduce: str, dtype: np.dtype):
    """The value a reduction starts from when a position's own value is left out (include_self=False)."""
    if reduce in ("sum", "mean"):
        return dtype.type(0)
    if reduce == "prod":
        return dtype.type(1)
    if dtype.kind == "b":
        return reduce == "amin"
    if dtype.kind == "f":
        return dtype.type(-np.inf if reduce == "amax" else np.inf)
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


_COMBINE = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


class ScatterReduce(Op):
    """out = x with each src[i][j] combined into out[i][index[i][j]] (dim=1; likewise along any dim) by
    `reduce`: "sum", "prod", "mean" (integers: floor division, as PyTorch), "amax" or "amin" (NaN wins). With
    include_self=False the positions written to start from the scattered values alone; the others keep x.

    Backward, PyTorch's rules: sum, g to x and g gathered to src; mean, both g over the number of values
    combined at the position; prod, each value gets g times the product of the other values at its position
    (counted without division where a value is 0); amax/amin, g split evenly among the values equal to the
    result. Without include_self, x gets no gradient where it was written over."""

    in_place_overlap = "none"  # (as PyTorch's scatter_reduce_)

    def forward(ctx, K, x, src, dim, index, reduce, include_self):
        if src.dtype != x.dtype:
            raise RuntimeError(f"scatter_reduce: src must have the input's dtype {x.dtype}, got {src.dtype}")
        x_1d, src_1d, index_1d = np.atleast_1d(x), np.atleast_1d(src), np.atleast_1d(index)
        _check_along_dim("scatter_reduce", x_1d.shape, index_1d, dim, src_1d.shape)
        key = _along_dim_key(index_1d, dim)
        values = src_1d[_leading(index_1d.shape)]
        written = np.zeros(x_1d.shape, dtype=bool)
        written[key] = True
        out = x_1d.copy()
        if not include_self:
            out[written] = _identity(reduce, x.dtype)
        with np.errstate(invalid="ignore"):  # NaN combined in stays NaN
            _COMBINE[reduce].at(out, key, values)
        counts = None
        if reduce == "mean":
            counts = np.zeros(x_1d.shape, dtype=np.int64)
            np.add.at(counts, key, 1)
            counts += include_self | ~written  # a position's own value counts when it is kept
            out = (np.floor_divide if out.dtype.kind in "iub" else np.divide)(out, counts.astype(out.dtype))
        ctx.saved = (x.shape, src.shape, src_1d.shape, index_1d.shape, key, written, reduce, include_self, counts,
                     (x_1d, values, out.copy()) if reduce in ("prod", "amax", "amin") else None, dim, index_1d)
        if reduce in ("sum", "mean"):  # backward reads neither input
            ctx.mark_unsaved(0)
            ctx.mark_unsaved(1)
        return out.reshape(x.shape)

    def backward(ctx, K, g):
        x_shape, src_shape, src_shape_1d, index_shape, key, written, reduce, include_self, counts, kept = ctx.saved[:10]
        g_1d = np.atleast_1d(g)
        if reduce == "sum":
            g_x, g_values = g_1d.copy(), g_1d[key]
        elif reduce == "mean":
            g_x = g_1d / counts.astype(g.dtype)
            g_values = g_x[key]
        elif reduce == "prod":
            g_x, g_values = _product_of_others(g_1d, key, written, include_self, *kept)
        else:
            hit_x, hit_values, ties = _extremes(key, written, include_self, *kept)
            with np.errstate(divide="ignore", invalid="ignore"):  # no value equals a NaN result: NaN, as PyTorch
                share = g_1d / ties.astype(g.dtype)
                g_x, g_values = hit_x * share, hit_values * share[key]
        if not include_self:
            g_x[written] = 0
        g_src = np.zeros(src_shape_1d, dtype=g.dtype)
        g_src[_leading(index_shape)] = g_values
        return g_x.reshape(x_shape), g_src.reshape(src_shape)

    def backward_graph(ctx, g, out):
        x_shape, src_shape, src_shape_1d, index_shape, key, written, reduce, include_self, counts, kept = ctx.saved[:10]
        g_1d = g.reshape(written.shape)
        if reduce == "prod":
            g_x, g_values = _product_of_others_recorded(ctx, g_1d)
        elif reduce == "sum":
            g_x, g_values = g_1d, apply(GetItem, g_1d, key=key, advanced=True)
        elif reduce == "mean":
            g_x = g_1d / constant(counts.astype(g._data.dtype))
            g_values = apply(GetItem, g_x, key=key, advanced=True)
        else:  # the shares are constant in x and src where they are defined
            hit_x, hit_values, ties = _extremes(key, written, include_self, *kept)
            with np.errstate(divide="ignore", invalid="ignore"):
                share = g_1d / constant(ties.astype(g._data.dtype))
            g_x = constant(hit_x) * share
            g_values = constant(hit_values) * apply(GetItem, share, key=key, advanced=True)
        if not include_self:
            g_x = select(~written, g_x)
        g_src = apply(ScatterIndexed, g_values, shape=src_shape_1d, key=_leading(index_shape), advanced=False)
        return g_x.reshape(x_shape), g_src.reshape(src_shape)


def _product_of_others_recorded(ctx, g_1d) -> tuple:
    """_product_of_others on tensors, recorded, with its values. The product of the other values at a position
    is the product of the nonzero values there over the value (over 1 for a zero value) when no other value is
    0. With one other zero it is 0, but not its slope in that zero: it is that zero (the sum of the position's
    zeros but the value itself) times that quotient, and 0 with no slope where the quotient is not finite (the
    array backward's 0 there). With more other zeros it is 0, and stays 0 in any one of them."""
    _, _, src_shape_1d, index_shape, key, written, _, include_self, _, kept, dim, index = ctx.saved
    x_array, values_array, _ = kept
    x, src = ctx.inputs
    x_1d, src_1d = x.reshape(written.shape), src.reshape(src_shape_1d)
    one = constant(np.ones((), dtype=g_1d._data.dtype))
    counted = include_self | ~written
    x_zero, values_zero = (x_array == 0) & counted, values_array == 0
    zeros = x_zero.astype(np.int64)
    np.add.at(zeros, key, values_zero)
    src_zero = np.zeros(src_shape_1d, dtype=bool)
    src_zero[_leading(index_shape)] = values_zero
    nonzero_product = apply(ScatterReduce, select(counted & ~x_zero, x_1d, one), select(~src_zero, src_1d, one),
                            dim=dim, index=index, reduce="prod", include_self=True)
    values = apply(GetItem, src_1d, key=_leading(index_shape), advanced=False)
    zero_sum = select(x_zero, x_1d) + apply(ScatterIndexed, select(values_zero, values), shape=written.shape,
                                            key=key, advanced=True)

    def others(value, is_zero: np.ndarray, at_zeros: np.ndarray, at_nonzero_product, at_zero_sum):
        with np.errstate(invalid="ignore"):
            quotient = at_nonzero_product / select(~is_zero, value, one)
            carried = (at_zero_sum - select(is_zero, value)) * quotient
        other_zeros = at_zeros - is_zero
        return select(other_zeros == 0, quotient, select((other_zeros == 1) & np.isfinite(carried._data), carried))

    def at_key(t):
        return apply(GetItem, t, key=key, advanced=True)

    # (x where it does not count is taken as 1: its gradient is dropped, and 1 divides without a 0/0)
    g_x = g_1d * others(select(counted, x_1d, one), x_zero, zeros, nonzero_product, zero_sum)
    g_values = at_key(g_1d) * others(values, values_zero, zeros[key], at_key(nonzero_product), at_key(zero_sum))
    if (zeros - x_zero > 1).any():  # PyTorch refuses to differentiate src's gradient there: so does fastgrad
        g_values = apply(DelayedError, g_values, reason="scatter_reduce(reduce='prod'): the derivative of the "
                         "gradient of src is not implemented where two zeros of src are scattered to one position "
                         "(as in PyTorch)")
    return g_x, g_values


def _extremes(key: tuple, written: np.ndarray, include_self: bool, x: np.ndarray, values: np.ndarray,
              out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scatter_reduce(amax/amin)'s ties: which elements of x and of the scattered values equal the result at
    their position (x's only where it counts), and how many do at each position."""
    hit_x = (x == out) & (include_self | ~written)
    hit_values = values == out[key]
    ties = hit_x.astype(np.int64)
    np.add.at(ties, key, hit_values)
    return hit_x, hit_values, ties


def _product_of_others(g: np.ndarray, key: tuple, written: np.ndarray, include_self: bool, x: np.ndarray,
                       values: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scatter_reduce(prod)'s gradients: g times the product of the other values at the position. With no zero
    there that is the product over the value; with one zero, the product of the non-zeros for the zero and 0
    for the others; with more zeros, 0 for all."""
    one = x.dtype.type(1)
    self_counts = include_self | ~written
    zeros = ((x == 0) & self_counts).astype(np.int64)
    np.add.at(zeros, key, values == 0)
    nonzero_product = np.where(self_counts & (x != 0), x, one)
    np.multiply.at(nonzero_product, key, np.where(values == 0, one, values))

    def others(value: np.ndarray, at_zeros: np.ndarray, at_product: np.ndarray) -> np.ndarray:
        without_value = np.where(value == 0, at_product, at_product / np.where(value == 0, one, value))
        return np.where(at_zeros - (value == 0) > 0, 0, without_value)

    return g * others(x, zeros, nonzero_product), g[key] * others(values, zeros[key], nonzero_product[key])


class ScatterWithReduce(ScatterReduce):
    """scatter(..., reduce="add" or "multiply"): scatter_reduce's "sum" or "prod" with x included. PyTorch
    defines no derivative for it, so backward raises, as there."""

    def backward(ctx, K, g):
        raise NotImplementedError("the derivative of scatter with reduce= is not implemented (as in PyTorch); use "
                                  "scatter_reduce(dim, index, src, reduce), which has one")


class UniqueConsecutive(Unique):
    """The values of unique_consecutive, computed by the caller. PyTorch defines no derivative: backward
    through them raises, as there."""

    def backward(ctx, K, g):
        raise NotImplementedError("the derivative for unique_consecutive is not implemented (as in PyTorch); detach "
                                  "its input or compute it under fastgrad.no_grad()")

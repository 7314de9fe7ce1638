"""A seeded differential fuzz of shape, joining and element-selection ops against PyTorch 2.13.

Each case draws one to three inputs (0-d to 3-d, sizes 0 to 4, float64 mostly, also float32, integer and bool dtypes;
contiguous, transposed, stepped or expanded) and runs one op in both libraries, with random arguments: dims negative
and out of range, indices out of range, sizes that do not fit, mixed dtypes where PyTorch promotes. The ops: cat and
its names, stack and hstack/vstack/dstack/column_stack, split (int and sizes), chunk, tensor_split (sections, indices,
tensor indices), unbind; movedim, swapaxes, flatten/unflatten, squeeze, unsqueeze, T/mT/H/mH; roll, flip, fliplr,
flipud, rot90; repeat, tile, repeat_interleave, expand/expand_as, broadcast_to, broadcast_tensors; narrow, select,
gather, scatter (with every reduce of scatter_reduce), index_select, take, take_along_dim, masked_select, where,
nonzero, argwhere; tril/triu, diag, diagonal, diag_embed, trace, kron; meshgrid, cartesian_prod, combinations,
atleast_1d/2d/3d.

Where PyTorch raises, fastgrad must raise an exception of the same built-in type. Where PyTorch returns, fastgrad
must give the same number of results, each of the same dtype, shape and values; each result must be an input itself
exactly where PyTorch's is, and share memory with an input exactly where PyTorch's does; writing through each result
(copy_) must change the inputs as PyTorch's writes do, or be refused where PyTorch's is (a result that shows one
element at several positions); and the gradient of a random weighting of the float results must be PyTorch's.

Left out, as PyTorch 2.13's defects (the indexing fuzz leaves them out too): an out-of-range index that selects
nothing (PyTorch leaves it unchecked, fastgrad raises an IndexError); out-of-range indices in take_along_dim (PyTorch
reads past the tensor); scatter_reduce's gradient where src and x tie in amax/amin, or where PyTorch's backward
raises (a src larger than index); repeat_interleave with counts in a tensor and an output_size, along an empty dim or
of no counts (PyTorch returns the empty result, whatever output_size says; fastgrad checks it); negative counts with
output_size (PyTorch's repeat_interleave then corrupts memory)."""
import warnings

import numpy as np
import pytest

import fastgrad

# (skipped first: without PyTorch the indexing fuzz module skips itself while it is imported, so importing its
# drawing helpers would fail rather than skip)
torch = pytest.importorskip("torch")

from tests.ops.test_indexing_fuzz_parity import DTYPES, draw_input, draw_shape, draw_values  # noqa: E402
from tests.parity_outcomes import Raised, assert_raised_alike, outcome  # noqa: E402

CASES_PER_SEED = 150
SEEDS = range(8)
# PyTorch 2.13's own faults, where fastgrad returns the answer the documentation gives: kron and take_along_dim
# without dim view a non-contiguous input (RuntimeError: "view size is not compatible"), and index_select of some
# layouts checks its indices internally ("INDICES element is out of DATA bounds", "self indexing axis dim should be
# positive": RuntimeErrors where its others are IndexErrors)
PYTORCH_FAULTS = ("view size is not compatible", "INDICES element is out of DATA bounds",
                  "self indexing axis dim should be positive")


# -- the comparison ---------------------------------------------------------------------------------------------------
def outputs(result) -> list:
    return list(result) if isinstance(result, (tuple, list)) else [result]


def shares_memory(lib, result, base) -> bool:
    """Whether result views base's memory (data_ptr semantics: one storage)."""
    if lib is torch:
        return result.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()
    return bool(np.may_share_memory(result._data, base._data))


def written_values(result, k: int) -> np.ndarray:
    """Values for result k to be written with, each position's its own (but in bool), none of them 0."""
    positions = np.arange(k * 17, k * 17 + int(np.prod(tuple(result.shape)))).reshape(tuple(result.shape))
    return positions % 2 == 0 if str(result.dtype).endswith("bool") else positions % 90 + 10


def run(lib, call, inputs, requires_grad: bool):
    """(bases, results or Raised): call(lib, *views of the bases), the float bases requiring grad if asked."""
    bases = [lib.tensor(array, requires_grad=requires_grad and array.dtype.kind == "f") for array, _ in inputs]
    views = [view(base) for base, (_, view) in zip(bases, inputs)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (deprecated .T of other ranks, meshgrid without indexing)
        return bases, views, outcome(lambda: outputs(call(lib, *views)))


def assert_same(call, inputs, *, gradients=True, selects_nothing=False, where=""):
    """call(lib, *inputs) in both libraries, inputs as (array, view) pairs: see the module docstring."""
    (our_bases, our_views, ours), (their_bases, their_views, theirs) = (
        run(lib, call, inputs, requires_grad=False) for lib in (fastgrad, torch))
    if isinstance(ours, Raised) and isinstance(ours.error, IndexError) and not isinstance(theirs, Raised):
        assert selects_nothing or all(e.numel() == 0 for e in theirs), f"{where}: {ours!r}"
        return
    if isinstance(theirs, Raised) and any(fault in str(theirs.error) for fault in PYTORCH_FAULTS):
        return
    assert_raised_alike(ours, theirs, where)
    if isinstance(theirs, Raised):
        return
    assert len(ours) == len(theirs), where
    float32 = any(array.dtype == np.float32 for array, _ in inputs)
    for k, (g, e) in enumerate(zip(ours, theirs)):
        assert g.shape == tuple(e.shape) and str(g.dtype) == str(e.dtype).replace("torch.", ""), (where, k, g, e)
        if e.dtype.is_floating_point:  # (sums, as trace's, may round in another order)
            np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-6 if float32 else 1e-12, atol=0, equal_nan=True,
                                       err_msg=f"{where}: result {k}")
        else:
            np.testing.assert_array_equal(g.numpy(), e.numpy(), err_msg=f"{where}: result {k}")
        assert [g is v for v in our_views] == [e is v for v in their_views], f"{where}: result {k} is an input"
        if e.numel():
            assert ([shares_memory(fastgrad, g, b) for b in our_bases]
                    == [shares_memory(torch, e, b) for b in their_bases]), f"{where}: result {k} shares memory"
    for k, (g, e) in enumerate(zip(ours, theirs)):
        if e.numel():
            values = written_values(e, k)
            written = outcome(lambda: e.copy_(torch.tensor(values)))
            assert_raised_alike(outcome(lambda: g.copy_(fastgrad.tensor(values))), written, f"{where}: result {k} copy_")
    for b, t in zip(our_bases, their_bases):
        np.testing.assert_array_equal(b.numpy(), t.numpy(), err_msg=f"{where}: an input after writes to the results")
    if not gradients or not any(array.dtype.kind == "f" for array, _ in inputs):
        return
    assert_same_gradients(call, inputs, float32, where)


def assert_same_gradients(call, inputs, float32: bool, where: str):
    (our_bases, _, ours), (their_bases, _, theirs) = (
        run(lib, call, inputs, requires_grad=True) for lib in (fastgrad, torch))
    assert not isinstance(ours, Raised), f"{where}: fastgrad {ours!r} with requires_grad"
    rng = np.random.default_rng(0)
    losses = {fastgrad: 0, torch: 0}
    for k, (g, e) in enumerate(zip(ours, theirs)):
        assert bool(g.requires_grad) == e.requires_grad, f"{where}: result {k} requires_grad"
        if e.requires_grad:
            weights = rng.standard_normal(tuple(e.shape))
            for lib, out in ((fastgrad, g), (torch, e)):
                losses[lib] = losses[lib] + (out * lib.tensor(weights)).sum()
    if isinstance(losses[torch], int):
        return
    try:
        losses[torch].backward()
    except RuntimeError:  # (PyTorch's scatter_reduce backward passes that fail: see the module docstring)
        return
    losses[fastgrad].backward()
    tol = dict(rtol=2e-5, atol=2e-5) if float32 else dict(rtol=1e-9, atol=1e-10)
    for ours, theirs in zip(our_bases, their_bases):
        if theirs.grad is None:
            assert ours.grad is None or not ours.grad.numpy().any(), where
        else:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), equal_nan=True, err_msg=where, **tol)


# -- drawing ----------------------------------------------------------------------------------------------------------
def draw_dtype(rng, mostly="float64"):
    return mostly if rng.random() < 0.7 else str(DTYPES[rng.integers(len(DTYPES))])


def draw_dim(rng, ndim, *, extra=0, out_of_range=0.05) -> int:
    """A dim of a tensor of ndim dims (plus `extra`, for ops that add one), now and then out of range."""
    span = max(ndim + extra, 1)
    if rng.random() < out_of_range:
        return int(rng.choice([span, -span - 1]))
    return int(rng.integers(-span, span))


def draw_dims(rng, ndim, *, repeat=0.05) -> tuple:
    """Distinct dims in random order (now and then a dim named twice, or one out of range)."""
    span = max(ndim, 1)
    dims = [int(d) for d in rng.permutation(span)[:int(rng.integers(0, span + 1))]]
    dims = [d - span if rng.random() < 0.4 else d for d in dims]
    if dims and rng.random() < repeat:
        dims.append(dims[0] - span if dims[0] >= 0 else dims[0] + span)
    if rng.random() < 0.03:
        dims.append(span)
    return tuple(dims)


def draw(rng, shape, dtype=None):
    return draw_input(rng, shape, dtype or draw_dtype(rng))


def resized(rng, shape, dim, size=None) -> tuple:
    if not shape:
        return shape
    shape = list(shape)
    shape[dim % len(shape)] = int(rng.integers(0, 4)) if size is None else size
    return tuple(shape)


def joined_case(rng):
    op = ["cat", "concat", "concatenate", "cat_positional", "stack", "hstack", "vstack", "dstack", "column_stack",
          "row_stack"][rng.integers(10)]
    shape = draw_shape(rng)
    count = int(rng.integers(1, 4))
    mixed = rng.random() < 0.3
    dtype = draw_dtype(rng)
    dim = draw_dim(rng, len(shape), extra=op == "stack")
    joined_dim = {"hstack": 1 if len(shape) > 1 else 0, "vstack": 0, "row_stack": 0, "dstack": 2,
                  "column_stack": 1}.get(op, dim)
    shapes = []
    for _ in range(count):
        part = shape if op == "stack" else resized(rng, shape, joined_dim) if len(shape) > joined_dim % 3 else shape
        if rng.random() < 0.05:
            part = resized(rng, part, int(rng.integers(0, 3)))  # (a mismatch, mostly)
        if rng.random() < 0.04:
            part = (0,)  # (PyTorch's cat skips 1-d empty tensors)
        shapes.append(part)
    inputs = [draw(rng, s, draw_dtype(rng) if mixed else dtype) for s in shapes]
    as_list = rng.random() < 0.8

    def call(lib, *tensors):
        tensors = list(tensors) if as_list else tuple(tensors)
        if op in ("cat", "concat", "concatenate", "stack"):
            return getattr(lib, op)(tensors, dim=dim)
        if op == "cat_positional":
            return lib.cat(tensors, dim)
        return getattr(lib, op)(tensors)

    return op, call, inputs


def split_case(rng):
    op = ["split_int", "split_sizes", "split_method", "chunk", "tensor_split_sections", "tensor_split_indices",
          "tensor_split_tensor", "unbind", "hsplit", "vsplit", "dsplit"][rng.integers(11)]
    shape = draw_shape(rng)
    dim = draw_dim(rng, len(shape))
    size = shape[dim % len(shape)] if shape else 0
    split_size = int(rng.integers(-1 if rng.random() < 0.05 else 0, size + 3))
    sizes = []
    while sum(sizes) < size:
        sizes.append(int(rng.integers(0, size - sum(sizes) + 1)))
    if rng.random() < 0.2:
        sizes.append(int(rng.integers(0, 2)))  # (PyTorch takes a trailing 0; a trailing 1 is too many)
    chunks = int(rng.integers(0 if rng.random() < 0.05 else 1, 6))
    indices = [int(i) for i in rng.integers(-size - 2, size + 3, int(rng.integers(0, 4)))]
    index_form = ["1-d", "0-d", "int32"][rng.integers(3)]
    if index_form == "0-d":
        indices = [int(rng.integers(-2, 5))]
    sections = int(rng.integers(0 if rng.random() < 0.05 else 1, 6))
    first_form = rng.random() < 0.5  # (which of two forms the call takes)

    def call(lib, x):
        if op == "split_int":
            return lib.split(x, split_size, dim)
        if op == "split_sizes":
            return lib.split(x, sizes, dim=dim)
        if op == "split_method":
            return x.split(split_size if first_form else sizes, dim)
        if op == "chunk":
            return lib.chunk(x, chunks, dim)
        if op == "tensor_split_sections":
            return lib.tensor_split(x, sections, dim=dim)
        if op == "tensor_split_indices":
            return x.tensor_split(indices, dim)
        if op == "tensor_split_tensor":
            array = np.array(indices[0] if index_form == "0-d" else indices, "int32" if index_form == "int32" else "int64")
            return lib.tensor_split(x, lib.tensor(array), dim=dim)
        if op == "unbind":
            return x.unbind(dim) if first_form else lib.unbind(x, dim)
        return getattr(lib, op)(x, sections if first_form else indices)

    return op, call, [draw(rng, shape)]


def dims_case(rng):
    op = ["movedim", "moveaxis", "movedim_tuple", "swapaxes", "swapdims", "transpose", "flatten", "unflatten",
          "squeeze", "squeeze_dim", "squeeze_dims", "unsqueeze", "T", "mT", "H", "mH", "adjoint", "ravel",
          "permute"][rng.integers(19)]
    shape = tuple(1 if rng.random() < 0.2 else n for n in draw_shape(rng))
    ndim = len(shape)
    d0, d1 = draw_dim(rng, ndim), draw_dim(rng, ndim)
    sources = draw_dims(rng, ndim)
    destinations = draw_dims(rng, ndim)[:len(sources)] if rng.random() < 0.1 else tuple(
        int(d) for d in rng.permutation(max(ndim, 1))[:len(sources)])
    sizes = ()
    if shape:
        size = shape[d0 % ndim]
        factors = [f for f in (1, 2, 3, 4) if size % f == 0] if size else [0, 1, 2]
        first = int(rng.choice(factors))
        sizes = (first, size // first if first else int(rng.integers(0, 3)))
        if rng.random() < 0.3:
            sizes = (sizes[0], -1) if rng.random() < 0.5 else (-1, sizes[1])
        if rng.random() < 0.1:
            sizes = (sizes[0] + 1,) + sizes[1:]
        if rng.random() < 0.1:
            sizes = (size,) if rng.random() < 0.5 else ()
    squeezed = draw_dims(rng, ndim)
    permutation = draw_dims(rng, ndim, repeat=0.1) if rng.random() < 0.15 else tuple(
        int(d) for d in rng.permutation(ndim))
    unsqueezed = draw_dim(rng, ndim, extra=1)

    def call(lib, x):
        if op in ("movedim", "moveaxis"):
            return getattr(lib, op)(x, d0, d1)
        if op == "movedim_tuple":
            return x.movedim(sources, destinations)
        if op in ("swapaxes", "swapdims", "transpose"):
            return getattr(x, op)(d0, d1)
        if op == "flatten":
            return lib.flatten(x, d0, d1)
        if op == "unflatten":
            return x.unflatten(d0, sizes)
        if op == "squeeze":
            return x.squeeze()
        if op == "squeeze_dim":
            return lib.squeeze(x, d0)
        if op == "squeeze_dims":
            return x.squeeze(squeezed)
        if op == "unsqueeze":
            return x.unsqueeze(unsqueezed)
        if op in ("T", "mT", "H", "mH"):
            return getattr(x, op)
        if op == "adjoint":
            return x.adjoint()
        if op == "ravel":
            return lib.ravel(x)
        return x.permute(permutation)

    return op, call, [draw(rng, shape)]


def reorder_case(rng):
    op = ["roll", "roll_tuple", "roll_flat", "flip", "fliplr", "flipud", "rot90"][rng.integers(7)]
    shape = draw_shape(rng)
    ndim = len(shape)
    dims = draw_dims(rng, ndim)
    shifts = tuple(int(s) for s in rng.integers(-6, 7, len(dims) + (rng.random() < 0.05)))
    shift, dim = int(rng.integers(-6, 7)), draw_dim(rng, ndim)
    k = int(rng.integers(-5, 6))
    rot_dims = (draw_dim(rng, ndim), draw_dim(rng, ndim)) if rng.random() < 0.6 else (0, 1)
    if rng.random() < 0.03:
        rot_dims = (0, 1, 2)[:int(rng.integers(0, 4))]
    first_form = rng.random() < 0.5  # (which of two forms the call takes)

    def call(lib, x):
        if op == "roll":
            return lib.roll(x, shift, dim)
        if op == "roll_tuple":
            return x.roll(shifts, dims)
        if op == "roll_flat":
            return lib.roll(x, shift)
        if op == "flip":
            return lib.flip(x, dims) if first_form else x.flip(*dims) if dims else x.flip(dims)
        if op in ("fliplr", "flipud"):
            return getattr(lib, op)(x)
        return lib.rot90(x, k, rot_dims)

    return op, call, [draw(rng, shape)]


def repeat_case(rng):
    op = ["repeat", "tile", "repeat_interleave_int", "repeat_interleave_tensor", "repeat_interleave_flat",
          "repeat_interleave_counts", "expand", "expand_as", "broadcast_to", "broadcast_tensors"][rng.integers(10)]
    shape = tuple(1 if rng.random() < 0.3 else n for n in draw_shape(rng))
    ndim = len(shape)
    reps = tuple(int(r) for r in rng.integers(0, 4, int(rng.integers(max(ndim - 1, 0), ndim + 2))))
    dim = draw_dim(rng, ndim) if rng.random() < 0.8 and op != "repeat_interleave_flat" else None
    size = (shape[dim % ndim] if shape else 1) if dim is not None else int(np.prod(shape))
    count = int(rng.integers(-1 if rng.random() < 0.05 else 0, 4))
    counts_shape = [(size,), (1,), (), (size + 1,)][rng.choice(4, p=[0.6, 0.15, 0.15, 0.1])]
    counts = rng.integers(-1 if rng.random() < 0.03 else 0, 4, counts_shape)
    total = int(counts.sum() * (size if counts.size == 1 else 1)) if counts.size else 0
    output_size = [None, total, total + 1][rng.choice(3, p=[0.5, 0.4, 0.1])]
    if output_size is not None:
        counts = np.abs(counts)  # (PyTorch 2.13 checks no negative count given output_size: it corrupts memory)
    if size == 0 or counts.size == 0:
        output_size = None  # (see the module docstring)
    target = list(shape)
    for i, n in enumerate(shape):
        if n == 1 and rng.random() < 0.5:
            target[i] = int(rng.integers(0, 4))
        elif rng.random() < 0.2:
            target[i] = -1
        elif rng.random() < 0.05:
            target[i] = n + 1
    target = tuple(int(n) for n in rng.integers(0, 3, int(rng.integers(0, 2)))) + tuple(target)
    other_shapes = [tuple(n if rng.random() < 0.7 else 1 for n in target)[int(rng.integers(0, len(target) + 1)):]
                    for _ in range(int(rng.integers(1, 3)))]
    others = [draw(rng, tuple(max(n, 0) for n in s)) for s in other_shapes]
    if op == "expand_as":
        others = [draw(rng, tuple(max(n, 0) for n in target))]

    def call(lib, x, *rest):
        if op == "repeat":
            return x.repeat(*reps) if reps else x.repeat(reps)
        if op == "tile":
            return lib.tile(x, reps)
        if op == "repeat_interleave_int":
            return x.repeat_interleave(count, dim=dim)
        if op in ("repeat_interleave_tensor", "repeat_interleave_flat"):
            return lib.repeat_interleave(x, lib.tensor(counts), dim=dim, output_size=output_size)
        if op == "repeat_interleave_counts":
            return lib.repeat_interleave(lib.tensor(counts.reshape(-1)), output_size=output_size)
        if op == "expand":
            return x.expand(*target) if target else x.expand(target)
        if op == "expand_as":
            return x.expand_as(rest[0])
        if op == "broadcast_to":
            return lib.broadcast_to(x, target)
        return lib.broadcast_tensors(x, *rest)

    inputs = [draw(rng, shape)] + (others if op in ("expand_as", "broadcast_tensors") else [])
    return op, call, inputs


def select_case(rng):
    op = ["narrow", "narrow_tensor", "select", "gather", "scatter", "scatter_value", "scatter_add", "scatter_reduce",
          "index_select", "take", "take_along_dim", "take_along_dim_flat", "masked_select", "where_1", "where_3",
          "nonzero", "nonzero_tuple", "argwhere"][rng.integers(18)]
    shape = draw_shape(rng)
    ndim = len(shape)
    dtype = draw_dtype(rng)
    dim = draw_dim(rng, ndim)
    size = shape[dim % ndim] if shape else 1
    numel = int(np.prod(shape))
    start, length = int(rng.integers(-size - 1, size + 2)), int(rng.integers(-(rng.random() < 0.03), size + 2))
    out_of_range = int(rng.random() < 0.05) if not op.startswith("take_along_dim") else 0
    axis = dim % max(ndim, 1)
    index_shape = tuple(int(rng.integers(0, (n if d != axis else 4) + 1)) for d, n in enumerate(shape))
    if op == "take_along_dim" and rng.random() < 0.5:
        index_shape = tuple(1 if rng.random() < 0.5 else n for n in shape)
    high = (numel if op in ("take", "take_along_dim_flat") else size) + out_of_range
    low = -high if op in ("take", "index_select") else -out_of_range
    if op == "index_select":
        index_shape = (int(rng.integers(0, 5)),) if rng.random() < 0.85 else ()
    if op in ("take", "take_along_dim_flat"):
        index_shape = tuple(int(n) for n in rng.integers(0, 3, int(rng.integers(0, 3))))
    if high <= low and op.startswith("take_along_dim"):  # (no index in range: see the module docstring)
        index_shape = tuple(0 if d == axis else n for d, n in enumerate(index_shape)) if op == "take_along_dim" else (0,)
    index = rng.integers(low, high, index_shape) if high > low else np.zeros(index_shape, int)
    index_dtype = "int64" if op.startswith("take") else ["int64", "int32"][rng.integers(2)]
    reduce, include_self = str(rng.choice(["sum", "prod", "mean", "amax", "amin"])), bool(rng.integers(0, 2))
    source = draw_values(rng, tuple(n + int(rng.integers(0, 2)) * (op != "scatter_reduce") for n in index_shape),
                         dtype)
    if op == "scatter_reduce" and reduce in ("amax", "amin") and dtype.startswith("float"):
        source = source + 0.5 + 0.01 * rng.random(source.shape)  # (no ties with x: see the module docstring)
    mask_shape = tuple(n if rng.random() < 0.7 else 1 for n in shape)[int(rng.integers(0, ndim + 1)):]
    mask = rng.random(mask_shape) < rng.choice([0.0, 0.5, 1.0])
    other = draw(rng, shape if rng.random() < 0.6 else shape[int(rng.integers(0, ndim + 1)):], draw_dtype(rng))

    def call(lib, x, s, o):
        i = lib.tensor(index.astype(index_dtype))
        if op == "narrow":
            return lib.narrow(x, dim, start, length)
        if op == "narrow_tensor":
            return x.narrow(dim, lib.tensor(start), length)
        if op == "select":
            return lib.select(x, dim, start)
        if op == "gather":
            return lib.gather(x, dim, i)
        if op == "scatter":
            return x.scatter(dim, i, s)
        if op == "scatter_value":
            return lib.scatter(x, dim, i, 2.0 if dtype.startswith("float") else 2)
        if op == "scatter_add":
            return lib.scatter_add(x, dim, i, s)
        if op == "scatter_reduce":
            return x.scatter_reduce(dim, i, s, reduce, include_self=include_self)
        if op == "index_select":
            return x.index_select(dim, i)
        if op == "take":
            return lib.take(x, i)
        if op == "take_along_dim":
            return lib.take_along_dim(x, i, dim=dim)
        if op == "take_along_dim_flat":
            return x.take_along_dim(i)
        if op == "masked_select":
            return lib.masked_select(x, lib.tensor(mask))
        if op == "where_1":
            return lib.where(x)
        if op == "where_3":
            return lib.where(lib.tensor(mask), x, o)
        if op == "nonzero":
            return lib.nonzero(x)
        if op == "nonzero_tuple":
            return x.nonzero(as_tuple=True)
        return lib.argwhere(x)

    selects_nothing = index.size == 0 or length <= 0
    gradients = not (op == "scatter_reduce" and reduce in ("amax", "amin") and not include_self)
    return op, call, [draw(rng, shape, dtype), (source, lambda t: t), other], dict(selects_nothing=selects_nothing,
                                                                                 gradients=gradients)


def matrix_case(rng):
    op = ["tril", "triu", "diag", "diagonal", "diag_embed", "trace", "kron"][rng.integers(7)]
    shape = draw_shape(rng, max_dims=4 if op in ("tril", "triu", "diagonal") else 3)
    if op in ("diag", "trace") and rng.random() < 0.85:
        shape = shape[:2] if op == "trace" or rng.random() < 0.5 else shape[:1]
    ndim = len(shape)
    offset = int(rng.integers(-4, 5))
    dim1, dim2 = draw_dim(rng, ndim, extra=op == "diag_embed"), draw_dim(rng, ndim, extra=op == "diag_embed")
    if rng.random() < 0.3:
        dim1, dim2 = -2, -1
    other_shape = draw_shape(rng)
    first_form = rng.random() < 0.5  # (which of two forms the call takes)

    def call(lib, x, o):
        if op in ("tril", "triu"):
            return getattr(lib, op)(x, offset) if first_form else getattr(x, op)(diagonal=offset)
        if op == "diag":
            return lib.diag(x, offset)
        if op == "diagonal":
            return lib.diagonal(x, offset, dim1, dim2) if first_form else x.diagonal(offset=offset, dim1=dim1,
                                                                                      dim2=dim2)
        if op == "diag_embed":
            return lib.diag_embed(x, offset, dim1, dim2)
        if op == "trace":
            return lib.trace(x)
        return lib.kron(x, o)

    return op, call, [draw(rng, shape), draw(rng, other_shape)]


def combining_case(rng):
    op = ["meshgrid", "cartesian_prod", "combinations", "atleast_1d", "atleast_2d", "atleast_3d",
          "atleast_several"][rng.integers(7)]
    count = int(rng.integers(1, 4))
    shapes = [draw_shape(rng, max_dims=1) if rng.random() < 0.9 else draw_shape(rng) for _ in range(count)]
    mixed = rng.random() < 0.2
    dtype = draw_dtype(rng)
    indexing = [None, "ij", "xy"][rng.integers(3)]
    r, with_replacement = int(rng.integers(0 if rng.random() < 0.1 else 1, 4)), bool(rng.integers(0, 2))
    as_list = rng.random() < 0.3
    which = int(rng.integers(1, 4))

    def call(lib, *tensors):
        if op == "meshgrid":
            args = (list(tensors),) if as_list else tensors
            return lib.meshgrid(*args) if indexing is None else lib.meshgrid(*args, indexing=indexing)
        if op == "cartesian_prod":
            return lib.cartesian_prod(*tensors)
        if op == "combinations":
            return lib.combinations(tensors[0], r, with_replacement=with_replacement)
        if op == "atleast_several":
            return getattr(lib, f"atleast_{which}d")(list(tensors) if as_list else tensors)
        return getattr(lib, op)(*tensors)

    return op, call, [draw(rng, s, draw_dtype(rng) if mixed else dtype) for s in shapes]


FAMILIES = [joined_case, split_case, dims_case, reorder_case, repeat_case, select_case, matrix_case, combining_case]


def run_cases(seed: int, count: int) -> None:
    rng = np.random.default_rng(seed)
    for case in range(count):
        family = FAMILIES[rng.integers(len(FAMILIES))]
        op, call, inputs, *options = family(rng)
        assert_same(call, inputs, where=f"seed {seed} case {case} {op}", **(options[0] if options else {}))


@pytest.mark.parametrize("seed", SEEDS)
def test_shape_ops_match_torch(seed):
    run_cases(1000 + seed, CASES_PER_SEED)


# -- the differences the fuzz found, each as its smallest case ------------------------------------------------------
def plain(array):
    return np.asarray(array), lambda t: t


MATRIX, VECTOR, SCALAR, EMPTY = np.arange(6.0).reshape(2, 3), np.arange(3.0), np.array(1.5), np.zeros(0)
FOUND = {
    # refusals of PyTorch's type (they were ValueErrors, or IndexErrors for a repeated dim after one out of range)
    "reshape to another size": (lambda lib, x: x.reshape(4, 2), [MATRIX]),
    "reshape to negative sizes": (lambda lib, x: x.reshape(-2, -3), [MATRIX]),
    "view to another size": (lambda lib, x: x.view(-1, 4), [MATRIX]),
    "unflatten sizes": (lambda lib, x: x.unflatten(1, (2, 2)), [MATRIX]),
    "unflatten no sizes": (lambda lib, x: x.unflatten(5, ()), [MATRIX]),
    "repeat too few": (lambda lib, x: x.repeat(2), [MATRIX]),
    "repeat_interleave output_size": (lambda lib, x: x.repeat_interleave(2, output_size=5), [VECTOR]),
    "repeat_interleave counts": (lambda lib, x: x.repeat_interleave(lib.tensor([1, 2])), [VECTOR]),
    "repeat_interleave negative": (lambda lib, x: x.repeat_interleave(-1), [VECTOR]),
    "repeat_interleave negative, of a scalar": (lambda lib, x: x.repeat_interleave(-1, dim=0), [SCALAR]),
    "repeat_interleave float counts": (lambda lib, x: x.repeat_interleave(lib.tensor([1.0, 2.0, 3.0])), [VECTOR]),
    "repeat_interleave of float counts": (lambda lib, x: lib.repeat_interleave(x), [VECTOR]),
    "tril of a vector": (lambda lib, x: x.tril(), [VECTOR]),
    "fliplr of a vector": (lambda lib, x: x.fliplr(), [VECTOR]),
    "flipud of a scalar": (lambda lib, x: x.flipud(), [SCALAR]),
    "rot90 same dims": (lambda lib, x: x.rot90(1, (0, -2)), [MATRIX]),
    "rot90 of a vector": (lambda lib, x: x.rot90(), [VECTOR]),
    "roll no shifts": (lambda lib, x: x.roll((), ()), [MATRIX]),
    "roll unaligned": (lambda lib, x: x.roll((1, 2)), [MATRIX]),
    "diagonal same dims": (lambda lib, x: x.diagonal(0, 0, -2), [MATRIX]),
    "diag_embed same dims": (lambda lib, x: x.diag_embed(0, 0, 0), [VECTOR]),
    "diag of 3 dims": (lambda lib, x: x.diag(), [MATRIX.reshape(1, 2, 3)]),
    "trace of a vector": (lambda lib, x: x.trace(), [VECTOR]),
    "trace of a bool scalar": (lambda lib, x: x.trace(), [np.array(True)]),
    "meshgrid of a matrix": (lambda lib, x: lib.meshgrid(x, indexing="ij"), [MATRIX]),
    "cartesian_prod of a scalar": (lambda lib, x: lib.cartesian_prod(x), [SCALAR]),
    "combinations of a scalar": (lambda lib, x: lib.combinations(x), [SCALAR]),
    "combinations negative r": (lambda lib, x: lib.combinations(x, -1), [VECTOR]),
    "movedim counts": (lambda lib, x: x.movedim((0, 1), (0,)), [MATRIX]),
    "movedim int and tuple": (lambda lib, x: x.movedim(0, (1,)), [MATRIX]),
    "movedim counts before range": (lambda lib, x: x.movedim((1,), ()), [SCALAR]),
    "squeeze repeated dim": (lambda lib, x: x.squeeze((0, -2)), [MATRIX]),
    "flip repeated before out of range": (lambda lib, x: x.flip((1, -1, 2)), [MATRIX]),
    "gather index dims": (lambda lib, x: x.gather(0, lib.tensor([0])), [MATRIX]),
    "index_select of a scalar": (lambda lib, x: x.index_select(0, lib.tensor([0, 0])), [SCALAR]),
    "index_select 2-d index": (lambda lib, x: x.index_select(0, lib.tensor([[0]])), [MATRIX]),
    "take_along_dim dims": (lambda lib, x: lib.take_along_dim(x, lib.tensor([0]), 0), [MATRIX]),
    "t of 3 dims": (lambda lib, x: x.t(), [MATRIX.reshape(1, 2, 3)]),
    "narrow negative length before start": (lambda lib, x: x.narrow(0, 4, -1), [VECTOR]),
    "unfold step 0": (lambda lib, x: x.unfold(0, 1, 0), [VECTOR]),
    # answers where fastgrad raised
    "transpose of a scalar": (lambda lib, x: x.transpose(0, -1), [SCALAR]),
    "mT of a scalar": (lambda lib, x: x.mT, [SCALAR]),
    "mH of a scalar": (lambda lib, x: x.mH, [SCALAR]),
    "repeat of a scalar": (lambda lib, x: x.repeat(()), [SCALAR]),
    "tile of a scalar": (lambda lib, x: lib.tile(x, ()), [SCALAR]),
    "roll over no dims": (lambda lib, x: x.roll((1,), ()), [MATRIX]),
    "diag of an empty vector": (lambda lib, x: lib.diag(x, 1), [EMPTY]),
    "diag_embed of empty vectors": (lambda lib, x: lib.diag_embed(x, -1), [np.zeros((2, 0))]),
    "unflatten -1 beside an empty dim": (lambda lib, x: x.unflatten(1, (-1, 1)), [np.zeros((0, 2))]),
    # a refusal where fastgrad answered
    "flatten of a scalar, dim out of range": (lambda lib, x: x.flatten(-2), [SCALAR]),
    # the input itself, or not, as PyTorch's; a copy, not a view
    "broadcast_tensors of the broadcast shape": (lambda lib, x, y: lib.broadcast_tensors(x, y), [MATRIX, VECTOR]),
    "take at a 0-d index": (lambda lib, x: lib.take(x, lib.tensor(1)), [MATRIX]),
    "x[0-d index tensor]": (lambda lib, x: x[lib.tensor(1)], [MATRIX]),
    # gradients: an empty one for the 1-D empty tensors cat skips
    "cat with an empty vector": (lambda lib, x, y: lib.cat([x, y]), [VECTOR, EMPTY]),
}
# writes through a view of an expanded tensor that shows each element once reach the memory (they were refused)
ROW_OF_EXPANDED = (np.arange(3.0).reshape(1, 3), lambda t: t.expand(4, 3))
FOUND_IN_EXPANDED = {
    "unbind": lambda lib, x: x.unbind(),
    "split": lambda lib, x: x.split(1),
    "select": lambda lib, x: x.select(0, 2),
    "narrow": lambda lib, x: x.narrow(0, 1, 1),
    "diagonal": lambda lib, x: x[:3].diagonal(),
}


@pytest.mark.parametrize("name", FOUND)
def test_found_cases_match_torch(name):
    call, arrays = FOUND[name]
    assert_same(call, [plain(a) for a in arrays], where=name)


@pytest.mark.parametrize("name", FOUND_IN_EXPANDED)
def test_writes_through_a_view_of_an_expanded_tensor_that_repeats_no_element_reach_its_memory(name):
    assert_same(FOUND_IN_EXPANDED[name], [ROW_OF_EXPANDED], where=name)


def test_matrix_transposes_of_a_scalar_and_T_of_other_ranks_warn_as_torch_s():
    # (PyTorch warns once in a process, so its warnings are not caught here: these are its words)
    for make in (lambda t: t.mT, lambda t: t.mH, lambda t: t.H, lambda t: t.T):
        with pytest.warns(UserWarning, match="deprecated on 0-D tensors"):
            make(fastgrad.tensor(1.0))
    with pytest.warns(UserWarning, match="on tensors of dimension other than 2"):
        fastgrad.zeros(3).T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastgrad.zeros(3).t()
        fastgrad.zeros(2, 3).T

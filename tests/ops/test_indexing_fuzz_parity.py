"""A seeded differential fuzz of indexing, gather/scatter and reductions along dims against PyTorch.

Each case draws a tensor (0-d to 3-d, sizes 0 to 4, float64 mostly, also float32, integer and bool dtypes; contiguous,
transposed, stepped or expanded; with ties, NaN and infinities in the reductions) and runs one op in both libraries:
x[key] reads and x[key] = v, x[key] += v, index_put_ (accumulate or not) writes, with keys of ints, negative ints,
stepped slices, None, Ellipsis, bool masks (all false, all true, 0-d, Python bools), integer tensors and lists of
several dims (int32, int64; uint8 masks in reads), advanced indices parted by slices, empty and out-of-range indices;
the gather/scatter/index_*/mask/take/put/where/nonzero/narrow/select/unfold family; and the reductions and scans
along an int, negative or tuple dim, with keepdim. Where PyTorch returns, fastgrad must give the same dtype, shape,
values (integers exactly) and gradients of a random weighting of the float outputs; where PyTorch raises, fastgrad
must raise an exception of the same built-in type (but where PyTorch's own faults raise, PYTORCH_INTERNAL_FAULTS).

Left out, as PyTorch 2.13's defects or fastgrad's deliberate choices: an out-of-range index or dim that selects nothing
(PyTorch skips its check when the result is empty, fastgrad raises IndexError); out-of-range indices in take_along_dim
(PyTorch reads past the tensor); 0-d masks in index_put_ (PyTorch's index_put_ writes through a False one and asserts
internally on others, unlike its own x[key] = v); uint8 index tensors in writes (PyTorch refuses them there; fastgrad
takes them as masks, as its reads do); values of another dtype in writes (PyTorch refuses them behind integer indices,
casts them behind masks: fastgrad casts); index_add/index_copy of 0-d inputs and dims named twice (both raise, PyTorch
an IndexError); prod's and cumprod's gradients where elements are inf or NaN (PyTorch divides its NaN result by x, or
gives 0 for all where two are 0; fastgrad gives each the product of the others); the gradient of var/std at NaN inputs,
with no degrees of freedom (their value is NaN; PyTorch's gradient is inf or -0.0, fastgrad's NaN) or over dim=()
(PyTorch's forward reduces all dims there, its backward none) or of an expanded tensor's equal values (PyTorch's mean
may round off them, leaving deviations of a few ulps and a gradient of order 1; fastgrad's is 0); the gradient of the
inf/-inf norm at a NaN (PyTorch's is 0, fastgrad's NaN); a src empty or larger than index in scatter_reduce (PyTorch's
backward raises, or gives gradients to src elements it never read) and empty in scatter (PyTorch's backward raises);
ties between x and src in scatter_reduce's amax/amin without include_self (see Tensor.scatter_reduce); logsumexp over
dim=() (PyTorch reduces all dims or raises, by shape)."""
import warnings

import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")

DTYPES = ["float64", "float64", "float64", "float32", "int64", "int32", "uint8", "bool"]
LAYOUTS = ["contiguous", "transposed", "stepped", "expanded"]
# PyTorch 2.13's own faults, whose exception types are no refusal's: an internal error (index_fill/index_copy of some
# layouts: "setStorage: ..."; index_select of some: "INDICES element is out of DATA bounds", "self indexing axis dim
# should be positive", RuntimeErrors where its others are IndexErrors), a crash (take_along_dim: ZeroDivisionError),
# and a write checked for its shapes before its indices (fastgrad checks the indices first: an IndexError)
PYTORCH_INTERNAL_FAULTS = ("setStorage:", "INDICES element is out of DATA bounds", "self indexing axis dim should be",
                           "ZeroDivisionError", "shape mismatch: value tensor of shape",
                           "doesn't match the broadcast shape")


def draw_shape(rng, max_dims=3):
    return tuple(int(rng.choice([0, 1, 2, 3, 4], p=[0.07, 0.18, 0.25, 0.25, 0.25]))
                 for _ in range(int(rng.integers(0, max_dims + 1))))


def draw_values(rng, shape, dtype, special=False):
    """Values of a dtype: small integers (ties), normals, and with `special` a NaN or an infinity now and then."""
    n = int(np.prod(shape))
    if dtype == "bool":
        return (rng.random(n) < 0.5).reshape(shape)
    if dtype.startswith("int") or dtype == "uint8":
        low = 0 if dtype == "uint8" else -3
        return rng.integers(low, 4, n).astype(dtype).reshape(shape)
    values = rng.integers(-2, 3, n).astype(float) if rng.random() < 0.3 else rng.standard_normal(n)
    if special and n and rng.random() < 0.25:
        values[rng.integers(0, n)] = rng.choice([np.nan, np.inf, -np.inf])
    return values.reshape(shape).astype(dtype)


def draw_input(rng, shape, dtype, special=False):
    """(array, view) where view(tensor of the array) is a tensor of `shape` laid out by a random layout."""
    layout = LAYOUTS[rng.integers(len(LAYOUTS))] if shape else "contiguous"
    if layout == "transposed" and len(shape) >= 2:
        return draw_values(rng, (shape[1], shape[0]) + shape[2:], dtype, special), lambda t: t.transpose(0, 1)
    if layout == "stepped":
        return draw_values(rng, shape[:-1] + (2 * shape[-1],), dtype, special), lambda t: t[..., ::2]
    if layout == "expanded" and shape[0] != 1:
        return draw_values(rng, (1,) + shape[1:], dtype, special), lambda t: t.expand(*shape)
    return draw_values(rng, shape, dtype, special), lambda t: t


def outputs(result) -> list:
    if isinstance(result, (tuple, list)):
        return list(result)
    if hasattr(result, "indices") and not hasattr(result, "shape"):
        return [result.values, result.indices]
    return [result]


def assert_same(call, arrays, *, gradients=True, selects_nothing=False):
    """call(lib, *tensors) in both libraries, the float arrays as leaves that require grad: see the module docstring.
    Without `gradients`, the values alone are compared; with `selects_nothing` (or empty results) fastgrad may raise an
    IndexError where PyTorch returns."""
    leaves = {lib: [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays] for lib in (fastgrad, torch)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (uint8 masks, degrees of freedom, lists as keys)
        try:
            expected = outputs(call(torch, *leaves[torch]))
        except Exception as error:  # noqa: BLE001 (any refusal of PyTorch's must be fastgrad's too)
            ours = outcome(lambda: call(fastgrad, *leaves[fastgrad]))
            assert isinstance(ours, Raised), f"fastgrad returned {ours!r}, PyTorch raised {error!r}"
            if not any(fault in f"{type(error).__name__}: {error}" for fault in PYTORCH_INTERNAL_FAULTS):
                assert same_exception_type(ours, error), f"fastgrad {ours!r}, PyTorch {error!r}"
            return
        try:
            got = outputs(call(fastgrad, *leaves[fastgrad]))
        except IndexError:
            assert selects_nothing or all(e.numel() == 0 for e in expected)  # PyTorch leaves those indices unchecked
            return
    assert len(got) == len(expected)
    float32 = any(a.dtype == np.float32 for a in arrays)  # (float64 results and gradients then carry its rounding)
    rng = np.random.default_rng(0)
    losses = {fastgrad: 0, torch: 0}
    for g, e in zip(got, expected):
        assert g.shape == tuple(e.shape) and str(g.dtype) == str(e.dtype).replace("torch.", ""), (g, e)
        ours, theirs = g.detach().numpy(), e.detach().numpy()
        if theirs.dtype.kind in "biu":
            np.testing.assert_array_equal(ours, theirs)
        else:
            tol = dict(rtol=2e-5, atol=2e-5) if float32 or theirs.dtype == np.float32 else dict(rtol=1e-9, atol=1e-10)
            np.testing.assert_allclose(ours, theirs, equal_nan=True, **tol)
        assert bool(g.requires_grad) == e.requires_grad
        if e.requires_grad:
            weights = rng.standard_normal(theirs.shape)
            for lib, out in ((fastgrad, g), (torch, e)):
                losses[lib] = losses[lib] + (out * lib.tensor(weights)).sum()
    if isinstance(losses[torch], int) or not gradients:
        return
    try:
        losses[torch].backward()
    except RuntimeError:  # PyTorch's scatter backward passes that fail (see the module docstring)
        return
    losses[fastgrad].backward()
    for ours, theirs in zip(leaves[fastgrad], leaves[torch]):
        if theirs.grad is None:
            assert ours.grad is None or not ours.grad.numpy().any()
            continue
        tol = dict(rtol=2e-5, atol=2e-5) if float32 else dict(rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), equal_nan=True, **tol)


# -- x[key], x[key] = v, x[key] += v, index_put_ ---------------------------------------------------------------------
def draw_key(rng, shape, write: bool) -> list:
    """The parts of a key as (kind, payload), payloads NumPy arrays where tensors go."""
    parts, dim, ellipsis = [], 0, False
    for _ in range(int(rng.integers(1, len(shape) + 2))):
        size = shape[dim] if dim < len(shape) else 1
        kind = ["int", "slice", "none", "ellipsis", "mask", "indices", "indices", "indices", "whole"][rng.integers(9)]
        if kind == "int":
            low, high = -size - int(rng.random() < 0.1), size + int(rng.random() < 0.1)  # out of range at times
            parts.append(("int", int(rng.integers(low, max(high, low + 1)))))
        elif kind == "slice":
            parts.append(("slice", slice(rng.choice([None, 0, 1, -1, -5, 5]), rng.choice([None, 0, 2, -1, 6]),
                                         rng.choice([None, 1, 2, 3]))))
        elif kind == "none":
            parts.append(("none", None))
            continue
        elif kind == "ellipsis":
            if not ellipsis:
                ellipsis = True
                parts.append(("ellipsis", None))
            continue
        elif kind == "mask":
            fill = rng.choice(["random", "false", "true", "0-d", "python"])
            if fill == "python":
                parts.append(("python bool", bool(rng.integers(0, 2))))
                continue
            mask_shape = () if fill == "0-d" else tuple(shape[dim:dim + int(rng.integers(1, 3))])
            parts.append(("mask", {"random": rng.random(mask_shape) < 0.5, "false": np.zeros(mask_shape, bool),
                                   "true": np.ones(mask_shape, bool), "0-d": np.array(rng.random() < 0.5)}[fill]))
            dim += len(mask_shape)
            continue
        elif kind == "indices":
            index_shape = tuple(int(rng.choice([0, 1, 2, 3], p=[0.1, 0.3, 0.3, 0.3]))
                                for _ in range(int(rng.choice([0, 1, 1, 2, 3]))))
            high = size + (rng.random() < 0.08)
            low = -size - (rng.random() < 0.05)
            indices = rng.integers(low, high, index_shape) if high > low else np.zeros(index_shape, int)
            form = ["int64", "int32", "list"][rng.integers(3)]
            if not write and rng.random() < 0.1:
                form, indices = "uint8", np.abs(indices)  # a deprecated mask, in reads
            parts.append(("indices", (indices, form)))
        else:
            parts.append(("whole", slice(None)))
        dim += 1
    return parts


def build_key(lib, parts) -> tuple:
    key = []
    for kind, payload in parts:
        if kind in ("int", "slice", "whole", "python bool"):
            key.append(payload)
        elif kind == "none":
            key.append(None)
        elif kind == "ellipsis":
            key.append(Ellipsis)
        elif kind == "mask":
            key.append(lib.tensor(payload))
        else:
            indices, form = payload
            key.append(indices.tolist() if form == "list" else lib.tensor(indices.astype(form)))
    return tuple(key)


def index_put_key(lib, parts) -> tuple:
    """The tensors of a key, for index_put_ (which takes tensors alone)."""
    return tuple(lib.tensor(payload) if kind == "mask" else lib.tensor(payload[0].astype("int64"))
                 for kind, payload in parts)


@pytest.mark.parametrize("seed", range(6))
def test_indexing_reads_and_writes_match_torch(seed):
    rng = np.random.default_rng(seed)
    for _ in range(300):
        mode = ["read", "read", "set", "add", "index_put", "index_put_accumulate"][rng.integers(6)]
        shape = draw_shape(rng)
        dtype = "float64" if rng.random() < 0.8 else DTYPES[rng.integers(len(DTYPES))]
        array, view = draw_input(rng, shape, dtype)
        parts = draw_key(rng, shape, write=mode != "read")
        if mode.startswith("index_put"):
            parts = [(k, p) for k, p in parts if k == "indices" or (k == "mask" and p.ndim)]
            if not parts:
                continue
        try:
            key_of_torch = index_put_key(torch, parts) if mode.startswith("index_put") else build_key(torch, parts)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result_shape = tuple(view(torch.tensor(array))[key_of_torch].shape)
        except (IndexError, RuntimeError):
            result_shape = (1,)
        value_shape = [result_shape, (), result_shape[1:], tuple(1 if rng.random() < 0.5 else n for n in result_shape),
                       (1,) + result_shape][rng.integers(5)]
        value = draw_values(rng, value_shape, dtype)

        def call(lib, x, v, mode=mode, parts=parts, view=view):
            if mode == "read":
                return view(x)[build_key(lib, parts)]
            y = view(x).clone()
            if mode == "set":
                y[build_key(lib, parts)] = v
            elif mode == "add":
                y[build_key(lib, parts)] += v
            else:
                y.index_put_(index_put_key(lib, parts), v, accumulate=mode == "index_put_accumulate")
            return y

        selects_nothing = 0 in result_shape or any(
            (kind == "mask" and not payload.any()) or (kind == "python bool" and not payload)
            or (kind == "indices" and payload[0].size == 0) for kind, payload in parts)
        assert_same(call, [array, value], selects_nothing=selects_nothing)


# -- gather, scatter, index_*, masks, take, put, where, nonzero, narrow, select, unfold ----------------------------
ALONG_DIM = ["gather", "scatter", "scatter_value", "scatter_add", "scatter_reduce", "take_along_dim"]
ALONG_SLICES = ["index_add", "index_copy", "index_fill", "index_select"]
MASKED = ["masked_select", "masked_scatter", "masked_fill", "where", "where_number"]
FLAT = ["take", "put", "put_accumulate"]
NO_INDEX = ["nonzero", "nonzero_tuple", "argwhere", "narrow", "select", "unfold"]


def along_dim_case(rng, op, shape, dtype, dim, size):
    axis = dim % max(len(shape), 1)
    index_shape = tuple(int(rng.integers(0, (n if d != axis else 4) + 1)) for d, n in enumerate(shape))
    if op == "take_along_dim" and rng.random() < 0.5:
        index_shape = tuple(1 if rng.random() < 0.5 else n for n in shape)
    out_of_range = op != "take_along_dim" and rng.random() < 0.07
    index = rng.integers(-out_of_range, size + out_of_range, index_shape) if size + out_of_range else \
        np.zeros(index_shape, int)
    reduce, include_self = rng.choice(["sum", "prod", "mean", "amax", "amin"]), bool(rng.integers(0, 2))
    source_shape = tuple(n + int(rng.integers(0, 2)) * (op != "scatter_reduce") for n in index_shape)
    source = draw_values(rng, source_shape, dtype)
    if op == "scatter_reduce" and reduce in ("amax", "amin") and dtype.startswith("float"):
        source = source + 0.5 + 0.01 * rng.random(source_shape)  # no ties with x (see the module docstring)
    index_dtype = "int64" if op == "take_along_dim" else ["int64", "int32"][rng.integers(2)]

    def call(lib, x, s):
        i = lib.tensor(index.astype(index_dtype))
        if op == "gather":
            return lib.gather(x, dim, i)
        if op == "scatter":
            return x.scatter(dim, i, s)
        if op == "scatter_value":
            return x.scatter(dim, i, 2.0 if dtype.startswith("float") else 2)
        if op == "scatter_add":
            return x.scatter_add(dim, i, s)
        if op == "scatter_reduce":
            return x.scatter_reduce(dim, i, s, reduce, include_self=include_self)
        return lib.take_along_dim(x, i, dim=dim)

    return call, [source]


def along_slices_case(rng, op, shape, dtype, dim, size):
    out_of_range = rng.random() < 0.07
    count = int(rng.integers(0, 5))
    index_shape = (count,) if rng.random() < 0.85 else ()
    index = rng.integers(-out_of_range, size + out_of_range, index_shape) if size + out_of_range else \
        np.zeros(index_shape, int)
    source_shape = list(shape)
    if shape:
        source_shape[dim % len(shape)] = index.size
    source = draw_values(rng, tuple(source_shape), dtype)
    alpha = rng.choice([1, 2, 0.5]) if dtype.startswith("float") else int(rng.choice([1, 2]))
    index_dtype = ["int64", "int32"][rng.integers(2)]

    def call(lib, x, s):
        i = lib.tensor(index.astype(index_dtype))
        if op == "index_add":
            return x.index_add(dim, i, s, alpha=alpha)
        if op == "index_copy":
            return x.index_copy(dim, i, s)
        if op == "index_fill":
            return x.index_fill(dim, i, -1.5 if dtype.startswith("float") else 3)
        return lib.index_select(x, dim, i)

    return call, [source]


def masked_case(rng, op, shape, dtype):
    mask_shape = tuple(n if rng.random() < 0.7 else 1 for n in shape)[int(rng.integers(0, len(shape) + 1)):]
    mask = rng.random(mask_shape) < rng.choice([0.0, 0.5, 1.0])
    source = draw_values(rng, shape if rng.random() < 0.7 else (int(np.prod(shape)) + 1,), dtype)
    other = draw_values(rng, shape if rng.random() < 0.5 else (), "float64" if rng.random() < 0.8 else dtype)

    def call(lib, x, s, o):
        m = lib.tensor(mask)
        if op == "masked_select":
            return lib.masked_select(x, m)
        if op == "masked_scatter":
            return x.masked_scatter(m, s)
        if op == "masked_fill":
            return x.masked_fill(m, -2.5 if dtype.startswith("float") else 3)
        if op == "where":
            return lib.where(m, x, o)
        return lib.where(m, x, 1.5)

    return call, [source, other]


def flat_case(rng, op, shape, dtype):
    numel = int(np.prod(shape))
    out_of_range = rng.random() < 0.07
    index_shape = tuple(int(n) for n in rng.integers(0, 3, int(rng.integers(0, 3))))
    index = rng.integers(-numel - out_of_range, numel + out_of_range, index_shape) if numel + out_of_range else \
        np.zeros(index_shape, int)
    source = draw_values(rng, index_shape, dtype)

    def call(lib, x, s):
        if op == "take":
            return lib.take(x, lib.tensor(index))
        return x.put(lib.tensor(index), s, accumulate=op == "put_accumulate")

    return call, [source]


def no_index_case(rng, op, dim, size):
    start, length = int(rng.integers(-size - 1, size + 2)), int(rng.integers(0, size + 2))
    step = int(rng.integers(1, 3))

    def call(lib, x):
        if op == "nonzero":
            return lib.nonzero(x)
        if op == "nonzero_tuple":
            return lib.nonzero(x, as_tuple=True)
        if op == "argwhere":
            return lib.argwhere(x)
        if op == "narrow":
            return lib.narrow(x, dim, start, length)
        if op == "select":
            return lib.select(x, dim, start)
        return x.unfold(dim, length, step)

    return call, []


@pytest.mark.parametrize("seed", range(6))
def test_index_ops_match_torch(seed):
    rng = np.random.default_rng(100 + seed)
    ops = ALONG_DIM + ALONG_SLICES + MASKED + FLAT + NO_INDEX
    for _ in range(300):
        op = ops[rng.integers(len(ops))]
        shape = draw_shape(rng)
        dtype = "float64" if rng.random() < 0.75 else DTYPES[rng.integers(len(DTYPES))]
        array, view = draw_input(rng, shape, dtype)
        dim = int(rng.integers(-max(len(shape), 1), max(len(shape), 1)))
        size = shape[dim % len(shape)] if shape else 1
        if op in ALONG_DIM:
            call, more = along_dim_case(rng, op, shape, dtype, dim, size)
        elif op in ALONG_SLICES:
            if not shape:
                continue  # (0-d inputs: see the module docstring)
            call, more = along_slices_case(rng, op, shape, dtype, dim, size)
        elif op in MASKED:
            call, more = masked_case(rng, op, shape, dtype)
        elif op in FLAT:
            call, more = flat_case(rng, op, shape, dtype)
        else:
            call, more = no_index_case(rng, op, dim, size)
        assert_same(lambda lib, x, *rest, call=call, view=view: call(lib, view(x), *rest), [array, *more])


# -- reductions and scans along dims ---------------------------------------------------------------------------------
REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "logsumexp", "norm", "var",
              "std", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "nansum", "nanmean", "all", "any",
              "count_nonzero", "max_all", "min_all"]
ONE_DIM = {"max", "min", "argmax", "argmin", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"}
NO_KEEPDIM = {"cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "count_nonzero"}


def draw_dim(rng, op, ndim):
    """None, a tuple (possibly empty) or an int, within range (an out-of-range dim is refused by both)."""
    span = max(ndim, 1)
    choice = rng.integers(0, 5)
    if choice == 0 and op not in ONE_DIM:
        return None
    if choice == 1 and op not in ONE_DIM and op != "logsumexp":
        count = int(rng.integers(0, span + 1))
        return tuple(int(d) for d in rng.choice(np.arange(-span, span), size=count, replace=False)
                     if ndim or d in (0, -1))[:span]
    return int(rng.integers(-span, span)) if rng.random() > 0.05 else span


def reduced_count(shape: tuple, dim) -> int:
    """How many elements each result of a reduction over dim gathers (0 for a dim out of range, which is refused)."""
    dims = range(len(shape)) if dim in (None, ()) else [dim] if isinstance(dim, int) else dim
    try:
        return int(np.prod([shape[d] for d in dims])) if shape else 1
    except IndexError:
        return 0


@pytest.mark.parametrize("seed", range(6))
def test_reductions_along_dims_match_torch(seed):
    rng = np.random.default_rng(200 + seed)
    for _ in range(300):
        op = REDUCTIONS[rng.integers(len(REDUCTIONS))]
        shape = draw_shape(rng)
        dtype = DTYPES[rng.integers(len(DTYPES))]
        array, view = draw_input(rng, shape, dtype, special=True)
        dim = draw_dim(rng, op, len(shape))
        if isinstance(dim, tuple) and len({d % max(len(shape), 1) for d in dim}) != len(dim):
            continue  # (a dim named twice: see the module docstring)
        kwargs = {} if dim is None else {"dim": dim}
        if dim is not None and op not in NO_KEEPDIM:
            kwargs["keepdim"] = bool(rng.integers(0, 2))
        if op in ("var", "std") and rng.random() < 0.5:
            kwargs["correction"] = int(rng.integers(0, 3))
        if op == "norm":
            kwargs["p"] = rng.choice([1.0, 2.0, 3.0, float("inf"), float("-inf"), 0.0])
        if op in ("cumsum", "cumprod") and dim is None:
            kwargs["dim"] = 0
        if op in ("sum", "prod", "mean", "cumsum", "nansum", "nanmean") and rng.random() < 0.15:
            kwargs["dtype"] = "float64"

        def call(lib, x, op=op, kwargs=kwargs, view=view):
            if op in ("max_all", "min_all"):
                return getattr(view(x), op[:3])()
            if "dtype" in kwargs:
                kwargs = dict(kwargs, dtype=getattr(lib, kwargs["dtype"]))
            return getattr(lib, op)(view(x), **kwargs)

        finite = bool(np.isfinite(array).all())
        expanded = array.size < np.prod(shape)  # equal values, whose mean PyTorch may round: see the docstring
        degrees_of_freedom = reduced_count(shape, dim) - kwargs.get("correction", 1)
        assert_same(call, [array], gradients=(op not in ("prod", "cumprod", "var", "std", "norm") or finite)
                    and not (op in ("var", "std") and (dim == () or degrees_of_freedom <= 0 or expanded)))


def test_max_along_a_dim_routes_the_gradient_to_its_index_and_amax_splits_it_among_ties():
    x = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 0.0]])
    assert_same(lambda lib, t: t.max(dim=1), [x])
    assert_same(lambda lib, t: t.amax(dim=1), [x])
    assert_same(lambda lib, t: t.min(dim=0, keepdim=True), [x])
    assert_same(lambda lib, t: lib.amin(t, dim=(0, 1)), [x])

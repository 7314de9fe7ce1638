"""A seeded differential fuzz of reductions, scans, sorts and counts against PyTorch.

Each case draws a tensor (0-d to 3-d, sizes 0 to 4; float32, float64, int64, int32, uint8, bool; contiguous or
transposed) whose values are small integers most of the time, so that ties are common, with NaN, infinities and -0.0
now and then, and runs one op in both libraries with random arguments: dim as None, an int, a negative int, a tuple
or out of range, keepdim, dtype=, correction/unbiased, norm orders (0, inf, -inf, fractional), k, largest, sorted,
stable, descending, return_inverse/return_counts. Where PyTorch returns, fastgrad must give the same number of
outputs with the same dtypes, shapes and values (integers and indices exactly, floats NaN-aware to a tolerance),
and, for float inputs that require grad, the same gradient of a random weighting of the float outputs; where PyTorch
raises, fastgrad must raise an exception of the same built-in type. Indices are compared exactly where PyTorch
promises which of equal elements it names (max/min with a dim and argmax/argmin: the first; sort/argsort with
stable=True; cummax/cummin as PyTorch defines them), and so is the element a tie routes the gradient to. Where it
promises none (kthvalue, topk, sort/argsort with stable=False, median/nanmedian with a dim, mode) the values are
compared exactly (topk's with sorted=False as a set per line: no order is promised either) and fastgrad's indices
checked to name elements equal to them, distinct within a line for topk and sort (tests.ops.tied_picks), and the
gradient compared is the one fastgrad's indices imply. The ops: sum, mean, prod, amax, amin, max/min (with and
without dim), argmax/argmin, aminmax, std, var, std_mean, var_mean, norm, linalg.vector_norm, logsumexp, nansum,
nanmean, median, nanmedian, mode, kthvalue, topk, sort, argsort, msort, cumsum, cumprod, cummax, cummin,
logcumsumexp, all, any, count_nonzero, unique, unique_consecutive, bincount and histc.

Left out, as PyTorch 2.13's defects or fastgrad's deliberate choices: fastgrad's refusals (FASTGRAD_REFUSALS) and its
IndexError for a dim out of range of an empty tensor whose result is empty (PyTorch leaves that dim unchecked); the
gradients of prod, cumprod and the norms beside an infinity or NaN (UNMATCHED_GRADIENTS_BESIDE_INF_OR_NAN); the
gradients of var/std/var_mean/std_mean over dim=() (PyTorch's forward reduces every dim, its backward none); the mean
of var_mean/std_mean beside an infinity (PyTorch's Welford update gives NaN or the infinity by the infinity's place
in the line: inf - inf once another element follows it); unique's outputs where NaNs are (each NaN is a value of its
own, ordered by PyTorch's unstable sort, and its slices with dim= are sorted by a comparison NaN breaks); amax/amin
of an empty tensor over a dim named twice (PyTorch names the empty dim, an IndexError; fastgrad the repeat, a
RuntimeError). Where a keyword argument has no dim beside it (sum(x, keepdim=True), prod(x, dim=None),
std(x, unbiased=False, keepdim=True)) PyTorch's argument parser refuses the call: the fuzz does not draw those."""
import warnings
from typing import NamedTuple

import numpy as np
import pytest

import fastgrad

from tests.ops.tied_picks import assert_same_values, assert_valid_picks, implied_values, picks
from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")

# fastgrad's deliberate refusals where PyTorch returns: the median of no elements (PyTorch's is NaN, or an arbitrary
# number for integers and bools), the mode of a line holding NaN (where PyTorch counts NaN depends on its sort),
# bincount's weights of another length than an empty input (PyTorch checks them only when there is something to count)
FASTGRAD_REFUSALS = ("median of an empty tensor is undefined", "median: bool tensors are not supported",
                     "fastgrad's mode does not define where NaN counts", "weights must be a 1-D tensor of the input's")
# gradients left uncompared beside an infinity or NaN: prod's and cumprod's (PyTorch divides the product by x, which
# gives NaN where fastgrad gives each element the exact product of the others), the norms' (PyTorch's NaN norm makes
# every slope of its line NaN, and its inf norm sends a NaN line's gradient nowhere)
UNMATCHED_GRADIENTS_BESIDE_INF_OR_NAN = ("prod", "cumprod", "norm", "vector_norm")
DTYPES = ["float64", "float64", "float32", "float32", "int64", "int32", "uint8", "bool"]
SPECIALS = [np.nan, np.inf, -np.inf, -0.0]


class FreeIndices(NamedTuple):
    """Where an op's outputs hold indices whose choice among ties PyTorch leaves open (see tests.ops.tied_picks):
    their position, the position of the values beside them (None for argsort), the dim they run along, whether the
    op removed that dim (kthvalue, median and mode without keepdim), whether a line's indices are distinct, whether
    PyTorch promises the values' order (not topk's with sorted=False)."""
    indices: int
    values: int | None
    dim: int
    squeezed: bool
    distinct: bool
    ordered: bool = True


def free_indices(op: str, kwargs: dict) -> FreeIndices | None:
    """kthvalue's, topk's, mode's, median's and nanmedian's with a dim, and sort's and argsort's unless stable (PyTorch
    promises the first occurrence for max/min/argmax/argmin, and defines cummax/cummin's: those are compared)."""
    dim, squeezed = kwargs.get("dim", -1), not kwargs.get("keepdim", False)
    if op in ("kthvalue", "mode") or (op in ("median", "nanmedian") and "dim" in kwargs):
        return FreeIndices(1, 0, dim, squeezed, distinct=False)
    if op == "topk" or (op == "sort" and not kwargs["stable"]):
        return FreeIndices(1, 0, dim, squeezed=False, distinct=True, ordered=kwargs.get("sorted", True))
    if op == "argsort" and not kwargs["stable"]:
        return FreeIndices(0, None, dim, squeezed=False, distinct=True)
    return None


def draw_shape(rng) -> tuple:
    return tuple(int(rng.choice([0, 1, 2, 3, 4], p=[0.08, 0.2, 0.24, 0.24, 0.24]))
                 for _ in range(int(rng.choice([0, 1, 1, 2, 2, 3]))))


def draw_values(rng, shape: tuple, dtype: str) -> np.ndarray:
    """Small integers (ties) most of the time, normals otherwise; for floats a NaN, infinity or -0.0 now and then."""
    n = int(np.prod(shape))
    if dtype == "bool":
        return (rng.random(n) < 0.5).reshape(shape)
    if dtype != "float32" and dtype != "float64":
        return rng.integers(0 if dtype == "uint8" else -3, 4, n).astype(dtype).reshape(shape)
    values = rng.integers(-2, 3, n).astype(float) if rng.random() < 0.7 else rng.standard_normal(n)
    if n and rng.random() < 0.3:
        values[rng.integers(0, n, int(rng.integers(1, 3)))] = rng.choice(SPECIALS)
    return values.reshape(shape).astype(dtype)


def outputs(result) -> list:
    if isinstance(result, (tuple, list)):
        return list(result)
    return [result]


def same_dtype(ours, theirs) -> bool:
    return str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def assert_same(call, array: np.ndarray, transposed: bool = False, where: str = "", *, gradients: bool = True,
                unchecked: tuple = (), free: FreeIndices | None = None) -> None:
    """call(lib, x) in both libraries (x requiring grad when it is float): see the module docstring. Without
    `gradients` the values alone are compared; the outputs at the positions `unchecked` are compared in dtype and
    shape alone; with `free`, the indices at its position are checked as tests.ops.tied_picks does, the values
    beside them compared exactly (as a set per line when not `ordered`), and their gradient is the one fastgrad's
    indices imply."""
    leaves = {lib: lib.tensor(array, requires_grad=array.dtype.kind == "f") for lib in (fastgrad, torch)}
    inputs = {lib: leaf.transpose(0, 1) if transposed else leaf for lib, leaf in leaves.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (degrees of freedom, deprecated forms)
        theirs = outcome(lambda: outputs(call(torch, inputs[torch])))
        ours = outcome(lambda: outputs(call(fastgrad, inputs[fastgrad])))
    message = f"{where}: fastgrad {ours!r}, PyTorch {theirs!r}"
    if isinstance(theirs, Raised):
        assert isinstance(ours, Raised) and same_exception_type(ours, theirs), message
        return
    if isinstance(ours, Raised):
        empty = all(e.numel() == 0 for e in theirs)  # (PyTorch leaves the dim of an empty result unchecked)
        assert (empty and isinstance(ours.error, IndexError)) or any(
            refusal in str(ours.error) for refusal in FASTGRAD_REFUSALS), message
        return
    assert len(ours) == len(theirs), message
    # float32 anywhere (input or result) rounds the results and gradients to its precision
    float32 = array.dtype == np.float32 or any(e.dtype == torch.float32 for e in theirs)
    tolerance = dict(rtol=1e-4, atol=1e-5) if float32 else dict(rtol=1e-9, atol=1e-10)
    rng = np.random.default_rng(len(where))
    losses = {fastgrad: 0, torch: 0}
    for position, (g, e) in enumerate(zip(ours, theirs)):
        assert tuple(g.shape) == tuple(e.shape) and same_dtype(g, e), message
        got, expected = g.detach().numpy(), e.detach().numpy()
        if position in unchecked:
            pass
        elif free is not None and position == free.indices:
            x = inputs[torch].detach().numpy()
            values = (ours[free.values].detach().numpy() if free.values is not None
                      else picks(x, expected, free.dim, free.squeezed))  # (argsort: the values its indices sort)
            assert_valid_picks(x, got, values, free.dim, free.squeezed, free.distinct, message)
        elif free is not None and position == free.values:
            assert_same_values(got, expected, free.dim, free.ordered, message)
            if e.requires_grad:  # (the gradient of the elements fastgrad picked)
                e = implied_values(torch, inputs[torch], ours[free.indices].numpy(), free.dim, free.squeezed)
        elif expected.dtype.kind in "biu":
            np.testing.assert_array_equal(got, expected, err_msg=message)
        else:
            np.testing.assert_allclose(got, expected, equal_nan=True, err_msg=message, **tolerance)
        assert bool(g.requires_grad) == e.requires_grad, message
        if e.requires_grad:
            weights = rng.standard_normal(expected.shape)
            for lib, out in ((fastgrad, g), (torch, e)):
                losses[lib] = losses[lib] + (out * lib.tensor(weights, dtype=out.dtype)).sum()
    if isinstance(losses[torch], int) or not gradients:
        return
    theirs = outcome(losses[torch].backward)
    ours = outcome(losses[fastgrad].backward)
    message = f"gradient {message}"
    if isinstance(theirs, Raised):  # (unique has no derivative)
        assert isinstance(ours, Raised) and same_exception_type(ours, theirs), message
        return
    assert not isinstance(ours, Raised), message
    if leaves[torch].grad is None:  # (PyTorch's 0-norm sends none)
        assert leaves[fastgrad].grad is None or not leaves[fastgrad].grad.numpy().any(), message
        return
    np.testing.assert_allclose(leaves[fastgrad].grad.numpy(), leaves[torch].grad.numpy(), equal_nan=True,
                               err_msg=message, **tolerance)


# -- the cases: op -> (call, description) for a random drawing of its arguments --------------------------------------
def draw_dim(rng, ndim: int, *, tuples: bool = True, none: bool = True):
    """None, a tuple (possibly empty, at times naming a dim twice), an int or negative int, or an out-of-range int."""
    span = max(ndim, 1)
    choice = rng.random()
    if none and choice < 0.15:
        return None
    if tuples and choice < 0.35:
        count = int(rng.integers(0, span + 1))
        dims = [int(d) for d in rng.choice(np.arange(-span, span), size=count, replace=False)]
        if dims and rng.random() < 0.05:
            dims.append(dims[0] if rng.random() < 0.5 else dims[0] - span if dims[0] >= 0 else dims[0] + span)
        return tuple(dims)
    if rng.random() < 0.04:
        return span if rng.random() < 0.5 else -span - 1
    return int(rng.integers(-span, span))


def reduce_case(rng, op, ndim, dtype):
    """sum, mean, prod, amax, amin, nansum, nanmean, logsumexp, all, any, count_nonzero: dim, keepdim, dtype=."""
    kwargs = {}
    dim = draw_dim(rng, ndim, tuples=op != "prod", none=op not in ("logsumexp",))
    if dim is not None or (op != "prod" and rng.random() < 0.3):
        kwargs["dim"] = dim
    if "dim" in kwargs and op != "count_nonzero" and rng.random() < 0.5:
        kwargs["keepdim"] = bool(rng.integers(0, 2))
    if op in ("sum", "mean", "prod", "nansum", "nanmean") and rng.random() < 0.25:
        kwargs["dtype"] = str(rng.choice(["float64", "float32", "int64", "int32"]))
    form = rng.choice(["function", "method"])

    def call(lib, x):
        given = {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}
        return getattr(lib, op)(x, **given) if form == "function" else getattr(x, op)(**given)

    return call, f"{form} {op}(**{kwargs})", kwargs


def extremum_case(rng, op, ndim, dtype):
    """max/min with no dim, with a dim (values and indices), or with another tensor; argmax/argmin; aminmax."""
    if op in ("max", "min") and rng.random() < 0.3:
        return (lambda lib, x: getattr(lib, op)(x)), f"{op}()", {}
    kwargs = {"dim": draw_dim(rng, ndim, tuples=False, none=op in ("argmax", "argmin", "aminmax"))}
    if kwargs["dim"] is None and rng.random() < 0.5:
        del kwargs["dim"]
    if rng.random() < 0.6:
        kwargs["keepdim"] = bool(rng.integers(0, 2))
    return (lambda lib, x: getattr(lib, op)(x, **kwargs)), f"{op}(**{kwargs})", kwargs


def spread_case(rng, op, ndim, dtype):
    """std, var, std_mean, var_mean: dim, keepdim, correction or unbiased (positionally at times)."""
    kwargs = {}
    dim = draw_dim(rng, ndim)
    if dim is not None or rng.random() < 0.3:
        kwargs["dim"] = dim
    if "dim" in kwargs and rng.random() < 0.5:
        kwargs["keepdim"] = bool(rng.integers(0, 2))
    spread = rng.random()
    if spread < 0.35:
        kwargs["correction"] = int(rng.integers(0, 3)) if rng.random() < 0.8 else float(rng.choice([0.5, 1.5]))
    elif spread < 0.6:
        kwargs["unbiased"] = bool(rng.integers(0, 2))
    return (lambda lib, x: getattr(lib, op)(x, **kwargs)), f"{op}(**{kwargs})", kwargs


def norm_case(rng, op, ndim, dtype):
    """norm(p, dim, keepdim) and linalg.vector_norm(ord, dim, keepdim, dtype=)."""
    order = float(rng.choice([0.0, 1.0, 2.0, 3.0, 0.5, 1.5, -1.0, -0.5, np.inf, -np.inf]))
    kwargs = {}
    dim = draw_dim(rng, ndim)
    if dim is not None or rng.random() < 0.3:
        kwargs["dim"] = dim
    if rng.random() < 0.5:
        kwargs["keepdim"] = bool(rng.integers(0, 2))
    if op == "vector_norm":
        dtype_of_result = str(rng.choice(["float64", "float32"])) if rng.random() < 0.2 else None

        def call(lib, x):
            given = dict(kwargs, dtype=getattr(lib, dtype_of_result)) if dtype_of_result else kwargs
            return lib.linalg.vector_norm(x, order, **given)

        return call, f"linalg.vector_norm({order}, dtype={dtype_of_result}, **{kwargs})", kwargs
    return (lambda lib, x: lib.norm(x, order, **kwargs)), f"norm({order}, **{kwargs})", kwargs


def order_statistic_case(rng, op, ndim, dtype):
    """median/nanmedian (no dim, or a dim), mode, kthvalue(k): values and indices."""
    if op in ("median", "nanmedian") and rng.random() < 0.3:
        return (lambda lib, x: getattr(lib, op)(x)), f"{op}()", {}
    kwargs = {}
    if op != "mode" or rng.random() < 0.8:
        kwargs["dim"] = draw_dim(rng, ndim, tuples=False, none=False)
    if rng.random() < 0.6:
        kwargs["keepdim"] = bool(rng.integers(0, 2))
    if op == "kthvalue":
        k = int(rng.integers(0, 6))
        return (lambda lib, x: lib.kthvalue(x, k, **kwargs)), f"kthvalue({k}, **{kwargs})", kwargs
    return (lambda lib, x: getattr(lib, op)(x, **kwargs)), f"{op}(**{kwargs})", kwargs


def sorting_case(rng, op, ndim, dtype):
    """topk(k, dim, largest, sorted), sort/argsort(dim, descending, stable), msort."""
    if op == "msort":
        return (lambda lib, x: lib.msort(x)), "msort()", {}
    kwargs = {}
    if rng.random() < 0.8:
        kwargs["dim"] = draw_dim(rng, ndim, tuples=False, none=False)
    if op == "topk":
        k = int(rng.integers(0, 5))
        for flag in ("largest", "sorted"):
            if rng.random() < 0.5:
                kwargs[flag] = bool(rng.integers(0, 2))
        return (lambda lib, x: lib.topk(x, k, **kwargs)), f"topk({k}, **{kwargs})", kwargs
    if rng.random() < 0.6:
        kwargs["descending"] = bool(rng.integers(0, 2))
    stable = bool(rng.integers(0, 2))
    return ((lambda lib, x: getattr(lib, op)(x, stable=stable, **kwargs)), f"{op}(stable={stable}, **{kwargs})",
            dict(kwargs, stable=stable))


def scan_case(rng, op, ndim, dtype):
    """cumsum/cumprod (dtype=), cummax, cummin, logcumsumexp along an int dim."""
    dim = draw_dim(rng, ndim, tuples=False, none=False)
    kwargs = {}
    if op in ("cumsum", "cumprod") and rng.random() < 0.25:
        kwargs["dtype"] = str(rng.choice(["float64", "float32", "int64"]))
    form = rng.choice(["function", "method"])

    def call(lib, x):
        given = {k: getattr(lib, v) for k, v in kwargs.items()}
        return getattr(lib, op)(x, dim, **given) if form == "function" else getattr(x, op)(dim, **given)

    return call, f"{form} {op}({dim}, **{kwargs})", dict(kwargs, dim=dim)


def unique_case(rng, op, ndim, dtype):
    """unique/unique_consecutive with return_inverse, return_counts and a dim or none."""
    kwargs = {"return_inverse": bool(rng.integers(0, 2)), "return_counts": bool(rng.integers(0, 2))}
    if rng.random() < 0.4:
        kwargs["dim"] = draw_dim(rng, ndim, tuples=False, none=False)
    return (lambda lib, x: getattr(lib, op)(x, **kwargs)), f"{op}(**{kwargs})", kwargs


def counting_case(rng, op, ndim, dtype):
    """bincount(weights, minlength) of 1-d tensors (and at times of others) and histc(bins, min, max)."""
    if op == "histc":
        bins = int(rng.integers(0, 6))
        low, high = [(0, 0), (-1.0, 2.0), (0.0, 1.0), (1.0, 1.0), (2.0, -1.0)][rng.integers(5)]
        return (lambda lib, x: lib.histc(x, bins, low, high)), f"histc({bins}, {low}, {high})", {}
    minlength = int(rng.integers(0, 6)) if rng.random() < 0.95 else -1
    flatten = rng.random() < 0.9
    weights = [None, "float64", "float32", "misfit"][rng.integers(4)]
    weight_values = rng.standard_normal(200)

    def call(lib, x):
        flat = x.reshape(-1) if flatten else x
        if weights is None:
            return lib.bincount(flat, minlength=minlength)
        count = flat.numel() + (weights == "misfit")
        return lib.bincount(flat, lib.tensor(weight_values[:count], dtype=getattr(lib, weights.replace("misfit",
                                                                                                     "float64"))),
                            minlength=minlength)

    return call, f"bincount(minlength={minlength}, weights={weights}, flatten={flatten})", {}


CASES = {
    **dict.fromkeys(["sum", "mean", "prod", "amax", "amin", "nansum", "nanmean", "logsumexp", "all", "any",
                     "count_nonzero"], reduce_case),
    **dict.fromkeys(["max", "min", "argmax", "argmin", "aminmax"], extremum_case),
    **dict.fromkeys(["std", "var", "std_mean", "var_mean"], spread_case),
    **dict.fromkeys(["norm", "vector_norm"], norm_case),
    **dict.fromkeys(["median", "nanmedian", "mode", "kthvalue"], order_statistic_case),
    **dict.fromkeys(["topk", "sort", "argsort", "msort"], sorting_case),
    **dict.fromkeys(["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"], scan_case),
    **dict.fromkeys(["unique", "unique_consecutive"], unique_case),
    **dict.fromkeys(["bincount", "histc"], counting_case),
}
OPS = sorted(CASES)


def run_case(seed: int, case: int) -> None:
    rng = np.random.default_rng([seed, case])
    op = OPS[rng.integers(len(OPS))]
    shape = draw_shape(rng)
    dtype = DTYPES[rng.integers(len(DTYPES))]
    transposed = len(shape) >= 2 and rng.random() < 0.25
    array = draw_values(rng, (shape[1], shape[0]) + shape[2:] if transposed else shape, dtype)
    if op == "bincount" and rng.random() < 0.8:
        array = np.abs(array) if array.dtype.kind in "iu" else array  # (mostly non-negative integers)
    call, description, kwargs = CASES[op](rng, op, len(shape), dtype)
    finite = bool(np.isfinite(array).all()) if array.dtype.kind == "f" else True
    spread = op in ("std", "var", "std_mean", "var_mean")
    gradients = not ((op in UNMATCHED_GRADIENTS_BESIDE_INF_OR_NAN and not finite)
                     or (spread and kwargs.get("dim") == ()))
    unchecked = (1,) if op in ("std_mean", "var_mean") and np.isinf(array).any() else ()
    if op == "unique" and array.dtype.kind == "f" and np.isnan(array).sum() > ("dim" not in kwargs):
        unchecked = (0, 1, 2)
    dims = kwargs.get("dim")
    if op in ("amax", "amin") and not array.size and isinstance(dims, tuple) and len(
            {d % max(len(shape), 1) for d in dims}) < len(dims):
        return  # (a dim named twice in an empty tensor: see the module docstring)
    assert_same(call, array, transposed,
                f"seed {seed} case {case}: {description} of {dtype} {'transposed ' if transposed else ''}{array!r}",
                gradients=gradients, unchecked=unchecked, free=free_indices(op, kwargs))


@pytest.mark.parametrize("seed", range(8))
def test_reductions_scans_and_sorts_match_torch(seed):
    for case in range(150):
        run_case(seed, case)

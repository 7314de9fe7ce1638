"""Creation functions (`fastgrad.tensor`, `zeros`, `arange`, `rand`, ...), as in PyTorch."""
from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np

from fastgrad.autograd.grad_mode import is_grad_enabled
from fastgrad.autograd.graph import apply
from fastgrad.dtypes import (as_dtype, checked_cast, dtype_or_default, float64, get_default_dtype, int64,
                             promote_types, scalar_dtype, supported)
from fastgrad.keyword_names import take_torch_keywords
from fastgrad.memory_formats import check_memory_format, contiguous_format, laid_out, preserve_format
from fastgrad.ops.assign import RandomFill
from fastgrad.random import GENERATOR, rng_of
from fastgrad.strided_views import overlaps_itself
from fastgrad.tensor import Tensor, check_device, strided
from fastgrad.tensor_methods.arguments import (broadcast_error, int_arg, number_of_dtype, real_arg, size_arg,
                                              torch_number)
from fastgrad.tensor_methods.shape import _int_sequence


def tensor(data: Any, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data`. As in PyTorch, Python floats take the default dtype and ints
    int64, while arrays, tensors and NumPy scalars keep their dtype; a list's items promote one another."""
    check_device("tensor", device)
    array = np.array(data._data if isinstance(data, Tensor) else data)
    if dtype is None and array.dtype.kind in "biuf":
        dtype = _inferred_dtype(data)
    elif dtype is not None and not isinstance(data, (np.ndarray, Tensor)):  # (arrays are cast as NumPy casts)
        array = checked_cast(array, as_dtype(dtype), "tensor")  # numbers: as PyTorch, none wraps around
    return Tensor._from_data(array, dtype=dtype, requires_grad=requires_grad)


_PYTHON_NUMBERS = (bool, int, float)


def _inferred_dtype(data) -> np.dtype:
    """The dtype torch.tensor(data) takes: an array's, a tensor's or a NumPy scalar's own, a Python number's
    scalar_dtype; in a list, every item's promoted together by PyTorch's rules ([np.float32(1), 2.5] is
    float32 under the default float32, where NumPy makes it float64). Numbers and NumPy scalars are read by
    their types, one pass in C per level of the list; only nested items are visited one by one."""
    if isinstance(data, (np.ndarray, np.generic, Tensor)):
        return data.dtype
    if isinstance(data, _PYTHON_NUMBERS):  # (their subclasses too)
        return scalar_dtype(data)
    if not isinstance(data, (list, tuple, range)):  # another array-like: as NumPy reads it
        return np.asarray(data).dtype
    types = set(map(type, data))
    dtypes = {scalar_dtype(kind()) if kind in _PYTHON_NUMBERS else np.dtype(kind)
              for kind in types if kind in _PYTHON_NUMBERS or issubclass(kind, np.generic)}
    nested = {kind for kind in types if kind not in _PYTHON_NUMBERS and not issubclass(kind, np.generic)}
    if nested:
        dtypes |= {_inferred_dtype(item) for item in data if type(item) in nested}
    return functools.reduce(promote_types, dtypes) if dtypes else get_default_dtype()


def as_tensor(data: Any, dtype=None, device=None) -> Tensor:
    """data as a tensor, without a copy where none is needed, as torch.as_tensor: a tensor of the asked
    dtype is returned as it is, and a NumPy array of it shares its memory (as from_numpy); anything else
    (a list, or a different dtype) is converted into a new tensor, like `tensor(data, dtype)`."""
    check_device("as_tensor", device)
    if isinstance(data, Tensor):
        return data if dtype is None or as_dtype(dtype) == data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or as_dtype(dtype) == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    supported(array.dtype, "from_numpy: an array of dtype")
    return Tensor._wrap(array, False, None)


def _filled(fill, size, dtype, requires_grad) -> Tensor:
    return Tensor._from_data(fill(size_arg(size), dtype=dtype_or_default(dtype)), requires_grad=requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device("zeros", device)
    return _filled(np.zeros, size, dtype, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device("ones", device)
    return _filled(np.ones, size, dtype, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, memory_format=contiguous_format) -> Tensor:
    check_device("empty", device)
    out = _filled(np.zeros, size, dtype, requires_grad)
    return _in_format("empty", out, out, check_memory_format("empty", memory_format, out.shape))


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device("full", device)
    fill_value = torch_number(fill_value)  # (np.True_ is the float PyTorch reads: full((2,), np.True_) is 1.0s)
    numbers = (bool, int, float, np.bool_, np.integer, np.floating)
    if dtype is None:  # a NumPy scalar counts as the Python number it holds, as in PyTorch (np.float32: the default)
        dtype = scalar_dtype(fill_value) if isinstance(fill_value, numbers) else np.asarray(fill_value).dtype
    if isinstance(fill_value, numbers):  # (NaN or 300 into an integer dtype raise, never wrap around)
        fill_value = number_of_dtype("full", fill_value, as_dtype(dtype))
    return Tensor._from_data(np.full(size_arg((size,)), fill_value, dtype=as_dtype(dtype)), requires_grad=requires_grad)


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False, *,
               memory_format=preserve_format) -> Tensor:
    check_device("zeros_like", device)
    out = Tensor._from_data(np.zeros(t.shape, dtype=as_dtype(dtype) if dtype else t.dtype), requires_grad=requires_grad)
    return _like("zeros_like", out, t, memory_format)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False, *,
              memory_format=preserve_format) -> Tensor:
    check_device("ones_like", device)
    out = Tensor._from_data(np.ones(t.shape, dtype=as_dtype(dtype) if dtype else t.dtype), requires_grad=requires_grad)
    return _like("ones_like", out, t, memory_format)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """start, start + step, ... short of end, as torch.arange. Integer dtypes count in int64 (smaller ones wrap
    around, as PyTorch's); int64 cuts fractional start, end and step to integers first, as PyTorch does, and the
    smaller integer dtypes refuse them (PyTorch takes its length from the numbers as given and its values from
    the cut ones: arange(-1, 1, 0.2, dtype=int32) is ten -1s there). Floating values are PyTorch's to the bit
    (_floating_range)."""
    check_device("arange", device)
    for value in (start, end, step):
        if isinstance(value, Tensor) and value.ndim:
            raise TypeError(f"arange: start, end and step must be numbers or 0-d tensors, got shape {value.shape}")
    # a 0-d tensor is its number, float or int (NumPy would read a float tensor as an int's range)
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, (float, np.floating)) for v in (start, end, step))
        dtype = get_default_dtype() if is_float else int64
    dtype = as_dtype(dtype)
    bounds = [_range_number(value, label) for label, value in (("start", start), ("end", end), ("step", step))]
    if not all(math.isfinite(value) for value in bounds):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end} (step {step})")
    if dtype.kind == "b":
        raise NotImplementedError("arange: not implemented for bool (as PyTorch's)")
    if dtype.kind in "iu" and not all(isinstance(value, int) or value.is_integer() for value in bounds):
        if dtype != int64:
            raise ValueError(f"arange: start, end and step must be whole numbers for dtype {dtype}, got {start}, {end}, "
                             f"{step}; use int64 (which cuts them to integers, as PyTorch) or a floating dtype")
        bounds = [math.trunc(value) for value in bounds]
    start, end, step = bounds
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign (from {start} to {end} "
                           f"by {step})")
    if dtype.kind == "f":
        values = _floating_range(float(start), float(end), float(step), dtype)
    else:
        values = np.arange(int(start), int(end), int(step), dtype=np.int64).astype(dtype)
    return Tensor._from_data(values, requires_grad=requires_grad)


def _range_number(value, label: str) -> int | float:
    """arange's start, end or step: an int stays exact (2**60 + 1 has no float), a bool counts as 0 or 1 and a
    float stays a float, as PyTorch reads them."""
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    raise TypeError(f"arange(): argument '{label}' must be a number, got {type(value).__name__}")


def _floating_range(start: float, end: float, step: float, dtype: np.dtype) -> np.ndarray:
    """arange's floating values as PyTorch's CPU kernel makes them, to the bit: in blocks of SIMD lanes (4
    float64 or 8 float32, two blocks at a time), each block's base start + step * i in float64, rounded to
    dtype, then base + j * step for its lanes; the elements after the last pair of blocks start + step * i.
    Each of these is a fused multiply-add in float64 (one rounding). (NumPy's arange adds a float32 step in
    float32: 0.1 steps reached 0.90000004 for PyTorch's 0.9.) Above 32,768 elements PyTorch splits the
    range between its threads, each with blocks of its own, so its last bits depend on its thread count."""
    count = math.ceil((end - start) / step)
    lanes = 4 if dtype == np.float64 else 8
    blocked = count - count % (2 * lanes)
    index = np.arange(count, dtype=np.float64)
    lane = index[:blocked] % lanes
    out = np.empty(count, dtype)
    bases = _fused_multiply_add(step, index[:blocked] - lane, start).astype(dtype).astype(np.float64)
    out[:blocked] = _fused_multiply_add(step, lane, bases).astype(dtype)
    out[blocked:] = _fused_multiply_add(step, index[blocked:], start).astype(dtype)
    return out


def _floating(name: str, dtype) -> np.dtype:
    """The dtype of a uniform or normal draw: floating point, as PyTorch requires (an integer dtype would
    truncate the draws, e.g. rand's to all zeros)."""
    dtype = dtype_or_default(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{name}: needs a floating point dtype, got {dtype}; pass dtype=fastgrad.float32")
    return dtype


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1) from fastgrad's seeded generator (or `generator`)."""
    check_device("rand", device)
    return Tensor._from_data(rng_of(generator).random(size_arg(size)), dtype=_floating("rand", dtype),
                             requires_grad=requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal from fastgrad's seeded generator (or `generator`)."""
    check_device("randn", device)
    return Tensor._from_data(rng_of(generator).standard_normal(size_arg(size)), dtype=_floating("randn", dtype),
                             requires_grad=requires_grad)


def _integers(name: str, low, high, shape: tuple, dtype: np.dtype, generator, requires_grad: bool) -> Tensor:
    """Integers uniform in [low, high) of `shape`, checked as PyTorch checks them: int bounds, low < high,
    and both inside `dtype`'s range."""
    for bound_name, bound in (("low", low), ("high", high)):
        if isinstance(bound, bool) or not isinstance(bound, (int, np.integer)):
            raise TypeError(f"{name}: {bound_name} must be an int, got {type(bound).__name__}")
    if low >= high:
        raise ValueError(f"{name}: low must be less than high, got low={low}, high={high}")
    if dtype.kind in "iub":
        smallest, largest = (0, 1) if dtype.kind == "b" else (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
        if low < smallest or high - 1 > largest:
            raise ValueError(f"{name}: [{low}, {high}) does not fit dtype {dtype} (range [{smallest}, {largest}])")
    values = rng_of(generator).integers(low, high, shape)
    return Tensor._from_data(values.astype(dtype), requires_grad=requires_grad)


def randint(low: int, high=None, size=(), *, generator=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform in [low, high), int64 unless `dtype` is given. As in PyTorch, `randint(10, (3,))`
    draws 3 from [0, 10) and `randint(2, 5, (3,))` 3 from [2, 5)."""
    check_device("randint", device)
    if isinstance(high, (tuple, list)):  # PyTorch's randint(high, size)
        if size != ():
            raise TypeError(f"randint: size given twice ({high} and {size})")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    return _integers("randint", low, high, size_arg((size,)), as_dtype(dtype) if dtype is not None else int64,
                     generator, requires_grad)


def randint_like(input: Tensor, low: int | None = None, high: int | None = None, *, dtype=None, generator=None,
                 device=None, requires_grad: bool = False, memory_format=preserve_format) -> Tensor:
    """Integers uniform in [low, high) in input's shape (and dtype, unless given); `randint_like(x, 10)`
    draws from [0, 10)."""
    check_device("randint_like", device)
    if high is None:
        if low is None:
            raise TypeError("randint_like: missing the upper bound high")
        low, high = 0, low
    low = 0 if low is None else low
    dtype = as_dtype(dtype) if dtype is not None else input.dtype
    out = _integers("randint_like", low, high, input.shape, dtype, generator, requires_grad)
    return _like("randint_like", out, input, memory_format)


def randperm(n: int, *, dtype=int64, generator=None, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0, ..., n-1."""
    check_device("randperm", device)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"randperm: n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    dtype = as_dtype(dtype)
    if dtype.kind not in "iuf":
        raise TypeError(f"randperm: dtype must be an integer or floating point type, got {dtype}")
    largest = np.iinfo(dtype).max if dtype.kind != "f" else 2 ** (np.finfo(dtype).nmant + 1)  # exact integers
    if n - 1 > largest:
        raise ValueError(f"randperm: n={n} is too large for dtype {dtype} (its largest exact value is {largest})")
    return Tensor._from_data(rng_of(generator).permutation(n).astype(dtype), requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False, *,
              memory_format=preserve_format) -> Tensor:
    """A tensor of t's shape filled with `fill_value`, in t's dtype unless `dtype` is given."""
    check_device("full_like", device)
    out = full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)
    return _like("full_like", out, t, memory_format)


def empty_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False, *,
               memory_format=preserve_format) -> Tensor:
    check_device("empty_like", device)
    return _like("empty_like", zeros_like(t, dtype=dtype, requires_grad=requires_grad), t, memory_format)


def _random_like(name: str, draw, t: Tensor, dtype, requires_grad: bool, memory_format) -> Tensor:
    out = Tensor._from_data(draw(t.shape), dtype=_floating(name, dtype or t.dtype), requires_grad=requires_grad)
    return _like(name, out, t, memory_format)


def rand_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False, *,
              memory_format=preserve_format) -> Tensor:
    """Uniform on [0, 1), t's shape and (floating) dtype, from fastgrad's seeded generator."""
    check_device("rand_like", device)
    return _random_like("rand_like", GENERATOR.rng.random, t, dtype, requires_grad, memory_format)


def randn_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False, *,
               memory_format=preserve_format) -> Tensor:
    """Standard normal, t's shape and (floating) dtype, from fastgrad's seeded generator."""
    check_device("randn_like", device)
    return _random_like("randn_like", GENERATOR.rng.standard_normal, t, dtype, requires_grad, memory_format)


def _like(name: str, out: Tensor, t: Tensor, memory_format) -> Tensor:
    """out, just made with t's shape, laid out in `memory_format` (None: preserve_format) with respect to t."""
    return _in_format(name, out, t, check_memory_format(name, memory_format, t.shape, none_is_preserve=True))


def _in_format(name: str, out: Tensor, like: Tensor, memory_format) -> Tensor:
    # out is new and nothing else holds its memory yet, so it can be moved
    out._data = laid_out(out._data, like._data, memory_format)
    return out


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive (the default dtype unless `dtype` says
    otherwise).

    As PyTorch, the first half counts up from start and the second half down from end, so both ends
    are exact, and an integer dtype truncates the ends and the values toward zero. As PyTorch's kernel, a
    floating point dtype's step is computed in that dtype and each value as one fused multiply-add, rounded
    once, so the values are PyTorch's to the bit."""
    check_device("linspace", device)
    steps = int_arg(steps, "linspace: steps")
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    dtype = dtype_or_default(dtype)
    number = dtype.type if dtype.kind == "f" else np.float64
    start, end = (number(float(start)), number(float(end))) if dtype.kind == "f" else (
        number(np.trunc(float(start))), number(np.trunc(float(end))))  # the ends in the dtype first, as PyTorch
    if steps == 1:
        values = np.array([start])
    else:
        step, index = (end - start) / number(steps - 1), np.arange(steps).astype(number)
        values = np.where(index < steps // 2, _fused_multiply_add(step, index, start),
                          _fused_multiply_add(-step, number(steps - 1) - index, end))
    return Tensor._from_data(np.trunc(values) if dtype.kind in "iu" else values, dtype=dtype,
                             requires_grad=requires_grad)


def _fused_multiply_add(a, b: np.ndarray, c) -> np.ndarray:
    """a * b + c rounded once, in b's dtype (float32 or float64), as C's fma, by Boldo and Melquiond's
    emulation (2008): the sum rounded to odd in a wider precision, then rounded once. float32's product is
    exact in float64; float64's exact product (Dekker) and sum (Knuth) are pairs of doubles, whose low parts
    are added with rounding to odd."""
    if b.dtype == np.float32:
        total, error = _exact_sum(np.float64(a) * b.astype(np.float64), np.float64(c))
        return _to_odd(total, error).astype(np.float32)
    product = a * b
    halves = [(134217729.0 * x - (134217729.0 * x - x)) for x in (np.float64(a), b)]  # the top 26 bits of each
    product_error = (((halves[0] * halves[1] - product) + halves[0] * (b - halves[1]))
                     + (a - halves[0]) * halves[1]) + (a - halves[0]) * (b - halves[1])
    total, total_error = _exact_sum(product, c)
    fused = total + _to_odd(*_exact_sum(total_error, product_error))
    return np.where(np.isfinite(fused), fused, total)  # (an overflow: the plain result, inf as PyTorch's)


def _to_odd(rounded: np.ndarray, error: np.ndarray) -> np.ndarray:
    """The float64 value rounded + error rounded to odd: where that is not exact, the neighbour of the exact
    value whose last bit is 1 (which a second rounding to fewer bits cannot mistake for a tie)."""
    inexact_and_even = (error != 0) & ((np.asarray(rounded).view(np.int64) & 1) == 0)
    return np.where(inexact_and_even, np.nextafter(rounded, np.where(error > 0, np.inf, -np.inf)), rounded)


def _exact_sum(a, b) -> tuple:
    """a + b rounded, and the rounding error (Knuth's TwoSum): the two add up to a + b exactly."""
    total = a + b
    b_part = total - a
    return total, (a - (total - b_part)) + (b - b_part)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The n x m (n x n when m is None) matrix with ones on the diagonal."""
    check_device("eye", device)
    n = int_arg(n, "eye: n")
    m = n if m is None else int_arg(m, "eye: m")
    for name, value in (("n", n), ("m", m)):
        if value < 0:
            raise ValueError(f"eye: {name} must be >= 0, got {value}")
    return Tensor._from_data(np.eye(n, m, dtype=dtype_or_default(dtype)), requires_grad=requires_grad)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=int64, device=None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle (on and below the `offset` diagonal) of a
    row x col matrix, row by row, as torch.tril_indices."""
    return _triangle_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=int64, device=None) -> Tensor:
    """The (2, N) indices of the upper triangle (on and above the `offset` diagonal), row by row."""
    return _triangle_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device)


def _triangle_indices(name: str, indices, row, col, offset, dtype, device) -> Tensor:
    check_device(name, device)
    row, col, offset = (int_arg(v, f"{name}: {label}") for v, label in ((row, "row"), (col, "col"),
                                                                        (offset, "offset")))
    if row < 0 or col < 0:
        raise ValueError(f"{name}: row and col must be non-negative, got {row} and {col}")
    dtype = as_dtype(dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"{name}: dtype must be an integer dtype, got {dtype}")
    return Tensor._from_data(np.stack(indices(row, offset, col)).astype(dtype).reshape(2, -1))


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """`steps` values base ** e for e evenly spaced from start to end inclusive (the default dtype unless `dtype`
    says otherwise; an integer dtype truncates), as torch.logspace."""
    check_device("logspace", device)
    base = real_arg(base, "logspace: base")
    exponents = linspace(start, end, steps, dtype=float64)._data
    with np.errstate(invalid="ignore", over="ignore"):  # a negative base to a fractional power is NaN, as PyTorch
        values = np.power(base, exponents)
    dtype = dtype_or_default(dtype)
    return Tensor._from_data(np.trunc(values) if dtype.kind in "iu" else values, dtype=dtype,
                             requires_grad=requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Draws from N(mean, std^2), as torch.normal: mean and std tensors (broadcast) or numbers, one of them a
    tensor, whose dtype the draws take (mean's when both are), or two numbers and `size` (then `dtype` and
    `requires_grad` apply). As PyTorch, the draws are not reparameterized: when mean or std requires grad the
    result does too, and their gradient is zero (use mean + std * randn_like(mean) for a pathwise one)."""
    check_device("normal", device)
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal: with numbers for mean and std, the size of the draw must be given")
        shape, dtype = size_arg((size,)), _floating("normal", dtype)
    elif size is not None or dtype is not None or requires_grad:
        raise TypeError("normal: size, dtype and requires_grad go with numbers for mean and std only; with a tensor, "
                        "the draws take its shape and dtype")
    else:
        for label, t in (("mean", mean), ("std", std)):
            if isinstance(t, Tensor) and t.dtype.kind != "f":
                raise NotImplementedError(f"normal: {label} must be a floating point tensor, got dtype {t.dtype}")
        try:
            shape = np.broadcast_shapes(*(t.shape for t in tensors))
        except ValueError:
            raise broadcast_error("normal: mean and std", *(t.shape for t in tensors)) from None
        dtype = tensors[0].dtype
    mean_values = mean._data if isinstance(mean, Tensor) else real_arg(mean, "normal: mean")
    std_values = std._data if isinstance(std, Tensor) else real_arg(std, "normal: std")
    outside = ~(np.asarray(std_values) >= 0)  # NaN fails too
    if outside.any():
        raise ValueError(f"normal: std must be non-negative, got {np.asarray(std_values)[outside].flat[0]}")
    draws = rng_of(generator).standard_normal(shape) * std_values + mean_values
    if not any(t.requires_grad for t in tensors) or not is_grad_enabled():
        return Tensor._from_data(draws, dtype=dtype, requires_grad=requires_grad)
    # Recorded as PyTorch records it: a node whose gradient for mean and std is zero. The sum only carries
    # both (and the broadcast shape) into the graph; RandomFill gives the draws and sends back zeros.
    carrier = (mean + std).to(dtype)
    return apply(RandomFill, carrier, draw=lambda _: draws)


def asarray(obj: Any, *, dtype=None, device=None, copy: bool | None = None,
            requires_grad: bool | None = None) -> Tensor:
    """obj as a tensor, as torch.asarray. A tensor, or a NumPy array, already of `dtype` shares its memory (a
    tensor is returned as it is, graph included) unless copy=True; otherwise it is converted (a tensor
    differentiably). Other buffers (bytes, bytearray, array.array, memoryview) are read as frombuffer reads
    them, in `dtype` or the default float dtype; numbers and sequences are copied, as by `tensor`. copy=False
    raises where the memory cannot be shared. requires_grad=None keeps a tensor's flag (False for anything
    else); True or False sets it, as PyTorch on the tensor itself when that is what is returned (so the
    argument's flag changes too), and False detaches a result with a history."""
    check_device("asarray", device)
    for label, flag in (("copy", copy), ("requires_grad", requires_grad)):
        if flag is not None and not isinstance(flag, bool):
            raise TypeError(f"asarray: {label} must be True, False or None, got {flag!r}")
    target = None if dtype is None else as_dtype(dtype)
    if isinstance(obj, Tensor):
        if requires_grad is None and obj.requires_grad:  # PyTorch 2.13's notice of its changed default
            warnings.warn("asarray: unspecified requires_grad now defaults to obj.requires_grad instead of False. "
                          "Pass requires_grad=False explicitly to get the old behavior and silence this warning.",
                          UserWarning, stacklevel=2)
        if target is not None and target != obj.dtype:
            _refuse_no_copy(copy, f"a tensor of dtype {obj.dtype} as {target}")
            result = obj.to(target)
        else:
            result = obj.clone() if copy else obj
        wanted = obj.requires_grad if requires_grad is None else requires_grad
        if wanted and not result.requires_grad:
            return result.requires_grad_(True)
        if not wanted and result.requires_grad:
            return result.requires_grad_(False) if result.is_leaf else result.detach()
        return result
    if isinstance(obj, np.ndarray):
        if target is not None and target != obj.dtype:
            _refuse_no_copy(copy, f"a NumPy array of dtype {obj.dtype} as {target}")
        result = from_numpy(obj) if (target is None or target == obj.dtype) and not copy else tensor(obj, target)
    elif isinstance(obj, np.generic):
        _refuse_no_copy(copy, "a NumPy scalar (make it an array)")
        result = tensor(obj, target)
    elif isinstance(obj, (bytes, bytearray, memoryview)) or _has_buffer(obj):
        result = frombuffer(obj, dtype=dtype_or_default(target))
        result = result.clone() if copy else result
    else:
        _refuse_no_copy(copy, f"a {type(obj).__name__} (only tensors, arrays and buffers share memory)")
        result = tensor(obj, target)
    if result.dtype.kind not in "biufc":
        raise TypeError(f"asarray: cannot make a tensor of {type(obj).__name__} data of dtype {result.dtype}")
    return result.requires_grad_(True) if requires_grad else result


def _refuse_no_copy(copy: bool | None, what: str) -> None:
    if copy is False:
        raise ValueError(f"asarray: copy=False, but {what} cannot share memory with a tensor")


def _has_buffer(obj) -> bool:
    """Whether obj exposes Python's buffer protocol (array.array and the like; strings do not)."""
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:
    """A 1-D tensor sharing the memory of an object with Python's buffer protocol (bytearray, array.array, ...),
    as torch.frombuffer: its bytes from `offset` read as `count` elements of `dtype` (all the rest with -1). The
    memory of a read-only buffer (bytes) stays read-only: writing to the tensor raises, where PyTorch warns and
    writes."""
    dtype = as_dtype(dtype)
    try:
        length = memoryview(buffer).nbytes
    except TypeError:
        raise ValueError(f"frombuffer: buffer must implement Python's buffer protocol, got "
                         f"{type(buffer).__name__}") from None
    count, offset = int_arg(count, "frombuffer: count"), int_arg(offset, "frombuffer: offset")
    if length == 0 or count == 0:
        raise ValueError(f"frombuffer: neither the buffer's length ({length} bytes) nor count ({count}) may be 0")
    if not 0 <= offset < length:
        raise ValueError(f"frombuffer: offset must be in [0, {length - 1}] (the buffer has {length} bytes), got "
                         f"{offset}")
    if count < 0:
        if (length - offset) % dtype.itemsize:
            raise ValueError(f"frombuffer: the buffer's {length - offset} bytes after offset {offset} are not a "
                             f"multiple of the element size of {dtype} ({dtype.itemsize})")
        count = (length - offset) // dtype.itemsize
    elif offset + count * dtype.itemsize > length:
        raise ValueError(f"frombuffer: count={count} elements of {dtype} ({count * dtype.itemsize} bytes) after "
                         f"offset {offset} do not fit in the buffer's {length} bytes")
    return Tensor._from_data(np.frombuffer(buffer, dtype=dtype, count=count, offset=offset),
                             requires_grad=requires_grad)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory: bool | None = None,
                  requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding the number s (a 0-d tensor counts as its number), of the default float dtype unless
    `dtype` says otherwise, as torch.scalar_tensor; a value the dtype cannot hold raises."""
    check_device("scalar_tensor", device)
    if layout not in (None, strided):
        raise ValueError(f"scalar_tensor: layout must be fastgrad.strided (the only layout), got {layout!r}")
    if pin_memory:
        raise RuntimeError("scalar_tensor: pin_memory=True needs an accelerator, and fastgrad runs on the CPU only")
    if isinstance(s, Tensor) and s.ndim == 0:
        s = s.item()
    return Tensor._from_data(number_of_dtype("scalar_tensor: s", s, dtype_or_default(dtype)),
                             requires_grad=requires_grad)


def range(start, end, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Deprecated, as torch.range (which warns): start, start + step, ... up to and including end (floor((end -
    start) / step) + 1 values), of the default float dtype unless `dtype` says otherwise. An integer dtype
    truncates start, end and step first, as PyTorch; values the dtype cannot hold raise (PyTorch wraps them)."""
    warnings.warn("fastgrad.range is deprecated, as torch.range: its end is inclusive, unlike Python's range; use "
                  "fastgrad.arange, whose values are in [start, end)", UserWarning, stacklevel=2)
    check_device("range", device)
    dtype = dtype_or_default(dtype)
    if dtype.kind not in "iuf":
        raise TypeError(f"range: dtype must be an integer or floating point type, got {dtype}")
    bounds = [real_arg(value, f"range: {label}") for label, value in (("start", start), ("end", end), ("step", step))]
    if dtype.kind in "iu":
        bounds = [math.trunc(value) if math.isfinite(value) else value for value in bounds]
    start, end, step = bounds
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ValueError(f"range: start and end must be finite, got {start} and {end}")
    if step == 0 or not math.isfinite(step):
        raise ValueError(f"range: step must be finite and nonzero, got {step}")
    if (end - start) * step < 0:
        raise ValueError(f"range: end {end} cannot be reached from start {start} with step {step} (their signs are "
                         f"inconsistent)")
    values = start + np.arange(math.floor((end - start) / step) + 1) * step
    if dtype.kind in "iu" and values.size:
        info = np.iinfo(dtype)
        if values.min() < info.min or values.max() > info.max:
            raise ValueError(f"range: values from {start} to {values[-1]:g} cannot be held by {dtype}")
    return Tensor._from_data(values, dtype=dtype, requires_grad=requires_grad)


# -- memory laid out by the caller (this module's `range` is torch.range: no builtin range below) -------------
def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """A tensor of `size` whose element i_0, i_1, ... sits at sum_d i_d * stride[d] of new memory just large enough
    for it (zeros; PyTorch leaves it uninitialized), as torch.empty_strided. Where two positions share an element
    (a 0 stride) it is read-only, as fastgrad's other such views (see Tensor.unfold), and lies in its memory as an
    expand does in its base's: fills of one value (fill_, zero_, masked_fill_) write it, as PyTorch's."""
    check_device("empty_strided", device)
    shape, steps = _int_sequence("empty_strided: size", size), _int_sequence("empty_strided: stride", stride)
    if len(shape) != len(steps):
        raise RuntimeError(f"empty_strided: dimensionality of sizes ({len(shape)}) must match dimensionality of "
                           f"strides ({len(steps)})")
    if any(n < 0 for n in shape):
        raise RuntimeError(f"empty_strided: trying to create a tensor with a negative dimension: {list(shape)}")
    if any(step < 0 for step in steps):
        raise RuntimeError(f"empty_strided: strides must be non-negative, got {list(steps)}")
    dtype = dtype_or_default(dtype)
    extent = 0 if 0 in shape else 1 + sum((n - 1) * step for n, step in zip(shape, steps))
    memory, overlaps = np.zeros(extent, dtype), overlaps_itself(shape, steps)
    data = np.lib.stride_tricks.as_strided(memory, shape, tuple(s * dtype.itemsize for s in steps),
                                           writeable=not overlaps)
    out = Tensor._from_data(data, requires_grad=requires_grad)
    if overlaps:  # (the memory as a tensor of its own, as as_strided_ keeps it: see graph.repeats_writable_memory)
        out._storage = Tensor._wrap(memory, False, None)
        out._storage._counter = out._counter
    return out


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                   pin_memory: bool = False) -> Tensor:
    """A tensor of `size` laid out in memory with its dims in the order physical_layout gives, outermost first
    (zeros; PyTorch leaves it uninitialized), as torch.empty_permuted."""
    check_device("empty_permuted", device)
    shape, order = _int_sequence("empty_permuted: size", size), _int_sequence("empty_permuted: physical_layout",
                                                                        physical_layout)
    if len(shape) != len(order):
        raise RuntimeError(f"empty_permuted: the number of dimensions in size ({len(shape)}) does not match the "
                           f"length of physical_layout ({len(order)})")
    if any(not 0 <= d < len(shape) for d in order):
        raise RuntimeError(f"empty_permuted: physical_layout dims must be in [0, {len(shape) - 1}] (negative dims "
                           f"are not supported, as in PyTorch), got {list(order)}")
    if len(set(order)) != len(order):
        raise RuntimeError(f"empty_permuted: physical_layout names a dim twice: {list(order)}")
    memory = np.zeros([shape[d] for d in order], dtype_or_default(dtype))
    return Tensor._from_data(memory.transpose(np.argsort(order)), requires_grad=requires_grad)


# The *_like functions also take PyTorch's keyword name input= for their tensor.
take_torch_keywords(globals())

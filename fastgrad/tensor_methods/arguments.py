"""Argument parsing shared by Tensor's methods, fastgrad's free functions and creation functions:
dims, ints, real numbers and sizes, with errors that name the argument."""
from __future__ import annotations

import functools
import operator
from typing import Sequence

import numpy as np

from fastgrad.autograd import graph
from fastgrad.dtypes import checked_cast


# a Python number or a NumPy scalar: what PyTorch's ops take beside tensors (a list or an array is refused)
NUMBERS = (bool, int, float, complex, np.number, np.bool_)


class NotATensorError(TypeError, AttributeError):
    """An argument that must be a tensor is something else (a NumPy array, a list, a number). PyTorch's exception type
    for it depends on where its code finds out: its argument parser raises TypeError, its Python code the
    AttributeError of reading an attribute (target.size(), lengths.device) a list or a number lacks. This is both, so
    that code catching either of PyTorch's catches it."""


def check_tensors(name: str, **arguments) -> None:
    """Refuses (NotATensorError) any of `arguments` that is not a tensor, naming it."""
    for label, value in arguments.items():
        if not isinstance(value, graph.Tensor):
            raise NotATensorError(f"{name}: argument '{label}' must be a Tensor, got {type(value).__name__}; convert "
                                  f"it with fastgrad.tensor() or fastgrad.as_tensor(), as PyTorch asks")


def torch_number(value):
    """A number as PyTorch's ops read it beside a tensor: a NumPy bool as the float it converts to (True is 1.0), since
    PyTorch's scalar parser takes only Python's bool as a bool."""
    return float(value) if type(value) is np.bool_ else value


def bool_as_number(value):
    """A bool given where PyTorch takes a number to scale by (lerp's weight, addcmul's and addcdiv's value) as the
    number PyTorch reads: True is 1 (np.True_ the float 1.0, as torch_number reads it)."""
    return int(value) if type(value) is bool else torch_number(value)


def in_place_operator(method):
    """Tensor's in-place Python operator (x += y, ...) over its method (add_, ...), which takes a tensor or a number.
    Anything else (a NumPy array, a list, None) gives NotImplemented, as PyTorch's, whose method refuses it, so that
    Python falls back to the plain operator: x += array makes x = x + array, a new tensor (see
    Tensor._operator_fallback). (The plain operators sort their operand in the op instead, without this frame.)"""
    @functools.wraps(method)
    def in_place(self, other):
        if isinstance(other, graph.Tensor) or isinstance(other, NUMBERS):
            return method(self, other)
        return NotImplemented

    return in_place


def normalize_dims(dim, ndim: int):
    """None, an int or a sequence of ints (negative allowed) -> None or a tuple of non-negative dims. A bool is
    not a dim, as in PyTorch (True would name dim 1), though PyTorch takes one inside a sequence."""
    if dim is None:
        return None
    single = isinstance(dim, (int, np.integer)) and not isinstance(dim, (bool, np.bool_))
    dims = (dim,) if single else tuple(dim) if isinstance(dim, (tuple, list)) else None
    if dims is None or not all(isinstance(d, (int, np.integer)) for d in dims):
        raise TypeError(f"dim must be an int or a tuple of ints, got {dim!r}")
    low, high = -max(ndim, 1), max(ndim, 1) - 1
    normalized = []
    for d in dims:  # (each dim checked in turn, for range and then repetition, as PyTorch's are)
        if not low <= d <= high:
            raise IndexError(f"dimension out of range (expected to be in range of [{low}, {high}], but got {d})")
        if d % max(ndim, 1) in normalized:
            raise RuntimeError(f"dims {dims} name the same dimension more than once")
        normalized.append(d % max(ndim, 1))
    return tuple(normalized)


def one_dim(dim, ndim: int) -> int:
    """A single dim (an int, negative allowed) as a non-negative int."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    (axis,) = normalize_dims(dim, ndim)
    return axis


def int_arg(value, name: str) -> int:
    """An int argument (a Python or NumPy int, or a one-element integer tensor), else TypeError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, graph.Tensor)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    return operator.index(value)


def real_arg(value, name: str) -> float:
    """A real-number argument (a Python or NumPy int or float, or a one-element tensor) as a float, else
    TypeError naming it. A bool is refused, as by int_arg: a flag where a number goes is a slip."""
    if isinstance(value, graph.Tensor) and value.numel() == 1 and value.dtype.kind in "iuf":
        return float(value.item())
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r:.80}")
    return float(value)


def tensor_arg(value, name: str):
    """value, which must be a tensor where PyTorch takes only tensors (maximum's and minimum's: a number there is a
    TypeError, not a broadcast)."""
    if not isinstance(value, graph.Tensor):
        raise TypeError(f"{name} must be Tensor, not {type(value).__name__}")
    return value


def broadcast_error(name: str, *shapes) -> RuntimeError:
    """PyTorch's error (and type) for shapes that do not broadcast: the first pair of sizes that differ, neither
    1, with its dimension in the broadcast shape. Several shapes are folded left to right, as PyTorch's, so
    "tensor a" is the broadcast of those before. Built only once an op has failed, off the successful path."""
    shapes = [tuple(s) for s in shapes]
    a = shapes[0]
    for b in shapes[1:]:
        ndim = max(len(a), len(b))
        a_padded, b_padded = (1,) * (ndim - len(a)) + a, (1,) * (ndim - len(b)) + b
        for dim in range(ndim - 1, -1, -1):
            size_a, size_b = a_padded[dim], b_padded[dim]
            if size_a != size_b and size_a != 1 and size_b != 1:
                return RuntimeError(f"{name}: the size of tensor a ({size_a}) must match the size of tensor b "
                                    f"({size_b}) at non-singleton dimension {dim} (shapes "
                                    f"{', '.join(map(str, shapes))} do not broadcast)")
        a = tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(a_padded, b_padded))
    return RuntimeError(f"{name}: shapes {', '.join(map(str, shapes))} cannot be broadcast together")


def expanded_shape(name: str, shape: Sequence[int], sizes: Sequence[int]) -> tuple[int, ...]:
    """The shape a tensor of `shape` expands to for the requested `sizes` (-1 keeps an existing size), as PyTorch's
    expand, whose check every "expands to" of PyTorch's shares (expand, broadcast_to, bernoulli_'s p, addmm's self):
    sizes it cannot take raise its RuntimeError, with its words."""
    shape, sizes = tuple(shape), tuple(sizes)
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(f"{name}: the number of sizes provided ({len(sizes)}) must be greater or equal to the number "
                           f"of dimensions in the tensor ({len(shape)}), got sizes {sizes} for a tensor of shape {shape}")
    expanded = []
    for dim, size in enumerate(sizes):
        existing = shape[dim - lead] if dim >= lead else None
        if size == -1 and existing is None:
            raise RuntimeError(f"{name}: the expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                               f"dimension {dim}")
        size = existing if size == -1 else size
        if existing is not None and size != existing and existing != 1:
            raise RuntimeError(f"{name}: the expanded size of the tensor ({size}) must match the existing size "
                               f"({existing}) at non-singleton dimension {dim}.  Target sizes: {list(sizes)}.  Tensor "
                               f"sizes: {list(shape)}")
        if size < 0:
            raise RuntimeError(f"{name}: the expanded sizes must be non-negative (or -1 for an existing dim), got "
                               f"{list(sizes)} for a tensor of shape {shape}")
        expanded.append(size)
    return tuple(expanded)


def size_arg(size: Sequence) -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) alike."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(int(s) for s in size)


def number_of_dtype(name: str, value, dtype: np.dtype) -> np.ndarray:
    """A Python number as a 0-d array of `dtype`. Floats written into integer tensors are truncated
    (as PyTorch), but a value the dtype cannot hold is an error, never a wrapped-around number."""
    if isinstance(value, graph.Tensor) or not isinstance(value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"{name}: value must be a number, got {type(value).__name__}")
    # into an integer dtype: checked_cast's rule (and its uint8 leniency), once the int fits an array at all
    # (a NumPy float compared as a Python float: float16(1) <= float32's max would cast the max to float16, overflowing)
    fits = -(1 << 63) <= value < 1 << 64 if dtype.kind in "iu" and isinstance(value, int) else (
        dtype.kind != "f" or not np.isfinite(value) or abs(value if isinstance(value, int) else float(value)) <= float(
            np.finfo(dtype).max))
    if not fits:
        raise RuntimeError(f"{name}: value {value} cannot be converted to type {dtype} without overflow")
    return checked_cast(np.asarray(value), dtype, name)


def broadcasts_to(shape: Sequence[int], target: Sequence[int]) -> bool:
    """Whether an operand of `shape` broadcasts to exactly `target` (so that a result written in `target`'s
    shape keeps it, as PyTorch's in-place and weighted forms require)."""
    try:
        return np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target)
    except ValueError:
        return False

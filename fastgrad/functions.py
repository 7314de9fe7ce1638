"""Free-function forms of tensor ops (`fastgrad.cat`, `fastgrad.where`, ...), as in PyTorch."""
from __future__ import annotations

import builtins
import functools
import itertools
import math
import operator
import string
import warnings
from typing import Sequence

import numpy as np

from fastgrad import ops
from fastgrad.autograd.graph import apply
from fastgrad.dtypes import promote_types, result_type, wrapped_number
from fastgrad.keyword_names import take_torch_keywords
from fastgrad.ops.linalg import parse_einsum_equation
from fastgrad.tensor import Size, Tensor
from fastgrad.tensor_methods.arguments import (NUMBERS, broadcast_error, check_tensors, int_arg, normalize_dims,
                                              number_of_dtype, real_arg, tensor_arg)
from fastgrad.tensor_methods.reductions import NOT_GIVEN, spread_dim


def _tensor_or_number(x, like: Tensor | None = None) -> Tensor:
    """A tensor as it is; a number as a tensor (by like's promotion rules, when given). A NumPy array, a list or
    anything else is a TypeError, as PyTorch's functions refuse them (convert with fastgrad.tensor())."""
    if isinstance(x, Tensor):
        return x
    if like is not None:
        return like._operand(x)
    if not isinstance(x, NUMBERS):
        raise TypeError(f"expected a tensor or a number, got {type(x).__name__} {x!r:.50}; convert it with "
                        f"fastgrad.tensor() or fastgrad.as_tensor(), as PyTorch asks")
    return Tensor._from_data(x)


def _method_as_function(method):
    """torch.<name>(input, ...) for Tensor.<name>: input.<name>(...), with a TypeError naming input when it is not
    a tensor (as PyTorch's)."""

    @functools.wraps(method)
    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{method.__name__}(): input must be a Tensor, got {type(input).__name__}")
        return method(input, *args, **kwargs)

    return function


def _promoted_all(tensors: list[Tensor]) -> list[Tensor]:
    """The tensors in their common dtype by PyTorch's promotion (int64 with float32 gives float32)."""
    dtype = result_type(*[t._data for t in tensors])
    return [t if t.dtype == dtype else t.to(dtype) for t in tensors]


def _refuse_one_tensor(name: str, tensors) -> None:
    """PyTorch's joining functions take a sequence of tensors; one tensor (iterable along dim 0) is refused,
    not joined as the sequence of its rows."""
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}: argument 'tensors' must be a tuple or list of Tensors, not a Tensor (of shape "
                        f"{tuple(tensors.shape)}); wrap one tensor in a list")


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors joined along `dim`. As PyTorch, 1-D empty tensors (`torch.tensor([])`, the start of
    `out = cat([out, batch])` loops) take part in the dtype (and get an empty gradient) but are otherwise skipped,
    whatever the others' shapes; when all are, all are joined."""
    # (PyTorch's refusals, in its order: an element that is not a tensor (TypeError), none (ValueError), a 0-dim
    # one (RuntimeError), dim out of range (IndexError), dims or sizes that differ (RuntimeError))
    _refuse_one_tensor("cat", tensors)
    tensors = _tensors_of("cat", (list(tensors),))
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"cat: a 0-dim tensor (at position {i}) cannot be concatenated; unsqueeze it first")
    promoted = _promoted_all(tensors)  # (the skipped empty ones count in the dtype too)
    empty = tuple(t.shape == (0,) for t in promoted)
    skipped = empty if False in empty else ()
    tensors = [t for t, skip in zip(promoted, empty) if not skip] or promoted
    (axis,) = normalize_dims(dim, tensors[0].ndim)
    for i, t in enumerate(tensors):
        if t.ndim != tensors[0].ndim or t.shape[:axis] + t.shape[axis + 1:] != tensors[0].shape[:axis] + tensors[0].shape[axis + 1:]:
            raise RuntimeError(f"cat: tensor {i} has shape {t.shape}, which does not match {tensors[0].shape} "
                               f"outside dim {dim}")
    return apply(ops.Cat, *promoted, axis=axis, skipped=skipped)


concat = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors, all of one shape, joined along a new dim `dim`. Refusals are PyTorch's: TypeError for an
    element that is not a tensor, RuntimeError for no tensor or shapes that differ."""
    _refuse_one_tensor("stack", tensors)
    tensors = _tensors_of("stack", (list(tensors),))
    if not tensors:
        raise RuntimeError("stack: expected a non-empty sequence of tensors, got none")
    (axis,) = normalize_dims(dim, tensors[0].ndim + 1)  # (before the shapes, as PyTorch's)
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack: each tensor must have the same shape, but tensor {i} has shape {t.shape}, "
                               f"tensor 0 {tensors[0].shape}")
    tensors = _promoted_all(tensors)
    return apply(ops.Stack, *tensors, axis=axis)


def where(condition, input=None, other=None) -> Tensor:
    """Elementwise `input` where condition holds, else `other`; gradients flow to both branches. With the
    condition alone, the indices where it holds, one tensor per dim (nonzero(as_tuple=True)), as PyTorch."""
    if input is None and other is None:
        return _tensor_or_number(condition).nonzero(as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: expected both input and other, or neither (for the indices of the condition)")
    # (the condition is an input of the op: its version counter guards it)
    cond = tensor_arg(condition, "where(): argument 'condition'")._data
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    # as PyTorch, a number the result's dtype cannot hold is refused: an int is not wrapped, a float not made infinite
    dtype = result_type(*(x._data if isinstance(x, Tensor) else x for x in (input, other)))
    input, other = (number_of_dtype("where", x, dtype)[()] if type(x) in (int, float) else x for x in (input, other))
    a, b = _tensor_or_number(input, like), _tensor_or_number(other, like)
    if a.dtype != b.dtype:
        a, b = a._promoted(b)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise broadcast_error("where", cond.shape, a.shape, b.shape) from None
    return apply(ops.Where, condition, a, b)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    return _tensor_or_number(a).matmul(b)


def maximum(a: Tensor, b: Tensor) -> Tensor:
    return tensor_arg(a, "maximum(): argument 'input'").maximum(b)


def minimum(a: Tensor, b: Tensor) -> Tensor:
    return tensor_arg(a, "minimum(): argument 'input'").minimum(b)


def add(input, other, *, alpha: float = 1) -> Tensor:
    return _tensor_or_number(input, other if isinstance(other, Tensor) else None).add(other, alpha=alpha)


def sub(input, other, *, alpha: float = 1) -> Tensor:
    # a bool number stays a bool tensor, which sub refuses as PyTorch's does, instead of taking other's dtype (a NumPy
    # bool is a float, as PyTorch reads it)
    like = other if isinstance(other, Tensor) and not isinstance(input, bool) else None
    return _tensor_or_number(input, like).sub(other, alpha=alpha)


def mul(input, other) -> Tensor:
    return _tensor_or_number(input, other if isinstance(other, Tensor) else None).mul(other)


def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is None and isinstance(other, Tensor) and not isinstance(input, Tensor):
        # a number divided by an integer tensor is divided as a float, not first wrapped into the tensor's dtype
        # (an array or a list as input is a TypeError, as PyTorch's: not the operator's NumPy result or NotImplemented)
        return other._divide(input, reflected=True)
    like = other if isinstance(other, Tensor) else None
    return _tensor_or_number(input, like).div(other, rounding_mode=rounding_mode)


def true_divide(input, other) -> Tensor:
    return div(input, other)


# PyTorch's other names for the same functions
multiply, divide, subtract = mul, div, sub


def pow(input, exponent) -> Tensor:
    return _tensor_or_number(input, exponent if isinstance(exponent, Tensor) else None).pow(exponent)


# Comparisons: elementwise ones give bool tensors; equal and allclose answer for the whole tensor. As PyTorch's,
# input must be a tensor and other a tensor or a number (the methods refuse lists and arrays).
def _compared(name: str, input) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): input must be a Tensor, got {type(input).__name__}")
    return input


def eq(input: Tensor, other) -> Tensor:
    return _compared("eq", input).eq(other)


def ne(input: Tensor, other) -> Tensor:
    return _compared("ne", input).ne(other)


def lt(input: Tensor, other) -> Tensor:
    return _compared("lt", input).lt(other)


def le(input: Tensor, other) -> Tensor:
    return _compared("le", input).le(other)


def gt(input: Tensor, other) -> Tensor:
    return _compared("gt", input).gt(other)


def ge(input: Tensor, other) -> Tensor:
    return _compared("ge", input).ge(other)


not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


def exp(x: Tensor) -> Tensor:
    return x.exp()


def log(x: Tensor) -> Tensor:
    return x.log()


def sqrt(x: Tensor) -> Tensor:
    return x.sqrt()


def abs(x: Tensor) -> Tensor:
    return x.abs()


absolute = abs


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def relu(x: Tensor) -> Tensor:
    return x.relu()


def clamp(x: Tensor, min=None, max=None) -> Tensor:
    return x.clamp(min, max)


clip = clamp


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    return input.round(decimals)


def sum(x: Tensor, dim=NOT_GIVEN, keepdim: bool | None = None, *, dtype=None) -> Tensor:
    return x.sum(dim, keepdim, dtype=dtype)


def mean(x: Tensor, dim=NOT_GIVEN, keepdim: bool | None = None, *, dtype=None) -> Tensor:
    return x.mean(dim, keepdim, dtype=dtype)


def max(x: Tensor, dim=NOT_GIVEN, keepdim: bool | None = None):
    """The maximum (of all elements, or (values, indices) along `dim`); with a tensor as the second
    argument, the elementwise maximum, as torch.max(input, other)."""
    return x.max(dim, keepdim)


def min(x: Tensor, dim=NOT_GIVEN, keepdim: bool | None = None):
    return x.min(dim, keepdim)


def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return x.argmax(dim, keepdim)


def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return x.argmin(dim, keepdim)


def reshape(x: Tensor, shape) -> Tensor:
    return x.reshape(shape)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    return x.transpose(dim0, dim1)


def broadcast_to(input: Tensor, size) -> Tensor:
    return input.expand(size)


def permute(x: Tensor, dims) -> Tensor:
    return x.permute(dims)


# Functions that are the Tensor methods themselves: the same arguments, the tensor first.
neg, clone, floor, ceil, trunc, t, select = (Tensor.neg, Tensor.clone, Tensor.floor, Tensor.ceil, Tensor.trunc,
                                            Tensor.t, Tensor.select)
negative, fix = neg, trunc
clamp_min, clamp_max, equal, isclose, allclose = (Tensor.clamp_min, Tensor.clamp_max, Tensor.equal, Tensor.isclose,
                                                  Tensor.allclose)
bincount, cumprod, unique, amax, amin, movedim = (Tensor.bincount, Tensor.cumprod, Tensor.unique, Tensor.amax,
                                                  Tensor.amin, Tensor.movedim)
moveaxis = movedim
swapaxes = swapdims = transpose
tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, erf, erfc = (
    Tensor.tan, Tensor.asin, Tensor.acos, Tensor.atan, Tensor.sinh, Tensor.cosh, Tensor.asinh, Tensor.acosh, Tensor.atanh,
    Tensor.erf, Tensor.erfc)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
atan2, hypot, logaddexp, logaddexp2, heaviside, lerp = map(_method_as_function, (
    Tensor.atan2, Tensor.hypot, Tensor.logaddexp, Tensor.logaddexp2, Tensor.heaviside, Tensor.lerp))
arctan2 = atan2
nansum, nanmean, median, mode, count_nonzero, argwhere, take = (Tensor.nansum, Tensor.nanmean, Tensor.median,
                                                                Tensor.mode, Tensor.count_nonzero, Tensor.argwhere,
                                                                Tensor.take)
addcmul, addcdiv, renorm, dist, histc = (Tensor.addcmul, Tensor.addcdiv, Tensor.renorm, Tensor.dist, Tensor.histc)
cross = _method_as_function(Tensor.cross)
index_fill, index_copy, masked_scatter = Tensor.index_fill, Tensor.index_copy, Tensor.masked_scatter
addmm, addmv, baddbmm, addbmm = map(_method_as_function, (Tensor.addmm, Tensor.addmv, Tensor.baddbmm,
                                                           Tensor.addbmm))
diag, diagonal, diag_embed, trace, tile = (Tensor.diag, Tensor.diagonal, Tensor.diag_embed, Tensor.trace,
                                           Tensor.tile)
kron = _method_as_function(Tensor.kron)


logical_and, logical_or, logical_xor, logical_not = map(_method_as_function, (
    Tensor.logical_and, Tensor.logical_or, Tensor.logical_xor, Tensor.logical_not))
bitwise_not = Tensor.bitwise_not


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    return x.unsqueeze(dim)


def squeeze(x: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    return x.squeeze(dim)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return x.flatten(start_dim, end_dim)


# -- indexing, ordering and sampling (the Tensor methods check the arguments) ------------------------
def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    return input.gather(dim, index)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce: str | None = None) -> Tensor:
    return input.scatter(dim, index, src, value, reduce=reduce)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    return input.scatter_add(dim, index, src)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    return input.index_select(dim, index)


index_add = _method_as_function(Tensor.index_add)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    return input.masked_fill(mask, value)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    return input.masked_select(mask)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    return input.nonzero(as_tuple=as_tuple)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    return input.sort(dim, descending, stable=stable)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    return input.argsort(dim, descending, stable=stable)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    return input.topk(k, dim, largest, sorted)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    return input.tril(diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    return input.triu(diagonal)


def flip(input: Tensor, dims) -> Tensor:
    return input.flip(dims)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    return input.roll(shifts, dims)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    return input.multinomial(num_samples, replacement, generator=generator)


def bernoulli(input: Tensor, p: float | None = None, *, generator=None) -> Tensor:
    return input.bernoulli(p, generator=generator)


# -- math, reductions, shapes, matrix products -----------------------------------------------------
def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    if not isinstance(input, Tensor):
        raise TypeError(f"is_floating_point: input must be a Tensor, got {type(input).__name__}")
    return input.is_floating_point()


def numel(input: Tensor) -> int:
    if not isinstance(input, Tensor):
        raise TypeError(f"numel: input must be a Tensor, got {type(input).__name__}")
    return input.numel()


def log1p(input: Tensor) -> Tensor:
    return input.log1p()


def expm1(input: Tensor) -> Tensor:
    return input.expm1()


def sin(input: Tensor) -> Tensor:
    return input.sin()


def cos(input: Tensor) -> Tensor:
    return input.cos()


def square(input: Tensor) -> Tensor:
    return input.square()


def sign(input: Tensor) -> Tensor:
    return input.sign()


sgn = sign


def reciprocal(input: Tensor) -> Tensor:
    return input.reciprocal()


def rsqrt(input: Tensor) -> Tensor:
    return input.rsqrt()


def floor_divide(input, other) -> Tensor:
    return _tensor_or_number(input, other if isinstance(other, Tensor) else None).floor_divide(other)


def fmod(input, other) -> Tensor:
    return _tensor_or_number(input, other if isinstance(other, Tensor) else None).fmod(other)


def remainder(input, other) -> Tensor:
    return _tensor_or_number(input, other if isinstance(other, Tensor) else None).remainder(other)


def isnan(input: Tensor) -> Tensor:
    return input.isnan()


def isinf(input: Tensor) -> Tensor:
    return input.isinf()


def isfinite(input: Tensor) -> Tensor:
    return input.isfinite()


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return input.softmax(dim, dtype)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return input.log_softmax(dim, dtype)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    return input.logsumexp(dim, keepdim)


def var(input: Tensor, dim=NOT_GIVEN, unbiased: bool | None = None, keepdim: bool | None = None, *,
        correction: float | None = None) -> Tensor:
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input: Tensor, dim=NOT_GIVEN, unbiased: bool | None = None, keepdim: bool | None = None, *,
        correction: float | None = None) -> Tensor:
    return input.std(dim, unbiased, keepdim, correction=correction)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    return input.norm(p, dim, keepdim, dtype)


def prod(input: Tensor, dim: int = NOT_GIVEN, keepdim: bool | None = None, dtype=None) -> Tensor:
    return input.prod(dim, keepdim, dtype)


def cumsum(input: Tensor, dim: int, dtype=None) -> Tensor:
    return input.cumsum(dim, dtype)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.all(dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.any(dim, keepdim)


def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *, output_size: int | None = None) -> Tensor:
    """Each element repeated in place (see Tensor.repeat_interleave); with only an int tensor of counts,
    the indices 0, 1, ... each repeated its count times, as torch.repeat_interleave(repeats)."""
    if repeats is None:
        if input.ndim != 1:  # (its dtype is checked as repeats)
            raise RuntimeError(f"repeat_interleave: without repeats, input must be a 1-D integer tensor of counts, got "
                               f"shape {input.shape}")
        return Tensor._from_data(np.arange(input.shape[0])).repeat_interleave(input, output_size=output_size)
    return input.repeat_interleave(repeats, dim, output_size=output_size)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    return input.chunk(chunks, dim)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    return tensor.split(split_size_or_sections, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    return input.unbind(dim)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    return input.narrow(dim, start, length)


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    return input.narrow_copy(dim, start, length)


def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    return input.split_with_sizes(split_sizes, dim)


def tensor_split(input: Tensor, indices_or_sections=None, /, dim: int = 0, **keywords) -> tuple[Tensor, ...]:
    """See Tensor.tensor_split (`keywords`: PyTorch's sections=, indices=, tensor_indices_or_sections=)."""
    return input.tensor_split(indices_or_sections, dim, **keywords)


def hsplit(input: Tensor, indices_or_sections=None, /, **keywords) -> tuple[Tensor, ...]:
    return input.hsplit(indices_or_sections, **keywords)


def vsplit(input: Tensor, indices_or_sections=None, /, **keywords) -> tuple[Tensor, ...]:
    return input.vsplit(indices_or_sections, **keywords)


def dsplit(input: Tensor, indices_or_sections=None, /, **keywords) -> tuple[Tensor, ...]:
    return input.dsplit(indices_or_sections, **keywords)


def ravel(input: Tensor) -> Tensor:
    return input.ravel()


def adjoint(input: Tensor) -> Tensor:
    return input.adjoint()


def as_strided(input: Tensor, size: Sequence[int], stride: Sequence[int], storage_offset: int | None = None) -> Tensor:
    return input.as_strided(size, stride, storage_offset)


def real(input: Tensor) -> Tensor:
    return input.real


def imag(input: Tensor) -> Tensor:
    return input.imag


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    return input.unflatten(dim, sizes)


mm, bmm = _method_as_function(Tensor.mm), _method_as_function(Tensor.bmm)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """The inner product of two 1-D tensors of one size and dtype (no broadcasting, as PyTorch)."""
    for name, t in (("input", input), ("other", other)):
        if tensor_arg(t, f"dot: {name}").ndim != 1:
            raise RuntimeError(f"dot: {name} must be a 1-D tensor, got shape {t.shape}")
    if input.dtype != other.dtype:  # (before the sizes, as PyTorch)
        raise RuntimeError(f"dot: expected both vectors to have the same dtype, got {input.dtype} and {other.dtype}")
    if input.shape != other.shape:
        raise RuntimeError(f"dot: input and other must have the same size, got {input.shape[0]} and {other.shape[0]}")
    return input @ other


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """The product of a matrix (n, m) and a vector (m,), as torch.mv."""
    if tensor_arg(input, "mv: input").ndim != 2 or tensor_arg(vec, "mv: vec").ndim != 1:
        raise RuntimeError(f"mv: expected a 2-D input and a 1-D vec, got shapes {input.shape} and {vec.shape}")
    if input.dtype != vec.dtype:
        raise RuntimeError(f"mv: expected input and vec to have the same dtype, got {input.dtype} and {vec.dtype}")
    return input @ vec


outer = _method_as_function(Tensor.outer)


ger = outer


def einsum(equation: str, *operands: Tensor) -> Tensor:
    """Einstein summation, e.g. einsum("bij,bjk->bik", a, b), with '...' and implicit outputs as in
    PyTorch; operands may also come as one list, or each followed by its subscripts as a list of ints
    (einsum(a, [0, 1], b, [1, 2], [0, 2])). Size-1 dims broadcast against the other operands'.
    More than two operands are contracted left to right, two at a time. A subscript repeated within one
    operand takes its diagonal ("ii->i"; "ii" is the trace), as in PyTorch."""
    if isinstance(equation, Tensor):
        equation, operands = _einsum_sublist_form((equation,) + operands)
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a str, got {type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: expected at least one operand after the equation")
    for i, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum: operand {i} must be a Tensor, got {type(t).__name__}")
    subscripts, output = parse_einsum_equation(equation, [t.ndim for t in operands])
    diagonals = [_einsum_diagonals(t, subs, i) for i, (t, subs) in enumerate(zip(operands, subscripts))]
    subscripts = [subs for _, subs in diagonals]
    operands = _expand_einsum_operands([t for t, _ in diagonals], subscripts)
    if operands[0].dtype.kind != "f" or builtins.any(t.dtype != operands[0].dtype for t in operands):
        return _einsum_in_steps(operands, subscripts, output)
    while len(operands) > 2:  # contract the first two, keeping the subscripts still needed later
        needed = set(output).union(*subscripts[2:])
        joint = "".join(dict.fromkeys(c for c in subscripts[0] + subscripts[1] if c in needed))
        first = apply(ops.Einsum, operands[0], operands[1], subscripts=tuple(subscripts[:2]), output=joint)
        operands, subscripts = [first] + operands[2:], [joint] + subscripts[2:]
    return apply(ops.Einsum, *operands, subscripts=tuple(subscripts), output=output)


def _einsum_in_steps(operands: list[Tensor], subscripts: list[str], output: str) -> Tensor:
    """einsum of integer or bool tensors, or of several dtypes, in PyTorch's steps, since the dtypes follow from
    the steps: each operand's subscripts that no other operand or the output has are summed first (a sum of
    integers: int64), then the operands are combined left to right, a product where no subscript is contracted
    (promoting the dtypes) or a matrix product where one is (one dtype, wrapping around in it; none for bool).
    (In one int8 dtype throughout, "i->" of [100, 100, 3] wrapped to -53 where PyTorch gives 203.)"""
    operands, subscripts = list(operands), list(subscripts)
    for i, subs in enumerate(subscripts):
        others = set(output).union(*(other for j, other in enumerate(subscripts) if j != i))
        alone = [d for d, c in enumerate(subs) if c not in others]
        if alone:
            operands[i] = operands[i].sum(dim=alone)
            subscripts[i] = "".join(c for c in subs if c in others)
    left, left_subs = operands[0], subscripts[0]
    for i in range(1, len(operands)):
        right, right_subs = operands[i], subscripts[i]
        later = set(output).union(*subscripts[i + 1:])
        target = output if i == len(operands) - 1 else "".join(
            dict.fromkeys(c for c in left_subs + right_subs if c in later))
        if builtins.any(c in right_subs and c not in later for c in left_subs):  # a contraction: PyTorch's bmm
            if left.dtype != right.dtype:
                raise RuntimeError(f"einsum: operands contracted over a subscript must have one dtype, got "
                                   f"{left.dtype} (operands 0 to {i - 1}) and {right.dtype} (operand {i}); a sum over "
                                   "an integer operand's own subscripts makes it int64")
            if left.dtype.kind == "b":
                raise NotImplementedError("einsum: contracting bool operands is not implemented (as PyTorch's bmm)")
        else:
            common = promote_types(left.dtype, right.dtype)  # (of dtypes: a summed operand keeps its dims in PyTorch)
            left, right = left.to(common), right.to(common)
        left = apply(ops.Einsum, left, right, subscripts=(left_subs, right_subs), output=target)
        left_subs = target
    return left if left_subs == output else apply(ops.Einsum, left, subscripts=(left_subs,), output=output)


def _einsum_sublist_form(arguments: tuple) -> tuple[str, tuple]:
    """The equation and operands of einsum(a, [0, 1], b, [1, 2], [0, 2]): "AB,BC->AC" and (a, b), as PyTorch
    spells the subscripts (0 to 25 as A to Z, 26 to 51 as a to z, Ellipsis as '...')."""
    def letter(n) -> str:
        if n is Ellipsis:
            return "..."
        if not 0 <= operator.index(n) < 52:
            raise ValueError(f"einsum: a subscript in a subscript list must be in [0, 52), got {n}")
        return string.ascii_uppercase[n] if n < 26 else string.ascii_lowercase[n - 26]

    pairs, output = (arguments[:-1], arguments[-1]) if len(arguments) % 2 else (arguments, None)
    operands, sublists = pairs[0::2], pairs[1::2]
    equation = ",".join("".join(map(letter, sublist)) for sublist in sublists)
    return equation + ("" if output is None else "->" + "".join(map(letter, output))), operands


def _einsum_diagonals(t: Tensor, subs: str, i: int) -> tuple[Tensor, str]:
    """Operand i with subscripts that repeat a letter ("ii") as its diagonal over those dims (a view, so
    gradients flow back), a last dim with the letter once, until no letter repeats."""
    for c in dict.fromkeys(subs):
        while subs.count(c) > 1:
            first = subs.index(c)
            second = subs.index(c, first + 1)
            if t.shape[first] != t.shape[second]:
                raise RuntimeError(f"einsum: subscript {c!r} is repeated for operand {i} but the sizes don't match, "
                                   f"{t.shape[first]} != {t.shape[second]}")
            t = t.diagonal(0, first, second)
            subs = subs[:first] + subs[first + 1:second] + subs[second + 1:] + c
    return t, subs


def _expand_einsum_operands(operands: list[Tensor], subscripts: list[str]) -> list[Tensor]:
    """Give every subscript one size: size-1 dims are expanded (broadcast) to the size the other operands
    have, so that the Einsum op sees matching shapes; sizes that differ otherwise are an error."""
    sizes: dict[str, int] = {}
    for i, (t, subs) in enumerate(zip(operands, subscripts)):
        for c, n in zip(subs, t.shape):
            if n != 1 and sizes.get(c, 1) not in (1, n):
                raise RuntimeError(f"einsum: subscript {c!r} has size {n} in operand {i} but size {sizes[c]} in an "
                                   "earlier operand")
            if n != 1 or c not in sizes:
                sizes[c] = n
    return [t if t.shape == tuple(sizes[c] for c in subs) else t.expand(tuple(sizes[c] for c in subs))
            for t, subs in zip(operands, subscripts)]


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """The sum of products over dims of a paired with dims of b: `dims` an int n (a's last n with b's first
    n), or two lists ([dims of a], [dims of b]); the free dims of a, then of b, remain, as torch.tensordot."""
    check_tensors("tensordot", a=a, b=b)  # (PyTorch's Python code reads a.dim(): an AttributeError, also a TypeError)
    if a.dtype != b.dtype:
        raise RuntimeError(f"tensordot: expected both inputs to have the same dtype, got {a.dtype} and {b.dtype}")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):  # (a bool too: PyTorch takes True as 1)
        most = builtins.min(a.ndim, b.ndim)  # (min is fastgrad.min in this module)
        if not 0 <= dims <= most:
            raise RuntimeError(f"tensordot: dims must be in [0, {most}] for shapes {a.shape} and "
                               f"{b.shape}, got {dims}")
        dims_a, dims_b = tuple(range(a.ndim - dims, a.ndim)), tuple(range(dims))
    elif isinstance(dims, (list, tuple)):  # (PyTorch's types: ValueError for a count, TypeError for a member)
        if len(dims) != 2:
            raise ValueError(f"tensordot: dims must be an int or a pair of lists of dims, got {len(dims)} lists")
        for label, d in zip(("a", "b"), dims):
            if not isinstance(d, (list, tuple)):
                raise TypeError(f"tensordot: the dims of {label} must be a list of ints, got {type(d).__name__} {d!r}")
        dims_a, dims_b = (normalize_dims(d, t.ndim) for d, t in zip(dims, (a, b)))
        if len(dims_a) != len(dims_b):
            raise RuntimeError(f"tensordot: both dim lists must have the same length, got {dims[0]} and {dims[1]}")
    else:
        raise RuntimeError(f"tensordot: dims must be an int or a pair of lists of dims, got {dims!r}")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot: dim {da} of a (size {a.shape[da]}) and dim {db} of b (size {b.shape[db]}) "
                               "must have the same size")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    size = int(np.prod([a.shape[d] for d in dims_a]))
    # one matrix product: (free of a, summed) @ (summed, free of b)
    left = a.permute(free_a + list(dims_a)).reshape(int(np.prod([a.shape[d] for d in free_a])), size)
    right = b.permute(list(dims_b) + free_b).reshape(size, int(np.prod([b.shape[d] for d in free_b])))
    return (left @ right).reshape(tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b))


# -- stacking and broadcasting several tensors -------------------------------------------------------
def _tensors_of(name: str, tensors) -> list[Tensor]:
    """The tensors of f(t1, t2, ...) or f([t1, t2, ...])."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return _each_tensor(name, tensors)


def _each_tensor(name: str, tensors) -> list[Tensor]:
    """The tensors of f(t1, t2, ...) where PyTorch takes them only so: a list or tuple among them is refused."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: expected tensors, got {type(t).__name__} at position {i}")
    return list(tensors)


def _sequence_of_tensors(name: str, tensors) -> list[Tensor]:
    """The tensors of f([t1, t2, ...]), PyTorch's joining functions' one argument."""
    _refuse_one_tensor(name, tensors)
    return _tensors_of(name, (tensors,))


def _tensors_to_stack(name: str, tensors) -> list[Tensor]:
    """The tensors of hstack, vstack, dstack or column_stack: at least one, as PyTorch's (RuntimeError)."""
    ts = _sequence_of_tensors(name, tensors)
    if not ts:
        raise RuntimeError(f"{name}: expected a non-empty sequence of tensors, got none")
    return ts


def _at_least(name: str, tensors, ndim: int):
    ts = _tensors_of(name, tensors)
    grown = [_grown(t, ndim) for t in ts]
    return grown[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else tuple(grown)


def _grown(t: Tensor, ndim: int) -> Tensor:
    """t with dims of size 1 added up to `ndim` where numpy's atleast_*d puts them: (n,) -> (1, n) -> (1, n, 1),
    (m, n) -> (m, n, 1)."""
    if t.ndim >= ndim:
        return t
    if t.ndim == 0:
        return t.reshape((1,) * ndim)
    if t.ndim == 1:
        return t.reshape((1,) + tuple(t.shape) + (1,) * (ndim - 2))
    return t.unsqueeze(-1)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (one tensor for one, a tuple for several or a list)."""
    return _at_least("atleast_1d", tensors, 1)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims: a 1-D (n,) becomes (1, n)."""
    return _at_least("atleast_2d", tensors, 2)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: (n,) becomes (1, n, 1) and (m, n) becomes (m, n, 1)."""
    return _at_least("atleast_3d", tensors, 3)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors (1-D ones as rows) concatenated along dim 0."""
    return cat([_grown(t, 2) for t in _tensors_to_stack("vstack", tensors)], 0)


row_stack = vstack


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors concatenated along dim 1, or along dim 0 when they are 1-D (0-D ones count as 1-D)."""
    ts = [_grown(t, 1) for t in _tensors_to_stack("hstack", tensors)]
    return cat(ts, 0 if ts and ts[0].ndim == 1 else 1)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors, made at least 3-D, concatenated along dim 2."""
    return cat([_grown(t, 3) for t in _tensors_to_stack("dstack", tensors)], 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors as columns (0-D and 1-D ones become (n, 1)) concatenated along dim 1."""
    ts = _tensors_to_stack("column_stack", tensors)
    return cat([t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in ts], 1)


def meshgrid(*tensors, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids of 0-D or 1-D tensors of one dtype: with indexing="ij" output k varies along dim k;
    with "xy" the first two dims are swapped. Without indexing, "ij" with PyTorch's warning."""
    ts = _tensors_of("meshgrid", tensors)
    if indexing is None:
        warnings.warn("meshgrid: in an upcoming PyTorch release, it will be required to pass the indexing "
                      "argument; using indexing='ij'", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not ts:
        raise RuntimeError("meshgrid: expected at least one tensor")
    for i, t in enumerate(ts):
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0-D or 1-D tensors, got shape {t.shape} at position {i}")
        if t.dtype != ts[0].dtype:
            raise RuntimeError(f"meshgrid: expected all tensors to have the same dtype, got {ts[0].dtype} and "
                               f"{t.dtype} (position {i})")
    swap = indexing == "xy" and len(ts) >= 2
    order = [1, 0] + list(range(2, len(ts))) if swap else list(range(len(ts)))
    shape = tuple(ts[k].numel() for k in order)  # the output's dims, in order
    grids = []
    for k, t in enumerate(ts):
        position = order.index(k)
        view = [1] * len(ts)
        view[position] = t.numel()
        grids.append(t.reshape(view).expand(shape))
    return tuple(grids)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element of each 1-D tensor, as rows (n1 * n2 * ..., k); one tensor is
    returned as it is."""
    ts = _each_tensor("cartesian_prod", tensors)  # (not a list of them, as PyTorch's)
    for i, t in enumerate(ts):
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: expected 1-D tensors, got shape {t.shape} at position {i}")
    if len(ts) == 1:
        return ts[0]
    return stack([grid.reshape(-1) for grid in meshgrid(*ts, indexing="ij")], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-element combinations of a 1-D tensor's elements, in itertools' order, as rows (n_combinations, r);
    r=0 gives an empty 1-D tensor, as torch.combinations."""
    if not isinstance(input, Tensor) or input.ndim != 1:
        raise RuntimeError(f"combinations: expected a 1-D tensor, got "
                           f"{getattr(input, 'shape', type(input).__name__)}")
    r = int_arg(r, "combinations: r")
    if r < 0:
        raise RuntimeError(f"combinations: r must be non-negative, got {r}")
    if r == 0:
        return input.new_zeros(0)  # outside the graph, as PyTorch
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return input[rows]


def var_mean(input: Tensor, dim=NOT_GIVEN, unbiased: bool | None = None, keepdim: bool | None = None, *,
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """(var, mean) over dim, with var's arguments (and its refusals)."""
    var = input.var(dim, unbiased, keepdim, correction=correction)
    return var, input.mean(spread_dim(dim), keepdim is not None and keepdim)


def std_mean(input: Tensor, dim=NOT_GIVEN, unbiased: bool | None = None, keepdim: bool | None = None, *,
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """(std, mean) over dim, with std's arguments (and its refusals)."""
    std = input.std(dim, unbiased, keepdim, correction=correction)
    return std, input.mean(spread_dim(dim), keepdim is not None and keepdim)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """For each value, the index where it would go in the innermost dim of sorted_sequence to keep it sorted
    (the first such place, or the last with right=True or side="right"); a 1-D sequence serves every value,
    else one row per row of input. int64 (int32 with out_int32); not differentiable: outside the graph."""
    if not isinstance(sorted_sequence, Tensor):
        raise TypeError(f"searchsorted: sorted_sequence must be a Tensor, got {type(sorted_sequence).__name__}")
    if side not in (None, "left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if side == "left" and right:
        raise ValueError("searchsorted: side='left' contradicts right=True")
    side = "right" if right or side == "right" else "left"
    # in the dtype PyTorch's promotion gives both: a number is wrapped into an integer sequence's dtype, as PyTorch
    sequence, values = (t._data for t in sorted_sequence._promoted(_tensor_or_number(input, sorted_sequence)))
    if sorter is not None:
        if not isinstance(sorter, Tensor) or sorter.shape != sorted_sequence.shape or sorter.dtype.kind not in "iu":
            raise TypeError(f"searchsorted: sorter must be an integer tensor of shape {sorted_sequence.shape}")
        sequence = np.take_along_axis(sequence, sorter._data, axis=-1)
    if sequence.ndim == 1:
        out = _bisect(sequence.reshape(1, -1), values.reshape(1, -1), side).reshape(values.shape)
    else:
        if values.ndim != sequence.ndim or values.shape[:-1] != sequence.shape[:-1]:
            raise ValueError(f"searchsorted: input of shape {values.shape} must match sorted_sequence of shape "
                             f"{sequence.shape} in all but the last dim")
        count = int(np.prod(sequence.shape[:-1]))  # (not -1 in reshape: a row may be empty)
        rows, row_values = sequence.reshape(count, sequence.shape[-1]), values.reshape(count, values.shape[-1])
        out = _bisect(rows, row_values, side).reshape(values.shape)
    return Tensor._wrap(out.astype(np.int32 if out_int32 else np.int64), False, None)


def _bisect(rows: np.ndarray, values: np.ndarray, side: str) -> np.ndarray:
    """PyTorch's binary search, step for step, in each row of `rows` (R, n) for that row of `values` (R, m): the
    first index whose element is >= the value (> on the right side). NumPy's searchsorted agrees wherever no NaN
    takes part; PyTorch's comparisons with NaN are false, so a NaN value lands at the end, and a NaN in the
    sequence counts as smaller than whatever it is compared with."""
    start, end = np.zeros(values.shape, dtype=np.int64), np.full(values.shape, rows.shape[1], dtype=np.int64)
    searching = start < end
    while searching.any():
        middle = (start + end) // 2
        middle_values = np.take_along_axis(rows, np.where(searching, middle, 0), axis=1)
        below = ~(middle_values > values) if side == "right" else ~(middle_values >= values)
        start = np.where(searching & below, middle + 1, start)
        end = np.where(searching & ~below, middle, end)
        searching = start < end
    return start


# (all compute the same distances here: how PyTorch computes them differs, not what)
_CDIST_COMPUTE_MODES = (None, "use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                        "donot_use_mm_for_euclid_dist")


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M): (..., P, R),
    batch dims broadcast. The gradient at a zero distance is zero, as PyTorch's."""
    if compute_mode not in _CDIST_COMPUTE_MODES:
        raise ValueError(f"cdist: compute_mode must be one of {_CDIST_COMPUTE_MODES}, got {compute_mode!r}")
    for label, t in (("x1", x1), ("x2", x2)):
        if tensor_arg(t, f"cdist: {label}").ndim < 2:
            raise RuntimeError(f"cdist: {label} must be a tensor of at least 2 dims, got shape {t.shape}")
        t._check_floating("cdist")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: x1 and x2 must have the same number of columns, got {x1.shape[-1]} and "
                           f"{x2.shape[-1]}")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"cdist: x1 and x2 must have the same dtype, got {x1.dtype} and {x2.dtype}")
    p = real_arg(p, "cdist: p")
    if p < 0:
        raise RuntimeError(f"cdist: p must be non-negative, got {p}")
    return row_distances(x1.unsqueeze(-2) - x2.unsqueeze(-3), p)


def row_distances(differences: Tensor, p: float) -> Tensor:
    """The p-norms of differences of rows, along the last dim, with the gradients of PyTorch's cdist and pdist
    (ops.Norm's `distance`: for p = 1 and inf they differ from its norm's). Rows of no columns are 0 apart for
    every p, as in PyTorch (whose norm refuses an empty inf-norm)."""
    if not differences.shape[-1]:
        return differences.sum(-1)
    if p in (1, math.inf):
        return apply(ops.Norm, differences, p=float(p), axis=(differences.ndim - 1,), keepdims=False, distance=True)
    return differences.norm(p, -1)


# -- matrix functions with torch's top-level names (torch.linalg's are in fastgrad/linalg.py) -----------------
inverse, det, logdet, slogdet, matrix_power, matrix_exp = (
    Tensor.inverse, Tensor.det, Tensor.logdet, Tensor.slogdet, Tensor.matrix_power, Tensor.matrix_exp)
inner, addr = _method_as_function(Tensor.inner), _method_as_function(Tensor.addr)
cholesky, pinverse, svd, qr = Tensor.cholesky, Tensor.pinverse, Tensor.svd, Tensor.qr
vdot = dot  # vdot conjugates its first argument: for real tensors it is dot


def chain_matmul(*matrices: Tensor) -> Tensor:
    """The product of 2-D tensors, as the deprecated torch.chain_matmul (fastgrad.linalg.multi_dot takes a list)."""
    from fastgrad.linalg import multi_dot  # (fastgrad.linalg imports this module)

    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release; use "
                  "fastgrad.linalg.multi_dot, which takes a list of two or more tensors", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul: expected one or more matrices, got none")
    for i, m in enumerate(matrices):
        if tensor_arg(m, f"chain_matmul: matrices[{i}]").ndim != 2:
            raise RuntimeError(f"chain_matmul: expected 2-D tensors, got {m.shape} at position {i}")
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(list(matrices))


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-D as 1 x 1, 1-D as one row) as the diagonal blocks of one matrix, zeros elsewhere; dtypes
    promote, as torch.block_diag (no tensors give a 1 x 0 matrix)."""
    # (the tensors as one sequence: a list among them is refused, as PyTorch's)
    blocks = [t.reshape(1, -1) if t.ndim < 2 else t for t in _tensors_of("block_diag", (tensors,))]
    for i, block in enumerate(blocks):
        if block.ndim > 2:
            raise RuntimeError(f"block_diag: expected tensors of at most 2 dims, got shape {block.shape} at "
                               f"position {i}")
    if not blocks:
        from fastgrad.dtypes import get_default_dtype

        return Tensor._wrap(np.zeros((1, 0), dtype=get_default_dtype()), False, None)
    blocks = _promoted_all(blocks)
    width = builtins.sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for block in blocks:
        right = width - left - block.shape[1]
        rows.append(cat([block.new_zeros(block.shape[0], left), block, block.new_zeros(block.shape[0], right)], 1))
        left += block.shape[1]
    return cat(rows, 0)


# -- scans, order statistics, picking along a dim, membership (the Tensor methods' free forms) -----------
def cummax(input: Tensor, dim: int):
    return input.cummax(dim)


def cummin(input: Tensor, dim: int):
    return input.cummin(dim)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    return input.logcumsumexp(dim)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    return input.kthvalue(k, dim, keepdim)


def quantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    return input.quantile(q, dim, keepdim, interpolation=interpolation)


def nanquantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    return input.nanquantile(q, dim, keepdim, interpolation=interpolation)


def nanmedian(input: Tensor, dim: int = NOT_GIVEN, keepdim: bool | None = None):
    return input.nanmedian(dim, keepdim)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False):
    return input.aminmax(dim=dim, keepdim=keepdim)


def msort(input: Tensor) -> Tensor:
    return input.msort()


diff = _method_as_function(Tensor.diff)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    return input.take_along_dim(indices, dim)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    return input.scatter_reduce(dim, index, src, reduce, include_self=include_self)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    return input.unique_consecutive(return_inverse, return_counts, dim)


def fliplr(input: Tensor) -> Tensor:
    return input.fliplr()


def flipud(input: Tensor) -> Tensor:
    return input.flipud()


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    return input.rot90(k, dims)


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """For each value, the index of its bucket among the sorted 1-D `boundaries`: i with boundaries[i-1] < v <=
    boundaries[i] (with right=True, boundaries[i-1] <= v < boundaries[i]); int64 (int32 with out_int32)."""
    if not isinstance(boundaries, Tensor) or boundaries.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be a 1-D tensor, got "
                         f"{getattr(boundaries, 'shape', type(boundaries).__name__)}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (views, as PyTorch's; a tensor of that shape already is
    returned itself, as PyTorch's is)."""
    _each_tensor("broadcast_tensors", tensors)
    try:
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
    except ValueError:
        raise broadcast_error("broadcast_tensors", *(t.shape for t in tensors)) from None
    return tuple(t if t.shape == shape else t.expand(shape) for t in tensors)


# -- elementwise math: logarithms, special functions, sign and NaN handling, gcd and lcm ---------------------------
(log2, log10, exp2, logit, frac, sinc, deg2rad, rad2deg, nan_to_num, signbit, isposinf, isneginf, isreal, copysign,
 fmax, fmin, nextafter, ldexp, gcd, lcm, lgamma, digamma, erfinv, i0, positive) = map(_method_as_function, (
    Tensor.log2, Tensor.log10, Tensor.exp2, Tensor.logit, Tensor.frac, Tensor.sinc, Tensor.deg2rad, Tensor.rad2deg,
    Tensor.nan_to_num, Tensor.signbit, Tensor.isposinf, Tensor.isneginf, Tensor.isreal, Tensor.copysign, Tensor.fmax,
    Tensor.fmin, Tensor.nextafter, Tensor.ldexp, Tensor.gcd, Tensor.lcm, Tensor.lgamma, Tensor.digamma, Tensor.erfinv,
    Tensor.i0, Tensor.positive))
(diagflat, cov, corrcoef, is_nonzero, is_same_size, is_complex, is_signed, index_put, index_put_) = map(
    _method_as_function, (Tensor.diagflat, Tensor.cov, Tensor.corrcoef, Tensor.is_nonzero, Tensor.is_same_size,
                          Tensor.is_complex, Tensor.is_signed, Tensor.index_put, Tensor.index_put_))


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma at each element of input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"polygamma(): input must be a Tensor, got {type(input).__name__}")
    return input.polygamma(n)


def _check_either_is_a_tensor(name: str, first: tuple[str, object], second: tuple[str, object]) -> None:
    """For functions where one of two operands may be a number: refuse when neither is a Tensor."""
    (first_label, first_value), (second_label, second_value) = first, second
    if not isinstance(first_value, Tensor) and not isinstance(second_value, Tensor):
        raise TypeError(f"{name}(): {first_label} or {second_label} must be a Tensor, got "
                        f"{type(first_value).__name__} and {type(second_value).__name__}")


def xlogy(input, other) -> Tensor:
    """input * log(other), 0 where input == 0 (unless other is NaN); one of them may be a number."""
    if isinstance(input, Tensor):
        return input.xlogy(other)
    _check_either_is_a_tensor("xlogy", ("input", input), ("other", other))
    real_arg(input, "xlogy: input")
    return other._floating_operand(input).xlogy(other)


def float_power(input, exponent) -> Tensor:
    """input ** exponent computed in float64; one of them may be a number."""
    if isinstance(input, Tensor):
        return input.float_power(exponent)
    _check_either_is_a_tensor("float_power", ("input", input), ("exponent", exponent))
    return real_arg(input, "float_power: input") ** exponent.double()


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of `elements` is among `test_elements` (compared in their promoted dtype; NaN is
    never found); either may be a number, and the result has the shape of `elements`. No graph."""
    _check_either_is_a_tensor("isin", ("elements", elements), ("test_elements", test_elements))
    arrays = []
    for label, value in (("elements", elements), ("test_elements", test_elements)):
        if not isinstance(value, Tensor):
            real_arg(value, f"isin: {label}")  # a number, not a bool
            arrays.append(value)
        elif value.dtype.kind == "b":
            raise TypeError(f"isin: not defined for bool tensors ({label})")
        else:
            arrays.append(value._data)
    dtype = result_type(*arrays)  # a number ranks below the tensors, as in PyTorch, and wraps into an integer dtype
    arrays = [wrapped_number(value, dtype) for value in arrays]
    found = np.isin(np.asarray(arrays[0], dtype), np.asarray(arrays[1], dtype), assume_unique=assume_unique,
                    invert=invert)
    return Tensor._wrap(np.asarray(found), False, None)


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of the given shapes broadcast to, as torch.broadcast_shapes: each shape a sequence
    of ints or one int (None stands for the shape (), as in PyTorch)."""
    as_tuples = []
    for i, shape in enumerate(shapes):
        sizes = () if shape is None else (shape,) if isinstance(shape, (int, np.integer)) else shape
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(f"broadcast_shapes: shape {i} must be an int or a sequence of ints, got "
                            f"{type(shape).__name__}") from None
        if not builtins.all(isinstance(n, (int, np.integer)) for n in sizes):  # (bools are ints, in PyTorch's too)
            raise TypeError(f"broadcast_shapes: shape {i} must be an int or a sequence of ints, got {shape!r}")
        if builtins.any(n < 0 for n in sizes):
            raise ValueError(f"broadcast_shapes: shape {i} has a negative size: {shape!r}")
        as_tuples.append(tuple(int(n) for n in sizes))
    try:
        return Size(np.broadcast_shapes(*as_tuples))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shapes {as_tuples} cannot be broadcast together") from None


def concatenate(tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """cat under NumPy's name, as torch.concatenate: the dim is `axis`, or `dim` (PyTorch takes either, not both)."""
    if axis is not None and dim is not None:
        raise TypeError(f"concatenate: got both axis={axis} and dim={dim}; pass one of them")
    return cat(tensors, dim if dim is not None else axis if axis is not None else 0)


detach = _method_as_function(Tensor.detach)


def rsub(input: Tensor, other, alpha=1) -> Tensor:
    """other - alpha * input (sub with its operands swapped), as torch.rsub; other may be a number."""
    if not isinstance(input, Tensor):
        raise TypeError(f"rsub(): input must be a Tensor, got {type(input).__name__}")
    return sub(other, input, alpha=alpha)


def fill(input: Tensor, value) -> Tensor:
    """A new tensor of input's shape and dtype with every element `value` (a number or a 0-d tensor, which gets
    the gradient), as torch.fill: fill_ out of place."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fill(): input must be a Tensor, got {type(input).__name__}")
    return input.clone().fill_(value)


def unravel_index(indices: Tensor, shape) -> tuple[Tensor, ...]:
    """The coordinates, in a tensor of `shape`, of each flat (row-major) index: one int64 tensor of indices' shape
    per dim, as torch.unravel_index. Stricter than PyTorch: an index outside [0, prod(shape) - 1] raises, where
    PyTorch wraps it around."""
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
        shown = f"dtype {indices.dtype}" if isinstance(indices, Tensor) else type(indices).__name__
        raise TypeError(f"unravel_index: indices must be a tensor of an integer dtype, got {shown}")
    sizes = (shape,) if isinstance(shape, (int, np.integer)) else shape
    if isinstance(sizes, Tensor) or not isinstance(sizes, Sequence) or not builtins.all(
            isinstance(n, (int, np.integer)) for n in sizes):
        raise TypeError(f"unravel_index: shape must be an int or a sequence of ints, got {shape!r}")
    if builtins.any(n < 0 for n in sizes):
        raise ValueError(f"unravel_index: shape must not have negative sizes, got {tuple(sizes)}")
    flat = indices._data.astype(np.int64)
    count = math.prod(int(n) for n in sizes)  # (a Python int: no overflow)
    if flat.size and (flat.min() < 0 or flat.max() >= count):
        raise ValueError(f"unravel_index: indices must be in [0, {count - 1}] for shape {tuple(sizes)}, got values "
                         f"from {flat.min()} to {flat.max()}")
    coordinates = []
    for size in reversed(sizes):
        with np.errstate(divide="ignore"):  # (a size of 0 with no indices: empty arrays)
            flat, coordinate = np.divmod(flat, size)
        coordinates.append(Tensor._wrap(np.asarray(coordinate), False, None))
    return tuple(reversed(coordinates))


# torch's free in-place functions, `torch.relu_(x)`, `torch.clamp_(x, min=0)`: each is the tensor method of its name
# applied to its first argument. (`index_put_` is above; those with no tensor method, `dropout_` and the like, are
# in functional_forms.py.)
IN_PLACE_NAMES = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_", "asin_",
    "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_",
    "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_", "gcd_", "i0_", "lcm_",
    "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_", "negative_", "rad2deg_",
    "reciprocal_", "relu_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_",
    "tanh_", "trunc_", "xlogy_", "zero_")


def _in_place_function(name: str):
    function = _method_as_function(getattr(Tensor, name))
    function.__name__ = function.__qualname__ = name  # (Tensor.negative_ is neg_ under another name)
    return function


globals().update({name: _in_place_function(name) for name in IN_PLACE_NAMES})


def _bitwise_function(name: str, method, symbol: str):
    """torch.<name>(input, other) for a bitwise operator: one of them may be a number (input too, as PyTorch's)."""

    def function(input, other) -> Tensor:
        _check_either_is_a_tensor(name, ("input", input), ("other", other))
        return method(_tensor_or_number(input, other if isinstance(other, Tensor) else None), other)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"input {symbol} other, as torch.{name}; one of them may be a number."
    return function


bitwise_and, bitwise_or, bitwise_xor, bitwise_left_shift, bitwise_right_shift = (
    _bitwise_function(*spec) for spec in (
        ("bitwise_and", Tensor.bitwise_and, "&"), ("bitwise_or", Tensor.bitwise_or, "|"),
        ("bitwise_xor", Tensor.bitwise_xor, "^"), ("bitwise_left_shift", Tensor.bitwise_left_shift, "<<"),
        ("bitwise_right_shift", Tensor.bitwise_right_shift, ">>")))


get_device = _method_as_function(Tensor.get_device)


(is_conj, is_neg, conj, resolve_conj, resolve_neg, conj_physical, is_inference) = map(_method_as_function, (
    Tensor.is_conj, Tensor.is_neg, Tensor.conj, Tensor.resolve_conj, Tensor.resolve_neg, Tensor.conj_physical,
    Tensor.is_inference))

(frexp, histogram, angle, mvlgamma, cholesky_solve, cholesky_inverse) = map(_method_as_function, (
    Tensor.frexp, Tensor.histogram, Tensor.angle, Tensor.mvlgamma, Tensor.cholesky_solve, Tensor.cholesky_inverse))


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D x: column j is x ** (N - 1 - j) (x ** j with increasing), N = len(x) by
    default; integers and bools give int64. Built by a running product, so the gradient is exact at x = 0
    (PyTorch 2.13's backward raises)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"vander(): argument 'x' must be a Tensor, got {type(x).__name__}")
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a one-dimensional tensor, got shape {tuple(x.shape)}")
    N = x.shape[0] if N is None else int_arg(N, "vander: N")
    if N < 0:
        raise RuntimeError(f"vander: N must be non-negative, got {N}")
    if x.dtype.kind != "f":
        x = x.long()
    powers = ascending_powers(x, N)
    return powers if increasing else powers.flip(1)


def ascending_powers(x: Tensor, N: int) -> Tensor:
    """x ** 0, ..., x ** (N - 1) along a new last dim, by a running product (so the gradient is exact at x = 0)."""
    if N == 0:
        return x.unsqueeze(-1)[..., :0] * 1
    return cat([x.new_ones(*x.shape, 1), x.unsqueeze(-1).expand(*x.shape, N - 1)], dim=-1).cumprod(-1)


(igamma, igammac) = map(_method_as_function, (Tensor.igamma, Tensor.igammac))


# Every function above also takes PyTorch's keyword names (input=, other=) for its operands.
take_torch_keywords(globals())

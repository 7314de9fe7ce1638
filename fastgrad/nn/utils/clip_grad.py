"""Gradient clipping, as torch.nn.utils.clip_grad: the total norm of the gradients (get_total_norm),
scaling them to a norm (clip_grads_with_norm_, and both in one: clip_grad_norm_), and clamping them
(clip_grad_value_)."""
from __future__ import annotations

import math
import types
import warnings
from typing import Iterable

import numpy as np

from fastgrad.dtypes import get_default_dtype
from fastgrad.kernels.parallel import map_across_threads
from fastgrad.sparse import SparseRowGrad
from fastgrad.tensor import Tensor


def _as_float(value, name: str) -> float:
    """float(value), as PyTorch converts the clipping arguments (a numeric string is taken), with its TypeError
    or ValueError naming the argument."""
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{name} must be a number, got {type(value).__name__} {value!r:.50}") from error


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def _stored_values(gradient: Tensor | SparseRowGrad) -> np.ndarray:
    """The stored numbers of a gradient (of a sparse one, its rows' values, assumed coalesced)."""
    return gradient.values if isinstance(gradient, SparseRowGrad) else gradient._data


def _grad_values(param: Tensor) -> np.ndarray:
    """The stored numbers of a parameter's gradient. A sparse one is coalesced first (and kept coalesced),
    since repeated rows add up before any norm is taken: |g1 + g2| is not |g1| and |g2| combined."""
    if isinstance(param.grad, SparseRowGrad):
        param.grad = param.grad.coalesce()
    return _stored_values(param.grad)


def _norm_operand(gradient: Tensor | SparseRowGrad, norm_type: float) -> np.ndarray:
    """The numbers whose norm of order `norm_type` is the gradient's own: a dense one's elements; a sparse
    one's stored values (coalesced), with one zero standing for its unstored rows where a zero changes the
    norm (the smallest magnitude, -inf, and the negative orders are 0 there) or where no row is stored
    (such a gradient is all zeros, not empty, so its max norm is 0 rather than undefined)."""
    values = _stored_values(gradient)
    if not isinstance(gradient, SparseRowGrad):
        return values
    has_unstored_zeros = gradient.rows.size < gradient.shape[0] and math.prod(gradient.shape[1:]) > 0
    if has_unstored_zeros and (norm_type < 0 or values.size == 0):
        return np.append(values.reshape(-1), values.dtype.type(0))
    return values


def _total_norm(values: list[np.ndarray], norm_type: float, error_if_nonfinite: bool) -> float:
    """PyTorch's total norm: the norm of the arrays' norms, which for a positive order (inf: the largest
    absolute value) and for -inf (the smallest) is the norm of all arrays as if concatenated into one
    vector; for order 0 it counts the arrays holding a nonzero element."""
    if norm_type == 2.0:  # (large gradients shared among threads, the squares summed in order all the same)
        total = math.sqrt(sum(map_across_threads(_squares, values, [v.size for v in values])))
    else:
        # An empty array's norm of an order without identity (max: inf, min: -inf, the negative orders)
        # raises, as PyTorch's; for the others it adds nothing.
        no_identity = norm_type < 0 or norm_type == math.inf
        norms = [float(Tensor._from_data(v).norm(norm_type)) for v in values if v.size or no_identity]
        total = float(Tensor._from_data(np.array(norms)).norm(norm_type)) if norms else 0.0
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite "
                           f"({total}), so it cannot be clipped. To disable this error and scale the gradients by "
                           "the non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def _norm_tensor(total: float, values: list[np.ndarray]) -> Tensor:
    """The total norm as a 0-d tensor, in the widest of the arrays' dtypes, as PyTorch's stacked norms are."""
    dtype = np.result_type(*[v.dtype for v in values]) if values else get_default_dtype()
    return Tensor._from_data(np.array(total, dtype=dtype))


def _squares(values: np.ndarray) -> float:
    flat = values.reshape(-1)
    return float(np.dot(flat, flat))


def _scale_by_norm(values: list[np.ndarray], max_norm: float, total: np.ndarray) -> None:
    """Scale by min(max_norm / (total + 1e-6), 1), computed as PyTorch's (the reciprocal times max_norm) in
    the total's own dtype: a float32 total gives a float32-rounded factor, for float64 gradients too."""
    dtype = (total.dtype if total.dtype.kind == "f" else get_default_dtype()).type
    scale = dtype(1.0) / (dtype(total) + dtype(1e-6)) * dtype(max_norm)  # (1e-6: a zero norm never divides by 0)
    if not scale >= 1.0:  # a NaN norm scales by NaN, as PyTorch's
        map_across_threads(lambda v: np.multiply(v, v.dtype.type(scale), out=v), values, [v.size for v in values])


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """The norm of the tensors (usually gradients) as if concatenated into one vector, as a 0-d tensor
    (0.0 for none); see clip_grad_norm_. `foreach` (PyTorch's choice of kernel) is accepted as any value."""
    if isinstance(tensors, (Tensor, SparseRowGrad)):
        tensors = [tensors]
    norm_type = _as_float(norm_type, "norm_type")
    values = []
    for index, tensor in enumerate(tensors):
        if not isinstance(tensor, (Tensor, SparseRowGrad)):
            raise TypeError(f"get_total_norm: tensors must be tensors, got {type(tensor).__name__} at index {index}")
        if np.dtype(tensor.dtype).kind != "f":  # (an integer norm would be a plausible number, PyTorch raises)
            raise RuntimeError(f"get_total_norm: expected floating point tensors, got dtype {np.dtype(tensor.dtype)} "
                               f"at index {index}")
        values.append(_norm_operand(tensor.coalesce() if isinstance(tensor, SparseRowGrad) else tensor, norm_type))
    return _norm_tensor(_total_norm(values, norm_type, error_if_nonfinite), values)


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, total_norm: Tensor | float,
                          foreach: bool | None = None) -> None:
    """Scale the parameters' gradients in place by min(max_norm / (total_norm + 1e-6), 1), total_norm
    being given (from get_total_norm, say); `foreach` as in get_total_norm."""
    max_norm = _as_float(max_norm, "max_norm")  # (checked before the gradients, as PyTorch's: None would scale by NaN)
    values = [_grad_values(p) for p in _with_grads(parameters)]
    if not values:
        return
    if not isinstance(total_norm, Tensor):  # (as PyTorch's, whose clamp of the scale takes only a tensor)
        raise TypeError(f"clip_grads_with_norm_: total_norm must be a Tensor (as get_total_norm returns), got "
                        f"{type(total_norm).__name__} {total_norm!r:.50}")
    _scale_by_norm(values, max_norm, total_norm._data)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale all gradients together so that their joint norm is at most max_norm (Pascanu et al., 2013):
    get_total_norm of the gradients, then clip_grads_with_norm_ with it. Returns the total norm, before
    clipping, as a 0-d float tensor. `foreach` (PyTorch's choice of kernel, not of result) is accepted as
    any value, as the optimizers'. An empty generator warns, as PyTorch's (a generator already consumed
    elsewhere, most likely). The arguments are checked in PyTorch's order: norm_type, the norm itself
    (error_if_nonfinite), then max_norm."""
    if isinstance(parameters, types.GeneratorType):
        parameters = list(parameters)
        if not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    norm_type = _as_float(norm_type, "norm_type")
    params = _with_grads(parameters)
    values = [_grad_values(p) for p in params]  # (coalesces the sparse gradients, which _norm_operand needs)
    operands = [_norm_operand(p.grad, norm_type) for p in params]
    total = _norm_tensor(_total_norm(operands, norm_type, error_if_nonfinite) if values else 0.0, values)
    max_norm = _as_float(max_norm, "max_norm")  # (even with no gradient, as PyTorch's: None would scale by NaN)
    _scale_by_norm(values, max_norm, total._data)
    return total


def clip_grad_norm(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated in PyTorch (a FutureWarning, as there): clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]; `foreach` as in clip_grad_norm_. With no
    gradient to clamp it raises, as PyTorch 2.13's does (whatever `foreach`): a call that clips nothing is
    most likely made before backward."""
    clip_value = _as_float(clip_value, "clip_value")  # (as PyTorch's: a numeric string is taken, None refused)
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    with_grads = _with_grads(parameters)
    if not with_grads:
        raise RuntimeError(f"clip_grad_value_: expected at least one parameter with a gradient, got "
                           f"{len(parameters)} parameters and none has a .grad")
    for param in with_grads:
        values = _grad_values(param)
        np.clip(values, -clip_value, clip_value, out=values)

"""Gradient clipping, importing PyTorch weights, parameters as one vector (convert_parameters), and (in rnn)
padding and packing sequences into batches."""
from __future__ import annotations

import math
from typing import Iterable, Mapping

import numpy as np

from fastgrad.dtypes import get_default_dtype
from fastgrad.sparse import SparseRowGrad
from fastgrad.tensor import Tensor


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def _grad_values(param: Tensor) -> np.ndarray:
    """The stored numbers of a gradient. A sparse one is coalesced first (and kept coalesced), since
    repeated rows add up before any norm is taken: |g1 + g2| is not |g1| and |g2| combined."""
    if isinstance(param.grad, SparseRowGrad):
        param.grad = param.grad.coalesce()
        return param.grad.values
    return param.grad._data


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale all gradients together so that their joint norm is at most max_norm (Pascanu et al., 2013).

    The norm is PyTorch's: the norm of the gradients' norms, which for a positive order (inf: the largest
    absolute value) and for -inf (the smallest) is the norm of all gradients as if concatenated into one
    vector; for order 0 it counts the gradients holding a nonzero element. Returns that total norm,
    before clipping, as a 0-d float tensor. `foreach` (PyTorch's choice of kernel, not of result) is
    accepted as any value, as the optimizers'.
    """
    params = _with_grads(parameters)
    norm_type = float(norm_type)
    if not params:
        return Tensor._from_data(np.array(0.0, dtype=get_default_dtype()))
    values = [_grad_values(p) for p in params]
    if norm_type == 2.0:
        total = math.sqrt(sum(float(np.dot(v.reshape(-1), v.reshape(-1))) for v in values))
    else:
        # (an empty gradient's norm of a negative order or -inf raises, as PyTorch's)
        norms = [float(Tensor._from_data(v).norm(norm_type)) for v in values if v.size or norm_type < 0]
        total = float(Tensor._from_data(np.array(norms)).norm(norm_type)) if norms else 0.0
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
                           "pass error_if_nonfinite=False to clip anyway")
    scale = float(max_norm) / (total + 1e-6)  # PyTorch's epsilon, so a zero norm never divides by zero
    if not scale >= 1.0:  # a NaN norm scales by NaN, as PyTorch's
        for v in values:
            v *= v.dtype.type(scale)
    # in the widest of the gradients' dtypes, as PyTorch's stacked norms are
    return Tensor._from_data(np.array(total, dtype=np.result_type(*[v.dtype for v in values])))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]; `foreach` as in clip_grad_norm_."""
    for param in _with_grads(parameters):
        values = _grad_values(param)
        np.clip(values, -clip_value, clip_value, out=values)


_WRAPPER_PREFIXES = ("module.", "_orig_mod.")  # added by DataParallel / DistributedDataParallel, torch.compile


def convert_torch_state_dict(arrays: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Turn a PyTorch state dict, given as name -> NumPy array, into one `Module.load_state_dict` accepts.

        arrays = {k: v.numpy() for k, v in torch_model.state_dict().items()}
        model.load_state_dict(fastgrad.nn.utils.convert_torch_state_dict(arrays))

    fastgrad's layers use PyTorch's names and layouts (`weight` (out, in), `bias`, `0.weight` inside
    Sequential, `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0` in RNN), so values keep
    their names; the prefixes that DataParallel ("module.") and torch.compile ("_orig_mod.") add are
    removed and every value becomes a contiguous array of its own. Objects with a `.numpy()` method
    (CPU tensors that do not require grad) are accepted too, without fastgrad importing torch.
    """
    converted = {}
    for name, value in arrays.items():
        if hasattr(value, "numpy") and not isinstance(value, (np.ndarray, Tensor)):
            value = value.numpy()
        array = np.array(value._data if isinstance(value, Tensor) else value, copy=True, order="C")
        if array.dtype.kind not in "biuf":
            raise TypeError(f"convert_torch_state_dict: {name!r} has dtype {array.dtype}, expected numbers")
        for prefix in _WRAPPER_PREFIXES:
            while name.startswith(prefix):
                name = name[len(prefix):]
        if name in converted:
            raise ValueError(f"convert_torch_state_dict: two entries map to the name {name!r}")
        converted[name] = array
    return converted


from fastgrad.nn.utils import rnn  # noqa: E402  (torch.nn.utils.rnn is there after `import torch`, as here)
from fastgrad.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: E402,F401

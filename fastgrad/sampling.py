"""torch's sampling functions that have no Tensor method: poisson and binomial. Their draws come from fastgrad's
generators (reproducible under manual_seed, not PyTorch's numbers); bad rates, counts or probabilities raise
where PyTorch's return garbage."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.graph import apply
from fastgrad.autograd.grad_mode import is_grad_enabled
from fastgrad.ops.assign import RandomFill
from fastgrad.ops.no_derivative import NoDerivative
from fastgrad.random import draw_binomial, draw_poisson, rng_of
from fastgrad.tensor import Tensor


def _floating(name: str, label: str, value, error: type[Exception]) -> Tensor:
    """value, a floating point tensor (else TypeError, or `error` for another dtype: PyTorch's type)."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{label}' must be a Tensor, got {type(value).__name__}")
    if value.dtype.kind != "f":
        raise error(f"{name}: {label} must be a floating point tensor, got dtype {value.dtype}")
    return value


def poisson(input: Tensor, generator=None) -> Tensor:
    """A Poisson count for each rate in `input` (non-negative and finite), in input's dtype. As PyTorch's, the
    result requires grad when input does, and its gradient is zero."""
    rates = _floating("poisson", "input", input, NotImplementedError)
    draws = draw_poisson(rng_of(generator), rates._data, "poisson: input (the rates)")
    if not (rates.requires_grad and is_grad_enabled()):
        return Tensor._wrap(draws.astype(rates.dtype), False, None)
    return apply(RandomFill, rates, draw=lambda _: draws)


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """A Binomial(count, prob) draw for each element of the broadcast count (whole numbers >= 0) and prob (in
    [0, 1]), of one floating dtype, in that dtype. As PyTorch's, the result requires grad when an input does,
    and backward raises: there is no derivative."""
    count, prob = (_floating("binomial", label, value, ValueError)
                   for label, value in (("count", count), ("prob", prob)))
    if count.dtype != prob.dtype:
        raise RuntimeError(f"binomial: count and prob must have the same dtype, got {count.dtype} and {prob.dtype}")
    try:
        shape = np.broadcast_shapes(count.shape, prob.shape)
    except ValueError:
        raise ValueError(f"binomial: count of shape {tuple(count.shape)} and prob of shape {tuple(prob.shape)} cannot "
                         "be broadcast together") from None
    counts, probs = np.broadcast_to(count._data, shape), np.broadcast_to(prob._data, shape)
    draws = draw_binomial(rng_of(generator), counts, probs, ("binomial: count", "binomial: prob")).astype(count.dtype)
    if not ((count.requires_grad or prob.requires_grad) and is_grad_enabled()):
        return Tensor._wrap(draws, False, None)
    return apply(NoDerivative, count, prob, values=draws, name="binomial")

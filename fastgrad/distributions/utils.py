"""Helpers the distributions share, under torch.distributions.utils' names where it has them."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.dtypes import finfo, float64, result_type
from fastgrad.tensor import Tensor

euler_constant = 0.57721566490153286060  # Euler–Mascheroni


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities kept eps away from 0 and 1, so that their logs and log-odds stay finite."""
    eps = finfo(probs.dtype).eps
    return probs.clamp(eps, 1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Log-odds of Bernoulli probabilities (is_binary), else logs of categorical ones (PyTorch's clamp:
    a zero probability gets log(eps), so 0 * log p terms stay 0)."""
    clamped = clamp_probs(probs)
    return clamped.log() - (-clamped).log1p() if is_binary else clamped.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def scoring_dtype(parameter: Tensor, value: Tensor) -> np.dtype:
    """The dtype log_prob works in: the parameter's, widened by a wider floating value, as PyTorch's
    promotion does (an integer value, such as counts or 0/1 outcomes, does not change it)."""
    return np.promote_types(parameter.dtype, value.dtype) if value.dtype.kind == "f" else parameter.dtype


def in_float64(compute, *tensors: Tensor) -> Tensor:
    """compute(*tensors) carried out in float64, with its gradient, and returned in the dtype PyTorch's
    promotion gives the tensors. For log_prob, entropy and KL of Gamma, Beta, Dirichlet and StudentT: their
    log-gamma and digamma terms grow as a log(a) and cancel to O(log a), so in float32 they lose every digit
    by concentrations (or df) near 1e6 (Beta(1e7, 1e7).log_prob(0.5) came out 32 for 8.18, PyTorch's too)."""
    dtype = result_type(*(tensor._data for tensor in tensors))  # PyTorch's promotion: 0-d ones rank below
    return compute(*(tensor.to(float64) for tensor in tensors)).to(dtype)


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """value summed over its `dim` rightmost dims."""
    return value.sum(tuple(range(-dim, 0))) if dim > 0 else value


def _scalar_log_gamma(x: float) -> float:
    try:
        return math.lgamma(x)
    except ValueError:  # a pole (0, -1, ...): PyTorch's lgamma gives inf there
        return math.inf


_log_gamma = np.vectorize(_scalar_log_gamma, otypes=[np.float64])


def log_factorial(counts: np.ndarray) -> np.ndarray:
    """log(x!) = lgamma(x + 1) elementwise, in float64, as a NumPy constant (for counts that are not a
    tensor, such as the range of counts an entropy sums over; a tensor's goes through the lgamma op). Whole
    counts, the usual case, are looked up in a table of their range."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.size and np.isfinite(counts).all() and (counts >= 0).all() and (counts == np.floor(counts)).all():
        table = _log_gamma(np.arange(counts.max() + 1) + 1)
        return table[counts.astype(np.int64)]
    return _log_gamma(counts + 1)

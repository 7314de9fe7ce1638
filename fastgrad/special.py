"""fastgrad.special: the functions of torch.special that fastgrad has, with its names and signatures.

Integer and bool inputs give the default float dtype, as in PyTorch; gradients flow as through the Tensor methods
of the same functions (`torch.special.gammaln` is `lgamma`, `psi` is `digamma`, `expit` is `sigmoid`).
"""
from __future__ import annotations

from fastgrad import ops
from fastgrad.autograd.graph import apply
from fastgrad.functions import (digamma, erfinv, exp2, i0, lgamma, logit, polygamma, sinc, xlogy)
from fastgrad.tensor import Tensor

__all__ = ["digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "log1p",
           "log_ndtr", "log_softmax", "logit", "logsumexp", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc",
           "softmax", "xlogy"]

gammaln, psi = lgamma, digamma


def _tensor(name: str, input) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"special.{name}(): input must be a Tensor, got {type(input).__name__}")
    return input


def expit(input: Tensor) -> Tensor:
    """The logistic sigmoid 1 / (1 + e^-x)."""
    return _tensor("expit", input).sigmoid()


def erf(input: Tensor) -> Tensor:
    return _tensor("erf", input).erf()


def erfc(input: Tensor) -> Tensor:
    return _tensor("erfc", input).erfc()


def log1p(input: Tensor) -> Tensor:
    return _tensor("log1p", input).log1p()


def expm1(input: Tensor) -> Tensor:
    return _tensor("expm1", input).expm1()


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    return _tensor("round", input).round(decimals)


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _tensor("softmax", input).softmax(dim, dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _tensor("log_softmax", input).log_softmax(dim, dtype)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    return _tensor("logsumexp", input).logsumexp(dim, keepdim)


def entr(input: Tensor) -> Tensor:
    """The entropy term -x log x elementwise: 0 at 0, -inf for x < 0; gradient -(1 + log x)."""
    return apply(ops.Entr, _tensor("entr", input)._floating())


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF, P(Z <= x)."""
    return apply(ops.Ndtr, _tensor("ndtr", input)._floating())


def ndtri(input: Tensor) -> Tensor:
    """The standard normal quantile, x with P(Z <= x) = p: -inf at 0, inf at 1, NaN outside [0, 1]."""
    return apply(ops.Ndtri, _tensor("ndtri", input)._floating())


def log_ndtr(input: Tensor) -> Tensor:
    """log P(Z <= x), accurate far into both tails (-x^2 / 2 - log(-x sqrt(2 pi)) for very negative x)."""
    return apply(ops.LogNdtr, _tensor("log_ndtr", input)._floating())

"""Bernoulli: 1 with probability p, else 0, from probabilities or logits."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.distributions.categorical import check_one_of
from fastgrad.distributions.distribution import Distribution, as_parameter
from fastgrad.dtypes import finfo
from fastgrad.functions import bernoulli
from fastgrad.nn.functional import binary_cross_entropy_with_logits
from fastgrad.tensor import Tensor


class Bernoulli(Distribution):
    """probs in [0, 1] or logits (log-odds); values 0. or 1. of the parameter's dtype."""

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        check_one_of(probs, logits)
        given = as_parameter(probs if probs is not None else logits, "probs" if probs is not None else "logits")
        super().__init__(given.shape, (), validate_args)
        if self._validate_args:
            values = given.detach().numpy()
            if probs is not None and not ((values >= 0) & (values <= 1)).all():
                raise ValueError(f"Expected parameter probs to be in [0, 1], got {values!r:.200}")
            if np.isnan(values).any():
                raise ValueError("Expected the parameter to hold no NaN")
        if probs is not None:
            self.probs = given
            eps = finfo(given.dtype).eps
            clamped = given.clamp(eps, 1 - eps)
            self.logits = clamped.log() - (-clamped).log1p()
        else:
            self.logits, self.probs = given, given.sigmoid()


    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    @property
    def mode(self) -> Tensor:
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, float("nan"))

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            return bernoulli(self.probs.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value) -> Tensor:
        value = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=self.logits.dtype))
        if self._validate_args and not np.isin(value.numpy(), (0, 1)).all():
            raise ValueError(f"Expected value to be 0 or 1, got {value}")
        shape = np.broadcast_shapes(value.shape, self.logits.shape)
        # a float value of a wider dtype widens the result, as PyTorch's promotion does
        dtype = np.promote_types(self.logits.dtype, value.dtype) if value.dtype.kind == "f" else self.logits.dtype
        return -binary_cross_entropy_with_logits(self.logits.to(dtype).expand(shape), value.to(dtype).expand(shape),
                                                 reduction="none")

    def entropy(self) -> Tensor:
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

"""Bernoulli: 1 with probability p, else 0, from probabilities or logits."""
from __future__ import annotations

from functools import cached_property

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import Distribution, probs_or_logits
from fastgrad.distributions.utils import logits_to_probs, probs_to_logits, scoring_dtype
from fastgrad.functions import bernoulli
from fastgrad.nn.functional import binary_cross_entropy_with_logits
from fastgrad.tensor import Size, Tensor


class Bernoulli(Distribution):
    """probs in [0, 1] or logits (log-odds); values 0. or 1. of the parameter's dtype. The parameter not
    given is derived from the other on first use and kept."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        name, given = probs_or_logits(probs, logits)
        setattr(self, name, given)
        super().__init__(given.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> "Bernoulli":
        return self._expand_parameters(Bernoulli, batch_shape, _instance)

    @cached_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @cached_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return self.batch_shape

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
        value = self._checked(value, self.logits.dtype)
        shape, dtype = np.broadcast_shapes(value.shape, self.logits.shape), scoring_dtype(self.logits, value)
        return -binary_cross_entropy_with_logits(self.logits.to(dtype).expand(shape), value.to(dtype).expand(shape),
                                                 reduction="none")

    def entropy(self) -> Tensor:
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        given = self.__dict__["probs"] if "probs" in self.__dict__ else self.__dict__["logits"]
        return self._enumerated(Tensor._from_data(np.arange(2, dtype=given.dtype)), expand)

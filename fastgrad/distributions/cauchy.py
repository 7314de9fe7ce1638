"""Cauchy(loc, scale): the Lorentz distribution, with density 1 / (pi scale (1 + ((x - loc) / scale)^2))."""
from __future__ import annotations

import math

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.creation import empty, full_like
from fastgrad.distributions import constraints
from fastgrad.distributions.location_scale import LocationScale
from fastgrad.tensor import Tensor


class Cauchy(LocationScale):
    """It has no mean (NaN) nor variance (inf); `rsample` is loc + scale * a standard Cauchy draw."""

    support = constraints.real

    @property
    def mean(self) -> Tensor:
        return full_like(self.loc.detach(), math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return full_like(self.loc.detach(), math.inf)

    def rsample(self, sample_shape=()) -> Tensor:
        with no_grad():
            noise = empty(*self._extended_shape(sample_shape), dtype=self.loc.dtype).cauchy_()
        return self.loc + noise * self.scale

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value) -> Tensor:
        value = self._as_value(value, self.loc.dtype)
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()

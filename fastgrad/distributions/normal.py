"""Normal: the Gaussian with mean loc and standard deviation scale."""
from __future__ import annotations

import math

from fastgrad.creation import randn
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import CentredAtLoc
from fastgrad.distributions.location_scale import LocationScale
from fastgrad.special import ndtri
from fastgrad.tensor import Tensor


class Normal(CentredAtLoc, LocationScale):
    """`rsample` is loc + scale * eps for a standard normal eps; `sample` is the same without gradient."""

    support = constraints.real

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2

    def rsample(self, sample_shape=()) -> Tensor:
        noise = randn(*self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + noise * self.scale

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    def icdf(self, value) -> Tensor:
        value = self._as_value(value, self.loc.dtype)
        return self.loc + self.scale * ndtri(value)

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

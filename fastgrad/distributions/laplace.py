"""Laplace: the double exponential, with density exp(-|x - loc| / scale) / (2 scale)."""
from __future__ import annotations

import math

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.creation import empty
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import CentredAtLoc
from fastgrad.distributions.location_scale import LocationScale
from fastgrad.dtypes import finfo
from fastgrad.tensor import Tensor


class Laplace(CentredAtLoc, LocationScale):
    """`rsample` is the inverse cdf at a uniform draw."""

    support = constraints.real

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale ** 2

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape=()) -> Tensor:
        # the inverse cdf at u in (eps - 1, 1): |u| <= 1 - eps keeps log1p(-|u|) finite
        dtype = self.loc.dtype
        with no_grad():
            u = empty(*self._extended_shape(sample_shape), dtype=dtype).uniform_(finfo(dtype).eps - 1, 1)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        return 0.5 - 0.5 * (value - self.loc).sign() * (-(value - self.loc).abs() / self.scale).expm1()

    def icdf(self, value) -> Tensor:
        value = self._as_value(value, self.loc.dtype)
        centred = value - 0.5
        return self.loc - self.scale * centred.sign() * (-2 * centred.abs()).log1p()

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()

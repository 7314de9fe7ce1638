"""Gumbel: the distribution of the maximum of many draws; loc - scale log(-log U) for uniform U."""
from __future__ import annotations

import math

from fastgrad.creation import rand
from fastgrad.distributions import constraints
from fastgrad.distributions.location_scale import LocationScale
from fastgrad.distributions.utils import euler_constant
from fastgrad.dtypes import finfo
from fastgrad.tensor import Tensor


class Gumbel(LocationScale):
    """PyTorch builds it as a TransformedDistribution of a Uniform; here the closed forms are written
    out (the same values; isinstance(g, TransformedDistribution) does not hold, as there is none)."""

    support = constraints.real

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * euler_constant

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return math.pi / math.sqrt(6) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev ** 2

    def rsample(self, sample_shape=()) -> Tensor:
        # u in [tiny, 1 - eps), PyTorch's range, keeps both logs finite
        info = finfo(self.loc.dtype)
        u = rand(*self._extended_shape(sample_shape), dtype=self.loc.dtype) * (1 - info.eps - info.tiny) + info.tiny
        return self.loc - self.scale * (-u.log()).log()

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        standardised = (self.loc - value) / self.scale
        return standardised - standardised.exp() - self.scale.log()

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value) -> Tensor:
        return self.loc - self.scale * (-value.log()).log()

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + euler_constant)

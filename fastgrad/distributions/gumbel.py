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
    """PyTorch builds it as a TransformedDistribution of a Uniform on [tiny, 1 - eps]; here the closed
    forms are written out on that range (so cdf and icdf give PyTorch's values, finite icdf at 0 and 1
    included), but isinstance(g, TransformedDistribution) does not hold, as there is none."""

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
        return self.icdf(rand(*self._extended_shape(sample_shape), dtype=self.loc.dtype))

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        standardised = (self.loc - value) / self.scale
        return standardised - standardised.exp() - self.scale.log()

    def cdf(self, value) -> Tensor:
        """exp(-exp(-(value - loc) / scale)), read on the squeezed range as PyTorch's (within eps of it)."""
        value = self._checked(value, self.loc.dtype)
        info = finfo(self.loc.dtype)
        squeezed = (-(-(value - self.loc) / self.scale).exp()).exp()
        if self._validate_args and not ((squeezed >= info.tiny) & (squeezed <= 1 - info.eps)).all():
            # PyTorch validates the uniform draw its transforms lead back to: where that underflows to 0 or
            # rounds to 1 it is outside [tiny, 1 - eps], and PyTorch refuses the value
            raise ValueError(f"Gumbel.cdf: the value must lead back to a uniform draw within [{info.tiny}, "
                             f"{1 - info.eps}] (PyTorch's support of its base Uniform), but the cdf underflows to 0 "
                             f"or rounds to 1 at some of {value}")
        return ((squeezed - info.tiny) / (1 - info.eps - info.tiny)).clamp(0, 1)

    def icdf(self, value) -> Tensor:
        """loc - scale log(-log u), finite at 0 and 1 as PyTorch's: u is squeezed into [tiny, 1 - eps]."""
        value = self._as_value(value, self.loc.dtype)
        info = finfo(self.loc.dtype)
        squeezed = value * (1 - info.eps - info.tiny) + info.tiny
        return self.loc - self.scale * (-squeezed.log()).log()

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + euler_constant)

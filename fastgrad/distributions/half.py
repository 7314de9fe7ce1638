"""HalfNormal(scale) and HalfCauchy(scale): |X| for X ~ Normal(0, scale) or Cauchy(0, scale), the base
distribution folded at 0 by AbsTransform, as PyTorch's. The transform is not bijective, so the scores are
written out: the density doubles on x >= 0."""
from __future__ import annotations

import math

from fastgrad.creation import full_like, zeros_like
from fastgrad.distributions import constraints
from fastgrad.distributions.cauchy import Cauchy
from fastgrad.distributions.distribution import Distribution, as_parameter
from fastgrad.distributions.normal import Normal
from fastgrad.distributions.transformed_distribution import TransformedDistribution
from fastgrad.distributions.transforms import AbsTransform
from fastgrad.functions import where
from fastgrad.tensor import Tensor


class FoldedAtZero(TransformedDistribution):
    """scale > 0 (that of `base_dist`, centred at 0); values >= 0."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    base_family: type = Distribution

    def __init__(self, scale, validate_args: bool | None = None) -> None:
        scale = as_parameter(scale, "scale")
        super().__init__(self.base_family(0.0, scale, validate_args=False), AbsTransform(), validate_args)
        if self._validate_args:  # the base does not check it: its support is the whole line
            self._validate_parameter("scale", scale, constraints.positive)

    def expand(self, batch_shape, _instance=None) -> "FoldedAtZero":
        new = self._copy_for_expand(FoldedAtZero, batch_shape, _instance)
        return TransformedDistribution.expand(self, batch_shape, new)

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.scale.detach())

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.scale.dtype)
        return where(value >= 0, self.base_dist.log_prob(value) + math.log(2), -math.inf)

    def cdf(self, value) -> Tensor:
        return 2 * self.base_dist.cdf(self._checked(value, self.scale.dtype)) - 1

    def icdf(self, value) -> Tensor:
        return self.base_dist.icdf((self._as_value(value, self.scale.dtype) + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)


class HalfNormal(FoldedAtZero):
    base_family = Normal

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2 * (1 - 2 / math.pi)


class HalfCauchy(FoldedAtZero):
    """It has no finite mean nor variance (both inf, as PyTorch's)."""

    base_family = Cauchy

    @property
    def mean(self) -> Tensor:
        return full_like(self.scale.detach(), math.inf)

    @property
    def variance(self) -> Tensor:
        return full_like(self.scale.detach(), math.inf)

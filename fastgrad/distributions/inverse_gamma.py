"""InverseGamma(concentration, rate): 1 / X for X ~ Gamma(concentration, rate), a TransformedDistribution as
PyTorch's."""
from __future__ import annotations

import math

from fastgrad.creation import tensor
from fastgrad.distributions import constraints
from fastgrad.distributions.gamma import Gamma
from fastgrad.distributions.transformed_distribution import TransformedDistribution
from fastgrad.distributions.transforms import PowerTransform
from fastgrad.distributions.utils import in_float64
from fastgrad.functions import where
from fastgrad.tensor import Tensor


class InverseGamma(TransformedDistribution):
    """concentration > 0 and rate > 0, those of the Gamma `base_dist`, which checks them; values > 0. The
    mean is inf for concentration <= 1 and the variance for concentration <= 2, as PyTorch's."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args: bool | None = None) -> None:
        base = Gamma(concentration, rate, validate_args=validate_args)
        super().__init__(base, PowerTransform(tensor(-1.0, dtype=base.rate.dtype)), validate_args)

    def expand(self, batch_shape, _instance=None) -> "InverseGamma":
        new = self._copy_for_expand(InverseGamma, batch_shape, _instance)
        return TransformedDistribution.expand(self, batch_shape, new)

    @property
    def concentration(self) -> Tensor:
        return self.base_dist.concentration

    @property
    def rate(self) -> Tensor:
        return self.base_dist.rate

    @property
    def mean(self) -> Tensor:
        finite = self.concentration > 1
        concentration = self.concentration.masked_fill(~finite, 2.0)  # the unused branch (and gradient) finite
        return where(finite, self.rate / (concentration - 1), math.inf)

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        finite = self.concentration > 2
        concentration = self.concentration.masked_fill(~finite, 3.0)
        return where(finite, self.rate ** 2 / ((concentration - 1) ** 2 * (concentration - 2)), math.inf)

    def entropy(self) -> Tensor:
        return in_float64(_entropy, self.concentration, self.rate)


def _entropy(concentration: Tensor, rate: Tensor) -> Tensor:
    return concentration + rate.log() + concentration.lgamma() - (1 + concentration) * concentration.digamma()

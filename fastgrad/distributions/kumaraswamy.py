"""Kumaraswamy(concentration1, concentration0): (1 - (1 - U)^(1 / concentration0))^(1 / concentration1) for a
uniform U, a TransformedDistribution as PyTorch's; a Beta-like law on [0, 1] with a closed-form cdf."""
from __future__ import annotations

import math

from fastgrad.creation import ones, zeros
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter, as_parameter
from fastgrad.distributions.transformed_distribution import ParameterizedTransformedDistribution
from fastgrad.distributions.transforms import AffineTransform, PowerTransform
from fastgrad.distributions.uniform import Uniform
from fastgrad.distributions.utils import euler_constant
from fastgrad.functions import where
from fastgrad.tensor import Tensor


def _moment(a: Tensor, b: Tensor, n: int) -> Tensor:
    """E[X^n] = b B(1 + n / a, b)."""
    shifted = 1 + n / a
    return b * (shifted.lgamma() + b.lgamma() - (shifted + b).lgamma()).exp()


class Kumaraswamy(ParameterizedTransformedDistribution):
    """concentration1 (a) > 0 and concentration0 (b) > 0, broadcast together; values in [0, 1]. `rsample` is
    differentiable in both."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True
    concentration1, concentration0 = BroadcastParameter(), BroadcastParameter()

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None) -> None:
        self._init_parameters({"concentration1": as_parameter(concentration1, "concentration1", like=concentration0),
                               "concentration0": as_parameter(concentration0, "concentration0", like=concentration1)},
                              validate_args)

    def expand(self, batch_shape, _instance=None) -> "Kumaraswamy":
        return self._expand_parameters(Kumaraswamy, batch_shape, _instance)

    def _base(self) -> Uniform:
        dtype = self.concentration0.dtype
        return Uniform(zeros(*self.batch_shape, dtype=dtype), ones(*self.batch_shape, dtype=dtype), validate_args=False)

    def _transforms(self) -> list:
        return [PowerTransform(self.concentration0.reciprocal()), AffineTransform(1.0, -1.0),
                PowerTransform(self.concentration1.reciprocal())]

    @property
    def mean(self) -> Tensor:
        return _moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        """((a - 1) / (a b - 1))^(1 / a) for a, b >= 1 (not both 1); 0 for a < 1 <= b, 1 for b < 1 <= a, NaN
        where there is no single mode (a, b < 1, or the uniform a = b = 1). PyTorch's formula is NaN
        everywhere."""
        a, b = self.concentration1, self.concentration0
        inside = (a >= 1) & (b >= 1) & (a * b > 1)
        a, b = a.masked_fill(~inside, 2.0), b.masked_fill(~inside, 2.0)  # the unused branch (and gradient) finite
        peak = where(inside, ((a - 1) / (a * b - 1)) ** a.reciprocal(), math.nan)
        a, b = self.concentration1, self.concentration0
        return where((a < 1) & (b >= 1), 0.0, where((a >= 1) & (b < 1), 1.0, peak))

    @property
    def variance(self) -> Tensor:
        return _moment(self.concentration1, self.concentration0, 2) - self.mean ** 2

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        harmonic = (b + 1).digamma() + euler_constant  # the harmonic number H_b
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic - a.log() - b.log()

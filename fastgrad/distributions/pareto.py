"""Pareto(scale, alpha): scale * e^E for an exponential E of rate alpha, a TransformedDistribution as
PyTorch's; values >= scale."""
from __future__ import annotations

import math

from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter, as_parameter
from fastgrad.distributions.exponential import Exponential
from fastgrad.distributions.transformed_distribution import ParameterizedTransformedDistribution
from fastgrad.distributions.transforms import AffineTransform, ExpTransform
from fastgrad.functions import where
from fastgrad.tensor import Tensor


class Pareto(ParameterizedTransformedDistribution):
    """scale > 0 and alpha > 0, broadcast together. The mean is inf for alpha <= 1 and the variance for
    alpha <= 2, as PyTorch's. `rsample` is differentiable in both."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    has_rsample = True
    scale, alpha = BroadcastParameter(), BroadcastParameter()

    def __init__(self, scale, alpha, validate_args: bool | None = None) -> None:
        self._init_parameters({"scale": as_parameter(scale, "scale", like=alpha),
                               "alpha": as_parameter(alpha, "alpha", like=scale)}, validate_args)

    def expand(self, batch_shape, _instance=None) -> "Pareto":
        return self._expand_parameters(Pareto, batch_shape, _instance)

    def _base(self) -> Exponential:
        return Exponential(self.alpha, validate_args=False)

    def _transforms(self) -> list:
        return [ExpTransform(), AffineTransform(0, self.scale)]

    @property
    def support(self) -> constraints.Constraint:
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self) -> Tensor:
        finite = self.alpha > 1
        alpha = self.alpha.masked_fill(~finite, 2.0)  # keeps the unused branch (and its gradient) finite
        return where(finite, alpha * self.scale / (alpha - 1), math.inf)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        finite = self.alpha > 2
        alpha = self.alpha.masked_fill(~finite, 3.0)
        return where(finite, self.scale ** 2 * alpha / ((alpha - 1) ** 2 * (alpha - 2)), math.inf)

    def entropy(self) -> Tensor:
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())

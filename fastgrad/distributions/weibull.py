"""Weibull(scale, concentration): scale * E^(1 / concentration) for a standard exponential E, a
TransformedDistribution as PyTorch's."""
from __future__ import annotations

from fastgrad.creation import ones, zeros_like
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter, as_parameter
from fastgrad.distributions.exponential import Exponential
from fastgrad.distributions.transformed_distribution import ParameterizedTransformedDistribution
from fastgrad.distributions.transforms import AffineTransform, PowerTransform
from fastgrad.distributions.utils import euler_constant
from fastgrad.functions import where
from fastgrad.tensor import Tensor


class Weibull(ParameterizedTransformedDistribution):
    """scale > 0 and concentration > 0, broadcast together; values > 0. `rsample` is differentiable in both."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True
    scale, concentration = BroadcastParameter(), BroadcastParameter()

    def __init__(self, scale, concentration, validate_args: bool | None = None) -> None:
        self._init_parameters({"scale": as_parameter(scale, "scale", like=concentration),
                               "concentration": as_parameter(concentration, "concentration", like=scale)},
                              validate_args)

    def expand(self, batch_shape, _instance=None) -> "Weibull":
        return self._expand_parameters(Weibull, batch_shape, _instance)

    def _base(self) -> Exponential:
        return Exponential(ones(*self.batch_shape, dtype=self.scale.dtype), validate_args=False)

    def _transforms(self) -> list:
        return [PowerTransform(self.concentration_reciprocal), AffineTransform(0, self.scale)]

    @property
    def concentration_reciprocal(self) -> Tensor:
        return self.concentration.reciprocal()

    @property
    def mean(self) -> Tensor:
        return self.scale * (1 + self.concentration_reciprocal).lgamma().exp()

    @property
    def mode(self) -> Tensor:
        """0 for concentration <= 1, where the density decreases from 0 (PyTorch's formula gives a positive
        number or NaN there)."""
        concentration = self.concentration
        peak = self.scale * ((concentration - 1) / concentration) ** concentration.reciprocal()
        return where(concentration > 1, peak, zeros_like(peak))

    @property
    def variance(self) -> Tensor:
        reciprocal = self.concentration_reciprocal
        return self.scale ** 2 * ((1 + 2 * reciprocal).lgamma().exp() - (2 * (1 + reciprocal).lgamma()).exp())

    def entropy(self) -> Tensor:
        reciprocal = self.concentration_reciprocal
        return euler_constant * (1 - reciprocal) + (self.scale * reciprocal).log() + 1

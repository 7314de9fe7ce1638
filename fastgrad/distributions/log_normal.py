"""LogNormal: exp of a Normal(loc, scale) draw, a TransformedDistribution as PyTorch's."""
from __future__ import annotations

from fastgrad.distributions import constraints
from fastgrad.distributions.normal import Normal
from fastgrad.distributions.transformed_distribution import TransformedDistribution
from fastgrad.distributions.transforms import ExpTransform
from fastgrad.tensor import Tensor


class LogNormal(TransformedDistribution):
    """loc and scale (> 0) are those of the underlying Normal, `base_dist`, which checks them; log_prob(y)
    = Normal.log_prob(log y) - log y by the change of variables."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        super().__init__(Normal(loc, scale, validate_args=validate_args), ExpTransform(), validate_args)

    def expand(self, batch_shape, _instance=None) -> "LogNormal":
        new = self._copy_for_expand(LogNormal, batch_shape, _instance)
        return TransformedDistribution.expand(self, batch_shape, new)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale ** 2 / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale ** 2).exp()

    @property
    def variance(self) -> Tensor:
        squared_scale = self.scale ** 2
        return squared_scale.expm1() * (2 * self.loc + squared_scale).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc

"""LogNormal: exp of a Normal(loc, scale) draw."""
from __future__ import annotations

from fastgrad.distributions import constraints
from fastgrad.distributions.location_scale import LocationScale
from fastgrad.distributions.normal import Normal
from fastgrad.tensor import Tensor


class LogNormal(LocationScale):
    """loc and scale (> 0) are those of the underlying Normal, `base_dist`. PyTorch builds it as a
    TransformedDistribution; here the same closed forms are written out: log_prob(y) =
    Normal.log_prob(log y) - log y."""

    support = constraints.positive

    @property
    def base_dist(self) -> Normal:
        normal = Normal(self.__dict__["loc"], self.__dict__["scale"], validate_args=False)
        normal._validate_args = self._validate_args  # the parameters were checked here already
        return normal.expand(self.batch_shape)

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

    def rsample(self, sample_shape=()) -> Tensor:
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value) -> Tensor:
        log_value = self._checked(value, self.loc.dtype).log()
        return self.base_dist.log_prob(log_value) - log_value

    def cdf(self, value) -> Tensor:
        return self.base_dist.cdf(self._checked(value, self.loc.dtype).log())

    def icdf(self, value) -> Tensor:
        return self.base_dist.icdf(value).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc

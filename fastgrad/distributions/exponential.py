"""Exponential: the waiting time of a Poisson process with the given rate."""
from __future__ import annotations

from fastgrad.creation import rand, zeros_like
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import Distribution, as_parameter
from fastgrad.tensor import Tensor


class Exponential(Distribution):
    """rate > 0; values >= 0. `rsample` (a standard exponential draw / rate) is differentiable in rate."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args: bool | None = None) -> None:
        self.rate = as_parameter(rate, "rate")
        super().__init__(self.rate.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> "Exponential":
        return self._expand_parameters(Exponential, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.rate)

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate ** -2

    def rsample(self, sample_shape=()) -> Tensor:
        uniform = rand(*self._extended_shape(sample_shape), dtype=self.rate.dtype)  # in [0, 1): 1 - u > 0
        return -(-uniform).log1p() / self.rate

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.rate.dtype)
        return self.rate.log() - self.rate * value

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.rate.dtype)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value) -> Tensor:
        value = self._as_value(value, self.rate.dtype)
        return -(-value).log1p() / self.rate

    def entropy(self) -> Tensor:
        return 1.0 - self.rate.log()

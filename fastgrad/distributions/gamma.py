"""Gamma(concentration, rate): the waiting time for `concentration` events of a Poisson process of the
given rate; Chi2(df) is Gamma(df / 2, 1 / 2)."""
from __future__ import annotations

import numpy as np

from fastgrad.creation import full_like
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter, Distribution, as_parameter
from fastgrad.distributions.standard_gamma import RegularizedLowerGamma, StandardGamma
from fastgrad.dtypes import finfo
from fastgrad.tensor import Tensor


class Gamma(Distribution):
    """concentration > 0 and rate > 0, broadcast together into the batch shape; values >= 0. `rsample`
    is differentiable in both (in the concentration by the implicit reparameterisation)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    concentration, rate = BroadcastParameter(), BroadcastParameter()

    def __init__(self, concentration, rate, validate_args: bool | None = None) -> None:
        self.concentration = as_parameter(concentration, "concentration", like=rate)
        self.rate = as_parameter(rate, "rate", like=concentration)
        super().__init__(np.broadcast_shapes(self.__dict__["concentration"].shape, self.__dict__["rate"].shape), (),
                         validate_args)

    def expand(self, batch_shape, _instance=None) -> "Gamma":
        return self._expand_parameters(Gamma, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate ** 2

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        value = StandardGamma.apply(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=finfo(value.dtype).tiny)  # as PyTorch, unrecorded: a draw is never 0
        return value

    def log_prob(self, value) -> Tensor:
        # as PyTorch's, in the rate's dtype whatever the value's (a float32 value under float64 parameters)
        value = self._checked(value, self.rate.dtype).to(self.rate.dtype)
        concentration, rate = self.concentration, self.rate
        return concentration.xlogy(rate) + (concentration - 1).xlogy(value) - rate * value - concentration.lgamma()

    def cdf(self, value) -> Tensor:
        """The regularized lower incomplete gamma function P(concentration, rate * value); differentiable
        in the rate and the value, not in the concentration (as PyTorch's)."""
        scaled = self.rate * self._checked(value, self.rate.dtype)
        return RegularizedLowerGamma.apply(self.concentration.expand(scaled.shape), scaled)

    def entropy(self) -> Tensor:
        concentration = self.concentration
        return concentration - self.rate.log() + concentration.lgamma() + (1 - concentration) * concentration.digamma()


class Chi2(Gamma):
    """df > 0: Gamma(df / 2, 1 / 2), with df the parameter kept (and checked)."""

    arg_constraints = {"df": constraints.positive}
    df = BroadcastParameter()

    def __init__(self, df, validate_args: bool | None = None) -> None:
        self.df = as_parameter(df, "df")
        Distribution.__init__(self, self.__dict__["df"].shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> "Chi2":
        return self._expand_parameters(Chi2, batch_shape, _instance)

    @property
    def concentration(self) -> Tensor:
        return self.df * 0.5

    @property
    def rate(self) -> Tensor:
        return full_like(self.df.detach(), 0.5)

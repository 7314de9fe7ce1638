"""Poisson(rate): the number of events of a Poisson process of the given rate in unit time."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import Distribution, as_parameter
from fastgrad.distributions.utils import scoring_dtype
from fastgrad.dtypes import float64
from fastgrad.random import rng_of
from fastgrad.tensor import Tensor


class Poisson(Distribution):
    """rate >= 0; values are counts of the rate's dtype. log_prob is exact for integer values too, where
    PyTorch takes their log-factorials in float32."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args: bool | None = None) -> None:
        self.rate = as_parameter(rate, "rate")
        super().__init__(self.rate.shape, (), validate_args)

    def expand(self, batch_shape, _instance=None) -> "Poisson":
        return self._expand_parameters(Poisson, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            shape = tuple(self._extended_shape(sample_shape))
            draws = rng_of(None).poisson(np.broadcast_to(self.rate._data.astype(np.float64), shape))
            # one draw (a scalar batch and no sample shape) comes back as a Python int, not an array
            return Tensor._from_data(np.asarray(draws, dtype=self.rate.dtype))

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.rate.dtype)
        dtype = scoring_dtype(self.rate, value)
        # in float64: the terms grow as x log x and cancel to O(log x), which float32 loses at large counts
        # (Poisson(1e6).log_prob(1e6) was -7.0 for -7.83, as PyTorch's)
        value, rate = value.to(float64), self.rate.to(float64)
        return (value.xlogy(rate) - rate - (value + 1).lgamma()).to(dtype)

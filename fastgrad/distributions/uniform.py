"""Uniform: constant density on [low, high)."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.creation import rand
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter, Distribution, as_parameter
from fastgrad.tensor import Tensor


class Uniform(Distribution):
    """low < high, broadcast together into the batch shape; `rsample` is differentiable in both."""

    has_rsample = True
    low, high = BroadcastParameter(), BroadcastParameter()

    def __init__(self, low, high, validate_args: bool | None = None) -> None:
        self.low, self.high = as_parameter(low, "low", like=high), as_parameter(high, "high", like=low)
        super().__init__(np.broadcast_shapes(self.__dict__["low"].shape, self.__dict__["high"].shape), (),
                         validate_args)

    def expand(self, batch_shape, _instance=None) -> "Uniform":
        return self._expand_parameters(Uniform, batch_shape, _instance)

    @property
    def arg_constraints(self) -> dict:
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @property
    def support(self) -> constraints.Constraint:
        return constraints.interval(self.low, self.high)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        return self.high * math.nan

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / math.sqrt(12)

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=()) -> Tensor:
        return self.low + rand(*self._extended_shape(sample_shape), dtype=self.low.dtype) * (self.high - self.low)

    def log_prob(self, value) -> Tensor:
        """-log(high - low) inside [low, high), -inf outside (where the gradient is still that of
        -log(high - low), as PyTorch's)."""
        value = self._checked(value, self.low.dtype)
        low, high, at = self.low.detach().numpy(), self.high.detach().numpy(), value.detach().numpy()
        outside = np.where((low <= at) & (at < high), 0.0, -np.inf).astype(self.low.dtype)
        return Tensor._from_data(outside) - (self.high - self.low).log()

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.low.dtype)
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value) -> Tensor:
        value = self._as_value(value, self.low.dtype)
        return value * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()

"""Dirichlet(concentration) over probability vectors, and Beta(concentration1, concentration0), its
two-category case over the first probability."""
from __future__ import annotations

import numpy as np

from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter, Distribution, as_parameter
from fastgrad.distributions.standard_gamma import StandardGamma
from fastgrad.distributions.utils import in_float64
from fastgrad.functions import stack, where
from fastgrad.tensor import Tensor


class Dirichlet(Distribution):
    """concentration (..., K) > 0; the batch shape is its leading dims, the event shape (K,). `rsample`
    normalises independent Gamma(concentration_k, 1) draws, and is differentiable in the concentration
    through them."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True
    concentration = BroadcastParameter()

    def __init__(self, concentration, validate_args: bool | None = None) -> None:
        concentration = as_parameter(concentration, "concentration")
        if concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional, got shape "
                             f"{tuple(concentration.shape)}.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args)

    def expand(self, batch_shape, _instance=None) -> "Dirichlet":
        return self._expand_parameters(Dirichlet, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        """(concentration - 1)+ normalised: NaN where that is 0 / 0 (every concentration <= 1, so no single
        mode), except that where every concentration is below 1 (the density grows towards every corner)
        PyTorch's answer is the first corner."""
        excess = (self.concentration - 1).clamp(min=0)
        all_below_one = Tensor._from_data(np.all(self.concentration._data < 1, -1, keepdims=True))
        corner = np.zeros(excess.shape, dtype=excess.dtype)
        corner[..., 0] = 1
        total = excess.sum(-1, keepdim=True).masked_fill(all_below_one, 1.0)  # keeps the corners' gradient finite
        return where(all_below_one, Tensor._from_data(corner), excess / total)

    @property
    def variance(self) -> Tensor:
        concentration = self.concentration
        total = concentration.sum(-1, keepdim=True)
        return concentration * (total - concentration) / (total ** 2 * (total + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        draws = StandardGamma.apply(self.concentration.expand(self._extended_shape(sample_shape)))
        return draws / draws.sum(-1, keepdim=True)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.concentration.dtype)
        return in_float64(_log_density, self.concentration, value)

    def entropy(self) -> Tensor:
        return in_float64(_entropy, self.concentration)


def _log_density(concentration: Tensor, value: Tensor) -> Tensor:
    return ((concentration - 1).xlogy(value).sum(-1) + concentration.sum(-1).lgamma()
            - concentration.lgamma().sum(-1))


def _entropy(concentration: Tensor) -> Tensor:
    categories, total = concentration.shape[-1], concentration.sum(-1)
    return (concentration.lgamma().sum(-1) - total.lgamma() - (categories - total) * total.digamma()
            - ((concentration - 1) * concentration.digamma()).sum(-1))


class Beta(Distribution):
    """concentration1 (the weight of the value) and concentration0 (of 1 - value), > 0 and broadcast
    together into the batch shape; values in [0, 1]. Computed as the Dirichlet over (value, 1 - value)."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True
    concentration1, concentration0 = BroadcastParameter(), BroadcastParameter()

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None) -> None:
        self.concentration1 = as_parameter(concentration1, "concentration1", like=concentration0)
        self.concentration0 = as_parameter(concentration0, "concentration0", like=concentration1)
        super().__init__(np.broadcast_shapes(self.__dict__["concentration1"].shape,
                                             self.__dict__["concentration0"].shape), (), validate_args)

    def expand(self, batch_shape, _instance=None) -> "Beta":
        return self._expand_parameters(Beta, batch_shape, _instance)

    @property
    def _dirichlet(self) -> Dirichlet:
        """Built at each use (see BroadcastParameter); its parameters were checked here already."""
        return Dirichlet(stack([self.concentration1, self.concentration0], -1), validate_args=False)

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total ** 2 * (total + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.concentration1.dtype)
        return self._dirichlet.log_prob(stack([value, 1.0 - value], -1))

    def entropy(self) -> Tensor:
        return self._dirichlet.entropy()

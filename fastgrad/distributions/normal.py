"""Normal: the Gaussian with mean loc and standard deviation scale."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.creation import randn
from fastgrad.distributions.distribution import Distribution, as_parameter
from fastgrad.tensor import Tensor


class Normal(Distribution):
    """loc and scale (> 0) broadcast together into the batch shape. `rsample` is differentiable in both
    (loc + scale * eps); `sample` is not."""

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        loc, scale = as_parameter(loc, "loc", like=scale), as_parameter(scale, "scale", like=loc)
        shape = np.broadcast_shapes(loc.shape, scale.shape)
        super().__init__(shape, (), validate_args)
        if self._validate_args:
            if not (scale.detach().numpy() > 0).all():
                raise ValueError(f"Expected parameter scale to be positive, got {scale}")
            if np.isnan(loc.detach().numpy()).any():
                raise ValueError("Expected parameter loc to hold no NaN")
        self._loc, self._scale = loc, scale

    # Broadcast at each use rather than once: a graph node made here would be shared by every log_prob's
    # graph, and the first backward would free it for the others.
    @property
    def loc(self) -> Tensor:
        return self._loc.expand(*self.batch_shape)

    @property
    def scale(self) -> Tensor:
        return self._scale.expand(*self.batch_shape)


    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2

    def rsample(self, sample_shape=()) -> Tensor:
        noise = randn(*self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + noise * self.scale

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape)

    def log_prob(self, value) -> Tensor:
        value = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=self.loc.dtype))
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

"""Normal: the Gaussian with mean loc and standard deviation scale."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.autograd.function import Function
from fastgrad.creation import randn
from fastgrad.distributions import constraints
from fastgrad.distributions.location_scale import LocationScale
from fastgrad.tensor import Tensor

_erfc = np.vectorize(math.erfc, otypes=[np.float64])  # NumPy has no erfc: libm's, one element at a time


def standard_normal_quantile(probability: np.ndarray) -> np.ndarray:
    """Phi^-1(p) in float64 (fastgrad has no erfinv op): Abramowitz & Stegun 26.2.23 (error < 4.5e-4)
    for the lower tail q = min(p, 1 - p), refined by three Newton steps on Phi(z) = erfc(-z / sqrt 2) / 2,
    each of which about squares the error; mirrored for p > 1/2 (1 - p is exact there). 0 and 1 give
    -inf and inf; anything outside [0, 1] gives NaN, as PyTorch's erfinv."""
    p = np.asarray(probability, dtype=np.float64)
    tail = np.minimum(p, 1 - p)
    inside = tail > 0  # False for NaN, 0, 1 and everything outside [0, 1]
    q = np.where(inside, tail, 0.25)
    t = np.sqrt(-2 * np.log(q))
    z = -(t - (2.515517 + 0.802853 * t + 0.010328 * t ** 2)
          / (1 + 1.432788 * t + 0.189269 * t ** 2 + 0.001308 * t ** 3))
    for _ in range(3):
        density = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        z = z - np.divide(0.5 * _erfc(-z / math.sqrt(2)) - q, density, out=np.zeros_like(z), where=density > 0)
    z = np.where(p > 0.5, -z, z)
    return np.where(inside, z, np.where(p == 0, -np.inf, np.where(p == 1, np.inf, np.nan)))


class StandardNormalQuantile(Function):
    """Phi^-1 with its derivative 1 / phi(z) = sqrt(2 pi) exp(z^2 / 2) (inf at p = 0 and 1)."""

    @staticmethod
    def forward(ctx, probability: Tensor) -> Tensor:
        quantile = Tensor._from_data(standard_normal_quantile(probability.numpy()).astype(probability.dtype))
        ctx.save_for_backward(quantile)
        return quantile

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (quantile,) = ctx.saved_tensors
        return grad * (quantile ** 2 / 2).exp() * math.sqrt(2 * math.pi)


class Normal(LocationScale):
    """`rsample` is loc + scale * eps for a standard normal eps; `sample` is the same without gradient."""

    support = constraints.real

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

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    def icdf(self, value) -> Tensor:
        value = self._as_value(value, self.loc.dtype)
        return self.loc + self.scale * StandardNormalQuantile.apply(value)

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

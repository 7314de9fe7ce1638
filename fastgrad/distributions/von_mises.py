"""VonMises(loc, concentration): the circular normal, density exp(kappa cos(x - loc)) / (2 pi I0(kappa)) on
[-pi, pi). Its normaliser log I0 and mean resultant length I1 / I0 are computed from the exponentially scaled
Bessel functions, exact to rounding at every concentration (PyTorch's use polynomial fits good to about
1e-7); draws come from Best and Fisher's (1979) rejection sampler, in float64, as PyTorch's."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.autograd.function import Function
from fastgrad.autograd.grad_mode import no_grad
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter, CentredAtLoc, Distribution, as_parameter
from fastgrad.functions import where
from fastgrad.ops import special_math
from fastgrad.random import rng_of
from fastgrad.tensor import Tensor


class LogBesselI0(Function):
    """log I0(x) = log(i0e(x)) + |x|, whose derivative is the ratio I1(x) / I0(x) (BesselRatio)."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        ctx.save_for_backward(x)
        return Tensor._from_data(_log_i0(x._data.astype(np.float64)).astype(x.dtype))

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, = ctx.saved_tensors
        return grad * BesselRatio.apply(x)  # differentiable again: gradients of every order are exact


class BesselRatio(Function):
    """A(x) = I1(x) / I0(x), the mean resultant length of VonMises(., x); A' = 1 - A / x - A^2 (1/2 at 0)."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        ctx.save_for_backward(x)
        return Tensor._from_data(_ratio(x._data).astype(x.dtype))

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, = ctx.saved_tensors
        ratio = BesselRatio.apply(x)  # A' in terms of A and x: recorded under create_graph, so exact to any order
        at_zero = x == 0
        return grad * where(at_zero, 0.5, 1 - ratio / x.masked_fill(at_zero, 1.0) - ratio ** 2)


def _log_i0(x: np.ndarray) -> np.ndarray:
    """log I0(x): below |x| = 1 as log1p of the series of I0 - 1 = sum_k>=1 (x^2/4)^k / (k!)^2 (log(i0e) + |x|
    would cancel to a few digits there), above it from the scaled function, which does not overflow."""
    magnitude = np.abs(x)
    out = np.empty_like(magnitude)
    small = magnitude < 1
    quarter_square = (magnitude[small] / 2) ** 2
    term, excess = quarter_square.copy(), quarter_square.copy()
    for k in range(2, 20):  # the terms fall below 1e-17 of the sum by k = 12
        term = term * quarter_square / (k * k)
        excess += term
    out[small] = np.log1p(excess)
    out[~small] = np.log(special_math.scaled_bessel_i0(magnitude[~small])) + magnitude[~small]
    return out


def _ratio(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, special_math.scaled_bessel_i1(x) / special_math.scaled_bessel_i0(x))


class VonMises(CentredAtLoc, Distribution):
    """loc (any real; draws are wrapped into [-pi, pi)) and concentration > 0, broadcast together. The mean
    and variance are the circular ones (loc, and 1 - I1 / I0). No rsample, no cdf and no entropy, as in
    PyTorch."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False
    loc, concentration = BroadcastParameter(), BroadcastParameter()

    def __init__(self, loc, concentration, validate_args: bool | None = None) -> None:
        self.loc = as_parameter(loc, "loc", like=concentration)
        self.concentration = as_parameter(concentration, "concentration", like=loc)
        super().__init__(np.broadcast_shapes(self.__dict__["loc"].shape, self.__dict__["concentration"].shape), (),
                         validate_args)

    def expand(self, batch_shape, _instance=None) -> "VonMises":
        return self._expand_parameters(VonMises, batch_shape, _instance)

    @property
    def variance(self) -> Tensor:
        return 1 - BesselRatio.apply(self.concentration)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        return (self.concentration * (value - self.loc).cos() - math.log(2 * math.pi)
                - LogBesselI0.apply(self.concentration))

    def sample(self, sample_shape=()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            loc = np.broadcast_to(self.loc._data.astype(np.float64), shape)
            concentration = np.broadcast_to(self.concentration._data.astype(np.float64), shape)
        angles = _best_fisher(concentration.ravel()).reshape(shape)
        wrapped = np.mod(angles + math.pi + loc, 2 * math.pi) - math.pi
        return Tensor._from_data(wrapped.astype(self.loc.dtype))


def _best_fisher(concentration: np.ndarray) -> np.ndarray:
    """Angles about 0 of the von Mises law of each concentration, by Best and Fisher's wrapped-Cauchy
    envelope: propose until every entry has accepted (about 1.5 rounds on average at worst)."""
    rng = rng_of(None)
    tau = 1 + np.sqrt(1 + 4 * concentration ** 2)
    rho = (tau - np.sqrt(2 * tau)) / (2 * concentration)
    with np.errstate(divide="ignore", over="ignore"):
        # the envelope's parameter; below 1e-5 its closed form cancels, and its Taylor expansion is used
        proposal_r = np.where(concentration < 1e-5, 1 / concentration + concentration, (1 + rho ** 2) / (2 * rho))
    angles = np.zeros_like(concentration)
    pending = np.arange(concentration.size)
    while pending.size:
        u1, u2, u3 = rng.random((3, pending.size))
        r, kappa = proposal_r[pending], concentration[pending]
        z = np.cos(math.pi * u1)
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        with np.errstate(divide="ignore", invalid="ignore"):  # log of a negative c: NaN, not accepted there
            accepted = (c * (2 - c) - u2 > 0) | (np.log(c / u2) + 1 - c >= 0)
        angles[pending[accepted]] = np.sign(u3[accepted] - 0.5) * np.arccos(f[accepted])
        pending = pending[~accepted]
    return angles

"""StudentT(df, loc, scale): loc + scale * Z / sqrt(V / df) for a standard normal Z and V ~ Chi2(df)."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.creation import randn
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter, Distribution, as_parameter
from fastgrad.distributions.gamma import Chi2
from fastgrad.distributions.utils import in_float64
from fastgrad.functions import where
from fastgrad.tensor import Tensor


class StudentT(Distribution):
    """df > 0, loc and scale > 0, broadcast together into the batch shape; `rsample` is differentiable in
    all three (in df through the Chi2 draw). The mean exists for df > 1 and the variance for df > 2:
    elsewhere they are NaN, and the variance inf for 1 < df <= 2, as PyTorch's."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    df, loc, scale = BroadcastParameter(), BroadcastParameter(), BroadcastParameter()

    def __init__(self, df, loc=0.0, scale=1.0, validate_args: bool | None = None) -> None:
        given = {"df": df, "loc": loc, "scale": scale}
        like = next((value for value in given.values() if isinstance(value, Tensor)), None)
        for name, value in given.items():
            setattr(self, name, as_parameter(value, name, like=like))
        super().__init__(np.broadcast_shapes(*(self.__dict__[name].shape for name in given)), (), validate_args)

    def expand(self, batch_shape, _instance=None) -> "StudentT":
        return self._expand_parameters(StudentT, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return self.loc.masked_fill(self.df <= 1, math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df
        finite = df > 2
        safe_df = df.masked_fill(~finite, 3.0)  # keeps the unused branch (and its gradient) finite
        return where(finite, self.scale ** 2 * safe_df / (safe_df - 2),
                     Tensor._from_data(np.where(df._data > 1, np.inf, np.nan).astype(df.dtype)))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        chi2 = Chi2(self.df, validate_args=False).rsample(sample_shape)
        normal = randn(*shape, dtype=self.df.dtype)
        return self.loc + self.scale * normal * (chi2 / self.df).rsqrt()

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.df.dtype)
        return in_float64(_log_density, self.df, self.loc, self.scale, value)

    def entropy(self) -> Tensor:
        return in_float64(_entropy, self.df, self.scale)


def _log_density(df: Tensor, loc: Tensor, scale: Tensor, value: Tensor) -> Tensor:
    standardised = (value - loc) / scale
    log_normaliser = (scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi) + (0.5 * df).lgamma()
                      - (0.5 * (df + 1)).lgamma())
    return -0.5 * (df + 1) * (standardised ** 2 / df).log1p() - log_normaliser


def _entropy(df: Tensor, scale: Tensor) -> Tensor:
    log_beta = (0.5 * df).lgamma() + math.lgamma(0.5) - (0.5 * (df + 1)).lgamma()
    return (scale.log() + 0.5 * (df + 1) * ((0.5 * (df + 1)).digamma() - (0.5 * df).digamma())
            + 0.5 * df.log() + log_beta)

"""Multinomial: counts of total_count draws from a Categorical."""
from __future__ import annotations

import numpy as np

from fastgrad.distributions import constraints
from fastgrad.distributions.categorical import CategoricalVectors
from fastgrad.distributions.utils import clamp_probs, log_factorial, scoring_dtype
from fastgrad.dtypes import float64
from fastgrad.tensor import Tensor


class Multinomial(CategoricalVectors):
    """total_count (an int >= 0) and probs or logits (..., K) as Categorical's; event_shape (K,); values
    are count vectors of the parameter's dtype."""


    def __init__(self, total_count: int = 1, probs=None, logits=None, validate_args: bool | None = None) -> None:
        if not isinstance(total_count, (int, np.integer)):
            raise NotImplementedError(f"Multinomial: total_count must be an int (inhomogeneous total_count is not "
                                      f"supported), got {total_count!r}")
        if total_count < 0:
            raise ValueError(f"Expected parameter total_count to be a non-negative int, got {total_count}")
        self.total_count = int(total_count)
        self._start(probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None) -> "Multinomial":
        return self._expanded(Multinomial, batch_shape, _instance)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.multinomial(self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        """Counts of shape sample_shape + batch_shape + (K,): total_count category draws per distribution,
        tallied (no gradient)."""
        if self.total_count == 0:  # PyTorch draws the categories with torch.multinomial, which refuses 0 draws
            raise RuntimeError("Multinomial.sample: cannot sample with total_count=0 (PyTorch refuses to draw 0 "
                               "samples); the counts would be all zeros")
        shape = self._extended_shape(sample_shape)
        categories = self.event_shape[0]
        draws = self._categorical.sample((self.total_count,) + tuple(sample_shape))._data
        columns = int(np.prod(shape[:-1], dtype=np.int64))  # one per distribution and sample
        offsets = np.arange(columns) * categories
        counts = np.bincount((draws.reshape(self.total_count, columns) + offsets).ravel(),
                             minlength=columns * categories)
        return Tensor._from_data(counts.reshape(shape).astype(self.probs.dtype))

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.probs.dtype)
        dtype = scoring_dtype(self.logits, value)
        shape = np.broadcast_shapes(self.logits.shape, value.shape)
        # in float64, as Poisson's: the log-gamma terms cancel to O(log n), which float32 loses at large counts
        counts, logits = value.to(float64).expand(shape), self.logits.to(float64).expand(shape)
        # 0 * log 0 = 0: a category of zero probability adds nothing when it is not drawn
        logits = logits.masked_fill((counts == 0) & (logits == -np.inf), 0.0)
        # log n! - sum log x_i!, through lgamma so that a value requiring grad gets its part, as in PyTorch
        log_coefficient = (counts.sum(-1) + 1).lgamma() - (counts + 1).lgamma().sum(-1)
        return ((logits * counts).sum(-1) + log_coefficient).to(dtype)

    def entropy(self) -> Tensor:
        """n H(categorical) - log n! + sum over categories i and k = 1..n of Binomial(k; n, p_i) log k!,
        with the binomials' probabilities clamped as PyTorch's."""
        n = self.total_count
        counts = np.arange(1, n + 1, dtype=np.float64).reshape((n,) + (1,) * len(self.param_shape))
        probs = clamp_probs(self.probs)
        log_binomial = (Tensor._from_data((log_factorial(n) - log_factorial(counts) - log_factorial(n - counts))
                                          .astype(probs.dtype))
                        + Tensor._from_data(counts.astype(probs.dtype)) * probs.log()
                        + Tensor._from_data((n - counts).astype(probs.dtype)) * (-probs).log1p())
        weighted = (log_binomial.exp() * Tensor._from_data(log_factorial(counts).astype(probs.dtype))).sum((0, -1))
        return n * self._categorical.entropy() - float(log_factorial(n)) + weighted

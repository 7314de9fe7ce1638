"""Binomial(total_count, probs): the number of successes in total_count Bernoulli(probs) trials."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter
from fastgrad.distributions.trials import BernoulliTrials
from fastgrad.distributions.utils import scoring_dtype
from fastgrad.dtypes import float64
from fastgrad.functions import minimum
from fastgrad.tensor import Tensor


def clamp_by_zero(x: Tensor) -> Tensor:
    """max(x, 0) whose gradient at 0 is 1/2, as PyTorch's (the mean of the one-sided slopes)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(BernoulliTrials):
    """total_count (whole, >= 0; 1 by default) and probs in [0, 1] or logits, broadcast together into the
    batch shape; values are counts in [0, total_count] of the parameters' dtype. As PyTorch's, log_prob
    clamps probs of 0 and 1 to eps away, so an impossible count scores about -70 (float64), not -inf."""

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True
    total_count = BroadcastParameter()

    def __init__(self, total_count=1, probs=None, logits=None, validate_args: bool | None = None) -> None:
        super().__init__(self._set_trials(probs, logits, total_count), (), validate_args)

    def expand(self, batch_shape, _instance=None) -> "Binomial":
        return self._expand_parameters(Binomial, batch_shape, _instance)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return minimum(((self.total_count + 1) * self.probs).floor(), self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            counts, probs = self.total_count._data.astype(np.int64), self.probs._data.clip(0, 1)
            return self._draw(lambda rng, shape: rng.binomial(counts, probs, shape), sample_shape)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.logits.dtype)
        dtype = scoring_dtype(self.logits, value)
        # in float64, as Poisson's: the log-gamma terms cancel to O(log n), which float32 loses at large counts
        value, logits, count = value.to(float64), self.logits.to(float64), self.total_count.to(float64)
        # log C(n, k) + k logit - n log(1 + e^logit), the last written to stay finite for large |logit|
        log_normaliser = (count * clamp_by_zero(logits) + count * (-logits.abs()).exp().log1p()
                          - (count + 1).lgamma())
        return (value * logits - (value + 1).lgamma() - (count - value + 1).lgamma() - log_normaliser).to(dtype)

    def _homogeneous_count(self, what: str) -> int:
        counts = self.total_count._data
        if counts.size and counts.min() != counts.max():
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return int(counts.max()) if counts.size else 0

    def enumerate_support(self, expand: bool = True) -> Tensor:
        count = self._homogeneous_count("enumerate_support")
        return self._enumerated(Tensor._from_data(np.arange(count + 1, dtype=self.logits.dtype)), expand)

    def entropy(self) -> Tensor:
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

"""NegativeBinomial(total_count, probs): the number of successes, each with probability probs, before
total_count failures."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter
from fastgrad.distributions.trials import BernoulliTrials
from fastgrad.distributions.utils import scoring_dtype
from fastgrad.dtypes import float64
from fastgrad.nn.functional import logsigmoid
from fastgrad.tensor import Tensor


class NegativeBinomial(BernoulliTrials):
    """total_count >= 0 (need not be whole) and probs in [0, 1) or logits, broadcast together into the
    batch shape; values are counts of the parameters' dtype. As PyTorch's, probs of 0 are clamped to eps
    in the derived logits."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer
    total_count = BroadcastParameter()

    def __init__(self, total_count, probs=None, logits=None, validate_args: bool | None = None) -> None:
        super().__init__(self._set_trials(probs, logits, total_count), (), validate_args)

    def expand(self, batch_shape, _instance=None) -> "NegativeBinomial":
        return self._expand_parameters(NegativeBinomial, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape=()) -> Tensor:
        """A Poisson draw whose rate is a Gamma(total_count, exp(-logits)) draw (the Gamma-Poisson mixture)."""
        with no_grad():
            counts, odds = self.total_count._data.astype(np.float64), np.exp(self.logits._data.astype(np.float64))
            return self._draw(lambda rng, shape: rng.poisson(rng.standard_gamma(np.broadcast_to(counts, shape)) * odds),
                              sample_shape)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.logits.dtype)
        dtype = scoring_dtype(self.logits, value)
        # in float64, as Poisson's: the log-gamma terms cancel to O(log k), which float32 loses at large counts
        value, logits, count = value.to(float64), self.logits.to(float64), self.total_count.to(float64)
        log_unnormalised = count * logsigmoid(-logits) + value * logsigmoid(logits)
        log_normaliser = (value + 1).lgamma() + count.lgamma() - (count + value).lgamma()
        # total_count = 0 puts all mass on 0, where lgamma(0) - lgamma(0) would be inf - inf
        return (log_unnormalised - log_normaliser.masked_fill(count + value == 0, 0.0)).to(dtype)

"""What the families counting Bernoulli trials share (Binomial, Geometric, NegativeBinomial): the trials'
probability given as probs or as logits (log-odds), the other derived, and an optional total_count
broadcast with it into the batch shape."""
from __future__ import annotations

import numpy as np

from fastgrad.distributions.distribution import Distribution, TrialParameter, probs_or_logits
from fastgrad.distributions.utils import logits_to_probs, probs_to_logits
from fastgrad.random import rng_of
from fastgrad.tensor import Size, Tensor


class BernoulliTrials(Distribution):
    probs = TrialParameter("logits", lambda logits: logits_to_probs(logits, is_binary=True))
    logits = TrialParameter("probs", lambda probs: probs_to_logits(probs, is_binary=True))

    def _set_trials(self, probs, logits, total_count=None) -> tuple[int, ...]:
        """Keep the parameters given (and total_count as a tensor of their dtype, as PyTorch's type_as);
        returns the batch shape they broadcast to."""
        name, given = probs_or_logits(probs, logits)
        setattr(self, name, given)
        if total_count is None:
            return given.shape
        count = total_count if isinstance(total_count, Tensor) else Tensor._from_data(np.asarray(total_count))
        self.total_count = count.to(given.dtype)
        return np.broadcast_shapes(given.shape, count.shape)

    @property
    def param_shape(self) -> Size:
        return self.batch_shape

    def _draw(self, draw, sample_shape) -> Tensor:
        """Counts from `draw(rng, shape)` (a NumPy array), as a tensor of the parameters' dtype, no gradient."""
        shape = tuple(self._extended_shape(sample_shape))
        given = self.__dict__["probs"] if "probs" in self.__dict__ else self.__dict__["logits"]
        return Tensor._from_data(np.asarray(draw(rng_of(None), shape)).astype(given.dtype))

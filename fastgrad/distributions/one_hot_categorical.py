"""OneHotCategorical: a Categorical whose values are one-hot vectors of length K."""
from __future__ import annotations

import numpy as np

from fastgrad.distributions import constraints
from fastgrad.distributions.categorical import CategoricalVectors
from fastgrad.tensor import Tensor


class OneHotCategorical(CategoricalVectors):
    """probs or logits (..., K) as Categorical's (which, as in PyTorch, checks them whatever validate_args
    says); event_shape (K,); values are one-hot vectors of the parameter's dtype."""

    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self._start(probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None) -> "OneHotCategorical":
        return self._expanded(OneHotCategorical, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        return self._one_hot(self.probs.argmax(-1))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def _one_hot(self, ids: Tensor) -> Tensor:
        return Tensor._from_data(np.eye(self.event_shape[0], dtype=self.probs.dtype)[ids._data])

    def sample(self, sample_shape=()) -> Tensor:
        return self._one_hot(self._categorical.sample(sample_shape))

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.probs.dtype)
        return self._categorical.log_prob(Tensor._from_data(value.detach().numpy().argmax(-1)))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        return self._enumerated(Tensor._from_data(np.eye(self.event_shape[0], dtype=self.probs.dtype)), expand)


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """`rsample` is a one-hot draw whose gradient is that of probs: the straight-through estimator
    (Bengio et al., 2013)."""

    has_rsample = True

    def rsample(self, sample_shape=()) -> Tensor:
        probs = self.probs
        return self.sample(sample_shape) + (probs - probs.detach())

"""Categorical: one of K categories per distribution, from probabilities or unnormalised logits."""
from __future__ import annotations

from functools import cached_property

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import Distribution, probs_or_logits
from fastgrad.distributions.utils import logits_to_probs, probs_to_logits
from fastgrad.dtypes import finfo
from fastgrad.functions import multinomial
from fastgrad.tensor import Size, Tensor


def check_weights(probs: np.ndarray) -> None:
    """Raise, showing the probs as given, if normalising them cannot give a probability vector (the
    simplex check that follows would show only the NaNs that normalising made)."""
    if not np.isfinite(probs).all() or (probs < 0).any() or (probs.sum(-1) <= 0).any():
        raise ValueError("Expected parameter probs to be non-negative and finite with a positive sum in every row, "
                         f"got {probs!r:.200}")


class Categorical(Distribution):
    """probs (..., K) (non-negative, normalised here) or logits (..., K) (normalised by logsumexp); the
    batch shape is the leading dims. Values are int64 category ids. The parameter not given is derived
    from the other on first use and kept, as PyTorch's lazy properties are."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        name, given = probs_or_logits(probs, logits)
        if given.ndim < 1:
            raise ValueError(f"{name} must have at least one dimension, got shape {given.shape}")
        if name == "probs":
            if (self._validate_args if validate_args is None else validate_args):
                check_weights(given.detach().numpy())
            self.probs = given / given.sum(-1, keepdim=True)
        else:
            self.logits = given - given.logsumexp(-1, keepdim=True)
        self._num_events = given.shape[-1]
        super().__init__(given.shape[:-1], (), validate_args)

    def expand(self, batch_shape, _instance=None) -> "Categorical":
        return self._expand_parameters(Categorical, batch_shape, _instance)

    @cached_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @cached_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self) -> Size:
        return Size(tuple(self.batch_shape) + (self._num_events,))

    @property
    def mean(self) -> Tensor:
        return Tensor._from_data(np.full(self.batch_shape, np.nan, dtype=self.probs.dtype))

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return self.mean

    def sample(self, sample_shape=()) -> Tensor:
        """Category ids of shape sample_shape + batch_shape (no gradient)."""
        shape = self._extended_shape(sample_shape)
        count = int(np.prod(shape[:len(shape) - len(self.batch_shape)], dtype=np.int64))
        with no_grad():
            rows = self.probs.reshape(-1, self._num_events)
            draws = multinomial(rows, count, True) if count else rows.new_zeros((rows.shape[0], 0)).long()
            return draws.T.reshape(shape)

    def log_prob(self, value) -> Tensor:
        """log P(value) for int category ids broadcast against batch_shape."""
        ids = self._checked(value, np.int64).long().unsqueeze(-1)
        shape = np.broadcast_shapes(ids.shape, self.logits.shape)
        ids = ids.expand(shape[:-1] + (1,))
        return self.logits.expand(shape).gather(-1, ids).squeeze(-1)

    def entropy(self) -> Tensor:
        smallest = finfo(self.logits.dtype).min
        return -(self.logits.clamp(min=smallest) * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        return self._enumerated(Tensor._from_data(np.arange(self._num_events, dtype=np.int64)), expand)


class CategoricalVectors(Distribution):
    """Base of the distributions over length-K vectors built on one Categorical (OneHotCategorical,
    Multinomial): its probs/logits as their parameters, checked by it (whatever validate_args says, as
    in PyTorch), and the event shape (K,)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def _start(self, probs, logits, validate_args: bool | None) -> None:
        self._categorical = Categorical(probs, logits)
        Distribution.__init__(self, self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    def _expanded(self, cls, batch_shape, _instance):
        new = self._copy_for_expand(cls, batch_shape, _instance)
        new._categorical = self._categorical.expand(batch_shape)
        return new

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> Size:
        return self._categorical.param_shape

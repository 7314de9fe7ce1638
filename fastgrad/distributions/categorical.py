"""Categorical: one of K categories per distribution, from probabilities or unnormalised logits."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.distributions.distribution import Distribution, as_parameter
from fastgrad.dtypes import finfo
from fastgrad.functions import multinomial
from fastgrad.tensor import Tensor


def check_one_of(probs, logits) -> None:
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class Categorical(Distribution):
    """probs (..., K) (non-negative, normalised here) or logits (..., K) (normalised by logsumexp); the
    batch shape is the leading dims. Values are int64 category ids."""

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        check_one_of(probs, logits)
        given = as_parameter(probs if probs is not None else logits, "probs" if probs is not None else "logits")
        if given.ndim < 1:
            raise ValueError(f"{'probs' if probs is not None else 'logits'} must have at least one dimension, got "
                             f"shape {given.shape}")
        super().__init__(given.shape[:-1], (), validate_args)
        if self._validate_args:
            values = given.detach().numpy()
            if probs is not None and (not np.isfinite(values).all() or (values < 0).any()
                                      or (values.sum(-1) <= 0).any()):
                raise ValueError("Expected parameter probs to be non-negative and finite with a positive sum in "
                                 f"every row, got {values!r:.200}")
            if logits is not None and np.isnan(values).any():
                raise ValueError("Expected parameter logits to hold no NaN")
        if probs is not None:
            self.probs = given / given.sum(-1, keepdim=True)
            # log of probabilities kept away from 0 (PyTorch's clamp), so that 0 * log 0 terms stay finite
            eps = finfo(self.probs.dtype).eps
            self.logits = self.probs.clamp(eps, 1 - eps).log()
        else:
            self.logits = given - given.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
        self._num_events = given.shape[-1]


    @property
    def param_shape(self):
        return self.probs.shape

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.nan, dtype=self.probs.dtype))

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
        value = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        if self._validate_args:
            ids = value.numpy()
            if ids.dtype.kind not in "iub" and not np.array_equal(ids, np.round(ids)):
                raise ValueError(f"Expected value to be integer category ids, got {value}")
            if ids.size and (ids.min() < 0 or ids.max() >= self._num_events):
                raise ValueError(f"Expected value to be category ids in [0, {self._num_events}), got min "
                                 f"{ids.min()} and max {ids.max()}")
        ids = value.long().unsqueeze(-1)
        shape = np.broadcast_shapes(ids.shape, self.logits.shape)
        ids = ids.expand(shape[:-1] + (1,))
        return self.logits.expand(shape).gather(-1, ids).squeeze(-1)

    def entropy(self) -> Tensor:
        smallest = finfo(self.logits.dtype).min
        return -(self.logits.clamp(min=smallest) * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = Tensor(np.arange(self._num_events, dtype=np.int64)).reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand((-1,) + tuple(self.batch_shape)) if expand else values

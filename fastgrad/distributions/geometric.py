"""Geometric(probs): the number of failed Bernoulli(probs) trials before the first success (0, 1, ...)."""
from __future__ import annotations

import math

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.creation import zeros_like
from fastgrad.distributions import constraints
from fastgrad.distributions.trials import BernoulliTrials
from fastgrad.distributions.utils import scoring_dtype
from fastgrad.dtypes import finfo
from fastgrad.nn.functional import log_sigmoid
from fastgrad.random import draw_geometric
from fastgrad.tensor import Tensor


class Geometric(BernoulliTrials):
    """probs in (0, 1] or logits; values are counts of the parameter's dtype. (Tensor.geometric_ counts
    the trials instead, success included: 1, 2, ..., as PyTorch's.)"""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        super().__init__(self._set_trials(probs, logits), (), validate_args)
        given = self.__dict__.get("probs")
        if self._validate_args and given is not None and not (given.detach().numpy() > 0).all():
            raise ValueError(f"Expected parameter probs ({type(given).__name__} of shape {tuple(given.shape)}) of "
                             f"distribution {self!r} to be positive but found invalid values:\n{given}")

    def expand(self, batch_shape, _instance=None) -> "Geometric":
        return self._expand_parameters(Geometric, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return 1 / self.probs - 1

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.probs.detach())

    @property
    def variance(self) -> Tensor:
        return (1 / self.probs - 1) / self.probs

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            probs = self.probs._data.astype(np.float64)
            return self._draw(lambda rng, shape: draw_geometric(rng, probs, shape) - 1, sample_shape)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.probs.dtype)
        dtype = scoring_dtype(self.probs, value)
        value, probs = value.to(dtype), self.probs.to(dtype)
        # k log(1 - p) + log p, with 0 * log(0) = 0 when p = 1 and k = 0 (a sure first success)
        failures = probs.masked_fill((probs == 1) & (value == 0), 0.0)
        return value * (-failures).log1p() + probs.log()

    def entropy(self) -> Tensor:
        # -log p - (q / p) log q in the log-odds x: -log sigmoid(x) - e^-x log sigmoid(-x). PyTorch's
        # bce(x, p) / p cancels to 0 once p < eps (x < -36 in float64, -16 in float32), where the entropy is
        # about 1 - x; the unclamped logit of given probs keeps those small p (and p = 1, x = inf, scores 0).
        # e^-x log sigmoid(-x) is 1 to within eps below x = log(eps) and 0 in any dtype above -2 log(tiny),
        # so x is held to that range there (no overflow, no 0 * inf).
        logits = self.__dict__["logits"] if "logits" in self.__dict__ else self.probs.logit()
        info = finfo(logits.dtype)
        held = logits.clamp(math.log(info.eps), -2 * math.log(info.tiny))
        return -log_sigmoid(logits) - (-held).exp() * log_sigmoid(-held)

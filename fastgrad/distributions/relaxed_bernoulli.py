"""RelaxedBernoulli: the Concrete / Gumbel-softmax relaxation of a Bernoulli (Maddison et al. 2017; Jang
et al. 2017): values in (0, 1) that approach 0/1 draws as the temperature falls, with a reparameterised
`rsample` differentiable in probs (or logits) and in the temperature."""
from __future__ import annotations

from fastgrad.creation import rand
from fastgrad.distributions import constraints
from fastgrad.distributions.transformed_distribution import TransformedDistribution
from fastgrad.distributions.transforms import SigmoidTransform
from fastgrad.distributions.trials import BernoulliTrials
from fastgrad.distributions.utils import clamp_probs
from fastgrad.tensor import Tensor


def checked_temperature(temperature) -> Tensor:
    """The temperature as PyTorch takes it: a floating tensor (a Python number fails there at first use)."""
    if not isinstance(temperature, Tensor):
        raise TypeError(f"temperature must be a Tensor, got {type(temperature).__name__}")
    if temperature.dtype.kind != "f":
        raise TypeError(f"temperature must be a floating point tensor, got dtype {temperature.dtype}")
    return temperature


class RelaxedParameters:
    """The parameters of a relaxed distribution, read from the base distribution it transforms."""

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits


class LogitRelaxedBernoulli(BernoulliTrials):
    """The logit of a RelaxedBernoulli draw: (logit(u) + logits) / temperature for u uniform on (0, 1)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = False  # PyTorch's flag, though rsample works (RelaxedBernoulli's is True)

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self.temperature = checked_temperature(temperature)
        super().__init__(self._set_trials(probs, logits), (), validate_args)

    def expand(self, batch_shape, _instance=None) -> "LogitRelaxedBernoulli":
        return self._expand_parameters(LogitRelaxedBernoulli, batch_shape, _instance)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        uniforms = clamp_probs(rand(*shape, dtype=probs.dtype))
        return (uniforms.log() - (-uniforms).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.logits.dtype)
        difference = self.logits - value * self.temperature
        return self.temperature.log() + difference - 2 * difference.exp().log1p()


class RelaxedBernoulli(RelaxedParameters, TransformedDistribution):
    """temperature (a tensor > 0) and probs in [0, 1] or logits; values in [0, 1] (sigmoid of a
    LogitRelaxedBernoulli draw, kept within [tiny, 1 - eps])."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        super().__init__(LogitRelaxedBernoulli(temperature, probs, logits), SigmoidTransform(), validate_args)

    def expand(self, batch_shape, _instance=None) -> "RelaxedBernoulli":
        new = self._copy_for_expand(RelaxedBernoulli, batch_shape, _instance)
        return TransformedDistribution.expand(self, batch_shape, new)

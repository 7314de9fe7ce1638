"""RelaxedOneHotCategorical: the Concrete / Gumbel-softmax relaxation of a OneHotCategorical (Maddison
et al. 2017; Jang et al. 2017): points of the simplex that approach one-hot draws as the temperature
falls, with a reparameterised `rsample` differentiable in probs (or logits) and in the temperature."""
from __future__ import annotations

from fastgrad.creation import full_like, rand
from fastgrad.distributions import constraints
from fastgrad.distributions.categorical import CategoricalVectors
from fastgrad.distributions.relaxed_bernoulli import RelaxedParameters, checked_temperature
from fastgrad.distributions.transformed_distribution import TransformedDistribution
from fastgrad.distributions.transforms import ExpTransform
from fastgrad.distributions.utils import clamp_probs
from fastgrad.tensor import Tensor


class ExpRelaxedCategorical(CategoricalVectors):
    """The log of a RelaxedOneHotCategorical draw: log_softmax((logits + Gumbel noise) / temperature)."""

    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self.temperature = checked_temperature(temperature)
        self._start(probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None) -> "ExpRelaxedCategorical":
        return self._expanded(ExpRelaxedCategorical, batch_shape, _instance)

    def rsample(self, sample_shape=()) -> Tensor:
        logits = self.logits
        uniforms = clamp_probs(rand(*self._extended_shape(sample_shape), dtype=logits.dtype))
        gumbels = -(-uniforms.log()).log()
        scores = (logits + gumbels) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value) -> Tensor:
        """The Concrete density of the log-probabilities: log (K-1)! + (K-1) log T + sum of the scores
        logits - T value, normalised by their logsumexp (Maddison et al. 2017, eq. 8 in log space)."""
        count = self.event_shape[0]
        value = self._checked(value, self.logits.dtype)
        log_scale = full_like(self.temperature, float(count)).lgamma() + self.temperature.log() * (count - 1)
        score = self.logits - value * self.temperature
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(RelaxedParameters, TransformedDistribution):
    """temperature (a tensor > 0) and probs or logits (..., K); event_shape (K,); values on the simplex
    (exp of an ExpRelaxedCategorical draw)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        super().__init__(ExpRelaxedCategorical(temperature, probs, logits, validate_args), ExpTransform(),
                         validate_args)

    def expand(self, batch_shape, _instance=None) -> "RelaxedOneHotCategorical":
        new = self._copy_for_expand(RelaxedOneHotCategorical, batch_shape, _instance)
        return TransformedDistribution.expand(self, batch_shape, new)

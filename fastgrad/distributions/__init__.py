"""Probability distributions with torch.distributions' names, for sampling text and for
score-function (REINFORCE) gradients: `Categorical`, `Bernoulli`, `Normal`. log_prob and entropy
are built from differentiable ops; samples are drawn from fastgrad's generator (not PyTorch's
draws) and carry no gradient, except Normal.rsample (reparameterised)."""
from fastgrad.distributions.bernoulli import Bernoulli
from fastgrad.distributions.categorical import Categorical
from fastgrad.distributions.distribution import Distribution
from fastgrad.distributions.normal import Normal

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal"]

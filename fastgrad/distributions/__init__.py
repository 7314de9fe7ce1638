"""Probability distributions with torch.distributions' names, for sampling text, for score-function
(REINFORCE) and reparameterised gradients, and for the KL terms of VAEs. log_prob, entropy and the KLs
are built from differentiable ops; samples are drawn from fastgrad's generator (not PyTorch's draws)
and carry no gradient, except `rsample`'s (reparameterised)."""
# kl_pairs registers the closed forms
from fastgrad.distributions import constraints, kl_pairs, transforms  # noqa: F401
from fastgrad.distributions.bernoulli import Bernoulli
from fastgrad.distributions.binomial import Binomial
from fastgrad.distributions.categorical import Categorical
from fastgrad.distributions.cauchy import Cauchy
from fastgrad.distributions.dirichlet import Beta, Dirichlet
from fastgrad.distributions.distribution import Distribution
from fastgrad.distributions.exponential import Exponential
from fastgrad.distributions.gamma import Chi2, Gamma
from fastgrad.distributions.geometric import Geometric
from fastgrad.distributions.gumbel import Gumbel
from fastgrad.distributions.half import HalfCauchy, HalfNormal
from fastgrad.distributions.independent import Independent
from fastgrad.distributions.inverse_gamma import InverseGamma
from fastgrad.distributions.kl import kl_divergence, register_kl
from fastgrad.distributions.kumaraswamy import Kumaraswamy
from fastgrad.distributions.laplace import Laplace
from fastgrad.distributions.log_normal import LogNormal
from fastgrad.distributions.mixture_same_family import MixtureSameFamily
from fastgrad.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from fastgrad.distributions.multinomial import Multinomial
from fastgrad.distributions.multivariate_normal import MultivariateNormal
from fastgrad.distributions.negative_binomial import NegativeBinomial
from fastgrad.distributions.normal import Normal
from fastgrad.distributions.one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from fastgrad.distributions.pareto import Pareto
from fastgrad.distributions.poisson import Poisson
from fastgrad.distributions.relaxed_bernoulli import RelaxedBernoulli
from fastgrad.distributions.relaxed_categorical import RelaxedOneHotCategorical
from fastgrad.distributions.student_t import StudentT
from fastgrad.distributions.transformed_distribution import TransformedDistribution
from fastgrad.distributions.transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform,
                                               PowerTransform, SigmoidTransform, SoftmaxTransform, TanhTransform,
                                               Transform)
from fastgrad.distributions.uniform import Uniform
from fastgrad.distributions.von_mises import VonMises
from fastgrad.distributions.weibull import Weibull

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
           "ComposeTransform", "Dirichlet", "Distribution", "ExpTransform", "Exponential", "Gamma", "Geometric",
           "Gumbel", "HalfCauchy", "HalfNormal", "Independent", "InverseGamma", "Kumaraswamy", "Laplace", "LogNormal",
           "LowRankMultivariateNormal", "MixtureSameFamily", "Multinomial", "MultivariateNormal", "NegativeBinomial",
           "Normal",
           "OneHotCategorical", "OneHotCategoricalStraightThrough", "Pareto", "Poisson", "PowerTransform",
           "RelaxedBernoulli", "RelaxedOneHotCategorical", "SigmoidTransform", "SoftmaxTransform", "StudentT",
           "TanhTransform", "Transform", "TransformedDistribution", "Uniform", "VonMises", "Weibull", "constraints",
           "kl_divergence", "register_kl", "transforms"]

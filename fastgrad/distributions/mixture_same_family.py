"""MixtureSameFamily: a Categorical choice among the k components of one distribution, whose rightmost
batch dim indexes them (a Gaussian mixture: Normal(loc, scale) of batch shape (..., k))."""
from __future__ import annotations

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.distributions import constraints
from fastgrad.distributions.categorical import Categorical
from fastgrad.distributions.distribution import Distribution
from fastgrad.tensor import Tensor


class MixtureSameFamily(Distribution):
    """mixture_distribution: a Categorical over k components, of a batch shape that broadcasts with the
    components'; component_distribution: any distribution of batch shape (..., k). log_prob is the logsumexp
    of the components' log_probs plus the log mixing weights; the mean and variance are the mixture's; there
    is no rsample (the choice of component is discrete), as in PyTorch."""

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution: Categorical, component_distribution: Distribution,
                 validate_args: bool | None = None) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("The Mixture distribution needs to be an instance of fastgrad.distributions.Categorical, "
                             f"got {type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution needs to be an instance of "
                             f"fastgrad.distributions.Distribution, got {type(component_distribution).__name__}")
        mixture_batch, component_batch = tuple(mixture_distribution.batch_shape), \
            tuple(component_distribution.batch_shape)
        if not component_batch:
            raise ValueError("component_distribution needs a batch dim of its components (its rightmost), got "
                             "batch_shape ()")
        for mine, theirs in zip(reversed(mixture_batch), reversed(component_batch[:-1])):
            if mine != 1 and theirs != 1 and mine != theirs:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mixture_batch}) is not compatible with "
                                 f"`component_distribution.batch_shape`({component_batch[:-1]})")
        count = mixture_distribution.logits.shape[-1]
        if count != component_batch[-1]:
            raise ValueError(f"`mixture_distribution component` ({count}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({component_batch[-1]})")
        self._mixture_distribution, self._component_distribution = mixture_distribution, component_distribution
        self._num_component = count
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(component_batch[:-1], component_distribution.event_shape, validate_args)

    def expand(self, batch_shape, _instance=None) -> "MixtureSameFamily":
        new = self._copy_for_expand(MixtureSameFamily, batch_shape, _instance)
        new._component_distribution = self._component_distribution.expand(tuple(batch_shape) + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        return new

    @property
    def support(self) -> constraints.Constraint:
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mixture_distribution(self) -> Categorical:
        return self._mixture_distribution

    @property
    def component_distribution(self) -> Distribution:
        return self._component_distribution

    def _weights(self) -> Tensor:
        """The mixing probabilities, with a singleton dim for each event dim."""
        probs = self._mixture_distribution.probs
        return probs.reshape(tuple(probs.shape) + (1,) * self._event_ndims)

    def _pad(self, x: Tensor) -> Tensor:
        """x with a dim for the components, broadcast against them."""
        return x.unsqueeze(-1 - self._event_ndims)

    @property
    def mean(self) -> Tensor:
        return (self._weights() * self._component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self) -> Tensor:
        """The mean of the components' variances plus the variance of their means."""
        weights, components = self._weights(), self._component_distribution
        within = (weights * components.variance).sum(-1 - self._event_ndims)
        between = (weights * (components.mean - self._pad(self.mean)) ** 2).sum(-1 - self._event_ndims)
        return within + between

    def cdf(self, value) -> Tensor:
        value = self._as_value(value)
        return (self._component_distribution.cdf(self._pad(value)) * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value)
        per_component = self._component_distribution.log_prob(self._pad(value))
        return (per_component + self._mixture_distribution.logits.log_softmax(-1)).logsumexp(-1)

    def sample(self, sample_shape=()) -> Tensor:
        """The draw of a component chosen by the mixture, for each batch entry: the mixture is broadcast to
        the batch shape first (PyTorch's sample raises where its batch shape is not the components')."""
        with no_grad():
            sample_shape = tuple(self._extended_shape(sample_shape)[:len(tuple(sample_shape))])
            choices = self._mixture_distribution.expand(self.batch_shape).sample(sample_shape)
            draws = self._component_distribution.sample(sample_shape)
            component_dim = len(sample_shape) + len(self.batch_shape)
            index = choices.reshape(tuple(choices.shape) + (1,) * (1 + self._event_ndims))
            index = index.expand(tuple(choices.shape) + (1,) + tuple(self.event_shape))
            return draws.gather(component_dim, index).squeeze(component_dim)

    def __repr__(self) -> str:
        return f"MixtureSameFamily(\n  {self._mixture_distribution},\n  {self._component_distribution})"

"""TransformedDistribution: a base distribution pushed through a list of transforms, y = t_n(...t_1(x)),
scored by the change of variables log p(y) = log p_base(x) - sum_i log|det d t_i / d x_i|."""
from __future__ import annotations

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import Distribution
from fastgrad.distributions.independent import Independent
from fastgrad.distributions.transforms import ComposeTransform, Transform
from fastgrad.distributions.utils import sum_rightmost
from fastgrad.tensor import Size, Tensor


class TransformedDistribution(Distribution):
    """base_distribution and transforms (one Transform or a list). The base is expanded to the shape the
    transforms need, and its rightmost batch dims become event dims where the transforms act on vectors;
    batch and event shapes are those of the transformed draws."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, transforms, validate_args: bool | None = None) -> None:
        if isinstance(transforms, Transform):
            transforms = [transforms]
        elif not isinstance(transforms, list):
            raise ValueError(f"transforms must be a Transform or list, but was {transforms}")
        elif not all(isinstance(t, Transform) for t in transforms):
            raise ValueError("transforms must be a Transform or a list of Transforms")
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"base_distribution must be a Distribution, got {type(base_distribution).__name__}")
        self.transforms = transforms
        base_shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        base_event_dim = len(base_distribution.event_shape)
        transform = ComposeTransform(transforms)
        if len(base_shape) < transform.domain.event_dim:
            raise ValueError(f"base_distribution needs to have shape with size at least {transform.domain.event_dim}, "
                             f"but got {Size(base_shape)}.")
        forward_shape = tuple(transform.forward_shape(base_shape))
        expanded_base_shape = tuple(transform.inverse_shape(forward_shape))
        if base_shape != expanded_base_shape:  # the transforms' parameters broadcast the base's batch shape
            cut = len(expanded_base_shape) - base_event_dim
            base_distribution = base_distribution.expand(expanded_base_shape[:cut])
        reinterpreted = transform.domain.event_dim - base_event_dim
        self.base_dist = Independent(base_distribution, reinterpreted) if reinterpreted > 0 else base_distribution
        event_dim = max(transform.codomain.event_dim,
                        base_event_dim + transform.codomain.event_dim - transform.domain.event_dim)
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:], validate_args)

    def expand(self, batch_shape, _instance=None) -> "TransformedDistribution":
        new = self._copy_for_expand(TransformedDistribution, batch_shape, _instance)
        shape = tuple(batch_shape) + tuple(self.event_shape)
        for transform in reversed(self.transforms):
            shape = tuple(transform.inverse_shape(shape))
        new.base_dist = self.base_dist.expand(shape[:len(shape) - len(self.base_dist.event_shape)])
        return new

    @property
    def has_rsample(self) -> bool:
        return self.base_dist.has_rsample

    @property
    def support(self) -> constraints.Constraint:
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        extra = len(self.event_shape) - support.event_dim
        return constraints.independent(support, extra) if extra > 0 else support

    def _pushed(self, x: Tensor) -> Tensor:
        for transform in self.transforms:
            x = transform(x)
        return x

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            return self._pushed(self.base_dist.sample(sample_shape))

    def rsample(self, sample_shape=()) -> Tensor:
        return self._pushed(self.base_dist.rsample(sample_shape))

    def _number_dtype(self):
        """The dtype a number or array to score takes (with validation off; PyTorch raises): that of the
        base distribution's floating parameters."""
        base = self.base_dist
        while isinstance(base, Independent):
            base = base.base_dist
        floating = [value for value in base.__dict__.values() if isinstance(value, Tensor) and value.dtype.kind == "f"]
        return floating[0].dtype if floating else None

    def log_prob(self, value) -> Tensor:
        y = self._checked(value, self._number_dtype())
        event_dim, log_prob = len(self.event_shape), 0.0
        for transform in reversed(self.transforms):
            x = transform.inv(y)
            event_dim += transform.domain.event_dim - transform.codomain.event_dim
            log_prob = log_prob - sum_rightmost(transform.log_abs_det_jacobian(x, y),
                                                event_dim - transform.domain.event_dim)
            y = x
        return log_prob + sum_rightmost(self.base_dist.log_prob(y), event_dim - len(self.base_dist.event_shape))

    def _monotonize_cdf(self, value: Tensor) -> Tensor:
        """The base's cdf at x as the cdf at y: reflected (1 - F) where the transforms decrease."""
        sign = 1
        for transform in self.transforms:
            sign = sign * transform.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value) -> Tensor:
        value = self._as_value(value, self._number_dtype())
        for transform in reversed(self.transforms):
            value = transform.inv(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value) -> Tensor:
        return self._pushed(self.base_dist.icdf(self._monotonize_cdf(self._as_value(value, self._number_dtype()))))


class ParameterizedTransformedDistribution(TransformedDistribution):
    """A TransformedDistribution whose base and transforms are functions of its own elementwise parameters
    (Weibull, Pareto, Kumaraswamy): `_base()` and `_transforms()` rebuild them from the parameters, broadcast
    to the batch shape, at each read, so that no graph node (a concentration's reciprocal, say) is shared by
    the graphs of two calls (fastgrad frees every node a backward passes). Subclasses keep their parameters as
    BroadcastParameters and call `_init_parameters`."""

    def _init_parameters(self, names_and_values: dict, validate_args: bool | None) -> None:
        for name, value in names_and_values.items():
            setattr(self, name, value)
        shapes = [self.__dict__[name].shape for name in names_and_values]
        Distribution.__init__(self, np.broadcast_shapes(*shapes), (), validate_args)

    def _base(self) -> Distribution:
        raise NotImplementedError

    def _transforms(self) -> list:
        raise NotImplementedError

    @property
    def base_dist(self) -> Distribution:
        return self._base()

    @property
    def transforms(self) -> list:
        return self._transforms()

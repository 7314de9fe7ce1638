"""The families given by a location and a scale (Normal, Laplace, Gumbel, Cauchy): one constructor,
one expand."""
from __future__ import annotations

import numpy as np

from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter, Distribution, as_parameter


class LocationScale(Distribution):
    """loc and scale (> 0) broadcast together into the batch shape; `rsample` is differentiable in both."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    has_rsample = True
    loc, scale = BroadcastParameter(), BroadcastParameter()

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = as_parameter(loc, "loc", like=scale), as_parameter(scale, "scale", like=loc)
        super().__init__(np.broadcast_shapes(self.__dict__["loc"].shape, self.__dict__["scale"].shape), (),
                         validate_args)

    def expand(self, batch_shape, _instance=None) -> "LocationScale":
        return self._expand_parameters(LocationScale, batch_shape, _instance)

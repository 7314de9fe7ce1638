"""Regions a parameter or a value must lie in, as torch.distributions.constraints: each distribution's
`arg_constraints` and `support` are made of these, and argument validation checks them.

`check(value)` returns a bool tensor with one entry per event: the constraint's `event_dim` rightmost
dims are reduced. Checks read the values, never their gradients."""
from __future__ import annotations

import numpy as np

from fastgrad.tensor import Tensor


def _array(value) -> np.ndarray:
    return value.detach().numpy() if isinstance(value, Tensor) else np.asarray(value)


def _is_integral(x: np.ndarray) -> np.ndarray:
    return np.isfinite(x) & (np.floor(x) == x)  # PyTorch's x % 1 == 0 is NaN, so False, at ±inf (and NaN)


class Constraint:
    """is_discrete: whether the region is countable; event_dim: how many rightmost dims form one event."""

    is_discrete = False
    event_dim = 0

    def check(self, value) -> Tensor:
        return Tensor._from_data(np.asarray(self._holds(_array(value))))

    def _holds(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


class Real(Constraint):
    def _holds(self, x):
        return x == x  # False only for NaN


class Boolean(Constraint):
    is_discrete = True

    def _holds(self, x):
        return (x == 0) | (x == 1)


class OneHot(Constraint):
    is_discrete, event_dim = True, 1

    def _holds(self, x):
        return ((x == 0) | (x == 1)).all(-1) & (x.sum(-1) == 1)


class Simplex(Constraint):
    """Non-negative vectors summing to 1 (within 1e-6, as PyTorch)."""

    event_dim = 1

    def _holds(self, x):
        return (x >= 0).all(-1) & (np.abs(x.sum(-1) - 1) < 1e-6)


class _Bounded(Constraint):
    """A region given by bounds (numbers or tensors, broadcast against the value)."""

    bounds: tuple[str, ...] = ()

    def __init__(self, *bounds) -> None:
        for name, bound in zip(self.bounds, bounds):
            setattr(self, name, bound)

    def _bound(self, name: str) -> np.ndarray:
        return _array(getattr(self, name))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{name}={getattr(self, name)}' for name in self.bounds)})"


class GreaterThan(_Bounded):
    bounds = ("lower_bound",)

    def _holds(self, x):
        return self._bound("lower_bound") < x


class GreaterThanEq(_Bounded):
    bounds = ("lower_bound",)

    def _holds(self, x):
        return self._bound("lower_bound") <= x


class LessThan(_Bounded):
    bounds = ("upper_bound",)

    def _holds(self, x):
        return x < self._bound("upper_bound")


class Interval(_Bounded):
    """[lower_bound, upper_bound], both ends included."""

    bounds = ("lower_bound", "upper_bound")

    def _holds(self, x):
        return (self._bound("lower_bound") <= x) & (x <= self._bound("upper_bound"))


class HalfOpenInterval(_Bounded):
    """[lower_bound, upper_bound)."""

    bounds = ("lower_bound", "upper_bound")

    def _holds(self, x):
        return (self._bound("lower_bound") <= x) & (x < self._bound("upper_bound"))


class IntegerInterval(_Bounded):
    """The integers in [lower_bound, upper_bound]."""

    is_discrete, bounds = True, ("lower_bound", "upper_bound")

    def _holds(self, x):
        return _is_integral(x) & (self._bound("lower_bound") <= x) & (x <= self._bound("upper_bound"))


class IntegerGreaterThan(_Bounded):
    """The integers >= lower_bound (PyTorch's name, though the bound is included)."""

    is_discrete, bounds = True, ("lower_bound",)

    def _holds(self, x):
        return _is_integral(x) & (self._bound("lower_bound") <= x)


class Multinomial(_Bounded):
    """Non-negative count vectors summing to at most upper_bound: PyTorch's check, which neither asks for
    integers nor for the sum to equal the total count."""

    is_discrete, event_dim, bounds = True, 1, ("upper_bound",)

    def _holds(self, x):
        return (x >= 0).all(-1) & (x.sum(-1) <= self._bound("upper_bound"))


class IndependentConstraint(Constraint):
    """base_constraint over events that also span the `reinterpreted_batch_ndims` dims left of its own:
    an event holds only if all its entries do."""

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int) -> None:
        if not isinstance(base_constraint, Constraint):
            raise TypeError(f"base_constraint must be a Constraint, got {type(base_constraint).__name__}")
        if not isinstance(reinterpreted_batch_ndims, int) or reinterpreted_batch_ndims < 0:
            raise ValueError(f"reinterpreted_batch_ndims must be an int >= 0, got {reinterpreted_batch_ndims!r}")
        self.base_constraint, self.reinterpreted_batch_ndims = base_constraint, reinterpreted_batch_ndims

    @property
    def is_discrete(self) -> bool:
        return self.base_constraint.is_discrete

    @property
    def event_dim(self) -> int:
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value) -> Tensor:
        holds = self.base_constraint.check(value)._data
        ndims = self.reinterpreted_batch_ndims
        if holds.ndim < ndims:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {_array(value).ndim}")
        return Tensor._from_data(np.asarray(holds.reshape(holds.shape[:holds.ndim - ndims] + (-1,)).all(-1)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


# The instances and factories under PyTorch's names.
real = Real()
real_vector = IndependentConstraint(real, 1)
boolean = Boolean()
one_hot = OneHot()
simplex = Simplex()
positive = GreaterThan(0.0)
nonnegative = GreaterThanEq(0.0)
unit_interval = Interval(0.0, 1.0)
nonnegative_integer = IntegerGreaterThan(0)
positive_integer = IntegerGreaterThan(1)
greater_than = GreaterThan
greater_than_eq = GreaterThanEq
less_than = LessThan
interval = Interval
half_open_interval = HalfOpenInterval
integer_interval = IntegerInterval
multinomial = Multinomial
independent = IndependentConstraint


class Square(Constraint):
    """Square matrices (the check reads the shape only)."""

    event_dim = 2

    def _holds(self, x):
        return np.full(x.shape[:-2], x.shape[-2] == x.shape[-1])


class Symmetric(Square):
    """Square matrices equal to their transposes within atol 1e-6 (PyTorch's tolerance)."""

    def _holds(self, x):
        square = super()._holds(x)
        if not square.all():
            return square
        return np.isclose(x, np.swapaxes(x, -1, -2), atol=1e-6).all((-2, -1))


class PositiveSemidefinite(Symmetric):
    def _holds(self, x):
        symmetric = super()._holds(x)
        if not symmetric.all():
            return symmetric
        return (np.linalg.eigvalsh(x) >= 0).all(-1)


class PositiveDefinite(Symmetric):
    """Symmetric matrices whose Cholesky factorisation (of the lower triangle) succeeds, as PyTorch's test."""

    def _holds(self, x):
        symmetric = super()._holds(x)
        if not symmetric.all():
            return symmetric
        matrices = x.reshape((-1,) + x.shape[-2:])
        return np.array([_cholesky_succeeds(matrix) for matrix in matrices], dtype=bool).reshape(x.shape[:-2])


def _cholesky_succeeds(matrix: np.ndarray) -> bool:
    try:
        return bool(np.isfinite(np.linalg.cholesky(matrix)).all())
    except np.linalg.LinAlgError:
        return False


class LowerTriangular(Constraint):
    event_dim = 2

    def _holds(self, x):
        return (np.tril(x) == x).all((-2, -1))


class LowerCholesky(LowerTriangular):
    """Lower-triangular matrices with a positive diagonal: Cholesky factors."""

    def _holds(self, x):
        return super()._holds(x) & (np.diagonal(x, axis1=-2, axis2=-1) > 0).all(-1)


square = Square()
symmetric = Symmetric()
positive_semidefinite = PositiveSemidefinite()
positive_definite = PositiveDefinite()
lower_triangular = LowerTriangular()
lower_cholesky = LowerCholesky()


class MixtureSameFamilyConstraint(Constraint):
    """A mixture's support: the value lies in `base_constraint` (the components' support) for every
    component, as PyTorch's check."""

    def __init__(self, base_constraint: Constraint) -> None:
        if not isinstance(base_constraint, Constraint):
            raise TypeError(f"base_constraint must be a Constraint, got {type(base_constraint).__name__}")
        self.base_constraint = base_constraint

    @property
    def is_discrete(self) -> bool:
        return self.base_constraint.is_discrete

    @property
    def event_dim(self) -> int:
        return self.base_constraint.event_dim

    def _holds(self, x):
        if x.ndim < self.event_dim:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {x.ndim}")
        per_component = self.base_constraint.check(np.expand_dims(x, -1 - self.event_dim))._data
        kept = x.ndim - self.event_dim
        return per_component.reshape(per_component.shape[:kept] + (-1,)).all(-1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_constraint!r})"

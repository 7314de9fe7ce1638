"""Invertible maps between the regions of `constraints`, as torch.distributions.transforms: a
TransformedDistribution pushes its base distribution through them and scores a value by pulling it back,
y = t(x), log p(y) = log p(x) - log|dy/dx| (`log_abs_det_jacobian(x, y)`).

`cache_size=1` keeps the last (x, y) pair, so that `t.inv(t(x))` returns the very x (and its graph) rather
than recomputing it (where the inverse is lossy, as the sigmoid's near 0 and 1, or not unique, as Abs)."""
from __future__ import annotations

import math
import numbers
import weakref

import numpy as np

from fastgrad.creation import full_like, zeros_like
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import as_parameter
from fastgrad.distributions.utils import sum_rightmost
from fastgrad.dtypes import finfo
from fastgrad.nn.functional import softplus
from fastgrad.tensor import Tensor

__all__ = ["AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform", "PowerTransform",
           "SigmoidTransform", "SoftmaxTransform", "TanhTransform", "Transform", "identity_transform"]


class Transform:
    """domain, codomain: the constraints x and y satisfy; bijective: whether inv is a true inverse; sign:
    +1 or -1 for monotone maps of one variable (the sign of dy/dx)."""

    bijective = False
    domain: constraints.Constraint = constraints.real
    codomain: constraints.Constraint = constraints.real
    __hash__ = None  # equal transforms are interchangeable, not hashable (as PyTorch's)

    def __init__(self, cache_size: int = 0) -> None:
        if cache_size not in (0, 1):
            raise ValueError(f"cache_size must be 0 or 1, got {cache_size!r}")
        self._cache_size = cache_size
        self._cached_x_y: tuple | None = None
        self._inv = None  # a weak reference: the inverse holds this transform strongly

    @property
    def event_dim(self) -> int:
        if self.domain.event_dim == self.codomain.event_dim:
            return self.domain.event_dim
        raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")

    @property
    def inv(self) -> "Transform":
        inverse = self._inv() if self._inv is not None else None
        if inverse is None:
            inverse = _InverseTransform(self)
            self._inv = weakref.ref(inverse)
        return inverse

    @property
    def sign(self):
        raise NotImplementedError(f"{type(self).__name__} has no sign (it is not a monotone map of one variable)")

    def with_cache(self, cache_size: int = 1) -> "Transform":
        if self._cache_size == cache_size:
            return self
        if type(self).__init__ is Transform.__init__:
            return type(self)(cache_size=cache_size)
        raise NotImplementedError(f"{type(self).__name__}.with_cache is not implemented")

    def __eq__(self, other) -> bool:
        return type(other) is type(self)  # the parameterless transforms: one of a kind is like any other

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    def __call__(self, x: Tensor) -> Tensor:
        if self._cache_size == 0:
            return self._call(x)
        if self._cached_x_y is not None and self._cached_x_y[0] is x:
            return self._cached_x_y[1]
        y = self._call(x)
        self._cached_x_y = x, y
        return y

    def _inv_call(self, y: Tensor) -> Tensor:
        if self._cache_size == 0:
            return self._inverse(y)
        if self._cached_x_y is not None and self._cached_x_y[1] is y:
            return self._cached_x_y[0]
        x = self._inverse(y)
        self._cached_x_y = x, y
        return x

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement its forward map")

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement its inverse")

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no log_abs_det_jacobian (it is not bijective)")

    def forward_shape(self, shape) -> tuple:
        """The shape of y for an x of `shape`."""
        return shape

    def inverse_shape(self, shape) -> tuple:
        """The shape of x for a y of `shape`."""
        return shape

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


class _InverseTransform(Transform):
    """t.inv: t read backwards (PyTorch's private name, which its repr shows)."""

    def __init__(self, transform: Transform) -> None:
        super().__init__(cache_size=transform._cache_size)
        self._inverted = transform

    domain = property(lambda self: self._inverted.codomain)
    codomain = property(lambda self: self._inverted.domain)
    bijective = property(lambda self: self._inverted.bijective)
    sign = property(lambda self: self._inverted.sign)

    @property
    def inv(self) -> Transform:
        return self._inverted

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self._inverted.with_cache(cache_size).inv

    def __eq__(self, other) -> bool:
        return isinstance(other, _InverseTransform) and self._inverted == other._inverted

    def __call__(self, y: Tensor) -> Tensor:
        return self._inverted._inv_call(y)  # the inverted transform's cache serves both directions

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -self._inverted.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape) -> tuple:
        return self._inverted.inverse_shape(shape)

    def inverse_shape(self, shape) -> tuple:
        return self._inverted.forward_shape(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._inverted!r})"


class ComposeTransform(Transform):
    """parts applied in order. Its domain and codomain span the most event dims any part needs."""

    def __init__(self, parts: list, cache_size: int = 0) -> None:
        if not all(isinstance(part, Transform) for part in parts):
            raise TypeError(f"ComposeTransform: parts must be Transforms, got {[type(p).__name__ for p in parts]}")
        if cache_size:
            parts = [part.with_cache(cache_size) for part in parts]
        super().__init__(cache_size=cache_size)
        self.parts = list(parts)

    def __eq__(self, other) -> bool:
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    @property
    def domain(self) -> constraints.Constraint:
        if not self.parts:
            return constraints.real
        event_dim = self.parts[-1].codomain.event_dim
        for part in reversed(self.parts):  # each part's input dims, carried back to the first part's input
            event_dim = max(event_dim + part.domain.event_dim - part.codomain.event_dim, part.domain.event_dim)
        return _with_event_dim(self.parts[0].domain, event_dim)

    @property
    def codomain(self) -> constraints.Constraint:
        if not self.parts:
            return constraints.real
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim = max(event_dim + part.codomain.event_dim - part.domain.event_dim, part.codomain.event_dim)
        return _with_event_dim(self.parts[-1].codomain, event_dim)

    @property
    def bijective(self) -> bool:
        return all(part.bijective for part in self.parts)

    @property
    def sign(self):
        sign = 1
        for part in self.parts:
            sign = sign * part.sign
        return sign

    @property
    def inv(self) -> Transform:
        inverse = self._inv() if self._inv is not None else None
        if inverse is None:
            inverse = ComposeTransform([part.inv for part in reversed(self.parts)])
            self._inv, inverse._inv = weakref.ref(inverse), weakref.ref(self)
        return inverse

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else ComposeTransform(self.parts, cache_size=cache_size)

    def __call__(self, x: Tensor) -> Tensor:
        for part in self.parts:
            x = part(x)
        return x

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        """The parts' terms, each summed over the event dims it does not cover itself."""
        if not self.parts:
            return zeros_like(x)
        xs = [x]
        for part in self.parts[:-1]:
            xs.append(part(xs[-1]))
        xs.append(y)
        event_dim, total = self.domain.event_dim, None
        for part, before, after in zip(self.parts, xs[:-1], xs[1:]):
            term = sum_rightmost(part.log_abs_det_jacobian(before, after), event_dim - part.domain.event_dim)
            total = term if total is None else total + term
            event_dim += part.codomain.event_dim - part.domain.event_dim
        return total

    def forward_shape(self, shape) -> tuple:
        for part in self.parts:
            shape = part.forward_shape(shape)
        return shape

    def inverse_shape(self, shape) -> tuple:
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return shape

    def __repr__(self) -> str:
        return type(self).__name__ + "(\n    " + ",\n    ".join(repr(part) for part in self.parts) + "\n)"


def _with_event_dim(constraint: constraints.Constraint, event_dim: int) -> constraints.Constraint:
    extra = event_dim - constraint.event_dim
    return constraints.independent(constraint, extra) if extra > 0 else constraint


identity_transform = ComposeTransform([])


class ExpTransform(Transform):
    """y = exp(x)."""

    domain, codomain, bijective, sign = constraints.real, constraints.positive, True, 1

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class PowerTransform(Transform):
    """y = x ** exponent on x > 0 (exponent a number or a tensor broadcast with x)."""

    domain, codomain, bijective = constraints.positive, constraints.positive, True

    def __init__(self, exponent, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.exponent = as_parameter(exponent, "exponent")

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self if self._cache_size == cache_size else PowerTransform(self.exponent, cache_size=cache_size)

    @property
    def sign(self) -> Tensor:
        return self.exponent.sign()

    def __eq__(self, other) -> bool:
        return isinstance(other, PowerTransform) and bool((self.exponent == other.exponent).all().item())

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()  # dy/dx = exponent x^(exponent - 1) = exponent y / x

    def forward_shape(self, shape) -> tuple:
        return tuple(np.broadcast_shapes(tuple(shape), tuple(self.exponent.shape)))

    inverse_shape = forward_shape


class SigmoidTransform(Transform):
    """y = sigmoid(x), kept within [tiny, 1 - eps] of the dtype so that the inverse stays finite."""

    domain, codomain, bijective, sign = constraints.real, constraints.unit_interval, True, 1

    def _call(self, x):
        info = finfo(x.dtype)
        return x.sigmoid().clamp(min=info.tiny, max=1 - info.eps)

    def _inverse(self, y):
        info = finfo(y.dtype)
        y = y.clamp(min=info.tiny, max=1 - info.eps)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x) - softplus(x)  # log sigmoid'(x) = log sigmoid(x) + log sigmoid(-x)


class TanhTransform(Transform):
    """y = tanh(x)."""

    domain, codomain, bijective, sign = constraints.real, constraints.interval(-1.0, 1.0), True, 1

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return y.atanh()

    def log_abs_det_jacobian(self, x, y):
        # log(1 - tanh(x)^2) = 2 (log 2 - x - softplus(-2x)), which stays finite for large |x|
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class AbsTransform(Transform):
    """y = |x|; its inverse picks the non-negative root (not bijective: no log_abs_det_jacobian)."""

    domain, codomain = constraints.real, constraints.positive

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class SoftmaxTransform(Transform):
    """Unconstrained vectors (the last dim) to the simplex; the inverse takes logs, one of the many
    preimages (not bijective: no log_abs_det_jacobian)."""

    domain, codomain = constraints.real_vector, constraints.simplex

    def _call(self, x):
        return x.softmax(-1)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape) -> tuple:
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return shape

    inverse_shape = forward_shape


class AffineTransform(Transform):
    """y = loc + scale * x, loc and scale numbers or tensors broadcast with x; event_dim > 0 makes the
    rightmost dims one event (its log-det sums over them)."""

    bijective = True

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        for name, value in (("loc", loc), ("scale", scale)):
            if not isinstance(value, (Tensor, numbers.Real)) or isinstance(value, bool):
                raise TypeError(f"AffineTransform: {name} must be a number or a Tensor, got {type(value).__name__}")
        if isinstance(event_dim, bool) or not isinstance(event_dim, int) or event_dim < 0:
            raise ValueError(f"AffineTransform: event_dim must be an int >= 0, got {event_dim!r}")
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    @property
    def event_dim(self) -> int:
        return self._event_dim

    @property
    def domain(self) -> constraints.Constraint:
        return _with_event_dim(constraints.real, self._event_dim)

    codomain = domain

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self._event_dim, cache_size=cache_size)

    def __eq__(self, other) -> bool:
        if not isinstance(other, AffineTransform):
            return False
        return all(bool(np.all(_values(mine) == _values(theirs)))
                   for mine, theirs in ((self.loc, other.loc), (self.scale, other.scale)))

    @property
    def sign(self):
        if isinstance(self.scale, numbers.Real):
            return 1 if self.scale > 0 else -1 if self.scale < 0 else 0
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        if isinstance(self.scale, numbers.Real):
            result = full_like(x, math.log(abs(self.scale)))
        else:
            result = self.scale.abs().log()
        shape = tuple(x.shape)
        if self._event_dim:
            result = result.reshape(tuple(result.shape[:result.ndim - self._event_dim]) + (-1,)).sum(-1)
            shape = shape[:len(shape) - self._event_dim]
        return result.expand(shape)

    def forward_shape(self, shape) -> tuple:
        return tuple(np.broadcast_shapes(tuple(shape), np.shape(_values(self.loc)), np.shape(_values(self.scale))))

    inverse_shape = forward_shape


def _values(value) -> np.ndarray:
    return value.detach().numpy() if isinstance(value, Tensor) else np.asarray(value)

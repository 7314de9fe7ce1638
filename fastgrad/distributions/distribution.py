"""What the distributions share: batch and event shapes, sample shapes, argument validation against
each class's `arg_constraints` and `support`, and `expand`."""
from __future__ import annotations

import warnings

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.creation import as_tensor
from fastgrad.distributions import constraints
from fastgrad.dtypes import get_default_dtype
from fastgrad.tensor import Size, Tensor


def as_parameter(value, name: str, like: Tensor | None = None) -> Tensor:
    """A parameter as a floating tensor: a Python number takes the dtype of the distribution's tensor
    parameter `like` (the default dtype without one), as PyTorch's broadcast_all does."""
    dtype = like.dtype if isinstance(like, Tensor) and like.dtype.kind == "f" else get_default_dtype()
    tensor = value if isinstance(value, Tensor) else as_tensor(np.asarray(value, dtype=dtype))
    if tensor.dtype.kind != "f":
        raise TypeError(f"{name} must be a floating point tensor, got dtype {tensor.dtype}")
    return tensor


def probs_or_logits(probs, logits) -> tuple[str, Tensor]:
    """The one of probs and logits that was given, by name, as a floating tensor."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    name = "probs" if probs is not None else "logits"
    return name, as_parameter(probs if probs is not None else logits, name)


class BroadcastParameter:
    """A parameter kept as given and broadcast to the batch shape (and its own event dims, as many as the
    distribution's) at each read, rather than once in __init__: a graph node made there would be shared by
    every log_prob's graph, and the first backward would free it for the others (fastgrad frees every
    node a backward passes). `event_dim`: the parameter's own event dims where they are not the
    distribution's (a covariance matrix of a vector distribution has two)."""

    event_dim: int | None = None

    def __init__(self, event_dim: int | None = None) -> None:
        self.event_dim = event_dim

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name]
        event_dim = len(instance.event_shape) if self.event_dim is None else self.event_dim
        return value.expand(instance.batch_shape + value.shape[value.ndim - event_dim:])

    def __set__(self, instance, value: Tensor) -> None:
        instance.__dict__[self.name] = value


class TrialParameter(BroadcastParameter):
    """probs or logits (log-odds) of the Bernoulli trials of Binomial, Geometric and NegativeBinomial: the
    one given, broadcast to the batch shape at each read (see BroadcastParameter), or else derived from
    the other at each read by `derive(other)`."""

    def __init__(self, other: str, derive) -> None:
        self.other, self.derive = other, derive

    def __get__(self, instance, owner=None):
        if instance is None or self.name in instance.__dict__:
            return super().__get__(instance, owner)
        return self.derive(getattr(instance, self.other))


class Distribution:
    """batch_shape: the shape of independent distributions; event_shape: the shape of one draw of one of them.

    A subclass sets its parameters (the names in `arg_constraints`) before calling this __init__, which
    checks those it finds set on the instance unless validation is off."""

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}
    _validate_args = True  # PyTorch's default (unless Python runs with -O)

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: value must be True or False, got {value!r}")
        Distribution._validate_args = bool(value)

    def __init__(self, batch_shape: tuple = (), event_shape: tuple = (), validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        if validate_args is not None:
            self._validate_args = bool(validate_args)
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                value = self.__dict__.get(name)  # the given parameter, not one derived from it on demand
                if value is not None:
                    self._validate_parameter(name, value, constraint)

    def _validate_parameter(self, name: str, value: Tensor, constraint: constraints.Constraint) -> None:
        if not constraint.check(value)._data.all():
            raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape {np.shape(value)}) of "
                             f"distribution {self!r} to satisfy the constraint {constraint!r}, but found invalid "
                             f"values:\n{value}")

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    @property
    def support(self) -> constraints.Constraint:
        raise NotImplementedError(f"{type(self).__name__} does not define its support")

    def expand(self, batch_shape, _instance=None) -> "Distribution":
        """A distribution of the same parameters broadcast to batch_shape (views, no copies)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement expand")

    def _expand_parameters(self, cls: type, batch_shape, _instance=None) -> "Distribution":
        """expand for a distribution whose state is its parameters: each set parameter broadcast to
        batch_shape + its own event dims; other attributes (counts, sizes) shared. PyTorch's rule holds:
        a subclass with its own __init__ must write its own expand."""
        new = self._copy_for_expand(cls, batch_shape, _instance)
        for name, constraint in self.arg_constraints.items():
            value = self.__dict__.get(name)
            if value is None:
                continue
            shape = new.batch_shape + value.shape[value.ndim - constraint.event_dim:]
            if isinstance(getattr(cls, name, None), BroadcastParameter):
                value.detach().expand(shape)  # only to raise if it does not fit: it is broadcast at each read
            else:
                new.__dict__[name] = value.expand(shape)
        return new

    def _copy_for_expand(self, cls: type, batch_shape, _instance=None) -> "Distribution":
        """A new instance (or the subclass's `_instance`) with this one's attributes and batch_shape, for
        `cls.expand` to replace the attributes that depend on the batch shape."""
        if _instance is None and type(self).__init__ is not cls.__init__:
            raise NotImplementedError(f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom "
                                      "__init__ method must also define a custom .expand() method.")
        new = type(self).__new__(type(self)) if _instance is None else _instance
        new.__dict__.update(self.__dict__)
        new._batch_shape = Size(batch_shape)
        return new

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sample (has_rsample is False)")

    def sample_n(self, n: int) -> Tensor:
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.", FutureWarning, stacklevel=2)
        return self.sample((n,))

    def log_prob(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement enumerate_support")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    def _extended_shape(self, sample_shape=()) -> Size:
        if isinstance(sample_shape, (int, np.integer)):
            raise TypeError(f"sample_shape must be a tuple or torch.Size, got {sample_shape!r} "
                            f"(write ({sample_shape},))")
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _enumerated(self, values: Tensor, expand: bool) -> Tensor:
        """enumerate_support from the support's values stacked along dim 0 (each of event_shape): a
        singleton dim per batch dim, expanded to the batch shape if asked."""
        count, event = values.shape[0], tuple(self.event_shape)
        values = values.reshape((count,) + (1,) * len(self.batch_shape) + event)
        return values.expand((count,) + tuple(self.batch_shape) + event) if expand else values

    @staticmethod
    def _as_value(value, dtype=None) -> Tensor:
        """A value (or a probability, for icdf) as a tensor: numbers and arrays are taken as `dtype`."""
        return value if isinstance(value, Tensor) else as_tensor(np.asarray(value, dtype=dtype))

    def _checked(self, value, dtype=None) -> Tensor:
        """A value to score (log_prob, cdf) as a tensor. With validation on it must be a tensor shaped to
        broadcast against batch_shape + event_shape and lie in the support, as PyTorch requires; with it off,
        numbers and arrays are taken too (as `dtype`)."""
        if not self._validate_args:
            return self._as_value(value, dtype)
        if not isinstance(value, Tensor):
            raise ValueError(f"The value argument to log_prob must be a Tensor, got {type(value).__name__}")
        shape, expected = tuple(value.shape), tuple(self._batch_shape) + tuple(self._event_shape)
        if shape[len(shape) - len(self._event_shape):] != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: {shape} vs "
                             f"{tuple(self._event_shape)}.")
        if any(i != 1 and j != 1 and i != j for i, j in zip(reversed(shape), reversed(expected))):
            raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {shape} vs {expected}.")
        support = self.support
        if not support.check(value)._data.all():
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {shape}) to be within the "
                             f"support ({support!r}) of the distribution {self!r}, but found invalid values:\n{value}")
        return value

    def __repr__(self) -> str:
        shown = [f"{name}: {value if np.prod(np.shape(value)) == 1 else repr(Size(np.shape(value)))}"
                 for name, value in ((name, self.__dict__.get(name)) for name in self.arg_constraints)
                 if value is not None]
        return f"{type(self).__name__}({', '.join(shown)})"


class CentredAtLoc:
    """The mean and the mode of a distribution symmetric about its `loc` parameter, with one peak there."""

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

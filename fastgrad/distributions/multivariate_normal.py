"""MultivariateNormal: the Gaussian on vectors of the last dim, with mean `loc` and a covariance given as
the covariance matrix, the precision matrix or the lower Cholesky factor `scale_tril`. Everything is computed
from the Cholesky factor L of the covariance (Sigma = L L^T); the other two matrices are derived from it on
demand."""
from __future__ import annotations

import math

import numpy as np

from fastgrad import linalg
from fastgrad.autograd.grad_mode import no_grad
from fastgrad.creation import randn
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter, CentredAtLoc, Distribution, as_parameter
from fastgrad.tensor import Tensor


def inverse_of_lower(scale_tril: Tensor) -> Tensor:
    """L^-1 from L's lower triangle only, as a triangular solve reads it: the entries above the diagonal get
    no gradient (as in PyTorch, whose solves are triangular)."""
    return linalg.inv(scale_tril.tril())


def mahalanobis(scale_tril: Tensor, x: Tensor) -> Tensor:
    """x^T (L L^T)^-1 x for each vector x along the last dim, L and x batches broadcasting together."""
    whitened = (inverse_of_lower(scale_tril) @ x.unsqueeze(-1)).squeeze(-1)
    return (whitened ** 2).sum(-1)


def half_log_det(scale_tril: Tensor) -> Tensor:
    """log |L L^T| / 2 = sum log diag(L), for a Cholesky factor L."""
    return scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


def _precision_to_scale_tril(precision: Tensor) -> Tensor:
    """The Cholesky factor of the inverse of `precision`, without inverting it: the factor of the matrix
    with rows and columns reversed is upper-triangular once flipped back, and its inverse transposed is L."""
    flipped_factor = linalg.cholesky(precision.flip((-2, -1)))
    return linalg.inv(flipped_factor.flip((-2, -1)).mT).tril()  # tril: the inverse's zeros stay exactly 0


class _CovarianceForm(BroadcastParameter):
    """One of the three matrix parameters: the one given, broadcast to the batch shape at each read, or else
    `derive(L)` from the Cholesky factor, at each read (no graph node is kept between calls)."""

    event_dim = 2

    def __init__(self, derive) -> None:
        self.derive = derive

    def __get__(self, instance, owner=None):
        if instance is None or self.name in instance.__dict__:
            return super().__get__(instance, owner)
        return self.derive(instance._unbroadcasted_scale_tril).expand(
            tuple(instance.batch_shape) + tuple(instance.event_shape) * 2)


def _precision_from_scale_tril(scale_tril: Tensor) -> Tensor:
    inverse = linalg.inv(scale_tril)  # all of L, as PyTorch's cholesky_inverse is differentiated
    return inverse.mT @ inverse


class MultivariateNormal(CentredAtLoc, Distribution):
    """loc (at least 1-D) and exactly one of covariance_matrix and precision_matrix (positive-definite) and
    scale_tril (lower-triangular with a positive diagonal), their batch dims broadcast together. `rsample` is
    loc + L eps, differentiable in loc and the matrix given."""

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True
    loc = BroadcastParameter(event_dim=1)
    scale_tril = _CovarianceForm(lambda scale_tril: scale_tril)
    covariance_matrix = _CovarianceForm(lambda scale_tril: scale_tril @ scale_tril.mT)
    precision_matrix = _CovarianceForm(_precision_from_scale_tril)

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args: bool | None = None) -> None:
        given = {name: matrix for name, matrix in (("covariance_matrix", covariance_matrix),
                                                   ("precision_matrix", precision_matrix),
                                                   ("scale_tril", scale_tril)) if matrix is not None}
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified, "
                             f"got {len(given)}: {sorted(given) or 'none'}")
        (name, matrix), = given.items()
        loc = tensor_parameter(loc, "loc", 1)
        matrix = tensor_parameter(matrix, name, 2)
        if matrix.shape[-1] != matrix.shape[-2] or matrix.shape[-1] != loc.shape[-1]:
            raise ValueError(f"{name} must be square matrices of the size of loc's vectors ({loc.shape[-1]}), got "
                             f"shape {tuple(matrix.shape)}")
        batch_shape = np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        self.loc = loc
        self.__dict__[name] = matrix
        super().__init__(batch_shape, loc.shape[-1:], validate_args)
        with no_grad():
            self._unbroadcasted_scale_tril  # a matrix that has no Cholesky factor raises here, as in PyTorch

    def expand(self, batch_shape, _instance=None) -> "MultivariateNormal":
        return self._expand_parameters(MultivariateNormal, batch_shape, _instance)

    @property
    def _unbroadcasted_scale_tril(self) -> Tensor:
        """The Cholesky factor L of the covariance, with the batch dims of the matrix given (PyTorch's name)."""
        given = self.__dict__
        if "scale_tril" in given:
            return given["scale_tril"]
        if "covariance_matrix" in given:
            return linalg.cholesky(given["covariance_matrix"])
        return _precision_to_scale_tril(given["precision_matrix"])

    @property
    def variance(self) -> Tensor:
        return (self._unbroadcasted_scale_tril ** 2).sum(-1).expand(tuple(self.batch_shape) + tuple(self.event_shape))

    def rsample(self, sample_shape=()) -> Tensor:
        noise = randn(*self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ noise.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        scale_tril = self._unbroadcasted_scale_tril
        distance = mahalanobis(scale_tril, value - self.loc)
        return -0.5 * (self.event_shape[0] * math.log(2 * math.pi) + distance) - half_log_det(scale_tril)

    def entropy(self) -> Tensor:
        entropy = 0.5 * self.event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det(
            self._unbroadcasted_scale_tril)
        return entropy.expand(self.batch_shape)

    # What the KLs between Gaussians on vectors need of each (see kl_pairs), in the unbroadcast batch dims:
    def _log_det_covariance(self) -> Tensor:
        return 2 * half_log_det(self._unbroadcasted_scale_tril)

    def _mahalanobis(self, x: Tensor) -> Tensor:
        return mahalanobis(self._unbroadcasted_scale_tril, x)

    def _trace_of_inverse_covariance_times(self, factor: Tensor) -> Tensor:
        """trace(Sigma^-1 F F^T) = |L^-1 F|^2 (Frobenius)."""
        return ((inverse_of_lower(self._unbroadcasted_scale_tril) @ factor) ** 2).sum((-2, -1))

    def _covariance_factor(self) -> Tensor:
        """A matrix F with covariance F F^T."""
        return self._unbroadcasted_scale_tril


def tensor_parameter(value, name: str, min_dims: int) -> Tensor:
    """A vector or matrix parameter: a floating tensor of at least `min_dims` dims (PyTorch takes no numbers)."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(value).__name__}")
    value = as_parameter(value, name)
    if value.ndim < min_dims:
        kind = "loc must be at least one-dimensional" if min_dims == 1 else \
            f"{name} must be at least two-dimensional, with optional leading batch dimensions"
        raise ValueError(f"{kind}, got shape {tuple(value.shape)}")
    return value

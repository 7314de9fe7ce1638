"""LowRankMultivariateNormal: the Gaussian on vectors with covariance W W^T + diag(D), a factor W of m
columns plus a positive diagonal D, scored in O(n m^2) through the m x m capacitance I + W^T D^-1 W (the
matrix inversion lemma) rather than by factoring the n x n covariance."""
from __future__ import annotations

import math

import numpy as np

from fastgrad import linalg
from fastgrad.autograd.grad_mode import no_grad
from fastgrad.creation import eye, randn
from fastgrad.distributions import constraints
from fastgrad.distributions.distribution import BroadcastParameter, CentredAtLoc, Distribution
from fastgrad.distributions.multivariate_normal import (half_log_det, inverse_of_lower, mahalanobis,
                                                          tensor_parameter)
from fastgrad.functions import cat, diag_embed
from fastgrad.tensor import Tensor


class LowRankMultivariateNormal(CentredAtLoc, Distribution):
    """loc (at least 1-D, n-vectors), cov_factor W (n x m matrices) and cov_diag D (positive n-vectors),
    their batch dims broadcast together. `rsample` is loc + W eps_m + sqrt(D) eps_n, differentiable in all
    three."""

    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True
    loc, cov_factor, cov_diag = BroadcastParameter(event_dim=1), BroadcastParameter(event_dim=2), \
        BroadcastParameter(event_dim=1)

    def __init__(self, loc, cov_factor, cov_diag, validate_args: bool | None = None) -> None:
        loc = tensor_parameter(loc, "loc", 1)
        cov_factor = tensor_parameter(cov_factor, "cov_factor", 2)
        cov_diag = tensor_parameter(cov_diag, "cov_diag", 1)
        size = loc.shape[-1]
        if cov_factor.shape[-2] != size:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {size} x m, got shape "
                             f"{tuple(cov_factor.shape)}")
        if cov_diag.shape[-1] != size:
            raise ValueError(f"cov_diag must be a batch of vectors with shape ({size},), got shape "
                             f"{tuple(cov_diag.shape)}")
        try:
            batch_shape = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]),
                                              tuple(cov_diag.shape[:-1]))
        except ValueError as error:
            raise ValueError(f"Incompatible batch shapes: loc {tuple(loc.shape)}, cov_factor "
                             f"{tuple(cov_factor.shape)}, cov_diag {tuple(cov_diag.shape)}") from error
        self.loc, self.cov_factor, self.cov_diag = loc, cov_factor, cov_diag
        super().__init__(batch_shape, (size,), validate_args)
        with no_grad():
            self._capacitance_tril  # one that has no Cholesky factor (NaN entries) raises here, as in PyTorch

    def expand(self, batch_shape, _instance=None) -> "LowRankMultivariateNormal":
        return self._expand_parameters(LowRankMultivariateNormal, batch_shape, _instance)

    # The parameters with their own batch dims, and the capacitance's Cholesky factor, under PyTorch's names;
    # computed at each read, as the parameters are broadcast (no graph node is kept between calls).
    @property
    def _unbroadcasted_cov_factor(self) -> Tensor:
        return self.__dict__["cov_factor"]

    @property
    def _unbroadcasted_cov_diag(self) -> Tensor:
        return self.__dict__["cov_diag"]

    @property
    def _capacitance_tril(self) -> Tensor:
        """The Cholesky factor of I + W^T D^-1 W (m x m)."""
        factor = self._unbroadcasted_cov_factor
        capacitance = (factor.mT / self._unbroadcasted_cov_diag.unsqueeze(-2)) @ factor
        return linalg.cholesky(capacitance + eye(factor.shape[-1], dtype=factor.dtype))

    def _matrix_shape(self) -> tuple:
        return tuple(self.batch_shape) + tuple(self.event_shape) * 2

    def _whitened_factor_transpose(self, capacitance_tril: Tensor) -> Tensor:
        """A = C^-1 W^T D^-1 for the capacitance's factor C: the covariance's inverse is D^-1 - A^T A."""
        factor, diag = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return inverse_of_lower(capacitance_tril) @ (factor.mT / diag.unsqueeze(-2))

    @property
    def variance(self) -> Tensor:
        factor, diag = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return ((factor ** 2).sum(-1) + diag).expand(tuple(self.batch_shape) + tuple(self.event_shape))

    @property
    def scale_tril(self) -> Tensor:
        """D^1/2 times the Cholesky factor of I + D^-1/2 W W^T D^-1/2 (n x n)."""
        root_diag = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        scaled = self._unbroadcasted_cov_factor / root_diag
        inner = scaled @ scaled.mT + eye(self.event_shape[0], dtype=scaled.dtype)
        return (root_diag * linalg.cholesky(inner)).expand(self._matrix_shape())

    @property
    def covariance_matrix(self) -> Tensor:
        factor, diag = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (factor @ factor.mT + diag_embed(diag)).expand(self._matrix_shape())

    @property
    def precision_matrix(self) -> Tensor:
        whitened = self._whitened_factor_transpose(self._capacitance_tril)
        inverse_diag = diag_embed(self._unbroadcasted_cov_diag.reciprocal())
        return (inverse_diag - whitened.mT @ whitened).expand(self._matrix_shape())

    def rsample(self, sample_shape=()) -> Tensor:
        factor, diag = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        shape = self._extended_shape(sample_shape)
        factor_noise = randn(*(tuple(shape[:-1]) + (factor.shape[-1],)), dtype=self.loc.dtype)
        diagonal_noise = randn(*shape, dtype=self.loc.dtype)
        return self.loc + (factor @ factor_noise.unsqueeze(-1)).squeeze(-1) + diag.sqrt() * diagonal_noise

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc.dtype)
        capacitance_tril = self._capacitance_tril
        return -0.5 * (self.event_shape[0] * math.log(2 * math.pi) + self._log_det_covariance(capacitance_tril)
                       + self._mahalanobis(value - self.loc, capacitance_tril))

    def entropy(self) -> Tensor:
        entropy = 0.5 * (self.event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._log_det_covariance())
        return entropy.expand(self.batch_shape)

    # What the KLs between Gaussians on vectors need (see MultivariateNormal), in the unbroadcast batch dims:
    def _log_det_covariance(self, capacitance_tril: Tensor | None = None) -> Tensor:
        """log |W W^T + D| = log |I + W^T D^-1 W| + log |D| (the matrix determinant lemma)."""
        capacitance_tril = self._capacitance_tril if capacitance_tril is None else capacitance_tril
        return 2 * half_log_det(capacitance_tril) + self._unbroadcasted_cov_diag.log().sum(-1)

    def _mahalanobis(self, x: Tensor, capacitance_tril: Tensor | None = None) -> Tensor:
        """x^T (W W^T + D)^-1 x = x^T D^-1 x - |C^-1 W^T D^-1 x|^2 (the matrix inversion lemma)."""
        factor, diag = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        capacitance_tril = self._capacitance_tril if capacitance_tril is None else capacitance_tril
        projected = ((factor.mT / diag.unsqueeze(-2)) @ x.unsqueeze(-1)).squeeze(-1)
        return (x ** 2 / diag).sum(-1) - mahalanobis(capacitance_tril, projected)

    def _trace_of_inverse_covariance_times(self, factor: Tensor) -> Tensor:
        """trace((D^-1 - A^T A) F F^T) = |D^-1/2 F|^2 - |A F|^2 (Frobenius)."""
        whitened = self._whitened_factor_transpose(self._capacitance_tril)
        diag = self._unbroadcasted_cov_diag.unsqueeze(-1)
        return (factor ** 2 / diag).sum((-2, -1)) - ((whitened @ factor) ** 2).sum((-2, -1))

    def _covariance_factor(self) -> Tensor:
        """[W, D^1/2] (n x (m + n)): its product with its transpose is the covariance."""
        factor, diag_root = self._unbroadcasted_cov_factor, diag_embed(self._unbroadcasted_cov_diag.sqrt())
        batch_shape = np.broadcast_shapes(tuple(factor.shape[:-2]), tuple(diag_root.shape[:-2]))
        return cat([factor.expand(batch_shape + tuple(factor.shape[-2:])),
                    diag_root.expand(batch_shape + tuple(diag_root.shape[-2:]))], -1)

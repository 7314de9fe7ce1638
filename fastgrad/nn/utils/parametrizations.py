"""Ready-made parametrizations (torch.nn.utils.parametrizations), registered with
fastgrad.nn.utils.parametrize: orthogonal, weight_norm and spectral_norm."""
from __future__ import annotations

import numpy as np

import fastgrad
from fastgrad.autograd import no_grad
from fastgrad.nn import functional as F
from fastgrad.nn.modules.module import Module
from fastgrad.nn.utils import parametrize
from fastgrad.nn.utils.spectral_norm import (check_power_iterations, normalize_into, output_dim, random_unit_vector,
                                             weight_to_matrix)
from fastgrad.nn.utils.weight_norm import norm_except_dim, weight_norm_value
from fastgrad.tensor import Tensor


_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


def _orthonormal_columns(a: np.ndarray) -> np.ndarray:
    """The Q of a = QR with the diagonal of R made non-negative (column j times the sign of R_jj)."""
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _is_orthogonal(q: np.ndarray) -> bool:
    n, k = q.shape[-2:]
    return np.allclose(q.swapaxes(-2, -1) @ q, np.eye(k), rtol=1e-5, atol=10.0 * n * np.finfo(q.dtype).eps)


class _Orthogonal(Module):
    """A matrix (or batch) with orthonormal columns or rows, from an unconstrained original: the
    exponential or the Cayley transform of the skew-symmetric matrix built from its lower triangle,
    or the product of the Householder reflections stored below its diagonal. With trivialization the
    result is multiplied by the buffer `base`, set by right_inverse, so the original starts at -I."""

    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2:]
        transposed = n < k
        if transposed:  # work on the tall matrix
            X = X.mT
            n, k = k, n
        if self.orthogonal_map == "householder":
            reflectors = X.tril(-1)
            tau = 2.0 / (1.0 + (reflectors * reflectors).sum(dim=-2))
            # X's diagonal holds +-1, the columns' signs; no gradient reaches it
            signs = X.diagonal(dim1=-2, dim2=-1).detach().int().unsqueeze(-2)
            Q = fastgrad.linalg.householder_product(reflectors, tau) * signs
        else:
            X = X.tril()
            if n != k:  # a square matrix whose last n - k columns are zero
                X = fastgrad.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], n, n - k)], dim=-1)
            A = X - X.mT  # skew-symmetric
            if self.orthogonal_map == "matrix_exp":
                Q = fastgrad.linalg.matrix_exp(A)
            else:  # Cayley: (I - A/2)^{-1} (I + A/2)
                identity = fastgrad.eye(n, dtype=A.dtype)
                Q = fastgrad.linalg.solve(identity - 0.5 * A, identity + 0.5 * A)
            Q = Q[..., :k]
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        """An original whose forward is Q: with trivialization, -I (base becomes Q, completed to a square
        orthogonal matrix when Q is not square); without it, Q's Householder reflections (the other two
        maps cannot be inverted: NotImplementedError, which at registration keeps the original)."""
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q: Tensor) -> Tensor:
        transposed = Q.shape[-2] < Q.shape[-1]
        tall = Q._data.swapaxes(-2, -1) if transposed else Q._data
        n, k = tall.shape[-2:]
        on_diagonal = (..., np.arange(k), np.arange(k))
        if not hasattr(self, "base"):
            if self.orthogonal_map != "householder":
                raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                          "parametrizations when use_trivialization=False.")
            transposed_reflectors, tau = np.linalg.qr(tall, mode="raw")  # LAPACK's geqrf, transposed
            original = transposed_reflectors.swapaxes(-2, -1).copy()
            # the columns' signs: the diagonal's, flipped where no reflection was needed (tau = 0)
            original[on_diagonal] = np.where(tau == 0.0, -1.0, 1.0) * np.sign(original[on_diagonal])
        else:
            if n == k:
                base = tall.copy() if _is_orthogonal(tall) else _orthonormal_columns(tall)
            else:
                completion = fastgrad.randn(*tall.shape[:-2], n, n - k, dtype=Q.dtype)._data
                base = _orthonormal_columns(np.concatenate([tall, completion], axis=-1))
            self.base = Tensor._from_data(np.ascontiguousarray(base.astype(Q.dtype)))
            original = np.zeros(tall.shape, dtype=Q.dtype)
            original[on_diagonal] = -1.0
        original = original.swapaxes(-2, -1) if transposed else original
        return Tensor._from_data(np.ascontiguousarray(original.astype(Q.dtype)))


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Parametrize the matrix (or batch) `module.<name>` to have orthonormal columns (or rows, when
    wide). orthogonal_map: "matrix_exp" (the default for square matrices), "cayley" or "householder"
    (the default otherwise). The current weight is kept (made orthogonal first, by QR, if it is not);
    when it is not square, the base's completion is drawn from fastgrad's generator."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    parametrize.register_parametrization(
        module, name, _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization), unsafe=True)
    return module


class _WeightNorm(Module):
    """weight = g v / ||v||, from original0 = g and original1 = v (PyTorch's class name, so reprs match)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_norm_value(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Parametrize `module.<name>` as g v / ||v|| (the norm over every dimension but dim; dim=None: over
    the whole tensor), with g at `parametrizations.<name>.original0` and v at `...original1`. A state
    dict saved with the hook-based weight_norm (`<name>_g`, `<name>_v`) loads into it, as in PyTorch."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def rename_hook_based_keys(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                               error_msgs) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(rename_hook_based_keys)
    return module


class _SpectralNorm(Module):
    """weight / sigma, sigma the largest singular value of the weight as a matrix (rows along dim),
    estimated with the unit vectors in the buffers `_u` and `_v`; a 1-D weight is divided by its norm."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        check_power_iterations(n_power_iterations)
        self.dim = dim % ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            with no_grad():
                weight_mat = weight_to_matrix(weight, self.dim)
                height, width = weight_mat.shape
                self.register_buffer("_u", random_unit_vector(height, weight, eps))
                self.register_buffer("_v", random_unit_vector(width, weight, eps))
                self._power_method(weight_mat, 15)  # a good start, as PyTorch's

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        with no_grad():
            for _ in range(n_power_iterations):  # u first, then v
                normalize_into(self._u, weight_mat @ self._v, self.eps)
                normalize_into(self._v, weight_mat.t() @ self._u, self.eps)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = weight_to_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # copies, so that a later step's in-place update cannot touch what this backward reads
        u, v = self._u.clone(), self._v.clone()
        return weight / (u @ (weight_mat @ v))

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Parametrize `module.<name>` as weight / sigma(weight), sigma by power iteration: 15 steps at
    registration, then n_power_iterations per access in training mode, none in eval mode. u and v are
    the buffers `parametrizations.<name>.0._u` and `._v`; their random start comes from fastgrad's
    generator. dim defaults to 1 for ConvTranspose1d/2d and to 0 for other modules, as in PyTorch."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations,
                                                                     output_dim(module, dim), eps))
    return module

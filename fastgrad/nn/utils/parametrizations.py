"""Ready-made parametrizations (torch.nn.utils.parametrizations), registered with
fastgrad.nn.utils.parametrize: weight_norm and spectral_norm. (PyTorch's `orthogonal` is not provided.)"""
from __future__ import annotations

from fastgrad.autograd import no_grad
from fastgrad.nn import functional as F
from fastgrad.nn.modules.module import Module
from fastgrad.nn.utils import parametrize
from fastgrad.nn.utils.spectral_norm import (check_power_iterations, normalize_into, random_unit_vector,
                                             weight_to_matrix)
from fastgrad.nn.utils.weight_norm import norm_except_dim, weight_norm_value
from fastgrad.tensor import Tensor


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
    generator. dim defaults to 0 (fastgrad has no ConvTranspose, for which PyTorch uses 1)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations,
                                                                     0 if dim is None else dim, eps))
    return module

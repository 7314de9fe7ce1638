"""Spectral normalization (Miyato et al., 2018), w = W / sigma(W), sigma estimated by power iteration,
as PyTorch's hook-based torch.nn.utils.spectral_norm: `weight` becomes the Parameter `weight_orig`
with buffers `weight_u` and `weight_v`, and a forward pre-hook recomputes `weight` before every call
(running `n_power_iterations` steps first in training mode). The matrix view and the normalized
step are shared with parametrizations.spectral_norm."""
from __future__ import annotations

import fastgrad
from fastgrad.autograd import no_grad
from fastgrad.nn import functional as F
from fastgrad.nn.modules.conv import ConvTranspose1d, ConvTranspose2d
from fastgrad.nn.modules.module import Module
from fastgrad.nn.parameter import Parameter
from fastgrad.nn.utils.weight_norm import forward_pre_hook_of
from fastgrad.tensor import Tensor


def output_dim(module: Module, dim: int | None) -> int:
    """spectral norm's dim: as given, or the weight's output dimension: 1 for a transposed convolution's
    (in_channels, out_channels / groups, ...) weight, 0 otherwise, as PyTorch picks it."""
    if dim is not None:
        return dim
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0


def weight_to_matrix(weight: Tensor, dim: int) -> Tensor:
    """The weight as a matrix whose rows run along `dim` (the output dimension)."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.reshape(weight.shape[0], -1)


def normalize_into(target: Tensor, value: Tensor, eps: float) -> None:
    """target <- value / max(||value||, eps), in place (the buffers u and v stay the same objects)."""
    target.copy_(F.normalize(value, dim=0, eps=eps))


def random_unit_vector(size: int, like: Tensor, eps: float) -> Tensor:
    """A normal draw scaled to norm 1: the start of the power iteration."""
    return F.normalize(fastgrad.empty(size, dtype=like.dtype).normal_(0, 1), dim=0, eps=eps)


def check_power_iterations(n_power_iterations: int) -> None:
    if n_power_iterations <= 0:
        raise ValueError("Expected n_power_iterations to be positive, but "
                         f"got n_power_iterations={n_power_iterations}")


class SpectralNorm:
    """The forward pre-hook that recomputes `module.<name>` = `<name>_orig` / sigma."""

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        check_power_iterations(n_power_iterations)
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        weight_mat = weight_to_matrix(weight, self.dim)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):  # v first, then u, as this older version does
                    normalize_into(v, weight_mat.t() @ u, self.eps)
                    normalize_into(u, weight_mat @ v, self.eps)
            # copies, so the next step's in-place update cannot touch what this backward reads
            u, v = u.clone(), v.clone()
        sigma = fastgrad.dot(u, weight_mat @ v)
        return weight / sigma

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Divide Parameter `name` by its largest singular value before every forward. u and v start as
    random unit vectors (drawn from fastgrad's generator) and are refined by n_power_iterations steps per
    forward in training mode; eval mode uses them as they are. dim (the output dimension) defaults to 1
    for ConvTranspose1d/2d and to 0 for other modules, as in PyTorch."""
    if forward_pre_hook_of(module, SpectralNorm, name)[0] is not None:
        raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    hook = SpectralNorm(name, n_power_iterations, output_dim(module, dim), eps)
    weight = module._parameters[name]
    with no_grad():
        height, width = weight_to_matrix(weight, hook.dim).shape
        u, v = random_unit_vector(height, weight, eps), random_unit_vector(width, weight, eps)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Make `name` a Parameter again, holding `<name>_orig` / sigma for the current u and v."""
    key, hook = forward_pre_hook_of(module, SpectralNorm, name)
    if key is None:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    with no_grad():
        weight = hook.compute_weight(module, do_power_iteration=False)
    for suffix in ("", "_u", "_v", "_orig"):
        delattr(module, name + suffix)
    module.register_parameter(name, Parameter(weight.detach()))
    del module._hooks[key]
    return module

"""Weight normalization (Salimans & Kingma, 2016), w = g v / ||v||, as PyTorch's hook-based
torch.nn.utils.weight_norm (deprecated there in favour of parametrizations.weight_norm, which shares
the formula below): `weight` is replaced by the Parameters `weight_g` and `weight_v`, and a forward
pre-hook recomputes `weight` from them before every call."""
from __future__ import annotations

import warnings

from fastgrad.nn.modules.module import Module
from fastgrad.nn.parameter import Parameter
from fastgrad.tensor import Tensor


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The pow-norm of v over every dimension but `dim`, kept as size-1 dimensions; as PyTorch's,
    dim=-1 means the norm of the whole tensor (a 0-d result), not over the last dimension."""
    if dim == -1:
        return v.norm(pow)
    if not -v.ndim <= dim < v.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-v.ndim}, {v.ndim - 1}], "
                         f"but got {dim})")
    dim %= v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return v.norm(pow, dim=others, keepdim=True) if others else v.abs()


def weight_norm_value(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """w = v g / ||v||, the norm taken as in norm_except_dim (PyTorch's torch._weight_norm)."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes `module.<name>` from `<name>_g` and `<name>_v`."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        return weight_norm_value(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def forward_pre_hook_of(module: Module, hook_type: type, name: str):
    """The key and object of the forward pre-hook of `hook_type` for tensor `name` (None, None if absent)."""
    for key, hook in module._hooks.items():
        if isinstance(hook.function, hook_type) and hook.function.name == name:
            return key, hook.function
    return None, None


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Split Parameter `name` into a magnitude `<name>_g` (the norm over every dimension but dim; dim=None:
    of the whole tensor) and a direction `<name>_v`, recombined before each forward. Deprecated in PyTorch
    (a FutureWarning, as there): use fastgrad.nn.utils.parametrizations.weight_norm."""
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    if forward_pre_hook_of(module, WeightNorm, name)[0] is not None:
        raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    hook = WeightNorm(name, dim)
    weight = getattr(module, name)
    if name not in module._parameters:
        raise KeyError(name)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, hook.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Turn `<name>_g` and `<name>_v` back into one Parameter `name` holding the current weight."""
    key, hook = forward_pre_hook_of(module, WeightNorm, name)
    if key is None:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    weight = hook.compute_weight(module)
    delattr(module, name)
    delattr(module, name + "_g")
    delattr(module, name + "_v")
    setattr(module, name, Parameter(weight.detach()))
    del module._hooks[key]
    return module

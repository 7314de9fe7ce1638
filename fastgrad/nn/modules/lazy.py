"""Lazy modules: layers whose parameter shapes are inferred from their first input (LazyLinear's in_features),
as PyTorch's. Until then the parameters are UninitializedParameters; the first forward materializes them, the
module turns into its `cls_to_become` (LazyLinear into Linear), and the hooks that did this are removed. An
optimizer built before that keeps working: the parameters stay the same objects."""
from __future__ import annotations

import itertools

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.nn.modules.linear import Linear
from fastgrad.nn.parameter import UninitializedParameter, is_lazy
from fastgrad.tensor import Tensor


class LazyModuleMixin:
    """Put first among a lazy module's bases; the module defines `initialize_parameters(*args, **kwargs)`,
    which materializes its uninitialized tensors from the first forward's arguments. Loading a state dict
    materializes them from the saved tensors' shapes instead."""

    cls_to_become = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def has_uninitialized_params(self) -> bool:
        return any(is_lazy(tensor) for tensor in itertools.chain(self._parameters.values(), self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                        error_msgs) -> None:
        for name, tensor in itertools.chain(self._parameters.items(), self._buffers.items()):
            value = state_dict.get(prefix + name)
            if is_lazy(tensor) and value is not None and not is_lazy(value):
                tensor.materialize(np.shape(value._data if isinstance(value, Tensor) else value))

    def _infer_parameters(self, module, args, kwargs) -> None:
        with no_grad():
            self.initialize_parameters(*args, **kwargs)
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {type(self).__name__} has not been fully initialized")
        self._initialize_hook.remove()
        self._load_hook.remove()
        del self._initialize_hook, self._load_hook
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose in_features is the last dim of its first input; it then becomes a Linear."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False, device, dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        if self.in_features == 0:  # loaded from a state dict: the weight says what in_features is
            if input.shape[-1] != self.weight.shape[-1]:
                raise ValueError(f"LazyLinear: the input's last dim, {input.shape[-1]}, is not the in_features of the "
                                 f"loaded weight, {self.weight.shape[-1]}")
            self.in_features = input.shape[-1]

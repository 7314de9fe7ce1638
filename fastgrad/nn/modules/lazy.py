"""Lazy modules: layers whose parameter shapes are inferred from their first input (LazyLinear's in_features,
the convolutions' in_channels, the norms' num_features), as PyTorch's. Until then the parameters (and the norms'
running statistics) are UninitializedParameters (UninitializedBuffers); the first forward materializes them, the
module turns into its `cls_to_become` (LazyLinear into Linear), and the hooks that did this are removed. An
optimizer built before that keeps working: the parameters stay the same objects."""
from __future__ import annotations

import itertools

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.nn.modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from fastgrad.nn.modules.linear import Linear
from fastgrad.nn.modules.normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d,
                                              InstanceNorm3d, _BatchNorm)
from fastgrad.nn.parameter import Parameter, UninitializedBuffer, UninitializedParameter, is_lazy
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


class _LazyShapesMixin(LazyModuleMixin):
    """What the lazy layers share: one size, the attribute named by `inferred` (in_features, in_channels or
    num_features), is read off the first input by `_input_size(input)`; `_shapes(size)` gives the shape of
    each parameter and buffer that waits for it (by name), and reset_parameters then initialises them as the
    eager layer does. The layer is built as its eager class with that size 0, and those tensors are made
    uninitialized. Loaded from a state dict instead, the layer keeps the loaded values and its first input
    must fit their shapes."""

    inferred = ""
    inferred_from = ""  # which size of the input, for error messages

    def _input_size(self, input: Tensor) -> int:
        raise NotImplementedError

    def _shapes(self, size: int) -> dict[str, tuple[int, ...]]:
        raise NotImplementedError

    def __init__(self, *args, **kwargs) -> None:
        """The eager layer's arguments without the inferred size (LazyConv1d(out_channels, kernel_size, ...))."""
        super().__init__(0, *args, **kwargs)
        for name in self._shapes(0):  # made uninitialized, with the dtype the eager layer gave them
            tensor = getattr(self, name)
            if isinstance(tensor, Parameter):
                setattr(self, name, UninitializedParameter(dtype=tensor.dtype))
            elif tensor is not None:
                setattr(self, name, UninitializedBuffer(dtype=tensor.dtype))

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and getattr(self, self.inferred) != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        size = self._input_size(input)
        if self.has_uninitialized_params():
            setattr(self, self.inferred, size)
            for name, shape in self._shapes(size).items():
                if is_lazy(getattr(self, name)):
                    getattr(self, name).materialize(shape)
            self.reset_parameters()
        elif getattr(self, self.inferred) == 0:  # loaded from a state dict: the tensors say what the size is
            for name, shape in self._shapes(size).items():
                tensor = getattr(self, name)
                if tensor is not None and tensor.shape != shape:
                    raise ValueError(f"{type(self).__name__}: the input's {self.inferred_from}, {size}, does not fit "
                                     f"the loaded {name} of shape {tensor.shape} ({self.inferred}={size} needs "
                                     f"{shape})")
            setattr(self, self.inferred, size)


class LazyLinear(_LazyShapesMixin, Linear):
    """A Linear whose in_features is the last dim of its first input; it then becomes a Linear."""

    cls_to_become = Linear
    inferred, inferred_from = "in_features", "last dim"

    def _input_size(self, input: Tensor) -> int:
        return input.shape[-1]

    def _shapes(self, size: int) -> dict[str, tuple[int, ...]]:
        return {"weight": (self.out_features, size), "bias": (self.out_features,)}


class _LazyConvMixin(_LazyShapesMixin):
    """Lazy convolutions: in_channels is the channel dim of the first input, batched or not."""

    inferred, inferred_from = "in_channels", "channel dim"

    def _input_size(self, input: Tensor) -> int:
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"{type(self).__name__}: expected {self.dims + 1}D (unbatched) or {self.dims + 2}D "
                             f"(batched) input, got input of shape {input.shape}")
        channels = input.shape[input.ndim - self.dims - 1]
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__}: in_channels ({channels}, the input's channel dim) must be "
                             f"divisible by groups ({self.groups})")
        return channels

    def _shapes(self, size: int) -> dict[str, tuple[int, ...]]:
        out = self.out_channels
        channels = (size, out // self.groups) if self.transposed else (out, size // self.groups)
        return {"weight": channels + self.kernel_size, "bias": (out,)}


class LazyConv1d(_LazyConvMixin, Conv1d):
    """A Conv1d whose in_channels is its first input's channel dim; it then becomes a Conv1d."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvMixin, Conv2d):
    """A Conv2d whose in_channels is its first input's channel dim; it then becomes a Conv2d."""

    cls_to_become = Conv2d


class LazyConvTranspose1d(_LazyConvMixin, ConvTranspose1d):
    """A ConvTranspose1d whose in_channels is its first input's channel dim; it then becomes a ConvTranspose1d."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """A ConvTranspose2d whose in_channels is its first input's channel dim; it then becomes a ConvTranspose2d."""

    cls_to_become = ConvTranspose2d


class _LazyNormMixin(_LazyShapesMixin):
    """Lazy batch and instance norms, with PyTorch's lazy defaults (affine and running statistics for the
    instance norms too): num_features is dim 1 of the first input, which must be batched. (PyTorch reads dim 1
    of an unbatched instance norm input too, and then fails or mistakes a spatial size for the channels.)"""

    inferred, inferred_from = "num_features", "dim 1"
    smallest_num_features = 0

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _input_size(self, input: Tensor) -> int:
        batched = self.input_dims if isinstance(self, _BatchNorm) else (self.spatial_dims + 2,)
        if input.ndim not in batched:
            raise ValueError(f"{type(self).__name__}: expected {' or '.join(f'{d}D' for d in batched)} (batched) input "
                             f"for its first call, which sets num_features, got input of shape {input.shape}")
        return input.shape[1]

    def _shapes(self, size: int) -> dict[str, tuple[int, ...]]:
        return dict.fromkeys(("weight", "bias", "running_mean", "running_var"), (size,))


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """A BatchNorm1d whose num_features is dim 1 of its first input; it then becomes a BatchNorm1d."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """A BatchNorm2d whose num_features is dim 1 of its first input; it then becomes a BatchNorm2d."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    """A BatchNorm3d whose num_features is dim 1 of its first input; it then becomes a BatchNorm3d."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormMixin, InstanceNorm1d):
    """An InstanceNorm1d whose num_features is dim 1 of its first (batched) input; it then becomes an
    InstanceNorm1d."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormMixin, InstanceNorm2d):
    """An InstanceNorm2d whose num_features is dim 1 of its first (batched) input; it then becomes an
    InstanceNorm2d."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormMixin, InstanceNorm3d):
    """An InstanceNorm3d whose num_features is dim 1 of its first (batched) input; it then becomes an
    InstanceNorm3d."""

    cls_to_become = InstanceNorm3d

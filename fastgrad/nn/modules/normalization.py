"""LayerNorm: normalization over the trailing dims of each example (Ba et al., 2016); RMSNorm: its scaling
alone (Zhang and Sennrich, 2019); GroupNorm: over groups of channels of each example (Wu and He, 2018);
BatchNorm1d/2d/3d: per channel over the batch (Ioffe and Szegedy, 2015); InstanceNorm1d/2d/3d: per channel
of each example (Ulyanov et al., 2016)."""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from fastgrad.dtypes import dtype_or_default
from fastgrad.nn import functional as F
from fastgrad.nn import init
from fastgrad.nn.modules.module import Module
from fastgrad.nn.parameter import Parameter
from fastgrad.autograd.grad_mode import no_grad
from fastgrad.tensor import Tensor, check_device


def _shape(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else normalized_shape
    return tuple(int(n) for n in shape)


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the trailing dims `normalized_shape`; weight
    starts at 1 and bias at 0 (both absent without elementwise_affine, bias absent with bias=False)."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        check_device("LayerNorm", device)
        self.normalized_shape = _shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = dtype_or_default(dtype)
        self.register_parameter("weight", Parameter(np.empty(self.normalized_shape, dtype=dtype))
                                if elementwise_affine else None)
        self.register_parameter("bias", Parameter(np.empty(self.normalized_shape, dtype=dtype))
                                if elementwise_affine and bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """y = x / sqrt(mean(x^2) + eps) * weight over the trailing dims `normalized_shape`; weight starts at 1
    (absent without elementwise_affine). eps None is the input dtype's machine epsilon, as in PyTorch."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float | None = None,
                 elementwise_affine: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        check_device("RMSNorm", device)
        self.normalized_shape = _shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = dtype_or_default(dtype)
        self.register_parameter("weight", Parameter(np.ones(self.normalized_shape, dtype=dtype))
                                if elementwise_affine else None)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Normalization of each example's groups of channels (see F.group_norm), in training and evaluation
    alike; per-channel weight (1) and bias (0) unless not `affine` (no bias with bias=False)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        check_device("GroupNorm", device)
        for name, value in (("num_groups", num_groups), ("num_channels", num_channels)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"GroupNorm: {name} must be a positive int, got {value!r}")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = int(num_groups), int(num_channels), eps, affine
        dtype = dtype_or_default(dtype)
        self.register_parameter("weight", Parameter(np.ones(num_channels, dtype=dtype)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(num_channels, dtype=dtype)) if affine and bias else None)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _NormBase(Module):
    """What the batch and instance norms share: per-channel weight (1) and bias (0) unless not `affine` (no
    bias with bias=False); buffers running_mean (0), running_var (1) and num_batches_tracked with
    `track_running_stats`."""

    smallest_num_features = 1  # 0 for the lazy norms, whose first input gives it

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        check_device(type(self).__name__, device)
        if (isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer))
                or num_features < self.smallest_num_features):
            raise ValueError(f"{type(self).__name__}: num_features must be a positive int, got {num_features!r}")
        if momentum is not None and (isinstance(momentum, bool) or not 0 <= momentum <= 1):
            raise ValueError(f"{type(self).__name__}: momentum must be None or a number in [0, 1], got {momentum!r}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = dtype_or_default(dtype)
        self.register_parameter("weight", Parameter(np.ones(num_features, dtype=dtype)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(num_features, dtype=dtype)) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._from_data(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor._from_data(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor._from_data(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """What BatchNorm1d/2d/3d share (Ioffe and Szegedy, 2015): training normalizes with the batch's
    statistics and updates the running ones by `momentum` (None: a cumulative average over the batches
    seen); evaluation uses the running ones."""

    input_dims: tuple[int, ...] = ()  # the input ranks the subclass accepts

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self.input_dims:
            raise ValueError(f"{type(self).__name__}: expected {' or '.join(f'{d}D' for d in self.input_dims)} input "
                             f"(got {input.ndim}D input of shape {input.shape})")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.item())
        # (without track_running_stats the running statistics are None, and the batch's always normalize)
        return F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats, momentum, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs over N (and L)."""

    input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs over N, H and W."""

    input_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) inputs over N, D, H and W."""

    input_dims = (5,)


class _InstanceNorm(_NormBase):
    """What InstanceNorm1d/2d/3d share (see F.instance_norm), with PyTorch's defaults: no affine and no
    running statistics. In training, or without running statistics, each example's own statistics
    normalize, and the running ones (if tracked) move by `momentum`; momentum None leaves them as they
    are (PyTorch passes 0, with no cumulative average). Evaluation uses the running ones. An unbatched
    input (one dim fewer) is normalized as a batch of one."""

    spatial_dims = 0

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        name, unbatched_dims = type(self).__name__, self.spatial_dims + 1
        if input.ndim not in (unbatched_dims, unbatched_dims + 1):
            raise ValueError(f"{name}: expected {unbatched_dims}D or {unbatched_dims + 1}D input (got {input.ndim}D "
                             f"input of shape {input.shape})")
        feature_dim = input.ndim - unbatched_dims
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"{name}: expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(f"{name}: input's size at dim={feature_dim} does not match num_features. You can silence "
                          "this warning by not passing in num_features, which is not used because affine=False",
                          stacklevel=2)
        batched = input if feature_dim else input.unsqueeze(0)
        out = F.instance_norm(batched, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out if feature_dim else out.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or unbatched (C, L) inputs over L."""

    spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or unbatched (C, H, W) inputs over H and W."""

    spatial_dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or unbatched (C, D, H, W) inputs over D, H and W."""

    spatial_dims = 3


def _reset_affine(module: Module) -> None:
    """A normalization's elementwise affine back to the identity: weight 1, bias 0 (where they exist)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if getattr(module, "bias", None) is not None:
        init.zeros_(module.bias)


class LocalResponseNorm(Module):
    """F.local_response_norm as a layer (no parameters)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"

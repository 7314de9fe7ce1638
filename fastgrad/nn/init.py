"""Weight initialisation, in place, from fastgrad's seeded generator (`fastgrad.manual_seed` makes it
reproducible) or the `generator=` given. Names and formulas follow `torch.nn.init`; like PyTorch's, the
functions run under no_grad, so they work on parameters that require grad."""
from __future__ import annotations

import math
import warnings

import numpy as np

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.random import Generator, rng_of
from fastgrad.tensor import Tensor

_LINEAR_LIKE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float | int:
    """The factor that keeps activations' variance steady through a layer followed by `nonlinearity`
    (tanh: 5/3, relu: sqrt(2), leaky_relu with slope a: sqrt(2 / (1 + a^2)), selu: 3/4)."""
    if nonlinearity in _LINEAR_LIKE:
        return 1  # (an int, as PyTorch's: printed as 1, not 1.0)
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is not None and (isinstance(param, bool) or not isinstance(param, (int, float))):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
                     f"{', '.join(_LINEAR_LIKE + ('tanh', 'relu', 'leaky_relu', 'selu'))}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """For a weight (out, in, *kernel): fan_in = in * prod(kernel), fan_out = out * prod(kernel)."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dims, got shape {tensor.shape}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None) -> Tensor:
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None) -> Tensor:
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)), so that
    Var = gain^2 * 2 / (fan_in + fan_out)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _warned_empty(tensor: Tensor) -> bool:
    """A tensor without elements (e.g. the weight of Linear(0, n)) has no fan to scale by: PyTorch warns
    and leaves it alone."""
    if tensor.numel():
        return False
    warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
    return True


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Generator | None = None) -> Tensor:
    """He et al. (2015): U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a)."""
    if _warned_empty(tensor):
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Generator | None = None) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan)."""
    if _warned_empty(tensor):
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)), generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Saxe et al. (2014): a (semi-)orthogonal matrix times gain (the dims after the first flattened into
    columns), as PyTorch makes it: Q of the QR decomposition of a standard normal draw, with the signs of
    R's diagonal, so that the result is uniform over orthogonal matrices. Often used for recurrent weights."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, got shape {tensor.shape}")
    tensor._check_floating_fill("orthogonal_")  # as PyTorch's, whose normal draw refuses integer tensors
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    flat = rng_of(generator).standard_normal((rows, tensor.numel() // rows))
    wide = flat.shape[0] < flat.shape[1]
    q, r = np.linalg.qr(flat.T if wide else flat)
    q = q * np.sign(np.diag(r))
    with no_grad():
        return tensor.copy_(Tensor._from_data((q.T if wide else q).reshape(tensor.shape) * gain))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Generator | None = None) -> Tensor:
    """N(mean, std^2) restricted to [a, b] (absolute bounds, as PyTorch's), drawn by redrawing the values
    that fall outside."""
    if not a < b:
        raise ValueError(f"trunc_normal_: a must be less than b, got a={a}, b={b}")
    if std == 0:  # PyTorch's formula divides by std
        raise ZeroDivisionError("trunc_normal_: std must not be 0 (PyTorch's standardised bounds divide by it)")
    std = abs(std)  # N(mean, std^2) is the same distribution either way: PyTorch draws from it for std < 0 too
    if not (mean - 12 * std < b and a < mean + 12 * std):
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] lies too far from N({mean}, {std}^2) to draw from")
    tensor._check_floating_fill("trunc_normal_")
    rng = rng_of(generator)
    values = rng.normal(mean, std, tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = rng.normal(mean, std, int(outside.sum()))
        outside = (values < a) | (values > b)
    with no_grad():
        return tensor.copy_(Tensor._from_data(values))


def eye_(tensor: Tensor) -> Tensor:
    """The identity matrix (ones on the diagonal of a 2-D tensor, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tensor.shape}")
    with no_grad():
        return tensor.copy_(Tensor._from_data(np.eye(*tensor.shape)))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The Dirac delta of a convolution weight (out, in, *kernel) with 1 to 3 kernel dims: zeros, with a 1 at
    the kernel's centre where out channel g * out/groups + d meets in channel d (d < min(out/groups, in)), so
    that a convolution with `groups` groups passes as many input channels through as it can."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, got shape {tensor.shape}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"dirac_: groups must be a positive int, got {groups!r}")
    if tensor.shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 must be divisible by groups, got {tensor.shape[0]} channels and "
                         f"{groups} groups")
    out_per_group = tensor.shape[0] // groups
    passed = np.arange(min(out_per_group, tensor.shape[1]))
    centre = tuple(size // 2 for size in tensor.shape[2:])
    delta = np.zeros(tensor.shape)
    for group in range(groups):
        delta[(group * out_per_group + passed, passed) + centre] = 1
    with no_grad():
        return tensor.copy_(Tensor._from_data(delta))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None) -> Tensor:
    """Martens (2010): N(0, std^2) draws in a 2-D tensor, with ceil(sparsity * rows) of each column's entries,
    at rows drawn at random, set to zero. The rows are drawn from `generator` too (PyTorch's from its global
    generator whatever `generator` is)."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: only tensors with 2 dimensions are supported, got shape {tensor.shape}")
    if isinstance(sparsity, bool) or not isinstance(sparsity, (int, float, np.integer, np.floating)) \
            or not sparsity >= 0:
        # PyTorch's takes a negative sparsity as a count from the end and zeros all but a few rows
        raise ValueError(f"sparse_: sparsity must be a fraction >= 0, got {sparsity!r}")
    rows, columns = tensor.shape
    zeros_per_column = math.ceil(min(sparsity, 1) * rows)
    normal_(tensor, 0.0, std, generator)
    if not tensor.numel():
        return tensor
    rng = rng_of(generator)
    zeroed = np.argsort(rng.random((rows, columns)), axis=0)[:zeros_per_column]
    values = tensor._data.copy()
    values[zeroed, np.arange(columns)] = 0
    with no_grad():
        return tensor.copy_(Tensor._from_data(values))


def _deprecated(initialiser):
    """The old name of an initialiser (without the trailing underscore), kept by PyTorch with a FutureWarning."""
    old, new = initialiser.__name__[:-1], initialiser.__name__

    def deprecated(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new}`.", FutureWarning, stacklevel=2)
        return initialiser(*args, **kwargs)

    deprecated.__name__ = deprecated.__qualname__ = old
    deprecated.__doc__ = f"{old}(...): deprecated, as in PyTorch; use nn.init.{new}."
    return deprecated


uniform, normal, constant = _deprecated(uniform_), _deprecated(normal_), _deprecated(constant_)
eye, dirac, sparse, orthogonal = _deprecated(eye_), _deprecated(dirac_), _deprecated(sparse_), _deprecated(orthogonal_)
xavier_uniform, xavier_normal = _deprecated(xavier_uniform_), _deprecated(xavier_normal_)
kaiming_uniform, kaiming_normal = _deprecated(kaiming_uniform_), _deprecated(kaiming_normal_)

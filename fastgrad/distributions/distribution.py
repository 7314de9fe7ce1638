"""What the distributions share: batch and event shapes, sample shapes, argument validation."""
from __future__ import annotations

import numpy as np

from fastgrad.creation import as_tensor
from fastgrad.dtypes import default_float
from fastgrad.tensor import Size, Tensor

# As PyTorch: parameters and sampled values are checked unless validate_args=False.
VALIDATE_BY_DEFAULT = True


def as_parameter(value, name: str, like: Tensor | None = None) -> Tensor:
    """A parameter as a floating tensor: a Python number takes the dtype of the distribution's tensor
    parameter `like` (the default dtype without one), as PyTorch's broadcast_all does."""
    dtype = like.dtype if isinstance(like, Tensor) and like.dtype.kind == "f" else default_float
    tensor = value if isinstance(value, Tensor) else as_tensor(np.asarray(value, dtype=dtype))
    if tensor.dtype.kind != "f":
        raise TypeError(f"{name} must be a floating point tensor, got dtype {tensor.dtype}")
    return tensor


class Distribution:
    """batch_shape: the shape of independent distributions; event_shape: the shape of one draw of one of them."""

    def __init__(self, batch_shape: tuple = (), event_shape: tuple = (), validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        self._validate_args = VALIDATE_BY_DEFAULT if validate_args is None else bool(validate_args)

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        if isinstance(sample_shape, (int, np.integer)):
            raise TypeError(f"sample_shape must be a tuple or torch.Size, got {sample_shape!r} (write ({sample_shape},))")
        return tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape)

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))


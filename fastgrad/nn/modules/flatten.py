"""Flatten (merge a range of dims into one) and Unflatten (split one dim into several), as layers."""
from __future__ import annotations

import math
from typing import Sequence

from fastgrad.nn.modules.module import Module
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.arguments import normalize_dims


class Flatten(Module):
    """Merge dims start_dim..end_dim; the default keeps the batch dim: (N, C, L) -> (N, C L)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim `dim` into `unflattened_size` (one entry may be -1, inferred)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(n, int) and not isinstance(n, bool) for n in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple or list of ints, got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        (axis,) = normalize_dims(self.dim, input.ndim)
        sizes, length = tuple(self.unflattened_size), input.shape[axis]
        known = math.prod(n for n in sizes if n != -1)
        inferred = sizes.count(-1)
        if inferred > 1 or (length != known if not inferred else (known == 0 or length % known)):
            raise ValueError(f"Unflatten: sizes {sizes} don't multiply up to the size {length} of dim {self.dim} of "
                             f"the input of shape {input.shape}")
        return input.reshape(input.shape[:axis] + sizes + input.shape[axis + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"

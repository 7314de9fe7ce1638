"""Random fills and sampling as Tensor methods (no gradient; `generator=None` draws from fastgrad's
global generator)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fastgrad import ops
from fastgrad.autograd import graph
from fastgrad.random import GENERATOR, draw_bernoulli, draw_multinomial, rng_of

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor


class SamplingMethods:
    __slots__ = ()  # Tensor keeps no __dict__

    # Through autograd's in-place path, as PyTorch's fills: refused on a leaf that requires grad while
    # grad mode is on, recorded on a non-leaf (whose old values then get a zero gradient), and the
    # version counter bumped, so a graph that saved the old values refuses to backward.
    def _fill(self, name: str, draw) -> "Tensor":
        """Overwrite every element with `draw(shape)`."""
        return graph.apply_inplace(ops.RandomFill, name, self, draw=draw)

    def _check_floating_fill(self, name: str) -> None:
        """PyTorch has no uniform or normal kernel for integer and bool tensors (a cast would truncate
        the draws: uniform_(0, 1) would give zeros)."""
        if self._data.dtype.kind != "f":
            raise NotImplementedError(f"{name}: expected a floating point tensor, got dtype {self.dtype}")

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        self._check_floating_fill("uniform_")
        return self._fill("uniform_", lambda shape: GENERATOR.rng.uniform(a, b, shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        self._check_floating_fill("normal_")
        return self._fill("normal_", lambda shape: GENERATOR.rng.normal(mean, std, shape))

    def bernoulli_(self, p: "float | Tensor" = 0.5, *, generator=None) -> "Tensor":
        """Fill with 1 with probability p (a number, or a tensor broadcast to this shape), else 0."""
        if isinstance(p, graph.Tensor):
            if p._data.dtype.kind != "f":
                raise NotImplementedError(f"bernoulli_: p must be a floating point tensor, got dtype {p.dtype}")
            probs = p._data
        elif isinstance(p, (int, float, np.number)) and not isinstance(p, bool):
            probs = np.asarray(p, dtype=np.float64)
        else:
            raise TypeError(f"bernoulli_: p must be a number or a Tensor, got {type(p).__name__}")
        try:
            np.broadcast_to(probs, self.shape)
        except ValueError:
            raise ValueError(f"bernoulli_: p of shape {probs.shape} cannot be broadcast to {self.shape}") from None
        rng = rng_of(generator)
        return self._fill("bernoulli_", lambda shape: draw_bernoulli(rng, probs, shape))

    def bernoulli(self, p: float | None = None, *, generator=None) -> "Tensor":
        """0/1 draws of this dtype: 1 with the probability each element holds, or with p everywhere."""
        if p is not None:
            return self.new_zeros(self.shape).bernoulli_(p, generator=generator)
        if self._data.dtype.kind != "f":
            raise NotImplementedError(f"bernoulli: probabilities must be a floating point tensor, got dtype "
                                      f"{self.dtype}")
        draws = draw_bernoulli(rng_of(generator), self._data, self.shape)
        return graph.Tensor._wrap(draws.astype(self.dtype), False, None)

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None) -> "Tensor":
        """int64 category ids drawn from each row of these 1-D or 2-D non-negative weights."""
        ids = draw_multinomial(rng_of(generator), self._data, num_samples, replacement)
        return graph.Tensor._wrap(ids, False, None)

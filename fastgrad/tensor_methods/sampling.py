"""Random fills and sampling as Tensor methods (no gradient; `generator=None` draws from fastgrad's
global generator)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fastgrad import ops
from fastgrad.autograd import graph
from fastgrad.random import check_probabilities, draw_bernoulli, draw_multinomial, rng_of
from fastgrad.tensor_methods.arguments import real_arg

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

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> "Tensor":
        """Draws from U[a, b); a == b fills with a. As PyTorch, a and b must lie within the dtype's range,
        and so must b - a."""
        self._check_floating_fill("uniform_")
        low, high = real_arg(a, "uniform_: a"), real_arg(b, "uniform_: b")
        largest = float(np.finfo(self._data.dtype).max)
        for arg, value in (("a", low), ("b", high)):
            if not abs(value) <= largest:  # NaN fails too
                raise ValueError(f"uniform_: {arg} must be finite and at most {largest:g} in magnitude for dtype "
                                 f"{self.dtype}, got {value}")
        if low > high:
            raise ValueError(f"uniform_: the range [a, b) needs a <= b, got a={low}, b={high}")
        if high - low > largest:
            raise ValueError(f"uniform_: b - a must be at most {largest:g}, the largest {self.dtype}, got a={low}, "
                             f"b={high}")
        rng = rng_of(generator)
        return self._fill("uniform_", lambda shape: rng.uniform(low, high, shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> "Tensor":
        """Draws from N(mean, std^2); std=0 fills with mean."""
        self._check_floating_fill("normal_")
        mean, std = real_arg(mean, "normal_: mean"), real_arg(std, "normal_: std")
        if not std >= 0:  # NaN fails too
            raise ValueError(f"normal_: std must be non-negative, got {std}")
        rng = rng_of(generator)
        return self._fill("normal_", lambda shape: rng.normal(mean, std, shape))

    def bernoulli_(self, p: "float | Tensor" = 0.5, *, generator=None) -> "Tensor":
        """Fill with 1 with probability p (a number, or a tensor broadcast to this shape), else 0."""
        if isinstance(p, graph.Tensor):
            if p._data.dtype.kind != "f":
                raise NotImplementedError(f"bernoulli_: p must be a floating point tensor, got dtype {p.dtype}")
            probs = p._data
            try:
                np.broadcast_to(probs, self.shape)
            except ValueError:
                raise ValueError(f"bernoulli_: p of shape {probs.shape} cannot be broadcast to {self.shape}") from None
        else:
            probs = np.float64(real_arg(p, "bernoulli_: p"))
        check_probabilities(probs, "bernoulli_: p")
        rng = rng_of(generator)
        return self._fill("bernoulli_", lambda shape: draw_bernoulli(rng, probs, shape))

    def bernoulli(self, p: float | None = None, *, generator=None) -> "Tensor":
        """0/1 draws of this dtype: 1 with the probability each element holds, or with p everywhere."""
        if p is not None:
            return self.new_zeros(self.shape).bernoulli_(p, generator=generator)
        if self._data.dtype.kind != "f":
            raise NotImplementedError(f"bernoulli: probabilities must be a floating point tensor, got dtype "
                                      f"{self.dtype}")
        check_probabilities(self._data, "bernoulli: probabilities")
        draws = draw_bernoulli(rng_of(generator), self._data, self.shape)
        return graph.Tensor._wrap(draws.astype(self.dtype), False, None)

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None) -> "Tensor":
        """int64 category ids drawn from each row of these 1-D or 2-D non-negative weights."""
        ids = draw_multinomial(rng_of(generator), self._data, num_samples, replacement)
        return graph.Tensor._wrap(ids, False, None)

"""Random fills and sampling as Tensor methods (no gradient; `generator=None` draws from fastgrad's
global generator)."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from fastgrad import ops
from fastgrad.autograd import graph
from fastgrad.random import check_probabilities, draw_bernoulli, draw_geometric, draw_multinomial, rng_of
from fastgrad.tensor_methods.arguments import expanded_shape, int_arg, real_arg

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor

_UNSET = object()  # random_'s `to` not given (None means "up to the dtype's largest")


def _integer_range(dtype: np.dtype) -> tuple[int, int]:
    """The lowest and highest integers random_ takes as bounds for a dtype: its own range for bool and
    integer dtypes; for a floating one, 0 and 2^digits (random_()'s range, up to which every integer is
    exact; bounds of larger magnitude are taken with PyTorch's warning)."""
    if dtype.kind == "b":
        return 0, 1
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return int(info.min), int(info.max)
    return 0, 2 ** (np.finfo(dtype).nmant + 1)


def _positive_arg(value, name: str) -> float:
    """A real number > 0 (NaN refused), else ValueError naming it."""
    number = real_arg(value, name)
    if not number > 0:
        raise ValueError(f"{name} must be positive, got {number}")
    return number


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
            expanded_shape("bernoulli_: p", probs.shape, self.shape)
        else:
            probs = np.float64(real_arg(p, "bernoulli_: p"))
        check_probabilities(probs, "bernoulli_: p")
        rng = rng_of(generator)
        return self._fill("bernoulli_", lambda shape: draw_bernoulli(rng, probs, shape))

    def random_(self, *bounds, to=_UNSET, generator=None) -> "Tensor":
        """Whole numbers drawn uniformly from [from, to): random_(from, to), random_(to) (from 0), random_(from,
        None) (up to the dtype's largest, included) or random_() (from 0 up to the largest: for a floating
        dtype 2^digits, 2^24 for float32 and 2^53 for float64, above which not every integer is exact)."""
        if len(bounds) > 2 or (len(bounds) == 2 and to is not _UNSET):
            raise TypeError(f"random_: expected random_(), random_(to) or random_(from, to), got {len(bounds)} "
                            f"positional bounds{' and to=' if to is not _UNSET else ''}")
        if to is not _UNSET:
            bounds = bounds + (to,)
        if not bounds:
            bounds = (0, None)
        elif len(bounds) == 1:  # random_(to): None is no bound here, only as random_(from, None)
            bounds = (0, int_arg(bounds[0], "random_: to"))
        low = int_arg(bounds[0], "random_: from")
        high = None if bounds[1] is None else int_arg(bounds[1], "random_: to")
        for name, bound in (("from", low), ("to", high)):
            if bound is not None and not -2 ** 63 <= bound < 2 ** 63:
                raise ValueError(f"random_: {name} must fit in int64, got {bound}")
        dtype = self._data.dtype
        exact_low, exact_high = _integer_range(dtype)
        if high is None:
            if low > exact_high:
                raise ValueError(f"random_: from must be at most {exact_high}, the largest value random_ draws for "
                                 f"dtype {self.dtype}, got from={low}")
            high = exact_high + 1
        elif low >= high:
            raise ValueError(f"random_: expected from < to, got from={low}, to={high}")
        if dtype.kind == "f":  # int64 bounds are all within float32's range: only exactness is at stake
            digits = exact_high.bit_length() - 1
            for name, bound in (("from", low), ("to - 1", high - 1)):
                if abs(bound) > exact_high:  # PyTorch's warning: draws out there are rounded to the dtype
                    warnings.warn(f"random_: {name} = {bound} is outside [-(2^{digits}), 2^{digits}], where dtype "
                                  f"{self.dtype} holds every integer; draws there are rounded", UserWarning,
                                  stacklevel=2)
        else:
            for name, bound in (("from", low), ("to - 1", high - 1)):
                if not exact_low <= bound <= exact_high:
                    raise ValueError(f"random_: {name} must be in [{exact_low}, {exact_high}] for dtype {self.dtype}, "
                                     f"got {bound}")
        rng = rng_of(generator)
        return self._fill("random_", lambda shape: rng.integers(low, high - 1, shape, dtype=np.int64, endpoint=True))

    def exponential_(self, lambd: float = 1.0, *, generator=None) -> "Tensor":
        """Draws from the exponential distribution of rate lambd > 0 (mean 1 / lambd)."""
        self._check_floating_fill("exponential_")
        rate = _positive_arg(lambd, "exponential_: lambd")
        rng = rng_of(generator)
        return self._fill("exponential_", lambda shape: rng.standard_exponential(shape) / rate)

    def geometric_(self, p: float, *, generator=None) -> "Tensor":
        """The number of Bernoulli(p) trials up to and including the first success (1, 2, ...), p in (0, 1).
        An integer tensor too small for a draw raises rather than wrapping around as PyTorch's does."""
        if self._data.dtype.kind == "b":
            raise NotImplementedError("geometric_: expected a floating point or integer tensor, got dtype bool")
        probability = real_arg(p, "geometric_: p")
        if not 0 < probability < 1:
            raise ValueError(f"geometric_: p must be in (0, 1), got {probability}")
        rng = rng_of(generator)
        dtype = self._data.dtype

        def draw(shape):
            trials = draw_geometric(rng, probability, shape)
            if dtype.kind in "iu" and trials.size and trials.max() > np.iinfo(dtype).max:
                raise OverflowError(f"geometric_: a draw of {trials.max():.0f} trials does not fit dtype {self.dtype} "
                                    f"(largest {np.iinfo(dtype).max}); use a wider dtype for p={probability}")
            return trials

        return self._fill("geometric_", draw)

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> "Tensor":
        """Draws from the Cauchy distribution: median + sigma * tan(pi (u - 1/2)), sigma > 0."""
        self._check_floating_fill("cauchy_")
        location, scale = real_arg(median, "cauchy_: median"), _positive_arg(sigma, "cauchy_: sigma")
        rng = rng_of(generator)
        return self._fill("cauchy_", lambda shape: location + scale * rng.standard_cauchy(shape))

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None) -> "Tensor":
        """exp of draws from N(mean, std^2), std > 0 (mean and std are the log's, as PyTorch's)."""
        self._check_floating_fill("log_normal_")
        location, scale = real_arg(mean, "log_normal_: mean"), _positive_arg(std, "log_normal_: std")
        rng = rng_of(generator)
        return self._fill("log_normal_", lambda shape: np.exp(rng.normal(location, scale, shape)))

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

"""Samplers with torch.utils.data's names: iterables of data-set indices (or, BatchSampler, of lists
of indices). The random ones draw from a `generator=` or, without one, from a stream seeded afresh from
fastgrad's global generator at each pass, as PyTorch does: `manual_seed` makes the epochs' orders
reproducible, each epoch's differs. The orders are not PyTorch's (another generator)."""
from __future__ import annotations

from typing import Iterable, Iterator, Sequence

import numpy as np

from fastgrad.random import Generator, draw_multinomial, next_seed, rng_of
from fastgrad.tensor import Tensor
from fastgrad.utils.data.checks import boolean, positive_int


class Sampler:
    """Base class: `__iter__` yields indices; `__len__` (optional) says how many."""

    def __init__(self, data_source=None) -> None:  # PyTorch's deprecated argument, accepted and unused
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError("Subclasses of Sampler should implement __iter__.")


def _stream(generator: Generator | None) -> np.random.Generator:
    """The generator's stream, or a new one seeded from the global generator (one per pass)."""
    return np.random.default_rng(next_seed()) if generator is None else rng_of(generator)


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices: a permutation per len(data_source) indices drawn (so every index
    once per pass when num_samples is the default), or, with `replacement`, independent draws."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator: Generator | None = None) -> None:
        self.data_source, self.generator = data_source, generator
        self.replacement = boolean(replacement, "replacement", TypeError)
        self._num_samples = num_samples
        positive_int(self.num_samples, "num_samples")
        rng_of(generator)  # checks the generator's type now rather than at the first pass

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        size, wanted, rng = len(self.data_source), self.num_samples, _stream(self.generator)
        if self.replacement:
            return iter(rng.integers(0, size, wanted).tolist())
        passes = [rng.permutation(size) for _ in range(-(-wanted // size))] if size else []
        return iter(np.concatenate(passes)[:wanted].tolist() if passes else [])

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices, self.generator = indices, generator
        rng_of(generator)

    def __iter__(self) -> Iterator:
        return iter([self.indices[i] for i in _stream(self.generator).permutation(len(self.indices)).tolist()])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probabilities proportional to `weights` (non-negative, not all zero;
    checked at each pass, by the draw, as in PyTorch)."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator: Generator | None = None) -> None:
        self.num_samples = positive_int(num_samples, "num_samples")
        self.replacement = boolean(replacement, "replacement")
        values = weights._data if isinstance(weights, Tensor) else weights
        try:
            self.weights = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"WeightedRandomSampler: weights must be a 1-d sequence of numbers, got {weights!r:.100}") \
                from error
        if self.weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {self.weights.shape}")
        self.generator = generator
        rng_of(generator)

    def __iter__(self) -> Iterator[int]:
        rng = _stream(self.generator)
        return iter(draw_multinomial(rng, self.weights, self.num_samples, self.replacement).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of `batch_size` indices from `sampler`; the last is shorter unless `drop_last` drops it."""

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool) -> None:
        self.sampler = sampler
        self.batch_size = positive_int(batch_size, "batch_size")
        self.drop_last = boolean(drop_last, "drop_last")

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        count = len(self.sampler)
        return count // self.batch_size if self.drop_last else -(-count // self.batch_size)

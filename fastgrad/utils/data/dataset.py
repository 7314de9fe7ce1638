"""Data sets with torch.utils.data's names: anything with `__getitem__` and `__len__` (map-style), or
`__iter__` (IterableDataset), and the combinators over them."""
from __future__ import annotations

import bisect
import itertools
import math
import numbers
import warnings
from typing import Iterable, Sequence

from fastgrad.random import Generator, rng_of
from fastgrad.tensor import Tensor


class Dataset:
    """A map-style data set: `dataset[i]` for i in range(len(dataset)). `a + b` concatenates."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A data set read as a stream (`__iter__`); the DataLoader batches it in the order it yields."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: "IterableDataset") -> "ChainDataset":
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Example i is (t[i] for t in tensors): tensors that share their first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        for position, tensor in enumerate(tensors):
            if not isinstance(tensor, Tensor):
                raise TypeError(f"TensorDataset: tensors[{position}] must be a Tensor, got {type(tensor).__name__}")
        sizes = [tensor.shape[0] if tensor.ndim else None for tensor in tensors]
        if tensors and (None in sizes or len(set(sizes)) > 1):
            raise ValueError(f"TensorDataset: Size mismatch between tensors: their first dimensions are {sizes} "
                             "(expected one common size; a 0-d tensor has none)")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        if not self.tensors:  # (PyTorch's reads the first tensor's size, an IndexError with none)
            raise IndexError("TensorDataset: no tensors were given, so it has no length")
        return self.tensors[0].shape[0]


class ConcatDataset(Dataset):
    """The map-style data sets one after another."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for position, dataset in enumerate(self.datasets):
            if isinstance(dataset, IterableDataset):
                raise TypeError(f"ConcatDataset does not support IterableDataset (datasets[{position}]); "
                                "use ChainDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            if -index > len(self):
                raise ValueError(f"ConcatDataset: absolute value of index should not exceed dataset length "
                                 f"{len(self)}, got {index}")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {len(self)}")
        return self.datasets[which][index - (self.cumulative_sizes[which - 1] if which else 0)]


class ChainDataset(IterableDataset):
    """The iterable data sets one after another."""

    def __init__(self, datasets: Iterable[IterableDataset]) -> None:
        self.datasets = list(datasets)
        for position, dataset in enumerate(self.datasets):
            if not isinstance(dataset, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset; datasets[{position}] is a "
                                f"{type(dataset).__name__}")

    def __iter__(self):
        for dataset in self.datasets:
            yield from dataset

    def __len__(self) -> int:
        return sum(len(dataset) for dataset in self.datasets)


class Subset(Dataset):
    """The examples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index):
        # a list of positions indexes the data set once with the list of their indices, as PyTorch's (a
        # TensorDataset gives its tensors' rows there: one tuple of batched tensors, not a list of examples)
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, positions: list) -> list:
        """The examples at `positions`, through the data set's own `__getitems__` when it has one."""
        return items_at(self.dataset, [self.indices[i] for i in positions])

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(lengths: Sequence, total: int) -> list[int]:
    """Counts per split: `lengths` as they are, or fractions summing to 1 turned into counts (each
    floor(fraction * total), the remainder given out one by one from the first split on)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for position, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction at index {position} is not between 0 and 1, got {fraction}")
        counts = [math.floor(total * fraction) for fraction in lengths]
        for position in range(total - sum(counts)):
            counts[position % len(counts)] += 1
        for position, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {position} is 0. This might result in an empty dataset.",
                              UserWarning, stacklevel=3)
        return counts
    for position, count in enumerate(lengths):
        # (any integer, as PyTorch takes: NumPy's and bools too; a negative count PyTorch would slice from the end)
        if not isinstance(count, numbers.Integral) or count < 0:
            raise ValueError(f"random_split: lengths[{position}] must be a non-negative int (or all lengths "
                             f"fractions that sum to 1), got {count!r}")
    if sum(lengths) != total:
        raise ValueError(f"random_split: Sum of input lengths does not equal the length of the input dataset! "
                         f"({sum(lengths)} against {total})")
    return [int(count) for count in lengths]


def random_split(dataset: Dataset, lengths: Sequence, generator: Generator | None = None) -> list[Subset]:
    """Non-overlapping random subsets of the given lengths (or fractions summing to 1), drawn from
    `generator` (fastgrad's global generator by default)."""
    counts = _split_lengths(lengths, len(dataset))
    order = rng_of(generator).permutation(len(dataset)).tolist()
    return [Subset(dataset, order[end - count:end]) for end, count in zip(itertools.accumulate(counts), counts)]


def items_at(dataset: Dataset, indices: list) -> list:
    """The examples of a map-style `dataset` at `indices`, through its `__getitems__` when it has one (as
    PyTorch fetches a batch)."""
    many = getattr(dataset, "__getitems__", None)
    return many(indices) if callable(many) else [dataset[index] for index in indices]


class StackDataset(Dataset):
    """Data sets of one length side by side: example i is the tuple of their examples i (data sets given
    positionally) or the dict of them under the keywords they were given by."""

    datasets: tuple | dict

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("StackDataset: give the datasets either positionally (tuple examples) or by keyword "
                             "(dict examples), but both were given")
        if not args and not kwargs:
            raise ValueError("StackDataset: At least one dataset should be passed")
        self.datasets = args or kwargs
        for key, dataset in self._named().items():
            if not hasattr(dataset, "__len__"):
                raise TypeError(f"StackDataset: dataset {key!r} must have a length (a map-style data set), got "
                                f"{type(dataset).__name__}")
        lengths = [len(dataset) for dataset in self._named().values()]
        if any(length != lengths[0] for length in lengths):
            raise ValueError(f"StackDataset: Size mismatch between datasets: their lengths are {lengths}")
        self._length = lengths[0]

    def _named(self) -> dict:
        return self.datasets if isinstance(self.datasets, dict) else dict(enumerate(self.datasets))

    def _assemble(self, parts: dict):
        return parts if isinstance(self.datasets, dict) else tuple(parts.values())

    def __getitem__(self, index):
        return self._assemble({key: dataset[index] for key, dataset in self._named().items()})

    def __getitems__(self, indices: list) -> list:
        columns = {}
        for key, dataset in self._named().items():
            columns[key] = items_at(dataset, indices)
            if len(columns[key]) != len(indices):
                raise ValueError(f"StackDataset: Nested dataset's output size mismatch: dataset {key!r} gave "
                                 f"{len(columns[key])} examples for {len(indices)} indices")
        return [self._assemble({key: column[position] for key, column in columns.items()})
                for position in range(len(indices))]

    def __len__(self) -> int:
        return self._length

"""DataLoader: batches from a data set, with torch.utils.data.DataLoader's arguments and checks.

Loading runs in the calling process. `num_workers > 0` is accepted (with a warning) and loads there
too, so batches come in the order and with the contents PyTorch's workers give, only not in parallel
(worker_init_fn is not called, and `get_worker_info()` is None, as in PyTorch's main process).
`pin_memory` changes nothing on the CPU."""
from __future__ import annotations

import warnings
from typing import Callable, Iterator

from fastgrad.random import Generator
from fastgrad.utils.data.collate import default_collate, default_convert
from fastgrad.utils.data.dataset import Dataset, IterableDataset, items_at
from fastgrad.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

# What PyTorch refuses to change once the loader is built (the batching is fixed then).
_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def get_worker_info():
    """None: there are no worker processes (PyTorch returns None in the main process too)."""
    return None


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context) -> None:
    if isinstance(num_workers, bool) or not isinstance(num_workers, int):
        raise TypeError(f"DataLoader: num_workers must be an int, got {type(num_workers).__name__}")
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
    if timeout < 0:
        raise ValueError(f"timeout option should be non-negative, got {timeout}")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing. let num_workers > 0 to "
                         "enable multiprocessing, otherwise set prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None and num_workers == 0:
        raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                         f"but got num_workers={num_workers}")
    if num_workers > 0:
        warnings.warn(f"DataLoader: num_workers={num_workers}: fastgrad loads every batch in the main process (the "
                      "same batches, not in parallel; worker_init_fn is not called)", UserWarning, stacklevel=3)


class DataLoader:
    """Iterates over `dataset` in batches of `batch_size` examples put together by `collate_fn`.

    Map-style data sets are read in the order of `sampler` (sequential, or random with `shuffle`,
    drawn from `generator`), grouped by `batch_sampler` (by default `batch_size` indices, the last
    batch shorter unless `drop_last`); `batch_size=None` gives the examples one by one, converted by
    `default_convert`. Iterable data sets are read in their own order and grouped the same way."""

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn: Callable | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context)
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, but got "
                                     f"{name}={value}")
        elif sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                                 "drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None and not iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif batch_size is not None and iterable:
            BatchSampler([], batch_size, drop_last)  # checks batch_size and drop_last as for map-style data sets
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.prefetch_factor, self.persistent_workers = num_workers, prefetch_factor, persistent_workers
        self.pin_memory, self.pin_memory_device, self.timeout = pin_memory, pin_memory_device, timeout
        self.worker_init_fn, self.multiprocessing_context, self.in_order = worker_init_fn, multiprocessing_context, in_order
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if self._auto_collation else default_convert)
        self._initialized = True

    def __setattr__(self, name: str, value) -> None:
        if getattr(self, "_initialized", False) and name in _FIXED_AFTER_INIT:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        """Whether examples are grouped into batches (False with batch_size=None and no batch_sampler)."""
        return self.batch_sampler is not None or self.batch_size is not None

    def __iter__(self) -> Iterator:
        if isinstance(self.dataset, IterableDataset):
            return self._iterable_batches()
        if not self._auto_collation:
            return (self.collate_fn(self.dataset[index]) for index in self.sampler)
        return (self.collate_fn(items_at(self.dataset, list(indices))) for indices in self.batch_sampler)

    def _iterable_batches(self) -> Iterator:
        if self.batch_size is None:
            yield from (self.collate_fn(example) for example in self.dataset)
            return
        batch = []
        for example in self.dataset:
            batch.append(example)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            count = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return count
            return count // self.batch_size if self.drop_last else -(-count // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)

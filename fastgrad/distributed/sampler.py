"""DistributedSampler: each rank's share of a data set's indices, reshuffled every epoch (PyTorch's name
and arithmetic). Rank r takes every N-th index of the epoch's order starting at r, so the first B/N
indices of the N ranks together are the first B of the order a single process would see."""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from fastgrad.distributed import comm


def _check_count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"DistributedSampler: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class DistributedSampler:
    """Indices of `dataset` (anything with a length) for one rank.

    Without `drop_last` the order is padded by repeating its start so that every rank gets
    ceil(len / num_replicas) indices; with it the tail that does not divide evenly is dropped. With
    `shuffle` the order is a permutation drawn from `seed + epoch` (NumPy's PCG64, so the order
    differs from PyTorch's; call `set_epoch` at the start of each epoch)."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False):
        if num_replicas is None:
            num_replicas = comm.get_world_size()
        if rank is None:
            rank = comm.get_rank()
        self.num_replicas = _check_count(num_replicas, "num_replicas", 1)
        rank = _check_count(rank, "rank", 0)
        if rank >= num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):  # int(1.5) would quietly be 1
            raise TypeError(f"DistributedSampler: seed must be an int, got {type(seed).__name__} {seed!r}")
        self.rank, self.shuffle, self.seed, self.drop_last = rank, shuffle, int(seed), drop_last
        self.dataset_size = len(dataset)
        self.epoch = 0
        if drop_last:
            self.num_samples = self.dataset_size // num_replicas
        else:
            self.num_samples = math.ceil(self.dataset_size / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch: int) -> None:
        self.epoch = _check_count(epoch, "epoch", 0)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def indices(self) -> np.ndarray:
        """This rank's indices for the current epoch, as an int64 array."""
        if self.shuffle:
            # (modulo 2**64: a negative seed is valid, as in PyTorch; NumPy takes only non-negative ones)
            order = np.random.default_rng((self.seed + self.epoch) % 2**64).permutation(self.dataset_size)
        else:
            order = np.arange(self.dataset_size)
        if self.total_size > order.size:  # pad by repeating the start (as often as needed)
            order = np.resize(order, self.total_size)
        return order[self.rank:self.total_size:self.num_replicas].astype(np.int64, copy=False)

    def __len__(self) -> int:
        return self.num_samples

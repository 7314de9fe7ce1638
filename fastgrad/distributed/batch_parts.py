"""Splitting one global batch across the ranks so that the averaged gradient is the batch's own.

DistributedDataParallel averages the ranks' gradients. When each rank's loss is the mean over its own
part, that average weighs every part equally, which is the batch's mean only when the parts hold
equally many units (examples, or tokens for a loss averaged over tokens). So each rank weighs its mean
loss by count * N / total. A rank left without items (a batch smaller than the world) must still take
part in the gradient exchange: it trains a stand-in item with weight 0.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np


class BatchPart(NamedTuple):
    """One rank's part of a global batch: the `items` (indices) to train on, the `weight` of their mean
    loss, and the units the loss averages over here (`count`) and in the whole batch (`total`)."""

    items: np.ndarray
    weight: float
    count: int
    total: int


def batch_part(batch: np.ndarray, rank: int, size: int, units: Callable[[np.ndarray], int] = len) -> BatchPart:
    """Rank `rank`'s contiguous part of `batch` (the same global batch on every rank) out of `size` parts;
    `units(part)` counts what the loss averages over."""
    if size == 1:
        count = units(batch)
        return BatchPart(batch, 1.0, count, count)
    parts = np.array_split(batch, size)
    counts = [units(part) if len(part) else 0 for part in parts]
    total = sum(counts)
    if counts[rank] == 0:
        return BatchPart(batch[:1], 0.0, 0, total)
    return BatchPart(parts[rank], counts[rank] * size / total, counts[rank], total)

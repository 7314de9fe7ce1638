"""Data-parallel training over MPI: the few calls the training functions make so that `fastgrad train
nbow|ner|rnnlm|word2vec` under `mpiexec -n N` splits each global batch (or, for word2vec, the corpus)
across the ranks. Until `join` is called (the `fastgrad` command calls it when it runs under mpiexec,
see fastgrad/cli/distributed_hooks.py) the world is one process: each function returns its input
unchanged and mpi4py is never imported.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from fastgrad.distributed.batch_parts import BatchPart, batch_part


class _Run:
    group = None  # the process group, when launched on more than one rank
    seed = 0


_RUN = _Run()


def join(group, seed: int) -> None:
    """Train data-parallel over `group` (a fastgrad.distributed process group) from now on; `seed` is the
    run's seed, from which each rank draws its own dropout masks."""
    _RUN.group, _RUN.seed = group, seed


def shard() -> tuple[int, int]:
    """(rank, world size)."""
    return (0, 1) if _RUN.group is None else (_RUN.group.rank, _RUN.group.size)


def parallel(model):
    """The module to train with: `model` wrapped in DistributedDataParallel on several ranks. Each rank
    then draws its own dropout masks (the weights all come from rank 0)."""
    if _RUN.group is None:
        return model
    import fastgrad
    from fastgrad.distributed import DistributedDataParallel

    wrapped = DistributedDataParallel(model)
    fastgrad.manual_seed(int(np.random.SeedSequence([_RUN.seed, _RUN.group.rank]).generate_state(1)[0]))
    return wrapped


def part_of(batch: np.ndarray, units: Callable[[np.ndarray], int] = len) -> BatchPart:
    """This rank's part of a global batch (every rank sees the same batches) and the weight of its mean
    loss (`fastgrad.distributed.batch_parts`); `units(part)` counts what the loss averages over."""
    rank, size = shard()
    return batch_part(batch, rank, size, units)


def sum_over_ranks(*numbers: float) -> tuple[float, ...]:
    """The numbers summed over all ranks (a collective)."""
    if _RUN.group is None:
        return numbers
    return tuple(_RUN.group.allreduce_(np.array(numbers, dtype=np.float64)).tolist())


def count_all_ranks(progress, local: int, total: int):
    """A progress bar updated with this rank's counts, out of its `local` units, but showing all ranks'
    `total` (they advance in step): scaled by total / local, not by the world size, since shards hold
    slightly different numbers of words, so that the epoch ends on exactly `total`."""
    if _RUN.group is None:
        return progress
    update, done = progress.update, 0

    def scaled(n: int = 1, **fields: Any) -> None:
        nonlocal done
        shown = done * total // local
        done += n
        update(done * total // local - shown, **fields)

    progress.update = scaled
    return progress


def read_word2vec_corpus(path: Path, min_count: int) -> Any:
    """The corpus (this rank's byte-range shard of it, with the vocabulary of the whole file)."""
    if _RUN.group is None:
        from fastgrad.models.word2vec import read_corpus

        return read_corpus(path, min_count=min_count)
    from fastgrad.distributed.word2vec import read_corpus_shard

    return read_corpus_shard(path, min_count=min_count)


def train_word2vec(model, corpus, sync_words: int, progress, first_epoch: int, stop_epoch: int) -> Any:
    """model.train over epochs first_epoch .. stop_epoch - 1, or data-parallel training that averages the
    matrices every `sync_words` words; the statistics are summed over the ranks."""
    if _RUN.group is None:
        return model.train(corpus, progress=progress, first_epoch=first_epoch, stop_epoch=stop_epoch)
    from fastgrad.distributed.word2vec import train_data_parallel

    return train_data_parallel(model, corpus, sync_words, progress, first_epoch=first_epoch, stop_epoch=stop_epoch)

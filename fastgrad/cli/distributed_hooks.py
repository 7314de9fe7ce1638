"""`fastgrad train ...` under `mpiexec -n N`: data-parallel training with the global `--batch-size` split
across the ranks. The training commands call these few functions; without mpiexec (a world of one)
each returns its input unchanged and mpi4py is never imported.

Rank 0 alone prints and writes: the other ranks' output goes to /dev/null (an uncaught exception still
reaches the terminal, see fastgrad.distributed.comm) and their `--out` and `--plot` point into a
scratch copy that is deleted at exit, so every rank runs the same code, collectives included.
"""
from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

# The `train` models that know how to split their batches; the others refuse to run on several ranks.
DATA_PARALLEL_MODELS = ("nbow", "ner", "rnnlm", "word2vec")
_WORLD_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")


class _Run:
    group = None  # the process group, when launched on more than one rank
    seed = 0


_RUN = _Run()


def start(args: argparse.Namespace, argv: Sequence[str]) -> None:
    """Join the MPI job if there is one (before anything else runs) and say so on the first line.
    `argv`: the command line that gave `args` (the top-level parser has no options, so it starts with the
    command and, for `train`, the model)."""
    if not any(int(os.environ.get(name, "1") or 1) > 1 for name in _WORLD_SIZE_VARIABLES):
        return
    from fastgrad import distributed

    group = distributed.init()
    words = list(argv[:2])
    command = "fastgrad " + " ".join(words)
    if words[0] != "train" or words[1] not in DATA_PARALLEL_MODELS:
        raise SystemExit(f"{command} does not run data-parallel; under mpiexec only `fastgrad train "
                         f"{'|'.join(DATA_PARALLEL_MODELS)}` do (got {group.size} processes): run it without mpiexec")
    batch = getattr(args, "batch_size", None)
    if batch is not None and batch % group.size:
        raise SystemExit(f"--batch-size {batch} is the global batch and must divide evenly across the {group.size} "
                         "ranks of this mpiexec job")
    _RUN.group, _RUN.seed = group, args.seed
    if group.rank == 0:
        split = f", global batch {batch} = {group.size} x {batch // group.size} per rank" if batch else \
            ", the corpus split into one byte range per rank"
        print(f"data parallel over MPI: {group.size} ranks{split}", flush=True)
    else:
        _silence_and_use_scratch(args, group.rank)


def _silence_and_use_scratch(args: argparse.Namespace, rank: int) -> None:
    sys.stdout = sys.stderr = open(os.devnull, "w")
    scratch = Path(tempfile.mkdtemp(prefix=f"fastgrad-rank{rank}-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    if getattr(args, "out", None) is not None:
        if args.out.is_dir():  # --resume reads what rank 0's earlier run wrote
            shutil.copytree(args.out, scratch / "out")
        args.out = scratch / "out"
    if getattr(args, "plot", None) is not None:
        args.plot = scratch / "plot.png"


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


def share(batch: np.ndarray) -> np.ndarray:
    """This rank's contiguous part of a global batch of indices (every rank sees the same batches). A
    last batch smaller than the world size would leave a rank without examples: it is dropped."""
    if _RUN.group is None:
        return batch
    if len(batch) < _RUN.group.size:
        return batch[:0]
    return np.array_split(batch, _RUN.group.size)[_RUN.group.rank]


def sum_over_ranks(*numbers: float) -> tuple[float, ...]:
    """The numbers summed over all ranks (a collective)."""
    if _RUN.group is None:
        return numbers
    return tuple(_RUN.group.allreduce_(np.array(numbers, dtype=np.float64)).tolist())


def count_all_ranks(progress):
    """A progress bar updated with this rank's counts but showing all ranks' (they advance in step)."""
    if _RUN.group is None:
        return progress
    update, size = progress.update, _RUN.group.size
    progress.update = lambda n=1, **fields: update(n * size, **fields)
    return progress


def read_word2vec_corpus(path: Path, min_count: int) -> Any:
    """The corpus (this rank's byte-range shard of it, with the vocabulary of the whole file)."""
    if _RUN.group is None:
        from fastgrad.models.word2vec import read_corpus

        return read_corpus(path, min_count=min_count)
    from fastgrad.distributed.word2vec import read_corpus_shard

    return read_corpus_shard(path, min_count=min_count)


def train_word2vec(model, corpus, sync_words: int, progress, epoch_end) -> Any:
    """model.train, or data-parallel training that averages the matrices every `sync_words` words;
    the statistics are summed over the ranks."""
    if _RUN.group is None:
        return model.train(corpus, progress=progress, epoch_end=epoch_end)
    from fastgrad.distributed.word2vec import train_data_parallel

    return train_data_parallel(model, corpus, sync_words, progress, epoch_end)

"""`fastgrad train ...` under `mpiexec -n N`: data-parallel training with the global `--batch-size` split
across the ranks (the training functions' side is `fastgrad.train.data_parallel`). Without mpiexec (a
world of one) `start` does nothing and mpi4py is never imported.

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

from fastgrad.train import data_parallel
from fastgrad.train.errors import ConfigError

# The `train` models that know how to split their batches; the others refuse to run on several ranks.
DATA_PARALLEL_MODELS = ("fflm", "nbow", "ner", "rnnlm", "word2vec")
_WORLD_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")


def start(args: argparse.Namespace) -> None:
    """Join the MPI job if there is one (before anything else runs) and say so on the first line."""
    if not any(int(os.environ.get(name, "1") or 1) > 1 for name in _WORLD_SIZE_VARIABLES):
        return
    from fastgrad import distributed

    group = distributed.init()
    model = getattr(args, "train_model", None)
    if args.command != "train" or model not in DATA_PARALLEL_MODELS:
        command = f"fastgrad {args.command}" + (f" {model}" if model else "")
        raise ConfigError(f"{command} does not run data-parallel; under mpiexec only `fastgrad train "
                          f"{'|'.join(DATA_PARALLEL_MODELS)}` do (got {group.size} processes): run it without mpiexec")
    batch = getattr(args, "batch_size", None)
    if batch is not None and batch % group.size:
        raise ConfigError(f"--batch-size {batch} is the global batch and must divide evenly across the {group.size} "
                          "ranks of this mpiexec job")
    data_parallel.join(group, args.seed)
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
        if args.out.is_dir():  # --resume reads what rank 0's earlier run wrote; `current` stays a link
            shutil.copytree(args.out, scratch / "out", symlinks=True)
        args.out = scratch / "out"
    if getattr(args, "plot", None) is not None:
        args.plot = scratch / "plot.png"

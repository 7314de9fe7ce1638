"""Rank-0-only side effects: in a data-parallel run every rank holds the same model, so one rank (the
main process, rank 0) prints, logs metrics, writes checkpoints and plots; in a world of one that is
the only process."""
from __future__ import annotations

import os
from typing import Any

from fastgrad.distributed import comm


def is_main_process() -> bool:
    """True on rank 0, and in a process that never called `init`."""
    return not comm.is_initialized() or comm.get_rank() == 0


def print_on_main(*args: Any, **kwargs: Any) -> None:
    """print() on rank 0 only."""
    if is_main_process():
        print(*args, **kwargs)


def save_on_main(obj: Any, path: str | os.PathLike) -> None:
    """fastgrad.save on rank 0, then a barrier, so every rank may read the file once this returns."""
    from fastgrad.serialization import save

    if is_main_process():
        save(obj, path)
    if comm.is_initialized():
        comm.group().barrier()

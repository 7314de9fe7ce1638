"""The process group: who this process is among the ranks, and collectives on NumPy arrays over MPI.

A run started without `mpiexec` (or with one process) is a world of one: every collective returns its
input and mpi4py is never imported. Under `mpiexec -n N` the world is MPI's COMM_WORLD.

Every collective is started non-blocking and its request is polled against a deadline (`timeout`,
default 300 s or $FASTGRAD_DIST_TIMEOUT): a rank that died, hangs or skipped a collective makes the
others raise `CollectiveTimeout` naming the collective instead of waiting forever, and `init` makes any
uncaught exception abort the whole MPI job (as `python -m mpi4py` does), so one failing rank stops all.
"""
from __future__ import annotations

import datetime
import os
import shutil
import sys
import time
from pathlib import Path

from fastgrad.distributed.availability import int_from_environment
from fastgrad.distributed.process_group import ProcessGroup

DEFAULT_TIMEOUT_SECONDS = 300.0
# Variables the MPI launchers set for each process they start: MPICH's Hydra (PMI_*), Open MPI.
_WORLD_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")


_GROUP: ProcessGroup | None = None
ABORT_GRACE_SECONDS = 0.5  # time for the launcher to pass a failing rank's report on before the abort


def find_mpiexec() -> str | None:
    """The mpiexec that launches jobs of this Python: the one beside it (the mpich wheel installs it
    there), else the first on PATH; None when there is none."""
    beside_python = Path(sys.executable).with_name("mpiexec")
    return str(beside_python) if beside_python.exists() else shutil.which("mpiexec")


def _world_size_from_environment() -> int:
    size = int_from_environment(_WORLD_SIZE_VARIABLES, "the number of MPI processes")
    return 1 if size is None else size


def _timeout_from(timeout: float | None) -> float:
    if timeout is None:
        text = os.environ.get("FASTGRAD_DIST_TIMEOUT")
        if text is None:
            return DEFAULT_TIMEOUT_SECONDS
        try:
            timeout = float(text)
        except ValueError:
            raise ValueError(f"$FASTGRAD_DIST_TIMEOUT should be a number of seconds, got {text!r}") from None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


def init(timeout: float | None = None) -> ProcessGroup:
    """Join the job that `mpiexec` started (or make a world of one without it); returns the group.

    `timeout` (seconds) bounds every collective. Calling it again returns the existing group."""
    global _GROUP
    if _GROUP is not None:
        return _GROUP
    seconds = _timeout_from(timeout)
    size = _world_size_from_environment()
    if size <= 1:
        _GROUP = ProcessGroup(0, 1, seconds)
        return _GROUP
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise RuntimeError(f"this process was started by mpiexec with {size} processes, but mpi4py cannot be "
                           f"imported ({error}); install it with pip install 'fastgrad[mpi]'") from None
    comm = MPI.COMM_WORLD
    if comm.Get_size() != size:
        raise RuntimeError(f"the launcher says {size} processes but MPI's COMM_WORLD has {comm.Get_size()}: "
                           "mpi4py is linked to another MPI than the mpiexec that started this job")
    _GROUP = ProcessGroup(comm.Get_rank(), size, seconds, comm, MPI)
    _abort_job_on_uncaught_exception(_GROUP)
    return _GROUP


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """PyTorch's entry point, for scripts written for torch.distributed: the job is always the one
    `mpiexec` started (run the script under `mpiexec -n N`), over MPI. The CPU backends' names ("gloo",
    "mpi", or None) are accepted; rank and world size, if given, must be MPI's; `timeout` (seconds or a
    timedelta) bounds every collective. A rendezvous of its own (`init_method` other than "env://", a
    `store`) is refused: fastgrad does not carry its own transport."""
    if backend is not None and str(backend).lower() not in ("gloo", "mpi", "cpu:gloo"):
        raise ValueError(f"init_process_group: backend must be 'gloo' or 'mpi' (fastgrad runs its collectives on the "
                         f"CPU over MPI), got {backend!r}")
    if (init_method not in (None, "env://")) or store is not None:
        raise NotImplementedError("init_process_group: fastgrad joins the job that mpiexec started; init_method "
                                  f"{init_method!r} and store= are not supported (run the script under mpiexec -n N)")
    if device_id is not None:
        raise ValueError(f"init_process_group: device_id must be None (CPU only), got {device_id!r}")
    if _GROUP is not None:
        raise ValueError("trying to initialize the default process group twice!")
    seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else timeout
    joined = init(seconds)
    for name, given, actual in (("world_size", world_size, joined.size), ("rank", rank, joined.rank)):
        if given != -1 and given != actual:
            destroy_process_group()
            raise ValueError(f"init_process_group: {name}={given}, but mpiexec started this process with {name} "
                             f"{actual}")


def get_backend(group=None) -> str:
    """The collectives' transport: always MPI."""
    return "mpi"


def _abort_job_on_uncaught_exception(group: ProcessGroup) -> None:
    """Without this, a rank that raises leaves the others blocked in their next collective until the
    timeout, or in MPI_Finalize forever."""
    previous = sys.excepthook

    def report_and_abort(kind, value, traceback) -> None:
        sys.stderr = sys.__stderr__  # a rank whose output was silenced still reports its failure
        previous(kind, value, traceback)
        sys.stderr.write(f"fastgrad.distributed: rank {group.rank} of {group.size} failed; aborting the MPI job\n")
        sys.stderr.flush()
        # mpiexec forwards each rank's output asynchronously, and the abort tears the job down: without a
        # pause the report could be cut short on a busy machine (seen once: the traceback without its error)
        time.sleep(ABORT_GRACE_SECONDS)
        group.abort(1)

    sys.excepthook = report_and_abort


def is_initialized() -> bool:
    return _GROUP is not None


def group() -> ProcessGroup:
    """The group `init` made; raises when `init` was not called."""
    if _GROUP is None:
        raise RuntimeError("fastgrad.distributed is not initialized: call fastgrad.distributed.init() first")
    return _GROUP


def get_rank() -> int:
    return group().rank


def get_world_size() -> int:
    return group().size


def destroy_process_group() -> None:
    """Forget the group (MPI itself is finalized when the process exits)."""
    global _GROUP
    _GROUP = None

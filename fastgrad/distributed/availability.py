"""What this installation can do, with PyTorch's names (`torch.distributed.is_available` and so on)."""
from __future__ import annotations

import importlib.util
import os

# Where launchers put a process's rank among the processes of its machine: PyTorch's torchrun, MPICH's
# Hydra, Open MPI.
_LOCAL_RANK_VARIABLES = ("LOCAL_RANK", "MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK")


def int_from_environment(names: tuple[str, ...], meaning: str) -> int | None:
    """The first of the environment variables `names` that is set, as an int (RuntimeError if it is not one
    saying what it should be); None when none is set."""
    for name in names:
        value = os.environ.get(name)
        if value is not None:
            try:
                return int(value)
            except ValueError:
                raise RuntimeError(f"${name} should be {meaning}, got {value!r}") from None
    return None


def is_available() -> bool:
    """True: fastgrad.distributed imports without MPI, and a process not started by mpiexec runs every
    collective as a world of one. Several processes need mpi4py (see `is_mpi_available`)."""
    return True


def is_mpi_available() -> bool:
    """Whether mpi4py is installed (`pip install 'fastgrad[mpi]'`), which a job of several processes
    needs; it is looked up, not imported."""
    return importlib.util.find_spec("mpi4py") is not None


def is_gloo_available() -> bool:
    """False: fastgrad's collectives run over MPI; init_process_group("gloo") is accepted as a name only."""
    return False


def is_nccl_available() -> bool:
    """False: fastgrad runs on the CPU."""
    return False


def get_node_local_rank(fallback_rank: int | None = None) -> int:
    """This process's rank among the processes of its machine, from the launcher's environment
    ($LOCAL_RANK, or what mpiexec sets); else `fallback_rank`; else RuntimeError (as PyTorch's)."""
    rank = int_from_environment(_LOCAL_RANK_VARIABLES, "this process's local rank")
    if rank is not None:
        return rank
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("get_node_local_rank: none of $" + ", $".join(_LOCAL_RANK_VARIABLES) + " is set (this process "
                       "was not started by a launcher); pass fallback_rank to run without one")

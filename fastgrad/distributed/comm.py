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
import enum
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

DEFAULT_TIMEOUT_SECONDS = 300.0
# A collective that finishes within this is polled without sleeping: a nap costs ~60 us or more,
# longer than a small message takes between ranks of one machine.
_SPIN_SECONDS = 0.002
# Variables the MPI launchers set for each process they start: MPICH's Hydra (PMI_*), Open MPI.
_WORLD_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")


class CollectiveTimeout(RuntimeError):
    """A collective did not complete in time: another rank died, hangs, or called a different collective."""


class ReduceOp(enum.Enum):
    """How the reducing collectives combine the ranks' values (PyTorch's names; the bitwise ones take
    integer and bool tensors)."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    AVG = "avg"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


class ProcessGroup:
    """This process's rank and the world size, the MPI communicator (None in a world of one) and the
    collective timeout. Collectives take and fill NumPy arrays; every rank must call the same
    collectives in the same order."""

    def __init__(self, rank: int, size: int, timeout: float, comm=None, mpi=None):
        self.rank, self.size, self.timeout, self.comm, self._mpi = rank, size, timeout, comm, mpi

    # -- waiting ----------------------------------------------------------------------------------
    def wait(self, requests: list, what: str, statuses: list | None = None, timeout: float | None = None) -> None:
        """Poll `requests` until all complete (filling `statuses`, if given); past the deadline (the group's
        timeout, or `timeout`) raise CollectiveTimeout."""
        limit = self.timeout if timeout is None else timeout
        start = time.monotonic()
        deadline = start + limit
        pause = 0.0
        while not self._mpi.Request.Testall(requests, statuses):
            now = time.monotonic()
            if now > deadline:
                raise CollectiveTimeout(
                    f"{what} did not complete within {limit:g} s on rank {self.rank} of {self.size}: another "
                    "rank died, hangs, or called a different collective (every rank must call the same collectives "
                    "in the same order); set the limit with fastgrad.distributed.init(timeout=...) or "
                    "$FASTGRAD_DIST_TIMEOUT")
            if now - start > _SPIN_SECONDS:  # then short naps: a long busy wait would take a core from other work
                time.sleep(pause)
                pause = min(2 * pause or 1e-5, 1e-3)

    def progress(self, requests: list) -> bool:
        """Let MPI move started collectives along (MPICH progresses them only inside MPI calls);
        True when all are complete."""
        return bool(self._mpi.Request.Testall(requests))

    # -- collectives --------------------------------------------------------------------------------
    def _reduction(self, array: np.ndarray, op: ReduceOp) -> tuple[np.ndarray, object]:
        """The buffer and MPI operation that combine `array` by `op`. MPI has no arithmetic on bools, so they
        travel as bytes of 0 and 1, where PyTorch's SUM (a logical or) is MAX and its PRODUCT (and) is MIN."""
        if array.dtype == np.bool_:
            name = {ReduceOp.SUM: "MAX", ReduceOp.PRODUCT: "MIN"}.get(op, op.name)
            return array.view(np.uint8), getattr(self._mpi, name)
        name = {ReduceOp.AVG: "SUM", ReduceOp.PRODUCT: "PROD"}.get(op, op.name)
        return array, getattr(self._mpi, name)

    def start_allreduce(self, array: np.ndarray, op: ReduceOp = ReduceOp.SUM):
        """Begin combining `array` (contiguous) in place across ranks; returns the request to wait on."""
        buffer, mpi_op = self._reduction(array, op)
        return self.comm.Iallreduce(self._mpi.IN_PLACE, buffer, op=mpi_op)

    def allreduce_(self, array: np.ndarray, op: ReduceOp = ReduceOp.SUM) -> np.ndarray:
        """Combine a contiguous array in place across ranks (AVG: the sum divided by the world size)."""
        if self.size > 1:
            self.wait([self.start_allreduce(array, op)], f"all_reduce({op.name}) of {array.nbytes} bytes")
        if op is ReduceOp.AVG:
            array /= self.size
        return array

    def broadcast_(self, array: np.ndarray, src: int) -> np.ndarray:
        """Overwrite a contiguous array on every rank with rank `src`'s."""
        if self.size > 1:
            self.wait([self.comm.Ibcast(array, root=src)], f"broadcast of {array.nbytes} bytes from rank {src}")
        return array

    def allgather_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every rank's `rows` (any number of rows each, same trailing shape and dtype) concatenated in
        rank order, and how many rows each rank sent."""
        rows = np.ascontiguousarray(rows)
        row_counts = self.allgather_count(rows.shape[0])
        if self.size == 1:
            return rows, row_counts
        return self.finish_allgather_rows(*self.start_allgather_rows(rows, row_counts)), row_counts

    def allgather_count(self, count: int) -> np.ndarray:
        """Every rank's `count`, in rank order (int64)."""
        counts = np.full(self.size, count, dtype=np.int64)
        if self.size > 1:
            self.wait([self.comm.Iallgather(np.array([count], dtype=np.int64), counts)], "allgather of counts")
        return counts

    def start_allgather_rows(self, rows: np.ndarray, row_counts: np.ndarray) -> tuple[list, np.ndarray]:
        """Begin gathering contiguous `rows` from every rank, given every rank's row count; returns
        (requests, output)."""
        row_size = int(np.prod(rows.shape[1:], dtype=np.int64))
        counts = row_counts * row_size
        gathered = np.empty((int(row_counts.sum()),) + rows.shape[1:], dtype=rows.dtype)
        request = self.comm.Iallgatherv(rows.reshape(-1), [gathered.reshape(-1), (counts, _offsets(counts))])
        return [request], gathered

    def finish_allgather_rows(self, requests: list, gathered: np.ndarray) -> np.ndarray:
        self.wait(requests, f"allgather of {gathered.nbytes} bytes")
        return gathered

    def barrier(self, timeout: float | None = None) -> None:
        if self.size > 1:
            self.wait([self.comm.Ibarrier()], "barrier", timeout=timeout)

    def agree(self, numbers: np.ndarray) -> np.ndarray:
        """Every rank's int64 vector `numbers` (the same length everywhere), one row per rank: what a
        collective compares before it moves data, so that ranks that disagree all raise instead of
        exchanging mismatched buffers."""
        rows = np.empty((self.size, numbers.size), dtype=np.int64)
        if self.size == 1:
            rows[0] = numbers
        else:
            self.wait([self.comm.Iallgather(np.ascontiguousarray(numbers, dtype=np.int64), rows)], "allgather of sizes")
        return rows

    def reduce_(self, array: np.ndarray, op: ReduceOp, root: int) -> np.ndarray:
        """Combine a contiguous array across ranks into rank `root`'s (the others' are left as they were)."""
        if self.size > 1:
            buffer, mpi_op = self._reduction(array, op)
            own = self._mpi.IN_PLACE if self.rank == root else buffer
            request = self.comm.Ireduce(own, buffer if self.rank == root else None, op=mpi_op, root=root)
            self.wait([request], f"reduce({op.name}) of {array.nbytes} bytes to rank {root}")
        if op is ReduceOp.AVG and self.rank == root:
            array /= self.size
        return array

    # Collectives that only move data send bytes: MPI then needs no datatype for any dtype (bool, float16).
    def allgather_(self, part: np.ndarray, gathered: np.ndarray) -> np.ndarray:
        """Every rank's contiguous `part`, in rank order, into `gathered` (size times its bytes)."""
        if self.size == 1:
            _bytes(gathered)[:] = _bytes(part)
        else:
            self.wait([self.comm.Iallgather(_bytes(part), _bytes(gathered))], f"all_gather of {part.nbytes} bytes")
        return gathered

    def gather_(self, part: np.ndarray, gathered: np.ndarray | None, root: int) -> None:
        """Every rank's contiguous `part`, in rank order, into `gathered` on rank `root` (None elsewhere)."""
        if self.size == 1:
            _bytes(gathered)[:] = _bytes(part)
        else:
            into = _bytes(gathered) if self.rank == root else None
            self.wait([self.comm.Igather(_bytes(part), into, root=root)],
                      f"gather of {part.nbytes} bytes to rank {root}")

    def scatter_(self, parts: np.ndarray | None, part: np.ndarray, root: int) -> None:
        """Rank `root`'s contiguous `parts` (size pieces, in rank order; None elsewhere), piece r to rank r's `part`."""
        if self.size == 1:
            _bytes(part)[:] = _bytes(parts)
        else:
            out_of = _bytes(parts) if self.rank == root else None
            self.wait([self.comm.Iscatter(out_of, _bytes(part), root=root)],
                      f"scatter of {part.nbytes} bytes from rank {root}")

    def reduce_scatter_(self, parts: np.ndarray, part: np.ndarray, op: ReduceOp) -> np.ndarray:
        """Piece r (in rank order) of `parts` combined across ranks, into rank r's `part` (both contiguous)."""
        if self.size == 1:
            part[...] = parts.reshape(part.shape)
        else:
            (send, mpi_op), (receive, _) = self._reduction(parts, op), self._reduction(part, op)
            self.wait([self.comm.Ireduce_scatter_block(send, receive, op=mpi_op)],
                      f"reduce_scatter({op.name}) of {parts.nbytes} bytes")
        if op is ReduceOp.AVG:
            part /= self.size
        return part

    def alltoallv_(self, send: np.ndarray, send_counts: np.ndarray, receive: np.ndarray,
                   receive_counts: np.ndarray) -> None:
        """Rank r's piece j of `send` (`send_counts` bytes each, in rank order) to piece r of rank j's `receive`."""
        if self.size == 1:
            _bytes(receive)[:] = _bytes(send)
            return
        pieces = [[_bytes(array), (counts, _offsets(counts))] for array, counts in ((send, send_counts),
                                                                                   (receive, receive_counts))]
        self.wait([self.comm.Ialltoallv(*pieces)], f"all_to_all of {send.nbytes} bytes")

    def gather_bytes(self, data: np.ndarray, root: int) -> list[np.ndarray] | None:
        """Every rank's bytes `data` (any number each), in rank order, on rank `root`; None on the others."""
        counts = np.empty(self.size, dtype=np.int64)
        self.gather_(np.array([data.size], dtype=np.int64), counts, root)
        if self.size == 1:
            return [data]
        gathered = np.empty(int(counts.sum()), dtype=np.uint8) if self.rank == root else None
        into = [gathered, (counts, _offsets(counts))] if self.rank == root else None
        self.wait([self.comm.Igatherv(data, into, root=root)], f"gather of {data.size} bytes to rank {root}")
        return np.split(gathered, np.cumsum(counts)[:-1]) if self.rank == root else None

    def scatter_bytes(self, pieces: list[np.ndarray] | None, root: int) -> np.ndarray:
        """Rank `root`'s `pieces[r]` (bytes, any number each; None on the other ranks) on rank r."""
        counts = np.array([piece.size for piece in pieces], dtype=np.int64) if self.rank == root else None
        count = np.empty(1, dtype=np.int64)
        self.scatter_(counts, count, root)
        if self.size == 1:
            return pieces[0]
        received = np.empty(int(count[0]), dtype=np.uint8)
        out_of = [np.concatenate(pieces), (counts, _offsets(counts))] if self.rank == root else None
        self.wait([self.comm.Iscatterv(out_of, received, root=root)], f"scatter of bytes from rank {root}")
        return received

    def largest_tag(self) -> int:
        """The largest message tag MPI takes here (at least 32767 by the standard); only with several ranks."""
        return int(self.comm.Get_attr(self._mpi.TAG_UB))

    def send_(self, array: np.ndarray, dst: int, tag: int) -> None:
        self.wait([self.comm.Isend(_bytes(array), dest=dst, tag=tag)], f"send of {array.nbytes} bytes to rank {dst}")

    def recv_(self, array: np.ndarray, src: int | None, tag: int) -> int:
        """Receive into a contiguous array from rank `src` (any rank when None); returns the sender's rank."""
        source = self._mpi.ANY_SOURCE if src is None else src
        status = self._mpi.Status()
        what = f"recv of {array.nbytes} bytes from rank {'any' if src is None else src} with tag {tag}"
        self.wait([self.comm.Irecv(_bytes(array), source=source, tag=tag)], what, [status])
        # MPI accepts a message shorter than the buffer: the rest would keep its old values
        if status.Get_count(self._mpi.BYTE) != array.nbytes:
            raise RuntimeError(f"recv: rank {status.Get_source()} sent {status.Get_count(self._mpi.BYTE)} bytes with "
                               f"tag {tag}, but the tensor holds {array.nbytes}")
        return status.Get_source()

    def abort(self, code: int = 1) -> None:
        """End every rank of the job now (what an uncaught exception on any rank does after init)."""
        if self.size > 1:
            self.comm.Abort(code)


def _bytes(array: np.ndarray) -> np.ndarray:
    """A contiguous array's memory as bytes (the same memory)."""
    return array.reshape(-1).view(np.uint8)


def _offsets(counts: np.ndarray) -> np.ndarray:
    """Where each of consecutive pieces of `counts` elements starts."""
    return np.concatenate([[0], np.cumsum(counts[:-1])]).astype(np.int64)


_GROUP: ProcessGroup | None = None
ABORT_GRACE_SECONDS = 0.5  # time for the launcher to pass a failing rank's report on before the abort


def find_mpiexec() -> str | None:
    """The mpiexec that launches jobs of this Python: the one beside it (the mpich wheel installs it
    there), else the first on PATH; None when there is none."""
    beside_python = Path(sys.executable).with_name("mpiexec")
    return str(beside_python) if beside_python.exists() else shutil.which("mpiexec")


def _world_size_from_environment() -> int:
    for name in _WORLD_SIZE_VARIABLES:
        value = os.environ.get(name)
        if value is not None:
            try:
                return int(value)
            except ValueError:
                raise RuntimeError(f"${name} should be the number of MPI processes, got {value!r}") from None
    return 1


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

"""The process group: this process's rank among the ranks, and collectives on NumPy arrays over MPI.

Every collective is started non-blocking and its request is polled against a deadline (the group's
timeout): a rank that died, hangs or skipped a collective makes the others raise `CollectiveTimeout`
naming the collective instead of waiting forever. comm.py makes the group (`init`)."""
from __future__ import annotations

import enum
import time

import numpy as np

# A collective that finishes within this is polled without sleeping: a nap costs ~60 us or more,
# longer than a small message takes between ranks of one machine.
_SPIN_SECONDS = 0.002


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

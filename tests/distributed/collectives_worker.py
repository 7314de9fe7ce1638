"""The tensor, object and point-to-point collectives on every rank of a job that
tests/distributed/test_collectives_mpi.py starts under `mpiexec -n 2`: each case's result (values, or the
error's type and message) on this rank goes to <out>/rank<r>.json. Each case either succeeds or raises
on every rank, so no rank waits for one that gave up; $FASTGRAD_DIST_TIMEOUT bounds every wait.
test_collectives_mpi_parity.py runs the same cases with torch.distributed on 2 processes."""
from __future__ import annotations

import datetime
import json
import sys
import time
from pathlib import Path

import numpy as np

import fastgrad.distributed


def values(tensors):
    return [t.tolist() for t in tensors] if isinstance(tensors, list) else tensors.tolist()


def cases(rank: int, lib, dist) -> dict:
    """Each case by name, on this rank, with `lib` fastgrad or torch and `dist` its distributed module."""
    def own(*numbers):
        """This rank's tensor: `numbers` + 10 * rank, of the default dtype for floats, int64 for ints."""
        return lib.tensor([number + 10 * rank for number in numbers])

    def all_gather(tensor, outputs):
        dist.all_gather(outputs, tensor)
        return values(outputs)

    def into(function, output, *args, **kwargs):
        function(output, *args, **kwargs)
        return values(output)

    def reduce(tensor, dst, op=dist.ReduceOp.SUM):
        version = tensor._version
        dist.reduce(tensor, dst, op)
        return values(tensor), tensor._version - version

    def all_reduce(tensor, op):
        dist.all_reduce(tensor, op)
        return values(tensor)

    def gather(dst):
        outputs = [lib.zeros(2), lib.zeros(2)] if rank == dst else None
        dist.gather(own(1.0, 2.0), outputs, dst=dst)
        return None if outputs is None else values(outputs)

    def scatter(src):
        output = lib.zeros(2)
        dist.scatter(output, [lib.tensor([5.0, 6.0]), lib.tensor([7.0, 8.0])] if rank == src else None, src)
        return values(output)

    def send_recv():
        if rank == 0:
            dist.send(lib.tensor([1.0, 2.0]), 1, tag=5)
            dist.send(lib.tensor([3, 4]), 1, tag=6)
            dist.send(lib.tensor([5.0]), 1)
            return None
        first, second, third = lib.zeros(2), lib.zeros(2, dtype=lib.int64), lib.zeros(1)
        senders = [dist.recv(first, 0, tag=5), dist.recv(second, 0, tag=6), dist.recv(third)]
        return values([first, second, third]), senders

    def short_message():
        if rank == 0:
            dist.send(lib.tensor([1.0]), 1, tag=7)
            return None
        return dist.recv(lib.zeros(2), 0, tag=7)

    def gather_object(dst):
        gathered = [None, None] if rank == dst else None
        dist.gather_object({"rank": rank}, gathered, dst=dst)
        return gathered

    def broadcast_object_list(src):
        objects = [rank, f"from {rank}"]
        dist.broadcast_object_list(objects, src=src)
        return objects

    def scatter_object_list(src):
        received = [None]
        dist.scatter_object_list(received, [{"to": 0}, ("to", 1)] if rank == src else None, src=src)
        return list(received[0]) if isinstance(received[0], tuple) else received[0]

    def all_gather_object():
        gathered = [None, None, "kept"]
        dist.all_gather_object(gathered, ("rank", rank, np.arange(rank + 1).tolist()))
        return [list(item) if isinstance(item, tuple) else item for item in gathered]

    rank_dtype = [lib.float64, lib.int64][rank]

    def returns(work):
        return [type(work).__name__, work.wait()]

    return {
        "all_gather": lambda: all_gather(own(1.0, 2.0), [lib.zeros(2), lib.zeros(2)]),
        "all_gather_bool": lambda: all_gather(lib.tensor([rank == 0, True]),
                                              [lib.zeros(2, dtype=lib.bool) for _ in range(2)]),
        "all_gather_strided_output": lambda: all_gather(own(1.0, 2.0, 3.0, 4.0).reshape(2, 2),
                                                        [lib.zeros(2, 2).transpose(0, 1) for _ in range(2)]),
        "all_gather_shapes_differ": lambda: all_gather(lib.zeros(2 + rank), [lib.zeros(2 + rank)] * 2),
        "all_gather_dtypes_differ": lambda: all_gather(lib.zeros(2, dtype=rank_dtype),
                                                       [lib.zeros(2, dtype=rank_dtype)] * 2),
        "all_gather_into_tensor": lambda: into(dist.all_gather_into_tensor, lib.zeros(2, 2),
                                               own(1.0, 2.0).reshape(1, 2)),
        "reduce_sum_to_1": lambda: reduce(own(1.0, 2.0), 1),
        "reduce_avg_to_0": lambda: reduce(own(1.0, 2.0), 0, dist.ReduceOp.AVG),
        "reduce_max_int_to_0": lambda: reduce(own(1, 2), 0, dist.ReduceOp.MAX),
        "all_reduce_bool_sum": lambda: all_reduce(lib.tensor([rank == 0, False]), dist.ReduceOp.SUM),
        "all_reduce_bool_product": lambda: all_reduce(lib.tensor([rank == 0, True]), dist.ReduceOp.PRODUCT),
        "all_reduce_band": lambda: all_reduce(lib.tensor([6 + rank, 12]), dist.ReduceOp.BAND),
        "all_reduce_bor": lambda: all_reduce(lib.tensor([4 + rank, 1]), dist.ReduceOp.BOR),
        "all_reduce_bxor": lambda: all_reduce(lib.tensor([3, 1 + rank]), dist.ReduceOp.BXOR),
        "all_reduce_strided": lambda: all_reduce(own(1.0, 2.0, 3.0, 4.0).reshape(2, 2).transpose(0, 1),
                                                 dist.ReduceOp.SUM),
        "gather_to_1": lambda: gather(1),
        "scatter_from_0": lambda: scatter(0),
        "scatter_from_1": lambda: scatter(1),
        "reduce_scatter_sum": lambda: into(dist.reduce_scatter, lib.zeros(2), [own(1.0, 2.0), own(1.0, 2.0) * 2]),
        "reduce_scatter_avg": lambda: into(dist.reduce_scatter, lib.zeros(2), [own(1.0, 2.0), own(1.0, 2.0) * 2],
                                           dist.ReduceOp.AVG),
        "reduce_scatter_tensor": lambda: into(dist.reduce_scatter_tensor, lib.zeros(1, 2),
                                              own(0.0, 1.0, 2.0, 3.0).reshape(2, 2)),
        "all_to_all_single": lambda: into(dist.all_to_all_single, lib.zeros(4), own(0.0, 1.0, 2.0, 3.0)),
        "all_to_all_single_splits": lambda: into(dist.all_to_all_single, lib.zeros(3), own(0.0, 1.0, 2.0),
                                                 [1, 2] if rank == 0 else [2, 1], [1, 2] if rank == 0 else [2, 1]),
        "all_to_all_single_splits_disagree": lambda: into(dist.all_to_all_single, lib.zeros(3), own(0.0, 1.0, 2.0),
                                                          [1, 2], [1, 2]),
        "all_to_all_uneven": lambda: into(dist.all_to_all, [lib.zeros(1), lib.zeros(2)] if rank == 0 else
                                          [lib.zeros(2), lib.zeros(2)],
                                          [own(1.0), own(2.0, 3.0)] if rank == 0 else [own(4.0, 5.0), own(6.0, 7.0)]),
        "send_recv": send_recv,
        "recv_short_message": short_message,
        "all_gather_object": all_gather_object,
        "gather_object_to_1": lambda: gather_object(1),
        "broadcast_object_list_from_1": lambda: broadcast_object_list(1),
        "scatter_object_list_from_0": lambda: scatter_object_list(0),
        "async_op_returns_completed_work": lambda: returns(dist.all_gather_into_tensor(lib.zeros(2), own(1.0),
                                                                                      async_op=True)),
        "monitored_barrier": lambda: dist.monitored_barrier(timeout=datetime.timedelta(seconds=30)),
        "monitored_barrier_in_seconds": lambda: dist.monitored_barrier(timeout=30),
    }


def error(kind: str, message: str) -> dict:
    return {"error": kind, "message": message}


# What each rank gets in each case: its values, or its error's type and message.
SAME_SIZE = "every rank must pass tensors of the same dtype and size: "
EXPECTED = {
    "all_gather": ([[1.0, 2.0], [11.0, 12.0]],) * 2,
    "all_gather_bool": ([[True, True], [False, True]],) * 2,
    "all_gather_strided_output": ([[[1.0, 2.0], [3.0, 4.0]], [[11.0, 12.0], [13.0, 14.0]]],) * 2,
    "all_gather_shapes_differ": (error("RuntimeError", "all_gather: " + SAME_SIZE +
                                       "rank 0 has 8 bytes of float32, rank 1 has 12 bytes of float32"),) * 2,
    "all_gather_dtypes_differ": (error("RuntimeError", "all_gather: " + SAME_SIZE +
                                       "rank 0 has 16 bytes of float64, rank 1 has 16 bytes of int64"),) * 2,
    "all_gather_into_tensor": ([[1.0, 2.0], [11.0, 12.0]],) * 2,
    # (values, version counter change): only the destination is written
    "reduce_sum_to_1": ([[1.0, 2.0], 0], [[12.0, 14.0], 1]),
    "reduce_avg_to_0": ([[6.0, 7.0], 1], [[11.0, 12.0], 0]),
    "reduce_max_int_to_0": ([[11, 12], 1], [[11, 12], 0]),
    "all_reduce_bool_sum": ([True, False],) * 2,
    "all_reduce_bool_product": ([False, True],) * 2,
    "all_reduce_band": ([6, 12],) * 2,
    "all_reduce_bor": ([5, 1],) * 2,
    "all_reduce_bxor": ([0, 3],) * 2,
    "all_reduce_strided": ([[12.0, 16.0], [14.0, 18.0]],) * 2,
    "gather_to_1": (None, [[1.0, 2.0], [11.0, 12.0]]),
    "scatter_from_0": ([5.0, 6.0], [7.0, 8.0]),
    "scatter_from_1": ([5.0, 6.0], [7.0, 8.0]),
    "reduce_scatter_sum": ([12.0, 14.0], [24.0, 28.0]),
    "reduce_scatter_avg": ([6.0, 7.0], [12.0, 14.0]),
    "reduce_scatter_tensor": ([[10.0, 12.0]], [[14.0, 16.0]]),
    "all_to_all_single": ([0.0, 1.0, 10.0, 11.0], [2.0, 3.0, 12.0, 13.0]),
    "all_to_all_single_splits": ([0.0, 10.0, 11.0], [1.0, 2.0, 12.0]),
    "all_to_all_single_splits_disagree": (error("RuntimeError", "all_to_all_single: rank 0 sends 2 elements to "
                                                "rank 1, which expects 1"),) * 2,
    "all_to_all_uneven": ([[1.0], [14.0, 15.0]], [[2.0, 3.0], [16.0, 17.0]]),
    # received by tag, then from any rank: (values, senders)
    "send_recv": (None, [[[1.0, 2.0], [3, 4], [5.0]], [0, 0, 0]]),
    "recv_short_message": (None, error("RuntimeError", "recv: rank 0 sent 4 bytes with tag 7, but the tensor "
                                                        "holds 8")),
    "all_gather_object": ([["rank", 0, [0]], ["rank", 1, [0, 1]], "kept"],) * 2,
    "gather_object_to_1": (None, [{"rank": 0}, {"rank": 1}]),
    "broadcast_object_list_from_1": ([1, "from 1"],) * 2,
    "scatter_object_list_from_0": ({"to": 0}, ["to", 1]),
    "async_op_returns_completed_work": (["Work", True],) * 2,
    "monitored_barrier": (None, None),
    "monitored_barrier_in_seconds": (error("TypeError", "monitored_barrier: timeout must be a datetime.timedelta, "
                                           "got 30"),) * 2,
}

# Where PyTorch's gloo backend hangs, crashes or refuses what fastgrad does (docs/distributed.md)
FASTGRAD_ONLY = {"all_gather_shapes_differ", "all_gather_dtypes_differ", "all_to_all_single_splits_disagree",
                 "all_to_all_uneven", "recv_short_message"}


def main() -> None:
    """collectives_worker.py OUT under mpiexec; collectives_worker.py OUT torch RANK PORT for PyTorch's gloo
    backend on 2 processes (the cases it shares with fastgrad)."""
    out = Path(sys.argv[1])
    if sys.argv[2:3] == ["torch"]:
        import torch
        import torch.distributed

        rank = int(sys.argv[3])
        torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{sys.argv[4]}", rank=rank,
                                             world_size=2)
        shared = {name: case for name, case in cases(rank, torch, torch.distributed).items()
                  if name not in FASTGRAD_ONLY}
        (out / f"torch_rank{rank}.json").write_text(json.dumps(run(shared)))
        torch.distributed.destroy_process_group()
        return
    rank = fastgrad.distributed.init().rank
    results = run(cases(rank, fastgrad, fastgrad.distributed))
    # last: rank 1 never reaches the barrier in time, so rank 0's wait must end with CollectiveTimeout
    start = time.monotonic()
    try:
        if rank == 0:
            fastgrad.distributed.monitored_barrier(timeout=datetime.timedelta(seconds=1))
        else:
            time.sleep(3.0)
            fastgrad.distributed.barrier()  # completes the barrier rank 0 gave up on, so the job ends cleanly
        results["monitored_barrier_timeout"] = None
    except Exception as error:
        results["monitored_barrier_timeout"] = {"error": type(error).__name__, "message": str(error)}
    results["monitored_barrier_seconds"] = time.monotonic() - start
    (out / f"rank{rank}.json").write_text(json.dumps(results))


def run(named_cases: dict) -> dict:
    results = {}
    for name, case in named_cases.items():
        try:
            results[name] = case()
        except Exception as error:  # recorded for the test to compare; the ranks go on to the next case
            results[name] = {"error": type(error).__name__, "message": str(error)}
    return results


if __name__ == "__main__":
    main()

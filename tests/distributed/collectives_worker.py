"""The tensor, object and point-to-point collectives on every rank of a job that
tests/distributed/test_collectives_mpi.py starts under `mpiexec -n 2`: each case's result (values, or the
error's type and message) on this rank goes to <out>/rank<r>.json. Each case either succeeds or raises
on every rank, so no rank waits for one that gave up; $FASTGRAD_DIST_TIMEOUT bounds every wait."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

import fastgrad
import fastgrad.distributed as dist
from fastgrad.distributed import ReduceOp


def values(tensors):
    return [t.tolist() for t in tensors] if isinstance(tensors, list) else tensors.tolist()


def cases(rank: int) -> dict:
    def own(*numbers):
        """This rank's tensor: `numbers` + 10 * rank, of the default dtype for floats, int64 for ints."""
        return fastgrad.tensor([number + 10 * rank for number in numbers])

    def all_gather(tensor, outputs):
        dist.all_gather(outputs, tensor)
        return values(outputs)

    def into(function, output, *args, **kwargs):
        function(output, *args, **kwargs)
        return values(output)

    def reduce(tensor, dst, op=ReduceOp.SUM):
        version = tensor._version
        dist.reduce(tensor, dst, op)
        return values(tensor), tensor._version - version

    def all_reduce(tensor, op):
        dist.all_reduce(tensor, op)
        return values(tensor)

    def gather(dst):
        outputs = [fastgrad.zeros(2), fastgrad.zeros(2)] if rank == dst else None
        dist.gather(own(1.0, 2.0), outputs, dst=dst)
        return None if outputs is None else values(outputs)

    def scatter(src):
        output = fastgrad.zeros(2)
        dist.scatter(output, [fastgrad.tensor([5.0, 6.0]), fastgrad.tensor([7.0, 8.0])] if rank == src else None, src)
        return values(output)

    def send_recv():
        if rank == 0:
            dist.send(fastgrad.tensor([1.0, 2.0]), 1, tag=5)
            dist.send(fastgrad.tensor([3, 4]), 1, tag=6)
            dist.send(fastgrad.tensor([5.0]), 1)
            return None
        first, second, third = fastgrad.zeros(2), fastgrad.zeros(2, dtype=fastgrad.int64), fastgrad.zeros(1)
        senders = [dist.recv(first, 0, tag=5), dist.recv(second, 0, tag=6), dist.recv(third)]
        return values([first, second, third]), senders

    def short_message():
        if rank == 0:
            dist.send(fastgrad.tensor([1.0]), 1, tag=7)
            return None
        return dist.recv(fastgrad.zeros(2), 0, tag=7)

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

    rank_dtype = [fastgrad.float64, fastgrad.int64][rank]

    def returns(work):
        return [type(work).__name__, work.wait()]

    return {
        "all_gather": lambda: all_gather(own(1.0, 2.0), [fastgrad.zeros(2), fastgrad.zeros(2)]),
        "all_gather_bool": lambda: all_gather(fastgrad.tensor([rank == 0, True]),
                                              [fastgrad.zeros(2, dtype=fastgrad.bool) for _ in range(2)]),
        "all_gather_strided_output": lambda: all_gather(own(1.0, 2.0, 3.0, 4.0).reshape(2, 2),
                                                        [fastgrad.zeros(2, 2).transpose(0, 1) for _ in range(2)]),
        "all_gather_shapes_differ": lambda: all_gather(fastgrad.zeros(2 + rank), [fastgrad.zeros(2 + rank)] * 2),
        "all_gather_dtypes_differ": lambda: all_gather(fastgrad.zeros(2, dtype=rank_dtype),
                                                       [fastgrad.zeros(2, dtype=rank_dtype)] * 2),
        "all_gather_into_tensor": lambda: into(dist.all_gather_into_tensor, fastgrad.zeros(2, 2),
                                               own(1.0, 2.0).reshape(1, 2)),
        "reduce_sum_to_1": lambda: reduce(own(1.0, 2.0), 1),
        "reduce_avg_to_0": lambda: reduce(own(1.0, 2.0), 0, ReduceOp.AVG),
        "reduce_max_int_to_0": lambda: reduce(own(1, 2), 0, ReduceOp.MAX),
        "all_reduce_bool_sum": lambda: all_reduce(fastgrad.tensor([rank == 0, False]), ReduceOp.SUM),
        "all_reduce_bool_product": lambda: all_reduce(fastgrad.tensor([rank == 0, True]), ReduceOp.PRODUCT),
        "all_reduce_band": lambda: all_reduce(fastgrad.tensor([6 + rank, 12]), ReduceOp.BAND),
        "all_reduce_bor": lambda: all_reduce(fastgrad.tensor([4 + rank, 1]), ReduceOp.BOR),
        "all_reduce_bxor": lambda: all_reduce(fastgrad.tensor([3, 1 + rank]), ReduceOp.BXOR),
        "all_reduce_strided": lambda: all_reduce(own(1.0, 2.0, 3.0, 4.0).reshape(2, 2).transpose(0, 1), ReduceOp.SUM),
        "gather_to_1": lambda: gather(1),
        "scatter_from_0": lambda: scatter(0),
        "scatter_from_1": lambda: scatter(1),
        "reduce_scatter_sum": lambda: into(dist.reduce_scatter, fastgrad.zeros(2), [own(1.0, 2.0), own(1.0, 2.0) * 2]),
        "reduce_scatter_avg": lambda: into(dist.reduce_scatter, fastgrad.zeros(2), [own(1.0, 2.0), own(1.0, 2.0) * 2],
                                           ReduceOp.AVG),
        "reduce_scatter_tensor": lambda: into(dist.reduce_scatter_tensor, fastgrad.zeros(1, 2),
                                              own(0.0, 1.0, 2.0, 3.0).reshape(2, 2)),
        "all_to_all_single": lambda: into(dist.all_to_all_single, fastgrad.zeros(4), own(0.0, 1.0, 2.0, 3.0)),
        "all_to_all_single_splits": lambda: into(dist.all_to_all_single, fastgrad.zeros(3), own(0.0, 1.0, 2.0),
                                                 [1, 2] if rank == 0 else [2, 1], [1, 2] if rank == 0 else [2, 1]),
        "all_to_all_single_splits_disagree": lambda: into(dist.all_to_all_single, fastgrad.zeros(3), own(0.0, 1.0, 2.0),
                                                          [1, 2], [1, 2]),
        "all_to_all_uneven": lambda: into(dist.all_to_all, [fastgrad.zeros(1), fastgrad.zeros(2)] if rank == 0 else
                                          [fastgrad.zeros(2), fastgrad.zeros(2)],
                                          [own(1.0), own(2.0, 3.0)] if rank == 0 else [own(4.0, 5.0), own(6.0, 7.0)]),
        "send_recv": send_recv,
        "recv_short_message": short_message,
        "all_gather_object": all_gather_object,
        "gather_object_to_1": lambda: gather_object(1),
        "broadcast_object_list_from_1": lambda: broadcast_object_list(1),
        "scatter_object_list_from_0": lambda: scatter_object_list(0),
        "async_op_returns_completed_work": lambda: returns(dist.all_gather_into_tensor(fastgrad.zeros(2), own(1.0),
                                                                                      async_op=True)),
        "monitored_barrier": lambda: dist.monitored_barrier(timeout=30),
    }


def main() -> None:
    out = Path(sys.argv[1])
    rank = dist.init().rank
    results = {}
    for name, case in cases(rank).items():
        try:
            results[name] = case()
        except Exception as error:  # recorded for the test to compare; the ranks go on to the next case
            results[name] = {"error": type(error).__name__, "message": str(error)}
    # last: rank 1 never reaches the barrier in time, so rank 0's wait must end with CollectiveTimeout
    start = time.monotonic()
    try:
        if rank == 0:
            dist.monitored_barrier(timeout=1.0)
        else:
            time.sleep(3.0)
            dist.barrier()  # completes the barrier rank 0 gave up on, so the job ends cleanly
        results["monitored_barrier_timeout"] = None
    except Exception as error:
        results["monitored_barrier_timeout"] = {"error": type(error).__name__, "message": str(error)}
    results["monitored_barrier_seconds"] = time.monotonic() - start
    (out / f"rank{rank}.json").write_text(json.dumps(results))


if __name__ == "__main__":
    main()

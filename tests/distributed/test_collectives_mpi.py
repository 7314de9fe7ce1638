"""Every collective of fastgrad.distributed on 2 ranks under `mpiexec -n 2` (skipped without mpi4py and
mpiexec): tests/distributed/collectives_worker.py runs the cases once, in one job of a few seconds, and
each case's values or error on each rank are compared here (the expected values are PyTorch's, from its
gloo backend on 2 processes, where it has the case)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fastgrad.distributed.comm import find_mpiexec

pytest.importorskip("mpi4py", reason="needs mpi4py (pip install 'fastgrad[mpi]')")
MPIEXEC = find_mpiexec()
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="needs mpiexec (pip install 'fastgrad[mpi]')")

WORKER = Path(__file__).with_name("collectives_worker.py")
REPO = Path(__file__).resolve().parents[2]
JOB_SECONDS = 120


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> tuple[dict, dict]:
    out = tmp_path_factory.mktemp("collectives")
    environment = {k: v for k, v in os.environ.items() if k not in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")}
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO), environment.get("PYTHONPATH", "")])
    environment["FASTGRAD_DIST_TIMEOUT"] = "20"  # a case that left a rank waiting fails in seconds, not minutes
    job = subprocess.run([MPIEXEC, "-n", "2", sys.executable, str(WORKER), str(out)], env=environment,
                         capture_output=True, text=True, timeout=JOB_SECONDS)
    assert job.returncode == 0, job.stdout + job.stderr
    return tuple(json.loads((out / f"rank{rank}.json").read_text()) for rank in range(2))


def error(kind: str, message: str) -> dict:
    return {"error": kind, "message": message}


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
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_rank_gets_its_result(results, case):
    assert (results[0][case], results[1][case]) == EXPECTED[case]


def test_every_case_is_checked(results):
    assert set(results[0]) - {"monitored_barrier_timeout", "monitored_barrier_seconds"} == set(EXPECTED)


def test_monitored_barrier_times_out_when_a_rank_does_not_arrive(results):
    late = results[0]["monitored_barrier_timeout"]
    assert late["error"] == "CollectiveTimeout"
    assert "barrier did not complete within 1 s on rank 0 of 2" in late["message"]
    assert 1.0 <= results[0]["monitored_barrier_seconds"] < 2.5

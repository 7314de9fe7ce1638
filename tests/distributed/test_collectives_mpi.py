"""Every collective of fastgrad.distributed on 2 ranks under `mpiexec -n 2` (skipped without mpi4py and
mpiexec): tests/distributed/collectives_worker.py runs the cases once, in one job of a few seconds, and
each case's values or error on each rank are compared with the worker's EXPECTED (which
test_collectives_mpi_parity.py checks against PyTorch's gloo backend on 2 processes)."""
from __future__ import annotations

import importlib.util
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
_SPEC = importlib.util.spec_from_file_location("collectives_worker", WORKER)
worker = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(worker)
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


@pytest.mark.parametrize("case", sorted(worker.EXPECTED))
def test_each_rank_gets_its_result(results, case):
    assert (results[0][case], results[1][case]) == worker.EXPECTED[case]


def test_every_case_is_checked(results):
    assert set(results[0]) - {"monitored_barrier_timeout", "monitored_barrier_seconds"} == set(worker.EXPECTED)


def test_monitored_barrier_times_out_when_a_rank_does_not_arrive(results):
    late = results[0]["monitored_barrier_timeout"]
    assert late["error"] == "CollectiveTimeout"
    assert "barrier did not complete within 1 s on rank 0 of 2" in late["message"]
    assert 1.0 <= results[0]["monitored_barrier_seconds"] < 2.5

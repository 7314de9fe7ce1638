"""The 2-rank cases of tests/distributed/collectives_worker.py with torch.distributed's gloo backend on 2
processes (over loopback TCP): PyTorch gets the values the worker expects of fastgrad on every rank, and
raises the same built-in exception type, in every case the two share (the worker's FASTGRAD_ONLY cases
are where gloo hangs, crashes or refuses)."""
from __future__ import annotations

import builtins
import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

WORKER = Path(__file__).with_name("collectives_worker.py")
_SPEC = importlib.util.spec_from_file_location("collectives_worker", WORKER)
worker = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(worker)
REPO = Path(__file__).resolve().parents[2]
JOB_SECONDS = 120
# reduce: PyTorch leaves the other ranks' tensors unspecified (gloo writes partial results there) and does
# not bump version counters, so only the destination's values are compared
REDUCE_DESTINATION = {"reduce_sum_to_1": 1, "reduce_avg_to_0": 0, "reduce_max_int_to_0": 0}


@pytest.fixture(scope="module")
def torch_results(tmp_path_factory) -> tuple[dict, dict]:
    out = tmp_path_factory.mktemp("torch_collectives")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    ranks = [subprocess.Popen([sys.executable, "-W", "ignore", str(WORKER), str(out), "torch", str(rank), port],
                              env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for rank in range(2)]
    try:
        outputs = [rank.communicate(timeout=JOB_SECONDS)[0] for rank in ranks]
    finally:
        for rank in ranks:
            rank.kill()
    assert [rank.returncode for rank in ranks] == [0, 0], outputs
    return tuple(json.loads((out / f"torch_rank{rank}.json").read_text()) for rank in range(2))


def comparable(result):
    """An error by its built-in type (PyTorch's messages and subclasses are its own)."""
    if isinstance(result, dict) and "error" in result:
        kind = getattr(builtins, result["error"], None)
        return "error", kind.__name__ if kind is not None else result["error"]
    return result


SHARED = sorted(set(worker.EXPECTED) - worker.FASTGRAD_ONLY)


@pytest.mark.parametrize("case", SHARED)
def test_pytorch_gets_what_fastgrad_is_expected_to(torch_results, case):
    if case in REDUCE_DESTINATION:
        dst = REDUCE_DESTINATION[case]
        assert torch_results[dst][case][0] == worker.EXPECTED[case][dst][0]
        return
    theirs = [comparable(torch_results[rank][case]) for rank in range(2)]
    assert theirs == [comparable(expected) for expected in worker.EXPECTED[case]]


def test_pytorch_ran_every_shared_case(torch_results):
    assert worker.FASTGRAD_ONLY < set(worker.EXPECTED)
    assert set(torch_results[0]) == set(torch_results[1]) == set(SHARED)

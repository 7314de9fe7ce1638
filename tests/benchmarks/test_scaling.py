"""The data-parallel scaling benchmark runs its steps alone and under mpiexec (skipped without MPI) and
reports what all ranks trained; no test here looks at a timing."""
import json
import subprocess
import sys

import pytest

from fastgrad.benchmarks import scaling
from fastgrad.distributed.comm import find_mpiexec


@pytest.mark.parametrize("model", scaling.MODELS)
def test_a_worker_alone_reports_one_ranks_throughput(model):
    done = subprocess.run([sys.executable, "-m", "fastgrad.benchmarks.scaling", "--worker", model, "--steps", "1"],
                          capture_output=True, text=True, timeout=600, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["model"] == model and result["ranks"] == 1 and result["per_second"] > 0


def test_two_ranks_train_twice_the_batch():
    mpiexec = find_mpiexec()
    pytest.importorskip("mpi4py")
    if mpiexec is None:
        pytest.skip("no mpiexec (pip install -e '.[mpi]')")
    result = scaling.run_once("nbow", 2, 1, mpiexec)
    assert result["ranks"] == 2 and result["unit"] == "bags" and result["per_second"] > 0


def test_unknown_models_are_named():
    done = subprocess.run([sys.executable, "-m", "fastgrad.benchmarks.scaling", "cnn"], capture_output=True, text=True)
    assert done.returncode == 2 and "unknown model(s) cnn; choose from rnnlm, nbow" in done.stderr


def test_independent_runs_start_together_and_add_up():
    result = scaling.run_independent("nbow", 1)
    assert result["ranks"] == 2 and result["unit"] == "bags" and result["per_second"] > 0


def test_a_waiting_worker_times_nothing_before_it_is_released():
    run = subprocess.Popen([sys.executable, "-m", "fastgrad.benchmarks.scaling", "--worker", "nbow", "--steps", "1",
                            "--wait"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline().strip() == "ready"
        assert run.poll() is None  # still waiting for its release
        out, _ = run.communicate("go\n", timeout=600)
    finally:
        if run.poll() is None:
            run.kill()
    assert json.loads(out.strip().splitlines()[-1])["ranks"] == 1

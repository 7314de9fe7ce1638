"""The process group without mpiexec: a world of one that never imports mpi4py; argument checks."""
import os
import subprocess
import sys

import numpy as np
import pytest

import fastgrad.distributed as dist


def test_a_run_without_mpiexec_is_a_world_of_one_and_never_imports_mpi4py():
    env = {k: v for k, v in os.environ.items() if k not in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")}
    code = ("import sys, fastgrad.distributed as dist; g = dist.init(); "
            "print(g.rank, g.size, dist.get_rank(), dist.get_world_size(), 'mpi4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "1", "0", "1", "False"]


def test_world_of_one_collectives_return_their_input(world_of_one):
    array = np.arange(4, dtype=np.float32)
    assert world_of_one.allreduce_(array, dist.ReduceOp.AVG) is array
    np.testing.assert_array_equal(array, [0, 1, 2, 3])
    np.testing.assert_array_equal(world_of_one.broadcast_(array, 0), [0, 1, 2, 3])
    rows, counts = world_of_one.allgather_rows(np.ones((3, 2)))
    assert rows.shape == (3, 2) and counts.tolist() == [3]
    world_of_one.barrier()


def test_init_twice_returns_the_same_group(world_of_one):
    assert dist.init() is world_of_one and dist.is_initialized()


def test_rank_before_init_raises(monkeypatch):
    dist.destroy_process_group()
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="not initialized: call fastgrad.distributed.init"):
        dist.get_rank()
    assert dist.is_main_process()  # a process that never joined a job is its own main process


@pytest.mark.parametrize("timeout", [0, -1.0, "5", True])
def test_bad_timeout_is_named(monkeypatch, timeout):
    dist.destroy_process_group()
    with pytest.raises(ValueError, match=f"timeout must be a positive number of seconds, got {timeout!r}"):
        dist.init(timeout=timeout)
    assert not dist.is_initialized()


def test_bad_environment_values_are_named(monkeypatch):
    dist.destroy_process_group()
    monkeypatch.setenv("FASTGRAD_DIST_TIMEOUT", "soon")
    with pytest.raises(ValueError, match=r"\$FASTGRAD_DIST_TIMEOUT should be a number of seconds, got 'soon'"):
        dist.init()
    monkeypatch.delenv("FASTGRAD_DIST_TIMEOUT")
    monkeypatch.setenv("PMI_SIZE", "two")
    with pytest.raises(RuntimeError, match=r"\$PMI_SIZE should be the number of MPI processes, got 'two'"):
        dist.init()
    assert not dist.is_initialized()


def test_timeout_comes_from_the_environment(monkeypatch):
    dist.destroy_process_group()
    monkeypatch.delenv("PMI_SIZE", raising=False)
    monkeypatch.setenv("FASTGRAD_DIST_TIMEOUT", "2.5")
    try:
        assert dist.init().timeout == 2.5
    finally:
        dist.destroy_process_group()


def test_init_process_group_joins_as_init_does(monkeypatch):
    """PyTorch's entry point: the CPU backends' names, env:// and a timedelta; the group is then `init`'s."""
    import datetime

    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    dist.destroy_process_group()
    try:
        dist.init_process_group("gloo", init_method="env://", timeout=datetime.timedelta(seconds=30), world_size=1,
                                rank=0)
        assert dist.is_initialized() and dist.get_world_size() == 1 and dist.group().timeout == 30
        assert dist.get_backend() == "mpi"
        with pytest.raises(ValueError, match="trying to initialize the default process group twice"):
            dist.init_process_group("gloo")
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize("arguments, error, message", [
    ({"backend": "nccl"}, ValueError, "backend must be 'gloo' or 'mpi'.*got 'nccl'"),
    ({"init_method": "tcp://10.0.0.1:23456"}, NotImplementedError, "joins the job that mpiexec started"),
    ({"store": object()}, NotImplementedError, "store= are not supported"),
    ({"device_id": 0}, ValueError, "device_id must be None"),
    ({"world_size": 4}, ValueError, "world_size=4, but mpiexec started this process with world_size 1"),
    ({"rank": 1}, ValueError, "rank=1, but mpiexec started this process with rank 0"),
])
def test_init_process_group_refuses_what_it_cannot_honour(monkeypatch, arguments, error, message):
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    dist.destroy_process_group()
    with pytest.raises(error, match=message):
        dist.init_process_group(**arguments)
    assert not dist.is_initialized()

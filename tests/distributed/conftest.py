import pytest

import fastgrad.distributed as dist


@pytest.fixture
def world_of_one(monkeypatch):
    """A process group of one, as a run without mpiexec gets; forgotten after the test."""
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "FASTGRAD_DIST_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    dist.destroy_process_group()
    yield dist.init()
    dist.destroy_process_group()

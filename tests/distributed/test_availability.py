"""is_available and friends, and get_node_local_rank from the launchers' variables."""
import importlib.util

import pytest

import fastgrad
import fastgrad.distributed as dist
from fastgrad.distributed.availability import _LOCAL_RANK_VARIABLES


def test_what_this_installation_offers():
    assert fastgrad.distributed.is_available() is True
    assert dist.is_mpi_available() is (importlib.util.find_spec("mpi4py") is not None)
    assert dist.is_gloo_available() is False and dist.is_nccl_available() is False


@pytest.fixture
def no_launcher(monkeypatch):
    for name in _LOCAL_RANK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("name", _LOCAL_RANK_VARIABLES)
def test_local_rank_comes_from_the_launcher(no_launcher, name):
    no_launcher.setenv(name, "3")
    assert dist.get_node_local_rank() == 3
    assert dist.get_node_local_rank(fallback_rank=0) == 3


def test_local_rank_without_a_launcher(no_launcher):
    assert dist.get_node_local_rank(fallback_rank=2) == 2
    with pytest.raises(RuntimeError, match=r"get_node_local_rank: none of \$LOCAL_RANK, .* is set"):
        dist.get_node_local_rank()
    no_launcher.setenv("LOCAL_RANK", "first")
    with pytest.raises(RuntimeError, match=r"\$LOCAL_RANK should be this process's local rank, got 'first'"):
        dist.get_node_local_rank()

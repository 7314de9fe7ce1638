"""fastgrad.multiprocessing is Python's multiprocessing under torch's name, with torch's sharing-strategy switch."""
import multiprocessing

import pytest

import fastgrad
import fastgrad.multiprocessing as mp


def test_names_are_pythons():
    for name in ("set_start_method", "get_start_method", "get_context", "Process", "Queue", "Pool", "cpu_count"):
        assert getattr(mp, name) is getattr(multiprocessing, name)
    assert fastgrad.multiprocessing is mp


def test_sharing_strategy_is_kept_and_checked():
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    previous = mp.get_sharing_strategy()
    try:
        mp.set_sharing_strategy("file_system")
        assert mp.get_sharing_strategy() == "file_system"
        with pytest.raises(AssertionError, match="invalid sharing strategy 'bogus'"):
            mp.set_sharing_strategy("bogus")
    finally:
        mp.set_sharing_strategy(previous)


def test_tensors_cross_processes_as_copies():
    context = mp.get_context("spawn")
    queue = context.SimpleQueue()
    x = fastgrad.tensor([1.0, 2.0])
    queue.put(x)
    received = queue.get()
    assert received.tolist() == [1.0, 2.0] and received.data_ptr() != x.data_ptr()

"""fastgrad.multiprocessing.spawn: fn(i, *args) in each process; a failure raises in the parent, the others stopped."""
import pathlib
import sys

import pytest

import fastgrad.multiprocessing as mp

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # (the children import the workers by module name)
import spawn_workers  # noqa: E402


def test_each_process_runs_fn_with_its_index_and_the_args():
    queue = mp.get_context("spawn").SimpleQueue()
    assert mp.spawn(spawn_workers.put_sum, args=(queue,), nprocs=2) is None
    assert sorted([queue.get(), queue.get()]) == [(0, 0.0), (1, 3.0)]


def test_a_raising_process_raises_in_the_parent_with_its_traceback():
    with pytest.raises(mp.ProcessRaisedException) as raised:
        mp.spawn(spawn_workers.raise_in_second, nprocs=2)
    assert raised.value.error_index == 1 and raised.value.error_pid > 0
    assert "-- Process 1 terminated with the following error:" in str(raised.value)
    assert "ValueError: boom in the second process" in str(raised.value)


def test_a_process_exiting_with_a_code_raises():
    with pytest.raises(mp.ProcessExitedException, match="process 0 terminated with exit code 3") as raised:
        mp.spawn(spawn_workers.exit_with_three, nprocs=1)
    assert raised.value.exit_code == 3 and raised.value.signal_name is None


def test_failure_stops_the_other_processes():
    context = mp.start_processes(spawn_workers.raise_at_once, nprocs=1, join=False, start_method="spawn")
    sleeper = mp.start_processes(spawn_workers.wait_forever, nprocs=1, join=False, start_method="spawn")
    both = mp.ProcessContext(context.processes + sleeper.processes, context.error_queues + sleeper.error_queues)
    with pytest.raises(mp.ProcessRaisedException, match="KeyError"):
        while not both.join():
            pass
    assert not sleeper.processes[0].is_alive() and sleeper.processes[0].exitcode < 0


def test_without_join_returns_the_context():
    queue = mp.get_context("spawn").SimpleQueue()
    context = mp.spawn(spawn_workers.put_sum, args=(queue,), nprocs=1, join=False)
    assert len(context.pids()) == 1
    while not context.join(timeout=30):
        pass
    assert context.join() and queue.get() == (0, 0.0)


def test_another_start_method_warns_in_spawn():
    with pytest.warns(FutureWarning, match="start_method='spawn'"):
        mp.spawn(spawn_workers.do_nothing, nprocs=1, start_method="forkserver")


def test_unknown_start_method_raises():
    with pytest.raises(ValueError, match="cannot find context for 'bogus'"):
        mp.start_processes(spawn_workers.do_nothing, nprocs=1, start_method="bogus")

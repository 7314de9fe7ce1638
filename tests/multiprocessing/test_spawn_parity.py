"""fastgrad.multiprocessing against torch.multiprocessing: the same stdlib names and sharing strategies, and spawn's
failures raised as the same exceptions with the same messages (but for the wrapper's frame in the traceback)."""
import multiprocessing
import pathlib
import sys

import pytest

import fastgrad.multiprocessing as mp

torch = pytest.importorskip("torch")
import torch.multiprocessing as torch_mp  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # (the children import the workers by module name)
import spawn_workers  # noqa: E402


def test_same_names_and_sharing_strategies():
    for name in ("set_start_method", "get_context", "Process", "Queue", "SimpleQueue", "Pool"):
        assert getattr(mp, name) is getattr(torch_mp, name) is getattr(multiprocessing, name)
    assert mp.get_all_sharing_strategies() == torch_mp.get_all_sharing_strategies()
    assert mp.get_sharing_strategy() == torch_mp.get_sharing_strategy()
    for lib in (mp, torch_mp):
        with pytest.raises(AssertionError):
            lib.set_sharing_strategy("bogus")


@pytest.mark.parametrize("worker, nprocs", [(spawn_workers.raise_in_second, 2), (spawn_workers.exit_with_three, 1)])
def test_failures_raise_the_same_exceptions(worker, nprocs):
    raised = []
    for lib in (torch_mp, mp):
        with pytest.raises(Exception) as failure:
            lib.spawn(worker, nprocs=nprocs)
        raised.append(failure.value)
    theirs, ours = raised
    assert type(ours).__name__ == type(theirs).__name__ and ours.error_index == theirs.error_index
    assert [type(ours).__mro__[1].__name__] == [type(theirs).__mro__[1].__name__] == ["ProcessException"]
    their_lines, our_lines = str(theirs).splitlines(), str(ours).splitlines()
    assert our_lines[:3] == their_lines[:3] and our_lines[-1] == their_lines[-1]
    assert getattr(ours, "exit_code", None) == getattr(theirs, "exit_code", None)


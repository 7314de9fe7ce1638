"""`fastgrad.multiprocessing`, as torch.multiprocessing: Python's multiprocessing under torch's name (the same
functions and classes: `set_start_method`, `get_context`, `Process`, `Queue`, ...), with torch's `spawn`.

Unlike PyTorch's, it does not move tensors to shared memory when they are sent to another process: a tensor
put on a Queue or passed to a Process arrives as a pickled copy (so changes made in place on one side are not
seen on the other), and `Tensor.share_memory_` raises. The sharing strategy is kept and reported for scripts
that set it, and changes nothing."""
from multiprocessing import (  # noqa: F401  (re-exported)
    Array, Barrier, BoundedSemaphore, Condition, Event, JoinableQueue, Lock, Manager, Pipe, Pool, Process, Queue, RLock,
    RawArray, RawValue, Semaphore, SimpleQueue, Value, active_children, cpu_count, current_process, freeze_support,
    get_all_start_methods, get_context, get_start_method, parent_process, set_start_method)

from fastgrad.multiprocessing.spawn import (ProcessContext, ProcessException, ProcessExitedException,  # noqa: F401
                                            ProcessRaisedException, spawn, start_processes)

_SHARING_STRATEGIES = {"file_descriptor", "file_system"}  # (PyTorch's on Linux)
_sharing_strategy = "file_descriptor"


def get_all_sharing_strategies() -> set:
    return set(_SHARING_STRATEGIES)


def get_sharing_strategy() -> str:
    return _sharing_strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Kept and reported only: fastgrad's tensors are copied between processes, not shared."""
    global _sharing_strategy
    if new_strategy not in _SHARING_STRATEGIES:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of {_SHARING_STRATEGIES}")
    _sharing_strategy = new_strategy

"""One thread count for every library fastgrad touches: Numba, the C kernels, OpenBLAS (NumPy) and, in
benchmarks, PyTorch; and one pool running at a time, so that `--threads N` means N threads in total.

Three thread pools live in a fastgrad process: OpenBLAS's workers (matrix products), libgomp's (the C
kernels' OpenMP loops, and Numba's parallel loops, whose "omp" threading layer fastgrad asks for, so
both run on one OpenMP runtime and one team of threads), and PyTorch's if it is loaded. Each pool
has at most N threads (the caller's included), and only one of them works at a time, since the
kernels run one after another. What made them fight for the cores was idling: an OpenBLAS worker
polls for new work for 2^28 cycles (about 0.1 s) after each product, libgomp's spin for a while after
each loop, so the next pool's threads ran next to spinning ones. So, before the libraries load (they
read these settings once, at load), fastgrad asks every pool to sleep as soon as its work is done:
`IDLE_POLICY` below, applied where the user has not set the variable. NumPy imported before fastgrad
has loaded OpenBLAS already; `set_threads` then warns that its workers keep polling.
tests/test_threads.py counts the runnable threads during training steps.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys
import threading
import warnings

IDLE_POLICY = {
    "OMP_WAIT_POLICY": "PASSIVE",  # libgomp's workers sleep as soon as a parallel loop ends
    "OPENBLAS_THREAD_TIMEOUT": "4",  # OpenBLAS's workers sleep after 2^4 idle cycles instead of 2^28
    "NUMBA_THREADING_LAYER_PRIORITY": "omp tbb workqueue",  # Numba on the C kernels' OpenMP runtime
}
# Which library must not be loaded yet for each setting to take effect.
_READ_AT_LOAD_BY = {"OMP_WAIT_POLICY": "gomp", "OPENBLAS_THREAD_TIMEOUT": "openblas",
                    "NUMBA_THREADING_LAYER_PRIORITY": "numba"}


def _mapped_libraries() -> str:
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            return maps.read().lower()
    except OSError:  # not Linux
        return ""


# The variables fastgrad set itself (the user left them unset): a benchmark's PyTorch process must not
# inherit them (fastgrad/benchmarks/runner.py).
IDLE_POLICY_SET_HERE = frozenset(name for name in IDLE_POLICY if name not in os.environ)


def _apply_idle_policy() -> dict[str, bool]:
    """Set IDLE_POLICY's variables the user left unset; returns, per variable, whether its library reads
    the environment's value (the user's or ours): False when the library was loaded before and the
    variable was not set then."""
    loaded = _mapped_libraries() + " ".join(sys.modules)
    applied = {}
    for name, value in IDLE_POLICY.items():
        applied[name] = name in os.environ or _READ_AT_LOAD_BY[name] not in loaded
        os.environ.setdefault(name, value)
    return applied


IDLE_POLICY_APPLIED = _apply_idle_policy()

_BLAS_SETTERS = ("openblas_set_num_threads", "openblas_set_num_threads64_", "scipy_openblas_set_num_threads64_",
                 "scipy_openblas_set_num_threads")
_BLAS_GETTERS = ("openblas_get_num_threads", "openblas_get_num_threads64_", "scipy_openblas_get_num_threads64_",
                 "scipy_openblas_get_num_threads")


class _State:
    count: int | None = None  # None: each library keeps its own default


STATE = _State()
# Numba keeps its thread count per Python thread: the count that `STATE.count` was last given to Numba as in
# this thread (`fastgrad.kernels.parallel.kernel_threads` gives it in threads that have not had it yet).
GIVEN_TO_NUMBA_HERE = threading.local()


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _loaded_openblas() -> list[ctypes.CDLL]:
    """The OpenBLAS libraries mapped into this process (NumPy's wheels bundle their own)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line}
    except OSError:  # not Linux
        return []
    return [ctypes.CDLL(path) for path in sorted(paths)]


def _first_function(library: ctypes.CDLL, names: tuple[str, ...]):
    """The library's function of the first of `names` it exports, or None."""
    return next((getattr(library, symbol) for symbol in names if hasattr(library, symbol)), None)


def _call_first(library: ctypes.CDLL, names: tuple[str, ...], *args):
    function = _first_function(library, names)
    return None if function is None else function(*args)


def set_blas_threads(count: int) -> int | None:
    """Limit OpenBLAS to `count` threads; returns the count it reports, or None if it cannot be set."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(count, user_api="blas")
    except ImportError:  # threadpoolctl is optional: call OpenBLAS's own setter
        for library in _loaded_openblas():
            _call_first(library, _BLAS_SETTERS, ctypes.c_int(count))
    return blas_threads()


@functools.cache
def _openblas_thread_counters() -> tuple[tuple, tuple]:
    """(setters, getters) of the thread count of each OpenBLAS library mapped now, looked up once: reading
    /proc/self/maps and opening the libraries costs about a millisecond, too much to pay twice per step."""
    setters, getters = [], []
    for library in _loaded_openblas():
        setter, getter = _first_function(library, _BLAS_SETTERS), _first_function(library, _BLAS_GETTERS)
        if setter is not None and getter is not None:
            setters.append(setter)
            getters.append(getter)
    return tuple(setters), tuple(getters)


def can_pause_blas_threads() -> bool:
    """Whether `blas_on_one_thread` can hold BLAS to one thread (it knows OpenBLAS's setters only)."""
    return bool(_openblas_thread_counters()[0])


@contextlib.contextmanager
def blas_on_one_thread():
    """OpenBLAS at one thread until the block ends, then at its count before. The count is the whole
    process's: for work that fastgrad splits across threads itself, each running BLAS alone."""
    setters, getters = _openblas_thread_counters()
    before = [getter() for getter in getters]
    for setter in setters:
        setter(ctypes.c_int(1))
    try:
        yield
    finally:
        for setter, count in zip(setters, before):
            setter(ctypes.c_int(count))


def blas_threads() -> int | None:
    counts = [_call_first(library, _BLAS_GETTERS) for library in _loaded_openblas()]
    counts = [c for c in counts if c is not None]
    return counts[0] if counts else None


def set_threads(count: int | None) -> int:
    """Use `count` threads (default: every available core) in Numba (and so the C kernels), OpenBLAS and
    PyTorch; each pool runs alone, so that is `count` threads in total. Returns the count in force: at most
    the size of Numba's pool (NUMBA_NUM_THREADS), with a warning when `count` was more. Numba keeps its
    count per Python thread; the kernels apply this one in whichever thread calls them
    (`fastgrad.kernels.parallel.kernel_threads`)."""
    import numba
    import numpy  # noqa: F401  (loads OpenBLAS so its thread count can be set)

    count = count or available_cores()
    if count < 1:
        raise ValueError(f"threads must be at least 1, got {count}")
    most = numba.config.NUMBA_NUM_THREADS  # Numba's pool, which the C kernels share, was sized at start-up
    if count > most:
        warnings.warn(f"threads: {count} requested, but Numba and the C kernels can use at most {most} "
                      f"(NUMBA_NUM_THREADS, read when Numba starts); every library gets {most}", RuntimeWarning,
                      stacklevel=2)
        count = most
    if count > 1 and not IDLE_POLICY_APPLIED["OPENBLAS_THREAD_TIMEOUT"]:
        warnings.warn("NumPy was imported before fastgrad, so OpenBLAS's idle workers keep polling for about "
                      "0.1 s after each matrix product and compete with fastgrad's other threads; import "
                      "fastgrad first, or set OPENBLAS_THREAD_TIMEOUT=4 before starting Python", RuntimeWarning,
                      stacklevel=2)
    STATE.count = count
    numba.set_num_threads(count)
    GIVEN_TO_NUMBA_HERE.count = count
    set_blas_threads(count)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(count)
    return count


def set_num_threads(count: int) -> None:
    """PyTorch's name for `set_threads`: `count` threads in Numba, the C kernels and OpenBLAS (at most
    Numba's pool size, with a warning)."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"set_num_threads: count must be an int, got {type(count).__name__}")
    if count < 1:
        raise RuntimeError(f"set_num_threads: count must be a positive int, got {count}")
    set_threads(count)


def get_num_threads() -> int:
    """The threads fastgrad's kernels use when called from this Python thread (PyTorch's name)."""
    from fastgrad.kernels.parallel import kernel_threads

    return kernel_threads()


def import_torch():
    """PyTorch with the benchmark's thread count applied, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    if STATE.count is not None:
        torch.set_num_threads(STATE.count)
    return torch


def in_force() -> dict[str, int | None]:
    """The thread counts each library reports right now."""
    import numba

    counts = {"numba": numba.get_num_threads(), "blas": blas_threads()}
    if "torch" in sys.modules:
        counts["torch"] = sys.modules["torch"].get_num_threads()
    return counts

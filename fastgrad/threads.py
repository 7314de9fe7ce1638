"""One thread count for every library fastgrad touches: Numba, OpenBLAS (NumPy) and, in benchmarks, PyTorch.

Ratios between implementations only mean something when all of them may use the same number of
threads, so the count is set once here and applied to PyTorch when a workload first imports it.
"""
from __future__ import annotations

import ctypes
import os
import sys

_BLAS_SETTERS = ("openblas_set_num_threads", "openblas_set_num_threads64_", "scipy_openblas_set_num_threads64_",
                 "scipy_openblas_set_num_threads")
_BLAS_GETTERS = ("openblas_get_num_threads", "openblas_get_num_threads64_", "scipy_openblas_get_num_threads64_",
                 "scipy_openblas_get_num_threads")


class _State:
    count: int | None = None  # None: each library keeps its own default


STATE = _State()


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


def _call_first(library: ctypes.CDLL, names: tuple[str, ...], *args):
    for symbol in names:
        function = getattr(library, symbol, None)
        if function is not None:
            return function(*args)
    return None


def set_blas_threads(count: int) -> int | None:
    """Limit OpenBLAS to `count` threads; returns the count it reports, or None if it cannot be set."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(count, user_api="blas")
    except ImportError:  # threadpoolctl is optional: call OpenBLAS's own setter
        for library in _loaded_openblas():
            _call_first(library, _BLAS_SETTERS, ctypes.c_int(count))
    return blas_threads()


def blas_threads() -> int | None:
    counts = [_call_first(library, _BLAS_GETTERS) for library in _loaded_openblas()]
    counts = [c for c in counts if c is not None]
    return counts[0] if counts else None


def set_threads(count: int | None) -> int:
    """Use `count` threads (default: every available core) in Numba, OpenBLAS and PyTorch."""
    import numba
    import numpy  # noqa: F401  (loads OpenBLAS so its thread count can be set)

    count = count or available_cores()
    if count < 1:
        raise ValueError(f"threads must be at least 1, got {count}")
    STATE.count = count
    numba.set_num_threads(min(count, numba.config.NUMBA_NUM_THREADS))
    set_blas_threads(count)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(count)
    return count


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

"""Backends: named views of the kernel registry (`fastgrad.kernels.registry`), one implementation per kernel.

- "numpy": vectorized NumPy (`numpy.py`), complete; the oracle the others are tested against.
- "compiled": C (cffi) and Numba kernels where they exist, NumPy for the rest.
- "python": pure-Python loops (`python_loops.py`) for the kernels of the lecture's models, NumPy for the
  rest; slow on purpose, to show what vectorizing and compiling buy.
"""
from __future__ import annotations

import contextlib
from types import SimpleNamespace

from fastgrad.backends import cuda  # noqa: F401  (torch.backends.cuda's answers and matmul switches without a GPU)
from fastgrad.backends import cudnn  # noqa: F401  (torch.backends.cudnn's flags, for seeding boilerplate)
from fastgrad.backends import mps  # noqa: F401  (torch.backends.mps's answers without Apple's GPU)
from fastgrad.profiler import PROFILE

NAMES = ("numpy", "compiled", "python")
_loaded: dict[tuple[str, bool], SimpleNamespace] = {}


def load(name: str) -> SimpleNamespace:
    """The kernel table of backend `name` (built on first use); while a profile runs, the table whose
    kernels report to it which implementation ran and for how long."""
    if name not in NAMES:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(NAMES)}")
    key = (name, PROFILE.active is not None)
    if key not in _loaded:
        from fastgrad.kernels.registry import backend_table

        _loaded[key] = backend_table(name, profiled=key[1])
    return _loaded[key]


class _Current:
    kernels: SimpleNamespace = None  # set below


CURRENT = _Current()


def set_backend(name: str) -> None:
    """Use backend `name` ("compiled", "numpy" or "python") for the ops that run from now on."""
    CURRENT.kernels = load(name)


def get_backend() -> str:
    return CURRENT.kernels.name


def get_backend_kernels() -> SimpleNamespace:
    return CURRENT.kernels


@contextlib.contextmanager
def backend(name: str):
    """`with fastgrad.backend("numpy"): ...` runs the block on another backend."""
    previous = CURRENT.kernels
    CURRENT.kernels = load(name)
    try:
        yield CURRENT.kernels
    finally:
        CURRENT.kernels = previous

"""Backends: named sets of kernels with one signature each (see `numpy.py`, the reference).

- "numpy": vectorized NumPy, complete; the oracle the others are tested against.
- "compiled": Numba and C (cffi) kernels where they exist, NumPy for the rest.
- "python": pure-Python loops for the kernels of the lecture's models, NumPy for the rest; slow on
  purpose, to show what vectorizing and compiling buy.
"""
from __future__ import annotations

import contextlib
import importlib
from types import SimpleNamespace

NAMES = ("numpy", "compiled", "python")
_MODULES = {"numpy": "fastgrad.backends.numpy", "compiled": "fastgrad.backends.compiled",
            "python": "fastgrad.backends.python_loops"}
_loaded: dict[str, SimpleNamespace] = {}


def load(name: str) -> SimpleNamespace:
    """The kernel table of backend `name` (built on first use)."""
    if name not in _MODULES:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(NAMES)}")
    if name not in _loaded:
        _loaded[name] = importlib.import_module(_MODULES[name]).build_kernel_table()
    return _loaded[name]


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


def kernel_table(name: str, *overrides: dict) -> SimpleNamespace:
    """The NumPy kernels with `overrides` applied in order, as a namespace named `name`."""
    from fastgrad.backends import numpy as reference

    table = {k: v for k, v in vars(reference).items() if callable(v) and not k.startswith("_")}
    for override in overrides:
        table.update(override)
    return SimpleNamespace(name=name, **table)

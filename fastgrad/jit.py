"""`fastgrad.jit`, as torch.jit for code that guards or annotates itself for TorchScript: nothing is ever
scripted or traced (`is_scripting()` and `is_tracing()` are False), and the annotating decorators give the
function back as it is. `script`, `trace`, `save` and `load` raise: see `script` for why.
"""
from __future__ import annotations

import warnings
from typing import Callable, Final  # noqa: F401  (torch.jit.Final is typing.Final)


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def ignore(drop: "bool | Callable" = False, **kwargs):
    """`@ignore` and `@ignore(drop=...)`: the function as it is (it is never compiled, so never skipped)."""
    if callable(drop):
        return drop
    if drop:
        warnings.warn("ignore(drop=True) is deprecated, as in PyTorch: use fastgrad.jit.unused", FutureWarning,
                      stacklevel=2)
    return lambda fn: fn


def unused(fn: Callable) -> Callable:
    return fn


def export(fn: Callable) -> Callable:
    return fn


def script_if_tracing(fn: Callable) -> Callable:
    return fn


def _no_torchscript(name: str):
    raise NotImplementedError(
        f"fastgrad.jit.{name}: fastgrad has no TorchScript; run the module or function as it is (fastgrad runs "
        f"eagerly, with compiled kernels), and save its state_dict with fastgrad.save")


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """Raises NotImplementedError. Giving `obj` back to run eagerly was the alternative, and was rejected:
    what scripting is for is a program that is type-checked and can be saved and run without Python
    (`.save`, `.code`, `.graph`), none of which fastgrad can make; a script that seemed to script here would
    then fail at its next step, or pass code that TorchScript rejects."""
    _no_torchscript("script")


def trace(func, example_inputs=None, *args, **kwargs):
    """Raises NotImplementedError, as `script` does and for its reasons."""
    _no_torchscript("trace")


def save(m, f, _extra_files=None) -> None:
    _no_torchscript("save")


def load(f, map_location=None, _extra_files=None):
    _no_torchscript("load")

"""autocast and the functions that report and set its state, with torch's names and argument checks.

Autocast runs chosen ops in float16 or bfloat16, which fastgrad lacks, so it is never on: a disabled
autocast is a working context manager and decorator, and one that PyTorch would enable raises. Where
PyTorch itself disables autocast with a warning (a CUDA autocast without CUDA, a CPU one asked for a dtype
it does not support), fastgrad warns and disables it the same way.
"""
from __future__ import annotations

import functools
import warnings

from fastgrad.dtypes import AbsentDtype, as_dtype
from fastgrad.tensor import device as _device

_NOT_AVAILABLE = ("autocast: fastgrad has no float16 or bfloat16, so it cannot run ops in lower precision; use "
                  "autocast(device_type='cpu', enabled=False), which runs in float32")


class _AutocastState:
    cache_enabled = True


STATE = _AutocastState()


def device_type_of(where: str, device_type) -> str:
    if not isinstance(device_type, str):
        raise TypeError(f"{where}(): argument 'device_type' must be str, not {type(device_type).__name__}")
    kind = device_type.split(":")[0]
    if kind != "cuda":
        _device(device_type)  # the CPU, or the error of any other device
    return kind


def _check_bool(where: str, name: str, value) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{where}(): argument '{name}' must be bool, not {type(value).__name__}")


class autocast:
    """`with autocast(device_type="cpu", enabled=False):` or as a decorator; see the module's docstring."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"autocast: expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type_of("autocast", device_type)
        # float16 and bfloat16 are names without tensors here: an autocast to them is what raises below
        self.fast_dtype = dtype if dtype is None or isinstance(dtype, AbsentDtype) else as_dtype(dtype)
        self._cache_enabled = STATE.cache_enabled if cache_enabled is None else bool(cache_enabled)
        self._enabled = bool(enabled)
        if self._enabled and self.device == "cuda":
            warnings.warn("autocast: CUDA is not available. Disabling autocast.", UserWarning, stacklevel=2)
            self._enabled = False
        elif self._enabled and self.fast_dtype is not None and not isinstance(self.fast_dtype, AbsentDtype):
            warnings.warn(f"autocast: in CPU autocast, but the target dtype {self.fast_dtype} is not supported. "
                          f"Disabling autocast. CPU autocast supports only float16 and bfloat16, which fastgrad "
                          f"lacks.", UserWarning, stacklevel=2)
            self._enabled = False
        if self._enabled:
            raise NotImplementedError(_NOT_AVAILABLE)

    def __enter__(self) -> "autocast":
        self._previous_cache = STATE.cache_enabled
        STATE.cache_enabled = self._cache_enabled
        return self

    def __exit__(self, *exc) -> None:
        STATE.cache_enabled = self._previous_cache

    def __call__(self, fn):
        @functools.wraps(fn)
        def autocast_off(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, False, self._cache_enabled):
                return fn(*args, **kwargs)
        return autocast_off


def is_autocast_available(device_type: str) -> bool:
    """False: fastgrad cannot autocast on any device (PyTorch answers True for the CPU)."""
    device_type_of("is_autocast_available", device_type)
    return False


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """False on every device (None: CUDA's, as in PyTorch)."""
    if device_type is not None:
        device_type_of("is_autocast_enabled", device_type)
    return False


def set_autocast_enabled(*args) -> None:
    """`set_autocast_enabled(device_type, enabled)` or `set_autocast_enabled(enabled)` (CUDA's): only False."""
    if len(args) not in (1, 2):
        raise TypeError(f"set_autocast_enabled(): expected (device_type, enabled) or (enabled), got {len(args)} "
                        f"arguments")
    if len(args) == 2:
        device_type_of("set_autocast_enabled", args[0])
    _check_bool("set_autocast_enabled", "enabled", args[-1])
    if args[-1]:
        raise NotImplementedError(_NOT_AVAILABLE)


def is_autocast_cache_enabled() -> bool:
    return STATE.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    if not isinstance(enabled, bool):
        raise TypeError(f"set_autocast_cache_enabled: enabled must be a bool (got {type(enabled).__name__})")
    STATE.cache_enabled = enabled


def clear_autocast_cache() -> None:
    """Nothing is cached: autocast never casts in fastgrad."""

"""The process-wide switches that PyTorch scripts set at start-up, with torch's names, arguments and checks.

What each changes in fastgrad:
- deterministic algorithms: every kernel of fastgrad's ops is deterministic already (a threaded loop
  gives each thread its own outputs and adds in a fixed order), so the flag is kept and reported, and no op
  needs to raise or warn under it. (word2vec's Hogwild training, which is not an op, is not deterministic
  with more than one worker, and does not read the flag.)
- float32 matmul precision: kept and reported; fastgrad's float32 products always run at "highest".
- default device: the CPU is the only one; any other device raises, as `device=` arguments do.
- inter-op threads: kept and reported; fastgrad has no inter-op pool (ops run one after another in the
  calling thread), so the count changes nothing. Intra-op threads are `set_num_threads`.
- flush denormal: not supported (False, as PyTorch answers on a CPU without it); denormals stay.
- warn always: kept and reported; fastgrad's warnings go through Python's `warnings`, whose filters decide
  whether one is repeated.
"""
from __future__ import annotations

import warnings

from fastgrad.tensor import CPU
from fastgrad.tensor import device as _device

_DEBUG_MODES = ("default", "warn", "error")
_MATMUL_PRECISIONS = ("highest", "high", "medium")


class _Switches:
    deterministic = False
    deterministic_warn_only = False
    float32_matmul_precision = "highest"
    num_interop_threads = 1
    warn_always = False


SWITCHES = _Switches()


def _check_bool(where: str, name: str, value) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{where}(): argument '{name}' must be bool, not {type(value).__name__}")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms only (every fastgrad op already is one)."""
    _check_bool("use_deterministic_algorithms", "mode", mode)
    _check_bool("use_deterministic_algorithms", "warn_only", warn_only)
    SWITCHES.deterministic, SWITCHES.deterministic_warn_only = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return SWITCHES.deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return SWITCHES.deterministic_warn_only


def set_deterministic_debug_mode(debug_mode: "int | str") -> None:
    """0 or "default": off; 1 or "warn": on, warning only; 2 or "error": on (use_deterministic_algorithms)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"set_deterministic_debug_mode: invalid value of debug_mode, expected one of "
                               f"`default`, `warn`, `error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif not isinstance(debug_mode, int):
        raise TypeError(f"set_deterministic_debug_mode: debug_mode must be str or int, but got "
                        f"{type(debug_mode).__name__}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"set_deterministic_debug_mode: invalid value of debug_mode, expected 0, 1, or 2, but "
                           f"got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    if not SWITCHES.deterministic:
        return 0
    return 1 if SWITCHES.deterministic_warn_only else 2


def set_float32_matmul_precision(precision: str) -> None:
    """"highest", "high" or "medium", as PyTorch's (another string warns and changes nothing)."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _MATMUL_PRECISIONS:
        warnings.warn(f"set_float32_matmul_precision: {precision} is not one of 'highest', 'high', or 'medium'; the "
                      f"call has no effect", UserWarning, stacklevel=2)
        return
    SWITCHES.float32_matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return SWITCHES.float32_matmul_precision


def set_default_device(device: "str | _device | None") -> None:
    """None or the CPU (the only device fastgrad has); anything else raises as `device=` arguments do."""
    if device is None:
        return
    if isinstance(device, bool) or not isinstance(device, (_device, str, int)):
        raise TypeError(f"set_default_device: device must be a fastgrad.device, a string such as 'cpu' or None, "
                        f"got {type(device).__name__}")
    _device(device if not isinstance(device, int) else f"cuda:{device}")  # (an int names an accelerator)


def get_default_device() -> _device:
    return CPU


def _check_thread_count(where: str, count) -> None:
    if isinstance(count, bool) or not isinstance(count, int):
        raise RuntimeError(f"{where} expects an int, but got {type(count).__name__}")
    if count <= 0:
        raise RuntimeError(f"{where} expects a positive integer, got {count}")


def set_num_interop_threads(count: int) -> None:
    _check_thread_count("set_num_interop_threads", count)
    SWITCHES.num_interop_threads = count


def get_num_interop_threads() -> int:
    return SWITCHES.num_interop_threads


def set_flush_denormal(mode: bool) -> bool:
    """Whether denormal numbers are now flushed to zero: never in fastgrad (False, as PyTorch's answer where
    the CPU cannot), so results keep their denormals."""
    if not isinstance(mode, bool):
        raise RuntimeError(f"flush_denormal expects a bool, but got {type(mode).__name__}")
    return False


def set_warn_always(b: bool) -> None:
    if not isinstance(b, bool):
        raise RuntimeError(f"set_warn_always expects a bool, but got {type(b).__name__}")
    SWITCHES.warn_always = b


def is_warn_always_enabled() -> bool:
    return SWITCHES.warn_always

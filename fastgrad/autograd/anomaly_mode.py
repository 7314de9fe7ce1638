"""Anomaly mode, as torch.autograd's: while it is on (with check_nan), a backward step that returns NaN in
any gradient raises, naming the op, instead of letting the NaN reach the parameters.

PyTorch's anomaly mode also keeps each op's forward traceback and prints it when a backward step fails;
fastgrad's does not (the error names the op only).
"""
from __future__ import annotations

import warnings

import numpy as np


class _AnomalyMode:
    """Global to the process, as PyTorch's."""

    enabled = False
    check_nan = True


ANOMALY_MODE = _AnomalyMode()


def _check_flag(where: str, name: str, value) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{where}(): argument '{name}' must be bool, not {type(value).__name__}")


def is_anomaly_enabled() -> bool:
    return ANOMALY_MODE.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY_MODE.check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Anomaly mode on or off, with or without the NaN check (as torch.set_anomaly_enabled)."""
    _check_flag("set_anomaly_enabled", "enabled", enabled)
    _check_flag("set_anomaly_enabled", "check_nan", check_nan)
    ANOMALY_MODE.enabled, ANOMALY_MODE.check_nan = enabled, check_nan


class detect_anomaly:
    """Anomaly mode on inside a `with` block (warning, as PyTorch's, that it slows backward down)."""

    def __init__(self, check_nan: bool = True):
        _check_flag("set_anomaly_enabled", "check_nan", check_nan)
        self.check_nan = check_nan
        self._previous = None
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        self._previous = ANOMALY_MODE.enabled, ANOMALY_MODE.check_nan
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(*self._previous)


class set_detect_anomaly:
    """Anomaly mode set now (a plain call) or for a `with` block, after which the old setting returns."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._previous = ANOMALY_MODE.enabled, ANOMALY_MODE.check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(*self._previous)


def check_backward_step(op, input_grads) -> None:
    """In anomaly mode with check_nan: raise if one of op's input gradients (arrays or tensors) holds NaN."""
    for position, grad in enumerate(input_grads):
        array = getattr(grad, "_data", grad)  # (a row-sparse gradient is not checked)
        if isinstance(array, np.ndarray) and array.dtype.kind == "f" and np.isnan(array).any():
            raise RuntimeError(f"Function '{op.__name__}Backward' returned nan values in its {position}th output.")

"""Grad mode: whether ops record the graph (`no_grad`, `enable_grad`, `is_grad_enabled`)."""
from __future__ import annotations

import functools


class _GradMode:
    enabled = True


GRAD_MODE = _GradMode()


def is_grad_enabled() -> bool:
    return GRAD_MODE.enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode and restores the previous one."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._previous: list[bool] = []

    def __enter__(self):
        self._previous.append(GRAD_MODE.enabled)
        GRAD_MODE.enabled = self.enabled
        return self

    def __exit__(self, *exc) -> None:
        GRAD_MODE.enabled = self._previous.pop()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _SetGradMode(self.enabled):
                return fn(*args, **kwargs)

        return wrapper


def no_grad() -> _SetGradMode:
    """Ops inside do not record the graph (evaluation, optimizer steps)."""
    return _SetGradMode(False)


def enable_grad() -> _SetGradMode:
    return _SetGradMode(True)


class set_grad_enabled:
    """Set grad mode now (a plain call), or for a `with` block, after which the old mode returns."""

    def __init__(self, mode: bool):
        self._previous = GRAD_MODE.enabled
        GRAD_MODE.enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        GRAD_MODE.enabled = self._previous

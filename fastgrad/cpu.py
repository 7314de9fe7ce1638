"""`fastgrad.cpu`, as torch.cpu: the one CPU device is always there, and work on it is done when a call
returns, so synchronizing waits for nothing and streams order nothing."""
from __future__ import annotations

import contextlib


class Stream:
    """torch.cpu.Stream's stand-in: every op has finished by the time it returns, so there is nothing to order."""

    def __init__(self, priority: int = -1):
        pass

    def wait_stream(self, stream: "Stream") -> None:
        pass


def is_available() -> bool:
    return True


def is_initialized() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def set_device(device) -> None:
    """Does nothing, as torch.cpu.set_device (the CPU is the only device)."""


def synchronize(device=None) -> None:
    """Returns at once: every op has finished when its call returns."""


def current_stream(device=None) -> Stream:
    return Stream()


def stream(stream: Stream) -> contextlib.AbstractContextManager:
    """A context that changes nothing (as torch.cpu.stream, it gives None to `as`)."""
    return contextlib.nullcontext()

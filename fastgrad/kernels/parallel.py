"""Loops compiled twice, threaded (`parallel=True`) and serial, the size of each call choosing.

Waking a thread pool costs more than a small loop, and when other processes hold the cores a
wake-up can wait a whole scheduler slice (~20 ms) even for a few rows. So calls below
PARALLEL_MIN_ELEMENTS run the serial build (PyTorch's "grain size" plays the same role), and so does
every call while Numba runs one thread: the threaded build's launch costs about 4 us even then (the
embedding bag's gradient loop: 45 us threaded, 41 us serial, at one thread).
"""
from __future__ import annotations

import types

import numba
from numba import njit

from fastgrad.threads import GIVEN_TO_NUMBA_HERE, STATE

PARALLEL_MIN_ELEMENTS = 1 << 16


def kernel_threads() -> int:
    """The threads a kernel called from this Python thread may use. Numba keeps its count per Python
    thread, so fastgrad's count (`set_threads`, maybe called in another thread) is given to Numba here
    first if this thread has not had it yet; a count set with numba.set_num_threads after that stands."""
    if STATE.count is not None and getattr(GIVEN_TO_NUMBA_HERE, "count", None) != STATE.count:
        numba.set_num_threads(STATE.count)
        GIVEN_TO_NUMBA_HERE.count = STATE.count
    return numba.get_num_threads()


class ThreadedOrSerial:
    def __init__(self, loop):
        self.threaded = njit(cache=True, parallel=True)(loop)
        # A copy under another name, so that Numba's on-disk cache keeps the two builds apart.
        serial_loop = types.FunctionType(loop.__code__, loop.__globals__, f"{loop.__name__}_serial",
                                         loop.__defaults__, loop.__closure__)
        serial_loop.__qualname__ = f"{loop.__qualname__}_serial"
        self.serial = njit(cache=True)(serial_loop)

    def __call__(self, elements: int, *args):
        """Run on `args`; `elements` is the amount of work (e.g. rows x width)."""
        loop = self.threaded if elements >= PARALLEL_MIN_ELEMENTS and kernel_threads() > 1 else self.serial
        return loop(*args)

    @property
    def signatures(self) -> list:
        """Every specialisation compiled so far, of both builds."""
        return list(self.serial.signatures) + list(self.threaded.signatures)


def threaded_or_serial(loop) -> ThreadedOrSerial:
    """Decorator for a loop written with `prange`."""
    return ThreadedOrSerial(loop)

"""Loops compiled twice, threaded (`parallel=True`) and serial, the size of each call choosing.

Waking a thread pool costs more than a small loop, and when other processes hold the cores a
wake-up can wait a whole scheduler slice (~20 ms) even for a few rows. So calls below
PARALLEL_MIN_ELEMENTS run the serial build (PyTorch's "grain size" plays the same role), and so does
every call while Numba runs one thread: the threaded build's launch costs about 4 us even then (the
embedding bag's gradient loop: 45 us threaded, 41 us serial, at one thread).

Some work splits better into independent parts, one per thread, than inside each part by every library's
own threads: `split_across_threads` runs such parts at once, each with BLAS and the kernels at one thread.
"""
from __future__ import annotations

import functools
import threading
import types
from typing import Callable

import numba
from numba import njit

from fastgrad.threads import GIVEN_TO_NUMBA_HERE, STATE, blas_on_one_thread, can_pause_blas_threads

PARALLEL_MIN_ELEMENTS = 1 << 16
# Below this many elements work is not split across Python threads: starting and joining a thread costs
# about 0.15-0.3 ms, what an SGD update of some 300,000 float32 weights takes.
SPLIT_MIN_ELEMENTS = 1 << 20


def kernel_threads() -> int:
    """The threads a kernel called from this Python thread may use. Numba keeps its count per Python
    thread, so fastgrad's count (`set_threads`, maybe called in another thread) is given to Numba here
    first if this thread has not had it yet; a count set with numba.set_num_threads after that stands."""
    if STATE.count is not None and getattr(GIVEN_TO_NUMBA_HERE, "count", None) != STATE.count:
        numba.set_num_threads(STATE.count)
        GIVEN_TO_NUMBA_HERE.count = STATE.count
    return numba.get_num_threads()


class ThreadedOrSerial:
    def __init__(self, loop, **options):
        """`options`: further njit options for both builds (e.g. error_model)."""
        self.threaded = njit(cache=True, parallel=True, **options)(loop)
        # A copy under another name, so that Numba's on-disk cache keeps the two builds apart.
        serial_loop = types.FunctionType(loop.__code__, loop.__globals__, f"{loop.__name__}_serial",
                                         loop.__defaults__, loop.__closure__)
        serial_loop.__qualname__ = f"{loop.__qualname__}_serial"
        self.serial = njit(cache=True, **options)(serial_loop)

    def __call__(self, elements: int, *args):
        """Run on `args`; `elements` is the amount of work (e.g. rows x width)."""
        loop = self.threaded if elements >= PARALLEL_MIN_ELEMENTS and kernel_threads() > 1 else self.serial
        return loop(*args)

    @property
    def signatures(self) -> list:
        """Every specialisation compiled so far, of both builds."""
        return list(self.serial.signatures) + list(self.threaded.signatures)


def threaded_or_serial(loop=None, **options):
    """Decorator for a loop written with `prange`: `@threaded_or_serial`, or `@threaded_or_serial(**options)`
    to give both builds further njit options."""
    if loop is None:
        return functools.partial(ThreadedOrSerial, **options)
    return ThreadedOrSerial(loop, **options)


def threads_for_parts(elements: int) -> int:
    """How many threads `split_across_threads` should be given parts for, for work of `elements` (e.g.
    rows x width): the kernels' count, or 1 for small work or when BLAS's count cannot be held at one."""
    if elements < SPLIT_MIN_ELEMENTS or not can_pause_blas_threads():
        return 1
    return kernel_threads()


def split_across_threads(parts: list[Callable[[], object]]) -> list:
    """Run `parts` (functions without arguments) at once, one per thread, this thread taking the first,
    each with BLAS and the kernels at one thread, so that len(parts) threads work in total; returns their
    results in order, or raises the first part's exception. Gives `threads_for_parts` parts or fewer: the
    others' threads would compete with them for the cores."""
    if len(parts) == 1:
        return [parts[0]()]
    results, errors = [None] * len(parts), [None] * len(parts)

    def run(index: int) -> None:
        kernel_threads()  # fastgrad's count given to this thread first, so that the one below stands
        before = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            results[index] = parts[index]()
        except BaseException as error:  # noqa: BLE001 - raised in the calling thread below
            errors[index] = error
        finally:
            numba.set_num_threads(before)

    with blas_on_one_thread():
        others = [threading.Thread(target=run, args=(index,), name=f"fastgrad-part-{index}")
                  for index in range(1, len(parts))]
        for thread in others:
            thread.start()
        run(0)
        for thread in others:
            thread.join()
    for error in errors:
        if error is not None:
            raise error
    return results


def map_across_threads(function: Callable, items: list, sizes: list[int]) -> list:
    """[function(item) for item in items], the items shared among `threads_for_parts` threads (each with
    BLAS and the kernels at one thread), so that each thread gets about as many elements: the largest
    items first, each to the thread with the fewest elements so far. `sizes`: each item's elements."""
    threads = min(threads_for_parts(sum(sizes)), len(items))
    if threads <= 1:
        return [function(item) for item in items]
    shares, loads = [[] for _ in range(threads)], [0] * threads
    for index in sorted(range(len(items)), key=lambda i: -sizes[i]):
        lightest = loads.index(min(loads))
        shares[lightest].append(index)
        loads[lightest] += sizes[index]
    results = [None] * len(items)

    def run_share(share: list[int]) -> None:
        for index in sorted(share):
            results[index] = function(items[index])

    split_across_threads([functools.partial(run_share, share) for share in shares])
    return results

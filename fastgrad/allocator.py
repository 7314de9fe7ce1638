"""Large arrays without fresh page faults: glibc's malloc keeps freed blocks of up to 32 MB for reuse.

By default glibc serves every allocation above 128 KB (a threshold it raises as blocks are freed) with a
fresh mmap and hands freed top-of-heap memory back to the kernel, so a training step that allocates
the same few-MB arrays every time (gate buffers, gradients, a block of logits) touches new pages every
time, and each first touch is a page fault: in a virtual machine, a few microseconds per 4 KB page.
Measured on the 2-core VM of docs/benchmarks.md, one LSTM layer's backward (T=35, B=20, H=200) took
25-26 ms with the defaults and 17-18 ms with these settings (34000 -> 15000 page faults over 13 calls).
The price: freed memory stays in the process (up to TRIM_THRESHOLD above what is in use), so its
resident size stays at its high-water mark, as it does with PyTorch's or any caching allocator.
Applied once when fastgrad is imported, on glibc only, unless the user set malloc's own variables.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed: blocks above it are still mapped and unmapped
TRIM_THRESHOLD = 512 << 20  # free memory at the heap's top beyond this goes back to the kernel
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")


def keep_freed_blocks() -> bool:
    """Set the thresholds; returns whether they were set (glibc, and no user setting to respect)."""
    if any(name in os.environ for name in _USER_SETTINGS):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


APPLIED = keep_freed_blocks()

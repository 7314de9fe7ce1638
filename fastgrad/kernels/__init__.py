"""Numba kernels, one module per family, with the signatures of `fastgrad.backends.numpy`; and the kernel
registry (`registry.py`), which declares every kernel's NumPy, Numba, C and loop implementations and the
checks in front of the compiled ones.

Importing compiles nothing: each Numba kernel compiles on its first call, once per float dtype, and is
cached on disk (`cache=True`), so later processes load it instead.
"""
from fastgrad.kernels.registry import KERNELS, describe

__all__ = ["KERNELS", "describe"]

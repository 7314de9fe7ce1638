"""The compiled backend: Numba kernels (fastgrad.kernels) and C kernels (fastgrad._native) over the
NumPy reference; C wins where both exist. A missing C library falls back with one warning."""
from __future__ import annotations

name = "compiled"


def build_kernel_table():
    from fastgrad import _native, kernels
    from fastgrad.backends import kernel_table

    return kernel_table(name, kernels.KERNELS, _native.KERNELS)

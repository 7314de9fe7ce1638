"""Argument checks shared by the kernel wrappers.

Compiled loops trust their inputs: an out-of-range index would read or write outside an array. So
every wrapper passes its arguments through these checks first, and they also pin the types the
jitted code sees (C-contiguous float32/float64 arrays, int64 indices), so each kernel compiles at
most once per float dtype whatever the shapes or layouts it is called with.
"""
from __future__ import annotations

import numpy as np
from numba import njit

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# The scans below are compiled rather than NumPy reductions: right after a compiled kernel, a NumPy
# ids.min() measured ~10 us slower than on its own, while these loops cost under 1 us for a batch of
# ids (docs/notes/numba.md).
@njit(cache=True)
def _min_max(values):
    low = high = values[0]
    for i in range(1, values.size):
        low = min(low, values[i])
        high = max(high, values[i])
    return low, high


@njit(cache=True)
def first_out_of_order(values, strictly):
    """The first i with values[i] < values[i-1] (<= when `strictly`), or -1 if they are sorted."""
    for i in range(1, values.size):
        if values[i] < values[i - 1] or (strictly and values[i] == values[i - 1]):
            return i
    return -1


def float_array(name: str, x: np.ndarray, ndim: int | None = None) -> np.ndarray:
    """`x` as a C-contiguous float32/float64 array (no copy when it already is one).

    NumPy scalars pass as 0-d arrays: NumPy returns them from arithmetic on 0-d arrays.
    """
    if isinstance(x, np.generic):
        x = np.asarray(x)
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name}: expected dtype float32 or float64, got {x.dtype}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got shape {x.shape}")
    return np.asarray(x, order="C")


def common_float_arrays(**arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays, each checked by `float_array`, as C-contiguous arrays of one dtype: NumPy's promotion
    of theirs (float32 with float64 gives float64), so a kernel sees a single float type."""
    checked = [float_array(name, x) for name, x in arrays.items()]
    dtype = np.result_type(*checked)
    return [np.ascontiguousarray(x, dtype=dtype) for x in checked]


def writable_float_array(name: str, x: np.ndarray, ndim: int) -> np.ndarray:
    """An array updated in place: it must already be C-contiguous and writable, since working on a
    copy would silently drop the update."""
    float_array(name, x, ndim)
    if not x.flags.c_contiguous:
        raise ValueError(f"{name}: expected a C-contiguous array to update in place, got strides {x.strides}")
    if not x.flags.writeable:
        raise ValueError(f"{name}: expected a writable array, got a read-only one")
    return x


def like(name: str, x: np.ndarray, reference_name: str, reference: np.ndarray) -> np.ndarray:
    """`x` checked to have the shape and dtype of `reference`, as a C-contiguous array."""
    if isinstance(x, np.generic):
        x = np.asarray(x)
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray, got {type(x).__name__}")
    if x.dtype != reference.dtype:
        raise TypeError(f"{name}: expected dtype {reference.dtype} (that of {reference_name}), got {x.dtype}")
    if x.shape != reference.shape:
        raise ValueError(f"{name}: expected shape {reference.shape} (that of {reference_name}), got {x.shape}")
    return np.asarray(x, order="C")


def index_array(name: str, ids: np.ndarray, size: int | None) -> np.ndarray:
    """Integer `ids` as a C-contiguous int64 array, each in [0, size) (only >= 0 when size is None).

    The IndexError names the first offending index, its position and the size.
    """
    if not isinstance(ids, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray of integers, got {type(ids).__name__}")
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected an integer dtype, got {ids.dtype}")
    if ids.dtype == np.uint64 and ids.size and ids.max() > np.iinfo(np.int64).max:
        raise IndexError(f"{name}: index {int(ids.max())} is out of range (size {size})")
    checked = np.asarray(ids, dtype=np.int64, order="C")
    if checked.size:
        low, high = _min_max(checked.reshape(-1))
        if low < 0 or (size is not None and high >= size):
            bad = low if low < 0 else high
            position = np.unravel_index(int(np.argmax(checked == bad)), ids.shape)
            bound = "a non-negative index" if size is None else f"0 <= index < {size}"
            raise IndexError(f"{name}: index {int(bad)} at position {position} is out of range "
                             f"(expected {bound}, size {size})")
    return checked


def offsets_array(offsets: np.ndarray, num_ids: int) -> np.ndarray:
    """Bag start positions: 1-D integers, offsets[0] == 0, non-decreasing, all <= num_ids."""
    if not isinstance(offsets, np.ndarray):
        raise TypeError(f"offsets: expected a numpy.ndarray of integers, got {type(offsets).__name__}")
    if offsets.dtype.kind not in "iu":
        raise TypeError(f"offsets: expected an integer dtype, got {offsets.dtype}")
    if offsets.ndim != 1:
        raise ValueError(f"offsets: expected a 1-D array, got shape {offsets.shape}")
    if offsets.size == 0:
        if num_ids:
            raise IndexError(f"offsets: empty, but there are {num_ids} ids to put in bags")
        return np.zeros(0, dtype=np.int64)
    checked = np.asarray(offsets, dtype=np.int64, order="C")
    if checked[0] != 0:
        raise IndexError(f"offsets: offsets[0] must be 0, got {int(offsets[0])}")
    at = first_out_of_order(checked, False)
    if at >= 0:
        raise IndexError(f"offsets: must be non-decreasing, but offsets[{at}] = {int(offsets[at])} "
                         f"< offsets[{at - 1}] = {int(offsets[at - 1])}")
    if checked[-1] > num_ids:
        raise IndexError(f"offsets: last offset {int(offsets[-1])} is past the end of ids (size {num_ids})")
    return checked

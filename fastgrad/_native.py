"""The Python face of fastgrad's C kernels (csrc/); the only module that imports them.

Each kernel has the signature and return convention of the NumPy reference of the same name in
fastgrad/backends/numpy.py. The C code trusts its arguments: the kernel registry runs the kernel's
check from `fastgrad.kernels.checks` first (types, shapes, index ranges, one C-contiguous float
dtype). Large matrix products stay in NumPy (BLAS); C does the fused passes between them. If the
compiled library is missing, this module still imports with AVAILABLE False, and the registry falls
back to the Numba or NumPy kernels (with one warning).
"""
from __future__ import annotations

import numpy as np

try:
    from fastgrad._native_lib import ffi, lib
except ImportError as error:  # not built (or built for another Python): fall back to NumPy
    IMPORT_ERROR: ImportError | None = error
else:
    IMPORT_ERROR = None

AVAILABLE = IMPORT_ERROR is None
_C_ARRAY_TYPES = {np.dtype(np.float32): "float[]", np.dtype(np.float64): "double[]"}

# Below this many elements a row-parallel loop runs on one thread: waking the thread pool costs more
# than the work, and on a busy machine a wake-up can wait a whole scheduler slice (~20 ms).
PARALLEL_MIN_ELEMENTS = 1 << 16


def _pointer(array: np.ndarray):
    """A C pointer to the array's data; valid while the array lives (the caller holds it)."""
    return ffi.from_buffer(_C_ARRAY_TYPES[array.dtype], array)


def _by_dtype(name: str) -> dict:
    """The float32 and float64 versions of C kernel `name`, keyed by NumPy dtype."""
    return {np.dtype(np.float32): getattr(lib, f"{name}_f32"), np.dtype(np.float64): getattr(lib, f"{name}_f64")}


def _num_threads(elements: int) -> int:
    """Threads for row-parallel C loops: fastgrad's one thread count (`fastgrad.threads`), which Numba's
    setting carries; one thread for small inputs."""
    if elements < PARALLEL_MIN_ELEMENTS:
        return 1
    import numba

    return numba.get_num_threads()


# -- fused softmax cross-entropy -------------------------------------------------------------------
def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray, ignore_index: int, reduction: str,
                          need_grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Cross-entropy of softmax(logits) (N, C) against int64 targets (N,), and d loss / d logits.

    Same conventions as the NumPy reference: loss is 0-d for "mean"/"sum", (N,) for "none" ("mean"
    over the counted rows, NaN when all are ignored); dlogits = softmax - onehot, divided by the
    count for "mean", zero on ignored rows. Per-row losses are summed in float64.
    """
    rows, classes = logits.shape
    count = rows - int(np.count_nonzero(targets == ignore_index))
    grad_scale = 1.0 / count if reduction == "mean" and count else 1.0
    row_loss = np.empty(rows, dtype=np.float64)
    dlogits = np.empty_like(logits) if need_grad else None
    _SOFTMAX_XENT[logits.dtype](_pointer(logits), ffi.from_buffer("int64_t[]", targets), rows, classes,
                                ignore_index, grad_scale, _pointer(row_loss),
                                _pointer(dlogits) if need_grad else ffi.NULL, _num_threads(logits.size))
    if reduction == "none":
        loss = row_loss.astype(logits.dtype)
    elif reduction == "sum":
        loss = np.asarray(row_loss.sum(), dtype=logits.dtype)
    else:
        loss = np.asarray(row_loss.sum() / count if count else np.nan, dtype=logits.dtype)
    return loss, dlogits


# -- elementwise exp/tanh as the kernels compute them (for accuracy tests and measurements) --------
def _elementwise(name: str, x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x)
    if x.dtype not in _C_ARRAY_TYPES:
        raise TypeError(f"x: expected dtype float32 or float64, got {x.dtype}")
    out = np.empty_like(x)
    getattr(lib, f"fg_{name}_{'f32' if x.dtype == np.float32 else 'f64'}")(_pointer(x), x.size, _pointer(out))
    return out


def exp(x: np.ndarray) -> np.ndarray:
    """The polynomial exp of the softmax kernel, elementwise."""
    return _elementwise("exp", x)


def tanh(x: np.ndarray) -> np.ndarray:
    """The tanh of the gated recurrent kernels, elementwise."""
    return _elementwise("tanh", x)


def simd_level() -> int:
    """Instruction set the kernels run with: 0 baseline (SSE2/NEON), 1 AVX2+FMA, 2 AVX-512."""
    return lib.fg_simd_level()


def set_simd_level(level: int) -> int:
    """Run the kernels at most at `level` (clamped to what the CPU has); returns the level in use."""
    return lib.fg_set_simd_level(int(level))


def max_simd_level() -> int:
    return lib.fg_max_simd_level()


if AVAILABLE:
    _SOFTMAX_XENT = _by_dtype("fg_softmax_xent")
else:
    class _MissingLibrary:
        """Stands in for lib, ffi and the kernel tables: any use raises, naming the import error."""

        def _fail(self, *args):
            raise RuntimeError(f"fastgrad's C kernels are not built ({IMPORT_ERROR}); run `pip install -e .`")

        __getattr__ = __getitem__ = _fail

    lib = ffi = _SOFTMAX_XENT = _MissingLibrary()

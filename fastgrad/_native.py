"""The checked Python face of fastgrad's C kernels (csrc/); the only module that imports them.

Each kernel has the signature and return convention of the NumPy reference of the same name in
fastgrad/backends/numpy.py. The C code trusts its arguments, so every wrapper first checks types and
shapes (ValueError/TypeError naming the argument, what was expected and what came) and index ranges
(IndexError naming the bad index and the size), promotes the float inputs to one dtype as NumPy
would, and makes them C-contiguous. Large matrix products stay in NumPy (BLAS); C does the fused
passes between them. If the compiled library is missing, this module still imports: AVAILABLE is
False and KERNELS is {} (with one warning when first asked), so the NumPy kernels are used.
"""
from __future__ import annotations

import warnings

import numpy as np

try:
    from fastgrad._native_lib import ffi, lib
except ImportError as error:  # not built (or built for another Python): fall back to NumPy
    IMPORT_ERROR: ImportError | None = error
else:
    IMPORT_ERROR = None

AVAILABLE = IMPORT_ERROR is None
NONLINEARITIES = ("tanh", "relu")
REDUCTIONS = ("none", "sum", "mean")
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_C_ARRAY_TYPES = {np.dtype(np.float32): "float[]", np.dtype(np.float64): "double[]"}


# -- argument checks -------------------------------------------------------------------------------
def _floats(**arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays as C-contiguous arrays of one float dtype (NumPy's promotion of theirs)."""
    for name, array in arrays.items():
        if not isinstance(array, np.ndarray):
            raise TypeError(f"{name}: expected a numpy.ndarray, got {type(array).__name__}")
        if array.dtype not in _FLOAT_DTYPES:
            raise TypeError(f"{name}: expected dtype float32 or float64, got {array.dtype}")
    dtypes = {array.dtype for array in arrays.values()}
    dtype = dtypes.pop() if len(dtypes) == 1 else np.dtype(np.float64)
    return [np.ascontiguousarray(array, dtype=dtype) for array in arrays.values()]


def _expect_shape(name: str, array: np.ndarray, shape: tuple[int, ...], symbols: str) -> None:
    if array.shape != shape:
        raise ValueError(f"{name}: expected shape {symbols} = {shape}, got {array.shape}")


def _expect_ndim(name: str, array: np.ndarray, ndim: int, symbols: str) -> None:
    if array.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array {symbols}, got shape {array.shape}")


def _accumulator(name: str, array: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An output array to add into in place: right shape and dtype, writable and C-contiguous
    (a converted copy would silently lose the update)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray, got {type(array).__name__}")
    if array.shape != shape or array.dtype != dtype:
        raise ValueError(f"{name}: expected a {dtype} array of shape {shape}, got {array.dtype} {array.shape}")
    if not (array.flags.c_contiguous and array.flags.writeable):
        raise ValueError(f"{name}: expected a writable C-contiguous array to accumulate into")
    return array


def _targets(targets: np.ndarray, rows: int, classes: int, ignore_index: int) -> tuple[np.ndarray, int]:
    """Targets as C-contiguous int64, each in [0, classes) or == ignore_index; and the count of
    rows that are not ignored."""
    if not isinstance(targets, np.ndarray) or targets.dtype.kind not in "iu":
        kind = targets.dtype if isinstance(targets, np.ndarray) else type(targets).__name__
        raise TypeError(f"targets: expected a numpy.ndarray of int64 class indices, got {kind}")
    _expect_shape("targets", targets, (rows,), "(N,)")
    targets = np.ascontiguousarray(targets, dtype=np.int64)
    kept = targets != ignore_index
    bad = kept & ((targets < 0) | (targets >= classes))
    if bad.any():
        position = int(np.argmax(bad))
        raise IndexError(f"targets: index {int(targets[position])} at position {position} is out of range "
                         f"(expected 0 <= index < {classes} or ignore_index {ignore_index}; {classes} classes)")
    return targets, int(kept.sum())


def _nonlinearity(nonlinearity: str) -> int:
    """1 for relu, 0 for tanh: the flag the C step kernels take."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity: expected one of {NONLINEARITIES}, got {nonlinearity!r}")
    return int(nonlinearity == "relu")


def _pointer(array: np.ndarray):
    """A C pointer to the array's data; valid while the array lives (the caller holds it)."""
    return ffi.from_buffer(_C_ARRAY_TYPES[array.dtype], array)


def _by_dtype(name: str) -> dict:
    """The float32 and float64 versions of C kernel `name`, keyed by NumPy dtype."""
    return {np.dtype(np.float32): getattr(lib, f"{name}_f32"), np.dtype(np.float64): getattr(lib, f"{name}_f64")}


# Below this many elements a row-parallel loop runs on one thread: waking the thread pool costs more
# than the work, and on a busy machine a wake-up can wait a whole scheduler slice (~20 ms).
PARALLEL_MIN_ELEMENTS = 1 << 16


def _num_threads(elements: int) -> int:
    """Threads for row-parallel C loops: numba's setting (NUMBA_NUM_THREADS, numba.set_num_threads),
    so one knob governs all compiled kernels; one thread for small inputs."""
    if elements < PARALLEL_MIN_ELEMENTS:
        return 1
    import numba

    return numba.get_num_threads()


# -- linear layer ----------------------------------------------------------------------------------
def _bias_grad(g: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    accumulate = out is not None
    db = out if accumulate else np.empty(g.shape[1], dtype=g.dtype)
    _BIAS_GRAD[g.dtype](_pointer(g), g.shape[0], g.shape[1], _pointer(db), accumulate)
    return db


def linear_backward(x: np.ndarray, weight: np.ndarray, g: np.ndarray, need_x: bool, need_weight: bool,
                    need_bias: bool, *, out_weight: np.ndarray | None = None, out_bias: np.ndarray | None = None
                    ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(dx, dW, db) of y = x W^T + b: dx = g W, dW = g^T x (BLAS), db = column sums of g (C).

    With out_weight / out_bias, dW / db are added into those arrays in place and they are returned.
    """
    x, weight, g = _floats(x=x, weight=weight, g=g)
    _expect_ndim("x", x, 2, "(N, in)")
    _expect_ndim("weight", weight, 2, "(out, in)")
    rows, fan_in = x.shape
    fan_out = weight.shape[0]
    _expect_shape("weight", weight, (fan_out, fan_in), "(out, in)")
    _expect_shape("g", g, (rows, fan_out), "(N, out)")
    gx = g @ weight if need_x else None
    gw = None
    if need_weight:
        if out_weight is None:
            gw = g.T @ x
        else:
            gw = _accumulator("out_weight", out_weight, (fan_out, fan_in), g.dtype)
            gw += g.T @ x
    gb = None
    if need_bias:
        if out_bias is not None:
            out_bias = _accumulator("out_bias", out_bias, (fan_out,), g.dtype)
        gb = _bias_grad(g, out_bias)
    return gx, gw, gb


# -- fused softmax cross-entropy -------------------------------------------------------------------
def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray, ignore_index: int, reduction: str,
                          need_grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Cross-entropy of softmax(logits) (N, C) against int64 targets (N,), and d loss / d logits.

    Same conventions as the NumPy reference: loss is 0-d for "mean"/"sum", (N,) for "none" ("mean"
    over the counted rows, NaN when all are ignored); dlogits = softmax - onehot, divided by the
    count for "mean", zero on ignored rows. Per-row losses are summed in float64.
    """
    (logits,) = _floats(logits=logits)
    _expect_ndim("logits", logits, 2, "(N, C)")
    rows, classes = logits.shape
    if classes < 1:
        raise ValueError(f"logits: expected at least one class (C >= 1), got shape {logits.shape}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}")
    targets, count = _targets(targets, rows, classes, int(ignore_index))
    grad_scale = 1.0 / count if reduction == "mean" and count else 1.0
    row_loss = np.empty(rows, dtype=np.float64)
    dlogits = np.empty_like(logits) if need_grad else None
    _SOFTMAX_XENT[logits.dtype](_pointer(logits), ffi.from_buffer("int64_t[]", targets), rows, classes,
                                int(ignore_index), grad_scale, _pointer(row_loss),
                                _pointer(dlogits) if need_grad else ffi.NULL, _num_threads(logits.size))
    if reduction == "none":
        loss = row_loss.astype(logits.dtype)
    elif reduction == "sum":
        loss = np.asarray(row_loss.sum(), dtype=logits.dtype)
    else:
        loss = np.asarray(row_loss.sum() / count if count else np.nan, dtype=logits.dtype)
    return loss, dlogits


# -- Elman RNN -------------------------------------------------------------------------------------
def _rnn_shapes(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray) -> tuple[int, int, int, int]:
    _expect_ndim("x", x, 3, "(T, B, I)")
    _expect_ndim("w_ih", w_ih, 2, "(H, I)")
    steps, batch, inputs = x.shape
    hidden = w_ih.shape[0]
    _expect_shape("w_ih", w_ih, (hidden, inputs), "(H, I)")
    _expect_shape("w_hh", w_hh, (hidden, hidden), "(H, H)")
    _expect_shape("h0", h0, (batch, hidden), "(B, H)")
    return steps, batch, inputs, hidden


def rnn_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray,
                nonlinearity: str) -> np.ndarray:
    """hs (T, B, H) with h_t = f(x_t W_ih^T + h_{t-1} W_hh^T + b), f = tanh or relu.

    The input projection of all T steps is one BLAS product written into hs; per step, BLAS adds
    nothing but h_{t-1} W_hh^T and one C pass applies f(pre + that) in place.
    """
    relu = _nonlinearity(nonlinearity)
    x, h0, w_ih, w_hh, bias = _floats(x=x, h0=h0, w_ih=w_ih, w_hh=w_hh, bias=bias)
    steps, batch, inputs, hidden = _rnn_shapes(x, h0, w_ih, w_hh)
    _expect_shape("bias", bias, (hidden,), "(H,)")
    hs = np.matmul(x.reshape(steps * batch, inputs), w_ih.T).reshape(steps, batch, hidden)
    hs += bias
    w_hh_t = np.ascontiguousarray(w_hh.T)  # h @ W^T as a plain product: BLAS runs it faster
    recurrent = np.empty((batch, hidden), dtype=hs.dtype)
    step_kernel = _RNN_STEP[hs.dtype]
    hs_pointer, recurrent_pointer, size = _pointer(hs), _pointer(recurrent), batch * hidden
    h_prev = h0
    for t in range(steps):
        np.matmul(h_prev, w_hh_t, out=recurrent)
        step_kernel(hs_pointer + t * size, recurrent_pointer, size, relu)
        h_prev = hs[t]
    return hs


def rnn_backward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, hs: np.ndarray,
                 g_hs: np.ndarray, nonlinearity: str, need_x: bool):
    """Backpropagation through time; returns (dx, dh0, dW_ih, dW_hh, db) like the reference.

    Only delta_t = (g_t + delta_{t+1} W_hh) * f'(h_t) runs step by step (a C pass and a BLAS
    product); the weight gradients and dx are single products over all T steps.
    """
    relu = _nonlinearity(nonlinearity)
    x, h0, w_ih, w_hh, hs, g_hs = _floats(x=x, h0=h0, w_ih=w_ih, w_hh=w_hh, hs=hs, g_hs=g_hs)
    steps, batch, inputs, hidden = _rnn_shapes(x, h0, w_ih, w_hh)
    _expect_shape("hs", hs, (steps, batch, hidden), "(T, B, H)")
    _expect_shape("g_hs", g_hs, (steps, batch, hidden), "(T, B, H)")
    deltas = np.empty_like(hs)  # d loss / d pre-activation, per step
    carry = np.zeros((batch, hidden), dtype=hs.dtype)  # d loss / d h_t arriving from step t+1
    delta_kernel = _RNN_DELTA[hs.dtype]
    size = batch * hidden
    g_pointer, h_pointer, delta_pointer = _pointer(g_hs), _pointer(hs), _pointer(deltas)
    carry_pointer = _pointer(carry)
    for t in range(steps - 1, -1, -1):
        offset = t * size
        delta_kernel(g_pointer + offset, carry_pointer if t < steps - 1 else ffi.NULL, h_pointer + offset, size,
                     relu, delta_pointer + offset)
        np.matmul(deltas[t], w_hh, out=carry)
    flat_deltas = deltas.reshape(steps * batch, hidden)
    h_prev = np.concatenate([h0[None], hs[:-1]])[:steps].reshape(steps * batch, hidden)  # [:steps]: T = 0
    dw_ih = flat_deltas.T @ x.reshape(steps * batch, inputs)
    dw_hh = flat_deltas.T @ h_prev
    db = _bias_grad(flat_deltas, None)
    dx = (flat_deltas @ w_ih).reshape(x.shape) if need_x else None
    return dx, carry, dw_ih, dw_hh, db


# -- elementwise exp/tanh as the kernels compute them (for accuracy tests and measurements) --------
def _elementwise(name: str, x: np.ndarray) -> np.ndarray:
    (x,) = _floats(x=x)
    out = np.empty_like(x)
    getattr(lib, f"fg_{name}_{'f32' if x.dtype == np.float32 else 'f64'}")(_pointer(x), x.size, _pointer(out))
    return out


def exp(x: np.ndarray) -> np.ndarray:
    """The polynomial exp of the softmax kernel, elementwise."""
    return _elementwise("exp", x)


def tanh(x: np.ndarray) -> np.ndarray:
    """The tanh of the RNN step kernel, elementwise."""
    return _elementwise("tanh", x)


def simd_level() -> int:
    """Instruction set the kernels run with: 0 baseline (SSE2/NEON), 1 AVX2+FMA, 2 AVX-512."""
    return lib.fg_simd_level()


def set_simd_level(level: int) -> int:
    """Run the kernels at most at `level` (clamped to what the CPU has); returns the level in use."""
    return lib.fg_set_simd_level(int(level))


def max_simd_level() -> int:
    return lib.fg_max_simd_level()


# -- the kernel table the compiled backend merges over the NumPy one --------------------------------
if AVAILABLE:
    _BIAS_GRAD, _SOFTMAX_XENT = _by_dtype("fg_bias_grad"), _by_dtype("fg_softmax_xent")
    _RNN_STEP, _RNN_DELTA = _by_dtype("fg_rnn_step"), _by_dtype("fg_rnn_delta")
    KERNELS = {"linear_backward": linear_backward, "softmax_cross_entropy": softmax_cross_entropy,
               "rnn_forward": rnn_forward, "rnn_backward": rnn_backward}
else:
    class _MissingLibrary:
        """Stands in for lib, ffi and the kernel tables: any use raises, naming the import error."""

        def _fail(self, *args):
            raise RuntimeError(f"fastgrad's C kernels are not built ({IMPORT_ERROR}); run `pip install -e .`")

        __getattr__ = __getitem__ = _fail

    lib = ffi = _BIAS_GRAD = _SOFTMAX_XENT = _RNN_STEP = _RNN_DELTA = _MissingLibrary()
    _warned = False

    def __getattr__(name: str):
        """KERNELS is {} without the library; the first request warns, naming the import error."""
        global _warned
        if name != "KERNELS":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        if not _warned:
            _warned = True
            warnings.warn(f"fastgrad's C kernels are unavailable ({IMPORT_ERROR!r}); using the NumPy kernels. "
                          "Build them with `pip install -e .`", RuntimeWarning, stacklevel=2)
        return {}

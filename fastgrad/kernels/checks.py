"""The argument checks in front of every compiled kernel (Numba and C): the one place they are written.

Compiled loops trust their inputs: an out-of-range index would read or write outside an array. So
the kernel registry (`fastgrad.kernels.registry`) runs a kernel's check, named like the kernel, before
its Numba or C implementation; the implementations themselves check nothing. A check takes the
kernel's arguments and returns them checked and normalized: C-contiguous float32/float64 arrays of
one dtype, int64 indices inside their range, so each kernel compiles at most once per float dtype
whatever the shapes or layouts it is called with. Errors name the argument, what was expected and
what came. The NumPy and loop kernels need no checks (NumPy raises on bad indices by itself);
`fastgrad.nn.functional` checks the user-facing tensor arguments and uses `index_array` for ids.
"""
from __future__ import annotations

import weakref

import numpy as np
from numba import njit

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# The scans below are compiled rather than NumPy reductions: right after a compiled kernel, a NumPy
# ids.min() measured ~10 us slower than on its own, while these loops cost under 1 us for a batch of
# ids (docs/notes/numba.md).
@njit(cache=True)
def _first_invalid(values, size, allowed, has_allowed):
    """The first i with values[i] outside [0, size) (size < 0: no upper bound) other than `allowed`, or -1."""
    for i in range(values.size):
        value = values[i]
        if (value < 0 or (size >= 0 and value >= size)) and not (has_allowed and value == allowed):
            return i
    return -1


@njit(cache=True)
def first_out_of_order(values, strictly):
    """The first i with values[i] < values[i-1] (<= when `strictly`), or -1 if they are sorted."""
    for i in range(1, values.size):
        if values[i] < values[i - 1] or (strictly and values[i] == values[i - 1]):
            return i
    return -1


# -- arrays that already passed a check ------------------------------------------------------------
# `fastgrad.nn.functional` checks ids (and a bag's offsets) once, and the forward and backward kernels
# would scan the same arrays again: about 15 us per step at 64 bags of 20 ids. An array that only
# fastgrad holds cannot change after its check, so a later check of that same array object for the same
# claim passes without scanning it. (Not made read-only: Numba compiles a separate specialisation for
# read-only arrays.)
_PASSED: dict[int, tuple] = {}  # id(array) -> (weak reference to the array, the claim it passed)


def mark_passed(array: np.ndarray, claim: tuple) -> np.ndarray:
    """Remember that `array` passed `claim` (e.g. ("index", size, allowed)) and return it.

    Only for arrays that fastgrad made and holds alone (a copy, never the caller's memory) and never
    changes: a check of the same object for the same claim then trusts it."""
    key = id(array)
    _PASSED[key] = (weakref.ref(array, lambda _, key=key: _PASSED.pop(key, None)), claim)
    return array


def _has_passed(array: np.ndarray, claim: tuple) -> bool:
    entry = _PASSED.get(id(array))
    return entry is not None and entry[1] == claim and entry[0]() is array


# -- building blocks -------------------------------------------------------------------------------
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


def index_array(name: str, ids: np.ndarray, size: int | None, allowed: int | None = None) -> np.ndarray:
    """Integer `ids` as a C-contiguous int64 array, each in [0, size) (only >= 0 when size is None) or
    equal to `allowed` (an ignore_index).

    The IndexError names the first offending index, its position and the size.
    """
    if _has_passed(ids, ("index", size, allowed)):
        return ids
    if not isinstance(ids, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray of integers, got {type(ids).__name__}")
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected an integer dtype, got {ids.dtype}")
    if ids.dtype == np.uint64 and ids.size and ids.max() > np.iinfo(np.int64).max:
        raise IndexError(f"{name}: index {int(ids.max())} is out of range (size {size})")
    checked = np.asarray(ids, dtype=np.int64, order="C")
    at = _first_invalid(checked.reshape(-1), -1 if size is None else size, 0 if allowed is None else allowed,
                        allowed is not None)
    if at >= 0:
        position = at if checked.ndim == 1 else tuple(int(i) for i in np.unravel_index(at, ids.shape))
        bound = "a non-negative index" if size is None else f"0 <= index < {size}"
        if allowed is not None:
            bound += f" or ignore_index {allowed}"
        raise IndexError(f"{name}: index {int(checked.reshape(-1)[at])} at position {position} is out of range "
                         f"(expected {bound}, size {size})")
    return checked


def offsets_array(offsets: np.ndarray, num_ids: int) -> np.ndarray:
    """Bag start positions: 1-D integers, offsets[0] == 0, non-decreasing, all <= num_ids."""
    if _has_passed(offsets, ("offsets", num_ids)):
        return offsets
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


def count(name: str, value: int, minimum: int) -> int:
    """An int argument (not a bool or float) that is at least `minimum`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value}")
    return int(value)


def one_of(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name}: expected one of {choices}, got {value!r}")
    return value


def expect_shape(name: str, array: np.ndarray, shape: tuple[int, ...], symbols: str) -> None:
    """ValueError unless array.shape == shape; `symbols` spells the shape out, e.g. "(B, H)"."""
    if array.shape != shape:
        raise ValueError(f"{name}: expected shape {symbols} = {shape}, got {array.shape}")


def expect_ndim(name: str, array: np.ndarray, ndim: int, symbols: str) -> None:
    if array.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array {symbols}, got shape {array.shape}")


# -- one check per kernel, named like the kernel and taking its arguments (same names, so keyword
# arguments pass too), returning them checked, in order ---------------------------------------------
# activations: x, or the upstream gradient g and the saved input x or output y, plus float constants
def relu(x) -> tuple:
    return (float_array("x", x),)


def leaky_relu(x, slope) -> tuple:
    return float_array("x", x), slope


def _gradient_and(g: np.ndarray, saved_name: str, saved: np.ndarray, *constants: float) -> tuple:
    g = float_array("g", g)
    return (g, like(saved_name, saved, "g", g), *constants)


sigmoid = silu = relu


def relu_backward(g, y) -> tuple:
    return _gradient_and(g, "y", y)


def tanh_backward(g, y) -> tuple:
    return _gradient_and(g, "y", y)


def sigmoid_backward(g, y) -> tuple:
    return _gradient_and(g, "y", y)


def leaky_relu_backward(g, x, slope) -> tuple:
    return _gradient_and(g, "x", x, slope)


def hardtanh_backward(g, x, low, high) -> tuple:
    return _gradient_and(g, "x", x, low, high)


def silu_backward(g, x) -> tuple:
    return _gradient_and(g, "x", x)


# embeddings
NO_PADDING = -1  # ids are never negative after checking, so this padding index matches none of them


def _flat_ids(ids: np.ndarray, num_rows: int) -> np.ndarray:
    checked = index_array("ids", ids, num_rows)
    if checked.ndim != 1:
        raise ValueError(f"ids: expected a 1-D array, got shape {ids.shape}")
    return checked


def embedding_backward(ids, g, num_rows, padding_idx, sparse) -> tuple:
    num_rows = count("num_rows", num_rows, 0)
    padding_idx = count("padding_idx", padding_idx, NO_PADDING)
    ids = index_array("ids", ids, num_rows)
    g = float_array("g", g)
    if g.ndim == 0 or g.size != ids.size * g.shape[-1]:
        raise ValueError(f"g: expected one row of d values per id ({ids.size} ids, e.g. shape "
                         f"{ids.shape} + (d,) or ({ids.size}, d)), got shape {g.shape}")
    return ids, g, num_rows, padding_idx, bool(sparse)


def embedding_bag(weight, ids, offsets, mode) -> tuple:
    mode = one_of("mode", mode, ("sum", "mean"))
    weight = float_array("weight", weight, ndim=2)
    ids = _flat_ids(ids, weight.shape[0])
    return weight, ids, offsets_array(offsets, ids.size), mode


def embedding_bag_backward(ids, offsets, g, mode, num_rows, sparse) -> tuple:
    mode = one_of("mode", mode, ("sum", "mean"))
    num_rows = count("num_rows", num_rows, 0)
    ids = _flat_ids(ids, num_rows)
    offsets = offsets_array(offsets, ids.size)
    g = float_array("g", g, ndim=2)
    if g.shape[0] != offsets.size:
        raise ValueError(f"g: expected one row per bag ({offsets.size}), got shape {g.shape}")
    return ids, offsets, g, mode, num_rows, bool(sparse)


# dropout
def dropout_mask(shape, p, dtype, seed) -> tuple:
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"dtype: expected float32 or float64, got {dtype}")
    if not 0 <= p < 1:
        raise ValueError(f"p: expected a drop probability in [0, 1), got {p}")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise ValueError(f"seed: expected an int in [0, 2**64), got {seed!r}")
    return tuple(shape), float(p), dtype, int(seed)


# sparse row updates of optimizers
def _rows_and_values(rows: np.ndarray, values: np.ndarray, num_rows: int | None) -> tuple[np.ndarray, np.ndarray]:
    rows = index_array("rows", rows, num_rows)
    if rows.ndim != 1:
        raise ValueError(f"rows: expected a 1-D array, got shape {rows.shape}")
    values = float_array("values", values, ndim=2)
    if values.shape[0] != rows.size:
        raise ValueError(f"values: expected one row per entry of rows ({rows.size}), got shape {values.shape}")
    return rows, values


def _updated_rows(weight: np.ndarray, rows: np.ndarray, values: np.ndarray, unique: bool):
    """The weight to update in place, and rows and values that fit it (unique rows when `unique`)."""
    weight = writable_float_array("weight", weight, ndim=2)
    rows, values = _rows_and_values(rows, values, weight.shape[0])
    if values.dtype != weight.dtype:
        raise TypeError(f"values: expected dtype {weight.dtype} (that of weight), got {values.dtype}")
    if values.shape[1] != weight.shape[1]:
        raise ValueError(f"values: expected rows of width {weight.shape[1]} (that of weight), got shape {values.shape}")
    # strictly increasing rows (coalesce_rows' output) pass in one comparison; others are sorted
    if unique and first_out_of_order(rows, True) >= 0:
        distinct, counts = np.unique(rows, return_counts=True)
        if distinct.size != rows.size:
            raise ValueError(f"rows: expected unique rows (coalesce_rows first), but row "
                             f"{int(distinct[np.argmax(counts > 1)])} repeats")
    return weight, rows, values


def _state_like(name: str, state: np.ndarray, weight: np.ndarray) -> np.ndarray:
    return like(name, writable_float_array(name, state, ndim=2), "weight", weight)


def coalesce_rows(rows, values) -> tuple:
    return _rows_and_values(rows, values, None)


def sgd_rows_update(weight, rows, values, lr) -> tuple:
    return (*_updated_rows(weight, rows, values, unique=False), lr)


def adagrad_rows_update(weight, state_sum, rows, values, lr, eps) -> tuple:
    weight, rows, values = _updated_rows(weight, rows, values, unique=True)
    return weight, _state_like("state_sum", state_sum, weight), rows, values, lr, eps


def sparse_adam_rows_update(weight, exp_avg, exp_avg_sq, rows, values, lr, beta1, beta2, eps, step) -> tuple:
    weight, rows, values = _updated_rows(weight, rows, values, unique=True)
    if step < 1:
        raise ValueError(f"step: expected the number of steps taken so far, counting from 1, got {step}")
    return (weight, _state_like("exp_avg", exp_avg, weight), _state_like("exp_avg_sq", exp_avg_sq, weight), rows,
            values, lr, beta1, beta2, eps, step)


# softmax cross-entropy
REDUCTIONS = ("none", "sum", "mean")


def softmax_cross_entropy(logits, targets, ignore_index, reduction, need_grad, out=None) -> tuple:
    logits = float_array("logits", logits)
    expect_ndim("logits", logits, 2, "(N, C)")
    rows, classes = logits.shape
    if classes < 1:
        raise ValueError(f"logits: expected at least one class (C >= 1), got shape {logits.shape}")
    reduction = one_of("reduction", reduction, REDUCTIONS)
    ignore_index = int(ignore_index)
    targets = index_array("targets", targets, classes, allowed=ignore_index)
    expect_shape("targets", targets, (rows,), "(N,)")
    if out is not None:  # the gradient's array: the logits themselves (overwritten) or memory apart from them
        out = like("out", writable_float_array("out", out, 2), "logits", logits)
        if out is not logits and np.may_share_memory(out, logits):
            raise ValueError("out: expected the logits array itself or an array sharing no memory with it, "
                             "got one overlapping the logits")
    return logits, targets, ignore_index, reduction, bool(need_grad), out


# recurrent layers over a whole sequence (T steps, batch B, input I, hidden H)
NONLINEARITIES = ("tanh", "relu")


def _layer_shapes(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                  gate_count: int) -> tuple[int, int, int, int]:
    """(T, B, I, H) of a layer whose weights hold `gate_count` H-blocks of rows."""
    expect_ndim("x", x, 3, "(T, B, I)")
    rows = f"{gate_count}H" if gate_count > 1 else "H"
    if w_hh.ndim != 2 or w_hh.shape[0] != gate_count * w_hh.shape[1]:
        raise ValueError(f"w_hh: expected shape ({rows}, H), got {w_hh.shape}")
    steps, batch, inputs = x.shape
    hidden = w_hh.shape[1]
    expect_shape("w_ih", w_ih, (gate_count * hidden, inputs), f"({rows}, I)")
    expect_shape("h0", h0, (batch, hidden), "(B, H)")
    return steps, batch, inputs, hidden


def rnn_forward(x, h0, w_ih, w_hh, bias, nonlinearity) -> tuple:
    x, h0, w_ih, w_hh, bias = common_float_arrays(x=x, h0=h0, w_ih=w_ih, w_hh=w_hh, bias=bias)
    _, _, _, hidden = _layer_shapes(x, h0, w_ih, w_hh, 1)
    expect_shape("bias", bias, (hidden,), "(H,)")
    return x, h0, w_ih, w_hh, bias, one_of("nonlinearity", nonlinearity, NONLINEARITIES)


def rnn_backward(x, h0, w_ih, w_hh, hs, g_hs, nonlinearity, need_x) -> tuple:
    x, h0, w_ih, w_hh, hs, g_hs = common_float_arrays(x=x, h0=h0, w_ih=w_ih, w_hh=w_hh, hs=hs, g_hs=g_hs)
    steps, batch, _, hidden = _layer_shapes(x, h0, w_ih, w_hh, 1)
    expect_shape("hs", hs, (steps, batch, hidden), "(T, B, H)")
    expect_shape("g_hs", g_hs, (steps, batch, hidden), "(T, B, H)")
    return x, h0, w_ih, w_hh, hs, g_hs, one_of("nonlinearity", nonlinearity, NONLINEARITIES), bool(need_x)


def lstm_forward(x, h0, c0, w_ih, w_hh, bias) -> tuple:
    x, h0, c0, w_ih, w_hh, bias = common_float_arrays(x=x, h0=h0, c0=c0, w_ih=w_ih, w_hh=w_hh, bias=bias)
    steps, batch, inputs, hidden = _layer_shapes(x, h0, w_ih, w_hh, 4)
    expect_shape("c0", c0, (batch, hidden), "(B, H)")
    expect_shape("bias", bias, (4 * hidden,), "(4H,)")
    return x, h0, c0, w_ih, w_hh, bias


def lstm_backward(x, h0, c0, w_ih, w_hh, states, gates, g_states, need_x) -> tuple:
    x, h0, c0, w_ih, w_hh, states, gates, g_states = common_float_arrays(
        x=x, h0=h0, c0=c0, w_ih=w_ih, w_hh=w_hh, states=states, gates=gates, g_states=g_states)
    steps, batch, _, hidden = _layer_shapes(x, h0, w_ih, w_hh, 4)
    expect_shape("c0", c0, (batch, hidden), "(B, H)")
    expect_shape("states", states, (2, steps, batch, hidden), "(2, T, B, H)")
    expect_shape("g_states", g_states, (2, steps, batch, hidden), "(2, T, B, H)")
    expect_shape("gates", gates, (steps, batch, 4 * hidden), "(T, B, 4H)")
    return x, h0, c0, w_ih, w_hh, states, gates, g_states, bool(need_x)


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh) -> tuple:
    x, h0, w_ih, w_hh, b_ih, b_hh = common_float_arrays(x=x, h0=h0, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh)
    _, _, _, hidden = _layer_shapes(x, h0, w_ih, w_hh, 3)
    expect_shape("b_ih", b_ih, (3 * hidden,), "(3H,)")
    expect_shape("b_hh", b_hh, (3 * hidden,), "(3H,)")
    return x, h0, w_ih, w_hh, b_ih, b_hh


def gru_backward(x, h0, w_ih, w_hh, hs, gates, g_hs, need_x) -> tuple:
    x, h0, w_ih, w_hh, hs, gates, g_hs = common_float_arrays(x=x, h0=h0, w_ih=w_ih, w_hh=w_hh, hs=hs, gates=gates,
                                                             g_hs=g_hs)
    steps, batch, _, hidden = _layer_shapes(x, h0, w_ih, w_hh, 3)
    expect_shape("hs", hs, (steps, batch, hidden), "(T, B, H)")
    expect_shape("g_hs", g_hs, (steps, batch, hidden), "(T, B, H)")
    expect_shape("gates", gates, (steps, batch, 4 * hidden), "(T, B, 4H)")
    return x, h0, w_ih, w_hh, hs, gates, g_hs, bool(need_x)


# linear-chain CRF: N emission rows of K tags, stacked sentence by sentence, `lengths` (B,) tokens each
def _tag_table(name: str, x: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """`x` with the shape the K tags of the emissions give and their dtype, as a C-contiguous array."""
    x = float_array(name, x)
    if x.shape != shape or x.dtype != dtype:
        raise ValueError(f"{name}: expected shape {shape} and dtype {dtype} (from emissions with {shape[0]} tags), "
                         f"got shape {x.shape} and dtype {x.dtype}")
    return x


def crf_forward(emissions, lengths, transitions, start, end) -> tuple:
    """Lengths must be >= 1 and add up to the number of emission rows: the loops index rows by them."""
    emissions = float_array("emissions", emissions, 2)
    tags = emissions.shape[1]
    transitions = _tag_table("transitions", transitions, (tags, tags), emissions.dtype)
    start = _tag_table("start", start, (tags,), emissions.dtype)
    end = _tag_table("end", end, (tags,), emissions.dtype)
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.dtype.kind not in "iu":
        raise TypeError(f"lengths: expected a 1-D integer array, got dtype {lengths.dtype} and shape {lengths.shape}")
    if lengths.size and lengths.min() < 1:
        raise ValueError(f"lengths: every sentence needs at least one token, got a length {int(lengths.min())}")
    if int(lengths.sum()) != emissions.shape[0]:
        raise ValueError(f"lengths: add up to {int(lengths.sum())}, but emissions has {emissions.shape[0]} rows")
    return emissions, np.asarray(lengths, dtype=np.int64, order="C"), transitions, start, end


crf_viterbi = crf_forward


def crf_backward(g, emissions, lengths, transitions, start, end, alphas, log_z) -> tuple:
    emissions, lengths, transitions, start, end = crf_forward(emissions, lengths, transitions, start, end)
    g = like("g", np.asarray(g, dtype=emissions.dtype), "log Z", np.empty(lengths.size, emissions.dtype))
    alphas = like("alphas", alphas, "emissions", emissions)
    log_z = like("log_z", log_z, "g", g)
    return g, emissions, lengths, transitions, start, end, alphas, log_z


def _lengths(name: str, lengths: np.ndarray, batch: int, most: int | None) -> np.ndarray:
    """(batch,) integer lengths, each in [0, most] (most None: no upper bound), as int64."""
    lengths = np.asarray(lengths)
    if lengths.dtype.kind not in "iu" or lengths.shape != (batch,):
        raise TypeError(f"{name}: expected a ({batch},) integer array, got dtype {lengths.dtype} and shape "
                        f"{lengths.shape}")
    if lengths.size and (lengths.min() < 0 or (most is not None and lengths.max() > most)):
        bad = int(lengths.min()) if lengths.min() < 0 else int(lengths.max())
        raise ValueError(f"{name}: expected values in [0, {'inf' if most is None else most}], got {bad}")
    return np.asarray(lengths, dtype=np.int64, order="C")


def ctc_forward(log_probs, targets, target_lengths, input_lengths, blank) -> tuple:
    """The loops index log_probs by the labels and frames: both must be in range, the targets as many as
    their lengths add up to."""
    log_probs = float_array("log_probs", log_probs, 3)
    frames, batch, classes = log_probs.shape
    if not 0 <= blank < classes:
        raise ValueError(f"blank: expected a class in [0, {classes}), got {blank}")
    target_lengths = _lengths("target_lengths", target_lengths, batch, None)
    input_lengths = _lengths("input_lengths", input_lengths, batch, frames)
    targets = index_array("targets", targets, classes)
    if targets.shape != (int(target_lengths.sum()),):
        raise ValueError(f"targets: expected the {int(target_lengths.sum())} labels target_lengths add up to, "
                         f"concatenated, got shape {targets.shape}")
    return log_probs, targets, target_lengths, input_lengths, int(blank)


def ctc_backward(g, log_probs, targets, target_lengths, input_lengths, blank, nll, log_alpha) -> tuple:
    log_probs, targets, target_lengths, input_lengths, blank = ctc_forward(log_probs, targets, target_lengths,
                                                                           input_lengths, blank)
    frames, batch, _ = log_probs.shape
    g = like("g", np.asarray(g, dtype=log_probs.dtype), "the losses", np.empty(batch, log_probs.dtype))
    nll = like("nll", nll, "g", g)
    expected = np.empty((batch, frames, 2 * int(target_lengths.max(initial=0)) + 1))
    log_alpha = like("log_alpha", log_alpha, "the forward variables", expected)
    return g, log_probs, targets, target_lengths, input_lengths, blank, nll, log_alpha

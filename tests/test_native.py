"""The C kernels (fastgrad._native) against the NumPy reference kernels, on every instruction-set
variant this CPU can run; their checks; and the fallback when the library is missing."""
import importlib.util
import sys
import warnings

import numba
import numpy as np
import pytest

from fastgrad import _native
from fastgrad.backends import numpy as reference
from fastgrad.kernels import registry

pytestmark = pytest.mark.skipif(not _native.AVAILABLE, reason=f"C kernels not built: {_native.IMPORT_ERROR}")

native = registry.implementations("native")  # each C kernel behind its check, as the compiled backend runs it
native_sigmoid = _native.sigmoid
DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}


@pytest.fixture(params=range(_native.max_simd_level() + 1) if _native.AVAILABLE else [0],
                ids=lambda level: ["baseline", "avx2", "avx512"][level])
def simd_level(request):
    """Run the test with the kernels compiled for each ISA the CPU supports."""
    assert _native.set_simd_level(request.param) == request.param
    yield request.param
    _native.set_simd_level(_native.max_simd_level())


def assert_close(actual, expected, dtype):
    """Relative tolerance of the dtype, scaled by the array's magnitude for entries near 0."""
    tolerance = TOLERANCE[dtype]
    expected = np.asarray(expected)
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance * scale)


def ulp_error(actual: np.ndarray, exact: np.ndarray, dtype) -> np.ndarray:
    """|actual - exact| in units of the spacing of `dtype` numbers at the exact value."""
    spacing = np.spacing(np.abs(exact).astype(dtype)).astype(np.float64)
    return np.abs(actual.astype(np.float64) - exact) / spacing


# -- softmax cross-entropy -------------------------------------------------------------------------
def make_logits(rng, rows, classes, dtype, scale=3.0):
    return (rng.standard_normal((rows, classes)) * scale).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, classes", [(1, 1), (5, 1), (1, 7), (3, 17), (13, 33), (8, 1000), (2, 10003)])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_softmax_cross_entropy_matches_reference(simd_level, rng, dtype, rows, classes, reduction):
    logits = make_logits(rng, rows, classes, dtype)
    targets = rng.integers(0, classes, rows)
    targets[::3] = -100  # ignored rows, including the first
    loss, grad = native.softmax_cross_entropy(logits, targets, -100, reduction, True)
    expected_loss, expected_grad = reference.softmax_cross_entropy(logits, targets, -100, reduction, True)
    assert loss.dtype == grad.dtype == dtype
    assert loss.shape == expected_loss.shape and grad.shape == logits.shape
    assert_close(loss, expected_loss, dtype)
    assert_close(grad, expected_grad, dtype)
    no_grad_loss, none = native.softmax_cross_entropy(logits, targets, -100, reduction, False)
    assert none is None
    np.testing.assert_array_equal(no_grad_loss, loss)
    overwritten = logits.copy()  # the gradient written over the logits it is computed from
    in_place_loss, in_place_grad = native.softmax_cross_entropy(overwritten, targets, -100, reduction, True,
                                                                out=overwritten)
    assert in_place_grad is overwritten
    np.testing.assert_array_equal(in_place_loss, loss)
    np.testing.assert_array_equal(in_place_grad, grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_large_logits_are_stable(simd_level, rng, dtype):
    logits = rng.choice([-1e4, 0.0, 1e4], size=(6, 37)).astype(dtype)
    logits[0] = 1e4  # all equal and huge
    logits[1] = -1e4
    logits[2, 5] = 1e4 - 1  # target just below the maximum
    targets = np.array([3, 0, 5, 7, 36, 1])
    loss, grad = native.softmax_cross_entropy(logits, targets, -100, "none", True)
    expected_loss, expected_grad = reference.softmax_cross_entropy(logits.astype(np.float64), targets, -100,
                                                                   "none", True)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    assert_close(loss, expected_loss, dtype)
    assert_close(grad, expected_grad, dtype)
    assert loss[0] == pytest.approx(np.log(37), rel=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_all_rows_ignored(rng, dtype):
    logits = make_logits(rng, 4, 9, dtype)
    targets = np.full(4, 2)
    loss, grad = native.softmax_cross_entropy(logits, targets, 2, "mean", True)  # ignore_index inside [0, C)
    assert np.isnan(loss) and loss.shape == ()
    np.testing.assert_array_equal(grad, np.zeros_like(logits))
    loss, _ = native.softmax_cross_entropy(logits, targets, 2, "sum", False)
    assert loss == 0


def test_softmax_cross_entropy_gradient_rows_sum_to_zero_and_are_exact_for_one_class(rng):
    logits = make_logits(rng, 50, 123, np.float32, scale=10.0)
    targets = rng.integers(0, 123, 50)
    _, grad = native.softmax_cross_entropy(logits, targets, -100, "sum", True)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-6)
    loss, grad = native.softmax_cross_entropy(logits[:, :1], np.zeros(50, dtype=np.int64), -100, "none", True)
    np.testing.assert_array_equal(loss, 0)
    np.testing.assert_array_equal(grad, 0)


def test_softmax_cross_entropy_is_deterministic_across_thread_counts(rng):
    logits = make_logits(rng, 301, 2001, np.float32)
    targets = rng.integers(0, 2001, 301)
    previous = numba.get_num_threads()
    results = []
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            results.append(native.softmax_cross_entropy(logits, targets, -100, "mean", True))
    finally:
        numba.set_num_threads(previous)
    for loss, grad in results[1:]:
        np.testing.assert_array_equal(loss, results[0][0])
        np.testing.assert_array_equal(grad, results[0][1])


def test_softmax_cross_entropy_accepts_non_contiguous_logits_and_narrow_targets(rng):
    wide = make_logits(rng, 9, 40, np.float32)
    logits = wide[:, ::2]
    targets = rng.integers(0, 20, 9).astype(np.int32)
    loss, grad = native.softmax_cross_entropy(logits, targets, -100, "mean", True)
    expected_loss, expected_grad = reference.softmax_cross_entropy(logits, targets.astype(np.int64), -100, "mean",
                                                                   True)
    assert_close(loss, expected_loss, np.float32)
    assert_close(grad, expected_grad, np.float32)


# -- exp and tanh accuracy -------------------------------------------------------------------------
EXP_RANGE = {np.float32: (-103.9, 88.72), np.float64: (-745.0, 709.78)}


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_is_within_two_ulp_on_a_dense_grid(simd_level, dtype):
    low, high = EXP_RANGE[dtype]
    x = np.linspace(low, high, 1_000_003).astype(dtype)
    x = np.concatenate([x, np.linspace(-1, 1, 100_003).astype(dtype)])  # dense where softmax lives
    exact = np.exp(x.astype(np.float64)) if dtype == np.float32 else np.exp(x)
    errors = ulp_error(_native.exp(x), exact, dtype)
    assert errors.max() <= 2.0, f"max error {errors.max():.2f} ulp at x = {x[np.argmax(errors)]!r}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_special_values(simd_level, dtype):
    info = np.finfo(dtype)
    low, high = EXP_RANGE[dtype]
    largest_finite = np.nextafter(dtype(np.log(info.max)), dtype(-np.inf))  # rounding may put log(max) above it
    x = np.array([0.0, -np.inf, np.inf, np.nan, high + 1, low - 1, largest_finite, np.log(info.tiny)], dtype=dtype)
    y = _native.exp(x)
    assert y[0] == 1 and y[1] == 0 and y[2] == np.inf and np.isnan(y[3])
    assert y[4] == np.inf and y[5] == 0
    assert np.isfinite(y[6]) and y[6] > info.max / 2
    # approx takes Python numbers as tolerances, not NumPy scalars
    assert y[7] == pytest.approx(float(info.tiny), rel=4 * float(info.eps))


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh_is_within_four_ulp(simd_level, dtype):
    """Measured: 2.5 ulp (float), 3 ulp (double, against NumPy's own double tanh), both just above
    the switch from the series to (1 - e) / (1 + e), where e's error is amplified by e / (1 - e)."""
    x = np.concatenate([np.linspace(-20, 20, 400_003), np.linspace(-0.5, 0.5, 100_003), [1e-30, -1e-30, 0.0]])
    x = x.astype(dtype)
    exact = np.tanh(x.astype(np.float64)) if dtype == np.float32 else np.tanh(x)
    errors = ulp_error(_native.tanh(x), exact, dtype)
    errors[exact == 0] = np.abs(_native.tanh(x)[exact == 0])  # tanh(0) must be exactly 0
    assert errors.max() <= 4.0, f"max error {errors.max():.2f} ulp at x = {x[np.argmax(errors)]!r}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_is_within_three_ulp(simd_level, dtype):
    x = np.concatenate([np.linspace(-100, 100, 400_003), np.linspace(-1, 1, 100_003)]).astype(dtype)
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    tiny = exact < np.finfo(dtype).tiny  # below the normal range the kernels flush to 0
    errors = ulp_error(native_sigmoid(x), exact, dtype)
    assert errors[~tiny].max() <= 3.0, f"max error {errors[~tiny].max():.2f} ulp at x = {x[np.argmax(errors)]!r}"
    assert (native_sigmoid(x)[tiny] == 0).all()


# -- Elman, LSTM and GRU steps -----------------------------------------------------------------------
GATED_TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}
GATED_SHAPES = [(1, 1, 1, 1), (1, 3, 4, 5), (6, 1, 3, 2), (7, 4, 9, 17), (3, 2, 33, 65), (0, 2, 3, 4), (3, 0, 2, 3)]
# Saturated gates (scale 30) only in float64: float32 BLAS rounding of pre-activations in the hundreds,
# compounded through the cell state, is not the kernels' error.
DTYPE_SCALES = [(np.float32, 1.0), (np.float64, 1.0), (np.float64, 30.0)]


def layer(rng, shape, gate_count, dtype, scale=1.0):
    """x, h0, c0, w_ih, w_hh, b_ih, b_hh of one layer; `scale` > 1 drives the gates into saturation."""
    steps, batch, inputs, hidden = shape
    rows = gate_count * hidden
    arrays = [rng.standard_normal((steps, batch, inputs)), rng.standard_normal((batch, hidden)),
              rng.standard_normal((batch, hidden)), rng.standard_normal((rows, inputs)) * scale,
              rng.standard_normal((rows, hidden)) * scale, rng.standard_normal(rows), rng.standard_normal(rows)]
    return [a.astype(dtype) for a in arrays]


def assert_all_close(actual, expected, dtype):
    """Each array of `actual` against `expected` (None where expected is None)."""
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        if e is None:
            assert a is None
            continue
        assert a.dtype == e.dtype == dtype and a.shape == e.shape
        np.testing.assert_allclose(a, e, **GATED_TOLERANCE[dtype])


@pytest.mark.parametrize("shape", GATED_SHAPES)
@pytest.mark.parametrize("dtype, scale", DTYPE_SCALES)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_elman_rnn_matches_reference(simd_level, rng, shape, dtype, scale, nonlinearity):
    x, h0, _, w_ih, w_hh, b_ih, _ = layer(rng, shape, 1, dtype, scale)
    hs = reference.rnn_forward(x, h0, w_ih, w_hh, b_ih, nonlinearity)
    assert_all_close([native.rnn_forward(x, h0, w_ih, w_hh, b_ih, nonlinearity)], [hs], dtype)
    g_hs = rng.standard_normal(hs.shape).astype(dtype)
    for need_x in (True, False):
        assert_all_close(native.rnn_backward(x, h0, w_ih, w_hh, hs, g_hs, nonlinearity, need_x),
                         reference.rnn_backward(x, h0, w_ih, w_hh, hs, g_hs, nonlinearity, need_x), dtype)


def test_elman_rnn_rejects_bad_arguments(rng):
    x, h0, _, w_ih, w_hh, b_ih, _ = layer(rng, (3, 2, 4, 5), 1, np.float64)
    with pytest.raises(ValueError, match=r"w_hh: expected shape \(H, H\), got \(5, 4\)"):
        native.rnn_forward(x, h0, w_ih, w_hh[:, :4], b_ih, "tanh")
    with pytest.raises(ValueError, match=r"bias: expected shape \(H,\) = \(5,\), got \(4,\)"):
        native.rnn_forward(x, h0, w_ih, w_hh, b_ih[:4], "tanh")
    with pytest.raises(ValueError, match=r"nonlinearity: expected one of \('tanh', 'relu'\), got 'sigmoid'"):
        native.rnn_forward(x, h0, w_ih, w_hh, b_ih, "sigmoid")
    hs = native.rnn_forward(x, h0, w_ih, w_hh, b_ih, "relu")
    with pytest.raises(ValueError, match=r"g_hs: expected shape \(T, B, H\) = \(3, 2, 5\), got \(2, 2, 5\)"):
        native.rnn_backward(x, h0, w_ih, w_hh, hs, hs[:2], "relu", True)


@pytest.mark.parametrize("shape", GATED_SHAPES)
@pytest.mark.parametrize("dtype, scale", DTYPE_SCALES)
def test_lstm_matches_reference(simd_level, rng, shape, dtype, scale):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = layer(rng, shape, 4, dtype, scale)
    expected = reference.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih + b_hh)
    assert_all_close(native.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih + b_hh), expected, dtype)
    states, gates = expected
    g_states = rng.standard_normal(states.shape).astype(dtype)
    for need_x in (True, False):
        assert_all_close(native.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates, g_states, need_x),
                     reference.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates, g_states, need_x), dtype)


@pytest.mark.parametrize("shape", GATED_SHAPES)
@pytest.mark.parametrize("dtype, scale", DTYPE_SCALES)
def test_gru_matches_reference(simd_level, rng, shape, dtype, scale):
    x, h0, _, w_ih, w_hh, b_ih, b_hh = layer(rng, shape, 3, dtype, scale)
    expected = reference.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
    assert_all_close(native.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh), expected, dtype)
    hs, gates = expected
    g_hs = rng.standard_normal(hs.shape).astype(dtype)
    for need_x in (True, False):
        assert_all_close(native.gru_backward(x, h0, w_ih, w_hh, hs, gates, g_hs, need_x),
                     reference.gru_backward(x, h0, w_ih, w_hh, hs, gates, g_hs, need_x), dtype)


def test_saturated_gates_stay_finite(simd_level, rng):
    """Pre-activations of +-1000 overflow a naive exp(-x); the split sigmoid gives exact 0 and 1."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = layer(rng, (3, 2, 4, 5), 4, np.float32, scale=1000.0)
    states, gates = native.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih)
    assert np.isfinite(states).all() and np.isfinite(gates).all()
    assert ((gates == 0) | (gates == 1) | (gates == -1)).mean() > 0.9


def test_one_lstm_step_by_hand():
    # H = I = B = 1, gate pre-activations i = 0, f = 1, g = 0.5, o = -1 from the biases alone
    bias = np.array([0.0, 1.0, 0.5, -1.0])
    states, gates = native.lstm_forward(np.zeros((1, 1, 1)), np.zeros((1, 1)), np.full((1, 1), 2.0),
                                         np.ones((4, 1)), np.ones((4, 1)), bias)
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    c = sigmoid(1.0) * 2.0 + sigmoid(0.0) * np.tanh(0.5)
    np.testing.assert_allclose(gates.reshape(-1), [sigmoid(0.0), sigmoid(1.0), np.tanh(0.5), sigmoid(-1.0)])
    np.testing.assert_allclose(states.reshape(-1), [sigmoid(-1.0) * np.tanh(c), c])


def test_mixed_dtypes_promote_and_strided_inputs_are_accepted(rng):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = layer(rng, (4, 3, 5, 6), 4, np.float32)
    strided_x = np.repeat(x, 2, axis=2)[:, :, ::2]
    states, gates = native.lstm_forward(strided_x, h0, c0, w_ih.astype(np.float64), w_hh, b_ih)
    assert states.dtype == gates.dtype == np.float64
    expected = reference.lstm_forward(*(a.astype(np.float64) for a in (x, h0, c0, w_ih, w_hh, b_ih)))
    assert_all_close((states, gates), expected, np.float64)
    hs, _ = native.gru_forward(x[::-1], h0, w_ih[:18], w_hh[:18], b_ih[:18], b_hh[:18].astype(np.float64))
    assert hs.dtype == np.float64


def test_gated_layers_reject_bad_arguments(rng):
    x, h0, c0, w_ih, w_hh, b_ih, _ = layer(rng, (3, 2, 4, 5), 4, np.float64)
    with pytest.raises(ValueError, match=r"w_hh: expected shape \(4H, H\), got \(20, 4\)"):
        native.lstm_forward(x, h0, c0, w_ih, w_hh[:, :4], b_ih)
    with pytest.raises(ValueError, match=r"w_ih: expected shape \(4H, I\) = \(20, 4\), got \(20, 3\)"):
        native.lstm_forward(x, h0, c0, w_ih[:, :3], w_hh, b_ih)
    with pytest.raises(ValueError, match=r"h0: expected shape \(B, H\) = \(2, 5\), got \(1, 5\)"):
        native.lstm_forward(x, h0[:1], c0, w_ih, w_hh, b_ih)
    with pytest.raises(ValueError, match=r"c0: expected shape \(B, H\) = \(2, 5\), got \(2, 4\)"):
        native.lstm_forward(x, h0, c0[:, :4], w_ih, w_hh, b_ih)
    with pytest.raises(ValueError, match=r"bias: expected shape \(4H,\) = \(20,\), got \(19,\)"):
        native.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih[:19])
    with pytest.raises(ValueError, match=r"x: expected a 3-D array \(T, B, I\), got shape \(2, 4\)"):
        native.lstm_forward(x[0], h0, c0, w_ih, w_hh, b_ih)
    with pytest.raises(TypeError, match="h0: expected dtype float32 or float64, got int64"):
        native.lstm_forward(x, h0.astype(np.int64), c0, w_ih, w_hh, b_ih)
    with pytest.raises(TypeError, match="x: expected a numpy.ndarray, got list"):
        native.gru_forward(x.tolist(), h0, w_ih[:15], w_hh[:15], b_ih[:15], b_ih[:15])
    states, gates = native.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih)
    with pytest.raises(ValueError, match=r"g_states: expected shape \(2, T, B, H\) = \(2, 3, 2, 5\), got \(2, 2, 2"):
        native.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates, states[:, :2], True)
    with pytest.raises(ValueError, match=r"gates: expected shape \(T, B, 4H\) = \(3, 2, 20\)"):
        native.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates[:, :, :15], states, True)
    with pytest.raises(ValueError, match=r"w_hh: expected shape \(3H, H\), got \(20, 5\)"):
        native.gru_forward(x, h0, w_ih, w_hh, b_ih, b_ih)
    hs, gru_gates = native.gru_forward(x, h0, w_ih[:15], w_hh[:15], b_ih[:15], b_ih[:15])
    with pytest.raises(ValueError, match=r"b_hh: expected shape \(3H,\) = \(15,\), got \(20,\)"):
        native.gru_forward(x, h0, w_ih[:15], w_hh[:15], b_ih[:15], b_ih)
    with pytest.raises(ValueError, match=r"hs: expected shape \(T, B, H\) = \(3, 2, 5\), got \(3, 2, 4\)"):
        native.gru_backward(x, h0, w_ih[:15], w_hh[:15], hs[:, :, :4], gru_gates, hs, True)


# -- bad input: clear Python exceptions, never a crash ----------------------------------------------
def test_softmax_cross_entropy_rejects_bad_arguments(rng):
    logits = make_logits(rng, 4, 5, np.float32)
    targets = np.array([0, 1, 2, 3])
    with pytest.raises(IndexError, match=r"targets: index 5 at position 2 .*or ignore_index -100, size 5"):
        native.softmax_cross_entropy(logits, np.array([0, 1, 5, 3]), -100, "mean", True)
    with pytest.raises(IndexError, match=r"index -1 at position 0"):
        native.softmax_cross_entropy(logits, np.array([-1, 1, 2, 3]), -100, "mean", True)
    with pytest.raises(ValueError, match=r"targets: expected shape \(N,\) = \(4,\), got \(3,\)"):
        native.softmax_cross_entropy(logits, targets[:3], -100, "mean", True)
    with pytest.raises(TypeError, match="targets: expected an integer dtype, got float32"):
        native.softmax_cross_entropy(logits, targets.astype(np.float32), -100, "mean", True)
    with pytest.raises(TypeError, match="logits: expected dtype float32 or float64, got int64"):
        native.softmax_cross_entropy(targets.reshape(2, 2), targets[:2], -100, "mean", True)
    with pytest.raises(TypeError, match="logits: expected a numpy.ndarray, got list"):
        native.softmax_cross_entropy([[1.0]], targets[:1], -100, "mean", True)
    with pytest.raises(ValueError, match=r"logits: expected a 2-D array \(N, C\), got shape \(5,\)"):
        native.softmax_cross_entropy(logits[0], targets[:1], -100, "mean", True)
    with pytest.raises(ValueError, match="logits: expected at least one class"):
        native.softmax_cross_entropy(logits[:, :0], targets, -100, "mean", True)
    with pytest.raises(ValueError, match="reduction: expected one of"):
        native.softmax_cross_entropy(logits, targets, -100, "avg", True)


def test_softmax_cross_entropy_rejects_a_gradient_array_it_cannot_write_whole(rng):
    logits = make_logits(rng, 4, 5, np.float32)
    targets = np.array([0, 1, 2, 3])
    for out, error, message in [
            (np.empty((4, 5), np.float64), TypeError, r"out: expected dtype float32 \(that of logits\), got float64"),
            (np.empty((4, 4), np.float32), ValueError, r"out: expected shape \(4, 5\) \(that of logits\), got \(4, 4\)"),
            (np.empty((5, 4), np.float32).T, ValueError, "out: expected a C-contiguous array to update in place"),
            (np.empty((4, 5), np.float32)[None], ValueError, r"out: expected a 2-D array, got shape \(1, 4, 5\)"),
            (np.zeros((4, 5), np.float32).view(), ValueError, None)]:
        if message is None:  # read-only
            out.flags.writeable = False
            message = "out: expected a writable array, got a read-only one"
        with pytest.raises(error, match=message):
            native.softmax_cross_entropy(logits, targets, -100, "mean", True, out=out)
    shifted = make_logits(rng, 5, 5, np.float32)  # rows 1-4 as out of rows 0-3: overlapping, not the same
    with pytest.raises(ValueError, match="out: expected the logits array itself or an array sharing no memory with it"):
        native.softmax_cross_entropy(shifted[:4], targets, -100, "mean", True, out=shifted[1:])


# -- the missing-library fallback ------------------------------------------------------------------
def load_native_without_library(monkeypatch):
    """A fresh copy of fastgrad._native imported as if the compiled library were absent."""
    monkeypatch.setitem(sys.modules, "fastgrad._native_lib", None)  # makes the import raise ImportError
    spec = importlib.util.find_spec("fastgrad._native")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_library_falls_back_with_one_warning(monkeypatch):
    module = load_native_without_library(monkeypatch)
    assert module.AVAILABLE is False and isinstance(module.IMPORT_ERROR, ImportError)
    with pytest.raises(RuntimeError, match="not built"):
        module.softmax_cross_entropy(np.zeros((1, 2)), np.zeros(1, np.int64), -100, "mean", True)
    monkeypatch.setattr(registry, "_native", module)
    monkeypatch.setattr(registry, "_warned_missing_native", False)
    with pytest.warns(RuntimeWarning, match="C kernels are unavailable.*_native_lib"):
        table = registry.backend_table("compiled")
    assert table.softmax_cross_entropy is reference.softmax_cross_entropy
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry.backend_table("compiled")  # only the first table warns

"""The C kernels (fastgrad._native) against the NumPy reference kernels, on every instruction-set
variant this CPU can run; argument checking; and the fallback when the library is missing."""
import importlib.util
import inspect
import sys
import warnings

import numba
import numpy as np
import pytest

from fastgrad import _native
from fastgrad.backends import numpy as reference

pytestmark = pytest.mark.skipif(not _native.AVAILABLE, reason=f"C kernels not built: {_native.IMPORT_ERROR}")

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
    loss, grad = _native.softmax_cross_entropy(logits, targets, -100, reduction, True)
    expected_loss, expected_grad = reference.softmax_cross_entropy(logits, targets, -100, reduction, True)
    assert loss.dtype == grad.dtype == dtype
    assert loss.shape == expected_loss.shape and grad.shape == logits.shape
    assert_close(loss, expected_loss, dtype)
    assert_close(grad, expected_grad, dtype)
    no_grad_loss, none = _native.softmax_cross_entropy(logits, targets, -100, reduction, False)
    assert none is None
    np.testing.assert_array_equal(no_grad_loss, loss)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_large_logits_are_stable(simd_level, rng, dtype):
    logits = rng.choice([-1e4, 0.0, 1e4], size=(6, 37)).astype(dtype)
    logits[0] = 1e4  # all equal and huge
    logits[1] = -1e4
    logits[2, 5] = 1e4 - 1  # target just below the maximum
    targets = np.array([3, 0, 5, 7, 36, 1])
    loss, grad = _native.softmax_cross_entropy(logits, targets, -100, "none", True)
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
    loss, grad = _native.softmax_cross_entropy(logits, targets, 2, "mean", True)  # ignore_index inside [0, C)
    assert np.isnan(loss) and loss.shape == ()
    np.testing.assert_array_equal(grad, np.zeros_like(logits))
    loss, _ = _native.softmax_cross_entropy(logits, targets, 2, "sum", False)
    assert loss == 0


def test_softmax_cross_entropy_gradient_rows_sum_to_zero_and_are_exact_for_one_class(rng):
    logits = make_logits(rng, 50, 123, np.float32, scale=10.0)
    targets = rng.integers(0, 123, 50)
    _, grad = _native.softmax_cross_entropy(logits, targets, -100, "sum", True)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-6)
    loss, grad = _native.softmax_cross_entropy(logits[:, :1], np.zeros(50, dtype=np.int64), -100, "none", True)
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
            results.append(_native.softmax_cross_entropy(logits, targets, -100, "mean", True))
    finally:
        numba.set_num_threads(previous)
    for loss, grad in results[1:]:
        np.testing.assert_array_equal(loss, results[0][0])
        np.testing.assert_array_equal(grad, results[0][1])


def test_softmax_cross_entropy_accepts_non_contiguous_logits_and_narrow_targets(rng):
    wide = make_logits(rng, 9, 40, np.float32)
    logits = wide[:, ::2]
    targets = rng.integers(0, 20, 9).astype(np.int32)
    loss, grad = _native.softmax_cross_entropy(logits, targets, -100, "mean", True)
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


# -- Elman RNN -------------------------------------------------------------------------------------
def make_rnn(rng, steps, batch, inputs, hidden, dtype):
    scale = 1 / np.sqrt(hidden)
    return (rng.standard_normal((steps, batch, inputs)).astype(dtype),
            rng.standard_normal((batch, hidden)).astype(dtype) * dtype(0.5),
            (rng.standard_normal((hidden, inputs)) * scale).astype(dtype),
            (rng.standard_normal((hidden, hidden)) * scale).astype(dtype),
            rng.standard_normal(hidden).astype(dtype) * dtype(0.1))


RNN_SHAPES = [(1, 1, 1, 1), (1, 3, 4, 5), (6, 1, 3, 2), (7, 4, 9, 17), (5, 3, 33, 65)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("steps, batch, inputs, hidden", RNN_SHAPES)
def test_rnn_forward_and_backward_match_reference(simd_level, rng, dtype, nonlinearity, steps, batch, inputs,
                                                  hidden):
    x, h0, w_ih, w_hh, bias = make_rnn(rng, steps, batch, inputs, hidden, dtype)
    hs = _native.rnn_forward(x, h0, w_ih, w_hh, bias, nonlinearity)
    expected_hs = reference.rnn_forward(x, h0, w_ih, w_hh, bias, nonlinearity)
    assert hs.dtype == dtype and hs.shape == (steps, batch, hidden)
    assert_close(hs, expected_hs, dtype)
    g_hs = rng.standard_normal(hs.shape).astype(dtype)
    grads = _native.rnn_backward(x, h0, w_ih, w_hh, expected_hs, g_hs, nonlinearity, True)
    expected = reference.rnn_backward(x, h0, w_ih, w_hh, expected_hs, g_hs, nonlinearity, True)
    for name, actual, wanted in zip(["dx", "dh0", "dw_ih", "dw_hh", "db"], grads, expected):
        assert actual.shape == wanted.shape and actual.dtype == dtype, name
        assert_close(actual, wanted, dtype)
    assert _native.rnn_backward(x, h0, w_ih, w_hh, expected_hs, g_hs, nonlinearity, False)[0] is None


def test_rnn_with_no_steps_gives_empty_states_and_zero_gradients(rng):
    x, h0, w_ih, w_hh, bias = make_rnn(rng, 0, 2, 3, 4, np.float32)
    hs = _native.rnn_forward(x, h0, w_ih, w_hh, bias, "tanh")
    assert hs.shape == (0, 2, 4)
    dx, dh0, dw_ih, dw_hh, db = _native.rnn_backward(x, h0, w_ih, w_hh, hs, hs, "tanh", True)
    assert dx.shape == (0, 2, 3)
    for grad, like in [(dh0, h0), (dw_ih, w_ih), (dw_hh, w_hh), (db, bias)]:
        np.testing.assert_array_equal(grad, np.zeros_like(like))


def test_rnn_gradient_matches_finite_differences(rng):
    x, h0, w_ih, w_hh, bias = make_rnn(rng, 4, 2, 3, 5, np.float64)
    g_hs = rng.standard_normal((4, 2, 5))

    def loss(w):
        return float(np.sum(g_hs * _native.rnn_forward(x, h0, w_ih, w, bias, "tanh")))

    hs = _native.rnn_forward(x, h0, w_ih, w_hh, bias, "tanh")
    dw_hh = _native.rnn_backward(x, h0, w_ih, w_hh, hs, g_hs, "tanh", False)[3]
    step = 1e-6
    for i, j in [(0, 0), (2, 4), (4, 1)]:
        bump = np.zeros_like(w_hh)
        bump[i, j] = step
        numeric = (loss(w_hh + bump) - loss(w_hh - bump)) / (2 * step)
        assert dw_hh[i, j] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_rnn_promotes_mixed_dtypes_and_accepts_non_contiguous_inputs(rng):
    x, h0, w_ih, w_hh, bias = make_rnn(rng, 3, 2, 4, 6, np.float32)
    x_strided = np.asfortranarray(x)
    hs = _native.rnn_forward(x_strided, h0, w_ih.astype(np.float64), w_hh, bias, "tanh")
    assert hs.dtype == np.float64
    assert_close(hs, reference.rnn_forward(x.astype(np.float64), h0, w_ih.astype(np.float64), w_hh, bias, "tanh"),
                 np.float32)


# -- linear layer ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, fan_in, fan_out", [(1, 1, 1), (7, 5, 3), (64, 300, 2), (33, 17, 129)])
def test_linear_backward_matches_reference(rng, dtype, rows, fan_in, fan_out):
    x = rng.standard_normal((rows, fan_in)).astype(dtype)
    weight = rng.standard_normal((fan_out, fan_in)).astype(dtype)
    g = rng.standard_normal((rows, fan_out)).astype(dtype)
    for need in [(True, True, True), (False, True, False), (True, False, True), (False, False, False)]:
        actual = _native.linear_backward(x, weight, g, *need)
        expected = reference.linear_backward(x, weight, g, *need)
        for got, wanted in zip(actual, expected):
            if wanted is None:
                assert got is None
            else:
                assert got.dtype == dtype
                assert_close(got, wanted, dtype)


def test_linear_backward_accumulates_into_given_arrays(rng):
    x, weight, g = (rng.standard_normal(shape).astype(np.float32) for shape in [(9, 4), (3, 4), (9, 3)])
    out_weight = np.ones((3, 4), dtype=np.float32)
    out_bias = np.full(3, 2.0, dtype=np.float32)
    _, gw, gb = _native.linear_backward(x, weight, g, False, True, True, out_weight=out_weight, out_bias=out_bias)
    assert gw is out_weight and gb is out_bias
    _, expected_gw, expected_gb = reference.linear_backward(x, weight, g, False, True, True)
    assert_close(out_weight, 1 + expected_gw, np.float32)
    assert_close(out_bias, 2 + expected_gb, np.float32)


# -- bad input: clear Python exceptions, never a crash ----------------------------------------------
def test_softmax_cross_entropy_rejects_bad_arguments(rng):
    logits = make_logits(rng, 4, 5, np.float32)
    targets = np.array([0, 1, 2, 3])
    with pytest.raises(IndexError, match=r"targets: index 5 at position 2 .*5 classes"):
        _native.softmax_cross_entropy(logits, np.array([0, 1, 5, 3]), -100, "mean", True)
    with pytest.raises(IndexError, match=r"index -1 at position 0"):
        _native.softmax_cross_entropy(logits, np.array([-1, 1, 2, 3]), -100, "mean", True)
    with pytest.raises(ValueError, match=r"targets: expected shape \(N,\) = \(4,\), got \(3,\)"):
        _native.softmax_cross_entropy(logits, targets[:3], -100, "mean", True)
    with pytest.raises(TypeError, match="targets: expected a numpy.ndarray of int64"):
        _native.softmax_cross_entropy(logits, targets.astype(np.float32), -100, "mean", True)
    with pytest.raises(TypeError, match="logits: expected dtype float32 or float64, got int64"):
        _native.softmax_cross_entropy(targets.reshape(2, 2), targets[:2], -100, "mean", True)
    with pytest.raises(TypeError, match="logits: expected a numpy.ndarray, got list"):
        _native.softmax_cross_entropy([[1.0]], targets[:1], -100, "mean", True)
    with pytest.raises(ValueError, match=r"logits: expected a 2-D array \(N, C\), got shape \(5,\)"):
        _native.softmax_cross_entropy(logits[0], targets[:1], -100, "mean", True)
    with pytest.raises(ValueError, match="logits: expected at least one class"):
        _native.softmax_cross_entropy(logits[:, :0], targets, -100, "mean", True)
    with pytest.raises(ValueError, match="reduction: expected one of"):
        _native.softmax_cross_entropy(logits, targets, -100, "avg", True)


def test_rnn_rejects_bad_arguments(rng):
    x, h0, w_ih, w_hh, bias = make_rnn(rng, 3, 2, 4, 6, np.float32)
    with pytest.raises(ValueError, match=r"w_hh: expected shape \(H, H\) = \(6, 6\), got \(6, 5\)"):
        _native.rnn_forward(x, h0, w_ih, w_hh[:, :5], bias, "tanh")
    with pytest.raises(ValueError, match=r"w_ih: expected shape \(H, I\) = \(6, 4\), got \(6, 3\)"):
        _native.rnn_forward(x, h0, w_ih[:, :3], w_hh, bias, "tanh")
    with pytest.raises(ValueError, match=r"h0: expected shape \(B, H\) = \(2, 6\)"):
        _native.rnn_forward(x, h0[:1], w_ih, w_hh, bias, "tanh")
    with pytest.raises(ValueError, match=r"bias: expected shape \(H,\) = \(6,\), got \(5,\)"):
        _native.rnn_forward(x, h0, w_ih, w_hh, bias[:5], "tanh")
    with pytest.raises(ValueError, match=r"x: expected a 3-D array"):
        _native.rnn_forward(x[0], h0, w_ih, w_hh, bias, "tanh")
    with pytest.raises(ValueError, match="nonlinearity: expected one of"):
        _native.rnn_forward(x, h0, w_ih, w_hh, bias, "sigmoid")
    with pytest.raises(TypeError, match="h0: expected dtype float32 or float64, got int64"):
        _native.rnn_forward(x, h0.astype(np.int64), w_ih, w_hh, bias, "tanh")
    hs = _native.rnn_forward(x, h0, w_ih, w_hh, bias, "tanh")
    with pytest.raises(ValueError, match=r"g_hs: expected shape \(T, B, H\) = \(3, 2, 6\), got \(2, 2, 6\)"):
        _native.rnn_backward(x, h0, w_ih, w_hh, hs, hs[:2], "tanh", True)
    with pytest.raises(ValueError, match=r"hs: expected shape"):
        _native.rnn_backward(x, h0, w_ih, w_hh, hs[:, :1], hs, "tanh", True)


def test_linear_backward_rejects_bad_arguments(rng):
    x, weight, g = (rng.standard_normal(shape).astype(np.float32) for shape in [(9, 4), (3, 4), (9, 3)])
    with pytest.raises(ValueError, match=r"weight: expected shape \(out, in\) = \(3, 4\), got \(3, 5\)"):
        _native.linear_backward(x, np.zeros((3, 5), np.float32), g, True, True, True)
    with pytest.raises(ValueError, match=r"g: expected shape \(N, out\) = \(9, 3\), got \(8, 3\)"):
        _native.linear_backward(x, weight, g[:8], True, True, True)
    with pytest.raises(ValueError, match="out_weight: expected a float32 array of shape"):
        _native.linear_backward(x, weight, g, False, True, False, out_weight=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="out_bias: expected a writable C-contiguous array"):
        _native.linear_backward(x, weight, g, False, False, True, out_bias=np.zeros(6, np.float32)[::2])


# -- the kernel table and the missing-library fallback ----------------------------------------------
def test_kernels_have_the_reference_signatures():
    assert set(_native.KERNELS) == {"linear_backward", "softmax_cross_entropy", "rnn_forward", "rnn_backward"}
    for name, kernel in _native.KERNELS.items():
        positional = [p for p in inspect.signature(kernel).parameters.values() if p.kind != p.KEYWORD_ONLY]
        assert [p.name for p in positional] == list(inspect.signature(getattr(reference, name)).parameters), name


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
    with pytest.warns(RuntimeWarning, match="C kernels are unavailable.*_native_lib"):
        assert module.KERNELS == {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert module.KERNELS == {}  # only the first request warns
    with pytest.raises(RuntimeError, match="not built"):
        module.softmax_cross_entropy(np.zeros((1, 2)), np.zeros(1, np.int64), -100, "mean", True)
    with pytest.raises(AttributeError):
        module.no_such_kernel

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

"""Fused Numba activation kernels against the NumPy reference backend."""
import numpy as np
import pytest

from fastgrad.backends import numpy as reference
from fastgrad.kernels import activation as kernels
from fastgrad.kernels.registry import implementations

compiled = implementations("numba")  # each kernel behind its check, as the compiled backend runs it

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-5, np.float64: 1e-10}
SHAPES = [(7, 13), (3, 4, 5), (1,), (0, 3), ()]

# name -> (arguments after the arrays, names of the array arguments)
FORWARD = {"relu": (), "leaky_relu": (0.01,), "sigmoid": (), "silu": ()}
BACKWARD = {"relu_backward": (), "leaky_relu_backward": (0.2,), "hardtanh_backward": (-1.0, 1.0),
            "tanh_backward": (), "sigmoid_backward": (), "silu_backward": ()}


def inputs(rng, shape, dtype):
    """Values across the interesting ranges: around 0, at the hardtanh bounds, far out in both tails."""
    x = np.asarray(rng.standard_normal(shape) * 3)
    if x.size >= 6:
        x.flat[:6] = [0.0, -1.0, 1.0, 40.0, -40.0, -800.0]
    return x.astype(dtype)


def assert_close(actual, expected, dtype):
    assert actual.dtype == expected.dtype == dtype and actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=RTOL[dtype], atol=RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(FORWARD))
def test_forward_matches_reference(rng, name, shape, dtype):
    x = inputs(rng, shape, dtype)
    expected = getattr(reference, name)(x, *FORWARD[name])
    assert_close(getattr(kernels, name)(x, *FORWARD[name]), expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(BACKWARD))
def test_backward_matches_reference(rng, name, shape, dtype):
    g = np.asarray(rng.standard_normal(shape), dtype=dtype)
    x = inputs(rng, shape, dtype)
    # relu/tanh/sigmoid backward take the saved output, the others the saved input.
    saved = {"relu_backward": reference.relu, "tanh_backward": np.tanh,
             "sigmoid_backward": reference.sigmoid}.get(name, lambda v: v)(x)
    expected = getattr(reference, name)(g, saved, *BACKWARD[name])
    assert_close(getattr(kernels, name)(g, saved, *BACKWARD[name]), expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_saturates_without_overflow(dtype):
    x = np.array([-1e4, -100.0, 0.0, 100.0, 1e4], dtype=dtype)
    with np.errstate(over="raise"):
        y = compiled.sigmoid(x)
    np.testing.assert_array_equal(y, np.array([0.0, reference.sigmoid(x)[1], 0.5, 1.0, 1.0], dtype=dtype))


def test_relu_propagates_nan_like_np_maximum():
    x = np.array([np.nan, -1.0, 0.0, 2.0])
    np.testing.assert_array_equal(compiled.relu(x), reference.relu(x))


@pytest.mark.parametrize("name", ["relu_backward", "hardtanh_backward"])
def test_flat_regions_get_zero_even_from_a_nan_or_inf_upstream_gradient(name):
    """Selected, not multiplied by 0 (0 * NaN would be NaN), in both implementations."""
    g = np.array([np.nan, np.inf, np.nan, 1.0, -np.inf])
    saved = np.array([0.0, 0.0, 0.5, 3.0, 0.5]) if name == "relu_backward" else np.array([-2.0, 2.0, 0.5, 3.0, 0.5])
    expected = np.array([0.0, 0.0, np.nan, 1.0 if name == "relu_backward" else 0.0, -np.inf])
    for implementation in (reference, compiled):
        np.testing.assert_array_equal(getattr(implementation, name)(g, saved, *BACKWARD[name]), expected)


def test_tanh_backward_keeps_float32_arithmetic():
    """1 - y^2 near |y| = 1 cancels; computing it in float64 would not match the float32 reference."""
    y = np.array([np.nextafter(np.float32(1), np.float32(0)), 0.9999], dtype=np.float32)
    g = np.ones_like(y)
    np.testing.assert_array_equal(compiled.tanh_backward(g, y), reference.tanh_backward(g, y))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["sigmoid", "silu", "silu_backward"])
def test_sigmoid_family_at_nan_and_infinities_matches_reference(dtype, name):
    """The kernels divide (compiled with error_model="numpy", so that the loops vectorise): NaN and the
    infinities give what NumPy gives, where they are NaN and where they are not."""
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30, 3.0], dtype=dtype)
    args = (np.ones_like(x), x) if name == "silu_backward" else (x,)
    with np.errstate(all="ignore"):
        expected = getattr(reference, name)(*args)
        actual = getattr(compiled, name)(*args)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    assert_close(actual, expected, dtype)


def test_numpy_scalars_pass_as_0d_arrays():
    y = compiled.sigmoid(np.float32(0.5))
    assert y.shape == () and y.dtype == np.float32 and np.isclose(y, reference.sigmoid(np.float32(0.5)))


def test_non_contiguous_inputs(rng):
    x = rng.standard_normal((6, 10))[:, ::3]
    g = rng.standard_normal((10, 6)).T[:, ::3]
    np.testing.assert_allclose(compiled.silu(x), reference.silu(x), rtol=1e-10)
    np.testing.assert_allclose(compiled.silu_backward(g, x), reference.silu_backward(g, x), rtol=1e-10)


def test_inputs_are_not_modified(rng):
    x = rng.standard_normal(20)
    g = rng.standard_normal(20)
    x_before, g_before = x.copy(), g.copy()
    compiled.sigmoid(x)
    compiled.silu_backward(g, x)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(g, g_before)


def test_bad_arguments_raise_clearly():
    x32 = np.zeros(4, dtype=np.float32)
    with pytest.raises(TypeError, match="x: expected dtype float32 or float64, got int64"):
        compiled.sigmoid(np.zeros(4, dtype=np.int64))
    with pytest.raises(TypeError, match="x: expected a numpy.ndarray, got list"):
        compiled.silu([1.0, 2.0])
    with pytest.raises(TypeError, match=r"y: expected dtype float32 \(that of g\), got float64"):
        compiled.tanh_backward(x32, np.zeros(4))
    with pytest.raises(ValueError, match=r"x: expected shape \(4,\) \(that of g\), got \(2, 2\)"):
        compiled.silu_backward(x32, x32.reshape(2, 2))

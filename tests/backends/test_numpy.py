"""The NumPy reference kernels where they do more than call NumPy: the Elman RNN's in-place time loop, relu's
selection by bits."""
import numpy as np
import pytest

from fastgrad.backends import numpy as reference


def make_rnn(rng, steps, batch, inputs, hidden, dtype):
    scale = 1 / np.sqrt(hidden)
    return (rng.standard_normal((steps, batch, inputs)).astype(dtype),
            rng.standard_normal((batch, hidden)).astype(dtype) * dtype(0.5),
            (rng.standard_normal((hidden, inputs)) * scale).astype(dtype),
            (rng.standard_normal((hidden, hidden)) * scale).astype(dtype),
            rng.standard_normal(hidden).astype(dtype) * dtype(0.1))


def test_rnn_with_no_steps_gives_empty_states_and_zero_gradients(rng):
    x, h0, w_ih, w_hh, bias = make_rnn(rng, 0, 2, 3, 4, np.float32)
    hs = reference.rnn_forward(x, h0, w_ih, w_hh, bias, "tanh")
    assert hs.shape == (0, 2, 4)
    dx, dh0, dw_ih, dw_hh, db = reference.rnn_backward(x, h0, w_ih, w_hh, hs, hs, "tanh", True)
    assert dx.shape == (0, 2, 3)
    for grad, like in [(dh0, h0), (dw_ih, w_ih), (dw_hh, w_hh), (db, bias)]:
        assert grad.dtype == like.dtype
        np.testing.assert_array_equal(grad, np.zeros_like(like))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_gradients_match_finite_differences(rng, nonlinearity):
    x, h0, w_ih, w_hh, bias = make_rnn(rng, 4, 2, 3, 5, np.float64)
    g_hs = rng.standard_normal((4, 2, 5))
    hs = reference.rnn_forward(x, h0, w_ih, w_hh, bias, nonlinearity)
    grads = dict(zip(["x", "h0", "w_ih", "w_hh", "bias"],
                     reference.rnn_backward(x, h0, w_ih, w_hh, hs, g_hs, nonlinearity, True)))
    arrays = {"x": x, "h0": h0, "w_ih": w_ih, "w_hh": w_hh, "bias": bias}
    step = 1e-6
    for name, array in arrays.items():
        for index in [(0,) * array.ndim, tuple(n - 1 for n in array.shape)]:
            bumped = []
            for sign in (1, -1):
                moved = {**arrays, name: array.copy()}
                moved[name][index] += sign * step
                bumped.append(float(np.sum(g_hs * reference.rnn_forward(*moved.values(), nonlinearity))))
            numeric = (bumped[0] - bumped[1]) / (2 * step)
            assert grads[name][index] == pytest.approx(numeric, rel=1e-6, abs=1e-9), (name, index)


def test_rnn_promotes_mixed_dtypes_and_accepts_non_contiguous_inputs(rng):
    x, h0, w_ih, w_hh, bias = make_rnn(rng, 3, 2, 4, 6, np.float32)
    hs = reference.rnn_forward(np.asfortranarray(x), h0, w_ih.astype(np.float64), w_hh, bias, "tanh")
    assert hs.dtype == np.float64
    expected = reference.rnn_forward(x.astype(np.float64), h0, w_ih.astype(np.float64), w_hh, bias, "tanh")
    np.testing.assert_allclose(hs, expected, rtol=1e-12)
    grads = reference.rnn_backward(x, h0, w_ih.astype(np.float64), w_hh, hs, hs, "tanh", True)
    assert all(grad.dtype == np.float64 for grad in grads)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.int8])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "stepped"])
def test_relu_and_its_backward_select_by_bits_as_np_where_would(dtype, layout):
    """relu and relu_backward mask bits instead of calling np.where: the same values, signs of zero, NaNs and
    dtypes, for every layout (-0.0 kept, negatives and -inf to +0.0, a NaN input kept, a NaN gradient left out)."""
    special = [-0.0, 0.0, np.nan, -1.5, np.inf, -np.inf, 2.0, 3.0, -7.0, 0.5, -0.25, 1.0]
    x = np.array(special if np.dtype(dtype).kind == "f" else [-3, 0, 5, -1, 2, 7, -8, 1, 0, 4, -2, 6], dtype=dtype)
    x = {"contiguous": x.reshape(3, 4), "transposed": x.reshape(4, 3).T, "stepped": x.reshape(2, 6)[:, ::2]}[layout]
    g = np.full(x.shape, np.nan if np.dtype(dtype).kind == "f" else 9, dtype=dtype)
    for got, expected in ((reference.relu(x), np.where(x < 0, x.dtype.type(0), x)),
                          (reference.relu_backward(g, x), np.where(x <= 0, g.dtype.type(0), g))):
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))

"""The Numba LSTM and GRU kernels against the NumPy reference backend."""
import numpy as np
import pytest

from fastgrad.backends import numpy as reference
from fastgrad.kernels import gated_rnn as kernels
from fastgrad.kernels.registry import implementations

compiled = implementations("numba")  # each kernel behind its check, as the compiled backend runs it

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}
SHAPES = [(1, 1, 1, 1), (1, 3, 4, 5), (6, 1, 3, 2), (7, 4, 9, 17), (3, 2, 33, 65), (0, 2, 3, 4), (3, 0, 2, 3)]
# Saturated gates (scale 30) only in float64: float32 BLAS rounding of pre-activations in the hundreds,
# compounded through the cell state, is not the kernels' error.
DTYPE_SCALES = [(np.float32, 1.0), (np.float64, 1.0), (np.float64, 30.0)]
KERNEL_NAMES = ["lstm_forward", "lstm_backward", "gru_forward", "gru_backward"]


def layer(rng, shape, gate_count, dtype, scale=1.0):
    """x, h0, c0, w_ih, w_hh, b_ih, b_hh of one layer; `scale` > 1 drives the gates into saturation."""
    steps, batch, inputs, hidden = shape
    rows = gate_count * hidden
    arrays = [rng.standard_normal((steps, batch, inputs)), rng.standard_normal((batch, hidden)),
              rng.standard_normal((batch, hidden)), rng.standard_normal((rows, inputs)) * scale,
              rng.standard_normal((rows, hidden)) * scale, rng.standard_normal(rows), rng.standard_normal(rows)]
    return [a.astype(dtype) for a in arrays]


def assert_close(actual, expected, dtype):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        if e is None:
            assert a is None
            continue
        assert a.dtype == e.dtype == dtype and a.shape == e.shape
        np.testing.assert_allclose(a, e, **TOL[dtype])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype, scale", DTYPE_SCALES)
def test_lstm_matches_reference(rng, shape, dtype, scale):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = layer(rng, shape, 4, dtype, scale)
    expected = reference.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih + b_hh)
    assert_close(compiled.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih + b_hh), expected, dtype)
    states, gates = expected
    g_states = rng.standard_normal(states.shape).astype(dtype)
    for need_x in (True, False):
        assert_close(compiled.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates, g_states, need_x),
                     reference.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates, g_states, need_x), dtype)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype, scale", DTYPE_SCALES)
def test_gru_matches_reference(rng, shape, dtype, scale):
    x, h0, _, w_ih, w_hh, b_ih, b_hh = layer(rng, shape, 3, dtype, scale)
    expected = reference.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
    assert_close(compiled.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh), expected, dtype)
    hs, gates = expected
    g_hs = rng.standard_normal(hs.shape).astype(dtype)
    for need_x in (True, False):
        assert_close(compiled.gru_backward(x, h0, w_ih, w_hh, hs, gates, g_hs, need_x),
                     reference.gru_backward(x, h0, w_ih, w_hh, hs, gates, g_hs, need_x), dtype)


def test_saturated_gates_stay_finite(rng):
    """Pre-activations of +-1000 overflow a naive exp(-x); the split sigmoid gives exact 0 and 1."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = layer(rng, (3, 2, 4, 5), 4, np.float32, scale=1000.0)
    states, gates = compiled.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih)
    assert np.isfinite(states).all() and np.isfinite(gates).all()
    assert ((gates == 0) | (gates == 1) | (gates == -1)).mean() > 0.9


def test_one_lstm_step_by_hand():
    # H = I = B = 1, gate pre-activations i = 0, f = 1, g = 0.5, o = -1 from the biases alone
    bias = np.array([0.0, 1.0, 0.5, -1.0])
    states, gates = compiled.lstm_forward(np.zeros((1, 1, 1)), np.zeros((1, 1)), np.full((1, 1), 2.0),
                                         np.ones((4, 1)), np.ones((4, 1)), bias)
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    c = sigmoid(1.0) * 2.0 + sigmoid(0.0) * np.tanh(0.5)
    np.testing.assert_allclose(gates.reshape(-1), [sigmoid(0.0), sigmoid(1.0), np.tanh(0.5), sigmoid(-1.0)])
    np.testing.assert_allclose(states.reshape(-1), [sigmoid(-1.0) * np.tanh(c), c])


def test_mixed_dtypes_promote_and_strided_inputs_are_accepted(rng):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = layer(rng, (4, 3, 5, 6), 4, np.float32)
    strided_x = np.repeat(x, 2, axis=2)[:, :, ::2]
    states, gates = compiled.lstm_forward(strided_x, h0, c0, w_ih.astype(np.float64), w_hh, b_ih)
    assert states.dtype == gates.dtype == np.float64
    expected = reference.lstm_forward(*(a.astype(np.float64) for a in (x, h0, c0, w_ih, w_hh, b_ih)))
    assert_close((states, gates), expected, np.float64)
    hs, _ = compiled.gru_forward(x[::-1], h0, w_ih[:18], w_hh[:18], b_ih[:18], b_hh[:18].astype(np.float64))
    assert hs.dtype == np.float64


def test_each_kernel_compiles_once_per_dtype(rng):
    for shape in [(2, 3, 4, 5), (1, 1, 7, 2)]:
        for dtype in DTYPES:
            x, h0, c0, w_ih, w_hh, b_ih, b_hh = layer(rng, shape, 4, dtype)
            states, gates = compiled.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih)
            compiled.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates, states, True)
            hs, gates = compiled.gru_forward(x, h0, w_ih[:3 * shape[3]], w_hh[:3 * shape[3]], b_ih[:3 * shape[3]],
                                            b_hh[:3 * shape[3]])
            compiled.gru_backward(x, h0, w_ih[:3 * shape[3]], w_hh[:3 * shape[3]], hs, gates, hs, True)
    for step in (kernels._lstm_step, kernels._lstm_step_backward, kernels._gru_step, kernels._gru_step_backward):
        assert len(step.signatures) == 2


def test_bad_arguments_name_the_argument(rng):
    x, h0, c0, w_ih, w_hh, b_ih, _ = layer(rng, (3, 2, 4, 5), 4, np.float64)
    with pytest.raises(ValueError, match=r"w_hh: expected shape \(4H, H\), got \(20, 4\)"):
        compiled.lstm_forward(x, h0, c0, w_ih, w_hh[:, :4], b_ih)
    with pytest.raises(ValueError, match=r"w_ih: expected shape \(4H, I\) = \(20, 4\), got \(20, 3\)"):
        compiled.lstm_forward(x, h0, c0, w_ih[:, :3], w_hh, b_ih)
    with pytest.raises(ValueError, match=r"h0: expected shape \(B, H\) = \(2, 5\), got \(1, 5\)"):
        compiled.lstm_forward(x, h0[:1], c0, w_ih, w_hh, b_ih)
    with pytest.raises(ValueError, match=r"c0: expected shape \(B, H\) = \(2, 5\), got \(2, 4\)"):
        compiled.lstm_forward(x, h0, c0[:, :4], w_ih, w_hh, b_ih)
    with pytest.raises(ValueError, match=r"bias: expected shape \(4H,\) = \(20,\), got \(19,\)"):
        compiled.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih[:19])
    with pytest.raises(ValueError, match=r"x: expected a 3-D array \(T, B, I\), got shape \(2, 4\)"):
        compiled.lstm_forward(x[0], h0, c0, w_ih, w_hh, b_ih)
    with pytest.raises(TypeError, match="h0: expected dtype float32 or float64, got int64"):
        compiled.lstm_forward(x, h0.astype(np.int64), c0, w_ih, w_hh, b_ih)
    with pytest.raises(TypeError, match="x: expected a numpy.ndarray, got list"):
        compiled.gru_forward(x.tolist(), h0, w_ih[:15], w_hh[:15], b_ih[:15], b_ih[:15])
    states, gates = compiled.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih)
    with pytest.raises(ValueError, match=r"g_states: expected shape \(2, T, B, H\) = \(2, 3, 2, 5\), got \(2, 2, 2"):
        compiled.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates, states[:, :2], True)
    with pytest.raises(ValueError, match=r"gates: expected shape \(T, B, 4H\) = \(3, 2, 20\)"):
        compiled.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates[:, :, :15], states, True)
    with pytest.raises(ValueError, match=r"w_hh: expected shape \(3H, H\), got \(20, 5\)"):
        compiled.gru_forward(x, h0, w_ih, w_hh, b_ih, b_ih)
    hs, gru_gates = compiled.gru_forward(x, h0, w_ih[:15], w_hh[:15], b_ih[:15], b_ih[:15])
    with pytest.raises(ValueError, match=r"b_hh: expected shape \(3H,\) = \(15,\), got \(20,\)"):
        compiled.gru_forward(x, h0, w_ih[:15], w_hh[:15], b_ih[:15], b_ih)
    with pytest.raises(ValueError, match=r"hs: expected shape \(T, B, H\) = \(3, 2, 5\), got \(3, 2, 4\)"):
        compiled.gru_backward(x, h0, w_ih[:15], w_hh[:15], hs[:, :, :4], gru_gates, hs, True)

"""The pure-Python-loop kernels against the NumPy reference at tiny sizes (float64, 1e-10)."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad.backends import numpy as reference
from fastgrad.backends import python_loops as loops
from fastgrad.kernels import KERNELS

TOL = dict(rtol=1e-10, atol=1e-10)


def assert_same(actual, expected):
    """Equal values, shapes and dtypes, recursing into tuples; None must match None."""
    if expected is None or actual is None:
        assert actual is None and expected is None
    elif isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_same(a, e)
    else:
        assert actual.shape == expected.shape and actual.dtype == expected.dtype
        np.testing.assert_allclose(actual, expected, **TOL)


def test_python_backend_runs_the_loop_kernels_and_numpy_for_the_rest():
    table = fastgrad.backends.load("python")
    assert table.name == "python"
    for name, kernel in KERNELS.items():
        assert getattr(table, name) is (kernel.loops or kernel.numpy), name
    assert table.sigmoid is reference.sigmoid and table.rnn_forward is loops.rnn_forward


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations(rng, dtype):
    x = rng.normal(size=(3, 4, 5)).astype(dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    tol = TOL if dtype == np.float64 else dict(rtol=1e-6, atol=1e-6)
    for forward, backward in [("tanh", "tanh_backward"), ("relu", "relu_backward")]:
        y = getattr(loops, forward)(x)
        expected_y = getattr(reference, forward)(x)
        assert y.dtype == expected_y.dtype == dtype and y.shape == x.shape
        np.testing.assert_allclose(y, expected_y, **tol)
        np.testing.assert_allclose(getattr(loops, backward)(g, y), getattr(reference, backward)(g, expected_y), **tol)


def test_relu_known_values_and_int_tanh():
    np.testing.assert_array_equal(loops.relu(np.array([-2.0, 0.0, 3.5])), [0.0, 0.0, 3.5])
    np.testing.assert_array_equal(loops.relu_backward(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 3.5])),
                                  [0.0, 0.0, 3.0])
    assert_same(loops.tanh(np.arange(-2, 3)), np.tanh(np.arange(-2, 3)))


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                                    ((2, 3, 4), (4, 5))])
def test_matmul_follows_numpy_promotion(rng, shapes):
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    assert_same(loops.matmul(a, b), reference.matmul(a, b))


def test_matmul_of_views_and_bad_shapes(rng):
    a = rng.normal(size=(5, 3))
    assert_same(loops.matmul(a.T, a), a.T @ a)  # transposed (non-contiguous) operands
    with pytest.raises(ValueError, match=r"a's last dimension \(3\) must equal b's first \(4\)"):
        loops.matmul(a, rng.normal(size=(4, 2)))


def test_matmul_known_product():
    product = loops.matmul(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 6.0], [7.0, 8.0]]))
    np.testing.assert_array_equal(product, [[19.0, 22.0], [43.0, 50.0]])


@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_and_backward(rng, with_bias):
    x, weight = rng.normal(size=(6, 4)), rng.normal(size=(3, 4))
    bias = rng.normal(size=3) if with_bias else None
    g = rng.normal(size=(6, 3))
    assert_same(loops.linear(x, weight, bias), reference.linear(x, weight, bias))
    for needs in [(True, True, True), (False, True, False), (True, False, True)]:
        assert_same(loops.linear_backward(x, weight, g, *needs), reference.linear_backward(x, weight, g, *needs))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy(rng, reduction):
    logits = rng.normal(size=(5, 7)) * 10  # large logits: the max shift must keep exp finite
    targets = np.array([0, 6, -100, 3, 3])
    expected = reference.softmax_cross_entropy(logits, targets, -100, reduction, True)
    assert_same(loops.softmax_cross_entropy(logits, targets, -100, reduction, True), expected)
    loss, grad = loops.softmax_cross_entropy(logits, targets, -100, reduction, False)
    assert grad is None
    assert_same(loss, expected[0])


def test_softmax_cross_entropy_known_value_and_all_ignored():
    loss, grad = loops.softmax_cross_entropy(np.zeros((1, 4)), np.array([2]), -100, "mean", True)
    assert loss == pytest.approx(np.log(4.0))
    np.testing.assert_allclose(grad, [[0.25, 0.25, -0.75, 0.25]])
    loss, grad = loops.softmax_cross_entropy(np.zeros((2, 3)), np.array([-1, -1]), -1, "mean", True)
    assert np.isnan(loss) and not grad.any()


def test_softmax_cross_entropy_keeps_float32(rng):
    logits = rng.normal(size=(4, 9)).astype(np.float32)
    loss, grad = loops.softmax_cross_entropy(logits, np.array([1, 2, 3, 4]), -100, "mean", True)
    assert loss.dtype == grad.dtype == np.float32


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("padding_idx", [-1, 2])
def test_embedding_and_backward(rng, sparse, padding_idx):
    weight = rng.normal(size=(6, 3))
    ids = np.array([[1, 2, 2], [5, 0, 2]])
    assert_same(loops.embedding(weight, ids), reference.embedding(weight, ids))
    g = rng.normal(size=(6, 3))
    assert_same(loops.embedding_backward(ids, g, 6, padding_idx, sparse),
                reference.embedding_backward(ids, g, 6, padding_idx, sparse))


def test_embedding_backward_sums_repeated_rows():
    dense = loops.embedding_backward(np.array([1, 1, 0]), np.array([[1.0], [2.0], [4.0]]), 3, -1, False)
    np.testing.assert_array_equal(dense, [[4.0], [3.0], [0.0]])


@pytest.mark.parametrize("mode", ["mean", "sum"])
@pytest.mark.parametrize("sparse", [False, True])
def test_embedding_bag_and_backward(rng, mode, sparse):
    weight = rng.normal(size=(7, 4))
    ids = np.array([3, 1, 1, 6, 0, 2])
    offsets = np.array([0, 2, 2, 5])  # the third bag is empty
    assert_same(loops.embedding_bag(weight, ids, offsets, mode), reference.embedding_bag(weight, ids, offsets, mode))
    g = rng.normal(size=(4, 4))
    assert_same(loops.embedding_bag_backward(ids, offsets, g, mode, 7, sparse),
                reference.embedding_bag_backward(ids, offsets, g, mode, 7, sparse))


def test_embedding_bag_mean_known_value():
    weight = np.array([[1.0, 0.0], [3.0, 2.0]])
    np.testing.assert_array_equal(loops.embedding_bag(weight, np.array([0, 1]), np.array([0]), "mean"), [[2.0, 1.0]])


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("need_x", [True, False])
def test_rnn_forward_and_bptt(rng, nonlinearity, need_x):
    steps, batch, inputs, hidden = 4, 3, 5, 6
    x, h0 = rng.normal(size=(steps, batch, inputs)), rng.normal(size=(batch, hidden))
    w_ih, w_hh = rng.normal(size=(hidden, inputs)) * 0.5, rng.normal(size=(hidden, hidden)) * 0.5
    bias = rng.normal(size=hidden)
    hs = loops.rnn_forward(x, h0, w_ih, w_hh, bias, nonlinearity)
    assert_same(hs, reference.rnn_forward(x, h0, w_ih, w_hh, bias, nonlinearity))
    g_hs = rng.normal(size=hs.shape)
    assert_same(loops.rnn_backward(x, h0, w_ih, w_hh, hs, g_hs, nonlinearity, need_x),
                reference.rnn_backward(x, h0, w_ih, w_hh, hs, g_hs, nonlinearity, need_x))


def test_rnn_one_step_by_hand():
    # h1 = tanh(w_ih x + w_hh h0 + b) with scalars: tanh(2*1 + 0.5*(-1) + 0.25)
    hs = loops.rnn_forward(np.array([[[1.0]]]), np.array([[-1.0]]), np.array([[2.0]]), np.array([[0.5]]),
                           np.array([0.25]), "tanh")
    assert hs[0, 0, 0] == pytest.approx(np.tanh(1.75))


@pytest.mark.parametrize("need_x", [True, False])
@pytest.mark.parametrize("steps, batch", [(4, 3), (1, 1), (0, 2)])
def test_lstm_forward_and_bptt(rng, need_x, steps, batch):
    inputs, hidden = 5, 3
    x = rng.normal(size=(steps, batch, inputs))
    h0, c0 = rng.normal(size=(batch, hidden)), rng.normal(size=(batch, hidden))
    w_ih, w_hh = rng.normal(size=(4 * hidden, inputs)), rng.normal(size=(4 * hidden, hidden))
    bias = rng.normal(size=4 * hidden)
    states, gates = loops.lstm_forward(x, h0, c0, w_ih, w_hh, bias)
    assert_same((states, gates), reference.lstm_forward(x, h0, c0, w_ih, w_hh, bias))
    g_states = rng.normal(size=states.shape)
    assert_same(loops.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates, g_states, need_x),
                reference.lstm_backward(x, h0, c0, w_ih, w_hh, states, gates, g_states, need_x))


@pytest.mark.parametrize("need_x", [True, False])
@pytest.mark.parametrize("steps, batch", [(4, 3), (1, 1), (0, 2)])
def test_gru_forward_and_bptt(rng, need_x, steps, batch):
    inputs, hidden = 5, 3
    x, h0 = rng.normal(size=(steps, batch, inputs)), rng.normal(size=(batch, hidden))
    w_ih, w_hh = rng.normal(size=(3 * hidden, inputs)), rng.normal(size=(3 * hidden, hidden))
    b_ih, b_hh = rng.normal(size=3 * hidden), rng.normal(size=3 * hidden)
    hs, gates = loops.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
    assert_same((hs, gates), reference.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh))
    g_hs = rng.normal(size=hs.shape)
    assert_same(loops.gru_backward(x, h0, w_ih, w_hh, hs, gates, g_hs, need_x),
                reference.gru_backward(x, h0, w_ih, w_hh, hs, gates, g_hs, need_x))


def test_gru_one_step_by_hand():
    # H = I = B = 1, W = 0: r = sigmoid(1), z = sigmoid(-2), n = tanh(0.5 + r * 0.25), h = (1 - z) n + z h0
    hs, gates = loops.gru_forward(np.zeros((1, 1, 1)), np.array([[3.0]]), np.zeros((3, 1)), np.zeros((3, 1)),
                                  np.array([1.0, -2.0, 0.5]), np.array([0.0, 0.0, 0.25]))
    r, z = 1 / (1 + np.exp(-1.0)), 1 / (1 + np.exp(2.0))
    n = np.tanh(0.5 + r * 0.25)
    np.testing.assert_allclose(gates.reshape(-1), [r, z, n, 0.25])
    assert hs[0, 0, 0] == pytest.approx((1 - z) * n + z * 3.0)


def small_lm_gradients(backend: str) -> dict[str, np.ndarray]:
    """Embedding -> RNN -> linear -> cross-entropy on one batch; the gradients of every parameter."""
    rng = np.random.default_rng(7)
    vocab, dim, hidden, steps, batch = 11, 4, 5, 3, 2
    params = {"embedding": rng.normal(size=(vocab, dim)), "w_ih": rng.normal(size=(hidden, dim)) * 0.3,
              "w_hh": rng.normal(size=(hidden, hidden)) * 0.3, "b_ih": rng.normal(size=hidden),
              "b_hh": rng.normal(size=hidden), "w_out": rng.normal(size=(vocab, hidden)),
              "b_out": rng.normal(size=vocab)}
    tensors = {k: fastgrad.tensor(v, requires_grad=True) for k, v in params.items()}
    ids = fastgrad.tensor(rng.integers(0, vocab, size=(steps, batch)))
    targets = rng.integers(0, vocab, size=steps * batch)
    with fastgrad.backend(backend):
        x = F.embedding(ids, tensors["embedding"])
        hs = F.rnn(x, fastgrad.zeros(batch, hidden, dtype=fastgrad.float64), tensors["w_ih"], tensors["w_hh"],
                   tensors["b_ih"], tensors["b_hh"])
        logits = F.linear(F.relu(hs.reshape(steps * batch, hidden)), tensors["w_out"], tensors["b_out"])
        F.cross_entropy(logits, fastgrad.tensor(targets)).backward()
    return {k: t.grad.numpy() for k, t in tensors.items()}


def test_engine_on_python_backend_matches_numpy_backend():
    loop_grads, numpy_grads = small_lm_gradients("python"), small_lm_gradients("numpy")
    for name, grad in numpy_grads.items():
        assert np.abs(grad).sum() > 0, name  # every parameter actually receives a gradient
        np.testing.assert_allclose(loop_grads[name], grad, **TOL, err_msg=name)


def test_linear_backward_with_no_output_features():
    """g (N, 0): dx is zeros of x's shape (the transposed-list columns of an empty weight keep their count)."""
    x, weight, g = np.ones((3, 2)), np.zeros((0, 2)), np.zeros((3, 0))
    gx, gw, gb = loops.linear_backward(x, weight, g, True, True, True)
    assert gx.shape == (3, 2) and not gx.any() and gw.shape == (0, 2) and gb.shape == (0,)

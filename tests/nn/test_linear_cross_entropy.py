"""F.linear_cross_entropy: the same loss and gradients as cross_entropy(linear(...)), without all the logits.
(Parity with PyTorch's F.linear_cross_entropy and nn.LinearCrossEntropyLoss: test_linear_cross_entropy_parity.py.)"""
import threading
import tracemalloc

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad.ops import nn as nn_ops

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


def layer(rng, shape, hidden, classes, dtype, ignored=0.2, ignore_index=-100):
    """hidden (*shape, H), weight (V, H), bias (V,) leaves and targets of `shape`, some ignored."""
    def leaf(*dims, scale=1.0):
        return fastgrad.tensor((rng.standard_normal(dims) * scale).astype(dtype), requires_grad=True)

    targets = rng.integers(0, classes, shape)
    targets[rng.random(shape) < ignored] = ignore_index
    return leaf(*shape, hidden), leaf(classes, hidden, scale=0.5), leaf(classes), fastgrad.tensor(targets)


def fused(hidden, weight, bias, targets, **options):
    return F.linear_cross_entropy(hidden, weight, targets, linear_bias=bias, **options)


def loss_and_grads(loss_fn, tensors, upstream):
    for t in tensors:
        t.grad = None
    loss = loss_fn()
    (loss * fastgrad.tensor(upstream)).sum().backward()
    return loss.detach().numpy(), [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("block_logits", [1 << 22, 37])  # one block, and blocks of 3 rows of 12 classes
def test_matches_the_unfused_layer(monkeypatch, rng, backend, dtype, reduction, block_logits):
    monkeypatch.setattr(nn_ops, "BLOCK_LOGITS", block_logits)
    hidden, weight, bias, targets = layer(rng, (20,), 6, 12, dtype)
    upstream = rng.uniform(0.5, 2.0, (20,) if reduction == "none" else ()).astype(dtype)
    with fastgrad.backend(backend):
        one_op = loss_and_grads(lambda: fused(hidden, weight, bias, targets, reduction=reduction),
                                (hidden, weight, bias), upstream)
        unfused = loss_and_grads(lambda: F.cross_entropy(F.linear(hidden, weight, bias), targets, reduction=reduction),
                                 (hidden, weight, bias), upstream)
    assert one_op[0].shape == unfused[0].shape and one_op[0].dtype == unfused[0].dtype == dtype
    np.testing.assert_allclose(one_op[0], unfused[0], **TOLERANCE[dtype])
    for fused_grad, unfused_grad in zip(one_op[1], unfused[1]):
        assert fused_grad.dtype == dtype
        np.testing.assert_allclose(fused_grad, unfused_grad, **TOLERANCE[dtype])


def test_without_bias_and_with_an_ignore_index_among_the_classes(rng):
    hidden, weight, _, targets = layer(rng, (9,), 4, 7, np.float64, ignore_index=3)
    loss = fused(hidden, weight, None, targets, ignore_index=3)
    expected = F.cross_entropy(F.linear(hidden, weight), targets, ignore_index=3)
    np.testing.assert_allclose(loss.detach().numpy(), expected.detach().numpy(), rtol=1e-13)
    loss.backward()
    one_op_grads = [hidden.grad.numpy(), weight.grad.numpy()]
    hidden.grad = weight.grad = None
    expected.backward()
    for one_op, unfused in zip(one_op_grads, [hidden.grad.numpy(), weight.grad.numpy()]):
        np.testing.assert_allclose(one_op, unfused, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_every_target_ignored_gives_the_unfused_layers_answer(rng, reduction):
    hidden, weight, bias, _ = layer(rng, (3,), 4, 5, np.float64)
    targets = fastgrad.tensor(np.full(3, -100))
    loss = fused(hidden, weight, bias, targets, reduction=reduction)
    expected = F.cross_entropy(F.linear(hidden, weight, bias), targets, reduction=reduction)
    np.testing.assert_array_equal(loss.detach().numpy(), expected.detach().numpy())  # NaN for "mean", 0 for "sum"
    loss.backward()
    for t in (hidden, weight, bias):
        np.testing.assert_array_equal(t.grad.numpy(), 0)


def test_no_targets(rng):
    hidden, weight, bias, _ = layer(rng, (0,), 4, 5, np.float64)
    loss = fused(hidden, weight, bias, fastgrad.zeros(0, dtype=fastgrad.int64), reduction="sum")
    loss.backward()
    assert float(loss.detach().numpy()) == 0 and hidden.grad.shape == (0, 4)
    np.testing.assert_array_equal(weight.grad.numpy(), 0)
    np.testing.assert_array_equal(bias.grad.numpy(), 0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@SETTINGS
@given(rows=st.integers(1, 5), hidden_size=st.integers(1, 4), classes=st.integers(1, 6), block=st.integers(1, 13),
       seed=st.integers(0, 2**16))
def test_gradcheck(backend, reduction, rows, hidden_size, classes, block, seed):
    rng = np.random.default_rng(seed)
    hidden, weight, bias, targets = layer(rng, (rows,), hidden_size, classes, np.float64)
    targets[0] = 0  # a counted row, so that "mean" is not NaN
    original = nn_ops.BLOCK_LOGITS
    nn_ops.BLOCK_LOGITS = block  # blocks of block // classes rows (at least one)
    try:
        with fastgrad.backend(backend):
            assert fastgrad.gradcheck(lambda h, w, b: fused(h, w, b, targets, reduction=reduction),
                                      (hidden, weight, bias))
    finally:
        nn_ops.BLOCK_LOGITS = original


def recording(kernel, record):
    """`kernel`, passing each result to `record` on its way out."""
    def recorded(*args, **kwargs):
        result = kernel(*args, **kwargs)
        record(result)
        return result

    return recorded


def test_never_holds_more_than_a_block_of_logits(monkeypatch, rng):
    monkeypatch.setattr(nn_ops, "BLOCK_LOGITS", 50)
    hidden, weight, bias, targets = layer(rng, (23,), 3, 10, np.float32)
    with fastgrad.backend("numpy") as kernels:
        largest = []
        monkeypatch.setattr(kernels, "linear", recording(kernels.linear, lambda logits: largest.append(logits.size)))
        fused(hidden, weight, bias, targets).backward()
    assert len(largest) == 5 and max(largest) == 50  # 23 rows in blocks of 5: the forward only, no recomputing


def test_under_no_grad_no_gradient_is_computed(monkeypatch, rng):
    hidden, weight, bias, targets = layer(rng, (6,), 3, 4, np.float32)
    with fastgrad.backend("numpy") as kernels:
        monkeypatch.setattr(kernels, "linear_backward", None)  # calling it would raise
        with fastgrad.no_grad():
            loss = fused(hidden, weight, bias, targets)
    assert not loss.requires_grad


def test_options_set_the_rows_per_block(monkeypatch, rng):
    hidden, weight, bias, targets = layer(rng, (23,), 3, 10, np.float32)
    with fastgrad.backend("numpy") as kernels:
        sizes = []
        monkeypatch.setattr(kernels, "linear", recording(kernels.linear, lambda logits: sizes.append(logits.shape[0])))
        fused(hidden, weight, bias, targets, options=fastgrad.nn.LinearCrossEntropyOptions(batch_chunk_size=7))
    assert sizes == [7, 7, 7, 2]


def test_bad_arguments_name_what_was_expected(rng):
    hidden, weight, bias, targets = layer(rng, (4,), 3, 5, np.float32)
    with pytest.raises(ValueError, match=r"input of shape \(4, 2\) and linear_weight of shape \(5, 3\) must have"):
        fused(hidden[:, :2], weight, bias, targets)
    with pytest.raises(ValueError, match=r"expected input with dimensionality 1 or 2, got 3"):
        fused(hidden.reshape(2, 2, 3), weight, bias, targets.reshape(2, 2))
    with pytest.raises(ValueError, match=r"expected linear_bias of shape \(5,\), got \(4,\)"):
        fused(hidden, weight, bias[:4], targets)
    with pytest.raises(RuntimeError, match="input and linear_weight must have the same dtype, but got float32 and "
                                           "float64"):
        fused(hidden, weight.double(), bias, targets)
    with pytest.raises(ValueError, match=r"target has shape \(3,\), expected \(4,\)"):
        fused(hidden, weight, bias, targets[:3])
    with pytest.raises(IndexError, match=r"linear_cross_entropy target: index 5 at position 1 is out of range"):
        fused(hidden, weight, bias, fastgrad.tensor([0, 5, 1, 1]))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        fused(hidden, weight, bias, targets, reduction="avg")
    with pytest.raises(ValueError, match="at least one row"):
        fused(hidden, weight[:0], None, targets)
    with pytest.raises(ValueError, match="ignore_index cannot be given when target holds probabilities"):
        fused(hidden, weight, bias, fastgrad.full((4, 5), 0.2), ignore_index=1)
    with pytest.raises(ValueError, match=r"K-dimensional loss .* needs batched input"):
        fused(hidden[0], weight.reshape(5, 1, 3), None, targets[:1])
    with pytest.raises(TypeError, match="options must be a LinearCrossEntropyOptions or None, got dict"):
        fused(hidden, weight, bias, targets, options={"batch_chunk_size": 2})
    for field, value, message in [("batch_chunk_size", 0, "batch_chunk_size must be positive int or None, got 0"),
                                  ("acc_policy", "fast", "invalid acc_policy: 'fast'"),
                                  ("chunking_method", "rows:2", "invalid chunking_method: 'rows:2'"),
                                  ("acc_dtype", fastgrad.int64, "acc_dtype must be a floating point dtype")]:
        with pytest.raises(ValueError, match=message):
            fastgrad.nn.LinearCrossEntropyOptions(**{field: value})
    with pytest.raises(ValueError, match=r"LinearCrossEntropyLoss: expected weight of shape \(5,\), got \(4,\)"):
        fastgrad.nn.LinearCrossEntropyLoss(3, 5, weight=fastgrad.ones(4))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0, got 1.5"):
        fastgrad.nn.LinearCrossEntropyLoss(3, 5, label_smoothing=1.5)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_two_threads_share_the_blocks_and_give_the_serial_result(counted_splits, rng, reduction):
    hidden, weight, bias, targets = layer(rng, (1100,), 8, 1000, np.float32)  # 1.1 million logits: worth two threads
    upstream = rng.uniform(0.5, 2.0, (1100,) if reduction == "none" else ()).astype(np.float32)
    results = {}
    for count in (1, 2):
        numba.set_num_threads(count)
        with fastgrad.backend("compiled"):
            results[count] = loss_and_grads(lambda: fused(hidden, weight, bias, targets, reduction=reduction),
                                            (hidden, weight, bias), upstream)
    runs = 1 if reduction == "mean" else 2  # "none" runs the blocks again in the backward
    assert counted_splits == [1] * runs + [2] * runs
    np.testing.assert_allclose(results[2][0], results[1][0], **TOLERANCE[np.float32])
    for threaded, serial in zip(results[2][1], results[1][1]):  # (dW and db: sums in another order)
        np.testing.assert_allclose(threaded, serial, **TOLERANCE[np.float32])


def test_the_part_threads_write_their_blocks_into_the_callers_arrays(counted_splits, monkeypatch, rng):
    """A short-lived thread's allocations stay in its own arena of the C allocator after it frees them, beside the
    calling thread's memory: the calling thread allocates each block's logits (its delta overwrites them) and the
    parts' dW and db, and the part thread allocates nothing of a block's size."""
    hidden, weight, bias, targets = layer(rng, (1100,), 8, 1000, np.float32)  # two blocks of 550 rows
    numba.set_num_threads(2)
    held = []  # bytes that the part thread allocated and holds, at the end of its block's backward products

    def held_by_the_part_thread(_):
        if threading.current_thread() is not threading.main_thread():
            traces = tracemalloc.take_snapshot().traces  # each traceback from its outermost frame: a thread's start
            held.append(sum(trace.size for trace in traces if trace.traceback[0].filename == threading.__file__))

    with fastgrad.backend("compiled") as kernels:
        monkeypatch.setattr(kernels, "linear_backward", recording(kernels.linear_backward, held_by_the_part_thread))
        tracemalloc.start(100)
        try:
            fused(hidden, weight, bias, targets).backward()
        finally:
            tracemalloc.stop()
    assert counted_splits == [2] and len(held) == 1
    assert held[0] < 550 * 1000 * 4 / 50  # a block's logits: 2.2 MB

"""F.linear_cross_entropy: the same loss and gradients as cross_entropy(linear(...)), without all the logits."""
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
    return leaf(*shape, hidden), leaf(classes, hidden, scale=0.5), leaf(classes), targets


def loss_and_grads(loss_fn, tensors, upstream):
    for t in tensors:
        t.grad = None
    loss = loss_fn()
    (loss * upstream).sum().backward()
    return loss.numpy(), [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("block_logits", [1 << 22, 37])  # one block, and blocks of 3 rows of 12 classes
def test_matches_the_unfused_layer(monkeypatch, rng, backend, dtype, reduction, block_logits):
    monkeypatch.setattr(nn_ops, "BLOCK_LOGITS", block_logits)
    hidden, weight, bias, targets = layer(rng, (4, 5), 6, 12, dtype)
    upstream = rng.uniform(0.5, 2.0, (4, 5) if reduction == "none" else ()).astype(dtype)
    with fastgrad.backend(backend):
        fused = loss_and_grads(lambda: F.linear_cross_entropy(hidden, weight, bias, targets, reduction=reduction),
                               (hidden, weight, bias), upstream)
        unfused = loss_and_grads(lambda: F.cross_entropy(F.linear(hidden, weight, bias).permute(0, 2, 1), targets,
                                                         reduction=reduction), (hidden, weight, bias), upstream)
    assert fused[0].shape == unfused[0].shape and fused[0].dtype == unfused[0].dtype == dtype
    np.testing.assert_allclose(fused[0], unfused[0], **TOLERANCE[dtype])
    for fused_grad, unfused_grad in zip(fused[1], unfused[1]):
        assert fused_grad.dtype == dtype
        np.testing.assert_allclose(fused_grad, unfused_grad, **TOLERANCE[dtype])


def test_without_bias_and_with_an_ignore_index_among_the_classes(rng):
    hidden, weight, _, targets = layer(rng, (9,), 4, 7, np.float64, ignore_index=3)
    loss = F.linear_cross_entropy(hidden, weight, None, targets, ignore_index=3)
    expected = F.cross_entropy(F.linear(hidden, weight), targets, ignore_index=3)
    np.testing.assert_allclose(loss.numpy(), expected.numpy(), rtol=1e-13)
    loss.backward()
    fused_grads = [hidden.grad.numpy(), weight.grad.numpy()]
    hidden.grad = weight.grad = None
    expected.backward()
    for fused, unfused in zip(fused_grads, [hidden.grad.numpy(), weight.grad.numpy()]):
        np.testing.assert_allclose(fused, unfused, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_every_target_ignored_gives_the_unfused_layers_answer(rng, reduction):
    hidden, weight, bias, _ = layer(rng, (3,), 4, 5, np.float64)
    targets = np.full(3, -100)
    loss = F.linear_cross_entropy(hidden, weight, bias, targets, reduction=reduction)
    expected = F.cross_entropy(F.linear(hidden, weight, bias), targets, reduction=reduction)
    np.testing.assert_array_equal(loss.numpy(), expected.numpy())  # NaN for "mean", 0 for "sum"
    loss.backward()
    for t in (hidden, weight, bias):
        np.testing.assert_array_equal(t.grad.numpy(), 0)


def test_no_targets(rng):
    hidden, weight, bias, _ = layer(rng, (0,), 4, 5, np.float64)
    loss = F.linear_cross_entropy(hidden, weight, bias, np.zeros(0, dtype=np.int64), reduction="sum")
    loss.backward()
    assert float(loss.numpy()) == 0 and hidden.grad.shape == (0, 4)
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
            assert fastgrad.gradcheck(lambda h, w, b: F.linear_cross_entropy(h, w, b, targets, reduction=reduction),
                                      (hidden, weight, bias))
    finally:
        nn_ops.BLOCK_LOGITS = original


def test_never_holds_more_than_a_block_of_logits(monkeypatch, rng):
    monkeypatch.setattr(nn_ops, "BLOCK_LOGITS", 50)
    hidden, weight, bias, targets = layer(rng, (23,), 3, 10, np.float32)
    with fastgrad.backend("numpy") as kernels:
        largest = []
        linear = kernels.linear
        monkeypatch.setattr(kernels, "linear", lambda *args: largest.append(linear(*args).size) or linear(*args))
        F.linear_cross_entropy(hidden, weight, bias, targets).backward()
    assert len(largest) == 5 and max(largest) == 50  # 23 rows in blocks of 5: the forward only, no recomputing


def test_under_no_grad_no_gradient_is_computed(monkeypatch, rng):
    hidden, weight, bias, targets = layer(rng, (6,), 3, 4, np.float32)
    with fastgrad.backend("numpy") as kernels:
        monkeypatch.setattr(kernels, "linear_backward", None)  # calling it would raise
        with fastgrad.no_grad():
            loss = F.linear_cross_entropy(hidden, weight, bias, targets)
    assert not loss.requires_grad


def test_bad_arguments_name_what_was_expected(rng):
    hidden, weight, bias, targets = layer(rng, (4,), 3, 5, np.float32)
    with pytest.raises(ValueError, match=r"hidden of shape \(4, 2\) does not fit weight of shape \(5, 3\)"):
        F.linear_cross_entropy(hidden[:, :2], weight, bias, targets)
    with pytest.raises(ValueError, match=r"bias has shape \(4,\), expected \(5,\)"):
        F.linear_cross_entropy(hidden, weight, bias[:4], targets)
    with pytest.raises(RuntimeError, match="hidden and weight must have the same dtype, but got float32 and float64"):
        F.linear_cross_entropy(hidden, weight.double(), bias, targets)
    with pytest.raises(ValueError, match=r"target has shape \(3,\), expected \(4,\)"):
        F.linear_cross_entropy(hidden, weight, bias, targets[:3])
    with pytest.raises(IndexError, match=r"linear_cross_entropy target: index 5 at position 1 is out of range"):
        F.linear_cross_entropy(hidden, weight, bias, np.array([0, 5, 1, 1]))
    with pytest.raises(TypeError, match="linear_cross_entropy target: expected an integer dtype, got float64"):
        F.linear_cross_entropy(hidden, weight, bias, np.zeros(4))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.linear_cross_entropy(hidden, weight, bias, targets, reduction="avg")
    with pytest.raises(ValueError, match="at least one row"):
        F.linear_cross_entropy(hidden, weight[:0], None, targets)


def test_matches_pytorch_cross_entropy_of_linear(rng):
    torch = pytest.importorskip("torch")
    hidden, weight, bias, targets = layer(rng, (7, 3), 5, 9, np.float64)
    loss = F.linear_cross_entropy(hidden, weight, bias, targets)
    loss.backward()
    leaves = [torch.tensor(t.numpy(), requires_grad=True) for t in (hidden, weight, bias)]
    expected = torch.nn.functional.cross_entropy(torch.nn.functional.linear(*leaves).reshape(-1, 9),
                                                 torch.tensor(targets).reshape(-1))
    expected.backward()
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-12)
    for ours, theirs in zip((hidden, weight, bias), leaves):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-14)

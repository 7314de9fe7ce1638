"""fastgrad.nn.functional without PyTorch: bad arguments give clear errors, and the results hold the
identities that define them."""
import math

import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F


def floats(*shape, seed=0):
    return fastgrad.tensor(np.random.default_rng(seed).standard_normal(shape))


# -- activations -----------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", [F.gelu, F.elu, F.softplus, F.log_sigmoid])
def test_activations_reject_integer_input(activation):
    with pytest.raises(NotImplementedError, match=rf"{activation.__name__}: expected a floating point input, got dtype "
                                                  "int64"):
        activation(fastgrad.tensor([1, 2]))


def test_gelu_approximate_must_be_none_or_tanh():
    with pytest.raises(RuntimeError, match="gelu: approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(floats(3), approximate="fast")
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'fast'"):
        fastgrad.nn.GELU("fast")


@pytest.mark.parametrize("activation", [F.selu, F.celu, F.mish, F.hardswish, F.hardsigmoid])
@pytest.mark.parametrize("inplace", [False, True])
def test_more_activations_reject_integer_input(activation, inplace):
    with pytest.raises(NotImplementedError, match=rf"{activation.__name__}: expected a floating point input, got dtype "
                                                  "int64"):
        activation(fastgrad.tensor([1, 2]), inplace=inplace)


def test_more_activations_refuse_bad_arguments():
    cases = [
        (lambda: F.glu(floats(2, 3)), RuntimeError, "glu: halving dimension must be even, but dimension 1 is size 3"),
        (lambda: F.glu(floats(3, 2), dim=0), RuntimeError, "dimension 0 is size 3"),
        (lambda: F.glu(fastgrad.tensor(1.0)), RuntimeError, "glu: a 0-dim input cannot be halved"),
        (lambda: F.celu(floats(3), alpha=0.0), RuntimeError, "celu: alpha cannot be 0"),
        (lambda: F.selu(floats(3).requires_grad_(), inplace=True), RuntimeError, "a leaf tensor that requires grad"),
        (lambda: F.mish(floats(3).requires_grad_(), inplace=True), RuntimeError, "a leaf tensor that requires grad"),
        (lambda: F.softshrink(floats(3), -1.0), RuntimeError, r"softshrink: lambd must be in \[0, 1.79769e\+308\] for "
                                                            "dtype float64, got -1.0"),
        (lambda: F.softshrink(fastgrad.tensor([1, 2])), NotImplementedError, "softshrink: expected a floating point input"),
        (lambda: F.hardshrink(fastgrad.tensor([1, 2])), NotImplementedError, "hardshrink: expected a floating point input"),
        (lambda: F.rrelu(floats(3), 0.5, 0.1), RuntimeError, "rrelu: lower bound 0.5 should be less than or equal"),
        (lambda: F.rrelu(fastgrad.tensor([1, 2]), training=True), NotImplementedError, "rrelu: expected a floating point"),
        (lambda: fastgrad.nn.Softmax2d()(floats(2, 3)), ValueError, r"Softmax2d: expected input of 3 or 4 dims"),
        (lambda: F.multilabel_margin_loss(floats(2, 3), fastgrad.tensor([[0, 3, -1], [0, 1, 2]])), RuntimeError,
         r"target values must be class indices in \[0, 3\) or -1, got values in \[-1, 3\]"),
        (lambda: F.multilabel_margin_loss(floats(2, 3), fastgrad.tensor([[0, -1], [0, 1]])), RuntimeError,
         r"expected input \(C,\) or \(N, C\) and a target of the same shape"),
        (lambda: F.multilabel_margin_loss(floats(2, 3), floats(2, 3)), RuntimeError, "target must hold int64"),
        (lambda: F.multilabel_margin_loss(floats(2, 3), fastgrad.zeros(2, 3, dtype=fastgrad.int64), reduction="all"),
         ValueError, "reduction must be"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()


@pytest.mark.parametrize("activation", [F.mish, F.hardswish])
def test_composed_activations_in_place_give_the_out_of_place_gradient(activation):
    """mish and hardswish are composed of several ops; in place, the result is written back with the
    graph recorded (the input's history before the write feeds the computation)."""
    x = np.array([-4.0, -3.0, -1.0, 0.5, 2.0, 5.0])
    grads = []
    for inplace in (False, True):
        leaf = fastgrad.tensor(x, requires_grad=True)
        hidden = leaf * 1.5
        out = activation(hidden, inplace=inplace)
        assert (out is hidden) == inplace
        (out * fastgrad.arange(6.0, dtype=fastgrad.float64)).sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_more_activation_identities():
    x = fastgrad.tensor([-50.0, -3.0, -1.0, 0.0, 1.0, 3.0, 50.0], dtype=fastgrad.float64)
    data = x.numpy()
    np.testing.assert_allclose(F.relu6(x).numpy(), np.clip(data, 0, 6))
    np.testing.assert_allclose(F.hardsigmoid(x).numpy(), np.clip(data + 3, 0, 6) / 6)
    np.testing.assert_allclose(F.hardswish(x).numpy(), data * np.clip(data + 3, 0, 6) / 6)
    np.testing.assert_allclose(F.celu(x, 2.0).numpy(), np.where(data > 0, data, 2 * np.expm1(data / 2)), rtol=1e-12)
    np.testing.assert_allclose(F.selu(x).numpy(), 1.0507009873554805 * np.where(data > 0, data, 1.6732632423543772 *
                                                                                np.expm1(data)), rtol=1e-12)
    np.testing.assert_allclose(F.mish(x).numpy(), data * np.tanh(np.logaddexp(0, data)), rtol=1e-12)
    np.testing.assert_allclose(F.softsign(x).numpy(), data / (1 + np.abs(data)), rtol=1e-12)
    np.testing.assert_allclose(F.tanhshrink(x).numpy(), data - np.tanh(data), rtol=1e-12)
    assert F.threshold(fastgrad.tensor([0.5, 1.0, float("nan")]), 0.5, 9.0).tolist()[:2] == [9.0, 1.0]
    assert math.isnan(F.threshold(fastgrad.tensor([float("nan")]), 0.5, 9.0).item())  # NaN stays, as PyTorch's
    np.testing.assert_allclose(F.glu(fastgrad.tensor([[1.0, 2.0, 0.0, 50.0]])).numpy(), [[0.5, 2.0]], rtol=1e-6)


def test_activation_identities():
    x = fastgrad.tensor([-50.0, -1.0, 0.0, 1.0, 50.0], dtype=fastgrad.float64)
    np.testing.assert_allclose(F.log_sigmoid(x).numpy(), -np.logaddexp(0, -x.numpy()), rtol=1e-12)
    np.testing.assert_allclose(F.softplus(x).numpy(), np.logaddexp(0, x.numpy()), rtol=1e-12)
    np.testing.assert_allclose(F.elu(x, alpha=2.0).numpy(), np.where(x.numpy() > 0, x.numpy(), 2 * np.expm1(x.numpy())))
    np.testing.assert_allclose(F.gelu(x).numpy(), [-0.0, -0.15865525393145707, 0.0, 0.8413447460685429, 50.0],
                               rtol=1e-12)
    assert F.gelu(fastgrad.tensor([1.0])).dtype == fastgrad.float32


# -- class losses ----------------------------------------------------------------------------------
def test_cross_entropy_weight_checks():
    logits, targets = floats(4, 3), fastgrad.tensor([0, 2, 1, 1])
    with pytest.raises(RuntimeError, match=r"cross_entropy: weight has shape \(4,\), expected \(3,\)"):
        F.cross_entropy(logits, targets, fastgrad.ones(4, dtype=fastgrad.float64))
    with pytest.raises(RuntimeError, match="cross_entropy: weight has dtype float32, expected the input's dtype"):
        F.cross_entropy(logits, targets, fastgrad.ones(3))
    with pytest.raises(RuntimeError, match="nll_loss: weight requires grad"):
        F.nll_loss(logits, targets, fastgrad.ones(3, dtype=fastgrad.float64, requires_grad=True))
    with fastgrad.no_grad():  # no graph, so nothing would differentiate the weights
        F.nll_loss(logits, targets, fastgrad.ones(3, dtype=fastgrad.float64, requires_grad=True))


def test_cross_entropy_argument_errors():
    logits = floats(4, 3)
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0, got 1.5"):
        F.cross_entropy(logits, fastgrad.tensor([0, 1, 2, 0]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match=r"target has shape \(4, 2\), expected \(4,\) for input of shape \(4, 3\)"):
        F.cross_entropy(logits, floats(4, 2))
    with pytest.raises(RuntimeError, match="ignore_index is not supported for class-probability"):
        F.cross_entropy(logits, floats(4, 3), ignore_index=1)
    with pytest.raises(IndexError, match=r"cross_entropy target: index 3 at position 1 is out of range "
                       r"\(expected 0 <= index < 3 or ignore_index -100, size 3\)"):
        F.cross_entropy(logits, fastgrad.tensor([0, 3, 1, 1]))
    with pytest.raises(IndexError, match="input must have a class dim"):
        F.cross_entropy(fastgrad.tensor(1.0), fastgrad.tensor([0]))
    with pytest.raises(RuntimeError, match=r"a target of the input's shape \(\) holds class probabilities"):
        F.cross_entropy(fastgrad.tensor(1.0), fastgrad.tensor(0))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.nll_loss(logits, fastgrad.tensor([0, 1, 2, 0]), reduction="avg")
    with pytest.raises(TypeError, match="positional"):
        F.cross_entropy(logits, fastgrad.tensor([0, 1, 2, 0]), None, -100)  # PyTorch's 4th is size_average


def test_weighted_cross_entropy_is_the_weighted_mean_of_row_losses():
    logits = floats(5, 3, seed=1)
    targets = np.array([0, 2, 1, -100, 2])
    weight = np.array([0.5, 2.0, 3.0])
    rows = F.cross_entropy(logits, fastgrad.tensor(targets), reduction="none").numpy()
    counted = targets != -100
    row_weights = weight[targets[counted]]
    weighted = F.cross_entropy(logits, fastgrad.tensor(targets), fastgrad.tensor(weight))
    assert weighted.item() == pytest.approx((rows[counted] * row_weights).sum() / row_weights.sum(), rel=1e-12)
    ones = F.cross_entropy(logits, fastgrad.tensor(targets), fastgrad.ones(3, dtype=fastgrad.float64))
    assert ones.item() == pytest.approx(F.cross_entropy(logits, fastgrad.tensor(targets)).item(), rel=1e-12)


def test_label_smoothing_one_is_uniform_target_cross_entropy():
    logits = floats(4, 5, seed=2)
    targets = fastgrad.tensor([0, 4, 2, 2])
    uniform = fastgrad.tensor(np.full((4, 5), 0.2))
    assert F.cross_entropy(logits, targets, label_smoothing=1.0).item() == pytest.approx(
        F.cross_entropy(logits, uniform).item(), rel=1e-12)


def test_nll_loss_none_keeps_the_target_shape():
    logp = F.log_softmax(floats(2, 3, 4), dim=1)
    assert F.nll_loss(logp, fastgrad.tensor(np.zeros((2, 4), dtype=np.int64)), reduction="none").shape == (2, 4)


# -- regression and KL losses ----------------------------------------------------------------------
def test_regression_loss_errors():
    with pytest.raises(RuntimeError, match=r"mse_loss: the size of tensor a \(2\) must match the size of tensor b"):
        F.mse_loss(floats(4, 2), floats(3))
    with pytest.raises(NotImplementedError, match="mse_loss: expected a floating point input or target"):
        F.mse_loss(fastgrad.tensor([1, 2]), fastgrad.tensor([1, 3]))
    with pytest.raises(RuntimeError, match="mean"):
        F.l1_loss(fastgrad.tensor([1, 2]), fastgrad.tensor([1, 3]))
    with pytest.raises(ValueError, match=r"mse_loss: weight has shape \(2,\), expected the input's shape \(4, 2\)"):
        F.mse_loss(floats(4, 2), floats(4, 2), weight=floats(2))
    with pytest.raises(RuntimeError, match="smooth_l1_loss: beta must be >= 0, got -1.0"):
        F.smooth_l1_loss(floats(3), floats(3), beta=-1.0)
    with pytest.raises(ValueError, match="kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', got 'avg'"):
        F.kl_div(floats(3), floats(3), reduction="avg")


def test_regression_losses_by_definition():
    prediction, target = floats(3, 4, seed=3), floats(3, 4, seed=4)
    difference = prediction.numpy() - target.numpy()
    assert F.mse_loss(prediction, target).item() == pytest.approx((difference ** 2).mean(), rel=1e-12)
    assert F.l1_loss(prediction, target, reduction="sum").item() == pytest.approx(np.abs(difference).sum(), rel=1e-12)
    expected = np.where(np.abs(difference) < 0.5, difference ** 2, np.abs(difference) - 0.25)  # beta 0.5
    np.testing.assert_allclose(F.smooth_l1_loss(prediction, target, reduction="none", beta=0.5).numpy(), expected)
    weight = np.random.default_rng(5).uniform(0, 1, (3, 4))
    weighted = F.mse_loss(prediction, target, weight=fastgrad.tensor(weight))
    assert weighted.item() == pytest.approx((weight * difference ** 2).sum() / weight.sum(), rel=1e-12)
    # integer targets take the input's dtype
    assert F.mse_loss(fastgrad.tensor([0.5, 1.5]), fastgrad.tensor([0, 1])).dtype == fastgrad.float32


def test_kl_div_batchmean_is_the_kl_divergence():
    p = np.array([[0.2, 0.3, 0.5], [0.0, 0.5, 0.5]])
    q = np.array([[0.1, 0.6, 0.3], [0.3, 0.3, 0.4]])
    kl = np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / q), 0), axis=1).mean()
    log_q = fastgrad.tensor(np.log(q))
    assert F.kl_div(log_q, fastgrad.tensor(p), reduction="batchmean").item() == pytest.approx(kl, rel=1e-12)
    assert F.kl_div(log_q, fastgrad.tensor(np.log(p + 1e-300)), reduction="batchmean",
                    log_target=True).item() == pytest.approx(kl, rel=1e-9)
    with pytest.warns(UserWarning, match="'batchmean' divides by the batch size only"):
        assert F.kl_div(log_q, fastgrad.tensor(p)).item() == pytest.approx(kl * 2 / 6, rel=1e-12)
    assert F.kl_div(log_q, log_q.exp(), reduction="sum").item() == pytest.approx(0.0, abs=1e-15)


def test_binary_cross_entropy_with_logits_argument_errors():
    logits, targets = floats(2, 3), fastgrad.tensor(np.full((2, 3), 0.5))
    bce = F.binary_cross_entropy_with_logits
    with pytest.raises(TypeError, match="with_logits: argument 'weight' must be a Tensor, got str"):
        bce(logits, targets, "sum")  # the third argument is the weight, as in PyTorch
    with pytest.raises(TypeError, match="argument 'pos_weight' must be a Tensor, got list"):
        bce(logits, targets, pos_weight=[1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"pos_weight of shape \(2,\) does not broadcast to the input's shape "
                                         r"\(2, 3\)"):
        bce(logits, targets, pos_weight=fastgrad.ones(2))
    with pytest.raises(RuntimeError, match=r"weight of shape \(4, 2, 3\) does not broadcast to the input's shape"):
        bce(logits, targets, weight=fastgrad.ones(4, 2, 3))
    with pytest.raises(RuntimeError, match=r"not differentiable with respect to pos_weight .*pass "
                                           r"pos_weight.detach\(\)"):
        bce(logits, targets, pos_weight=fastgrad.ones(3, requires_grad=True))
    with fastgrad.no_grad():
        bce(logits, targets, pos_weight=fastgrad.ones(3, requires_grad=True))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'max'"):
        bce(logits, targets, reduction="max")
    with pytest.raises(ValueError, match=r"target shape \(3,\) differs from input shape \(2, 3\)"):
        bce(logits, targets[0])
    with pytest.raises(TypeError, match="register_buffer\\('weight'\\): expected a Tensor or None, got str"):
        fastgrad.nn.BCEWithLogitsLoss("sum")


def test_binary_cross_entropy_with_logits_by_definition():
    """-w [p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], finite where sigmoid saturates; the gradient
    w [(1 + (p - 1) y) sigmoid(x) - p y]; "mean" divides by the element count, not by the weights."""
    x = fastgrad.tensor([[0.5, -1.0, 2.0], [1000.0, -1000.0, 0.0]], dtype=fastgrad.float64, requires_grad=True)
    y = fastgrad.tensor([[1.0, 0.0, 0.25], [0.0, 1.0, 1.0]], dtype=fastgrad.float64)
    weight = fastgrad.tensor([[2.0], [0.5]], dtype=fastgrad.float64)
    pos_weight = fastgrad.tensor([3.0, 0.5, 2.0], dtype=fastgrad.float64)
    loss = F.binary_cross_entropy_with_logits(x, y, weight, reduction="none", pos_weight=pos_weight)
    xs, ys, ws, ps = x.detach().numpy(), y.numpy(), weight.numpy(), pos_weight.numpy()
    log_sigmoid = -np.logaddexp(0, -xs)
    expected = -ws * (ps * ys * log_sigmoid + (1 - ys) * (log_sigmoid - xs))  # log(1 - sigmoid(x)) = log sigmoid(x) - x
    np.testing.assert_allclose(loss.detach().numpy(), expected, rtol=1e-12)
    assert loss[1].tolist() == [500.0, 250.0, 0.5 * 2 * math.log(2)]  # w x, w p |x|, w p log 2
    F.binary_cross_entropy_with_logits(x, y, weight, pos_weight=pos_weight).backward()
    sigmoid = np.exp(log_sigmoid)
    np.testing.assert_allclose(x.grad.numpy(), ws * ((1 + (ps - 1) * ys) * sigmoid - ps * ys) / 6, rtol=1e-12)
    assert fastgrad.nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="sum")(x, y).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(x, y, reduction="sum", pos_weight=pos_weight).item())


def test_binary_cross_entropy_with_logits_weights_changed_before_backward_raise():
    """A weight of the input's dtype is the op's input itself (one of another dtype is cast: a copy)."""
    x = floats(2, 3).requires_grad_()
    for name in ("weight", "pos_weight"):
        weight = fastgrad.ones(3, dtype=x.dtype)
        loss = F.binary_cross_entropy_with_logits(x, fastgrad.zeros(2, 3), **{name: weight})
        weight.add_(1.0)
        with pytest.raises(RuntimeError, match=r"BCEWithLogits input of shape \(3,\)\) was modified by an in-place"):
            loss.backward()


# -- distances and normalization -------------------------------------------------------------------
def test_distance_argument_errors():
    with pytest.raises(RuntimeError, match="normalize: expected a floating point input, got dtype int64"):
        F.normalize(fastgrad.tensor([[1, 2]]))
    with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"):
        F.normalize(floats(3))
    with pytest.raises(RuntimeError, match=r"cosine_similarity: the size of tensor a \(4\) must match the size"):
        F.cosine_similarity(floats(3, 4), floats(3, 5))
    with pytest.raises(TypeError, match="cosine_similarity: expected floating point inputs, got dtypes int64"):
        F.cosine_similarity(fastgrad.tensor([[1, 2]]), fastgrad.tensor([[1, 2]]))
    with pytest.raises(RuntimeError, match="pairwise_distance: the size of tensor a"):
        F.pairwise_distance(floats(3, 4), floats(2, 4))


def test_distances_by_definition():
    x = fastgrad.tensor([[3.0, -4.0], [0.0, 0.0]], dtype=fastgrad.float64)
    np.testing.assert_allclose(F.normalize(x).numpy(), [[0.6, -0.8], [0.0, 0.0]])
    np.testing.assert_allclose(F.normalize(x, p=1).numpy(), [[3 / 7, -4 / 7], [0.0, 0.0]])
    np.testing.assert_allclose(F.normalize(x, p=math.inf, dim=0).numpy(), [[1.0, -1.0], [0.0, 0.0]])
    y = fastgrad.tensor([[6.0, -8.0], [1.0, 1.0]], dtype=fastgrad.float64)
    np.testing.assert_allclose(F.cosine_similarity(x, y).numpy(), [1.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(F.pairwise_distance(x, y, eps=0.0).numpy(), [5.0, math.sqrt(2)])
    np.testing.assert_allclose(F.pairwise_distance(x, y, p=1, eps=0.0, keepdim=True).numpy(), [[7.0], [2.0]])


# -- layers ----------------------------------------------------------------------------------------
def test_layer_norm_normalizes_each_row_and_checks_shapes():
    x = floats(4, 3, 5, seed=6) * 3 + 2
    y = F.layer_norm(x, (3, 5), eps=0.0).numpy().reshape(4, -1)
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1, rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"normalized_shape \(4,\) must be non-empty and match the trailing dims"):
        F.layer_norm(x, 4)
    with pytest.raises(RuntimeError, match=r"layer_norm: bias has shape \(3,\), expected normalized_shape \(5,\)"):
        F.layer_norm(x, 5, bias=floats(3))
    with pytest.raises(RuntimeError, match="layer_norm: weight has dtype float32, expected the input's dtype"):
        F.layer_norm(x, 5, weight=fastgrad.ones(5))
    with pytest.raises(NotImplementedError, match="layer_norm: expected a floating point input"):
        F.layer_norm(fastgrad.tensor([[1, 2]]), 2)


def test_float32_layer_norm_of_rows_whose_squares_overflow_equals_float64s():
    # (x - mean)^2 passes float32's range in the first two rows: their variance is inf, which gave rows of zeros
    rows = np.array([[1e30, 1.0, 2.0, 3.0], [1e30, -1e30, 0.0, 0.0], [0.5, -1.0, 2.0, 0.0]])
    weight, bias = np.array([1.0, 2.0, -1.0, 0.5]), np.array([0.0, 1.0, 0.0, -2.0])
    upstream = np.arange(12.0).reshape(3, 4)
    results = []
    for dtype in (np.float32, np.float64):
        x = fastgrad.tensor(rows.astype(dtype), requires_grad=True)
        y = F.layer_norm(x, (4,), fastgrad.tensor(weight.astype(dtype)), fastgrad.tensor(bias.astype(dtype)))
        (y * fastgrad.tensor(upstream.astype(dtype))).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    (y32, grad32), (y64, grad64) = results
    np.testing.assert_allclose(y32, y64, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grad32, grad64.astype(np.float32), rtol=1e-5, atol=1e-36)


@pytest.mark.parametrize("dtype, scale", [(np.float32, 2.0**-70), (np.float64, 2.0**-530)])
def test_layer_norm_of_rows_whose_squares_underflow_equals_the_scaled_rows(dtype, scale):
    # with eps 0, (x - mean)^2 below the dtype's normal range kept a few digits: rows off by 1e-3; a power of
    # two scale is exact, so the rows times `scale` must normalize as the rows themselves
    rows = np.random.default_rng(0).standard_normal((3, 5))
    upstream = np.arange(15.0).reshape(3, 5).astype(dtype)
    results = []
    for factor in (scale, 1.0):
        x = fastgrad.tensor((rows * factor).astype(dtype), requires_grad=True)
        y = F.layer_norm(x, (5,), eps=0.0)
        (y * fastgrad.tensor(upstream)).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy() * dtype(factor)))
    (y_small, grad_small), (y_plain, grad_plain) = results
    np.testing.assert_allclose(y_small, y_plain, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grad_small, grad_plain, rtol=1e-5, atol=1e-5)
    # next to eps, so small a spread is no variance at all: the rows come out as (x - mean) / sqrt(eps)
    x = (rows * scale).astype(dtype)
    expected = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(dtype(1e-5))
    np.testing.assert_allclose(F.layer_norm(fastgrad.tensor(x), (5,), eps=1e-5).numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("padding_idx", [4, 9, -5, -6])
def test_embedding_refuses_a_padding_idx_out_of_range(padding_idx):
    with pytest.raises(AssertionError, match=f"padding_idx {padding_idx} is out of range for 4 embeddings"):
        F.embedding(fastgrad.tensor([1]), fastgrad.ones(4, 2), padding_idx=padding_idx)


def test_pad_places_the_input_and_crops_with_negative_widths():
    x = fastgrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(F.pad(x, (1, 0, 0, 1), value=9).numpy(),
                                  [[9, 1, 2, 3], [9, 4, 5, 6], [9, 9, 9, 9]])
    np.testing.assert_array_equal(F.pad(x, (-1, 1)).numpy(), [[2, 3, 0], [5, 6, 0]])
    assert F.pad(fastgrad.tensor([1, 2]), (1, 1), value=2.7).numpy().tolist() == [2, 1, 2, 2]  # truncated, as torch


def test_pad_argument_errors():
    x = floats(2, 3)
    with pytest.raises(RuntimeError, match="padding length must be divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(RuntimeError, match=r"padding length 6 pads 3 dims, but the input has 2 \(shape \(2, 3\)\)"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match=r"padding \(-3, -1\) of dim 1 \(size 3\) crops more than its size"):
        F.pad(x, (-3, -1))
    with pytest.raises(TypeError, match="pad must be a sequence of ints"):
        F.pad(x, (1.0, 1))
    with pytest.raises(NotImplementedError,
                       match="mode must be 'constant', 'reflect', 'replicate' or 'circular', got 'zeros'"):
        F.pad(x, (1, 1), mode="zeros")


def test_conv1d_and_max_pool1d_refuse_bad_arguments():
    x, w = fastgrad.zeros(2, 4, 7), fastgrad.zeros(6, 4, 3)
    cases = [
        (lambda: F.conv1d(fastgrad.zeros(7), w), RuntimeError, r"2-D \(C, L\) or 3-D \(N, C, L\) input, got \(7,\)"),
        (lambda: F.conv1d(x, fastgrad.zeros(6, 4)), RuntimeError, "weight must be a 3-D tensor"),
        (lambda: F.conv1d(x, fastgrad.zeros(6, 3, 3)), RuntimeError, "expects input with 3 channels"),
        (lambda: F.conv1d(x, w, groups=4), RuntimeError, "expects input with 16 channels"),
        (lambda: F.conv1d(x, w.double()), RuntimeError, "one dtype, got float32, float64"),
        (lambda: F.conv1d(x, w, fastgrad.zeros(5)), RuntimeError, r"bias must have shape \(6,\)"),
        (lambda: F.conv1d(x, w, stride=0), RuntimeError, "stride must be at least 1, got 0"),
        (lambda: F.conv1d(x, w, padding=-1), RuntimeError, "padding must be at least 0, got -1"),
        (lambda: F.conv1d(x, w, padding="full"), RuntimeError, "padding must be an int, a tuple of ints, 'valid' or 'same', got 'full'"),
        (lambda: F.conv1d(x, w, 2), TypeError, "conv1d: bias must be a Tensor or None, got int"),
        (lambda: F.conv_transpose1d(x, w.transpose(0, 1), (1,)), TypeError,
         "conv_transpose1d: bias must be a Tensor or None, got tuple"),
        (lambda: F.conv1d(x, w, padding="same", stride=2), RuntimeError, "'same' needs stride 1"),
        (lambda: F.conv1d(x[:, :, :2], w), RuntimeError, r"padded input size 2 \(spatial dim 0\) is smaller than the kernel's span 3"),
        (lambda: F.conv1d(x, w, dilation=1.5), TypeError, "dilation must be an int"),
        (lambda: F.max_pool1d(x, 3, padding=2), RuntimeError, "padding should be at most half of kernel_size"),
        (lambda: F.max_pool1d(x, 0), RuntimeError, "kernel_size must be at least 1, got 0"),
        (lambda: F.max_pool1d(x, 3, stride=0), RuntimeError, "stride must be at least 1, got 0"),
        (lambda: F.max_pool1d(x, 8), RuntimeError, r"input size \(7,\) gives no window of kernel_size \(8,\)"),
        (lambda: F.max_pool1d(fastgrad.zeros(2, 3, dtype=fastgrad.int64), 2), NotImplementedError, "floating point input"),
        (lambda: fastgrad.nn.Conv1d(4, 6, 3, groups=4), ValueError, "divisible by groups"),
        (lambda: fastgrad.nn.Conv1d(4, 6, 3, padding_mode="mirror"), ValueError,
         "padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', got 'mirror'"),
        (lambda: fastgrad.nn.Conv1d(4, 6, 3, padding="same", stride=2), ValueError, "'same' needs stride 1"),
        (lambda: fastgrad.nn.Conv1d(4, 6, 3, device="cuda"), RuntimeError, "CPU only"),
        (lambda: F.conv2d(fastgrad.zeros(4, 7), fastgrad.zeros(6, 4, 3, 3)), RuntimeError, r"3-D \(C, H, W\) or 4-D \(N, C, H, W\) input"),
        (lambda: F.conv2d(fastgrad.zeros(1, 4, 5, 5), w), RuntimeError, r"weight must be a 4-D tensor \(C_out, C_in / groups, KH, KW\)"),
        (lambda: F.conv2d(fastgrad.zeros(1, 4, 5, 5), fastgrad.zeros(6, 4, 3, 3), stride=(1, 2, 3)), RuntimeError,
         "stride must be an int or a tuple of 2 ints"),
        (lambda: F.conv2d(fastgrad.zeros(1, 4, 5, 2), fastgrad.zeros(6, 4, 3, 3)), RuntimeError,
         r"padded input size 2 \(spatial dim 1\) is smaller than the kernel's span 3"),
        (lambda: fastgrad.nn.Conv2d(4, 6, (3, 0)), RuntimeError, "kernel_size must be at least 1, got 0"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()


def test_pools_refuse_bad_arguments():
    x, image = fastgrad.zeros(2, 4, 7), fastgrad.zeros(2, 4, 7, 6)
    cases = [
        (lambda: F.max_pool2d(image, 3, padding=(1, 2)), RuntimeError, r"padding should be at most half of kernel_size, got padding=\(1, 2\)"),
        (lambda: F.max_pool2d(image, (2, 7)), RuntimeError, r"input size \(7, 6\) gives no window of kernel_size \(2, 7\)"),
        (lambda: F.max_pool2d(image, (2, 2, 2)), RuntimeError, "max_pool2d: kernel_size must be an int or a tuple of 2 ints"),
        (lambda: F.max_pool2d(x[0, 0], 2), RuntimeError, r"max_pool2d: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got \(7,\)"),
        (lambda: F.max_pool2d(image, 2, dilation=0), RuntimeError, "max_pool2d: dilation must be at least 1, got 0"),
        (lambda: F.avg_pool1d(x, 3, padding=2), RuntimeError, "avg_pool1d: padding should be at most half of kernel_size"),
        (lambda: F.avg_pool1d(x, 8), RuntimeError, r"avg_pool1d: input size \(7,\) gives no window"),
        (lambda: F.avg_pool1d(x, 2, stride=0), RuntimeError, "avg_pool1d: stride must be at least 1, got 0"),
        (lambda: F.avg_pool1d(x.int(), 2), NotImplementedError,
         "avg_pool1d: expected a floating point or int64 input, got dtype int32"),
        (lambda: F.avg_pool2d(image, 2, divisor_override=0), RuntimeError, "avg_pool2d: divisor_override must be a nonzero int, got 0"),
        (lambda: F.avg_pool2d(x[0], 2), IndexError, r"avg_pool2d: dimension out of range: expected an input of at least 3 dims, got shape \(4, 7\)"),
        (lambda: F.avg_pool2d(image, -1), RuntimeError, "avg_pool2d: kernel_size must be at least 1, got -1"),
        (lambda: F.adaptive_avg_pool1d(x, -1), RuntimeError, "adaptive_avg_pool1d: output_size must be at least 0, got -1"),
        (lambda: F.adaptive_max_pool1d(x, (2, 3)), RuntimeError, "adaptive_max_pool1d: output_size must be an int or a tuple of 1 int"),
        (lambda: F.adaptive_max_pool1d(x[:, :, :0], 2), RuntimeError, r"non-empty sizes in its last 2 dims, got shape \(2, 4, 0\)"),
        (lambda: F.adaptive_avg_pool1d(image, 2), RuntimeError, r"adaptive_avg_pool1d: expected a 2-D \(C, L\) or 3-D \(N, C, L\) input"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()


def test_pools_of_constants_and_identities():
    x = fastgrad.ones(1, 1, 5, 5)
    np.testing.assert_array_equal(F.avg_pool2d(x, 3, padding=1, count_include_pad=False).numpy(), 1.0)
    corner, edge, middle = 4 / 9, 6 / 9, 1.0  # the padded zeros count: a corner window holds 4 ones of 9
    np.testing.assert_allclose(F.avg_pool2d(x, 3, 1, padding=1)[0, 0, :2, :2].numpy(), [[corner, edge], [edge, middle]],
                               rtol=1e-6)
    sentence = floats(2, 3, 6)
    np.testing.assert_array_equal(F.adaptive_max_pool1d(sentence, 1).numpy(), F.max_pool1d(sentence, 6).numpy())
    np.testing.assert_allclose(F.adaptive_avg_pool1d(sentence, 1).numpy()[..., 0], sentence.numpy().mean(-1), rtol=1e-6)


def test_margin_and_likelihood_losses_refuse_bad_arguments():
    x, y = floats(3, 4), fastgrad.ones(3, 4)
    cases = [
        (lambda: F.margin_ranking_loss(x, x, y[0]), RuntimeError,
         r"margin_ranking_loss: input1, input2 and target must have one number of dims, got shapes \(3, 4\), \(3, 4\) "
         r"and \(4,\)"),
        (lambda: F.margin_ranking_loss(x, floats(3, 5), y), RuntimeError, r"shapes \(3, 4\), \(3, 5\) do not broadcast"),
        (lambda: F.hinge_embedding_loss(x, y[:, :2]), RuntimeError, r"shapes .*\(3, 2\).* do not broadcast"),
        (lambda: F.hinge_embedding_loss(x, y, reduction="avg"), ValueError, "reduction must be 'mean', 'sum' or 'none', got 'avg'"),
        (lambda: F.cosine_embedding_loss(x, x, y), RuntimeError, r"expected a target of 0 or 1 dims, got shape \(3, 4\)"),
        (lambda: F.cosine_embedding_loss(x, x[0], y[:, 0]), RuntimeError,
         r"a 1-d target needs 2-d inputs, got input1 \(3, 4\) and input2 \(4,\)"),
        (lambda: F.triplet_margin_loss(x, x, x[0]), RuntimeError, "one number of dims, got 2, 2 and 1"),
        (lambda: F.triplet_margin_loss(x, x, x, margin=0.0), ValueError, "margin must be greater than 0, got 0.0"),
        (lambda: F.soft_margin_loss(x, y.requires_grad_()), RuntimeError, "not differentiable with respect to target"),
        (lambda: F.soft_margin_loss(fastgrad.tensor([1, 2]), fastgrad.tensor([1, 1])), RuntimeError,
         "soft_margin_loss: expected a floating point input"),
        (lambda: F.multilabel_soft_margin_loss(x, y, fastgrad.ones(3)), RuntimeError, r"shapes \(3, 4\), \(3,\) do not broadcast"),
        (lambda: F.multilabel_soft_margin_loss(fastgrad.tensor(1.0), y), IndexError, "expected an input of at least 1 dim"),
        (lambda: F.multi_margin_loss(x, fastgrad.tensor([0, 1, 2]), p=3), ValueError, "only p == 1 and p == 2 are supported, got 3"),
        (lambda: F.multi_margin_loss(x, fastgrad.tensor([0, 1])), RuntimeError, r"expected target of shape \(3,\) for input \(3, 4\), got \(2,\)"),
        (lambda: F.multi_margin_loss(x, fastgrad.tensor([0, 1, 4])), RuntimeError, "multi_margin_loss target"),
        (lambda: F.multi_margin_loss(x, fastgrad.tensor([0, 1, 2]), weight=fastgrad.ones(4, 1)), ValueError, "weight must be one-dim"),
        (lambda: F.multi_margin_loss(x, fastgrad.tensor([0, 1, 2]), weight=fastgrad.ones(3)), RuntimeError,
         r"weight has shape \(3,\), expected \(4,\)"),
        (lambda: F.multi_margin_loss(floats(2, 3, 4), fastgrad.tensor([0, 1])), RuntimeError, r"expected input \(N, C\) or \(C,\)"),
        (lambda: F.gaussian_nll_loss(x, y, fastgrad.ones(2, 4)), ValueError, r"var of shape \(2, 4\) is of incorrect size"),
        (lambda: F.gaussian_nll_loss(x, y, fastgrad.ones(3, 4) * -1), ValueError, "var has negative entry/entries"),
        (lambda: F.gaussian_nll_loss(x, y, "1"), TypeError, "var must be a Tensor or a float, got str"),
        (lambda: F.poisson_nll_loss(x, floats(2, 4)), RuntimeError, r"the size of tensor a \(3\) must match"),
        (lambda: fastgrad.nn.MultiMarginLoss(p=3), ValueError, "only p == 1 and p == 2"),
        (lambda: fastgrad.nn.TripletMarginLoss(margin=-1), ValueError, "margin must be greater than 0"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()


def test_margin_and_likelihood_loss_identities():
    x = fastgrad.tensor([[-800.0, 0.0, 800.0]], dtype=fastgrad.float64)
    # log(1 + e^-yx) without overflow: 800 for y x = -800 (PyTorch's gives inf)
    np.testing.assert_allclose(F.soft_margin_loss(x, fastgrad.tensor([[1.0, 1.0, -1.0]]), reduction="none").numpy(),
                               [[800.0, np.log(2), 800.0]])
    np.testing.assert_allclose(F.gaussian_nll_loss(fastgrad.zeros(2), fastgrad.ones(2), 1.0).item(), 0.5)
    np.testing.assert_allclose(F.poisson_nll_loss(fastgrad.zeros(2), fastgrad.ones(2)).item(), 1.0)
    scores = fastgrad.tensor([[0.0, 0.5, -2.0]])
    np.testing.assert_allclose(F.multi_margin_loss(scores, fastgrad.tensor([1])).item(),
                               (0.5 + 0.0) / 3)  # max(0, 1 - 0.5 + 0), ...


def test_binary_cross_entropy_refuses_what_is_not_a_probability():
    half = fastgrad.tensor([0.5, 0.5])
    cases = [
        (lambda: F.binary_cross_entropy(fastgrad.tensor([1.5, 0.5]), half), RuntimeError, r"probability in \[0, 1\]"),
        (lambda: F.binary_cross_entropy(fastgrad.tensor([float("nan"), 0.5]), half), RuntimeError, "and NaN"),
        (lambda: F.binary_cross_entropy(half, fastgrad.tensor([1.0])), ValueError, "target shape"),
        (lambda: F.binary_cross_entropy(half, fastgrad.tensor([1, 0])), RuntimeError, "target must have the input's"),
        (lambda: F.binary_cross_entropy(fastgrad.tensor([1, 0]), half), RuntimeError, "floating point input"),
        (lambda: F.binary_cross_entropy(half, half, reduction="avg"), ValueError, "reduction must be"),
        (lambda: F.binary_cross_entropy(half, half, fastgrad.ones(2, requires_grad=True)), RuntimeError,
         "not differentiable with respect to weight"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()


def test_huber_loss_needs_a_positive_delta():
    for delta in (0.0, -1.0, float("nan")):
        with pytest.raises(RuntimeError, match="huber_loss: delta must be > 0"):
            F.huber_loss(fastgrad.ones(2), fastgrad.zeros(2), delta=delta)
    with pytest.raises(ValueError, match="reduction must be 'mean', 'batchmean'"):
        fastgrad.nn.KLDivLoss(reduction="avg")


def test_scaled_dot_product_attention_refuses_bad_arguments():
    q, k, v = fastgrad.ones(2, 3, 4), fastgrad.ones(2, 5, 4), fastgrad.ones(2, 5, 6)
    sdpa = F.scaled_dot_product_attention
    cases = [
        (lambda: sdpa(fastgrad.ones(4), k, v), RuntimeError, "query must be a tensor of at least 2 dims"),
        (lambda: sdpa(q, fastgrad.ones(2, 5, 3), v), RuntimeError, "do not fit"),
        (lambda: sdpa(q, k, fastgrad.ones(2, 4, 6)), RuntimeError, "do not fit"),
        (lambda: sdpa(q, fastgrad.ones(3, 5, 4), fastgrad.ones(3, 5, 6)), RuntimeError, "the size of tensor a"),
        (lambda: sdpa(q, k, v, attn_mask=fastgrad.ones(3, 5, dtype=fastgrad.bool), is_causal=True), RuntimeError,
         "not both"),
        (lambda: sdpa(q, k, v, attn_mask=fastgrad.ones(4, 5, dtype=fastgrad.bool)), RuntimeError, "does not broadcast"),
        (lambda: sdpa(q, k, v, attn_mask=[[True]]), TypeError, "attn_mask must be a Tensor or None, got list"),
        (lambda: sdpa(q, k, v, enable_gqa=True), NotImplementedError, "enable_gqa"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()
    blocked = fastgrad.ones(3, 5, dtype=fastgrad.bool)
    blocked[0] = False
    assert sdpa(q, k, v, attn_mask=blocked)[:, 0].tolist() == [[0.0] * 6] * 2  # no key to attend to: zeros


def test_attention_refuses_a_float_mask_of_another_dtype():
    q = fastgrad.zeros(1, 2, 4)
    with pytest.raises(RuntimeError, match="attn_mask must be bool or of the query's dtype float32, got float64"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=fastgrad.zeros(2, 2, dtype=fastgrad.float64))


# -- group and RMS normalization, bilinear ------------------------------------------------------------------
def test_group_norm_refuses_bad_arguments():
    x = floats(2, 6, 3)
    cases = [
        (lambda: F.group_norm(floats(6), 2), RuntimeError, r"at least 2 dims \(N, C, \*\), got shape \(6,\)"),
        (lambda: F.group_norm(x, 4), RuntimeError, r"positive divisor of the input's 6 channels .* got num_groups=4"),
        (lambda: F.group_norm(x, 0), ZeroDivisionError, "got 0"),
        (lambda: F.group_norm(x, -2), RuntimeError, "got num_groups=-2"),
        (lambda: F.group_norm(x, 2.0), TypeError, "num_groups must be an int, got float"),
        (lambda: F.group_norm(x, 3, floats(4)), RuntimeError, r"weight has shape \(4,\), expected \(6,\)"),
        (lambda: F.group_norm(x, 3, None, floats(6, 1)), RuntimeError, r"bias has shape \(6, 1\), expected \(6,\)"),
        (lambda: F.group_norm(x, 3, fastgrad.ones(6, dtype=fastgrad.float32)), RuntimeError,
         "weight has dtype float32, expected the input's dtype float64"),
        (lambda: F.group_norm(fastgrad.ones(2, 6, dtype=fastgrad.int64), 3), NotImplementedError, "floating point input"),
        (lambda: F.group_norm(floats(1, 2, 1), 2), ValueError, r"more than 1 value per group, got input of shape "
                                                              r"\(1, 2, 1\) with num_groups=2"),
        (lambda: fastgrad.nn.GroupNorm(4, 6), ValueError, r"num_channels \(6\) must be divisible by num_groups \(4\)"),
        (lambda: fastgrad.nn.GroupNorm(0, 6), ValueError, "num_groups must be a positive int, got 0"),
        (lambda: fastgrad.nn.GroupNorm(2, 6, device="cuda"), RuntimeError, "CPU only"),
        (lambda: fastgrad.nn.GroupNorm(2, 6)(floats(2, 4, 3)), RuntimeError,
         r"weight has shape \(6,\), expected \(4,\)"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()


def test_group_norm_of_groups_of_one_value_is_the_bias_and_of_an_empty_input_has_zero_gradients():
    """One value per group normalizes to 0 (PyTorch raises only for a batch of one, as fastgrad); an empty
    input gives an empty output and zero (not NaN, as PyTorch's) parameter gradients."""
    bias = fastgrad.tensor([1.0, -2.0, 3.0], dtype=fastgrad.float64)
    out = F.group_norm(floats(2, 3, 1), 3, fastgrad.ones(3, dtype=fastgrad.float64), bias)
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to(bias.numpy()[:, None], (2, 3, 1)))
    x = fastgrad.zeros(2, 4, 0, dtype=fastgrad.float64, requires_grad=True)
    weight = fastgrad.ones(4, dtype=fastgrad.float64, requires_grad=True)
    out = F.group_norm(x, 2, weight)
    assert out.shape == (2, 4, 0) and out is not x
    out.sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy(), np.zeros(4))


def test_group_norm_is_layer_norm_of_each_group():
    x = floats(2, 6, 4, seed=3)
    expected = F.layer_norm(x.reshape(2, 3, 8), (8,)).reshape(2, 6, 4).numpy()
    np.testing.assert_allclose(fastgrad.nn.GroupNorm(3, 6, dtype=fastgrad.float64)(x).detach().numpy(), expected,
                               rtol=1e-12)
    layer = fastgrad.nn.GroupNorm(3, 6, affine=False)
    assert layer.weight is None and layer.bias is None and not list(layer.state_dict())
    assert list(fastgrad.nn.GroupNorm(3, 6, bias=False).state_dict()) == ["weight"]


def test_rms_norm_refuses_bad_arguments():
    x = floats(2, 3)
    cases = [
        (lambda: F.rms_norm(x, 3), TypeError, "normalized_shape must be a list or tuple of ints .*got 3"),
        (lambda: F.rms_norm(x, (4,)), RuntimeError, r"normalized_shape \(4,\) must be non-empty and match the"),
        (lambda: F.rms_norm(x, []), RuntimeError, r"normalized_shape \(\) must be non-empty"),
        (lambda: F.rms_norm(x, [1, 2, 3]), ValueError, r"more dims than the input of shape \(2, 3\)"),
        (lambda: F.rms_norm(x, [3], floats(2)), RuntimeError,
         r"weight has shape \(2,\), expected normalized_shape \(3,\)"),
        (lambda: F.rms_norm(fastgrad.ones(2, 3, dtype=fastgrad.int64), [3]), NotImplementedError, "floating point input"),
        (lambda: fastgrad.nn.RMSNorm(4)(floats(2, 3)), RuntimeError, r"normalized_shape \(4,\)"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()


def test_rms_norm_divides_by_the_root_mean_square_with_the_dtypes_epsilon():
    x = fastgrad.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=fastgrad.float32)
    rms = np.sqrt((9 + 16) / 2 + np.finfo(np.float32).eps)
    np.testing.assert_allclose(F.rms_norm(x, [2]).numpy(), [[3 / rms, 4 / rms], [0, 0]], rtol=1e-6)
    np.testing.assert_allclose(F.rms_norm(x, [2], eps=12.5).numpy()[0], [3 / 5, 4 / 5], rtol=1e-6)
    layer = fastgrad.nn.RMSNorm([2], elementwise_affine=False)
    assert layer.weight is None and layer.eps is None and layer.normalized_shape == (2,)
    assert fastgrad.nn.RMSNorm(2)(x).dtype == np.float32


def test_bilinear_refuses_bad_arguments():
    x1, x2, w = floats(4, 3), floats(4, 5), floats(2, 3, 5)
    cases = [
        (lambda: F.bilinear(x1, x2, floats(3, 5)), RuntimeError, r"weight must be 3-D .*got shape \(3, 5\)"),
        (lambda: F.bilinear(x1, floats(2, 4, 5), w), RuntimeError,
         r"same leading \(batch\) dims .*\(4, 3\) and \(2, 4, 5\)"),
        (lambda: F.bilinear(x1, floats(3, 5), w), RuntimeError, r"got shapes \(4, 3\) and \(3, 5\)"),
        (lambda: F.bilinear(floats(4, 4), x2, w), RuntimeError, r"input1 has 4 features .* expects 3"),
        (lambda: F.bilinear(x1, floats(4, 6), w), RuntimeError, r"input2 has 6 features .* expects 5"),
        (lambda: F.bilinear(x1, x2, w, floats(3)), RuntimeError, r"bias has shape \(3,\), expected \(2,\)"),
        (lambda: F.bilinear(x1, x2.float(), w), RuntimeError, "one dtype, got input1 float64, input2 float32"),
        (lambda: F.bilinear(x1, x2.numpy(), w), TypeError, "input2 must be a Tensor, got ndarray"),
        (lambda: fastgrad.nn.Bilinear(0, 5, 4), ValueError, "in1_features must be > 0"),
        (lambda: fastgrad.nn.Bilinear(3, -1, 4), ValueError, "in2_features must be a non-negative int, got -1"),
        (lambda: fastgrad.nn.Bilinear(3, 5, 2.5), ValueError, "out_features must be a non-negative int, got 2.5"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()


def test_bilinear_is_a_quadratic_form_per_output():
    x1, x2, w, b = floats(4, 3, seed=1), floats(4, 5, seed=2), floats(2, 3, 5, seed=3), floats(2, seed=4)
    expected = np.einsum("ni,oij,nj->no", x1.numpy(), w.numpy(), x2.numpy()) + b.numpy()
    np.testing.assert_allclose(F.bilinear(x1, x2, w, b).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(F.bilinear(x1[0], x2[0], w).numpy(), expected[0] - b.numpy(), rtol=1e-12)
    layer = fastgrad.nn.Bilinear(3, 5, 2, bias=False)
    assert layer.weight.shape == (2, 3, 5) and layer.bias is None and list(layer.state_dict()) == ["weight"]


# -- pad's copying modes and the padding layers -------------------------------------------------------------
def test_copying_pad_modes_give_the_mirrored_repeated_or_wrapped_input():
    x = fastgrad.tensor([[[0.0, 1.0, 2.0, 3.0]]])
    assert F.pad(x, (2, 3), "reflect").tolist() == [[[2, 1, 0, 1, 2, 3, 2, 1, 0]]]
    assert F.pad(x, (2, 3), "replicate").tolist() == [[[0, 0, 0, 1, 2, 3, 3, 3, 3]]]
    assert F.pad(x, (2, 3), "circular").tolist() == [[[2, 3, 0, 1, 2, 3, 0, 1, 2]]]
    assert F.pad(x, (-1, 2), "circular").tolist() == [[[1, 2, 3, 1, 2]]]  # crops first, then wraps what is left
    grid = fastgrad.arange(6.0).reshape(1, 2, 3)
    assert F.pad(grid, (1, 0, 0, 1), "replicate").tolist() == [[[0, 0, 1, 2], [3, 3, 4, 5], [3, 3, 4, 5]]]
    leaf = fastgrad.tensor([[[1.0, 2.0, 3.0]]], requires_grad=True)
    F.pad(leaf, (2, 2), "replicate").sum().backward()
    assert leaf.grad.tolist() == [[[3.0, 1.0, 3.0]]]  # each copy of an edge sends its gradient back to the edge


def test_copying_pad_modes_refuse_bad_arguments():
    x = floats(1, 2, 3)
    cases = [
        (lambda: F.pad(x, (1, 1), "reflect", 1.0), RuntimeError, "mode 'reflect' takes no value"),
        (lambda: F.pad(floats(3), (1, 1), "reflect"), NotImplementedError,
         r"padding of length 2 needs a 2-D or 3-D input, got shape \(3,\)"),
        (lambda: F.pad(floats(1, 1, 1, 3), (1, 1), "replicate"), NotImplementedError, "needs a 2-D or 3-D input"),
        (lambda: F.pad(floats(2, 3), (1, 1, 1, 1), "circular"), NotImplementedError, "needs a 3-D or 4-D input"),
        (lambda: F.pad(floats(1, 1, 1, 1, 1, 1, 1), (1,) * 8, "reflect"), NotImplementedError,
         "1, 2 or 3 trailing dims"),
        (lambda: F.pad(x, (3, 0), "reflect"), RuntimeError,
         r"reflect padding must be smaller than the padded dim, got \(3, 0\) for dim 2 of size 3"),
        (lambda: F.pad(x, (-2, -1), "reflect"), RuntimeError, r"gives size 0; mode 'reflect' needs at least 1"),
        (lambda: F.pad(x, (-3, 0), "replicate"), RuntimeError, "gives size 0; mode 'replicate' needs at least 1"),
        (lambda: F.pad(x, (4, 0), "circular"), RuntimeError,
         r"circular padding \(4, 0\) of dim 2 \(size 3\) wraps around"),
        (lambda: F.pad(x, (3, -1), "circular"), RuntimeError, "at most the size left after cropping, 2"),
        (lambda: F.pad(x, (-4, 0), "circular"), RuntimeError, "gives size -1"),
        (lambda: F.pad(fastgrad.zeros(2, 0, 3), (1, 1), "reflect"), RuntimeError,
         r"needs non-empty dims \(a batch dim may be empty\), got shape \(2, 0, 3\)"),
        (lambda: fastgrad.nn.ReflectionPad1d(1.5), TypeError,
         "ReflectionPad1d: padding must be an int or a tuple of ints"),
        (lambda: fastgrad.nn.ConstantPad2d((1, "2"), 0.0), TypeError, "ConstantPad2d: padding must be"),
        (lambda: fastgrad.nn.CircularPad1d(1)(floats(1, 1, 2, 3)), ValueError,
         r"CircularPad1d: expected 2D or 3D input \(got 4D input"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()
    assert F.pad(fastgrad.zeros(0, 2, 3), (1, 1), "reflect").shape == (0, 2, 5)


def test_padding_layers_hold_their_widths():
    assert fastgrad.nn.ReflectionPad2d(1).padding == (1, 1, 1, 1)
    assert fastgrad.nn.ReplicationPad3d((1, 2, 3, 4, 5, 6)).padding == (1, 2, 3, 4, 5, 6)
    assert fastgrad.nn.ZeroPad1d(2).value == 0.0 and isinstance(fastgrad.nn.ZeroPad1d(2), fastgrad.nn.ConstantPad1d)
    assert fastgrad.nn.ConstantPad1d(1, 2.5)(fastgrad.zeros(1, 2)).tolist() == [[2.5, 0, 0, 2.5]]
    assert fastgrad.nn.ZeroPad2d((1, 0, 0, 0))(fastgrad.ones(1, 1, 1)).tolist() == [[[0, 1]]]


# -- dropout of channels, alpha dropout, Gumbel-softmax ---------------------------------------------------
@pytest.mark.parametrize("name", ["dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"])
def test_dropout_family_refuses_bad_probabilities(name):
    with pytest.raises(ValueError, match=rf"{name}: dropout probability must be in \[0, 1\], got 1.5"):
        getattr(F, name)(floats(2, 3, 4), 1.5)
    with pytest.raises(TypeError, match=rf"{name}: dropout probability p must be a number in \[0, 1\], got str"):
        getattr(F, name)(floats(2, 3, 4), "0.5")


@pytest.mark.parametrize("layer", ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                                   "FeatureAlphaDropout"])
def test_dropout_layers_refuse_bad_probabilities(layer):
    with pytest.raises(ValueError, match=rf"{layer}: dropout probability must be in \[0, 1\], got -0.1"):
        getattr(fastgrad.nn, layer)(-0.1)


@pytest.mark.filterwarnings("ignore:dropout3d. received a 0-D input")
def test_dropout_family_checks_ranks_and_dtypes():
    cases = [
        (lambda: F.dropout1d(floats(2, 3, 4, 5)), RuntimeError, r"2-D \(C, L\) or 3-D \(N, C, L\) input, got shape"),
        (lambda: F.dropout1d(floats(4), training=False), RuntimeError, "dropout1d: expected a 2-D"),
        (lambda: F.feature_alpha_dropout(floats(4), training=True), RuntimeError,
         r"needs at least 2 dims \(N, C, \*\) once a batch dim is added, got input of shape \(4,\)"),
        (lambda: F.dropout3d(fastgrad.tensor(1.0)), RuntimeError, r"got input of shape \(\)"),
        (lambda: F.dropout1d(fastgrad.ones(2, 3, dtype=fastgrad.int64)), RuntimeError, "floating point input"),
        (lambda: F.alpha_dropout(fastgrad.ones(3, dtype=fastgrad.int64), training=True), RuntimeError, "floating point"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()
    with pytest.warns(UserWarning, match="dropout2d: received a 5-D input, which is deprecated"):
        F.dropout2d(floats(1, 2, 1, 1, 1))
    with pytest.warns(UserWarning, match=r"dropout2d: a 3-D input is taken as \(N, C, L\)"):
        F.dropout2d(floats(2, 3, 4))
    with pytest.warns(UserWarning, match="dropout3d: received a 1-D input"):
        F.dropout3d(floats(3), training=False)


@pytest.mark.parametrize("tau", ["1", None])
def test_gumbel_softmax_refuses_a_temperature_that_is_not_a_number(tau):
    with pytest.raises(TypeError, match=f"gumbel_softmax: tau must be a number, got {type(tau).__name__}"):
        F.gumbel_softmax(floats(2, 3), tau)
    with pytest.raises(RuntimeError, match="gumbel_softmax: expected a floating point input"):
        F.gumbel_softmax(fastgrad.tensor([1, 2]))


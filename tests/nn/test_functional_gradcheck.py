"""gradcheck (float64 central differences) of the activations, losses, distances and layers of
fastgrad.nn.functional, over hypothesis-generated shapes, on every backend."""
import contextlib
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
import fastgrad.nn.functional as F

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**16)


def values(shape, seed, low=-2.0, high=2.0, away_from=()):
    """float64 values that stay 0.05 or more from each kink in `away_from` (central differences across a
    kink measure neither side's slope)."""
    array = np.random.default_rng(seed).uniform(low, high, shape)
    for kink in away_from:
        array = np.where(np.abs(array - kink) < 0.05, kink + 0.1 * np.sign(array - kink + 1e-12), array)
    return np.asarray(array)


def check(backend_name, fn, *arrays):
    """gradcheck fn on fresh float64 leaves holding `arrays` (fresh, because gradcheck may reshape a 0-d
    leaf it perturbs)."""
    leaves = [fastgrad.tensor(a, dtype=fastgrad.float64, requires_grad=True) for a in arrays]
    with fastgrad.backend(backend_name):
        assert fastgrad.gradcheck(fn, leaves)


# -- activations -----------------------------------------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=seeds, alpha=st.floats(0.1, 2.0), beta=st.sampled_from([0.5, 1.0, 3.0]))
def test_activations(backend_name, shape, seed, alpha, beta):
    x = values(shape, seed, -4, 4)
    check(backend_name, lambda x: F.gelu(x), x)
    check(backend_name, lambda x: F.gelu(x, approximate="tanh"), x)
    check(backend_name, lambda x: F.log_sigmoid(x), x)
    check(backend_name, lambda x: F.softplus(x, beta=beta), x)
    x_away = values(shape, seed, -4, 4, away_from=(0.0, 1.0 / beta))  # elu's kink at 0; softplus switches at threshold
    check(backend_name, lambda x: F.elu(x, alpha=alpha), x_away)
    check(backend_name, lambda x: F.softplus(x, beta=beta, threshold=1.0), x_away)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=seeds, alpha=st.floats(0.2, 2.0), cut=st.floats(-1.0, 1.0))
def test_more_activations(backend_name, shape, seed, alpha, cut):
    x = values(shape, seed, -8, 8, away_from=(-3.0, 0.0, 3.0, 6.0, cut))  # the kinks of each piecewise activation
    for activation in (F.relu6, F.selu, F.mish, F.hardswish, F.hardsigmoid, F.softsign, F.tanhshrink, F.softshrink,
                       F.hardshrink, F.rrelu):
        check(backend_name, activation, x)
    check(backend_name, lambda x: F.softshrink(x, 3.0), x)
    check(backend_name, lambda x: F.celu(x, alpha), x)
    check(backend_name, lambda x: F.threshold(x, cut, -0.5), x)
    check(backend_name, lambda x: F.glu(x.unsqueeze(-1).expand(*x.shape, 4) * fastgrad.tensor([1.0, 2.0, -1.0, 0.5],
                                                                                             dtype=fastgrad.float64)), x)


# -- losses ----------------------------------------------------------------------------------------
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shape=shapes, seed=seeds, beta=st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_regression_losses(backend_name, reduction, shape, seed, beta):
    prediction, target = values(shape, seed), values(shape, seed + 1)
    # l1 (and smooth_l1 with beta 0) have a kink where prediction == target: keep them apart
    target = np.where(np.abs(prediction - target) < 0.05, prediction + 0.1, target)
    weight = fastgrad.tensor(values(shape, seed + 2, 0.1, 2.0), dtype=fastgrad.float64)
    check(backend_name, lambda a, b: F.mse_loss(a, b, reduction=reduction), prediction, target)
    check(backend_name, lambda a, b: F.l1_loss(a, b, reduction=reduction), prediction, target)
    check(backend_name, lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta), prediction, target)
    check(backend_name, lambda a, b: F.mse_loss(a, b, reduction=reduction, weight=weight), prediction, target)
    check(backend_name, lambda a, b: F.l1_loss(a, b, reduction=reduction, weight=weight), prediction, target)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), seed=seeds, data=st.data())
def test_binary_cross_entropy_with_logits_weights(backend_name, reduction, shape, seed, data):
    """Gradients for the logits and the targets, with weight and pos_weight broadcast over the leading dims
    (pos_weight per class, the last dim) or of the input's shape, and logits large enough to saturate."""
    logits, targets = values(shape, seed, -6, 6), values(shape, seed + 1, 0, 1)
    weight_shape = data.draw(st.sampled_from([shape, shape[-1:], ()]))
    pos_weight_shape = data.draw(st.sampled_from([shape, shape[-1:], ()]))
    weight = fastgrad.tensor(values(weight_shape, seed + 2, 0.1, 2.0), dtype=fastgrad.float64)
    pos_weight = fastgrad.tensor(values(pos_weight_shape, seed + 3, 0.1, 4.0), dtype=fastgrad.float64)
    for kwargs in (dict(pos_weight=pos_weight), dict(weight=weight, pos_weight=pos_weight), dict(weight=weight)):
        check(backend_name, lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction, **kwargs),
              logits, targets)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), seed=seeds, weighted=st.booleans())
def test_binary_cross_entropy(backend_name, reduction, shape, seed, weighted):
    """Gradients for the probabilities (kept away from 0 and 1, where the loss is clamped) and the targets."""
    probabilities, targets = values(shape, seed, 0.05, 0.95), values(shape, seed + 1, 0, 1)
    weight = fastgrad.tensor(values(shape[-1:], seed + 2, 0.1, 2.0)) if weighted else None
    check(backend_name, lambda x, y: F.binary_cross_entropy(x, y, weight, reduction=reduction), probabilities, targets)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds)
def test_kl_div(backend_name, reduction, shape, seed):
    log_q = values(shape, seed, -3, 0)
    p = values(shape, seed + 1, 0.05, 1.0)
    with pytest.warns(UserWarning, match="batchmean") if reduction == "mean" else contextlib.nullcontext():
        check(backend_name, lambda x, t: F.kl_div(x, t, reduction=reduction), log_q, p)
        check(backend_name, lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=True), log_q, p)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(n=st.integers(1, 5), c=st.integers(1, 5), seed=seeds, smoothing=st.sampled_from([0.0, 0.1, 0.7]),
       extra=st.sampled_from([(), (3,)]))
def test_cross_entropy_with_weights_smoothing_and_probabilities(backend_name, reduction, n, c, seed, smoothing,
                                                                extra):
    rng = np.random.default_rng(seed)
    logits = values((n, c) + extra, seed, -3, 3)
    targets = rng.integers(0, c, size=(n,) + extra)
    if targets.size > 1:  # all ignored: a mean over nothing is NaN (as in PyTorch), not a gradient to check
        targets.reshape(-1)[0] = -100  # one ignored position; the others count
    weight = fastgrad.tensor(rng.uniform(0.2, 2.0, c))
    target_tensor = fastgrad.tensor(targets)
    check(backend_name, lambda z: F.cross_entropy(z, target_tensor, weight, reduction=reduction,
                                                  label_smoothing=smoothing), logits)
    check(backend_name, lambda z: F.cross_entropy(z, target_tensor, reduction=reduction, label_smoothing=smoothing),
          logits)
    check(backend_name, lambda z: F.nll_loss(F.log_softmax(z, 1), target_tensor, weight, reduction=reduction),
          logits)
    # class probabilities: differentiable in the logits, the target and the class weights
    probabilities = rng.dirichlet(np.ones(c), size=(n,) + extra).transpose(
        (0, len(extra) + 1) + tuple(range(1, len(extra) + 1)))
    weight_values = values((c,), seed + 3, 0.2, 2.0)
    check(backend_name, lambda z, q, w: F.cross_entropy(z, q, w, reduction=reduction, label_smoothing=smoothing),
          logits, probabilities, weight_values)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_unbatched_cross_entropy(backend_name):
    logits = values((4,), 0, -3, 3)
    weight = fastgrad.tensor([1.0, 2.0, 0.5, 1.5], dtype=fastgrad.float64)
    check(backend_name, lambda z: F.cross_entropy(z, fastgrad.tensor(2), weight, label_smoothing=0.2), logits)
    probabilities = fastgrad.tensor([0.1, 0.6, 0.2, 0.1], dtype=fastgrad.float64)
    check(backend_name, lambda z: F.cross_entropy(z, probabilities, weight), logits)


# -- distances and normalization -------------------------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 0.5, math.inf])
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds, data=st.data())
def test_normalize_and_pairwise_distance(backend_name, p, shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    # away from 0 (the kink of |x|) and, for the inf-norm, without ties for the maximum
    x = values(shape, seed, 0.2, 2.0) * np.random.default_rng(seed).choice([-1, 1], size=shape)
    if p == math.inf:
        x += np.sign(x) * np.arange(x.size).reshape(shape) * 0.3
    check(backend_name, lambda x: F.normalize(x, p=p, dim=dim), x)
    y = values(shape, seed + 1, -0.1, 0.1)
    check(backend_name, lambda x, y: F.pairwise_distance(x, y, p=p), x, y)
    check(backend_name, lambda x, y: F.pairwise_distance(x, y, p=p, keepdim=True), x, y)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(rows=st.integers(1, 4), features=st.integers(1, 5), seed=seeds, broadcast=st.booleans())
def test_cosine_similarity(backend_name, rows, features, seed, broadcast):
    x1 = values((rows, features), seed)
    x2 = values((1, features) if broadcast else (rows, features), seed + 1)
    check(backend_name, lambda a, b: F.cosine_similarity(a, b), x1, x2)
    check(backend_name, lambda a, b: F.cosine_similarity(a, b, dim=0), x1, x2)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(lead=st.sampled_from([(), (1,), (3,), (2, 3)]), normalized=st.sampled_from([(1,), (4,), (2, 3)]), seed=seeds,
       affine=st.sampled_from(["both", "weight", "bias", "none"]), eps=st.sampled_from([1e-5, 0.1]))
def test_layer_norm(backend_name, lead, normalized, seed, affine, eps):
    x = values(lead + normalized, seed)
    weight = values(normalized, seed + 1, 0.5, 1.5) if affine in ("both", "weight") else None
    bias = values(normalized, seed + 2) if affine in ("both", "bias") else None

    def normalized_fn(x, *params):
        named = dict(zip([name for name, p in (("weight", weight), ("bias", bias)) if p is not None], params))
        return F.layer_norm(x, normalized, named.get("weight"), named.get("bias"), eps)

    check(backend_name, normalized_fn, x, *[p for p in (weight, bias) if p is not None])


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=st.sampled_from([(4, 2), (3, 2, 3), (2, 3, 2, 2)]), seed=seeds, training=st.booleans(),
       eps=st.sampled_from([1e-5, 0.1]))
def test_batch_norm(backend_name, shape, seed, training, eps):
    """Through the batch statistics in training (the mean and variance depend on every input), through
    fixed running statistics in evaluation."""
    channels = shape[1]
    x, weight, bias = values(shape, seed), values(channels, seed + 1, 0.5, 1.5), values(channels, seed + 2)
    running_mean = fastgrad.tensor(values(channels, seed + 3))
    running_var = fastgrad.tensor(values(channels, seed + 4, 0.5, 2.0))
    # (training updates running statistics in place; fresh copies per call keep each call the same function)
    check(backend_name, lambda x, w, b: F.batch_norm(x, running_mean.clone(), running_var.clone(), w, b, training,
                                                     0.1, eps), x, weight, bias)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4), seed=seeds, data=st.data())
def test_constant_pad(backend_name, shape, seed, data):
    widths = []
    for n in reversed(shape[-data.draw(st.integers(1, len(shape))):]):
        before = data.draw(st.integers(-(n - 1), 2))
        after = data.draw(st.integers(-(n - 1 + min(before, 0)), 2))
        widths += [before, after]
    x = values(shape, seed)
    check(backend_name, lambda x: F.pad(x, widths, value=0.5) * 2, x)


# -- convolution and pooling over time ---------------------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=st.integers(1, 2), groups=st.integers(1, 2), group_channels=st.integers(1, 2), outs=st.integers(1, 2),
       width=st.integers(1, 3), length=st.integers(3, 6), stride=st.integers(1, 2), padding=st.integers(0, 1),
       dilation=st.integers(1, 2), seed=seeds)
def test_conv1d(backend_name, batch, groups, group_channels, outs, width, length, stride, padding, dilation, seed):
    length = max(length, dilation * (width - 1) + 1)
    x = values((batch, groups * group_channels, length), seed)
    w = values((groups * outs, group_channels, width), seed + 1)
    b = values((groups * outs,), seed + 2)
    check(backend_name, lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, groups), x, w, b)
    check(backend_name, lambda x, w: F.conv1d(x[0], w, padding="same", dilation=dilation, groups=groups), x, w)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(groups=st.integers(1, 2), kernel=st.tuples(st.integers(1, 3), st.integers(1, 2)),
       stride=st.tuples(st.integers(1, 2), st.integers(1, 2)), padding=st.tuples(st.integers(0, 1), st.integers(0, 1)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), seed=seeds)
def test_conv2d(backend_name, groups, kernel, stride, padding, dilation, seed):
    x = values((2, groups, 5, 4), seed)
    w = values((2 * groups, 1, *kernel), seed + 1)
    b = values((2 * groups,), seed + 2)
    check(backend_name, lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups), x, w, b)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(3, 7)), kernel=st.integers(1, 3),
       stride=st.integers(1, 3), dilation=st.integers(1, 2), ceil_mode=st.booleans(), seed=seeds)
def test_max_pool1d(backend_name, shape, kernel, stride, dilation, ceil_mode, seed):
    x = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.1  # no ties: one max each
    padding = kernel // 2
    if shape[2] + 2 * padding < dilation * (kernel - 1) + 1:
        dilation = 1
    check(backend_name, lambda x: F.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode), x)
    check(backend_name, lambda x: F.max_pool1d(x, x.size(2)).squeeze(2), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(kernel=st.tuples(st.integers(1, 3), st.integers(1, 2)), stride=st.tuples(st.integers(1, 2), st.integers(1, 3)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), ceil_mode=st.booleans(), seed=seeds)
def test_max_pool2d(backend_name, kernel, stride, dilation, ceil_mode, seed):
    x = np.random.default_rng(seed).permutation(2 * 5 * 4).reshape(1, 2, 5, 4) * 0.1  # no ties: one max each
    padding = (kernel[0] // 2, kernel[1] // 2)
    check(backend_name, lambda x: F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)), stride=st.tuples(st.integers(1, 3), st.integers(1, 2)),
       ceil_mode=st.booleans(), count_include_pad=st.booleans(), seed=seeds)
def test_avg_pool(backend_name, kernel, stride, ceil_mode, count_include_pad, seed):
    x = values((2, 2, 5, 4), seed)
    padding = (kernel[0] // 2, kernel[1] // 2)
    check(backend_name, lambda x: F.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad), x)
    check(backend_name, lambda x: F.avg_pool2d(x[0], kernel, divisor_override=3), x)
    check(backend_name, lambda x: F.avg_pool1d(x[0], kernel[0], stride[0], padding[0], ceil_mode, count_include_pad), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(length=st.integers(1, 7), output_size=st.integers(1, 5), seed=seeds)
def test_adaptive_pools(backend_name, length, output_size, seed):
    x = np.random.default_rng(seed).permutation(2 * 3 * length).reshape(2, 3, length) * 0.1  # no ties
    check(backend_name, lambda x: F.adaptive_max_pool1d(x, output_size), x)
    check(backend_name, lambda x: F.adaptive_avg_pool1d(x[0], output_size), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(batch=st.integers(1, 3), features=st.integers(1, 4), seed=seeds, swap=st.booleans())
def test_margin_losses(backend_name, reduction, batch, features, seed, swap):
    shape = (batch, features)
    signs = fastgrad.tensor(np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0))
    a, b, c = values(shape, seed), values(shape, seed + 1), values(shape, seed + 2)
    a = np.where(np.abs(a - b) < 0.1, a + 0.3, a)  # margin 0: away from the kink at a == b
    r = dict(reduction=reduction)
    check(backend_name, lambda a, b: F.margin_ranking_loss(a, b, signs, **r), a, b)
    check(backend_name, lambda a: F.hinge_embedding_loss(a, signs, 2.5, **r), a)  # |a| < 2: margin - a stays > 0
    check(backend_name, lambda a, b: F.cosine_embedding_loss(a, b, signs[:, 0], -1.5, **r), a, b)  # cos - margin > 0
    check(backend_name, lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=50.0, swap=swap, **r), a, b, c)
    check(backend_name, lambda a: F.soft_margin_loss(a, signs, **r), a)
    check(backend_name, lambda a: F.multilabel_soft_margin_loss(a, (signs + 1) / 2, **r), a)
    classes = fastgrad.tensor(np.random.default_rng(seed).integers(0, features, batch))
    # margins of 2 over scores in [-0.4, 0.4] keep every term of the hinge positive (away from its kink)
    check(backend_name, lambda a: F.multi_margin_loss(a / 5, classes, p=2, margin=2.0, **r), a)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds, full=st.booleans())
def test_likelihood_losses(backend_name, reduction, shape, seed, full):
    x, y, var = values(shape, seed), values(shape, seed + 1, 0.2, 4.0), values(shape, seed + 2, 0.2, 2.0)
    y = np.where(np.abs(y - 1) < 0.05, 1.1, y)  # the Stirling term starts at y = 1
    check(backend_name, lambda x, y: F.poisson_nll_loss(x, y, full=full, reduction=reduction), x, y)
    check(backend_name, lambda r, y: F.poisson_nll_loss(r, y, log_input=False, full=full, reduction=reduction),
          np.abs(x) + 0.1, y)
    check(backend_name, lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=full, reduction=reduction), x, y, var)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds)
def test_huber_loss_and_softmin(backend_name, shape, seed):
    x, y = values(shape, seed, away_from=()), values(shape, seed + 1)
    distance = np.abs(x - y)
    x = np.where(np.abs(distance - 0.7) < 0.05, x + 0.1, x)  # away from the kink at |d| = delta
    check(backend_name, lambda a, b: F.huber_loss(a, b, delta=0.7), x, y)
    check(backend_name, lambda a: F.softmin(a, dim=-1), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=st.integers(1, 2), length=st.integers(1, 3), keys=st.integers(1, 3), features=st.integers(1, 3),
       causal=st.booleans(), seed=seeds)
def test_scaled_dot_product_attention(backend_name, batch, length, keys, features, causal, seed):
    q, k, v = values((batch, length, features), seed), values((batch, keys, features), seed + 1), \
        values((batch, keys, 2), seed + 2)
    mask = fastgrad.tensor(np.random.default_rng(seed).random((length, keys)) > 0.5)
    check(backend_name, lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=causal), q, k, v)
    check(backend_name, lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), q, k, v)


# -- group and RMS normalization, bilinear, pad's copying modes, channel dropout, Gumbel-softmax ------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=st.integers(1, 3), groups=st.integers(1, 3), group_channels=st.integers(1, 2),
       spatial=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), seed=seeds, affine=st.booleans(),
       eps=st.sampled_from([1e-5, 0.1]))
def test_group_norm(backend_name, batch, groups, group_channels, spatial, seed, affine, eps):
    assume(group_channels * math.prod(spatial) >= 3)  # (groups of 1 or 2 values normalize to constants)
    channels = groups * group_channels
    x = values((batch, channels) + spatial, seed)
    if affine:
        weight, bias = values(channels, seed + 1, 0.5, 1.5), values(channels, seed + 2)
        check(backend_name, lambda x, w, b: F.group_norm(x, groups, w, b, eps), x, weight, bias)
    else:
        check(backend_name, lambda x: F.group_norm(x, groups, eps=eps), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(lead=st.sampled_from([(), (1,), (3,), (2, 3)]), normalized=st.sampled_from([(1,), (4,), (2, 3)]), seed=seeds,
       affine=st.booleans(), eps=st.sampled_from([None, 1e-5, 0.1]))
def test_rms_norm(backend_name, lead, normalized, seed, affine, eps):
    x = values(lead + normalized, seed, away_from=(0.0,))
    if affine:
        check(backend_name, lambda x, w: F.rms_norm(x, normalized, w, eps), x, values(normalized, seed + 1))
    else:
        check(backend_name, lambda x: F.rms_norm(x, list(normalized), eps=eps), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(lead=st.sampled_from([(), (1,), (3,), (2, 2)]), sizes=st.tuples(st.integers(1, 3), st.integers(1, 3),
                                                                         st.integers(1, 3)),
       seed=seeds, bias=st.booleans())
def test_bilinear(backend_name, lead, sizes, seed, bias):
    out_features, in1, in2 = sizes
    arrays = [values(lead + (in1,), seed), values(lead + (in2,), seed + 1), values(sizes, seed + 2)]
    if bias:
        arrays.append(values(out_features, seed + 3))
    check(backend_name, lambda *tensors: F.bilinear(*tensors), *arrays)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@SETTINGS
@given(padded_dims=st.integers(1, 3), batched=st.booleans(), seed=seeds, data=st.data())
def test_copying_pad_modes(backend_name, mode, padded_dims, batched, seed, data):
    """Each output element copies one input element, so an input element's gradient is the sum over its
    copies (several at the edges): widths of every allowed size, cropping ones included."""
    spatial = tuple(data.draw(st.integers(1, 3), label="size") for _ in range(padded_dims))
    widths = []
    for n in reversed(spatial):
        largest = {"reflect": n - 1, "replicate": 3, "circular": n}[mode]
        widths += [data.draw(st.integers(0, largest), label="before"),
                   data.draw(st.integers(0, largest), label="after")]
    if n > 1 and data.draw(st.booleans(), label="crop"):  # crop the first dim's start instead
        widths[-2] = -1
        widths[-1] = min(widths[-1], n - 1)  # circular wraps around what is left
    x = values((2,) * batched + (2,) + spatial, seed)
    check(backend_name, lambda x: F.pad(x, widths, mode), x)


def seeded(fn):
    """fn with fastgrad's generator reseeded before each call: the same random mask in every call gradcheck makes."""
    def call(*args):
        fastgrad.manual_seed(7)
        return fn(*args)
    return call


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=3, max_dims=5, min_side=1, max_side=3), seed=seeds, p=st.sampled_from([0.2, 0.5]))
def test_channel_and_alpha_dropout(backend_name, shape, seed, p):
    """The masks are constants: the gradient is the mask (times alpha dropout's scale)."""
    x = values(shape, seed)
    by_rank = {3: F.dropout1d, 4: F.dropout2d, 5: F.dropout3d}
    check(backend_name, seeded(lambda x: by_rank[x.ndim](x, p)), x)
    check(backend_name, seeded(lambda x: F.alpha_dropout(x, p, training=True)), x)
    check(backend_name, seeded(lambda x: F.feature_alpha_dropout(x, p, training=True)), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds, tau=st.sampled_from([0.5, 1, 2]))
def test_gumbel_softmax(backend_name, shape, seed, tau):
    x = values(shape, seed)
    check(backend_name, seeded(lambda x: F.gumbel_softmax(x, tau)), x)
    check(backend_name, seeded(lambda x: F.gumbel_softmax(x, tau, dim=0)), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(rows=st.integers(1, 3), classes=st.integers(1, 5), seed=seeds)
def test_multilabel_margin_loss(backend_name, rows, classes, seed):
    rng = np.random.default_rng(seed)
    target = rng.integers(-1, classes, (rows, classes))
    # margins 1 - x[j] + x[i] kept 0.1 or more from the hinge: x on a grid of step 0.3 plus a small jitter
    x = rng.integers(-3, 4, (rows, classes)) * 0.3 + rng.uniform(-0.02, 0.02, (rows, classes))
    for reduction in ("mean", "sum", "none"):
        check(backend_name, lambda x: F.multilabel_margin_loss(x, fastgrad.tensor(target), reduction=reduction), x)


# -- instance normalization, im2col / col2im, transposed convolution, interpolation ----------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=st.integers(1, 2), channels=st.integers(1, 3),
       spatial=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), seed=seeds,
       use_input_stats=st.booleans(), affine=st.booleans())
def test_instance_norm(backend_name, batch, channels, spatial, seed, use_input_stats, affine):
    assume(math.prod(spatial) >= 3)  # (instances of 1 or 2 values normalize to constants)
    x = values((batch, channels) + spatial, seed)
    running_mean = fastgrad.tensor(values(channels, seed + 3))
    running_var = fastgrad.tensor(values(channels, seed + 4, 0.5, 2.0))
    # (fresh running statistics per call keep each call the same function)
    def normalized(x, *affine_params):
        return F.instance_norm(x, running_mean.clone(), running_var.clone(), *affine_params,
                               use_input_stats=use_input_stats, eps=0.01)
    params = [values(channels, seed + 1, 0.5, 1.5), values(channels, seed + 2)] if affine else []
    check(backend_name, normalized, x, *params)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(kernel=st.tuples(st.integers(1, 3), st.integers(1, 2)), stride=st.tuples(st.integers(1, 2), st.integers(1, 3)),
       padding=st.tuples(st.integers(0, 1), st.integers(0, 2)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), batched=st.booleans(), seed=seeds)
def test_unfold_and_fold(backend_name, kernel, stride, padding, dilation, batched, seed):
    shape = (2, 2, 5, 4) if batched else (2, 5, 4)
    x = values(shape, seed)
    check(backend_name, lambda x: F.unfold(x, kernel, dilation, padding, stride), x)
    columns = F.unfold(fastgrad.tensor(x), kernel, dilation, padding, stride).numpy()
    check(backend_name, lambda c: F.fold(c, (5, 4), kernel, dilation, padding, stride), values(columns.shape, seed + 1))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(groups=st.integers(1, 2), kernel=st.integers(1, 3), stride=st.integers(1, 3), padding=st.integers(0, 2),
       output_padding=st.integers(0, 2), dilation=st.integers(1, 2), length=st.integers(1, 4), seed=seeds)
def test_conv_transpose1d(backend_name, groups, kernel, stride, padding, output_padding, dilation, length, seed):
    assume(output_padding < max(stride, dilation))
    assume((length - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1 >= 1)
    x = values((2, 2 * groups, length), seed)
    w, b = values((2 * groups, 3, kernel), seed + 1), values((3 * groups,), seed + 2)
    check(backend_name, lambda x, w, b: F.conv_transpose1d(x, w, b, stride, padding, output_padding, groups, dilation),
          x, w, b)
    check(backend_name, lambda x, w: F.conv_transpose1d(x[0], w, None, stride, padding, output_padding, groups,
                                                        dilation), x, w)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(groups=st.integers(1, 2), kernel=st.tuples(st.integers(1, 3), st.integers(1, 2)),
       stride=st.tuples(st.integers(1, 2), st.integers(1, 3)), padding=st.tuples(st.integers(0, 1), st.integers(0, 1)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), seed=seeds)
def test_conv_transpose2d(backend_name, groups, kernel, stride, padding, dilation, seed):
    output_padding = tuple(max(s, d) - 1 for s, d in zip(stride, dilation))
    assume(all((n - 1) * s - 2 * p + d * (k - 1) + op + 1 >= 1 for n, s, p, d, k, op in
               zip((3, 2), stride, padding, dilation, kernel, output_padding)))
    x = values((2, groups, 3, 2), seed)
    w, b = values((groups, 2, *kernel), seed + 1), values((2 * groups,), seed + 2)
    check(backend_name, lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation),
          x, w, b)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(spatial=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds, data=st.data())
def test_interpolate(backend_name, spatial, seed, data):
    """Gathers, and blends of two gathers with constant weights: linear in the input."""
    linear = ("linear", "bilinear", "trilinear")[len(spatial) - 1]
    mode = data.draw(st.sampled_from(["nearest", "nearest-exact", linear]))
    options = {"size": data.draw(st.tuples(*[st.integers(1, 6)] * len(spatial)))} if data.draw(st.booleans()) else \
        {"scale_factor": data.draw(st.sampled_from([0.7, 1.5, 2.0, 2.6]))}
    if mode.endswith("linear"):
        options["align_corners"] = data.draw(st.booleans())
    assume(all(n * options.get("scale_factor", 1) >= 1 for n in spatial))
    check(backend_name, lambda x: F.interpolate(x, mode=mode, **options), values((2, 2) + spatial, seed))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(spatial=array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5), seed=seeds, data=st.data(),
       align_corners=st.booleans())
def test_bicubic_interpolate(backend_name, spatial, seed, data, align_corners):
    """Four gathers per dim blended with constant cubic weights: linear in the input (clamped borders too)."""
    if data.draw(st.booleans()):
        options = {"size": data.draw(st.tuples(st.integers(1, 7), st.integers(1, 7)))}
    else:
        options = {"scale_factor": data.draw(st.sampled_from([0.6, 1.1, 1.5, 2.0, 2.6]) | st.floats(0.5, 3.0)),
                   "recompute_scale_factor": data.draw(st.booleans())}
    assume(all(int(n * options.get("scale_factor", 1)) >= 1 for n in spatial))
    check(backend_name, lambda x: F.interpolate(x, mode="bicubic", align_corners=align_corners, **options),
          values((2, 2) + spatial, seed))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(spatial=array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8), seed=seeds, data=st.data(),
       align_corners=st.booleans(), mode=st.sampled_from(["bilinear", "bicubic"]))
def test_antialiased_interpolate(backend_name, spatial, seed, data, align_corners, mode):
    """Gathers over each output's window (wider when downscaling) blended with constant normalized weights."""
    options = {"size": data.draw(st.tuples(st.integers(1, 9), st.integers(1, 9)))} if data.draw(st.booleans()) else \
        {"scale_factor": data.draw(st.sampled_from([0.3, 0.6, 1.1, 2.0]) | st.floats(0.25, 2.5))}
    assume(all(int(n * options.get("scale_factor", 1)) >= 1 for n in spatial))
    check(backend_name, lambda x: F.interpolate(x, mode=mode, align_corners=align_corners, antialias=True, **options),
          values((2, 2) + spatial, seed))


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_second_derivatives_of_the_resampling_layers_and_instance_norm(backend_name):
    """Composed of ops with recorded backwards, they differentiate twice (squared where the layer is
    linear, whose gradient would not depend on the input)."""
    rng = np.random.default_rng(0)

    def leaf(*shape):
        return fastgrad.tensor(rng.normal(size=shape), requires_grad=True)
    with fastgrad.backend(backend_name):
        assert fastgrad.autograd.gradgradcheck(
            lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1), [leaf(1, 2, 3, 3),
                                                                                           leaf(2, 2, 2, 3)])
        assert fastgrad.autograd.gradgradcheck(lambda x: F.unfold(x, 2, padding=1, stride=2) ** 2, [leaf(1, 2, 3, 3)])
        assert fastgrad.autograd.gradgradcheck(lambda c: F.fold(c, (3, 3), 2) ** 2, [leaf(1, 8, 4)])
        assert fastgrad.autograd.gradgradcheck(lambda x: F.interpolate(x, scale_factor=1.7, mode="bilinear") ** 2,
                                               [leaf(1, 2, 3, 3)])
        assert fastgrad.autograd.gradgradcheck(lambda x: F.interpolate(x, size=(4, 2), mode="bicubic") ** 2,
                                               [leaf(1, 2, 3, 3)])
        assert fastgrad.autograd.gradgradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
                                               [leaf(2, 2, 5), leaf(2), leaf(2)])

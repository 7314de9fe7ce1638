"""fastgrad.nn.functional against torch.nn.functional: values and gradients, float32 and float64."""
import inspect
import math
import warnings

import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")
TF = torch.nn.functional

DTYPES = {"float32": (np.float32, dict(rtol=2e-5, atol=2e-6)), "float64": (np.float64, dict(rtol=1e-10, atol=1e-12))}


@pytest.fixture(params=sorted(DTYPES))
def dtype(request):
    return request.param


def parity(dtype_name, ours, theirs, *arrays):
    """Run ours(*fastgrad leaves) and theirs(*torch leaves) on the same values; compare the outputs, then
    the gradients of every leaf for one random upstream gradient."""
    dtype, tolerance = DTYPES[dtype_name]
    our_leaves = [fastgrad.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    their_leaves = [torch.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        our_out, their_out = ours(*our_leaves), theirs(*their_leaves)
    assert our_out.shape == tuple(their_out.shape)
    assert our_out.dtype == np.dtype(str(their_out.dtype).removeprefix("torch."))
    np.testing.assert_allclose(our_out.detach().numpy(), their_out.detach().numpy(), **tolerance)
    upstream = np.random.default_rng(0).standard_normal(our_out.shape).astype(our_out.dtype)
    (our_out * fastgrad.tensor(upstream)).sum().backward()
    (their_out * torch.tensor(upstream)).sum().backward()
    for index, (ours_leaf, theirs_leaf) in enumerate(zip(our_leaves, their_leaves)):
        ours_grad = np.zeros(ours_leaf.shape) if ours_leaf.grad is None else ours_leaf.grad.numpy()
        theirs_grad = np.zeros(ours_leaf.shape) if theirs_leaf.grad is None else theirs_leaf.grad.numpy()
        np.testing.assert_allclose(ours_grad, theirs_grad, err_msg=f"gradient of input {index}", **tolerance)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# -- activations -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, ours, theirs", [
    ("gelu", lambda x: F.gelu(x), lambda x: TF.gelu(x)),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("elu", lambda x: F.elu(x), lambda x: TF.elu(x)),
    ("elu_alpha", lambda x: F.elu(x, alpha=0.3), lambda x: TF.elu(x, alpha=0.3)),
    ("softplus", lambda x: F.softplus(x), lambda x: TF.softplus(x)),
    ("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=5.0), lambda x: TF.softplus(x, 2.0, 5.0)),
    ("log_sigmoid", lambda x: F.log_sigmoid(x), lambda x: TF.logsigmoid(x)),
])
def test_activations(dtype, rng, name, ours, theirs):
    # wide range: both sides of 0, the softplus threshold, and where exp overflows
    x = np.concatenate([rng.uniform(-6, 6, 40), [-800.0, -40.0, -1e-3, 0.0, 1e-3, 2.5, 10.0, 25.0, 800.0]])
    parity(dtype, ours, theirs, x.reshape(7, 7))


# celu's alpha is exact in float32: PyTorch's float64 gradient uses a float32 1 / alpha (off by ~1e-8 for 0.4)
@pytest.mark.parametrize("name, args", [("relu6", ()), ("selu", ()), ("celu", ()), ("celu", (0.25,)), ("mish", ()),
                                        ("hardswish", ()), ("softsign", ()), ("tanhshrink", ()),
                                        ("threshold", (0.5, -2.0)), ("threshold", (0.0, 0.0)), ("softshrink", ()),
                                        ("softshrink", (3.0,)), ("hardshrink", ()), ("hardshrink", (0.5,)),
                                        ("rrelu", ()), ("rrelu", (0.1, 0.3))])
def test_more_activations(dtype, rng, name, args):
    x = np.concatenate([rng.uniform(-8, 8, 40), [-800.0, -3.0, -1e-3, 0.0, 1e-3, 0.5, 3.0, 6.0, 800.0]])
    parity(dtype, lambda x: getattr(F, name)(x, *args), lambda x: getattr(TF, name)(x, *args), x.reshape(7, 7))
    if name not in ("softsign", "tanhshrink", "mish", "hardswish", "softshrink", "hardshrink"):  # in place, recorded
        parity(dtype, lambda x: getattr(F, name)(x * 1, *args, inplace=True),
               lambda x: getattr(TF, name)(x * 1, *args, inplace=True), x)


@pytest.mark.parametrize("name, args", [("elu_", ()), ("elu_", (0.3,)), ("celu_", (0.25,)), ("selu_", ()),
                                        ("leaky_relu_", ()), ("leaky_relu_", (0.2,)), ("hardtanh_", ()),
                                        ("hardtanh_", (-0.5, 2.0)), ("rrelu_", ()), ("rrelu_", (0.1, 0.3)),
                                        ("threshold_", (0.5, -2.0)), ("relu_", ())])
def test_in_place_spellings_of_the_activations(dtype, rng, name, args):
    x = np.concatenate([rng.uniform(-8, 8, 40), [-800.0, -3.0, -1e-3, 0.0, 1e-3, 0.5, 3.0, 6.0, 800.0]])
    ours = fastgrad.tensor(x.astype(dtype))
    assert getattr(F, name)(ours, *args) is ours
    parity(dtype, lambda x: getattr(F, name)(x * 1, *args), lambda x: getattr(TF, name)(x * 1, *args), x)


def test_silu_in_place_as_torch(dtype, rng):
    x = np.concatenate([rng.uniform(-8, 8, 40), [-800.0, -1e-3, 0.0, 1e-3, 800.0]])
    parity(dtype, lambda x: F.silu(x * 1, inplace=True), lambda x: TF.silu(x * 1, inplace=True), x)
    ours, theirs = fastgrad.nn.SiLU(inplace=True), torch.nn.SiLU(inplace=True)
    assert repr(ours) == repr(theirs)
    data = fastgrad.tensor(x)
    assert ours(data) is data


def test_hardsigmoid_and_inplace_activations_without_autograd(rng):
    x = np.concatenate([rng.uniform(-8, 8, 40), [-3.0, 0.0, 3.0]])
    # PyTorch's float64 gradient is a float32 1/6 (0.1666666716); fastgrad's is 1/6
    parity("float32", F.hardsigmoid, TF.hardsigmoid, x)
    ours, theirs = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.hardsigmoid(ours).sum().backward()
    TF.hardsigmoid(theirs).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-7)
    for name in ("mish", "hardswish", "hardsigmoid"):
        ours, theirs = fastgrad.tensor(x.copy()), torch.tensor(x.copy())
        assert getattr(F, name)(ours, inplace=True) is ours
        getattr(TF, name)(theirs, inplace=True)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape, dim", [((4, 6), -1), ((4, 6), 0), ((2, 4, 3), 1), ((8,), 0)])
def test_glu(dtype, rng, shape, dim):
    parity(dtype, lambda x: F.glu(x, dim), lambda x: TF.glu(x, dim), rng.standard_normal(shape))


@pytest.mark.parametrize("x_shape, weight_shape", [((), (1,)), ((5,), (1,)), ((2, 3), (1,)), ((2, 3, 4), (3,)),
                                                   ((2, 3, 4), (1,))])
def test_prelu_keeps_the_input_shape(dtype, rng, x_shape, weight_shape):
    parity(dtype, F.prelu, TF.prelu, rng.standard_normal(x_shape), rng.uniform(0.1, 0.5, weight_shape))


def test_logsigmoid_alias_and_modules(rng):
    x = rng.standard_normal((3, 4))
    assert F.logsigmoid is F.log_sigmoid
    for ours, theirs in [(fastgrad.nn.GELU("tanh"), torch.nn.GELU("tanh")), (fastgrad.nn.ELU(0.5), torch.nn.ELU(0.5))]:
        parity("float64", ours, theirs, x)


# -- losses ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses(dtype, rng, reduction):
    prediction, target = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    target[0, :2] = prediction[0, :2]  # equal entries: the kinks of l1 and smooth_l1(beta=0)
    weight = rng.uniform(0.1, 2.0, (4, 5))
    for ours, theirs in [(F.mse_loss, TF.mse_loss), (F.l1_loss, TF.l1_loss)]:
        parity(dtype, lambda a, b: ours(a, b, reduction=reduction), lambda a, b: theirs(a, b, reduction=reduction),
               prediction, target)
        our_weight = fastgrad.tensor(weight.astype(DTYPES[dtype][0]))
        their_weight = torch.tensor(weight.astype(DTYPES[dtype][0]))
        parity(dtype, lambda a, b: ours(a, b, reduction=reduction, weight=our_weight),
               lambda a, b: theirs(a, b, reduction=reduction, weight=their_weight), prediction, target)
    for beta in (0.0, 0.5, 1.0, 3.0):
        parity(dtype, lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
               lambda a, b: TF.smooth_l1_loss(a, b, reduction=reduction, beta=beta), prediction, target)
    # huber_loss's weight: its "mean" is the plain mean of the weighted losses (not over the summed weights)
    parity(dtype, lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=0.5, weight=our_weight),
           lambda a, b: TF.huber_loss(a, b, reduction=reduction, delta=0.5, weight=their_weight), prediction, target)
    for lib in (fastgrad, torch):
        with pytest.raises(ValueError):
            lib.nn.functional.huber_loss(lib.tensor(prediction), lib.tensor(target), weight=lib.ones(5))


def test_regression_losses_broadcast_with_a_warning(rng):
    prediction, target = rng.standard_normal((4, 5)), rng.standard_normal(5)
    with pytest.warns(UserWarning, match=r"target size \(\(5,\)\) that is different to the input size \(\(4, 5\)\)"):
        F.mse_loss(fastgrad.tensor(prediction), fastgrad.tensor(target))
    parity("float64", F.mse_loss, TF.mse_loss, prediction, target)
    parity("float64", F.l1_loss, TF.l1_loss, prediction, target)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight_shape", [None, (4,), (3, 1), (3, 4)], ids=str)
@pytest.mark.parametrize("pos_weight_shape", [None, (4,), (), (3, 4)], ids=str)
def test_binary_cross_entropy_with_logits(dtype, rng, reduction, weight_shape, pos_weight_shape):
    """Logits from -800 to 800 (exp overflows there unless the loss is computed stably), soft targets, and
    weight and pos_weight broadcast to the (3, 4) input; gradients for logits and targets."""
    logits = np.concatenate([rng.normal(0, 3, 8), [-800.0, -30.0, 30.0, 800.0]]).reshape(3, 4)
    targets = rng.uniform(0, 1, (3, 4))
    targets[0, :2] = [0.0, 1.0]
    numpy_dtype = DTYPES[dtype][0]
    weights = {name: rng.uniform(0.2, 3.0, shape).astype(numpy_dtype)
               for name, shape in (("weight", weight_shape), ("pos_weight", pos_weight_shape)) if shape is not None}
    parity(dtype, lambda x, y: F.binary_cross_entropy_with_logits(
               x, y, reduction=reduction, **{k: fastgrad.tensor(v) for k, v in weights.items()}),
           lambda x, y: TF.binary_cross_entropy_with_logits(
               x, y, reduction=reduction, **{k: torch.tensor(v) for k, v in weights.items()}), logits, targets)
    # positionally, as PyTorch orders them: (input, target, weight), and the module with both weights
    if "weight" in weights and "pos_weight" in weights:
        parity(dtype, lambda x, y: F.binary_cross_entropy_with_logits(x, y, fastgrad.tensor(weights["weight"])),
               lambda x, y: TF.binary_cross_entropy_with_logits(x, y, torch.tensor(weights["weight"])),
               logits, targets)
        ours = fastgrad.nn.BCEWithLogitsLoss(fastgrad.tensor(weights["weight"]), reduction=reduction,
                                             pos_weight=fastgrad.tensor(weights["pos_weight"]))
        theirs = torch.nn.BCEWithLogitsLoss(torch.tensor(weights["weight"]), reduction=reduction,
                                            pos_weight=torch.tensor(weights["pos_weight"]))
        parity(dtype, ours, theirs, logits, targets)
        assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "pos_weight"]


def test_binary_cross_entropy_with_logits_weight_dtype_and_refusals(rng):
    """Weights of another dtype take the input's (float32 here, as PyTorch's result); PyTorch and fastgrad
    refuse weights that require grad, that do not broadcast to the input, and a list."""
    logits, targets = rng.normal(0, 2, (2, 3)), rng.uniform(0, 1, (2, 3))
    parity("float32", lambda x, y: F.binary_cross_entropy_with_logits(
               x, y, fastgrad.tensor(np.ones(3)), pos_weight=fastgrad.tensor([1, 2, 3])),
           lambda x, y: TF.binary_cross_entropy_with_logits(
               x, y, torch.tensor(np.ones(3)), pos_weight=torch.tensor([1, 2, 3])), logits, targets)
    for bad in (lambda lib: dict(weight=lib.ones(3, 3)), lambda lib: dict(pos_weight=lib.ones(2, 2, 3)),
                lambda lib: dict(pos_weight=lib.ones(2)), lambda lib: dict(weight=lib.ones(3, requires_grad=True)),
                lambda lib: dict(pos_weight=[1.0, 2.0, 3.0])):
        for lib, functional in ((fastgrad, F), (torch, TF)):
            with pytest.raises((TypeError, ValueError, RuntimeError)):
                functional.binary_cross_entropy_with_logits(lib.tensor(logits), lib.tensor(targets), **bad(lib))


@pytest.mark.parametrize("create_graph", [False, True])
def test_binary_cross_entropy_with_logits_target_gradient_at_infinite_logits_is_pytorchs(create_graph):
    """With pos_weight p, d/dy = log sigmoid(-x) - p log sigmoid(x), as PyTorch computes it: +-inf at infinite
    logits (the equal -x - (p - 1) log sigmoid(x) gave inf - inf = NaN there)."""
    logits, targets = np.array([-np.inf, np.inf, -3.0, 2.0]), np.array([0.3, 0.7, 0.5, 1.0])
    gradients = []
    for lib in (fastgrad, torch):
        x, y = lib.tensor(logits, requires_grad=True), lib.tensor(targets, requires_grad=True)
        loss = lib.nn.functional.binary_cross_entropy_with_logits(x, y, pos_weight=lib.tensor([0.6, 2.5, 0.6, 2.5]),
                                                                  reduction="sum")
        gradients.append(lib.autograd.grad(loss, y, create_graph=create_graph)[0].detach().numpy())
    np.testing.assert_allclose(gradients[0], gradients[1], rtol=1e-12)
    assert np.isinf(gradients[0][:2]).all()


def test_a_shape_mismatch_of_binary_cross_entropy_with_logits_is_checked_before_the_target_dtype():
    for lib in (fastgrad, torch):
        with pytest.raises(ValueError, match="(?i)size|shape"):
            lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(2, 3), lib.tensor(np.zeros((2, 4), np.int64)))


@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(dtype, rng, reduction, log_target):
    log_q = np.log(rng.dirichlet(np.ones(5), size=4))
    p = rng.dirichlet(np.ones(5), size=4)
    p[0, 1] = 0.0  # 0 log 0 = 0
    target = np.log(p + 1e-3) if log_target else p
    parity(dtype, lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
           lambda x, t: TF.kl_div(x, t, reduction=reduction, log_target=log_target), log_q, target)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_with_index_targets(dtype, rng, reduction, smoothing, weighted):
    logits = rng.normal(0, 3, (6, 4))
    targets = np.array([0, 3, -100, 1, 1, 2])
    weight = rng.uniform(0.2, 3.0, 4).astype(DTYPES[dtype][0]) if weighted else None

    def ours(z):
        return F.cross_entropy(z, fastgrad.tensor(targets), None if weight is None else fastgrad.tensor(weight),
                               reduction=reduction, label_smoothing=smoothing)

    def theirs(z):
        return TF.cross_entropy(z, torch.tensor(targets), None if weight is None else torch.tensor(weight),
                                reduction=reduction, label_smoothing=smoothing)

    parity(dtype, ours, theirs, logits)
    # nll_loss with the same weights, and the (N, C, d) layout
    our_weight = None if weight is None else fastgrad.tensor(weight)
    their_weight = None if weight is None else torch.tensor(weight)
    parity(dtype, lambda z: F.nll_loss(F.log_softmax(z, 1), fastgrad.tensor(targets), our_weight, reduction=reduction),
           lambda z: TF.nll_loss(TF.log_softmax(z, 1), torch.tensor(targets), their_weight, reduction=reduction),
           logits)
    spatial_targets = targets.reshape(2, 3)
    parity(dtype, lambda z: F.cross_entropy(z, fastgrad.tensor(spatial_targets), our_weight, reduction=reduction,
                                            label_smoothing=smoothing),
           lambda z: TF.cross_entropy(z, torch.tensor(spatial_targets), their_weight, reduction=reduction,
                                      label_smoothing=smoothing), logits.reshape(2, 3, 4).transpose(0, 2, 1))


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_probability_targets(dtype, rng, smoothing, weighted, reduction):
    logits, probabilities = rng.normal(0, 2, (5, 4)), rng.dirichlet(np.ones(4), size=5)
    weight = rng.uniform(0.2, 3.0, 4)
    # the target and the weights get gradients too
    arrays = (logits, probabilities, weight) if weighted else (logits, probabilities)
    parity(dtype, lambda z, q, *w: F.cross_entropy(z, q, *w, reduction=reduction, label_smoothing=smoothing),
           lambda z, q, *w: TF.cross_entropy(z, q, *w, reduction=reduction, label_smoothing=smoothing), *arrays)
    spatial = rng.dirichlet(np.ones(4), size=(2, 3)).transpose(0, 2, 1)
    parity(dtype, lambda z, q: F.cross_entropy(z, q, reduction=reduction, label_smoothing=smoothing),
           lambda z, q: TF.cross_entropy(z, q, reduction=reduction, label_smoothing=smoothing),
           rng.normal(0, 2, (2, 4, 3)), spatial)


def test_cross_entropy_unbatched_and_all_ignored(rng):
    logits = rng.normal(0, 2, 4)
    parity("float64", lambda z: F.cross_entropy(z, fastgrad.tensor(2), label_smoothing=0.1),
           lambda z: TF.cross_entropy(z, torch.tensor(2), label_smoothing=0.1), logits)
    parity("float64", lambda z, q: F.cross_entropy(z, q), lambda z, q: TF.cross_entropy(z, q), logits,
           rng.dirichlet(np.ones(4)))
    ignored = np.full(3, -100)
    weight = np.array([1.0, 2.0, 3.0, 4.0])
    for kwargs in (dict(), dict(label_smoothing=0.2), dict(reduction="sum", label_smoothing=0.2)):
        for our_weight, their_weight in ((None, None), (fastgrad.tensor(weight), torch.tensor(weight))):
            ours = F.cross_entropy(fastgrad.tensor(rng.normal(size=(3, 4)), requires_grad=True),
                                   fastgrad.tensor(ignored), our_weight, **kwargs)
            theirs = TF.cross_entropy(torch.tensor(rng.normal(size=(3, 4))), torch.tensor(ignored), their_weight,
                                      **kwargs)
            assert (math.isnan(ours.item()) and math.isnan(theirs.item())) or ours.item() == theirs.item()
    # the gradient of an all-ignored mean is zero (and finite), as PyTorch's
    logits_leaf = fastgrad.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    F.cross_entropy(logits_leaf, fastgrad.tensor(ignored), label_smoothing=0.2).backward()
    np.testing.assert_array_equal(logits_leaf.grad.numpy(), 0)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "cross_entropy smoothed", "cross_entropy weighted"])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_a_nan_upstream_gradient_leaves_the_ignored_rows_zero_as_pytorch(name, create_graph, reduction):
    """PyTorch's backward writes only the counted rows, so the ignored rows' gradients stay 0 whatever the upstream
    gradient; fastgrad's fused cross_entropy multiplied them by it (0 * NaN = NaN)."""
    logits = np.random.default_rng(0).normal(size=(3, 4))
    targets = np.array([1, -100, 3])
    gradients = []
    for library in (fastgrad, torch):
        x = library.tensor(logits, requires_grad=True)
        kwargs = dict(reduction=reduction, label_smoothing=0.1 if name.endswith("smoothed") else 0.0)
        if name.endswith("weighted"):
            kwargs["weight"] = library.tensor(np.array([1.0, 2.0, 3.0, 0.5]))
        if name == "nll_loss":
            del kwargs["label_smoothing"]
        loss = getattr(library.nn.functional, name.split()[0])(x, library.tensor(targets), **kwargs)
        upstream = library.tensor(np.full(tuple(loss.shape), np.nan))
        gradients.append(library.autograd.grad(loss, x, upstream, create_graph=create_graph)[0].detach().numpy())
    np.testing.assert_array_equal(gradients[0], gradients[1])
    assert (gradients[0][1] == 0).all() and np.isnan(gradients[0][[0, 2]]).any(axis=1).all()


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "cross_entropy smoothed"])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("shape", [(3, 3), (3, 3, 2)])
def test_a_mean_over_targets_of_zero_class_weight_is_nan_with_nan_gradients_in_their_rows(name, create_graph, shape):
    """Counted targets whose class weights sum to 0: PyTorch divides by that 0, so the loss is NaN and so is the
    gradient of every counted row (0 / 0), while ignored rows keep a zero gradient (and an ignored row with a NaN
    logit a zero smoothed loss)."""
    logits = np.random.default_rng(0).normal(size=shape)
    targets = np.zeros((shape[0],) + shape[2:], dtype=np.int64)
    targets[0] = -100
    weight = np.array([0.0, 1.0, 2.0])
    results = []
    for library in (fastgrad, torch):
        x = library.tensor(logits, requires_grad=True)
        kwargs = dict(label_smoothing=0.1) if name.endswith("smoothed") else {}
        function = getattr(library.nn.functional, name.split()[0])
        loss = function(x, library.tensor(targets), library.tensor(weight), **kwargs)
        gradient, = library.autograd.grad(loss, x, create_graph=create_graph)
        results.append((loss.item(), gradient.detach().numpy()))
    (ours, our_gradient), (theirs, their_gradient) = results
    assert math.isnan(ours) and math.isnan(theirs)
    np.testing.assert_array_equal(our_gradient, their_gradient)  # (NaN in the same places)
    assert np.isnan(our_gradient[1:]).any() and (our_gradient[0] == 0).all()
    nan_row = logits.copy()
    nan_row[0] = np.nan
    for library in (fastgrad, torch):
        losses = library.nn.functional.cross_entropy(library.tensor(nan_row), library.tensor(targets),
                                                     label_smoothing=0.1, reduction="none")
        np.testing.assert_array_equal(losses.detach().numpy()[0], 0)


def test_loss_modules(rng):
    logits, targets = rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, -100])
    weight = np.array([0.5, 2.0, 1.0])
    ours = fastgrad.nn.CrossEntropyLoss(fastgrad.tensor(weight), label_smoothing=0.1, reduction="sum")
    theirs = torch.nn.CrossEntropyLoss(torch.tensor(weight), label_smoothing=0.1, reduction="sum")
    parity("float64", lambda z: ours(z, fastgrad.tensor(targets)), lambda z: theirs(z, torch.tensor(targets)), logits)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    ours_nll, theirs_nll = fastgrad.nn.NLLLoss(fastgrad.tensor(weight)), torch.nn.NLLLoss(torch.tensor(weight))
    parity("float64", lambda z: ours_nll(z, fastgrad.tensor(targets)), lambda z: theirs_nll(z, torch.tensor(targets)),
           logits)
    for reduction in ("mean", "sum", "none"):
        for ours_cls, theirs_cls in ((fastgrad.nn.MSELoss, torch.nn.MSELoss), (fastgrad.nn.L1Loss, torch.nn.L1Loss)):
            parity("float64", ours_cls(reduction=reduction), theirs_cls(reduction=reduction), logits,
                   rng.normal(size=(5, 3)))


# -- distances and normalization -------------------------------------------------------------------
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 0.5, math.inf, 0.0])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_normalize(dtype, rng, p, dim):
    x = rng.standard_normal((3, 4))
    x[1] = 0.0  # a zero row: stays zero, gradient as PyTorch's
    if p == math.inf:
        x[0, 1] = x[0, 3] = 5.0  # a tie for the maximum
    parity(dtype, lambda x: F.normalize(x, p=p, dim=dim), lambda x: TF.normalize(x, p=p, dim=dim), x)


@pytest.mark.parametrize("shapes, dim", [(((4, 5), (4, 5)), 1), (((4, 5), (1, 5)), 1), (((3, 1, 4), (5, 4)), -1),
                                         (((4,), (4,)), 0), (((2, 3), (2, 3)), 0)])
def test_cosine_similarity(dtype, rng, shapes, dim):
    x1, x2 = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    parity(dtype, lambda a, b: F.cosine_similarity(a, b, dim=dim), lambda a, b: TF.cosine_similarity(a, b, dim=dim),
           x1, x2)


def test_cosine_similarity_of_tiny_vectors_clamps_the_norm_but_not_its_gradient(rng):
    x1 = np.array([[1e-10, -2e-10, 3e-10], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    x2 = rng.standard_normal((3, 3))
    parity("float64", lambda a, b: F.cosine_similarity(a, b, eps=1e-6),
           lambda a, b: TF.cosine_similarity(a, b, eps=1e-6), x1, x2)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf, 0.0])
@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((4, 5), (1, 5)), ((4, 5), (5,)), ((5,), (5,)), ((), ())])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(dtype, rng, p, shapes, keepdim):
    x1, x2 = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    parity(dtype, lambda a, b: F.pairwise_distance(a, b, p=p, keepdim=keepdim),
           lambda a, b: TF.pairwise_distance(a, b, p=p, keepdim=keepdim), x1, x2)


# -- layers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("normalized_shape", [(5,), (3, 5)])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm(dtype, rng, normalized_shape, affine):
    x = rng.normal(2.0, 3.0, (2, 3, 5))
    params = [rng.uniform(0.5, 1.5, normalized_shape), rng.standard_normal(normalized_shape)]
    params = params[:{"both": 2, "weight": 1, "none": 0}[affine]]
    parity(dtype, lambda x, *wb: F.layer_norm(x, normalized_shape, *wb, eps=1e-4),
           lambda x, *wb: TF.layer_norm(x, normalized_shape, *wb, eps=1e-4), x, *params)


def test_layer_norm_module_matches_torch(rng):
    ours, theirs = fastgrad.nn.LayerNorm((3, 5)).double(), torch.nn.LayerNorm((3, 5)).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, (3, 5))))
        theirs.bias.copy_(torch.tensor(rng.standard_normal((3, 5))))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((4, 3, 5))
    parity("float64", lambda x: ours(x), lambda x: theirs(x), x)
    our_x = fastgrad.tensor(x, requires_grad=True)
    their_x = torch.tensor(x, requires_grad=True)
    ours(our_x).sum().backward()
    theirs(their_x).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("widths", [(1, 2), (0, 0, 2, 1), (-1, 2), (2, -3, 1, 0, 1, 1), (-2, -1)])
def test_constant_pad(dtype, rng, widths):
    x = rng.standard_normal((2, 3, 4))
    parity(dtype, lambda x: F.pad(x, widths, value=1.5), lambda x: TF.pad(x, widths, value=1.5), x)
    parity(dtype, lambda x: F.pad(x, widths), lambda x: TF.pad(x, widths), x)


def test_implicit_softmax_dim_follows_pytorch(rng):
    for shape in [(4,), (3, 4), (2, 3, 4), (2, 3, 4, 5)]:
        x = rng.standard_normal(shape)
        with pytest.warns(UserWarning, match="implicit dimension choice"):
            ours = F.softmax(fastgrad.tensor(x))
        with pytest.warns(UserWarning):
            theirs = TF.softmax(torch.tensor(x))
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
        parity("float64", fastgrad.nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1), x)


# -- convolution and pooling over time ---------------------------------------------------------------
@pytest.mark.parametrize("shapes, kwargs", [
    (((2, 4, 7), (6, 4, 3), (6,)), {}), (((2, 4, 7), (6, 2, 3), (6,)), dict(groups=2, stride=2, padding=1, dilation=2)),
    (((4, 7), (6, 4, 2), (6,)), dict(padding="same")), (((2, 4, 8), (6, 4, 4), (6,)), dict(padding="same", dilation=2)),
    (((3, 2, 5), (4, 2, 5), (4,)), dict(padding="valid")), (((1, 3, 6), (3, 1, 2), (3,)), dict(groups=3, stride=(2,))),
])
def test_conv1d(dtype, rng, shapes, kwargs):
    arrays = [rng.standard_normal(shape) for shape in shapes]
    parity(dtype, lambda x, w, b: F.conv1d(x, w, b, **kwargs), lambda x, w, b: TF.conv1d(x, w, b, **kwargs), *arrays)
    parity(dtype, lambda x, w, b: F.conv1d(x, w, **kwargs), lambda x, w, b: TF.conv1d(x, w, **kwargs), *arrays)


@pytest.mark.parametrize("shapes, kwargs", [
    (((2, 4, 7, 6), (6, 4, 3, 2), (6,)), {}),
    (((1, 4, 9, 8), (4, 2, 3, 3), (4,)), dict(groups=2, stride=(2, 1), padding=(1, 2), dilation=(2, 1))),
    (((3, 1, 10, 5), (3, 1, 2, 5), (3,)), dict(padding="same")),  # Kim's (k, E) kernels over a sentence
    (((2, 7, 7), (2, 2, 3, 3), (2,)), dict(stride=2, padding="valid")),  # unbatched
])
def test_conv2d(dtype, rng, shapes, kwargs):
    arrays = [rng.standard_normal(shape) for shape in shapes]
    parity(dtype, lambda x, w, b: F.conv2d(x, w, b, **kwargs), lambda x, w, b: TF.conv2d(x, w, b, **kwargs), *arrays)


@pytest.mark.parametrize("pool, shape, args", [
    ("max_pool1d", (2, 4, 7), (3,)), ("max_pool1d", (2, 4, 7), (3, 2, 1)),
    ("max_pool1d", (2, 4, 7), (2, None, 0, 1, True)), ("max_pool1d", (2, 4, 7), (3, 2, 1, 2, True)),
    ("max_pool1d", (2, 4, 7), (7,)), ("max_pool1d", (4, 7), (3, 1, 1)), ("max_pool1d", (1, 2, 6), (4, 3, 2, 1, True)),
    ("max_pool2d", (2, 3, 7, 6), (3,)), ("max_pool2d", (2, 3, 7, 6), (3, 2, 1)), ("max_pool2d", (3, 7, 6), ((2, 3), 1)),
    ("max_pool2d", (2, 3, 7, 6), ((2, 3), (1, 2), (1, 1), (2, 1), True)),
    ("max_pool2d", (1, 2, 6, 5), (2, None, 0, 1, True)), ("max_pool2d", (1, 2, 8, 8), (4, 3, 2, 2, True))])
def test_max_pool(dtype, pool, shape, args):
    x = np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape) * 0.5
    x.reshape(-1)[::5] = x.reshape(-1)[1::5].max()  # ties: the gradient goes to the first maximum, as PyTorch's
    ours_pool, theirs_pool = getattr(F, pool), getattr(TF, pool)
    parity(dtype, lambda x: ours_pool(x, *args), lambda x: theirs_pool(x, *args), x)
    ours = ours_pool(fastgrad.tensor(x), *args, return_indices=True)[1]
    theirs = theirs_pool(torch.tensor(x), *args, return_indices=True)[1]
    assert ours.tolist() == theirs.tolist() and ours.dtype == fastgrad.int64


@pytest.mark.parametrize("pool, shape, args", [
    ("max_pool1d", (2, 3, 6), (3, 2, 1)), ("max_pool1d", (2, 3, 7), (3, 1, 1, 2)),
    ("max_pool2d", (2, 2, 5, 6), (3, 2, 1)), ("max_pool2d", (1, 2, 6, 5), ((3, 2), (2, 1), (1, 1), (2, 1), True))])
def test_max_pool_gives_a_window_of_minus_infinities_gradient_to_its_first_input_place(dtype, pool, shape, args):
    """Such a window ties its padding (-inf), which came first: its gradient was lost in the padding."""
    rng = np.random.default_rng(1)
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.5
    x[rng.random(shape) < 0.7] = -np.inf
    ours_pool, theirs_pool = getattr(F, pool), getattr(TF, pool)
    parity(dtype, lambda x: ours_pool(x, *args), lambda x: theirs_pool(x, *args), x)
    ours = ours_pool(fastgrad.tensor(x), *args, return_indices=True)[1]
    assert ours.tolist() == theirs_pool(torch.tensor(x), *args, return_indices=True)[1].tolist()


@pytest.mark.parametrize("args", [(3,), (3, 2, 1), (2, None, 1, True), (3, 2, 1, True, False), (4, 3, 2, True),
                                  (4, 3, 2, True, False), (1, 1), ((3,), (2,), (1,), False, False)])
def test_avg_pool(dtype, rng, args):
    parity(dtype, lambda x: F.avg_pool1d(x, *args), lambda x: TF.avg_pool1d(x, *args), rng.standard_normal((2, 3, 8)))
    parity(dtype, lambda x: F.avg_pool2d(x, *args), lambda x: TF.avg_pool2d(x, *args), rng.standard_normal((2, 3, 8, 7)))
    parity(dtype, lambda x: F.avg_pool1d(x, *args), lambda x: TF.avg_pool1d(x, *args), rng.standard_normal((3, 8)))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), divisor_override=4),
                                    dict(kernel_size=3, ceil_mode=True, count_include_pad=False, padding=1)])
def test_avg_pool2d_divisor(dtype, rng, kwargs):
    parity(dtype, lambda x: F.avg_pool2d(x, **kwargs), lambda x: TF.avg_pool2d(x, **kwargs),
           rng.standard_normal((3, 7, 5)))


@pytest.mark.parametrize("shape", [(2, 3, 7), (3, 5), (1, 2, 1)])
@pytest.mark.parametrize("output_size", [1, 2, 3, 5, 9])
def test_adaptive_pools(dtype, shape, output_size):
    x = np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape) * 0.5
    x.reshape(-1)[::4] = x.reshape(-1).max()  # ties
    parity(dtype, lambda x: F.adaptive_avg_pool1d(x, output_size), lambda x: TF.adaptive_avg_pool1d(x, output_size), x)
    parity(dtype, lambda x: F.adaptive_max_pool1d(x, output_size), lambda x: TF.adaptive_max_pool1d(x, output_size), x)
    ours = F.adaptive_max_pool1d(fastgrad.tensor(x), (output_size,), return_indices=True)[1]
    theirs = TF.adaptive_max_pool1d(torch.tensor(x), output_size, return_indices=True)[1]
    assert ours.tolist() == theirs.tolist() and ours.dtype == fastgrad.int64


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(dtype, rng, reduction, weighted):
    probabilities, targets = rng.uniform(0.01, 0.99, (4, 3)), rng.uniform(0, 1, (4, 3))
    weight = rng.uniform(0.5, 2, 3) if weighted else None
    kwargs = lambda lib: {"weight": lib.tensor(weight, dtype=getattr(lib, dtype))} if weighted else {}
    parity(dtype, lambda x, y: F.binary_cross_entropy(x, y, reduction=reduction, **kwargs(fastgrad)),
           lambda x, y: TF.binary_cross_entropy(x, y, reduction=reduction, **kwargs(torch)), probabilities, targets)
    parity(dtype, lambda x: fastgrad.nn.BCELoss(reduction=reduction)(x.sigmoid(), fastgrad.tensor(targets).type_as(x)),
           lambda x: torch.nn.BCELoss(reduction=reduction)(x.sigmoid(), torch.tensor(targets).type_as(x)),
           rng.standard_normal((4, 3)))


def test_binary_cross_entropy_at_0_and_1_is_clamped_with_pytorchs_gradients():
    values = np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    ours = [fastgrad.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    got, expected = F.binary_cross_entropy(*ours, reduction="none"), TF.binary_cross_entropy(*theirs, reduction="none")
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())  # 100 where the log is clamped
    got.sum().backward()
    expected.sum().backward()
    for mine, reference in zip(ours, theirs):
        # about +-1e12 (PyTorch's floor is a float 1e-12 in float64 too), +-inf, as PyTorch
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_margin_and_embedding_losses(dtype, rng, reduction):
    x1, x2, x3 = rng.standard_normal((3, 5, 4))
    signs, row_signs = np.sign(rng.standard_normal((5, 4))), np.array([1.0, -1.0, 1.0, -1.0, -1.0])
    r = dict(reduction=reduction)
    parity(dtype, lambda a, b, y: F.margin_ranking_loss(a, b, y, 0.3, **r),
           lambda a, b, y: TF.margin_ranking_loss(a, b, y, 0.3, **r), x1, x2, signs)
    parity(dtype, lambda a, y: F.hinge_embedding_loss(a, y, 0.5, **r),
           lambda a, y: TF.hinge_embedding_loss(a, y, 0.5, **r), x1, signs)
    for inputs, target in [((x1, x2), row_signs), ((x1[0], x2[0]), row_signs[1])]:  # batched and one pair
        parity(dtype, lambda a, b, y: F.cosine_embedding_loss(a, b, y, 0.1, **r),
               lambda a, b, y: TF.cosine_embedding_loss(a, b, y, 0.1, **r), *inputs, target)
    for kwargs in [{}, dict(margin=0.5, p=1.0, swap=True), dict(swap=True, eps=1e-3)]:
        parity(dtype, lambda a, p, n: F.triplet_margin_loss(a, p, n, **kwargs, **r),
               lambda a, p, n: TF.triplet_margin_loss(a, p, n, **kwargs, **r), x1, x2, x3)
    parity(dtype, lambda a: F.soft_margin_loss(a, fastgrad.tensor(signs * 10).type_as(a), **r),
           lambda a: TF.soft_margin_loss(a, torch.tensor(signs * 10).type_as(a), **r), x1)


def test_cosine_embedding_loss_of_a_zero_vector_has_pytorchs_gradient():
    # the floor under the squared norms, PyTorch's float 1e-12, sets the gradient at a zero vector (about 1e6)
    x1, x2, target = np.zeros((2, 3)), np.array([[1.0, 0.5, -2.0], [0.0, 3.0, 1.0]]), np.array([1.0, -1.0])
    grads = []
    for engine, functional in ((fastgrad, F), (torch, TF)):
        a = engine.tensor(x1, requires_grad=True)
        functional.cosine_embedding_loss(a, engine.tensor(x2), engine.tensor(target), -0.5, reduction="sum").backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_and_multiclass_margin_losses(dtype, rng, reduction, weighted):
    scores, labels, classes = rng.standard_normal((5, 4)), (rng.random((5, 4)) > 0.5) * 1.0, rng.integers(0, 4, 5)
    scores[0, 1] = scores[0, classes[0]] - 1.0  # a margin of exactly 0: no loss and no gradient, as PyTorch's
    weight = rng.uniform(0.5, 2, 4)
    weights = {lib: lib.tensor(weight, dtype=getattr(lib, dtype)) if weighted else None for lib in (fastgrad, torch)}
    parity(dtype, lambda x, y: F.multilabel_soft_margin_loss(x, y, weights[fastgrad], reduction=reduction),
           lambda x, y: TF.multilabel_soft_margin_loss(x, y, weights[torch], reduction=reduction), scores, labels)
    for p, margin in [(1, 1.0), (2, 0.5)]:
        parity(dtype, lambda x: F.multi_margin_loss(x, fastgrad.tensor(classes), p, margin, weights[fastgrad],
                                                    reduction=reduction),
               lambda x: TF.multi_margin_loss(x, torch.tensor(classes), p, margin, weights[torch], reduction=reduction),
               scores)
    parity(dtype, lambda x: F.multi_margin_loss(x, fastgrad.tensor(2), reduction=reduction),
           lambda x: TF.multi_margin_loss(x, torch.tensor(2), reduction=reduction), scores[0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shapes", [((3,), (1,)), ((1, 3), ()), ((1, 3), (1,)), ((), ()), ((), (1,))])
def test_multi_margin_loss_takes_pytorchs_single_sample_target_shapes(reduction, shapes):
    """One sample's target may be 0-d or (1,), for a (C,), (1, C) or 0-d input; "none" gives the target's shape."""
    scores = np.random.default_rng(0).normal(size=shapes[0])
    parity("float64", lambda x: F.multi_margin_loss(x, fastgrad.zeros(shapes[1], dtype=fastgrad.int64),
                                                    reduction=reduction),
           lambda x: TF.multi_margin_loss(x, torch.zeros(shapes[1], dtype=torch.int64), reduction=reduction), scores)


def test_multi_margin_loss_refuses_a_weight_of_another_dtype_as_pytorch():
    for lib in (fastgrad, torch):
        for weight_dtype, input_dtype in ((lib.float32, lib.float64), (lib.float64, lib.float32),
                                          (lib.int64, lib.float64)):
            with pytest.raises((TypeError, RuntimeError)):
                lib.nn.functional.multi_margin_loss(lib.zeros(2, 3, dtype=input_dtype), lib.tensor([0, 1]),
                                                    weight=lib.ones(3, dtype=weight_dtype))


def test_multi_margin_loss_refuses_a_weight_that_requires_grad_as_pytorch():
    for lib in (fastgrad, torch):
        with pytest.raises(RuntimeError, match="differentiable"):
            lib.nn.functional.multi_margin_loss(lib.zeros(2, 3, dtype=lib.float64), lib.tensor([0, 1]),
                                                weight=lib.ones(3, dtype=lib.float64, requires_grad=True))


@pytest.mark.parametrize("weight_dtype", ["float32", "float64"])
def test_multilabel_soft_margin_loss_is_differentiable_in_its_weight_and_promotes_it_as_pytorch(weight_dtype):
    """PyTorch's loss multiplies by the weight like any factor: a gradient for a weight that requires grad, and
    the promoted dtype of a weight of another dtype (float64 for a float32 input and a float64 weight)."""
    scores = np.random.default_rng(0).normal(size=(4, 3))
    results = []
    for lib in (fastgrad, torch):
        x = lib.tensor(scores.astype(np.float32), requires_grad=True)
        weight = lib.tensor(np.array([0.5, 1.0, 2.0], dtype=weight_dtype), requires_grad=True)
        loss = lib.nn.functional.multilabel_soft_margin_loss(x, lib.tensor((scores > 0) * 1.0).float(), weight=weight)
        loss.backward()
        results.append((str(loss.dtype).removeprefix("torch."), loss.item(), x.grad.numpy(), weight.grad.numpy()))
    assert results[0][0] == results[1][0]
    for ours, theirs in zip(results[0][1:], results[1][1:]):
        np.testing.assert_allclose(ours, theirs, rtol=2e-6)


@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_multilabel_margin_loss_skips_a_nan_margin_as_pytorch(reduction):
    """PyTorch's kernel adds a margin only where it is > 0, so a pair whose margin is NaN adds nothing (and no
    gradient); a 1-D input's target may also be any shape of its C values."""
    scores = np.array([[np.nan, 1.0, np.inf], [0.0, np.nan, 2.0], [-np.inf, 1.0, 0.5]])
    targets = np.array([[0, 1, -1], [1, 2, -1], [1, 2, -1]])
    parity("float64", lambda x: F.multilabel_margin_loss(x, fastgrad.tensor(targets), reduction=reduction),
           lambda x: TF.multilabel_margin_loss(x, torch.tensor(targets), reduction=reduction), scores)
    parity("float64", lambda x: F.multilabel_margin_loss(x, fastgrad.tensor(0), reduction=reduction),
           lambda x: TF.multilabel_margin_loss(x, torch.tensor(0), reduction=reduction), np.array([0.5]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("log_input, full", [(True, False), (False, False), (True, True), (False, True)])
def test_poisson_nll_loss(dtype, rng, reduction, log_input, full):
    counts = np.concatenate([rng.integers(1, 6, 10), [0.5, 1.0]]).astype(float).reshape(3, 4)  # no 0: see below
    rates = rng.uniform(0.1, 3, (3, 4))
    parity(dtype, lambda x, y: F.poisson_nll_loss(x, y, log_input, full, reduction=reduction),
           lambda x, y: TF.poisson_nll_loss(x, y, log_input, full, reduction=reduction),
           np.log(rates) if log_input else rates, counts)


@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_multilabel_margin_loss_with_infinite_scores_matches_pytorch(reduction):
    # the pairs that do not count (a target class with itself or another target) must not turn inf - inf into NaN
    scores = np.array([[-2.0, -0.6, 0.7, -np.inf], [np.inf, 0.3, 0.2, 0.1], [-np.inf, 0.3, 0.2, 0.5]])
    targets = np.array([[0, 1, -1, 2]] * 3)
    results = []
    for engine, functional in ((fastgrad, F), (torch, TF)):
        x = engine.tensor(scores, requires_grad=True)
        loss = functional.multilabel_margin_loss(x, engine.tensor(targets), reduction=reduction)
        loss.sum().backward()
        results.append((loss.detach().numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name, option", [("smooth_l1_loss", dict(beta=0.5)), ("huber_loss", dict(delta=2.0))])
def test_smooth_l1_and_huber_gradients_at_an_infinite_distance_are_the_slope(name, option):
    # PyTorch's gradient there is the linear part's slope; the unused square's 0 * inf made it NaN. A NaN
    # distance still gives NaN
    inputs, targets = np.array([np.inf, -np.inf, 1e300, np.nan, 0.3]), np.array([1.0, 1.0, 1.0, 1.0, 0.2])
    results = []
    for engine, functional in ((fastgrad, F), (torch, TF)):
        x, y = engine.tensor(inputs, requires_grad=True), engine.tensor(targets, requires_grad=True)
        getattr(functional, name)(x, y, reduction="sum", **option).backward()
        results.append((x.grad.numpy(), y.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_poisson_nll_loss_gradient_at_a_zero_count_is_finite():
    """PyTorch's target gradient is NaN there (its Stirling term's log(0), masked out after the fact)."""
    target = fastgrad.tensor([0.0, 3.0], dtype=fastgrad.float64, requires_grad=True)
    F.poisson_nll_loss(fastgrad.tensor([0.5, 1.0], dtype=fastgrad.float64), target, full=True).backward()
    np.testing.assert_allclose(target.grad.numpy(), [-0.25, (-1.0 + np.log(3) + 1 - 1 + 0.5 / 3) / 2])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("var_shape", [(5, 4), (5,), (5, 1), (1, 4)])
def test_gaussian_nll_loss(dtype, rng, reduction, var_shape):
    var = rng.uniform(0.1, 2, var_shape)
    var.reshape(-1)[0] = 1e-9  # below eps: clamped, with the gradient of the unclamped var, as PyTorch's
    parity(dtype, lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=True, reduction=reduction),
           lambda x, y, v: TF.gaussian_nll_loss(x, y, v, full=True, reduction=reduction),
           rng.standard_normal((5, 4)), rng.standard_normal((5, 4)), var)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_loss(dtype, rng, reduction, delta):
    parity(dtype, lambda x, y: F.huber_loss(x, y, reduction=reduction, delta=delta),
           lambda x, y: TF.huber_loss(x, y, reduction=reduction, delta=delta),
           rng.standard_normal((4, 3)) * 2, rng.standard_normal((4, 3)))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmin(dtype, rng, dim):
    parity(dtype, lambda x: F.softmin(x, dim), lambda x: TF.softmin(x, dim), rng.standard_normal((3, 4)))


# -- attention -------------------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", [((2, 3, 4), (2, 5, 4), (2, 5, 6)), ((1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4))])
@pytest.mark.parametrize("mask_kind, kwargs", [(None, {}), (None, {"is_causal": True}), (None, {"scale": 0.3}),
                                               ("bool", {}), ("bool with a blocked row", {}), ("float", {}),
                                               ("float with a blocked row", {})])
def test_scaled_dot_product_attention(dtype, rng, shapes, mask_kind, kwargs):
    length, keys = shapes[0][-2], shapes[1][-2]
    mask = None
    if mask_kind.startswith("float") if mask_kind else False:
        mask = rng.standard_normal((length, keys))
        mask[0, 1] = -np.inf
        if mask_kind != "float":
            mask[1] = -np.inf  # PyTorch gives this query zeros, and its weights no gradient
    elif mask_kind is not None:
        mask = rng.random((length, keys)) > 0.3
        mask[:, 0] = mask_kind == "bool"  # every query may see key 0, except in the blocked row below
        if mask_kind != "bool":
            mask[1] = False
    masks = {lib: None if mask is None else lib.tensor(mask if mask.dtype == bool else mask.astype(DTYPES[dtype][0]))
             for lib in (fastgrad, torch)}
    parity(dtype, lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=masks[fastgrad], **kwargs),
           lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=masks[torch], **kwargs),
           *[rng.standard_normal(shape) for shape in shapes])


@pytest.mark.parametrize("alpha", [-1.0, 0.5, 2.0])
def test_celu_and_selu_in_place_match_pytorch_for_every_alpha(alpha):
    """In place they are written back from the out-of-place formula (a negative alpha once flipped signs)."""
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    for ours_fn, theirs_fn in ((lambda t: F.celu(t, alpha, True), lambda t: TF.celu(t, alpha, True)),
                               (lambda t: F.selu(t, True), lambda t: TF.selu(t, True))):
        mine, reference = fastgrad.tensor(x), torch.tensor(x)
        ours_fn(mine), theirs_fn(reference)
        np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), rtol=1e-12)


def test_relu6_and_hardtanh_keep_integer_dtypes_as_pytorch():
    for ours, theirs in ((F.relu6(fastgrad.tensor([-2, 3, 8])), TF.relu6(torch.tensor([-2, 3, 8]))),
                         (F.hardtanh(fastgrad.tensor([-2, 3, 8]), -1.5, 6.0),
                          TF.hardtanh(torch.tensor([-2, 3, 8]), -1.5, 6.0))):
        assert ours.dtype == fastgrad.int64 and ours.tolist() == theirs.tolist()


def test_poisson_nll_loss_takes_pytorchs_positional_order():
    x, y = np.abs(np.random.default_rng(15).normal(size=4)), np.array([1.0, 2.0, 0.0, 3.0])
    ours = F.poisson_nll_loss(fastgrad.tensor(x), fastgrad.tensor(y), False, False, None, 0.5)
    theirs = TF.poisson_nll_loss(torch.tensor(x), torch.tensor(y), False, False, None, 0.5)
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)


# -- group and RMS normalization, bilinear -----------------------------------------------------------
@pytest.mark.parametrize("shape, groups", [((2, 6), 3), ((2, 6, 5), 2), ((3, 4, 2, 3), 4), ((1, 6, 3), 1),
                                           ((2, 4, 1, 1), 2), ((0, 4, 3), 2)])
@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
def test_group_norm(dtype, rng, shape, groups, affine):
    channels = shape[1]
    arrays = [rng.standard_normal(shape) * 3 + 1]
    arrays += [rng.uniform(0.5, 1.5, channels)] if affine in ("both", "weight") else []
    arrays += [rng.standard_normal(channels)] if affine in ("both", "bias") else []

    def run(functional, library):
        def call(x, *params):
            named = dict(zip([name for name in ("weight", "bias") if name in affine or affine == "both"], params))
            if library is torch and affine == "bias":  # (PyTorch's backward fails without a weight: give it ones)
                named["weight"] = torch.ones(channels, dtype=x.dtype)
            return functional(x, groups, named.get("weight"), named.get("bias"), eps=1e-3)
        return call

    parity(dtype, run(F.group_norm, fastgrad), run(TF.group_norm, torch), *arrays)


@pytest.mark.parametrize("shape, normalized", [((5,), (5,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((3, 1), (1,))])
@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("weighted", [True, False])
def test_rms_norm(dtype, rng, shape, normalized, eps, weighted):
    arrays = [rng.standard_normal(shape)] + ([rng.standard_normal(normalized)] if weighted else [])
    parity(dtype, lambda x, *w: F.rms_norm(x, normalized, *w, eps=eps),
           lambda x, *w: TF.rms_norm(x, normalized, *w, eps=eps), *arrays)


def test_rms_norm_casts_a_weight_of_another_dtype_to_the_inputs_as_pytorch(rng):
    x, w = rng.standard_normal((3, 4)), rng.standard_normal(4)
    for input_dtype, weight_dtype in ((np.float32, np.float64), (np.float64, np.float32)):
        ours = [fastgrad.tensor(x.astype(input_dtype), requires_grad=True),
                fastgrad.tensor(w.astype(weight_dtype), requires_grad=True)]
        theirs = [torch.tensor(x.astype(input_dtype), requires_grad=True),
                  torch.tensor(w.astype(weight_dtype), requires_grad=True)]
        got = F.rms_norm(ours[0], [4], ours[1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch warns that it cannot use its fused kernel
            expected = TF.rms_norm(theirs[0], [4], theirs[1])
        assert got.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
        np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-5)
        got.sum().backward()
        expected.sum().backward()
        for mine, reference in zip(ours, theirs):
            assert mine.grad.dtype == np.dtype(str(reference.grad.dtype).removeprefix("torch."))
            np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("lead", [(), (4,), (2, 3), (0,)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_bilinear(dtype, rng, lead, with_bias):
    arrays = [rng.standard_normal(lead + (3,)), rng.standard_normal(lead + (5,)), rng.standard_normal((2, 3, 5))]
    arrays += [rng.standard_normal(2)] if with_bias else []
    parity(dtype, F.bilinear, TF.bilinear, *arrays)


# -- pad's reflect, replicate and circular modes --------------------------------------------------------
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, widths", [
    ((2, 5), (2, 3)), ((1, 2, 5), (4, 0)), ((1, 2, 5), (-1, 2)), ((2, 2, 5), (1, -2)), ((3, 4), (0, 0)),
    ((3, 4, 5), (1, 2, 3, 0)), ((1, 2, 4, 5), (-1, 2, 2, -1)), ((2, 3, 3, 4), (3, 3, 2, 2)),
    ((2, 3, 3, 4), (1, 1, 1, 1, 1, 1)), ((1, 2, 3, 3, 4), (2, 1, 0, 2, 1, -1)), ((1, 1, 1, 2, 3), (0, 0, 1, 1, 0, 0)),
])
def test_copying_pad_modes(dtype, rng, mode, shape, widths):
    if mode == "reflect" and any(w >= n for w, n in zip(widths, np.repeat(shape[::-1], 2))):
        widths = tuple(min(w, n - 1) for w, n in zip(widths, np.repeat(shape[::-1], 2)))  # reflect needs w < n
    parity(dtype, lambda x: F.pad(x, widths, mode), lambda x: TF.pad(x, widths, mode), rng.standard_normal(shape))


def _reads_uninitialized_memory(shape, widths) -> bool:
    """Where PyTorch's circular padding wraps around more than cropping leaves (its check counts the whole
    dim) and fills the output from memory it never wrote: fastgrad raises there."""
    for k in range(len(widths) // 2):
        size, before, after = shape[len(shape) - 1 - k], widths[2 * k], widths[2 * k + 1]
        kept = size - max(-before, 0) - max(-after, 0)
        if size + before + after > 0 and kept < max(before, after) <= size:
            return True
    return False


def _outcome(call):
    try:
        return call().detach().numpy()
    except (ValueError, RuntimeError, NotImplementedError) as error:
        return type(error)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_copying_pad_modes_accept_and_refuse_what_pytorch_does(mode):
    """Over a grid of ranks, sizes (empty and size-1 dims too) and widths: the same output where PyTorch
    gives one, an error of PyTorch's type where it raises (RuntimeError for the sizes and widths,
    NotImplementedError for the ranks)."""
    shapes = [(3,), (2, 3), (1, 2, 3), (2, 0, 3), (0, 2, 3), (2, 3, 1), (2, 3, 0), (1, 1, 3, 4), (2, 3, 4, 5),
              (1, 2, 2, 2, 2), (2, 1, 2, 2, 2, 2)]
    widths_grid = [(1, 1), (2, 2), (3, 3), (4, 0), (-1, 2), (-3, 0), (-2, -1), (-4, 2), (-4, 1), (0, 0), (1, 1, 1, 1),
                   (1, 1, 3, 0), (0, -2, 1, 1), (1, 1, 1, 1, 1, 1), (1,) * 8, (1,)]
    compared = 0
    for shape in shapes:
        x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
        for widths in widths_grid:
            ranks_fit = len(shape) - len(widths) // 2 in (1, 2)
            if mode == "circular" and ranks_fit and _reads_uninitialized_memory(shape, widths):
                with pytest.raises(RuntimeError, match="wraps around more than once"):
                    F.pad(fastgrad.tensor(x), widths, mode)
                continue
            ours = _outcome(lambda: F.pad(fastgrad.tensor(x), widths, mode))
            theirs = _outcome(lambda: TF.pad(torch.tensor(x), widths, mode))
            where = f"{mode} padding {widths} of shape {shape}"
            if isinstance(theirs, type):
                assert ours is theirs, f"{where}: PyTorch raises {theirs.__name__}, fastgrad gives {ours}"
            else:
                assert not isinstance(ours, type), f"{where}: fastgrad raises {ours.__name__}, PyTorch does not"
                np.testing.assert_array_equal(ours, theirs, err_msg=where)
                compared += 1
    assert compared > 20


def test_copying_pad_modes_take_only_a_zero_value_as_pytorch():
    x = np.ones((1, 2, 3))
    np.testing.assert_array_equal(F.pad(fastgrad.tensor(x), (1, 1), "reflect", 0.0).detach().numpy(),
                                  TF.pad(torch.tensor(x), (1, 1), "reflect", 0.0).detach().numpy())
    with pytest.raises(RuntimeError, match="doesn't take in value"):
        TF.pad(torch.tensor(x), (1, 1), "reflect", 1.0)
    with pytest.raises(RuntimeError, match=r"mode 'reflect' takes no value .*got value=1.0"):
        F.pad(fastgrad.tensor(x), (1, 1), "reflect", 1.0)


# -- dropout of channels, alpha dropout, Gumbel-softmax: structure, not PyTorch's random values -------------
CHANNEL_DROPOUTS = ["dropout1d", "dropout2d", "dropout3d", "feature_alpha_dropout", "alpha_dropout"]


def _dropout_outcome(library, name, ndim, training, p=0.5):
    """What repeated calls do: ("raises", error type), or ("ok", whether they warned, the dims along which the
    output of an input of ones varies (the dims that do not share one draw), the distinct values). Repeated
    (30 draws or more in all), so that an input of few channels shows every dim and value that can vary."""
    functional = F if library is fastgrad else TF
    x = library.ones((6,) * ndim if ndim <= 4 else (4,) * ndim, dtype=library.float64)
    warned, varying, values = False, set(), set()
    for _ in range(40 if ndim == 0 else 5):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = getattr(functional, name)(x, p, training).detach().numpy()
            except (ValueError, RuntimeError) as error:
                return "raises", type(error)
        warned |= bool(caught)
        varying |= {d for d in range(out.ndim) if out.size and np.ptp(out, axis=d).max() > 0}
        values |= set(np.unique(out.round(12)).tolist())
    return "ok", warned, sorted(varying), sorted(values)


@pytest.mark.parametrize("name", CHANNEL_DROPOUTS)
@pytest.mark.parametrize("training", [True, False])
def test_dropout_family_accepts_warns_and_drops_what_pytorch_does(name, training):
    """For every rank 0 to 6: raises where PyTorch raises, warns where it warns, otherwise draws once per
    element of the same dims (whole channels) and gives the same values (0 and 1/(1-p), or alpha dropout's
    two values); evaluation is the identity."""
    fastgrad.manual_seed(0), torch.manual_seed(0)
    for ndim in range(7):
        ours, theirs = _dropout_outcome(fastgrad, name, ndim, training), _dropout_outcome(torch, name, ndim, training)
        if theirs[0] == "raises":
            assert ours[0] == "raises", f"{name}, {ndim}-D: PyTorch raises, fastgrad does not"
            continue
        assert ours[0] == "ok", f"{name}, {ndim}-D: fastgrad raises {ours[1].__name__}, PyTorch does not"
        assert ours[1:3] == theirs[1:3], f"{name}, {ndim}-D: (warned, varying dims) {ours[1:3]} vs {theirs[1:3]}"
        np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-12, err_msg=f"{name}, {ndim}-D: the values")


@pytest.mark.parametrize("name", CHANNEL_DROPOUTS)
@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_family_at_p_0_and_1_gives_pytorchs_values(name, p):
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(F, name)(fastgrad.tensor(x), p, True).detach().numpy()
        theirs = getattr(TF, name)(torch.tensor(x), p, True).detach().numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_gumbel_softmax_takes_pytorchs_arguments_and_warns_about_eps():
    logits = np.random.default_rng(0).standard_normal((3, 4))
    for library, functional in ((fastgrad, F), (torch, TF)):
        with pytest.warns(UserWarning, match="`eps` parameter is deprecated and has no effect"):
            soft = functional.gumbel_softmax(library.tensor(logits), 0.5, False, 1e-5, 0)
        hard = functional.gumbel_softmax(library.tensor(logits), hard=True, dim=0)
        assert tuple(soft.shape) == tuple(hard.shape) == (3, 4) and str(soft.dtype).endswith("float64")
        np.testing.assert_allclose(soft.detach().numpy().sum(0), 1.0, rtol=1e-12)
        np.testing.assert_array_equal(np.sort(hard.detach().numpy(), axis=0)[-1], 1.0)


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # (NaN samples, which PyTorch gives silently)
@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("tau", [0, 0.0, -1.0, -0.5, float("inf"), float("nan"), True])
def test_gumbel_softmax_takes_any_temperature(tau, hard):
    """As PyTorch's: tau = 0 (and NaN) gives NaN samples, tau = inf the uniform distribution, and a negative tau
    the softmax of -(logits + g) / |tau|: the same draw with tau = 1 gives it."""
    logits = np.random.default_rng(0).standard_normal((3, 4))
    ours = F.gumbel_softmax(fastgrad.tensor(logits), tau, hard).detach().numpy()
    theirs = TF.gumbel_softmax(torch.tensor(logits), tau, hard).detach().numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert np.isnan(ours).all() == np.isnan(theirs).all() and np.isnan(ours).any() == np.isnan(theirs).any()
    if tau == float("inf") and not hard:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    if tau < 0 and not hard:
        fastgrad.manual_seed(3)
        unit = F.gumbel_softmax(fastgrad.tensor(logits), 1.0).detach().numpy()
        fastgrad.manual_seed(3)
        negative = F.gumbel_softmax(fastgrad.tensor(logits), tau).detach().numpy()
        expected = np.exp(np.log(unit) / tau)
        np.testing.assert_allclose(negative, expected / expected.sum(-1, keepdims=True), rtol=1e-10)


# -- PyTorch's argument names, order and defaults ----------------------------------------------------------
BILINEAR_PARAMETERS = [("input1", inspect.Parameter.empty), ("input2", inspect.Parameter.empty),
                       ("weight", inspect.Parameter.empty), ("bias", None)]  # (a builtin in PyTorch: no signature)


@pytest.mark.parametrize("name", ["group_norm", "rms_norm", "bilinear", "dropout1d", "dropout2d", "dropout3d",
                                  "alpha_dropout", "feature_alpha_dropout", "gumbel_softmax", "pad"])
def test_functional_signatures_are_pytorchs(name):
    ours = [(p.name, p.default) for p in inspect.signature(getattr(F, name)).parameters.values()]
    theirs = BILINEAR_PARAMETERS if name == "bilinear" else [
        (p.name, p.default) for p in inspect.signature(getattr(TF, name)).parameters.values()]
    assert ours == theirs


@pytest.mark.parametrize("name", ["GroupNorm", "RMSNorm", "Bilinear", "Dropout1d", "Dropout2d", "Dropout3d",
                                  "AlphaDropout", "FeatureAlphaDropout"] +
                         [f"{kind}Pad{d}d" for kind in ("Reflection", "Replication", "Circular", "Constant", "Zero")
                          for d in (1, 2, 3)])
def test_layer_signatures_are_pytorchs(name):
    def parameters(cls):
        return [(p.name, p.kind, p.default) for p in inspect.signature(cls).parameters.values()]
    assert parameters(getattr(fastgrad.nn, name)) == parameters(getattr(torch.nn, name))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss(dtype, rng, reduction):
    """Target rows end at their first -1; repeated indices count again; unbatched (C,) input too."""
    x = rng.standard_normal((4, 5))
    target = np.array([[3, 0, -1, 1, 7 % 5], [1, 2, 2, -1, 0], [-1, 0, 0, 0, 0], [4, 3, 2, 1, 0]])
    parity(dtype, lambda x: F.multilabel_margin_loss(x, fastgrad.tensor(target), reduction=reduction),
           lambda x: TF.multilabel_margin_loss(x, torch.tensor(target), reduction=reduction), x)
    parity(dtype, lambda x: F.multilabel_margin_loss(x, fastgrad.tensor(target[1]), reduction=reduction),
           lambda x: TF.multilabel_margin_loss(x, torch.tensor(target[1]), reduction=reduction), x[1])


def test_rrelu_in_training_draws_each_negative_slope_from_its_range():
    fastgrad.manual_seed(0)
    x = fastgrad.full((20000,), -1.0, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    y.sum().backward()
    slopes = -y.detach().numpy()
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.003
    np.testing.assert_array_equal(x.grad.numpy(), slopes)  # the gradient is each element's slope
    assert (F.rrelu(fastgrad.ones(5), training=True).detach().numpy() == 1).all()


def test_shrink_rrelu_softmax2d_and_multilabel_margin_modules_match_torch(rng):
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    for ours, theirs in [(fastgrad.nn.Softshrink(0.3), torch.nn.Softshrink(0.3)), (fastgrad.nn.Hardshrink(),
                         torch.nn.Hardshrink()), (fastgrad.nn.RReLU(0.1, 0.2).eval(), torch.nn.RReLU(0.1, 0.2).eval()),
                         (fastgrad.nn.Softmax2d(), torch.nn.Softmax2d())]:
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(ours(fastgrad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-6,
                                   atol=1e-7)
    assert repr(fastgrad.nn.MultiLabelMarginLoss(reduction="sum")) == repr(torch.nn.MultiLabelMarginLoss(reduction="sum"))


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "hardtanh", "relu6", "relu", "tanhshrink", "softsign"])
@pytest.mark.parametrize("dtype", ["int64", "int8", "uint8", "bool"])
def test_activations_of_integer_and_bool_inputs_have_torchs_dtype_or_refusal(name, dtype):
    """F.tanh of int8 or bool gave float16 (NumPy's tanh of a small integer type) and of int64 float64, where
    PyTorch gives the default float32; hardtanh and relu6 of bool gave float64 where PyTorch refuses."""
    values = np.array([1, 0, 1, 1])

    def call(lib):
        return getattr(lib.nn.functional, name)(lib.tensor(values.astype(dtype)))

    try:
        expected = call(torch)
    except (RuntimeError, NotImplementedError, TypeError):
        with pytest.raises((RuntimeError, NotImplementedError, TypeError)):
            call(fastgrad)
        return
    got = call(fastgrad)
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-6)


NUMBER_OR_ARRAY_OPERANDS = {"float": 0.5, "int": 2, "bool": True, "NumPy float": np.float64(0.5),
                            "float64 array": np.full((2, 3), 0.5), "0-d float64 array": np.array(0.5),
                            "int64 array": np.ones((2, 3), dtype=np.int64)}


@pytest.mark.parametrize("kind", NUMBER_OR_ARRAY_OPERANDS)
@pytest.mark.parametrize("argument", ["gaussian_nll_loss target", "multilabel_soft_margin_loss target",
                                      "multilabel_soft_margin_loss weight"])
def test_a_loss_takes_a_number_or_an_array_where_pytorch_s_arithmetic_does(argument, kind):
    # (PyTorch's Python code computes with them as operands: the values, and NumPy's dtypes for an array; a
    # multilabel_soft_margin target array and a bool gaussian target are refused by the operators, as PyTorch's)
    value = NUMBER_OR_ARRAY_OPERANDS[kind]
    fn, label = argument.split()

    def call(lib):
        x = lib.tensor(np.linspace(0.1, 0.9, 6).reshape(2, 3).astype(np.float32))
        if fn == "gaussian_nll_loss":
            return lib.nn.functional.gaussian_nll_loss(x, value, lib.ones(2, 3))
        return lib.nn.functional.multilabel_soft_margin_loss(x, **{"target": x, label: value})

    theirs, ours = outcome(lambda: call(torch)), outcome(lambda: call(fastgrad))
    assert_raised_alike(ours, theirs, f"{argument} {kind}")
    if not isinstance(theirs, Raised):
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)

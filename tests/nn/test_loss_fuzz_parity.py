"""A seeded differential fuzzer of fastgrad's losses (nn.functional and the nn modules) against PyTorch 2.13's,
aimed at their edge cases: NaN and infinite inputs, zero class weights, every target ignored, empty batches,
targets out of range or of the wrong dtype or shape, weights and pos_weights that broadcast or do not, smoothing,
beta, delta and margins at their limits. Each case calls one loss in both libraries and compares whether it
raises (an exception of PyTorch's built-in type), whether it warns, the result (shape, dtype, values with NaN where
PyTorch's are NaN) and the gradients of every input that requires grad, to 1e-10 in float64. Fixed seeds, so the
cases are the same on every run.

Left out, as deviations PyTorch's own inconsistency explains: a uint8 class-index target for an empty batch
(PyTorch takes it where it refuses it for a non-empty one, and then raises in the backward), and a class index
of shape (1,) for a (C,) input (PyTorch's forward takes it, its backward raises; fastgrad refuses it); the gradient of
cross_entropy in an ignored row whose logits are not finite (PyTorch's log_softmax backward spreads that row's NaN
into it, 0 * NaN; fastgrad's is 0, the derivative of a loss the row does not enter); the gradient of a p-norm
(p not 1 or 2) of a vector holding NaN or infinities, in triplet_margin_loss (PyTorch's NaN at zero entries)."""
import warnings

import numpy as np
import pytest

import fastgrad
from tests.parity_outcomes import same_exception_type

torch = pytest.importorskip("torch")

CASES_PER_LOSS = 40
REDUCTIONS = ["mean", "sum", "none"]


class Leaf:
    """A tensor argument: the same values made in each library, a leaf that requires grad when asked."""

    def __init__(self, values, requires_grad=False):
        self.values, self.requires_grad = values, requires_grad and values.dtype.kind == "f"

    def made_by(self, library):
        return library.tensor(self.values).requires_grad_(self.requires_grad)

    def __repr__(self):
        return f"{self.values.shape} {self.values.dtype}{' requires grad' if self.requires_grad else ''}"


def choice(rng, values):
    return values[rng.integers(len(values))]


def uniform(rng, shape):
    """U(0, 1) values of the shape, an array also when the shape is ()."""
    return np.asarray(rng.random(shape))


def size(rng, low, high):
    return int(rng.integers(low, high))


def floats(rng, shape, dtype, scale=1.0, special=0.1):
    """Normal values, with NaN, infinities and zeros sprinkled in with probability `special`."""
    values = np.asarray(rng.standard_normal(shape) * scale)
    if values.size and rng.random() < special:
        where = uniform(rng, shape) < 0.3
        values[where] = rng.choice([np.nan, np.inf, -np.inf, 0.0], size=int(where.sum()))
    return values.astype(dtype)


def batch_shape(rng):
    return tuple(size(rng, 0 if rng.random() < 0.1 else 1, 4) for _ in range(size(rng, 0, 4)))


def perturbed(rng, shape):
    """The shape, or (rarely) one that broadcasts with it or does not."""
    draw = rng.random()
    if draw < 0.06:
        return (1,) + shape
    if draw < 0.12 and shape:
        return shape[1:]
    if draw < 0.16 and shape:
        return shape[:-1] + (shape[-1] + 1,)
    if draw < 0.2 and shape:
        return shape[:-1] + (1,)
    return shape


# -- the losses: each draws (function name, module name, inputs, keyword arguments) ------------------------
LOSSES = {}


def loss(*names):
    def register(draw):
        for function, module in names:
            LOSSES[function] = lambda rng, dtype, function=function, module=module: (function, module) + draw(
                function, rng, dtype)
        return draw
    return register


def with_ones(rng, shape):
    """The shape, or (sometimes) the shape with some of its dims 1: one that broadcasts with it, to a shape that
    can be larger than either's."""
    if rng.random() < 0.7:
        return shape
    return tuple(1 if rng.random() < 0.5 else n for n in shape)


def class_weight(rng, classes, dtype):
    weight = uniform(rng, classes) + 0.1
    if rng.random() < 0.3:
        weight[uniform(rng, classes) < 0.5] = 0.0
    if rng.random() < 0.05:
        weight = uniform(rng, classes + 1)
    return Leaf(weight.astype(dtype if rng.random() < 0.95 else np.float32))


@loss(("cross_entropy", "CrossEntropyLoss"), ("nll_loss", "NLLLoss"))
def _class_loss(name, rng, dtype):
    classes = size(rng, 1, 5)
    if rng.random() < 0.25:
        shape, target_shape = (classes,), ()
    else:
        samples = choice(rng, [0, 1, 2, 4])
        extra = tuple(size(rng, 1, 3) for _ in range(size(rng, 0, 3)))
        shape, target_shape = (samples, classes) + extra, (samples,) + extra
    options = {"reduction": choice(rng, REDUCTIONS)}
    if rng.random() < 0.4:
        options["weight"] = class_weight(rng, classes, dtype)
    if rng.random() < 0.4:
        options["ignore_index"] = choice(rng, [-100, 0, 1, -1, classes])
    if name == "cross_entropy" and rng.random() < 0.4:
        options["label_smoothing"] = choice(rng, [0.1, 0.5, 1.0, 0.0, 1.5])
    x = floats(rng, shape, dtype, scale=3.0)
    if name == "nll_loss":
        x = np.log(np.abs(x) + 0.01).astype(dtype) if rng.random() < 0.8 else x
    if name == "cross_entropy" and rng.random() < 0.3:  # class probabilities
        target = uniform(rng, perturbed(rng, shape))
        if rng.random() < 0.5 and target.ndim:
            target = target / target.sum(axis=min(1, target.ndim - 1), keepdims=True)
        return [Leaf(x, True), Leaf(target.astype(choice(rng, [dtype, dtype, np.float32])), rng.random() < 0.3)], \
            options
    if rng.random() < 0.2 and len(shape) > 1:  # (left out for a (C,) input: a (1,) target, see the docstring)
        target_shape = perturbed(rng, target_shape)
    targets = rng.integers(0, classes, target_shape)
    if targets.size and rng.random() < 0.5:  # some or all ignored
        ignored = uniform(rng, target_shape) < (1.0 if rng.random() < 0.3 else 0.4)
        targets[ignored] = options.get("ignore_index", -100)
    if targets.size and rng.random() < 0.08:
        targets.flat[0] = choice(rng, [classes, -1, -100, classes + 5])
    integer = choice(rng, [np.int64] * 6 + [np.uint8, np.int32, np.float64, np.bool_])
    if integer == np.uint8 and ((targets < 0).any() or shape[0] == 0):
        integer = np.int64  # (left out: see the docstring)
    # (left out: the gradient of an ignored row with a NaN log-softmax, see the docstring; its loss is compared)
    scores = np.moveaxis(x, 1, -1) if x.ndim > 1 else x[None]
    ignored = targets == options.get("ignore_index", -100)
    leaks = ignored.size == scores[..., 0].size and not np.isfinite(scores[ignored.reshape(scores.shape[:-1])]).all()
    return [Leaf(x, name == "nll_loss" or not leaks), Leaf(targets.astype(integer))], options


@loss(("binary_cross_entropy", "BCELoss"), ("binary_cross_entropy_with_logits", "BCEWithLogitsLoss"))
def _binary(name, rng, dtype):
    shape = batch_shape(rng)
    options = {"reduction": choice(rng, REDUCTIONS)}
    if name == "binary_cross_entropy":
        x = uniform(rng, shape)
        if x.size and rng.random() < 0.3:
            x[uniform(rng, shape) < 0.3] = choice(rng, [0.0, 1.0, 1.5, -0.5, np.nan])
    target_dtype = choice(rng, [dtype] * 4 + [np.float32, np.int64])
    if name != "binary_cross_entropy":  # (large logits only with a target of the input's dtype: PyTorch computes
        # a float32 target's loss in float32, where the terms of a large logit cancel to noise around 0)
        x = floats(rng, shape, dtype, scale=choice(rng, [1.0, 50.0, 800.0] if target_dtype == dtype else [1.0]))
    target = uniform(rng, perturbed(rng, shape))
    if target.size and rng.random() < 0.3:
        target = np.round(target)
    for label in ("weight", "pos_weight") if name != "binary_cross_entropy" else ("weight",):
        if rng.random() < 0.4:
            weight_shape = choice(rng, [shape, shape[-1:], shape[1:], (1,), (), perturbed(rng, shape)])
            values = np.asarray(uniform(rng, weight_shape) * 2)
            if values.size and rng.random() < 0.3:
                values[uniform(rng, weight_shape) < 0.5] = 0.0
            options[label] = Leaf(values.astype(dtype))
    return [Leaf(x.astype(dtype), True), Leaf(target.astype(target_dtype), rng.random() < 0.2)], options


@loss(("mse_loss", "MSELoss"), ("l1_loss", "L1Loss"), ("smooth_l1_loss", "SmoothL1Loss"),
      ("huber_loss", "HuberLoss"), ("soft_margin_loss", "SoftMarginLoss"))
def _elementwise(name, rng, dtype):
    shape = batch_shape(rng)
    options = {"reduction": choice(rng, REDUCTIONS)}
    if name == "smooth_l1_loss":
        options["beta"] = choice(rng, [1.0, 0.5, 0.0, 1e-12, 3.0, -1.0])
    if name == "huber_loss":
        options["delta"] = choice(rng, [1.0, 0.5, 2.0, 1e-12, 0.0, -1.0])
    if name in ("mse_loss", "l1_loss", "huber_loss") and rng.random() < 0.3:
        weight = uniform(rng, perturbed(rng, shape))
        if weight.size and rng.random() < 0.3:
            weight[...] = 0.0
        options["weight"] = Leaf(weight.astype(dtype))
    # (soft_margin_loss is computed without overflow, so its loss and gradient at an infinite input are finite where
    # PyTorch's are infinite or NaN: README)
    x = floats(rng, shape, dtype, scale=2.0, special=0.0 if name == "soft_margin_loss" else 0.1)
    if name == "soft_margin_loss":
        target = Leaf(np.sign(rng.standard_normal(perturbed(rng, shape))).astype(dtype))
    else:
        target = Leaf(floats(rng, perturbed(rng, shape), dtype, scale=2.0), rng.random() < 0.3)
    return [Leaf(x, True), target], options


@loss(("kl_div", "KLDivLoss"))
def _kl_div(name, rng, dtype):
    shape = batch_shape(rng)
    options = {"reduction": choice(rng, REDUCTIONS + ["batchmean"]), "log_target": bool(rng.random() < 0.5)}
    x = np.asarray(np.log(uniform(rng, shape) + 0.01))
    target = uniform(rng, perturbed(rng, shape))
    if target.size and rng.random() < 0.3:
        target[uniform(rng, target.shape) < 0.4] = choice(rng, [0.0, -0.5, np.inf, np.nan])
    if options["log_target"]:
        with np.errstate(divide="ignore", invalid="ignore"):
            target = np.log(target)
    return [Leaf(x.astype(dtype), True), Leaf(target.astype(dtype), rng.random() < 0.3)], options


@loss(("poisson_nll_loss", "PoissonNLLLoss"))
def _poisson(name, rng, dtype):
    shape = batch_shape(rng)
    options = {"reduction": choice(rng, REDUCTIONS), "log_input": bool(rng.random() < 0.5),
               "full": bool(rng.random() < 0.5), "eps": choice(rng, [1e-8, 0.1, 0.0])}
    x = floats(rng, shape, dtype, scale=2.0) if options["log_input"] else np.asarray(uniform(rng, shape) * 3)
    if not options["log_input"] and x.size and rng.random() < 0.2:
        x.flat[0] = choice(rng, [0.0, -0.5])
    target = rng.integers(0, 5, perturbed(rng, shape)).astype(dtype)
    # (a target that requires grad with full=True is left out: PyTorch's gradient is NaN at 0, README)
    return [Leaf(np.asarray(x).astype(dtype), True), Leaf(target, not options["full"] and rng.random() < 0.3)], \
        options


@loss(("gaussian_nll_loss", "GaussianNLLLoss"))
def _gaussian(name, rng, dtype):
    shape = (choice(rng, [0, 1, 2, 3]), size(rng, 1, 4)) + ((size(rng, 1, 3),) if rng.random() < 0.3 else ())
    shape = shape[1:] if rng.random() < 0.2 else shape
    var_shape = choice(rng, [shape, shape, shape[:-1] + (1,), shape[:-1], (1,) + shape[1:], perturbed(rng, shape),
                             shape[:-1] + (0,)])
    var = np.asarray(uniform(rng, var_shape) + 0.05)
    if var.size and rng.random() < 0.2:
        var.flat[0] = choice(rng, [0.0, 1e-9, -0.1, np.nan])
    options = {"full": bool(rng.random() < 0.5), "eps": choice(rng, [1e-6, 0.1]), "reduction": choice(rng, REDUCTIONS)}
    return [Leaf(floats(rng, shape, dtype), True), Leaf(floats(rng, perturbed(rng, shape), dtype), rng.random() < 0.3),
            Leaf(var.astype(dtype), rng.random() < 0.7)], options


@loss(("margin_ranking_loss", "MarginRankingLoss"), ("hinge_embedding_loss", "HingeEmbeddingLoss"))
def _ranking(name, rng, dtype):
    shape = batch_shape(rng)
    options = {"margin": choice(rng, [0.0, 0.5, 1.0, -0.5]), "reduction": choice(rng, REDUCTIONS)}
    signs = rng.choice([1.0, -1.0, 0.0, 2.0] if rng.random() < 0.2 else [1.0, -1.0],
                       size=perturbed(rng, with_ones(rng, shape)))
    scores = [Leaf(floats(rng, with_ones(rng, shape), dtype), True) for _ in range(1 + (name == "margin_ranking_loss"))]
    return scores + [Leaf(signs.astype(choice(rng, [dtype, dtype, np.int64])))], options


@loss(("cosine_embedding_loss", "CosineEmbeddingLoss"), ("triplet_margin_loss", "TripletMarginLoss"))
def _embedding_pairs(name, rng, dtype):
    # (one feature only in float64: its cosines are +-1, whose float32 gradients are rounding noise around 0)
    features = size(rng, 1 if dtype == np.float64 else 2, 4)
    shape = (features,) if rng.random() < 0.3 else (choice(rng, [0, 1, 2, 3]), features)
    options = {"margin": choice(rng, [0.0, 0.5, 1.0, -0.5]), "reduction": choice(rng, REDUCTIONS)}
    # (the vectors broadcast with one another in float64 only: a feature dim of 1 gives float32 cosines of +-1)
    vectors = [floats(rng, perturbed(rng, shape) if index and rng.random() < 0.3 else
                      with_ones(rng, shape) if dtype == np.float64 else shape, dtype)
               for index in range(2 + (name == "triplet_margin_loss"))]
    if rng.random() < 0.2 and vectors[0].size and vectors[1].shape == shape:
        vectors[1][...] = 0.0 if rng.random() < 0.5 else vectors[0]  # a zero vector, or equal vectors
    if name == "triplet_margin_loss":
        options.update(p=choice(rng, [2.0, 1.0, 3.0]), swap=bool(rng.random() < 0.4), eps=choice(rng, [1e-6, 0.0]))
        if options["p"] == 3.0:  # (left out: a p-norm's gradient at a NaN or infinite norm, see the docstring)
            vectors = [np.nan_to_num(v, nan=0.5, posinf=2.0, neginf=-2.0) for v in vectors]
        return [Leaf(v, True) for v in vectors], options
    signs = rng.choice([1, -1, 0] if rng.random() < 0.2 else [1, -1], size=perturbed(rng, shape[:-1]))
    return [Leaf(v, True) for v in vectors] + [Leaf(signs.astype(choice(rng, [dtype, np.int64])))], options


@loss(("multi_margin_loss", "MultiMarginLoss"), ("multilabel_margin_loss", "MultiLabelMarginLoss"),
      ("multilabel_soft_margin_loss", "MultiLabelSoftMarginLoss"))
def _multi_class(name, rng, dtype):
    classes = size(rng, 1, 5)
    shape = (classes,) if rng.random() < 0.3 else (choice(rng, [1, 2, 3]), classes)
    options = {"reduction": choice(rng, REDUCTIONS)}
    if name != "multilabel_margin_loss" and rng.random() < 0.4:
        options["weight"] = class_weight(rng, classes, dtype)
    # (multilabel_soft_margin_loss's input, target and weight broadcast: its input's dims of 1 are classes too)
    x = floats(rng, with_ones(rng, shape) if name == "multilabel_soft_margin_loss" else shape, dtype)
    if name == "multi_margin_loss":
        options.update(p=choice(rng, [1, 2, 1, 3]), margin=choice(rng, [1.0, 0.5, 0.0, -1.0]))
        target = rng.integers(0, classes, perturbed(rng, shape[:-1]) if rng.random() < 0.2 else shape[:-1])
        if target.size and rng.random() < 0.08:
            target.flat[0] = choice(rng, [classes, -1])
        return [Leaf(x, True), Leaf(target.astype(choice(rng, [np.int64] * 5 + [np.int32, np.uint8])))], options
    if name == "multilabel_margin_loss":
        target = rng.integers(-1, classes, perturbed(rng, shape) if rng.random() < 0.2 else shape)
        if target.size and rng.random() < 0.08:
            target.flat[0] = choice(rng, [classes, -2])
        return [Leaf(x, True), Leaf(target.astype(choice(rng, [np.int64] * 5 + [np.int32])))], options
    target = rng.integers(0, 2, perturbed(rng, with_ones(rng, shape)))
    target = target.astype(choice(rng, [dtype, dtype, np.float32, np.int64]))
    return [Leaf(x, True), Leaf(target)], options


# -- running one case in both libraries ---------------------------------------------------------------------
def call(library, function, module, inputs, options, as_module):
    """(result, error, warned) of the loss in `library`, and the leaves made."""
    leaves = [leaf.made_by(library) for leaf in inputs]
    kwargs = {key: value.made_by(library) if isinstance(value, Leaf) else value for key, value in options.items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if as_module:
                result = getattr(library.nn, module)(**kwargs)(*leaves)
            else:
                result = getattr(library.nn.functional, function)(*leaves, **kwargs)
            error = None
        except Exception as raised:  # noqa: BLE001  (compared with PyTorch's)
            result, error = None, raised
    warned = any(issubclass(w.category, UserWarning) and "reduction='mean'" not in str(w.message) and
                 "reduction: 'mean'" not in str(w.message) for w in caught)
    return result, error, warned, leaves


def numpy_of(tensor):
    return tensor.detach().numpy() if isinstance(tensor, torch.Tensor) else tensor.detach().numpy()


def assert_close(ours, theirs, what, single):
    ours, theirs = numpy_of(ours), numpy_of(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, PyTorch's {theirs.shape}"
    assert str(ours.dtype) == str(theirs.dtype), f"{what}: dtype {ours.dtype}, PyTorch's {theirs.dtype}"
    # (with any float32 tensor in the call, PyTorch rounds some steps to float32 where fastgrad may not)
    tolerance = dict(rtol=2e-5, atol=1e-5) if single else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours, theirs, err_msg=what, equal_nan=True, **tolerance)


def check_case(function, module, inputs, options, as_module):
    theirs, their_error, their_warning, their_leaves = call(torch, function, module, inputs, options, as_module)
    ours, our_error, our_warning, our_leaves = call(fastgrad, function, module, inputs, options, as_module)
    if their_error or our_error:
        assert their_error is not None, f"fastgrad raised {our_error!r}, PyTorch returned"
        assert our_error is not None, f"PyTorch raised {their_error!r}, fastgrad returned"
        assert same_exception_type(our_error, their_error), f"fastgrad raised {our_error!r}, PyTorch {their_error!r}"
        return
    assert our_warning == their_warning, f"warned: fastgrad {our_warning}, PyTorch {their_warning}"
    single = any(leaf.values.dtype == np.float32 for leaf in [*inputs, *options.values()] if isinstance(leaf, Leaf))
    assert_close(ours, theirs, "loss", single)
    assert ours.requires_grad == theirs.requires_grad, "requires_grad"
    if not theirs.requires_grad:
        return
    upstream = np.random.default_rng(1).standard_normal(tuple(theirs.shape)).astype(numpy_of(theirs).dtype)
    theirs.backward(torch.tensor(upstream))
    ours.backward(fastgrad.tensor(upstream))
    for index, (mine, reference) in enumerate(zip(our_leaves, their_leaves)):
        if reference.requires_grad:
            assert (mine.grad is None) == (reference.grad is None), f"gradient of input {index}"
            if reference.grad is not None:
                assert_close(mine.grad, reference.grad, f"gradient of input {index}", single)


def run_cases(function, seeds):
    for case in seeds:
        rng = np.random.default_rng([case, sum(map(ord, function))])
        dtype = np.float64 if rng.random() < 0.8 else np.float32
        _, module, inputs, options = LOSSES[function](rng, dtype)
        as_module = bool(rng.random() < 0.3)
        try:
            with np.errstate(all="ignore"):
                check_case(function, module, inputs, options, as_module)
        except AssertionError as failure:
            raise AssertionError(f"case {case}: {module if as_module else function}{inputs} {options}") from failure


@pytest.mark.parametrize("function", sorted(LOSSES))
def test_loss_against_pytorch(function):
    run_cases(function, range(CASES_PER_LOSS))

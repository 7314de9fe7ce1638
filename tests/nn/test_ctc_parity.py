"""F.ctc_loss and nn.CTCLoss against PyTorch: padded and concatenated targets, lengths as tensors or lists,
unbatched input, every reduction, zero_infinity, targets no alignment fits, float32 and float64, on every
backend; the gradient of a log_softmax in front (what callers have), and how the gradient with respect to
log_probs themselves differs (PyTorch's is the logits' gradient); and the arguments both refuse."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-11, atol=1e-11)}


def problem(seed, sizes, classes, blank):
    """Logits (T, N, C), targets padded to the longest, and the lengths; some targets may not fit."""
    rng = np.random.default_rng(seed)
    target_lengths = np.array([target for target, _ in sizes])
    input_lengths = np.array([frames for _, frames in sizes])
    logits = rng.normal(size=(max(input_lengths), len(sizes), classes))
    labels = np.array([k for k in range(classes) if k != blank])
    padded = rng.choice(labels, size=(len(sizes), max(1, target_lengths.max())))
    padded[:, :1] = labels[0]  # repeated labels where a target starts with two equal ones
    return logits, padded, input_lengths, target_lengths


def run(lib, logits, targets, input_lengths, target_lengths, dtype, layout="padded", lengths="tensor", **options):
    """The loss and the logits' gradient (through log_softmax) as NumPy arrays."""
    engine, functional = (fastgrad, F) if lib == "fastgrad" else (torch, torch.nn.functional)
    x = engine.tensor(logits.astype(dtype), requires_grad=True)
    if layout == "concatenated":
        targets = np.concatenate([row[:length] for row, length in zip(targets, target_lengths)])
    targets = engine.tensor(targets)
    if lengths == "tensor":
        input_lengths, target_lengths = engine.tensor(input_lengths), engine.tensor(target_lengths)
    else:
        input_lengths, target_lengths = [int(v) for v in input_lengths], [int(v) for v in target_lengths]
    loss = functional.ctc_loss(x.log_softmax(-1), targets, input_lengths, target_lengths, **options)
    loss.sum().backward()
    return loss.detach().numpy(), x.grad.numpy()


def assert_same(ours, theirs, dtype):
    for got, want in zip(ours, theirs):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, **TOLERANCE[dtype])


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@SETTINGS
@given(sizes=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 12)), min_size=1, max_size=4),
       classes=st.integers(2, 6), blank_last=st.booleans(), reduction=st.sampled_from(["none", "mean", "sum"]),
       zero_infinity=st.booleans(), layout=st.sampled_from(["padded", "concatenated"]),
       lengths=st.sampled_from(["tensor", "list"]), seed=st.integers(0, 2**16))
def test_matches_pytorch(backend_name, dtype, sizes, classes, blank_last, reduction, zero_infinity, layout, lengths,
                         seed):
    blank = classes - 1 if blank_last else 0
    args = problem(seed, sizes, classes, blank)
    options = dict(blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    with fastgrad.backend(backend_name):
        ours = run("fastgrad", *args, dtype, layout, lengths, **options)
    theirs = run("torch", *args, dtype, layout, lengths, **options)
    np.testing.assert_array_equal(np.isnan(ours[1]), np.isnan(theirs[1]))  # targets that fit nowhere
    assert_same(ours, theirs, dtype)


@pytest.mark.parametrize("lengths", ["tensor", "list", "0-d"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_unbatched_input(lengths, reduction):
    logits, padded, input_lengths, target_lengths = problem(0, [(3, 7)], 5, 0)
    results = []
    for engine, functional in ((fastgrad, F), (torch, torch.nn.functional)):
        x = engine.tensor(logits[:, 0], requires_grad=True)
        given = {"tensor": lambda v: engine.tensor(v), "list": lambda v: [int(v[0])],
                 "0-d": lambda v: engine.tensor(int(v[0]))}[lengths]
        loss = functional.ctc_loss(x.log_softmax(-1), engine.tensor(padded[0, :3]), given(input_lengths),
                                   given(target_lengths), reduction=reduction)
        loss.backward()
        results.append((loss.detach().numpy(), x.grad.numpy()))
    assert_same(*results, np.float64)


def test_an_unbatched_1d_target_holds_exactly_its_target_length_labels():
    # PyTorch reads it as the concatenated layout, so a padded one is an error, not a shorter target
    log_probs = np.log(np.full((5, 4), 1 / 4))
    for engine, functional in ((fastgrad, F), (torch, torch.nn.functional)):
        def loss(targets, target_length):
            return functional.ctc_loss(engine.tensor(log_probs), engine.tensor(targets), engine.tensor(5),
                                       engine.tensor(target_length))
        np.testing.assert_allclose(float(loss([1, 2], 2)), float(loss([[1, 2, 3]], 2)), rtol=1e-12)
        with pytest.raises((RuntimeError, ValueError), match="size 2 at dimension 0|hold the 2 labels"):
            loss([1, 2, 3], 2)


def test_the_gradient_of_log_probs_themselves_is_the_exact_one():
    """PyTorch hands back exp(log_probs) - posterior, the gradient of logits with a log_softmax in front;
    fastgrad's is -posterior, the derivative of the loss it returns. They differ by exp(log_probs) over each
    sequence's input frames, and agree through a log_softmax (test_matches_pytorch)."""
    logits, padded, input_lengths, target_lengths = problem(3, [(2, 6), (1, 4), (0, 5)], 4, 0)
    log_probs = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
    grads = []
    for engine, functional in ((fastgrad, F), (torch, torch.nn.functional)):
        x = engine.tensor(log_probs, requires_grad=True)
        functional.ctc_loss(x, engine.tensor(padded), engine.tensor(input_lengths), engine.tensor(target_lengths),
                            reduction="sum").backward()
        grads.append(x.grad.numpy())
    frames = np.arange(log_probs.shape[0])[:, None, None] < input_lengths[None, :, None]
    np.testing.assert_allclose(grads[1], grads[0] + np.where(frames, np.exp(log_probs), 0), rtol=1e-12, atol=1e-12)


def test_module_matches_pytorch():
    logits, padded, input_lengths, target_lengths = problem(1, [(2, 5), (3, 3)], 4, 2)
    results = []
    for engine in (fastgrad, torch):
        module = engine.nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)
        x = engine.tensor(logits, requires_grad=True)
        loss = module(x.log_softmax(2), engine.tensor(padded), engine.tensor(input_lengths),
                      engine.tensor(target_lengths))
        loss.backward()
        results.append((loss.detach().numpy(), x.grad.numpy()))
        assert repr(module) == "CTCLoss()"
    assert_same(*results, np.float64)
    assert nn.CTCLoss is fastgrad.nn.CTCLoss


LOG_PROBS = np.log(np.full((4, 2, 3), 1 / 3))
TARGETS = np.array([[1, 2], [2, 2]])


@pytest.mark.parametrize("change", [
    dict(input_lengths=[5, 4]), dict(input_lengths=[-1, 4]), dict(target_lengths=[3, 1]),
    dict(target_lengths=[-1, 1]), dict(input_lengths=[4, 4, 4]), dict(blank=3), dict(blank=-1),
    dict(reduction="average"), dict(targets=np.array([1, 2, 2, 1])), dict(input_lengths="tensor-list mix"),
    dict(log_probs=np.zeros((4, 0, 3))), dict(targets=np.array([[1, 2], [2, 2], [1, 1]])),
    dict(targets=np.array([[1, 2, 2, 1]])),
])
def test_both_refuse(change):
    def call(engine, functional):
        arguments = dict(log_probs=LOG_PROBS, targets=TARGETS, input_lengths=[4, 4], target_lengths=[2, 1], blank=0,
                         reduction="mean") | change
        if arguments["input_lengths"] == "tensor-list mix":
            arguments["input_lengths"] = engine.tensor([4, 4])
        return functional.ctc_loss(engine.tensor(arguments.pop("log_probs")), engine.tensor(arguments.pop("targets")),
                                   **arguments)

    theirs = outcome(lambda: call(torch, torch.nn.functional))
    assert isinstance(theirs, Raised), f"PyTorch returns {theirs!r}"
    assert_raised_alike(outcome(lambda: call(fastgrad, F)), theirs)


@pytest.mark.parametrize("targets", [np.array([[1.9, 2.7], [2.2, 1.0]]), np.array([[1.0, 2.0], [2.0, 2.0]], np.float32),
                                     np.array([[True, True], [True, False]]), np.array([1.5, 2.0, 2.9])])
def test_float_and_bool_targets_are_read_as_their_int64_labels(targets):
    """As PyTorch converts them: floats truncated toward zero, True as 1."""
    logits = np.random.default_rng(0).standard_normal((4, 2, 3))
    results = []
    for engine, functional in ((fastgrad, F), (torch, torch.nn.functional)):
        x = engine.tensor(logits, requires_grad=True)
        loss = functional.ctc_loss(x.log_softmax(2), engine.tensor(targets), [4, 4], [2, 1], reduction="none")
        loss.sum().backward()
        results.append((loss.detach().numpy(), x.grad.numpy()))
    assert_same(*results, np.float64)


def test_float_lengths_tensors_are_refused_with_runtime_error():
    for engine, functional in ((fastgrad, F), (torch, torch.nn.functional)):
        with pytest.raises(RuntimeError, match="integ"):
            functional.ctc_loss(engine.tensor(LOG_PROBS), engine.tensor(TARGETS), engine.tensor([4, 4]),
                                engine.tensor([2.0, 1.0]))

"""The CTC kernels: every backend against brute force over all frame labellings, the compiled and interpreted
loops against the NumPy reference, and the checks in front of the compiled loops."""
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastgrad.backends import load
from fastgrad.kernels.registry import KERNELS

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def collapse(path, blank):
    """A frame labelling read as CTC reads it: repeats merged, then blanks removed."""
    merged = [label for i, label in enumerate(path) if i == 0 or label != path[i - 1]]
    return tuple(label for label in merged if label != blank)


def brute_force(log_probs, targets, target_lengths, input_lengths, blank):
    """-log of the summed probability of every labelling of the frames that collapses to the target, and its
    gradient with respect to log_probs (d/dy_t(k) = -(labellings' mass with label k at t) / total)."""
    frames, batch, classes = log_probs.shape
    nll, grad = np.empty(batch), np.zeros(log_probs.shape)
    offsets = np.concatenate([[0], np.cumsum(target_lengths)])
    for b in range(batch):
        target = tuple(targets[offsets[b]:offsets[b + 1]])
        length = input_lengths[b]
        masses = [(path, np.exp(sum(log_probs[t, b, k] for t, k in enumerate(path))))
                  for path in itertools.product(range(classes), repeat=length) if collapse(path, blank) == target]
        total = sum(mass for _, mass in masses)
        nll[b] = -np.log(total) if total > 0 else np.inf
        for path, mass in masses:
            for t, k in enumerate(path):
                grad[t, b, k] -= mass / total
        if total == 0:
            grad[:length, b] = np.nan
    return nll, grad


def problem(seed, target_lengths, input_lengths, classes, blank, dtype=np.float64, repeats=False):
    rng = np.random.default_rng(seed)
    frames = max(input_lengths)
    logits = rng.normal(size=(frames, len(target_lengths), classes))
    log_probs = (logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))).astype(dtype)
    labels = [k for k in range(classes) if k != blank]
    targets = rng.choice(labels[:1] if repeats else labels, size=sum(target_lengths))
    return log_probs, targets.astype(np.int64), np.array(target_lengths), np.array(input_lengths), blank


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@SETTINGS
@given(sizes=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), min_size=1, max_size=3),
       classes=st.integers(2, 3), blank_last=st.booleans(), repeats=st.booleans(), seed=st.integers(0, 2**16))
def test_loss_and_gradient_match_brute_force(backend_name, sizes, classes, blank_last, repeats, seed):
    """Targets longer than their input (infinite loss), empty ones, inputs of no frame, repeated labels."""
    target_lengths, input_lengths = zip(*sizes)
    if max(input_lengths) == 0:
        input_lengths = (1, *input_lengths[1:])
    args = problem(seed, target_lengths, input_lengths, classes, classes - 1 if blank_last else 0, repeats=repeats)
    expected_nll, expected_grad = brute_force(*args)
    kernels = load(backend_name)
    nll, log_alpha = kernels.ctc_forward(*args)
    np.testing.assert_allclose(nll, expected_nll, rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(seed).normal(size=len(sizes))
    grad = kernels.ctc_backward(g, *args, nll, log_alpha)
    np.testing.assert_allclose(grad, expected_grad * g[None, :, None], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("backend_name", ["compiled", "python"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@SETTINGS
@given(sizes=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 20)), min_size=1, max_size=5),
       classes=st.integers(2, 7), seed=st.integers(0, 2**16))
def test_loops_match_the_numpy_reference(backend_name, dtype, sizes, classes, seed):
    target_lengths, input_lengths = zip(*sizes)
    args = problem(seed, target_lengths, (max(1, input_lengths[0]), *input_lengths[1:]), classes, 0, dtype)
    reference, kernels = load("numpy"), load(backend_name)
    (nll, log_alpha), (expected_nll, expected_alpha) = kernels.ctc_forward(*args), reference.ctc_forward(*args)
    assert nll.dtype == dtype and log_alpha.dtype == np.float64
    np.testing.assert_allclose(nll, expected_nll, rtol=1e-12)
    np.testing.assert_allclose(log_alpha, expected_alpha, rtol=1e-12)
    g = np.random.default_rng(seed).normal(size=len(sizes)).astype(dtype)
    grad, expected_grad = kernels.ctc_backward(g, *args, nll, log_alpha), reference.ctc_backward(g, *args, nll, log_alpha)
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-12)


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
def test_a_label_of_probability_zero_has_gradient_zero(backend_name):
    """log_probs of -inf (a class masked out): the paths through it have no mass, nothing is NaN."""
    log_probs, targets, target_lengths, input_lengths, blank = problem(0, [2], [5], 4, 0)
    log_probs[:, 0, 3] = -np.inf
    kernels = load(backend_name)
    nll, log_alpha = kernels.ctc_forward(log_probs, targets, target_lengths, input_lengths, blank)
    grad = kernels.ctc_backward(np.ones(1), log_probs, targets, target_lengths, input_lengths, blank, nll, log_alpha)
    assert np.isfinite(nll).all() and np.isfinite(grad).all() and (grad[:, 0, 3] == 0).all()
    expected_nll, expected_grad = brute_force(np.where(np.isinf(log_probs), -1e300, log_probs), targets,
                                              target_lengths, input_lengths, blank)
    np.testing.assert_allclose(nll, expected_nll, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, atol=1e-12)


def test_arguments_are_checked_before_the_loops_run():
    kernel = KERNELS["ctc_forward"].implementation("numba")
    log_probs, targets, target_lengths, input_lengths, blank = problem(0, [2, 1], [4, 3], 3, 0)
    with pytest.raises(ValueError, match=r"blank: expected a class in \[0, 3\), got 3"):
        kernel(log_probs, targets, target_lengths, input_lengths, 3)
    with pytest.raises(ValueError, match=r"input_lengths: expected values in \[0, 4\], got 5"):
        kernel(log_probs, targets, target_lengths, np.array([4, 5]), blank)
    with pytest.raises(ValueError, match=r"target_lengths: expected values in \[0, inf\], got -1"):
        kernel(log_probs, targets, np.array([4, -1]), input_lengths, blank)
    with pytest.raises(TypeError, match=r"target_lengths: expected a \(2,\) integer array, got dtype int64 and "
                                        r"shape \(3,\)"):
        kernel(log_probs, targets, np.array([1, 1, 1]), input_lengths, blank)
    with pytest.raises(ValueError, match=r"targets: expected the 2 labels target_lengths add up to"):
        kernel(log_probs, targets, np.array([1, 1]), input_lengths, blank)
    with pytest.raises(IndexError, match="targets"):
        kernel(log_probs, np.array([1, 3, 1]), target_lengths, input_lengths, blank)


def test_backward_checks_its_gradient_and_saved_arrays():
    args = problem(0, [2, 1], [4, 3], 3, 0)
    nll, log_alpha = load("numpy").ctc_forward(*args)
    kernel = KERNELS["ctc_backward"].implementation("numba")
    with pytest.raises(ValueError, match=r"g: expected shape \(2,\) \(that of the losses\), got \(3,\)"):
        kernel(np.ones(3), *args, nll, log_alpha)
    with pytest.raises(ValueError, match=r"log_alpha: expected shape \(2, 4, 5\) \(that of the forward variables\)"):
        kernel(np.ones(2), *args, nll, log_alpha[:, :3])

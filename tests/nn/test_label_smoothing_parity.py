"""cross_entropy's label_smoothing as PyTorch 2.13 reads it: one that is negative (or NaN) is no smoothing, for class
indices and class probabilities alike (PyTorch smooths only where it is > 0), and one above 1 raises PyTorch's
RuntimeError; in F.cross_entropy, F.linear_cross_entropy and the modules (CrossEntropyLoss checks it on each call,
LinearCrossEntropyLoss when made)."""
import numpy as np
import pytest

import fastgrad
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
LOGITS, WEIGHT = rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, 4)
PROBABILITIES = rng.dirichlet(np.ones(4), 3)
CLASSES = np.array([0, 2, 1])
SMOOTHINGS = [-0.5, -2.0, -np.inf, float("nan"), 0.3, 1.0, 1.5, np.inf]
CALLS = {
    "indices": lambda lib, x, e: lib.nn.functional.cross_entropy(x, lib.tensor(CLASSES), label_smoothing=e),
    "indices weighted sum": lambda lib, x, e: lib.nn.functional.cross_entropy(
        x, lib.tensor(CLASSES), lib.tensor(WEIGHT), reduction="sum", label_smoothing=e),
    "probabilities": lambda lib, x, e: lib.nn.functional.cross_entropy(x, lib.tensor(PROBABILITIES), label_smoothing=e),
    "module": lambda lib, x, e: lib.nn.CrossEntropyLoss(label_smoothing=e)(x, lib.tensor(CLASSES)),
    "linear_cross_entropy": lambda lib, x, e: lib.nn.functional.linear_cross_entropy(
        x, lib.tensor(LOGITS[:2].copy()), lib.tensor(CLASSES % 2), label_smoothing=e),
}


def run(lib, call, smoothing):
    x = lib.tensor(LOGITS).requires_grad_()
    result = outcome(lambda: call(lib, x, smoothing))
    if isinstance(result, Raised):
        return result, None
    result.backward()
    return result.item(), x.grad.numpy()


@pytest.mark.parametrize("smoothing", SMOOTHINGS, ids=str)
@pytest.mark.parametrize("name", CALLS)
def test_label_smoothing_is_read_as_pytorch_reads_it(name, smoothing):
    (ours, our_grad), (theirs, their_grad) = run(fastgrad, CALLS[name], smoothing), run(torch, CALLS[name], smoothing)
    assert_raised_alike(ours, theirs, f"{name} label_smoothing={smoothing}")
    if not isinstance(theirs, Raised):
        assert ours == pytest.approx(theirs, rel=1e-12)
        np.testing.assert_allclose(our_grad, their_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("smoothing", SMOOTHINGS, ids=str)
def test_linear_cross_entropy_module_checks_label_smoothing_when_made(smoothing):
    assert_raised_alike(outcome(lambda: fastgrad.nn.LinearCrossEntropyLoss(3, 5, label_smoothing=smoothing)),
                        outcome(lambda: torch.nn.LinearCrossEntropyLoss(3, 5, label_smoothing=smoothing)),
                        f"label_smoothing={smoothing}")

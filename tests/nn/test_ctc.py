"""F.ctc_loss's argument errors (without PyTorch): each names the argument, what was expected and what came."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F

LOG_PROBS = fastgrad.tensor(np.log(np.full((4, 2, 3), 1 / 3)))
TARGETS = fastgrad.tensor([[1, 2], [2, 2]])


@pytest.mark.parametrize("change, error, message", [
    (dict(input_lengths=[5, 4]), RuntimeError, r"input_lengths must be in \[0, 4\] \(the frames of log_probs\), got 5"),
    (dict(target_lengths=[3, 1]), RuntimeError, "a target length of 3 does not fit targets padded to 2 labels"),
    (dict(target_lengths=[-1, 1]), RuntimeError, "target_lengths must be >= 0, got -1"),
    (dict(input_lengths=[4, 4, 4]), RuntimeError, r"input_lengths must have one length per sequence \(2\), got 3"),
    (dict(input_lengths=fastgrad.tensor([4.0, 4.0]), target_lengths=fastgrad.tensor([2, 1])), RuntimeError,
     "input_lengths must be an integer tensor, got dtype float32"),
    (dict(input_lengths=4), TypeError, "input_lengths must be an integer tensor or a sequence of ints, got int"),
    (dict(input_lengths=fastgrad.tensor([4, 4])), TypeError,
     "input_lengths and target_lengths must both be tensors or both sequences of ints"),
    (dict(blank=3), RuntimeError, r"blank must be a class in \[0, 3\), got 3"),
    (dict(reduction="average"), ValueError, "reduction must be 'mean', 'sum' or 'none', got 'average'"),
    (dict(targets=fastgrad.tensor([1, 2, 2, 1])), RuntimeError,
     "concatenated targets must hold the 3 labels target_lengths add up to, got 4"),
    (dict(targets=fastgrad.tensor([[1, 2], [2, 2], [1, 1]])), RuntimeError,
     r"padded targets must have a row per sequence \(2\), got shape \(3, 2\)"),
    (dict(targets=fastgrad.tensor([[1.0, float("nan")], [2.0, 2.0]])), ValueError,
     "targets must be finite labels, got a NaN or infinite value"),
    (dict(targets=fastgrad.tensor([[1.0, 0.5], [2.0, 2.0]])), ValueError,
     r"targets must be classes in \[0, 3\) other than the blank 0, got 0"),
    (dict(targets=fastgrad.tensor([[1, 0], [2, 2]])), ValueError,
     r"targets must be classes in \[0, 3\) other than the blank 0, got 0"),
    (dict(targets=fastgrad.tensor([[1, 3], [2, 2]])), ValueError, r"targets must be classes in \[0, 3\) .* got 3"),
    (dict(log_probs=fastgrad.zeros(4, 2, 3, dtype=fastgrad.int64)), NotImplementedError,
     "expected a floating point log_probs, got dtype int64"),
    (dict(log_probs=fastgrad.zeros(4, 2, 2, 3)), RuntimeError,
     r"log_probs must be of shape \(T, N, C\) or \(T, C\), got shape \(4, 2, 2, 3\)"),
    (dict(log_probs=fastgrad.zeros(4, 0, 3)), RuntimeError, r"log_probs must not be empty, got shape \(4, 0, 3\)"),
])
def test_bad_arguments(change, error, message):
    arguments = dict(log_probs=LOG_PROBS, targets=TARGETS, input_lengths=[4, 4], target_lengths=[2, 1]) | change
    with pytest.raises(error, match=message):
        F.ctc_loss(**arguments)


def test_a_target_that_fits_no_alignment_is_inf_with_nan_gradients_or_zero_with_zero_infinity():
    log_probs = LOG_PROBS.clone().requires_grad_()
    for zero_infinity, loss, gradient in ((False, np.inf, np.nan), (True, 0.0, 0.0)):
        log_probs.grad = None
        losses = F.ctc_loss(log_probs, fastgrad.tensor([[1, 1], [2, 2]]), [4, 2], [2, 2], reduction="none",
                            zero_infinity=zero_infinity)
        losses.sum().backward()
        assert losses[1].item() == loss and np.isfinite(losses[0].item())
        np.testing.assert_array_equal(log_probs.grad.numpy()[:2, 1], np.full((2, 3), gradient))
        assert (log_probs.grad.numpy()[2:, 1] == 0).all()  # frames past the input's length

"""BatchNorm without PyTorch: what training and evaluation normalize with, the running statistics'
updates, and the argument checks."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn


def test_training_normalizes_each_channel_and_moves_the_running_statistics():
    layer = nn.BatchNorm1d(2, momentum=0.5)
    x = fastgrad.tensor([[1.0, 10.0], [3.0, 30.0]])
    out = layer(x)
    np.testing.assert_allclose(out.detach().numpy(), [[-1, -1], [1, 1]], atol=1e-3)  # eps keeps it just under 1
    np.testing.assert_allclose(layer.running_mean.numpy(), [1.0, 10.0])  # half way from 0 to the batch's 2, 20
    np.testing.assert_allclose(layer.running_var.numpy(), [1.5, 100.5])  # half way from 1 to the unbiased 2, 200
    assert layer.num_batches_tracked.item() == 1
    layer.eval()
    np.testing.assert_allclose(layer(fastgrad.tensor([[1.0, 10.0]])).detach().numpy(), [[0.0, 0.0]], atol=1e-6)
    assert layer.num_batches_tracked.item() == 1  # evaluation leaves the statistics alone


def test_cumulative_average_without_momentum():
    layer = nn.BatchNorm1d(1, momentum=None, affine=False)
    for value in (2.0, 4.0, 9.0):
        layer(fastgrad.tensor([[value - 1], [value + 1]]))
    np.testing.assert_allclose(layer.running_mean.numpy(), [5.0], rtol=1e-6)  # the mean of 2, 4 and 9


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.BatchNorm1d(3)(fastgrad.ones(1, 3)), ValueError, "Expected more than 1 value per channel when training"),
    (lambda: nn.BatchNorm1d(3)(fastgrad.ones(2, 3, 4, 5)), ValueError, r"expected 2D or 3D input \(got 4D input"),
    (lambda: nn.BatchNorm2d(3)(fastgrad.ones(2, 3)), ValueError, r"expected 4D input \(got 2D"),
    (lambda: nn.BatchNorm1d(0), ValueError, "num_features must be a positive int, got 0"),
    (lambda: nn.BatchNorm1d(3, momentum=2.0), ValueError, r"momentum must be None or a number in \[0, 1\], got 2.0"),
    (lambda: nn.BatchNorm1d(3)(fastgrad.ones(2, 4)), RuntimeError, r"running_mean has shape \(3,\), expected \(4,\)"),
    (lambda: F.batch_norm(fastgrad.ones(4), None, None), RuntimeError, "at least 2 dims"),
    (lambda: F.batch_norm(fastgrad.ones(4), None, None, training=True), IndexError, "at least 2 dims"),
    (lambda: F.batch_norm(fastgrad.ones(3, 2), None, None), RuntimeError, "must be defined in evaluation mode"),
    (lambda: F.batch_norm(fastgrad.ones(2, 2, dtype=fastgrad.int64), None, None, training=True), NotImplementedError,
     "floating point"),
    # one running statistic alone would not be updated in training: PyTorch refuses it
    (lambda: F.batch_norm(fastgrad.ones(3, 2), fastgrad.zeros(2), None, training=True), ValueError,
     "must either both be None or neither be None, got running_mean=a tensor and running_var=None"),
    (lambda: F.batch_norm(fastgrad.ones(3, 2), None, fastgrad.ones(2), training=True), ValueError, "both be None"),
    (lambda: F.batch_norm(fastgrad.ones(3, 2), None, None, training=True, momentum=None), TypeError,
     "momentum must be a number, got NoneType"),
])
def test_bad_inputs_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()

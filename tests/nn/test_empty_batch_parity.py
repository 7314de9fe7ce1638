"""Layers on an empty batch (or any input with a 0 in its shape) against PyTorch 2.13: an empty output of the right
shape and an empty gradient, where fastgrad raised because a reshape with -1 cannot infer a size from 0 elements."""
import numpy as np
import pytest

import fastgrad
from fastgrad import nn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name, arguments, shape", [
    ("Flatten", {}, (0, 3, 1, 1)), ("Flatten", {"start_dim": 2}, (2, 0, 2)), ("Flatten", {"end_dim": 1}, (2, 0, 2)),
    ("MaxPool1d", {"kernel_size": 3, "padding": 1}, (0, 2, 5)),
    ("MaxPool2d", {"kernel_size": 2, "ceil_mode": True, "return_indices": True}, (0, 1, 3, 3)),
    ("AvgPool1d", {"kernel_size": 2}, (0, 2, 4)),
    ("AvgPool2d", {"kernel_size": (2, 3), "count_include_pad": False, "padding": 1}, (0, 1, 3, 2)),
    ("LPPool1d", {"norm_type": 2.0, "kernel_size": 2}, (0, 2, 4)),
    ("LPPool2d", {"norm_type": 3.0, "kernel_size": 2}, (0, 1, 4, 4))])
def test_empty_input(name, arguments, shape):
    x = np.zeros(shape)
    mine, theirs = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, reference = getattr(nn, name)(**arguments)(mine), getattr(torch.nn, name)(**arguments)(theirs)
    ours, reference = (ours, reference) if isinstance(ours, tuple) else ((ours,), (reference,))
    for out, ref in zip(ours, reference):
        assert out.shape == tuple(ref.shape) and out.dtype == np.dtype(str(ref.dtype).removeprefix("torch."))
    ours[0].sum().backward()
    reference[0].sum().backward()
    assert mine.grad.shape == tuple(theirs.grad.shape)


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (0, 3)), ("BatchNorm1d", (0, 3, 2)),
                                         ("BatchNorm2d", (0, 3, 2, 2)), ("BatchNorm3d", (0, 3, 1, 2, 2))])
@pytest.mark.parametrize("track_running_stats", [True, False])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_of_an_empty_batch(name, shape, track_running_stats, training):
    """PyTorch's batch norm refuses one value per channel in training, not zero: the output is empty, the
    running statistics stay as they were (num_batches_tracked counts the batch) and the affine parameters get
    zero gradients."""
    theirs = getattr(torch.nn, name)(3, dtype=torch.float64, track_running_stats=track_running_stats)
    ours = getattr(nn, name)(3, dtype=fastgrad.float64, track_running_stats=track_running_stats)
    if track_running_stats:
        with torch.no_grad():
            theirs.running_mean.fill_(2.0), theirs.running_var.fill_(3.0)
    ours.load_state_dict({key: fastgrad.tensor(value.numpy()) for key, value in theirs.state_dict().items()})
    ours.train(training), theirs.train(training)
    x = np.zeros(shape)
    out, reference = ours(fastgrad.tensor(x)), theirs(torch.tensor(x))
    assert out.shape == tuple(reference.shape)
    out.sum().backward()
    reference.sum().backward()
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    for key, value in theirs.named_parameters():
        np.testing.assert_array_equal(dict(ours.named_parameters())[key].grad.numpy(), value.grad.numpy())

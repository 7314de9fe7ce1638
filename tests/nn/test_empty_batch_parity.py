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

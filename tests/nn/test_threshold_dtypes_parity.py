"""F.threshold and nn.Threshold on integer and bool tensors against PyTorch 2.13: integers keep their dtype and
PyTorch's values; bool is refused by both."""
import numpy as np
import pytest

import fastgrad
from fastgrad import nn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_integers(dtype):
    x = np.array([0, 1, 2, 3], dtype=dtype)
    ours, theirs = nn.Threshold(1, 7)(fastgrad.tensor(x)), torch.nn.Threshold(1, 7)(torch.tensor(x))
    assert ours.tolist() == theirs.tolist() and ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))


def test_bool_is_refused():
    x = np.array([True, False])
    with pytest.raises(NotImplementedError):
        torch.nn.Threshold(0.1, 3.0)(torch.tensor(x))
    with pytest.raises(TypeError, match="bool"):
        nn.Threshold(0.1, 3.0)(fastgrad.tensor(x))

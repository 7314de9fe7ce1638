"""threshold and hardtanh on integer and bool tensors against PyTorch 2.13: integers keep their dtype and PyTorch's
values (the numbers converted to the input's dtype first, truncated, or refused where they do not fit); threshold of
bools is refused by both."""
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
    with pytest.raises(NotImplementedError, match="bool"):
        nn.Threshold(0.1, 3.0)(fastgrad.tensor(x))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8])
@pytest.mark.parametrize("threshold, value", [(1.7, 5.5), (-1.5, 3.9), (-0.2, 3.0), (0.9, -2.7), (0.5, 300.0), (-1, 3),
                                              (1, 200), (2, -1)])
def test_numbers_converted_to_an_integer_dtype(dtype, threshold, value):
    x = np.array([0, 1, 2, 255] if dtype == np.uint8 else [-2, -1, 0, 1, 2], dtype=dtype)
    try:
        theirs = torch.nn.functional.threshold(torch.tensor(x), threshold, value)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="without overflow"):
            fastgrad.nn.functional.threshold(fastgrad.tensor(x), threshold, value)
        return
    ours = fastgrad.nn.functional.threshold(fastgrad.tensor(x), threshold, value)
    assert ours.tolist() == theirs.tolist() and ours.dtype == np.dtype(dtype)


@pytest.mark.parametrize("min_val, max_val", [(-0.5, 2.0), (-0.9, 1.5), (-0.5, -0.2), (-1, 2), (-1.0, 2.0), (0, 300)])
def test_hardtanh_of_unsigned_integers(min_val, max_val):
    """PyTorch truncates the bounds to the dtype first: a bound above -1 is 0 there, and not refused as negative."""
    x = np.array([0, 1, 2, 255], dtype=np.uint8)
    try:
        theirs = torch.nn.functional.hardtanh(torch.tensor(x), min_val, max_val)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            fastgrad.nn.functional.hardtanh(fastgrad.tensor(x), min_val, max_val)
        return
    ours = fastgrad.nn.functional.hardtanh(fastgrad.tensor(x), min_val, max_val)
    assert ours.tolist() == theirs.tolist() and ours.dtype == np.uint8

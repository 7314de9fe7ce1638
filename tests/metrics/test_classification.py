import numpy as np
import pytest

from fastgrad.metrics import accuracy


def test_accuracy():
    assert accuracy([1, 0, 2, 2], np.array([1, 1, 2, 0])) == 0.5
    assert accuracy(["pos", "neg"], ["pos", "neg"]) == 1.0
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(2,\)"):
        accuracy([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="zero examples"):
        accuracy([], [])

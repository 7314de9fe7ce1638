"""nn.utils.rnn.pad_sequence: shapes, padding on either side, gradients on every backend, and errors."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
from fastgrad.nn.utils.rnn import pad_sequence
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_pad_sequence_pads_after_or_before_and_stacks():
    a, b = fastgrad.tensor([1, 2, 3]), fastgrad.tensor([4])
    assert pad_sequence([a, b]).tolist() == [[1, 4], [2, 0], [3, 0]]
    assert pad_sequence((a, b), batch_first=True, padding_value=-1, padding_side="left").tolist() == [[1, 2, 3],
                                                                                                     [-1, -1, 4]]
    assert pad_sequence([fastgrad.ones(2, 3), fastgrad.ones(1, 3)], batch_first=True).shape == (2, 2, 3)
    assert fastgrad.nn.utils.rnn.pad_sequence([a]).shape == (3, 1)


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@SETTINGS
@given(lengths=st.lists(st.integers(1, 4), min_size=1, max_size=3), feature=st.integers(1, 3),
       batch_first=st.booleans(), left=st.booleans(), seed=st.integers(0, 2**16))
def test_pad_sequence_gradients(backend_name, lengths, feature, batch_first, left, seed):
    sequences = [leaf((n, feature), seed + i) for i, n in enumerate(lengths)]
    side = "left" if left else "right"
    check(backend_name, lambda *s: pad_sequence(s, batch_first, 0.5, side) * 1.5, *sequences)


def test_pad_sequence_refuses_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match="empty list"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match=r"sequence 1 has shape \(2, 2\), whose dims after the first do not match"):
        pad_sequence([fastgrad.ones(2, 3), fastgrad.ones(2, 2)])
    with pytest.raises(ValueError, match="padding_side must be 'left' or 'right', got 'middle'"):
        pad_sequence([fastgrad.ones(2)], padding_side="middle")
    with pytest.raises(IndexError, match="sequence 1 is a 0-dim tensor"):
        pad_sequence([fastgrad.ones(2), fastgrad.tensor(1.0)])
    with pytest.raises(TypeError, match="sequence 0 must be a Tensor, got list"):
        pad_sequence([[1, 2]])
    assert np.array_equal(pad_sequence([fastgrad.tensor([1, 2]), fastgrad.tensor([1.5])]).numpy(), [[1, 1], [2, 0]])

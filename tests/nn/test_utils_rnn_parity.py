"""nn.utils.rnn.pad_sequence against PyTorch: values, dtypes and gradients."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("lengths, trailing", [([3, 1, 2], ()), ([2, 2], (3,)), ([1], (2, 2)), ([4, 1], (1,))])
@pytest.mark.parametrize("kwargs", [{}, {"batch_first": True}, {"padding_value": -1.5, "padding_side": "left"},
                                    {"batch_first": True, "padding_side": "left", "padding_value": 2}])
def test_pad_sequence_matches_torch(lengths, trailing, kwargs):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n,) + trailing) for n in lengths]
    ours = [fastgrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    got = fastgrad.nn.utils.rnn.pad_sequence(ours, **kwargs)
    expected = torch.nn.utils.rnn.pad_sequence(theirs, **kwargs)
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())
    weights = rng.standard_normal(got.shape)
    (got * fastgrad.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-12)


def test_pad_sequence_takes_the_first_dtype_as_torch():
    values = ([1, 2], [1.5])
    got = fastgrad.nn.utils.rnn.pad_sequence([fastgrad.tensor(v) for v in values], padding_value=1.5)
    expected = torch.nn.utils.rnn.pad_sequence([torch.tensor(v) for v in values], padding_value=1.5)
    assert got.tolist() == expected.tolist() and str(got.dtype) == str(expected.dtype).replace("torch.", "")

"""nn.Embedding's scale_grad_by_freq against PyTorch: each row's gradient divided by its id's count in the
input, with and without padding_idx, float32 and float64."""
import numpy as np
import pytest

import fastgrad
from fastgrad import nn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_scale_grad_by_freq_matches(dtype, padding_idx):
    rng = np.random.default_rng(0)
    weight = rng.normal(0, 1, (6, 3)).astype(dtype)
    ids = np.array([[4, 1, 1, 0], [2, 4, 4, 5]])
    upstream = rng.normal(0, 1, (2, 4, 3)).astype(dtype)
    ours = nn.Embedding(6, 3, padding_idx, scale_grad_by_freq=True, _weight=fastgrad.tensor(weight.copy()))
    theirs = torch.nn.Embedding(6, 3, padding_idx, scale_grad_by_freq=True, _weight=torch.tensor(weight.copy()))
    (ours(fastgrad.tensor(ids)) * fastgrad.tensor(upstream)).sum().backward()
    (theirs(torch.tensor(ids)) * torch.tensor(upstream)).sum().backward()
    tolerance = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=tolerance, atol=tolerance)
    assert repr(ours) == repr(theirs)

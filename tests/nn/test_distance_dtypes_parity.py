"""cosine_similarity of inputs of two dtypes against PyTorch 2.13: computed and returned in the promoted dtype (an
integer or bool input takes the float input's dtype), with PyTorch's values."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype1, dtype2", [(np.int64, np.float32), (np.float32, np.int32), (np.bool_, np.float32),
                                            (np.uint8, np.float64), (np.float32, np.float64)])
def test_cosine_similarity_of_two_dtypes(dtype1, dtype2):
    x1 = np.array([[1, 0, 2], [3, 1, 1]]).astype(dtype1)
    x2 = np.array([[0.5, 1.5, -1.0], [2.0, 0.1, 1.0]]).astype(dtype2)
    ours = F.cosine_similarity(fastgrad.tensor(x1), fastgrad.tensor(x2))
    theirs = torch.nn.functional.cosine_similarity(torch.tensor(x1), torch.tensor(x2))
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)

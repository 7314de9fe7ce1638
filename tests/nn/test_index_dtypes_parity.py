"""The integer dtypes the class-index losses and embedding take, against PyTorch 2.13: each dtype either works
in both (same values) or raises in both (RuntimeError, as PyTorch)."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

INTEGER_DTYPES = [np.int64, np.int32, np.int16, np.int8, np.uint8]
CASES = {  # name: (function of (functional module, scores, indices), scores' shape, indices)
    "nll_loss": (lambda f, x, t: f.nll_loss(x, t), (2, 3), [0, 2]),
    "nll_loss 3-d": (lambda f, x, t: f.nll_loss(x, t), (2, 3, 2), [[0, 2], [1, 1]]),
    "nll_loss unbatched": (lambda f, x, t: f.nll_loss(x, t), (3,), 1),
    "cross_entropy": (lambda f, x, t: f.cross_entropy(x, t), (2, 3), [0, 2]),
    "cross_entropy 4-d": (lambda f, x, t: f.cross_entropy(x, t), (1, 3, 2, 1), [[[0], [2]]]),
    "cross_entropy smoothed": (lambda f, x, t: f.cross_entropy(x, t, label_smoothing=0.2), (2, 3), [0, 2]),
    "cross_entropy smoothed and weighted": (lambda f, x, t: f.cross_entropy(x, t, x.new_ones(3), label_smoothing=0.2),
                                            (2, 3), [0, 2]),
    "cross_entropy smoothed and weighted, summed": (
        lambda f, x, t: f.cross_entropy(x, t, x.new_ones(3), label_smoothing=0.2, reduction="sum"), (2, 3), [0, 2]),
    "multi_margin_loss": (lambda f, x, t: f.multi_margin_loss(x, t), (2, 3), [0, 2]),
    "embedding": (lambda f, x, t: f.embedding(t, x), (3, 2), [[0, 2], [1, 1]]),
}


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_index_dtype_works_or_raises_as_pytorch(case, dtype):
    function, shape, indices = CASES[case]
    scores = np.random.default_rng(0).standard_normal(shape)
    indices = np.array(indices, dtype=dtype)
    try:
        theirs = function(TF, torch.tensor(scores), torch.tensor(indices))
    except RuntimeError:
        with pytest.raises(RuntimeError, match=str(np.dtype(dtype))):
            function(F, fastgrad.tensor(scores), fastgrad.tensor(indices))
        return
    ours = function(F, fastgrad.tensor(scores), fastgrad.tensor(indices))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)

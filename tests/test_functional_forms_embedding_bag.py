"""torch.embedding_bag, aten's form (fastgrad/functional_forms.py), without PyTorch: gradcheck of weight and
per_sample_weights over hypothesis tables and bags (PyTorch parity: test_functional_forms_embedding_bag_parity.py)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
from fastgrad.testing import check_gradients as check

SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("mode", [0, 1, 2])
@SETTINGS
@given(rows=st.integers(1, 5), dim=st.integers(1, 3), count=st.integers(0, 8), bags=st.integers(1, 4),
       padding=st.booleans(), include_last_offset=st.booleans(), seed=st.integers(0, 2**16))
def test_embedding_bag_gradcheck(mode, rows, dim, count, bags, padding, include_last_offset, seed):
    rng = np.random.default_rng(seed)
    # values 0.3 apart, so that no max bag meets a tie the central differences would cross
    table = (rng.permutation(rows * dim).reshape(rows, dim) - rows * dim / 2) * 0.3 + rng.uniform(-0.05, 0.05)
    weight = fastgrad.tensor(table, requires_grad=True)
    ids = fastgrad.tensor(rng.integers(0, rows, count))
    offsets = np.sort(rng.integers(0, count + 1, bags))
    offsets[0] = 0
    offsets = fastgrad.tensor(np.append(offsets, count) if include_last_offset else offsets)
    padding_idx = int(rng.integers(-rows, rows)) if padding else None
    inputs = [weight]
    if mode == 0:
        inputs.append(fastgrad.tensor(rng.uniform(0.5, 1.5, count), requires_grad=True))

    def bags_of(weight, *samples):
        return fastgrad.embedding_bag(weight, ids, offsets, False, mode, False, samples[0] if samples else None,
                                      include_last_offset, padding_idx)[0]

    check("numpy", bags_of, *inputs)

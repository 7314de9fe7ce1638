"""F.pdist (fastgrad.pdist): gradcheck over hypothesis shapes and orders, the zero gradient at a zero distance,
and its refusals. Its values against PyTorch are in tests/test_functional_forms_parity.py."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad.testing import check_gradients, float64_leaf


@pytest.mark.parametrize("backend_name", ["numpy", "compiled"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.integers(0, 5), columns=st.integers(1, 4), p=st.sampled_from([1.0, 1.5, 2.0, 3.0, float("inf")]),
       seed=st.integers(0, 2**16))
def test_gradcheck(backend_name, rows, columns, p, seed):
    check_gradients(backend_name, lambda x: F.pdist(x, p), float64_leaf((rows, columns), seed))


def test_pairs_in_row_major_order_and_a_zero_gradient_at_a_zero_distance():
    x = fastgrad.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 5.0]], dtype=fastgrad.float64, requires_grad=True)
    distances = fastgrad.pdist(x)
    np.testing.assert_allclose(distances.tolist(), [0.0, np.sqrt(10), np.sqrt(10)])
    distances.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy()[0], x.grad.numpy()[1])  # the pair (0, 1) adds nothing


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.pdist(fastgrad.ones(2, 3, 4)), RuntimeError, "2-D input"),
    (lambda: F.pdist(fastgrad.ones(3)), RuntimeError, "2-D input"),
    (lambda: F.pdist(fastgrad.ones(3, 2), -1.0), RuntimeError, "non-negative"),
    (lambda: F.pdist(fastgrad.ones(3, 2), "2"), TypeError, "p must be a number"),
    (lambda: F.pdist(fastgrad.ones(3, 2, dtype=fastgrad.int64)), RuntimeError, "floating point"),
])
def test_refusals_name_the_argument(call, error, match):
    with pytest.raises(error, match=f"pdist: .*{match}"):
        call()

"""F.triplet_margin_with_distance_loss and nn.TripletMarginWithDistanceLoss without PyTorch: gradcheck over
hypothesis shapes on every backend, the loss's definition and the arguments refused."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from fastgrad.testing import check_gradients

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cosine_distance(x1, x2):
    return 1.0 - F.cosine_similarity(x1, x2, dim=-1)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@SETTINGS
@given(batch=st.sampled_from([(), (1,), (3,), (2, 2)]), features=st.integers(1, 4), swap=st.booleans(),
       distance=st.sampled_from([None, cosine_distance]), seed=st.integers(0, 2**16))
def test_gradcheck(backend_name, reduction, batch, features, swap, distance, seed):
    rng = np.random.default_rng(seed)
    a, p, n = (rng.uniform(0.5, 2.0, batch + (features,)) * rng.choice([-1, 1], batch + (features,)) for _ in range(3))
    leaves = [fastgrad.tensor(x, requires_grad=True) for x in (a, p, n)]
    # a margin of 50 keeps every hinge open (away from its kink), whatever the distances
    loss = lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, distance_function=distance, margin=50.0,
                                                               swap=swap, reduction=reduction)
    check_gradients(backend_name, loss, *leaves)


def test_definition_and_module():
    anchor, positive, negative = fastgrad.zeros(2, 2), fastgrad.tensor([[3.0, 4.0], [1.0, 0.0]]), fastgrad.ones(2, 2)
    l1 = lambda x1, x2: (x1 - x2).abs().sum(-1)
    losses = F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=l1, reduction="none")
    np.testing.assert_allclose(losses.numpy(), [1 + 7 - 2, 0.0])  # margin + d(a, p) - d(a, n), clamped at 0
    swapped = F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=l1, swap=True,
                                                  reduction="none")
    np.testing.assert_allclose(swapped.numpy(), [1 + 7 - 2, 1 + 1 - 1])  # d(p, n) = 1 < d(a, n) = 2 in row 2
    default = F.triplet_margin_with_distance_loss(anchor, positive, negative)
    assert default.item() == pytest.approx(F.triplet_margin_loss(anchor, positive, negative).item())
    module = nn.TripletMarginWithDistanceLoss(distance_function=l1, margin=1.0, reduction="sum")
    assert module(anchor, positive, negative).item() == pytest.approx(6.0)
    expected = "TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)"
    assert repr(nn.TripletMarginWithDistanceLoss()) == expected


def test_bad_arguments():
    x = fastgrad.ones(2, 3)
    cases = [
        (lambda: F.triplet_margin_with_distance_loss(x, x, x, margin=0), ValueError,
         "triplet_margin_with_distance_loss: margin must be greater than 0, got 0"),
        (lambda: F.triplet_margin_with_distance_loss(x, x, x[0]), RuntimeError,
         "anchor, positive and negative must have one number of dims, got 2, 2 and 1"),
        (lambda: F.triplet_margin_with_distance_loss(x, x, x, reduction="avg"), ValueError,
         "reduction must be 'mean', 'sum' or 'none', got 'avg'"),
        (lambda: F.triplet_margin_with_distance_loss(x, x, x, distance_function=2), TypeError,
         "distance_function must be callable or None, got int"),
        (lambda: nn.TripletMarginWithDistanceLoss(margin=-1.0), ValueError,
         "TripletMarginWithDistanceLoss: margin must be greater than 0, got -1.0"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()

"""F.triplet_margin_with_distance_loss and nn.TripletMarginWithDistanceLoss against PyTorch's: values and
gradients for the default and custom distances, swap and each reduction; printouts and refusals."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")
TF = torch.nn.functional

DISTANCES = {  # the same distance written with each library
    "default": (None, None),
    "l1": (lambda a, b: (a - b).abs().sum(-1), lambda a, b: (a - b).abs().sum(-1)),
    "cosine": (lambda a, b: 1.0 - F.cosine_similarity(a, b, dim=-1),
               lambda a, b: 1.0 - TF.cosine_similarity(a, b, dim=-1)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("distance", sorted(DISTANCES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("shape, margin", [((5, 4), 1.0), ((4,), 0.5), ((3, 2, 4), 2.0)])
def test_functional(torch_parity, dtype, distance, reduction, swap, shape, margin):
    ours_distance, their_distance = DISTANCES[distance]
    rng = np.random.default_rng(0)
    a, p, n = (rng.standard_normal(shape) for _ in range(3))
    kwargs = dict(margin=margin, swap=swap, reduction=reduction)
    ours = lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, distance_function=ours_distance, **kwargs)
    theirs = lambda a, p, n: TF.triplet_margin_with_distance_loss(a, p, n, distance_function=their_distance, **kwargs)
    torch_parity(ours, theirs, a, p, n, dtype=dtype)


@pytest.mark.parametrize("kwargs", [{}, dict(margin=2.0, swap=True, reduction="sum"), dict(reduction="none")])
def test_module(torch_parity, kwargs):
    ours, theirs = nn.TripletMarginWithDistanceLoss(**kwargs), torch.nn.TripletMarginWithDistanceLoss(**kwargs)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(1)
    torch_parity(ours, theirs, *(rng.standard_normal((4, 3)) for _ in range(3)))
    ours = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(p=1.0))
    theirs = torch.nn.TripletMarginWithDistanceLoss(distance_function=torch.nn.PairwiseDistance(p=1.0))
    assert repr(ours) == repr(theirs)
    torch_parity(ours, theirs, *(rng.standard_normal((4, 3)) for _ in range(3)))


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.triplet_margin_with_distance_loss(x, x, x, margin=0),
    lambda lib, x: lib.nn.functional.triplet_margin_with_distance_loss(x, x, x, margin=-1.0),
    lambda lib, x: lib.nn.functional.triplet_margin_with_distance_loss(x, x, x[0]),
    lambda lib, x: lib.nn.functional.triplet_margin_with_distance_loss(x, x, x, reduction="avg"),
    lambda lib, x: lib.nn.functional.triplet_margin_with_distance_loss(x, x, x, distance_function=2),
    lambda lib, x: lib.nn.functional.triplet_margin_with_distance_loss(x, x, x, 1.0),
    lambda lib, x: lib.nn.TripletMarginWithDistanceLoss(margin=0.0),
])
def test_both_refuse(call):
    theirs = outcome(lambda: call(torch, torch.ones(2, 3)))
    assert isinstance(theirs, Raised), f"PyTorch returns {theirs!r}"
    assert_raised_alike(outcome(lambda: call(fastgrad, fastgrad.ones(2, 3))), theirs)

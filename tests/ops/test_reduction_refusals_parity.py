"""Reductions, sorts and counts refuse what PyTorch refuses, with the built-in type of PyTorch's exception, and
check their arguments in PyTorch's order (a dim out of range before the dtype), as the reduction fuzz found."""
import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import assert_raised_alike, outcome

torch = pytest.importorskip("torch")

NAN = float("nan")


@pytest.mark.parametrize("call", [
    pytest.param(lambda m: m.ones(2, 3).sum((0, -2)), id="sum of a dim named twice"),
    pytest.param(lambda m: m.ones(2, 3).amax((1, -1)), id="amax of a dim named twice"),
    pytest.param(lambda m: m.ones(2, 3).permute(0, 0), id="permute of a dim named twice"),
    pytest.param(lambda m: m.histc(m.tensor([1.0, 2.0]), 3, 2.0, -1.0), id="histc min > max"),
    pytest.param(lambda m: m.histc(m.tensor([1.0, 2.0]), 0), id="histc of no bins"),
    pytest.param(lambda m: m.histc(m.tensor([1.0, NAN]), 2), id="histc of a NaN's range"),
    pytest.param(lambda m: m.histc(m.tensor([1.0, float("inf")]), 2), id="histc of an infinite range"),
    pytest.param(lambda m: m.kthvalue(m.ones(1, 4), 5, dim=0), id="kthvalue k past the dim"),
    pytest.param(lambda m: m.kthvalue(m.ones(3), 0), id="kthvalue k = 0"),
    pytest.param(lambda m: m.kthvalue(m.ones(2, 0, dtype=m.bool), 1), id="kthvalue of bools along an empty dim"),
    pytest.param(lambda m: m.kthvalue(m.ones(2, 1, dtype=m.bool), 1, dim=2), id="kthvalue of bools out of range"),
    pytest.param(lambda m: m.median(m.ones(0, dtype=m.bool), -1), id="median of bools along an empty dim"),
    pytest.param(lambda m: m.nanmedian(m.ones(2, 1, dtype=m.bool), 3), id="nanmedian of bools out of range"),
    pytest.param(lambda m: m.topk(m.ones(1, 0), 2, dim=-2), id="topk k past the dim"),
    pytest.param(lambda m: m.topk(m.ones(3, dtype=m.bool), 4), id="topk of bools k past the dim"),
    pytest.param(lambda m: m.mean(m.ones(2, 3), 0, dtype=m.int32), id="mean to an integer dtype"),
    pytest.param(lambda m: m.bincount(m.tensor([1.0, 2.0])), id="bincount of floats"),
    pytest.param(lambda m: m.bincount(m.tensor([True, False])), id="bincount of bools"),
    pytest.param(lambda m: m.bincount(m.ones(2, 2, dtype=m.int64)), id="bincount of a matrix"),
    pytest.param(lambda m: m.logsumexp(m.ones(3), ()), id="logsumexp over () without keepdim"),
    pytest.param(lambda m: m.ones(2, requires_grad=True).sum(1, dtype=m.int64), id="sum's dim before its dtype"),
    pytest.param(lambda m: m.ones(2, requires_grad=True).prod(1, dtype=m.int64), id="prod's dim before its dtype"),
    pytest.param(lambda m: m.ones(2, dtype=m.int64).mean(3), id="mean's dtype before its dim"),
    pytest.param(lambda m: m.ones(2, requires_grad=True).cumsum(1, dtype=m.int64), id="cumsum's dim before its dtype"),
    pytest.param(lambda m: m.ones(2, requires_grad=True).cumprod(-2, dtype=m.int64), id="cumprod's dim before dtype"),
])
def test_refused_with_torchs_exception_type(call):
    assert_raised_alike(outcome(lambda: call(fastgrad)), outcome(lambda: call(torch)))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (0,), (2, 0)])
@pytest.mark.parametrize("keepdim", [True, False])
def test_logsumexp_over_no_dims_reduces_every_dim_or_refuses_as_torch(shape, keepdim):
    ours, theirs = (outcome(lambda m=m: m.logsumexp(m.arange(6.0)[:m.ones(shape).numel()].reshape(shape), (),
                                                    keepdim=keepdim)) for m in (fastgrad, torch))
    assert_raised_alike(ours, theirs)
    if not hasattr(theirs, "error"):
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)

"""histogramdd against NumPy's histogramdd (hypothesis point sets, every form of bins, range, weight and density),
its results' raising backward, and its argument checks."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(n=st.integers(1, 30), dimensions=st.integers(1, 3), bins=st.integers(1, 4), form=st.sampled_from(
    ["int", "ints", "edges", "range"]), weighted=st.booleans(), density=st.booleans(), seed=st.integers(0, 2**16))
def test_matches_numpy(n, dimensions, bins, form, weighted, density, seed):
    rng = np.random.default_rng(seed)
    # (no ties with the edges: NumPy finds the bin of a value by its own arithmetic, which can differ from the
    # edges' values at a tie; the parity test holds fastgrad to PyTorch's rule there. A lone point with bins
    # from the data sits at the middle edge of its widened range when the count is even: two points at least)
    if form in ("int", "ints"):
        n = max(n, 2)
    points = rng.normal(size=(n, dimensions)) * 2
    weight = rng.random(n) if weighted else None
    counts = [bins + d for d in range(dimensions)]
    if form == "edges":
        ours_bins = [fastgrad.tensor(np.sort(rng.normal(size=c + 1).round(1) * 2)) for c in counts]
        numpy_bins = [b.numpy() for b in ours_bins]
    else:
        ours_bins = numpy_bins = bins if form == "int" else counts
    numpy_range = None
    if form == "range":
        numpy_range = [(-1.0 - d, 1.5 + d) for d in range(dimensions)]
    elif form != "edges":  # NumPy widens an empty range by 0.5 each way, as PyTorch and fastgrad
        numpy_range = [(lo - 0.5, hi + 0.5) if lo == hi else (lo, hi) for lo, hi in zip(points.min(0), points.max(0))]
    flat_range = None if form != "range" else [end for pair in numpy_range for end in pair]
    hist, edges = fastgrad.histogramdd(fastgrad.tensor(points), ours_bins, range=flat_range,
                                       weight=None if weight is None else fastgrad.tensor(weight), density=density)
    expected, expected_edges = np.histogramdd(points, numpy_bins, range=numpy_range, weights=weight, density=density)
    assert hist.dtype == fastgrad.float64 and len(edges) == dimensions
    for mine, theirs in zip(edges, expected_edges):
        np.testing.assert_allclose(mine.numpy(), theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hist.numpy(), expected, rtol=1e-10, equal_nan=True)


def test_batched_points_and_outside_points():
    points = fastgrad.tensor([[[0.0, 0.0], [1.0, 1.0]], [[5.0, 0.5], [np.nan, 0.5]]])
    hist, _ = fastgrad.histogramdd(points, 2, range=[0.0, 1.0, 0.0, 1.0], weight=fastgrad.tensor([[1.0, 2.0],
                                                                                                  [4.0, 8.0]]))
    np.testing.assert_array_equal(hist.numpy(), [[1.0, 0.0], [0.0, 2.0]])  # 5.0 and NaN are outside


def test_results_require_grad_and_their_backward_raises():
    points = fastgrad.tensor([[0.0, 1.0], [1.0, 0.0]], requires_grad=True)
    hist, edges = fastgrad.histogramdd(points, 2)
    assert hist.requires_grad and edges[0].requires_grad
    with pytest.raises(RuntimeError, match="the derivative for histogramdd is not implemented"):
        hist.sum().backward()
    assert not fastgrad.histogramdd(points.detach(), 2).hist.requires_grad


@pytest.mark.parametrize("call, error, message", [
    (lambda: fastgrad.histogramdd(fastgrad.ones(3), 2), ValueError, r"shape \(\.\.\., D\).*got shape \(3,\)"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 0), 2), ValueError, "D >= 1"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2).long(), 2), NotImplementedError, "dtype int64"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2), [2, 2, 2]), ValueError, r"one entry per dimension .*2\), got 3"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2), [2, 0]), ValueError,
     r"histogramdd \(dimension 1\): bins must be > 0, got 0"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2), [fastgrad.ones(2), 2]), TypeError, "not a mix"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2), fastgrad.ones(2)), TypeError, "got a Tensor"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2), [fastgrad.tensor([1.0, 0.0])] * 2), ValueError,
     "bin edges must not decrease"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2), [fastgrad.ones(2, dtype=fastgrad.float64)] * 2), ValueError,
     "in input's dtype"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2), 2, range=[0.0, 1.0]), ValueError,
     "range must have 4 elements"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2), 2, range=[1.0, 0.0, 0.0, 1.0]), ValueError,
     "min must not exceed its max"),
    (lambda: fastgrad.histogramdd(fastgrad.tensor([[np.inf, 1.0]]), 2), ValueError, "is not finite"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2), 2, weight=fastgrad.ones(3, 1)), ValueError,
     r"weight must have input's shape without its last dim, \(3,\), got \(3, 1\)"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2), 2, weight=fastgrad.ones(3, dtype=fastgrad.float64)),
     RuntimeError, "weight must have input's dtype"),
    (lambda: fastgrad.histogramdd(fastgrad.ones(3, 2), 2.5), TypeError, "bins must be an int"),
], ids=["1-D", "no coordinates", "long", "bins length", "zero bins", "mixed bins", "tensor bins", "decreasing",
        "edges dtype", "range length", "range order", "infinite", "weight shape", "weight dtype", "float bins"])
def test_bad_arguments_name_themselves(call, error, message):
    with pytest.raises(error, match=message):
        call()

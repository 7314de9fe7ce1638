"""histogramdd against torch.histogramdd: hist and bin_edges (values, dtypes, shapes) for every form of bins,
range, weight and density, with points on the edges; results requiring grad with a raising backward; and the
errors of bad arguments."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(n=st.integers(0, 25), batch=st.booleans(), dimensions=st.integers(1, 3), bins=st.integers(1, 4),
       form=st.sampled_from(["int", "ints", "edges", "range"]), weighted=st.booleans(), density=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 2**16))
def test_matches_torch(n, batch, dimensions, bins, form, weighted, density, dtype, seed):
    rng = np.random.default_rng(seed)
    shape = (2, n, dimensions) if batch else (n, dimensions)
    points = (rng.normal(size=shape) * 2).round(int(rng.integers(0, 2))).astype(dtype)  # ties with the edges
    weight = rng.random(shape[:-1]).astype(dtype) if weighted else None
    counts = [bins + d for d in range(dimensions)]
    edges = [np.sort(rng.normal(size=c + 1).round(1) * 2).astype(dtype) for c in counts]
    results = []
    for lib in (fastgrad, torch):
        kwargs = {"density": density, "weight": None if weight is None else lib.tensor(weight)}
        if form == "range":
            kwargs["range"] = [end for d in range(dimensions) for end in (-1.0 - d, 1.0 + 0.5 * d)]
        given_bins = {"int": bins, "ints": counts, "range": counts, "edges": [lib.tensor(e) for e in edges]}[form]
        results.append(lib.histogramdd(lib.tensor(points), bins=given_bins, **kwargs))
    ours, theirs = results
    assert ours.hist.dtype == getattr(fastgrad, dtype) and tuple(ours.hist.shape) == tuple(theirs.hist.shape)
    assert len(ours.bin_edges) == len(theirs.bin_edges) == dimensions
    for mine, reference in zip(ours.bin_edges, theirs.bin_edges):
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(ours.hist.numpy(), theirs.hist.numpy(), rtol=tolerance, equal_nan=True)


def test_results_require_grad_with_a_raising_backward_as_torchs():
    for lib in (fastgrad, torch):
        points = lib.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], requires_grad=True)
        hist, edges = lib.histogramdd(points, bins=2)
        assert hist.requires_grad and edges[1].requires_grad
        for result in (hist, edges[0]):
            with pytest.raises(RuntimeError, match="derivative"):
                result.sum().backward()
        assert not lib.histogramdd(points.detach(), bins=2, weight=lib.ones(3)).hist.requires_grad


@pytest.mark.parametrize("call", [
    lambda lib: lib.histogramdd(lib.ones(3, 2)), lambda lib: lib.histogramdd(lib.ones(3), bins=2),
    lambda lib: lib.histogramdd(lib.ones(3, 2).long(), bins=2),
    lambda lib: lib.histogramdd(lib.ones(3, 2), bins=[2, 2, 2]), lambda lib: lib.histogramdd(lib.ones(3, 2), bins=0),
    lambda lib: lib.histogramdd(lib.ones(3, 2), bins=[lib.ones(2), 2]),
    lambda lib: lib.histogramdd(lib.ones(3, 2), bins=lib.tensor([0.0, 1.0])),
    lambda lib: lib.histogramdd(lib.ones(3, 2), bins=[lib.ones(1, 2)] * 2),
    lambda lib: lib.histogramdd(lib.ones(3, 2), bins=[lib.ones(2, dtype=lib.float64)] * 2),
    lambda lib: lib.histogramdd(lib.ones(3, 2), bins=2, range=[0.0, 1.0]),
    lambda lib: lib.histogramdd(lib.ones(3, 2), bins=2, range=[1.0, 0.0, 0.0, 1.0]),
    lambda lib: lib.histogramdd(lib.tensor([[np.nan, 1.0]]), bins=2),
    lambda lib: lib.histogramdd(lib.ones(3, 2), bins=2, weight=lib.ones(3, 1)),
    lambda lib: lib.histogramdd(lib.ones(3, 2, dtype=lib.float64), bins=2, weight=lib.ones(3)),
    lambda lib: lib.histogramdd(lib.ones(3, 2), bins=2.5),
], ids=["no bins", "1-D", "long", "bins length", "zero bins", "mixed bins", "tensor bins", "2-D edges", "edges dtype",
        "range length", "range order", "nan", "weight shape", "weight dtype", "float bins"])
def test_both_refuse(call):
    with pytest.raises((RuntimeError, TypeError, NotImplementedError)) as theirs:
        call(torch)
    expected = {RuntimeError: (RuntimeError, ValueError)}.get(theirs.type, theirs.type)
    with pytest.raises(expected):
        call(fastgrad)


def test_decreasing_edges_raise_where_torch_counts_nothing():
    decreasing = [torch.tensor([1.0, 0.0])] * 2
    assert not torch.histogramdd(torch.zeros(3, 2) + 0.5, bins=decreasing).hist.any()  # PyTorch 2.13: all zero
    with pytest.raises(ValueError, match="must not decrease"):
        fastgrad.histogramdd(fastgrad.zeros(3, 2) + 0.5, bins=[fastgrad.tensor([1.0, 0.0])] * 2)

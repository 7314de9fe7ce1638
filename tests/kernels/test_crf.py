"""The CRF kernels (forward algorithm, its gradient, Viterbi): compiled and interpreted loops against the NumPy
reference, and all of them against brute force over every tag path."""
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastgrad.backends import load
from fastgrad.kernels.registry import KERNELS

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def brute_force(emissions, lengths, transitions, start, end):
    """log Z and the best path of each sentence, by enumerating every path."""
    log_z, best, first = [], [], 0
    for length in lengths:
        paths = list(itertools.product(range(len(start)), repeat=length))
        scores = np.array([start[p[0]] + end[p[-1]] + sum(emissions[first + t, p[t]] for t in range(length))
                           + sum(transitions[p[t - 1], p[t]] for t in range(1, length)) for p in paths])
        high = scores.max()
        log_z.append(high + np.log(np.exp(scores - high).sum()) if np.isfinite(high) else -np.inf)
        best.extend(paths[int(np.argmax(scores))])
        first += length
    return np.array(log_z), np.array(best)


def problem(seed, lengths, tags, dtype=np.float64, forbid=0.0):
    rng = np.random.default_rng(seed)
    emissions = rng.normal(size=(sum(lengths), tags)).astype(dtype)
    transitions = rng.normal(size=(tags, tags)).astype(dtype)
    transitions[(rng.random((tags, tags)) < forbid) & (np.arange(tags) != 0)[None, :]] = -np.inf  # tag 0 stays open
    return emissions, np.array(lengths), transitions, rng.normal(size=tags).astype(dtype), rng.normal(size=tags).astype(dtype)


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@SETTINGS
@given(lengths=st.lists(st.integers(1, 4), min_size=1, max_size=3), tags=st.integers(1, 3),
       seed=st.integers(0, 2**16), forbid=st.sampled_from([0.0, 0.5]))
def test_forward_and_viterbi_match_brute_force(backend_name, lengths, tags, seed, forbid):
    args = problem(seed, lengths, tags, forbid=forbid)
    expected_log_z, expected_best = brute_force(*args)
    kernels = load(backend_name)
    log_z, _ = kernels.crf_forward(*args)
    np.testing.assert_allclose(log_z, expected_log_z, rtol=1e-12, atol=1e-12)
    best = kernels.crf_viterbi(*args)
    assert best.dtype == np.int64 and best.shape == (sum(lengths),)
    np.testing.assert_array_equal(best, expected_best)


@pytest.mark.parametrize("backend_name", ["compiled", "python"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@SETTINGS
@given(lengths=st.lists(st.integers(1, 12), min_size=1, max_size=6), tags=st.integers(1, 9),
       seed=st.integers(0, 2**16), forbid=st.sampled_from([0.0, 0.4]))
def test_loops_match_the_numpy_reference(backend_name, dtype, lengths, tags, seed, forbid):
    args = problem(seed, lengths, tags, dtype, forbid)
    reference, kernels = load("numpy"), load(backend_name)
    tolerance = dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    (log_z, alphas), (expected_log_z, expected_alphas) = kernels.crf_forward(*args), reference.crf_forward(*args)
    assert log_z.dtype == dtype
    np.testing.assert_allclose(log_z, expected_log_z, **tolerance)
    np.testing.assert_allclose(alphas, expected_alphas, **tolerance)
    g = np.random.default_rng(seed).normal(size=len(lengths)).astype(dtype)
    for got, want in zip(kernels.crf_backward(g, *args, alphas, log_z), reference.crf_backward(g, *args, alphas, log_z)):
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, **tolerance)
    np.testing.assert_array_equal(kernels.crf_viterbi(*args), reference.crf_viterbi(*args))


@pytest.mark.parametrize("name", ["crf_forward", "crf_viterbi"])
def test_arguments_are_checked_before_the_loops_run(name):
    kernel = KERNELS[name].implementation("numba")
    emissions, lengths, transitions, start, end = problem(0, [2, 3], 3)
    with pytest.raises(ValueError, match="lengths: add up to 4, but emissions has 5 rows"):
        kernel(emissions, np.array([2, 2]), transitions, start, end)
    with pytest.raises(ValueError, match="every sentence needs at least one token"):
        kernel(emissions, np.array([5, 0]), transitions, start, end)
    with pytest.raises(ValueError, match=r"transitions: expected shape \(3, 3\) and dtype float64"):
        kernel(emissions, lengths, transitions[:2], start, end)
    with pytest.raises(ValueError, match=r"end: expected shape \(3,\) and dtype float64 .* got shape \(3,\) and dtype "
                                         r"float32"):
        kernel(emissions, lengths, transitions, start, end.astype(np.float32))


def test_backward_checks_its_gradient_and_saved_arrays():
    args = problem(0, [2, 3], 3)
    log_z, alphas = load("numpy").crf_forward(*args)
    kernel = KERNELS["crf_backward"].implementation("numba")
    with pytest.raises(ValueError, match=r"g: expected shape \(2,\) \(that of log Z\), got \(3,\)"):
        kernel(np.ones(3), *args, alphas, log_z)
    with pytest.raises(ValueError, match=r"alphas: expected shape \(5, 3\) \(that of emissions\), got \(4, 3\)"):
        kernel(np.ones(2), *args, alphas[:4], log_z)
    with pytest.raises(TypeError, match="log_z: expected dtype float64 .*, got float32"):
        kernel(np.ones(2), *args, alphas, log_z.astype(np.float32))

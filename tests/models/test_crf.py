"""The CRF layer (fastgrad/models/crf.py): its negative log-likelihood and gradients against brute force over
every tag path, on every backend, with sentences of one token and forbidden transitions; decoding."""
import itertools

import numpy as np
import pytest

import fastgrad
from fastgrad.models.crf import LinearChainCRF

TAGS = 3
# tag 2 may not start a sentence, follow tag 0, or end one
ALLOWED = (np.array([True, True, False]), np.array([[True, True, False], [True, True, True], [True, True, True]]),
           np.array([True, True, False]))


def path_score(crf_scores, emissions, path):
    start, transitions, end = crf_scores
    return (start[path[0]] + end[path[-1]] + sum(emissions[t, tag] for t, tag in enumerate(path))
            + sum(transitions[a, b] for a, b in zip(path, path[1:])))


def brute_force_nll(crf_scores, emissions, tags, lengths):
    """sum over sentences of log(sum over paths of exp(score)) - score(gold), and the best paths."""
    total, best, first = 0.0, [], 0
    for length in lengths:
        rows, gold = emissions[first:first + length], tags[first:first + length]
        scores = {path: path_score(crf_scores, rows, path) for path in itertools.product(range(TAGS), repeat=length)}
        values = np.array(list(scores.values()))
        high = values.max()
        total += high + np.log(np.exp(values - high).sum()) - path_score(crf_scores, rows, gold)
        best.extend(max(scores, key=scores.get))
        first += length
    return total, np.array(best)


def layer(seed):
    rng = np.random.default_rng(seed)
    crf = LinearChainCRF(TAGS, ALLOWED).double()
    with fastgrad.no_grad():
        for parameter in crf.parameters():
            parameter.copy_(fastgrad.tensor(rng.normal(size=parameter.shape), dtype=fastgrad.float64))
    return crf, rng


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
@pytest.mark.parametrize("lengths", [[1], [3, 1, 2], [1, 1]])
def test_nll_gradients_and_decoding_match_brute_force(backend, lengths):
    crf, rng = layer(sum(lengths))
    emissions = rng.normal(size=(sum(lengths), TAGS))
    tags = rng.choice([0, 1], size=sum(lengths))  # an allowed gold path: no tag 2
    scores = tuple(t.detach().numpy().astype(np.float64) for t in crf.scores())
    expected, expected_best = brute_force_nll(scores, emissions, tags, lengths)
    with fastgrad.backend(backend):
        emitted = fastgrad.tensor(emissions, requires_grad=True)
        nll = crf.neg_log_likelihood(emitted, tags, np.array(lengths))
        nll.backward()
        assert nll.item() == pytest.approx(expected, rel=1e-10)
        np.testing.assert_array_equal(crf.decode(emissions, np.array(lengths)), expected_best)
    step = 1e-6  # central differences of the brute force, for the emissions' gradient
    numeric = np.zeros_like(emissions)
    for index in np.ndindex(emissions.shape):
        up, down = emissions.copy(), emissions.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (brute_force_nll(scores, up, tags, lengths)[0]
                          - brute_force_nll(scores, down, tags, lengths)[0]) / (2 * step)
    np.testing.assert_allclose(emitted.grad.numpy(), numeric, atol=1e-7)
    assert crf.transitions.grad.numpy()[0, 2] == 0  # a forbidden transition gets no gradient


@pytest.mark.parametrize("bad", [TAGS, -1, 10])
def test_tags_outside_the_tag_set_raise_naming_tags(bad):
    crf, _ = layer(0)
    tags = np.array([0, bad, 1])
    with pytest.raises(ValueError, match=rf"tags must be tag ids in \[0, {TAGS}\), got {bad}"):
        crf.neg_log_likelihood(fastgrad.zeros(3, TAGS, dtype=fastgrad.float64), tags, np.array([3]))


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
def test_a_float32_layer_scores_float64_emissions_on_every_backend(backend):
    """The scores are promoted to one dtype, as PyTorch's arithmetic would (the compiled kernels raised)."""
    crf, rng = layer(5)
    crf.float()
    emissions = rng.normal(size=(4, TAGS))
    tags, lengths = np.array([0, 1, 1, 0]), np.array([2, 2])
    scores = tuple(t.detach().numpy().astype(np.float64) for t in crf.scores())
    with fastgrad.backend(backend):
        emitted = fastgrad.tensor(emissions, requires_grad=True)
        nll = crf.neg_log_likelihood(emitted, tags, lengths)
        nll.backward()
    assert nll.dtype == fastgrad.float64 and crf.transitions.grad.dtype == fastgrad.float32
    # the gold path's float32 scores are summed in float32
    assert nll.item() == pytest.approx(brute_force_nll(scores, emissions, tags, lengths)[0], rel=1e-6)


def test_integer_scores_raise_naming_the_dtypes():
    from fastgrad.nn import functional as F

    with pytest.raises(TypeError, match=r"crf_log_partition: scores must be floating point, got dtypes \['int64'"):
        F.crf_log_partition(fastgrad.zeros(2, TAGS, dtype=fastgrad.int64), np.array([2]),
                            fastgrad.zeros(TAGS, TAGS, dtype=fastgrad.int64), fastgrad.zeros(TAGS, dtype=fastgrad.int64),
                            fastgrad.zeros(TAGS, dtype=fastgrad.int64))

"""The word2vec kernels against their formulas and against a plain-Python oracle of the same algorithm."""
import math

import numpy as np
import pytest

from fastgrad.kernels import word2vec as k

MASK64 = (1 << 64) - 1


# --- Plain-Python oracle: the same algorithm, the same random stream, one readable loop -------------------

class SplitMix64:
    def __init__(self, seed: int):
        self.state = seed

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def alias_draw(self, thresholds, aliases) -> int:
        bits = self.next()
        column = ((bits >> 32) * len(thresholds)) >> 32
        return column if (bits & 0xFFFFFFFF) < int(thresholds[column]) else int(aliases[column])


def oracle_train(skipgram, corpus, starts, inp, out, keep, neg_thr, neg_alias, window, negative, alpha0, alpha1, seed):
    """word2vec.c's loop written out in float64 NumPy; returns effective words."""
    rng = SplitMix64(seed)
    part_words = max(starts[-1] - starts[0], 1)
    effective = 0

    def update(hidden, target):
        grad = np.zeros_like(hidden)
        for d in range(negative + 1):
            word, label = (target, 1.0) if d == 0 else (rng.alias_draw(neg_thr, neg_alias), 0.0)
            if d > 0 and word == target:
                continue
            g = (label - 1.0 / (1.0 + math.exp(-float(hidden @ out[word])))) * alpha
            grad += g * out[word]
            out[word] += g * hidden
        return grad

    for s in range(len(starts) - 1):
        kept = []
        for word in corpus[starts[s]:starts[s + 1]]:
            if word >= 0 and (rng.next() >> 32) < int(keep[word]):
                kept.append(int(word))
        effective += len(kept)
        alpha = alpha0 + (alpha1 - alpha0) / part_words * (starts[s] - starts[0])
        for i, centre in enumerate(kept):
            reach = window - rng.next() % window
            context = [j for j in range(max(0, i - reach), min(len(kept), i + reach + 1)) if j != i]
            if skipgram:
                for j in context:
                    inp[kept[j]] += update(inp[kept[j]].copy(), centre)
            elif context:
                grad = update(inp[[kept[j] for j in context]].mean(axis=0), centre)
                for j in context:
                    inp[kept[j]] += grad
    return effective


def make_problem(rng, vocab=12, dim=8, words=300, sentences=4, oov_rate=0.1):
    counts = rng.integers(5, 100, size=vocab)
    corpus = rng.integers(0, vocab, size=words).astype(np.int32)
    corpus[rng.random(words) < oov_rate] = -1
    starts = np.sort(np.r_[0, rng.choice(np.arange(1, words), sentences - 1, replace=False), words]).astype(np.int64)
    inp = ((rng.random((vocab, dim)) - 0.5) / dim).astype(np.float32)
    out = (rng.standard_normal((vocab, dim)) * 0.1).astype(np.float32)
    keep = k.probability_thresholds(k.subsample_keep_probability(counts, 0.05))
    neg_thr, neg_alias = k.unigram_alias_table(counts)
    return counts, corpus, starts, inp, out, keep, neg_thr, neg_alias


@pytest.mark.parametrize("skipgram", [True, False], ids=["skipgram", "cbow"])
def test_kernel_matches_python_oracle(rng, skipgram):
    _, corpus, starts, inp, out, keep, neg_thr, neg_alias = make_problem(rng)
    kernel = k.train_skipgram_part if skipgram else k.train_cbow_part
    inp_k, out_k = inp.copy(), out.copy()
    progress = np.zeros(1, dtype=np.int64)
    effective = kernel(corpus, starts, 0, starts.size - 1, inp_k, out_k, keep, neg_thr, neg_alias, 3, 4,
                       np.float32(0.5), np.float32(0.1), np.uint64(7), progress, 0)
    inp_o, out_o = inp.astype(np.float64), out.astype(np.float64)
    expected = oracle_train(skipgram, corpus, starts, inp_o, out_o, keep, neg_thr, neg_alias, 3, 4, 0.5, 0.1, 7)
    assert effective == expected
    assert progress[0] == corpus.size
    assert not np.allclose(inp_k, inp), "the kernel should have changed the vectors"
    np.testing.assert_allclose(inp_k, inp_o, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out_k, out_o, rtol=1e-4, atol=1e-5)


def test_kernel_trains_only_its_sentence_range(rng):
    _, corpus, starts, inp, out, keep, neg_thr, neg_alias = make_problem(rng, sentences=4)
    before = inp.copy()
    progress = np.zeros(2, dtype=np.int64)
    k.train_skipgram_part(corpus, starts, 2, 4, inp, out, keep, neg_thr, neg_alias, 2, 2,
                          np.float32(0.1), np.float32(0.1), np.uint64(1), progress, 1)
    assert progress.tolist() == [0, starts[4] - starts[2]]
    # Input vectors change only for words of sentences 2 and 3 (the context words trained there).
    outside = np.setdiff1d(np.arange(len(keep)), corpus[starts[2]:starts[4]])
    assert np.array_equal(inp[outside], before[outside])
    assert not np.array_equal(inp, before)


def test_same_seed_same_result_different_seed_different(rng):
    problem = make_problem(rng)
    _, corpus, starts, inp, out, keep, neg_thr, neg_alias = problem
    results = []
    for seed in (3, 3, 4):
        a, b = inp.copy(), out.copy()
        k.train_cbow_part(corpus, starts, 0, starts.size - 1, a, b, keep, neg_thr, neg_alias, 4, 3,
                          np.float32(0.1), np.float32(0.01), np.uint64(seed), np.zeros(1, np.int64), 0)
        results.append(a)
    assert np.array_equal(results[0], results[1])
    assert not np.array_equal(results[0], results[2])


def test_subsample_keep_probability_formula():
    counts = np.array([1_000_000, 10_000, 100, 1])
    t = 1e-3
    f = counts / counts.sum()
    expected = np.minimum((np.sqrt(f / t) + 1) * t / f, 1.0)
    np.testing.assert_allclose(k.subsample_keep_probability(counts, t), expected, rtol=1e-12)
    # The most frequent word (f ~ 0.99) is kept with probability sqrt(t/f) + t/f.
    assert k.subsample_keep_probability(counts, t)[0] == pytest.approx(math.sqrt(t / f[0]) + t / f[0])
    assert np.array_equal(k.subsample_keep_probability(counts, 0.0), np.ones(4))


@pytest.mark.parametrize("sample", [-0.1, 1.0])
def test_subsample_rejects_bad_threshold(sample):
    with pytest.raises(ValueError, match="sample must be in"):
        k.subsample_keep_probability(np.array([1, 2]), sample)


def test_empirical_subsampling_rate_matches_probability():
    counts = np.array([900, 100])
    probability = k.subsample_keep_probability(counts, 0.05)
    assert 0.2 < probability[0] < 0.5 and probability[1] == 1.0
    corpus = np.zeros(200_000, dtype=np.int32)  # word 0 only
    starts = np.arange(0, corpus.size + 1, 1000, dtype=np.int64)
    weights = np.zeros((2, 4), dtype=np.float32)
    thr, alias = k.unigram_alias_table(counts)
    effective = k.train_cbow_part(corpus, starts, 0, starts.size - 1, weights.copy(), weights.copy(),
                                  k.probability_thresholds(probability), thr, alias, 2, 1, np.float32(0.0),
                                  np.float32(0.0), np.uint64(5), np.zeros(1, np.int64), 0)
    sigma = math.sqrt(probability[0] * (1 - probability[0]) / corpus.size)
    assert abs(effective / corpus.size - probability[0]) < 5 * sigma


def test_alias_table_probabilities_equal_unigram_to_the_075():
    counts = np.array([5000, 1200, 300, 300, 40, 7, 1, 0])
    thresholds, aliases = k.unigram_alias_table(counts)
    n = counts.size
    accept = thresholds.astype(np.float64) / 2**32
    implied = accept / n
    np.add.at(implied, aliases, (1 - accept) / n)
    expected = counts**0.75 / (counts**0.75).sum()
    np.testing.assert_allclose(implied, expected, atol=1e-9)
    assert implied[-1] == 0.0


def test_alias_sampler_empirical_distribution():
    counts = np.array([1000, 400, 250, 60, 30, 9, 2, 1])
    thresholds, aliases = k.unigram_alias_table(counts)
    draws = 400_000
    sample = k.sample_alias(thresholds, aliases, draws, np.uint64(11))
    frequency = np.bincount(sample, minlength=counts.size) / draws
    expected = counts**0.75 / (counts**0.75).sum()
    sigma = np.sqrt(expected * (1 - expected) / draws)
    assert np.all(np.abs(frequency - expected) < 5 * sigma)


def test_alias_table_rejects_bad_counts():
    with pytest.raises(ValueError, match="non-empty 1-d"):
        k.unigram_alias_table(np.array([]))
    with pytest.raises(ValueError, match="non-negative"):
        k.unigram_alias_table(np.array([3, -1]))


def test_probability_thresholds_range():
    assert k.probability_thresholds(np.array([0.0, 0.5, 1.0])).tolist() == [0, 2**31, 2**32]
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        k.probability_thresholds(np.array([1.5]))

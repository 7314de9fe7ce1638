import numpy as np
import pytest

import fastgrad
from fastgrad.models.fflm import FixedWindowLM
from fastgrad.models.generation import NgramScorer, RecurrentScorer, WindowScorer, generate, sample_token
from fastgrad.models.ngram import KneserNeyLM
from fastgrad.models.rnnlm import RNNLM


class FixedScores:
    """A scorer that ignores its input: the same scores after every token."""

    def __init__(self, scores):
        self.scores = np.asarray(scores, dtype=np.float64)
        self.fed: list[int] = []

    def feed(self, ids):
        self.fed.extend(ids)
        return self.scores


def test_temperature_zero_is_greedy():
    assert sample_token(np.array([0.1, 3.0, 2.9, -1.0]), temperature=0.0) == 1
    scorer = FixedScores([0.0, 0.5, 2.0])
    assert generate(scorer, [0], 5, temperature=0.0).tolist() == [2] * 5


def test_greedy_ties_pick_lowest_id():
    assert sample_token(np.array([1.0, 5.0, 5.0]), temperature=0.0) == 1


def test_same_seed_same_sample_and_other_seed_differs():
    scores = np.zeros(50)
    first = generate(FixedScores(scores), [0], 30, seed=7)
    again = generate(FixedScores(scores), [0], 30, seed=7)
    other = generate(FixedScores(scores), [0], 30, seed=8)
    assert first.tolist() == again.tolist()
    assert first.tolist() != other.tolist()


def test_top_k_only_draws_the_k_best():
    scores = np.array([5.0, 0.0, 4.0, 0.1, 3.0, -2.0])
    rng = np.random.default_rng(0)
    drawn = {sample_token(scores, temperature=5.0, top_k=3, rng=rng) for _ in range(500)}
    assert drawn == {0, 2, 4}


def test_top_k_with_ties_keeps_exactly_k():
    rng = np.random.default_rng(0)
    drawn = {sample_token(np.zeros(6), top_k=2, rng=rng) for _ in range(200)}
    assert drawn == {0, 1}


def test_sampling_frequencies_follow_softmax_over_temperature():
    scores = np.log(np.array([0.5, 0.3, 0.2]))
    rng = np.random.default_rng(0)
    draws = np.array([sample_token(scores, temperature=0.5, rng=rng) for _ in range(4000)])
    expected = np.array([0.5, 0.3, 0.2]) ** 2 / (np.array([0.5, 0.3, 0.2]) ** 2).sum()  # p^(1/T), T = 0.5
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / len(draws), expected, atol=0.025)


def test_generate_feeds_prompt_then_each_drawn_token():
    scorer = FixedScores([0.0, 1.0, 0.0])
    drawn = generate(scorer, [2, 0], 3, temperature=0.0)
    assert scorer.fed == [2, 0, 1, 1]  # the last drawn token is never fed: nothing follows it
    assert drawn.tolist() == [1, 1, 1]


@pytest.mark.parametrize("kwargs, message", [
    ({"temperature": -1.0}, "temperature"), ({"top_k": 0}, "top_k"), ({"top_k": 4}, "top_k")])
def test_bad_sampling_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_token(np.zeros(3), **kwargs)


def test_empty_prompt_is_rejected():
    with pytest.raises(ValueError, match="prompt"):
        generate(FixedScores([0.0]), [], 3)


def test_ngram_scorer_uses_the_model_distribution():
    ids = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 3])
    model = KneserNeyLM(order=2).fit(ids, vocab_size=4)
    scores = NgramScorer(model).feed([0, 1])
    np.testing.assert_allclose(np.exp(scores), model.distribution([1]))
    assert generate(NgramScorer(model), [0], 4, temperature=0.0).tolist() == [1, 2, 0, 1]


def test_window_scorer_pads_with_the_given_id_and_slides():
    fastgrad.manual_seed(0)
    model = FixedWindowLM(vocab_size=7, context_size=3, embedding_dim=4, hidden_size=5).eval()
    scorer = WindowScorer(model, pad_id=6)
    scores = scorer.feed([2])
    with fastgrad.no_grad():
        expected = model(fastgrad.tensor(np.array([[6, 6, 2]]))).numpy()[0]
    np.testing.assert_allclose(scores, expected, rtol=1e-6)
    scorer.feed([3, 4, 5])
    assert scorer.window == [3, 4, 5]


def test_recurrent_scorer_matches_running_the_whole_history_at_once():
    fastgrad.manual_seed(0)
    model = RNNLM(vocab_size=9, embedding_dim=4, hidden_size=6).eval()
    scorer = RecurrentScorer(model)
    scorer.feed([1, 2])
    step_by_step = scorer.feed([3])
    with fastgrad.no_grad():
        logits, _ = model(fastgrad.tensor(np.array([[1], [2], [3]])), model.init_hidden(1))
    np.testing.assert_allclose(step_by_step, logits.numpy()[-1, 0], rtol=1e-5, atol=1e-6)


def test_generation_from_a_neural_model_is_reproducible():
    fastgrad.manual_seed(0)
    model = RNNLM(vocab_size=30, embedding_dim=8, hidden_size=8).eval()
    first = generate(RecurrentScorer(model), [1], 12, temperature=1.0, top_k=5, seed=3)
    again = generate(RecurrentScorer(model), [1], 12, temperature=1.0, top_k=5, seed=3)
    assert first.tolist() == again.tolist()
    greedy = generate(RecurrentScorer(model), [1], 12, temperature=0.0, seed=3)
    other_seed = generate(RecurrentScorer(model), [1], 12, temperature=0.0, seed=4)
    assert greedy.tolist() == other_seed.tolist()

import numpy as np
import pytest

import fastgrad
from fastgrad.models.window_ner import (CAPS_PATTERNS, WindowTagger, caps_pattern, normalize_word, sentence_windows,
                                        windows)
from fastgrad import optim
from fastgrad.nn import functional as F

L, R = 90, 91  # pad ids used in these tests


def test_windows_pad_both_edges():
    assert windows(np.array([1, 2, 3]), 2, L, R).tolist() == [
        [L, L, 1, 2, 3],
        [L, 1, 2, 3, R],
        [1, 2, 3, R, R],
    ]


def test_window_wider_than_the_sentence_and_window_zero():
    assert windows(np.array([7]), 2, L, R).tolist() == [[L, L, 7, R, R]]
    assert windows(np.array([4, 5]), 0, L, R).tolist() == [[4], [5]]
    with pytest.raises(ValueError, match="window"):
        windows(np.array([1]), -1, L, R)


def test_sentence_windows_never_cross_sentence_boundaries():
    stacked = sentence_windows([np.array([1, 2]), np.array([3])], 1, L, R)
    assert stacked.tolist() == [[L, 1, 2], [1, 2, R], [L, 3, R]]
    assert sentence_windows([], 1, L, R).shape == (0, 3)


@pytest.mark.parametrize("token, pattern", [
    ("paris", "lower"), ("NATO", "upper"), ("U.S.", "upper"), ("Paris", "title"), ("New-York", "title"),
    ("McDonald", "mixed"), ("iPhone", "mixed"), ("1996", "nocase"), (",", "nocase"),
])
def test_caps_patterns(token, pattern):
    assert CAPS_PATTERNS[caps_pattern(token)] == pattern


def test_normalize_word_lowercases_and_maps_digits():
    assert normalize_word("Paris") == "paris"
    assert normalize_word("12-3.5") == "00-0.0"


def test_tagger_scores_are_the_formula():
    """scores = W2 tanh(W1 [e(w_-1); e(w_0); e(w_1); c(w_-1); c(w_0); c(w_1)] + b1) + b2"""
    fastgrad.manual_seed(1)
    model = WindowTagger(vocab_size=10, num_tags=4, window=1, dim=3, hidden=5, caps_dim=2).eval()
    word_windows = np.array([[8, 1, 2], [1, 2, 9]])
    caps_windows = np.array([[5, 0, 1], [0, 1, 5]])
    scores = model(word_windows, caps_windows).detach().numpy()
    words, caps = model.words.weight.detach().numpy(), model.caps.weight.detach().numpy()
    features = np.concatenate([words[word_windows].reshape(2, -1), caps[caps_windows].reshape(2, -1)], axis=1)
    hidden = np.tanh(features @ model.hidden.weight.detach().numpy().T + model.hidden.bias.detach().numpy())
    expected = hidden @ model.output.weight.detach().numpy().T + model.output.bias.detach().numpy()
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)


def test_tagger_shapes_and_argument_errors():
    model = WindowTagger(vocab_size=10, num_tags=3, window=2, dim=4, hidden=6, activation="relu")
    assert model.hidden.weight.shape == (6, 20)
    assert model(np.zeros((7, 5), dtype=np.int64)).shape == (7, 3)
    with pytest.raises(ValueError, match="activation"):
        WindowTagger(10, 3, activation="sigmoid")
    with_caps = WindowTagger(vocab_size=10, num_tags=3, caps_dim=2)
    with pytest.raises(ValueError, match="caps_windows"):
        with_caps(np.zeros((1, 5), dtype=np.int64))
    with pytest.raises(IndexError, match="10"):
        model(np.full((1, 5), 10))


def _location_data(rng, sentences):
    """Word 2 ("in") is followed by a location (words 3-7); everything else is O, so a window of 1 on the
    left is enough to tag. Other words are 8-29. Tags: 0 = O, 1 = LOC."""
    tokens, tags = [], []
    for _ in range(sentences):
        length = rng.integers(5, 12)
        words = rng.integers(8, 30, size=length)
        labels = np.zeros(length, dtype=np.int64)
        where = rng.integers(0, length - 1)
        words[where], words[where + 1] = 2, rng.integers(3, 8)
        labels[where + 1] = 1
        tokens.append(words)
        tags.append(labels)
    return sentence_windows(tokens, 1, 0, 1), np.concatenate(tags)


def test_tagger_learns_locations_better_than_all_o(rng):
    fastgrad.manual_seed(0)
    train_x, train_y = _location_data(rng, 300)
    test_x, test_y = _location_data(rng, 100)
    model = WindowTagger(vocab_size=30, num_tags=2, window=1, dim=8, hidden=16)
    optimizer = optim.Adagrad(model.parameters(), lr=0.1)
    order = np.random.default_rng(0).permutation(len(train_y))
    for _ in range(3):
        for start in range(0, len(order), 32):
            batch = order[start:start + 32]
            optimizer.zero_grad()
            F.cross_entropy(model(train_x[batch]), fastgrad.tensor(train_y[batch])).backward()
            optimizer.step()
    predicted = model.eval()(test_x).detach().numpy().argmax(axis=1)
    found = predicted == 1
    recall = (found & (test_y == 1)).sum() / (test_y == 1).sum()
    precision = (found & (test_y == 1)).sum() / max(found.sum(), 1)
    assert recall > 0.9 and precision > 0.9  # the all-O baseline finds none

import numpy as np
import pytest

import fastgrad
from fastgrad.models.nbow import DAN, NBOW, drop_words, pack_bags
from fastgrad import optim
from fastgrad.nn import functional as F


def test_pack_bags_concatenates_and_marks_starts():
    ids, offsets = pack_bags([np.array([4, 5, 6]), np.array([7]), np.array([8, 9])])
    assert ids.tolist() == [4, 5, 6, 7, 8, 9]
    assert offsets.tolist() == [0, 3, 4]
    assert ids.dtype == offsets.dtype == np.int64


def _bags(ids, offsets):
    ends = np.append(offsets[1:], ids.size)
    return [ids[start:end].tolist() for start, end in zip(offsets, ends)]


def test_drop_words_keeps_bag_membership_and_order(rng):
    sentences = [np.arange(100 * b, 100 * b + n) for b, n in enumerate([30, 1, 45, 12])]
    ids, offsets = pack_bags(sentences)
    kept_ids, kept_offsets = drop_words(ids, offsets, 0.4, rng)
    assert kept_offsets.size == offsets.size
    for original, kept in zip(sentences, _bags(kept_ids, kept_offsets)):
        assert set(kept) <= set(original.tolist())
        assert kept == sorted(kept)  # surviving tokens stay in order, inside their own bag


def test_drop_words_rate_and_extremes(rng):
    ids, offsets = pack_bags([np.arange(10_000)])
    kept, _ = drop_words(ids, offsets, 0.3, rng)
    assert abs(kept.size / ids.size - 0.7) < 0.02
    same_ids, same_offsets = drop_words(ids, offsets, 0.0, rng)
    assert np.array_equal(same_ids, ids) and np.array_equal(same_offsets, offsets)


def test_nbow_is_the_mean_embedding_through_one_linear_layer():
    fastgrad.manual_seed(3)
    model = NBOW(vocab_size=12, num_classes=3, dim=5).eval()
    assert len(model.hidden) == 0
    ids, offsets = pack_bags([np.array([1, 2, 2]), np.array([7])])
    scores = model(ids, offsets).detach().numpy()
    table = model.embedding.weight.detach().numpy()
    weight, bias = model.output.weight.detach().numpy(), model.output.bias.detach().numpy()
    expected = np.stack([table[[1, 2, 2]].mean(axis=0), table[7]]) @ weight.T + bias
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)


def test_dan_layers_and_shapes():
    model = DAN(vocab_size=30, num_classes=5, dim=8, hidden=6, layers=3, dropout=0.5, word_dropout=0.3)
    assert [layer.weight.shape for layer in model.hidden] == [(6, 8), (6, 6), (6, 6)]
    assert model.output.weight.shape == (5, 6)
    ids, offsets = pack_bags([np.array([1, 2, 3]), np.array([4]), np.array([5, 6])])
    assert model(ids, offsets).shape == (3, 5)
    model.eval()  # no dropout of either kind: the same input gives the same scores
    np.testing.assert_array_equal(model(ids, offsets).detach().numpy(), model(ids, offsets).detach().numpy())


def test_dan_gradients_are_sparse_on_the_embedding_rows_used():
    model = DAN(vocab_size=50, num_classes=2, dim=4, hidden=4, layers=1)
    ids, offsets = pack_bags([np.array([3, 9]), np.array([9, 11])])
    F.cross_entropy(model(ids, offsets), fastgrad.tensor([0, 1])).backward()
    grad = model.embedding.weight.grad
    assert grad.is_sparse
    assert sorted(set(grad.coalesce().rows.tolist())) == [3, 9, 11]


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="layers"):
        DAN(10, 2, layers=-1)
    with pytest.raises(ValueError, match="word_dropout"):
        DAN(10, 2, word_dropout=1.0)
    model = NBOW(10, 2, dim=3)
    with pytest.raises(IndexError, match="10"):
        model(np.array([1, 10]), np.array([0]))


def _polarity_data(rng, count):
    """Sentences over 40 words: words 2-11 lean positive, 12-21 negative, the rest are noise; 65% positive."""
    labels = (rng.random(count) < 0.65).astype(np.int64)
    sentences = []
    for label in labels:
        length = rng.integers(4, 12)
        cues = rng.integers(2, 12, size=2) + (0 if label else 10)
        sentences.append(np.concatenate([cues, rng.integers(22, 40, size=length)]))
    return sentences, labels


def test_dan_learns_a_synthetic_polarity_task_better_than_the_majority_class(rng):
    fastgrad.manual_seed(0)
    train_x, train_y = _polarity_data(rng, 400)
    test_x, test_y = _polarity_data(rng, 200)
    model = DAN(vocab_size=40, num_classes=2, dim=16, hidden=16, layers=1, word_dropout=0.2)
    optimizer = optim.Adagrad(model.parameters(), lr=0.1)
    for _ in range(5):
        model.train()
        for start in range(0, 400, 20):
            optimizer.zero_grad()
            ids, offsets = pack_bags(train_x[start:start + 20])
            F.cross_entropy(model(ids, offsets), fastgrad.tensor(train_y[start:start + 20])).backward()
            optimizer.step()
    model.eval()
    ids, offsets = pack_bags(test_x)
    accuracy = float((model(ids, offsets).detach().numpy().argmax(axis=1) == test_y).mean())
    majority = max(test_y.mean(), 1 - test_y.mean())
    assert accuracy > majority + 0.2

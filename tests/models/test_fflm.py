import math

import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import optim
from fastgrad.models.fflm import FixedWindowLM, context_windows, evaluate, train_epoch


def test_context_windows_pad_the_start_and_align_with_targets():
    windows = context_windows(np.array([5, 6, 7, 8]), context_size=3, pad_id=0)
    assert windows.tolist() == [[0, 0, 5], [0, 5, 6], [5, 6, 7]]  # predict 6, 7, 8


def test_forward_concatenates_the_window_embeddings():
    fastgrad.manual_seed(0)
    model = FixedWindowLM(vocab_size=9, context_size=2, embedding_dim=3, hidden_size=4).eval()
    ids = np.array([[1, 7], [4, 4]])
    table = model.embedding.weight.detach().numpy()
    x = np.concatenate([table[ids[:, 0]], table[ids[:, 1]]], axis=1)
    hidden = np.tanh(x @ model.hidden.weight.detach().numpy().T + model.hidden.bias.detach().numpy())
    expected = hidden @ model.output.weight.detach().numpy().T + model.output.bias.detach().numpy()
    with fastgrad.no_grad():
        np.testing.assert_allclose(model(fastgrad.tensor(ids)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("tied", [False, True])
def test_fflm_gradient_matches_central_differences(tied):
    fastgrad.manual_seed(0)
    model = FixedWindowLM(vocab_size=6, context_size=2, embedding_dim=3, hidden_size=3, tie_weights=tied).double()
    windows, targets = np.array([[0, 1], [2, 2], [5, 3]]), fastgrad.tensor([4, 0, 1])
    assert fastgrad.gradcheck(lambda *p: F.cross_entropy(model(fastgrad.tensor(windows)), targets),
                              list(model.parameters()))


@pytest.mark.parametrize("tied", [False, True])
def test_fused_loss_matches_the_output_layer_and_cross_entropy(tied):
    """train_epoch trains on model.loss (output layer and cross-entropy as one op): same loss and gradients."""
    fastgrad.manual_seed(0)
    model = FixedWindowLM(vocab_size=6, context_size=2, embedding_dim=3, hidden_size=3, tie_weights=tied).double()
    windows, targets = fastgrad.tensor(np.array([[0, 1], [2, 2], [5, 3]])), fastgrad.tensor([4, 0, 1])
    results = []
    for loss_fn in (lambda: model.loss(windows, targets), lambda: F.cross_entropy(model(windows), targets)):
        model.zero_grad()
        loss = loss_fn()
        loss.backward()
        results.append([loss.item()] + [p.grad.numpy().copy() for p in model.parameters()])
    for fused, unfused in zip(*results):
        np.testing.assert_allclose(fused, unfused, rtol=1e-10, atol=1e-14)


def test_evaluate_matches_the_mean_loss():
    fastgrad.manual_seed(0)
    model = FixedWindowLM(vocab_size=8, context_size=2, embedding_dim=3, hidden_size=4)
    ids = np.random.default_rng(0).integers(0, 8, 30)
    total, count = evaluate(model, ids, pad_id=0, batch_size=7)
    assert count == 29
    with fastgrad.no_grad():
        windows = fastgrad.tensor(context_windows(ids, 2, 0).copy())
        mean = F.cross_entropy(model(windows), fastgrad.tensor(ids[1:])).item()
    assert total / count == pytest.approx(mean, rel=1e-5)


def test_progress_shows_the_running_mean_that_ends_at_the_epoch_loss(loss_recorder):
    """It showed the last batch's loss, so the epoch ended on a number other than its train loss."""
    fastgrad.manual_seed(0)
    model = FixedWindowLM(vocab_size=8, context_size=2, embedding_dim=3, hidden_size=4)
    ids = np.random.default_rng(0).integers(0, 8, 30)
    mean = train_epoch(model, ids, 0, optim.SGD(model.parameters(), lr=0.0), batch_size=7,
                       rng=np.random.default_rng(0), progress=loss_recorder)
    total, count = evaluate(model, ids, pad_id=0)
    assert mean == pytest.approx(total / count, rel=1e-5)  # lr 0: the batches' weighted mean is the whole loss
    assert loss_recorder.losses[-1] == pytest.approx(mean, rel=1e-12)


def test_bad_window_shape_and_ids():
    model = FixedWindowLM(vocab_size=8, context_size=2, embedding_dim=3, hidden_size=4)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        model(fastgrad.tensor(np.zeros((4, 3), dtype=np.int64)))
    with pytest.raises(IndexError, match="8"):
        model(fastgrad.tensor(np.array([[0, 8]])))


def test_short_training_beats_the_unigram_baseline():
    # the next word is one more than the word two back (mod 16) most of the time: a rule no bigram model
    # can follow. (Modular addition of both words is a poor test: from a small init it sits on a plateau
    # for a varying number of epochs before it is learned.)
    rng = np.random.default_rng(0)
    ids = [0, 1]
    for noise in rng.random(5000):
        ids.append((ids[-2] + 1) % 16 if noise < 0.85 else int(rng.integers(16)))
    ids = np.array(ids)
    train, valid = ids[:4000], ids[4000:]
    unigram = np.bincount(train, minlength=16) / len(train)
    unigram_ppl = math.exp(-np.log(unigram[valid[1:]]).mean())
    fastgrad.manual_seed(0)
    model = FixedWindowLM(vocab_size=16, context_size=2, embedding_dim=8, hidden_size=32)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(5):
        train_epoch(model, train, 0, optimizer, batch_size=32, rng=np.random.default_rng(0))
    ppl = math.exp(evaluate(model, valid, 0)[0] / (len(valid) - 1))
    assert ppl < 0.25 * unigram_ppl  # unigram is about 16, the rule allows about 2.2


@pytest.mark.parametrize("tied", [False, True])
def test_initial_loss_is_close_to_uniform(tied):
    # small word matrices: an untrained model predicts nearly uniformly, so training starts near log(V)
    fastgrad.manual_seed(0)
    model = FixedWindowLM(vocab_size=1000, context_size=3, embedding_dim=64, hidden_size=64, tie_weights=tied)
    ids = np.random.default_rng(0).integers(1000, size=(512, 4))
    loss = F.cross_entropy(model(fastgrad.from_numpy(ids[:, :3])), fastgrad.tensor(ids[:, 3])).item()
    assert abs(loss - math.log(1000)) < 0.1

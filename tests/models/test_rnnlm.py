import math

import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import optim
from fastgrad.data.lm_corpus import batchify
from fastgrad import nn
from fastgrad.models.rnnlm import RNNLM, TruncatedBPTT, evaluate, state_tensors

CELLS = ["rnn", "lstm", "gru"]


class RecordingOptimizer:
    """Keeps a copy of every gradient it is asked to apply and changes nothing."""

    def __init__(self, params):
        self.params = list(params)
        self.param_groups = [{"params": self.params, "lr": 0.0}]
        self.grads: list[list[np.ndarray]] = []

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        self.grads.append([p.grad.numpy().copy() for p in self.params])


def tiny_model(seed=0, **kwargs):
    fastgrad.manual_seed(seed)
    return RNNLM(vocab_size=kwargs.pop("vocab_size", 11), embedding_dim=kwargs.pop("embedding_dim", 5),
                 hidden_size=kwargs.pop("hidden_size", 5), **kwargs)


def stream(length=80, vocab_size=11, seed=0):
    return np.random.default_rng(seed).integers(0, vocab_size, length)


@pytest.mark.parametrize("cell", CELLS)
def test_hidden_state_is_carried_between_segments(cell):
    model = tiny_model(cell=cell, num_layers=2)
    ids = stream()
    run = TruncatedBPTT(model, RecordingOptimizer(model.parameters()), ids, batch_size=2, bptt=5, clip=None)
    run.step()
    run.step()
    batched = batchify(ids, 2)
    with fastgrad.no_grad():  # ten steps at once from a zero state reach the same hidden state
        _, expected = model.eval()(fastgrad.from_numpy(batched[:10]), model.init_hidden(2))
    assert len(state_tensors(run.hidden)) == (2 if cell == "lstm" else 1)
    for carried, reference in zip(state_tensors(run.hidden), state_tensors(expected)):
        np.testing.assert_allclose(carried.detach().numpy(), reference.detach().numpy(), rtol=1e-5, atol=1e-6)
        assert carried.is_leaf and not carried.requires_grad


@pytest.mark.parametrize("cell", CELLS)
def test_gradients_stop_at_the_segment_boundary(cell):
    model = tiny_model(cell=cell)
    ids = stream()
    optimizer = RecordingOptimizer(model.parameters())
    run = TruncatedBPTT(model, optimizer, ids, batch_size=2, bptt=5, clip=None)
    run.step()
    carried = tuple(fastgrad.from_numpy(t.detach().numpy().copy()) for t in state_tensors(run.hidden))
    run.step()
    # the second segment's gradient is that of a fresh graph starting from the carried state as a constant
    batched = batchify(ids, 2)
    model.zero_grad()
    logits, _ = model(fastgrad.from_numpy(batched[5:10]), carried if cell == "lstm" else carried[0])
    F.cross_entropy(logits.reshape(-1, 11), fastgrad.from_numpy(batched[6:11].reshape(-1))).backward()
    for recorded, param in zip(optimizer.grads[1], model.parameters()):
        np.testing.assert_allclose(recorded, param.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_epoch_end_resets_the_hidden_state_and_counts_tokens():
    model = tiny_model()
    ids = stream(41)  # batch 2 -> 20 steps per stream, 19 predictions each
    run = TruncatedBPTT(model, RecordingOptimizer(model.parameters()), ids, batch_size=2, bptt=7, clip=None)
    assert run.tokens_per_epoch == 38
    tokens = [run.step()[1] for _ in range(3)]
    assert tokens == [14, 14, 10]  # segments of 7, 7 and the remaining 5 steps
    assert run.epoch == 1 and run.segment == 0
    assert not run.hidden.detach().numpy().any()


def test_progress_shows_the_running_mean_that_ends_at_the_epoch_loss(loss_recorder):
    """It showed the last segment's loss, so the epoch ended on a number other than its train loss."""
    model = tiny_model()
    run = TruncatedBPTT(model, optim.SGD(model.parameters(), lr=0.0), stream(41), batch_size=2, bptt=7, clip=None)
    mean = run.run_epoch(loss_recorder)
    assert len(loss_recorder.losses) == 3  # segments of 14, 14 and 10 tokens
    assert loss_recorder.losses[-1] == pytest.approx(mean, rel=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_state_dict_resumes_exactly(cell):
    ids = stream(200)

    def make():
        model = tiny_model(dropout=0.3, cell=cell, num_layers=2)
        return TruncatedBPTT(model, RecordingOptimizer(model.parameters()), ids, batch_size=3, bptt=4, clip=1.0)

    straight = make()
    straight.step()
    saved, rng_state = straight.state_dict(), fastgrad.get_rng_state()
    later = [straight.step()[0] for _ in range(3)]

    resumed = make()
    resumed.load_state_dict(saved)
    fastgrad.set_rng_state(rng_state)  # dropout masks come from fastgrad's generator
    assert [resumed.step()[0] for _ in range(3)] == later


def test_load_state_dict_checks_the_hidden_shape():
    model = tiny_model()
    run = TruncatedBPTT(model, RecordingOptimizer(model.parameters()), stream(), batch_size=2, bptt=5)
    with pytest.raises(ValueError, match="hidden"):
        run.load_state_dict({"epoch": 0, "segment": 0, "hidden": np.zeros((1, 3, 5))})


@pytest.mark.parametrize("tied, cell, layers", [(False, "rnn", 1), (True, "rnn", 1), (True, "lstm", 2),
                                               (False, "gru", 2)])
def test_rnnlm_gradient_matches_central_differences(tied, cell, layers):
    model = tiny_model(vocab_size=6, embedding_dim=4, hidden_size=4, tie_weights=tied, cell=cell,
                       num_layers=layers).double()
    ids = stream(13, vocab_size=6).reshape(-1)
    inputs, targets = ids[:12].reshape(4, 3), ids[1:13].reshape(4, 3)
    rng = np.random.default_rng(1)
    state_count = 2 if cell == "lstm" else 1
    states = tuple(fastgrad.from_numpy(rng.uniform(-0.5, 0.5, (layers, 3, 4))) for _ in range(state_count))
    hidden = states if cell == "lstm" else states[0]

    def loss(*params):
        logits, last = model(fastgrad.from_numpy(inputs), hidden)
        return (F.cross_entropy(logits.reshape(-1, 6), fastgrad.from_numpy(targets.reshape(-1))),) + state_tensors(last)

    assert fastgrad.gradcheck(loss, list(model.parameters()))


@pytest.mark.parametrize("tied", [False, True])
def test_fused_loss_matches_the_decoder_and_cross_entropy(tied):
    """TruncatedBPTT trains on model.loss (decoder and cross-entropy as one op): same loss and gradients."""
    model = tiny_model(tie_weights=tied, dropout=0.0).double()
    ids = stream(31)
    inputs, targets = ids[:30].reshape(6, 5), ids[1:31].reshape(6, 5)
    results = []
    for fused in (True, False):
        model.zero_grad()
        if fused:
            loss, _ = model.loss(fastgrad.from_numpy(inputs), model.init_hidden(5), targets)
        else:
            logits, _ = model(fastgrad.from_numpy(inputs), model.init_hidden(5))
            loss = F.cross_entropy(logits.reshape(-1, 11), fastgrad.from_numpy(targets.reshape(-1)))
        loss.backward()
        results.append([loss.item()] + [p.grad.numpy().copy() for p in model.parameters()])
    for fused, unfused in zip(*results):
        np.testing.assert_allclose(fused, unfused, rtol=1e-10, atol=1e-14)


def test_evaluate_scores_every_token_but_the_first():
    model = tiny_model()
    ids = stream(50)
    total, count = evaluate(model, ids, batch_size=1, bptt=7)
    assert count == 49
    with fastgrad.no_grad():
        logits, _ = model(fastgrad.from_numpy(ids[:-1].reshape(-1, 1)), model.init_hidden(1))
        expected = F.cross_entropy(logits.reshape(-1, 11), fastgrad.from_numpy(ids[1:]), reduction="sum").item()
    assert total == pytest.approx(expected, rel=1e-5)


def test_cells_layers_and_init_range_reach_the_recurrent_module():
    lstm = tiny_model(cell="lstm", num_layers=2, init_range=0.3, hidden_size=40)
    assert isinstance(lstm.rnn, nn.LSTM) and lstm.rnn.num_layers == 2
    values = np.concatenate([p.detach().numpy().reshape(-1) for p in lstm.rnn.parameters()])
    assert 0.28 < np.abs(values).max() <= 0.3  # U(-0.3, 0.3), wider than PyTorch's 1/sqrt(40) = 0.16
    gru = tiny_model(cell="gru", hidden_size=40)
    assert isinstance(gru.rnn, nn.GRU) and np.abs(np.concatenate(
        [p.detach().numpy().reshape(-1) for p in gru.rnn.parameters()])).max() <= 1 / np.sqrt(40)
    h, c = lstm.init_hidden(3)
    assert h.shape == c.shape == (2, 3, 40) and not h.detach().numpy().any()
    with pytest.raises(ValueError, match="cell must be one of rnn, lstm, gru, got 'elman'"):
        tiny_model(cell="elman")


def test_dropout_between_layers_only_with_several_layers():
    assert tiny_model(dropout=0.5, cell="lstm", num_layers=2).rnn.dropout == 0.5
    assert tiny_model(dropout=0.5, cell="lstm").rnn.dropout == 0.0  # one layer: nothing between layers


def test_shape_errors_name_the_argument():
    model = tiny_model()
    with pytest.raises(ValueError, match="hidden"):
        model(fastgrad.tensor(np.zeros((3, 2), dtype=np.int64)), model.init_hidden(4))
    with pytest.raises(ValueError, match="ids"):
        model(fastgrad.tensor(np.zeros(3, dtype=np.int64)), model.init_hidden(1))
    with pytest.raises(IndexError, match="11"):
        model(fastgrad.tensor(np.full((2, 1), 11)), model.init_hidden(1))
    with pytest.raises(ValueError, match="tie_weights"):
        RNNLM(10, embedding_dim=4, hidden_size=5, tie_weights=True)
    lstm = tiny_model(cell="lstm")
    with pytest.raises(ValueError, match=r"hidden must have a pair \(h, c\) of tensors of shape \(1, 2, 5\)"):
        lstm(fastgrad.tensor(np.zeros((3, 2), dtype=np.int64)), lstm.init_hidden(2)[0])


def test_short_training_beats_the_unigram_baseline():
    # a corpus with structure: after word w comes w + 1 (mod 20) most of the time
    rng = np.random.default_rng(0)
    ids = np.cumsum(np.where(rng.random(6000) < 0.8, 1, rng.integers(0, 20, 6000))) % 20
    train, valid = ids[:5000], ids[5000:]
    unigram = np.bincount(train, minlength=20) / len(train)
    unigram_ppl = math.exp(-np.log(unigram[valid[1:]]).mean())
    model = tiny_model(vocab_size=20, embedding_dim=16, hidden_size=16)
    run = TruncatedBPTT(model, optim.SGD(model.parameters(), lr=1.0), train, batch_size=10, bptt=10,
                        clip=1.0)
    before = math.exp(evaluate(model, valid)[0] / (len(valid) - 1))
    for _ in range(3):
        run.run_epoch()
    after = math.exp(evaluate(model, valid)[0] / (len(valid) - 1))
    assert before > 15
    assert after < 0.5 * unigram_ppl  # the best possible here is about 2.2; unigram is about 20


def test_a_shard_trains_its_contiguous_streams_and_checks_its_arguments():
    ids = np.arange(120) % 7
    model = RNNLM(7, embedding_dim=4, hidden_size=4)
    optimizer = fastgrad.optim.SGD(model.parameters(), lr=0.1)
    whole = TruncatedBPTT(model, optimizer, ids, batch_size=4, bptt=5, clip=None)
    second = TruncatedBPTT(model, optimizer, ids, batch_size=4, bptt=5, clip=None, shard=(1, 2))
    np.testing.assert_array_equal(second.batched, whole.batched[:, 2:4])
    assert second.tokens_per_epoch == whole.tokens_per_epoch  # counted for all ranks together
    with pytest.raises(ValueError, match=r"world_size dividing batch_size 4, got \(0, 3\)"):
        TruncatedBPTT(model, optimizer, ids, batch_size=4, bptt=5, shard=(0, 3))
    with pytest.raises(ValueError, match=r"0 <= rank < world_size .*got \(2, 2\)"):
        TruncatedBPTT(model, optimizer, ids, batch_size=4, bptt=5, shard=(2, 2))

"""A diverging run stops with a clear message and a non-zero exit, and never writes non-finite weights:
not as the best model, not as the state to resume from, and never over a finite best."""
import json

import numpy as np
import pytest

import fastgrad
from fastgrad.cli import EXIT_DIVERGED
from fastgrad.train.directory import model_files

RNN = ["--embedding-dim", "8", "--hidden", "8", "--batch-size", "4", "--bptt", "5", "--threads", "1"]


@pytest.fixture
def lm_files(tmp_path):
    rng = np.random.default_rng(0)
    words = ["the", "a", "cat", "dog", "sat", "ran", "on", "to", "mat", "log"]
    paths = {}
    for split, lines in (("train", 150), ("valid", 20), ("test", 20)):
        paths[split] = tmp_path / f"{split}.txt"
        paths[split].write_text("".join(" ".join(rng.choice(words, size=6)) + "\n" for _ in range(lines)))
    return ["--train", paths["train"], "--valid", paths["valid"], "--test", paths["test"]]


@pytest.fixture
def sentiment(tmp_path):
    rng = np.random.default_rng(0)
    lines = [f"{i % 2} " + " ".join(rng.choice(["good", "bad", "film", "plot", "the", "dull"], size=5))
             for i in range(100)]
    path = tmp_path / "sst.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def all_finite(directory):
    files = model_files(directory)
    weights = fastgrad.load(files / "model.npz")
    resume = fastgrad.load(files / "resume.npz")["task"]["model"]
    return all(np.isfinite(np.asarray(v)).all() for state in (weights, resume) for v in state.values())


def test_a_huge_learning_rate_stops_the_classifier_and_writes_nothing(cli, sentiment, tmp_path):
    out = tmp_path / "nbow"
    result = cli("train", "nbow", "--train", sentiment, "--dev", sentiment, "--lr", "1e30", "--optimizer", "sgd",
                 "--dim", "8", "--hidden", "8", "--epochs", "3", "--threads", "1", "--out", out)
    assert result.code == EXIT_DIVERGED
    line = result.err.strip().splitlines()[-1]
    assert line.startswith("fastgrad: epoch 1 diverged: ") and "try a smaller --lr" in line
    assert "no epoch finished, so nothing of this run was saved" in line
    assert not (out / "current").exists()


def test_divergence_never_replaces_a_finite_best(cli, lm_files, tmp_path):
    out = tmp_path / "rnn"
    assert cli("train", "rnnlm", *lm_files, *RNN, "--epochs", "1", "--out", out).code == 0
    before = {name: np.asarray(v).copy() for name, v in fastgrad.load(model_files(out) / "model.npz").items()}
    best_before = json.loads((model_files(out) / "config.json").read_text())["valid"]
    # continuing with gradient steps of 1e30 (clipping off) sends the weights to infinity in the first step
    result = cli("train", "rnnlm", *lm_files, *RNN, "--epochs", "3", "--out", out, "--resume", "--lr", "1e30",
                 "--clip", "0")
    assert result.code == EXIT_DIVERGED
    assert "epoch 2 diverged" in result.err and "best model (epoch 1)" in result.err
    after = fastgrad.load(model_files(out) / "model.npz")
    for name, value in before.items():
        np.testing.assert_array_equal(np.asarray(after[name]), value)
    assert json.loads((model_files(out) / "config.json").read_text())["valid"] == best_before
    assert all_finite(out)


def test_non_finite_parameters_with_a_finite_loss_stop_the_run(cli, lm_files, tmp_path, monkeypatch):
    """The last step of an epoch can overflow a weight after its loss was computed."""
    from fastgrad.models import fflm

    real = fflm.train_epoch

    def overflowing(model, *args, **kwargs):
        loss = real(model, *args, **kwargs)
        with fastgrad.no_grad():
            model.hidden.bias.data[0] = np.inf
        return loss

    monkeypatch.setattr(fflm, "train_epoch", overflowing)
    out = tmp_path / "fflm"
    result = cli("train", "fflm", *lm_files, "--context", "2", "--embedding-dim", "4", "--hidden", "4", "--epochs", "2",
                 "--threads", "1", "--out", out)
    assert result.code == EXIT_DIVERGED and "parameter hidden.bias holds NaN or infinite values" in result.err
    assert not (out / "current").exists()


def test_the_python_entry_point_raises_training_diverged(sentiment):
    with pytest.raises(fastgrad.train.TrainingDiverged, match="diverged"):
        fastgrad.train.nbow(train=sentiment, dev=sentiment, lr=1e30, optimizer="sgd", dim=8, hidden=8, epochs=2,
                            threads=1)

"""A model directory changes in one atomic step (weights, vocabulary and config together), an interrupted run
never breaks the model that was there, and the next run cleans what a killed one left."""
import fcntl
import json
import os

import numpy as np
import pytest

from fastgrad.cli import EXIT_INTERRUPTED, EXIT_MODEL_DIR, EXIT_OS
from fastgrad.data.vocab import Vocab
from fastgrad.models import rnnlm
from fastgrad.train.directory import CURRENT, model_files

RNN = ["--embedding-dim", "6", "--hidden", "6", "--batch-size", "4", "--bptt", "5", "--threads", "1"]


def corpus(tmp_path, name, words, seed):
    rng = np.random.default_rng(seed)
    paths = {}
    for split, lines in (("train", 120), ("valid", 20), ("test", 20)):
        paths[split] = tmp_path / f"{name}.{split}.txt"
        paths[split].write_text("".join(" ".join(rng.choice(words, size=6)) + "\n" for _ in range(lines)))
    return ["--train", paths["train"], "--valid", paths["valid"], "--test", paths["test"]], paths["test"]


@pytest.fixture
def first(tmp_path):
    return corpus(tmp_path, "first", ["the", "a", "cat", "dog", "sat", "ran", "on", "mat"], 0)


@pytest.fixture
def second(tmp_path):  # another text, with another vocabulary
    return corpus(tmp_path, "second", ["x", "y", "z", "w", "q", "r", "s", "t", "u", "v", "k", "m"], 1)


def perplexity(cli, out, test_file):
    result = cli("eval", out, test_file)
    assert result.code == 0, result.err
    return json.loads(result.out)["perplexity"]


def interrupt_epoch(monkeypatch, at_epoch):
    """Ctrl-C during the given epoch of the next run."""
    real, calls = rnnlm.TruncatedBPTT.run_epoch, []

    def run_epoch(self, progress=None):
        calls.append(1)
        if len(calls) == at_epoch:
            raise KeyboardInterrupt
        return real(self, progress)

    monkeypatch.setattr(rnnlm.TruncatedBPTT, "run_epoch", run_epoch)


def test_an_interrupted_retraining_leaves_the_old_model_whole(cli, tmp_path, first, second, monkeypatch):
    out = tmp_path / "model"
    assert cli("train", "rnnlm", *first[0], *RNN, "--epochs", "2", "--out", out).code == 0
    before = perplexity(cli, out, first[1])
    interrupt_epoch(monkeypatch, 1)
    result = cli("train", "rnnlm", *second[0], *RNN, "--epochs", "2", "--out", out)
    assert result.code == EXIT_INTERRUPTED
    assert "interrupted during epoch 1; no epoch finished, so nothing of this run was saved" in result.err
    assert f"{out} still holds the model of an earlier run" in result.err
    assert perplexity(cli, out, first[1]) == before  # vocabulary, config and weights: still the first run's


def test_ctrl_c_names_the_best_and_the_resumable_checkpoints(cli, tmp_path, first, monkeypatch):
    out = tmp_path / "model"
    interrupt_epoch(monkeypatch, 3)
    result = cli("train", "rnnlm", *first[0], *RNN, "--epochs", "4", "--out", out)
    assert result.code == EXIT_INTERRUPTED
    line = result.err.strip().splitlines()[-1]
    assert line.startswith("fastgrad: interrupted during epoch 3; best model (epoch ")
    assert f"{out / CURRENT}, resumable after epoch 2: {out / CURRENT / 'resume.npz'} (run the same command with " \
           "--resume)" in line
    monkeypatch.undo()
    resumed = cli("train", "rnnlm", *first[0], *RNN, "--epochs", "4", "--out", out, "--resume")
    assert resumed.code == 0 and "resuming after epoch 2" in resumed.out and "epoch 3/4" in resumed.out


def test_a_failure_while_writing_a_snapshot_keeps_the_previous_one(cli, tmp_path, first, monkeypatch):
    out = tmp_path / "model"
    real, saves = Vocab.save, []

    def failing_save(self, path):
        saves.append(path)
        if len(saves) == 2:  # the second epoch's snapshot
            raise OSError(28, "No space left on device", str(path))
        real(self, path)

    monkeypatch.setattr(Vocab, "save", failing_save)
    result = cli("train", "rnnlm", *first[0], *RNN, "--epochs", "3", "--out", out)
    assert result.code == EXIT_OS and "No space left on device" in result.err
    config = json.loads((model_files(out) / "config.json").read_text())
    assert config["epochs_trained"] == 1 and perplexity(cli, out, first[1]) > 0
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".incomplete-")]
    assert leftovers
    monkeypatch.undo()
    result = cli("train", "rnnlm", *first[0], *RNN, "--epochs", "1", "--out", out)
    assert result.code == 0 and f"removed what an interrupted run left: {leftovers[0]}" in result.out
    assert not [p for p in out.iterdir() if p.name.startswith(".incomplete-")]


def test_leftovers_of_a_killed_run_are_cleaned(cli, tmp_path, first):
    out = tmp_path / "model"
    assert cli("train", "rnnlm", *first[0], *RNN, "--epochs", "1", "--out", out).code == 0
    (out / ".incomplete-999999-9").mkdir()
    (out / ".incomplete-999999-9" / "model.npz").write_bytes(b"half")
    (out / "snapshot-000777").mkdir()
    os.symlink("snapshot-000777", out / ".current.999999")
    (out / ".config.json.tmp4242").write_text("{")
    result = cli("train", "rnnlm", *first[0], *RNN, "--epochs", "1", "--out", out)
    assert result.code == 0
    assert "removed what an interrupted run left: .config.json.tmp4242, .current.999999, .incomplete-999999-9, " \
           "snapshot-000777" in result.out
    names = sorted(p.name for p in out.iterdir())
    assert names == [".lock", CURRENT, os.readlink(out / CURRENT)]


def test_a_directory_without_finished_weights_says_so(cli, tmp_path, first):
    out = tmp_path / "model"
    (out / ".incomplete-999999-1").mkdir(parents=True)  # killed during its first epoch's snapshot
    result = cli("eval", out, first[1])
    assert result.code == EXIT_MODEL_DIR
    assert f"{out}: no finished weights yet (the run writing it stopped, or is still running, before the end of " \
           "its first epoch)" in result.err


def test_a_second_run_in_the_same_directory_is_refused(cli, tmp_path, first):
    out = tmp_path / "model"
    out.mkdir()
    with open(out / ".lock", "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        result = cli("train", "rnnlm", *first[0], *RNN, "--epochs", "1", "--out", out)
    assert result.code == EXIT_MODEL_DIR and "another fastgrad run is writing this directory" in result.err


def test_a_directory_written_before_snapshots_is_read_and_then_replaced(cli, tmp_path, first):
    out = tmp_path / "model"
    assert cli("train", "rnnlm", *first[0], *RNN, "--epochs", "1", "--out", out).code == 0
    snapshot = out / os.readlink(out / CURRENT)
    for file in snapshot.iterdir():  # the flat layout of earlier versions
        file.rename(out / file.name)
    (out / CURRENT).unlink()
    snapshot.rmdir()
    flat = perplexity(cli, out, first[1])
    assert cli("train", "rnnlm", *first[0], *RNN, "--epochs", "1", "--out", out).code == 0
    assert not (out / "model.npz").exists() and not (out / "config.json").exists()
    assert perplexity(cli, out, first[1]) == pytest.approx(flat)

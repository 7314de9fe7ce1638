"""`fastgrad train ...` under `mpiexec -n 2` (skipped without mpi4py and mpiexec): the first line says how
the batch is split, rank 0 alone prints and writes, the losses are those of one process on the same
global batches, and an RNN LM run written by 2 ranks resumes in 1."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fastgrad.distributed.comm import find_mpiexec
from fastgrad.train.directory import model_files

pytest.importorskip("mpi4py", reason="needs mpi4py (pip install 'fastgrad[mpi]')")
MPIEXEC = find_mpiexec()
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="needs mpiexec (pip install 'fastgrad[mpi]')")
REPO = Path(__file__).resolve().parents[2]


def fastgrad_command(ranks: int, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "fastgrad", *args]
    if ranks > 1:
        command = [MPIEXEC, "-n", str(ranks)] + command
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)


def succeeded(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (model_files(out) / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture
def sentences(tmp_path) -> list[str]:
    rng = np.random.default_rng(0)
    words = {0: ["bad", "dull", "awful"], 1: ["good", "fine", "great"]}
    paths = []
    for split, count in (("train", 64), ("dev", 16)):
        lines = []
        for _ in range(count):
            label = int(rng.integers(2))
            lines.append(f"{label} the film was " + " ".join(rng.choice(words[label], size=2)))
        path = tmp_path / f"{split}.txt"
        path.write_text("\n".join(lines) + "\n")
        paths.append(str(path))
    return paths


def test_nbow_on_two_ranks_prints_once_and_matches_one_process(sentences, tmp_path):
    common = ["train", "nbow", "--train", sentences[0], "--dev", sentences[1], "--epochs", "2", "--batch-size", "8",
              "--dim", "8", "--hidden", "8", "--dropout", "0", "--word-dropout", "0", "--threads", "1"]
    one = succeeded(fastgrad_command(1, *common, "--out", str(tmp_path / "one")))
    two = succeeded(fastgrad_command(2, *common, "--out", str(tmp_path / "two")))
    assert two.splitlines()[0] == "data parallel over MPI: 2 ranks, global batch 8 = 2 x 4 per rank"
    assert two.count("config ") == 1 and two.count("epoch 1/2:") == 1  # rank 1 printed nothing
    for a, b in zip(metrics(tmp_path / "one"), metrics(tmp_path / "two")):
        if "train_loss" in a:  # the same global batches: the same losses, summed over both ranks
            assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-4)
            assert b["dev_accuracy"] == a["dev_accuracy"]
    assert "epoch 2/2:" in one and (model_files(tmp_path / "two") / "model.npz").exists()


def _same_weights(one: Path, two: Path, tolerance: float) -> None:
    import fastgrad
    a, b = (fastgrad.load(model_files(out) / "model.npz") for out in (one, two))
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_allclose(np.asarray(a[name].numpy()), np.asarray(b[name].numpy()), atol=tolerance)


def test_uneven_and_tiny_last_batches_train_as_one_process(sentences, tmp_path):
    """65 sentences in batches of 8 leave a last batch of 1, smaller than the world: the rank without a
    sentence trains a stand-in with weight 0, and parts of unequal size are weighted by their size, so
    nothing is dropped and the model is the one-process model."""
    train = Path(sentences[0])
    train.write_text(train.read_text() + "1 the film was good fine\n")
    common = ["train", "nbow", "--train", sentences[0], "--dev", sentences[1], "--epochs", "2", "--batch-size", "8",
              "--dim", "8", "--hidden", "8", "--dropout", "0", "--word-dropout", "0", "--threads", "1"]
    succeeded(fastgrad_command(1, *common, "--out", str(tmp_path / "one")))
    succeeded(fastgrad_command(2, *common, "--out", str(tmp_path / "two")))
    losses = lambda out: [r["train_loss"] for r in metrics(out) if "train_loss" in r]
    assert losses(tmp_path / "two") == pytest.approx(losses(tmp_path / "one"), rel=1e-5)
    _same_weights(tmp_path / "one", tmp_path / "two", 1e-5)


def test_crf_tagger_on_two_ranks_weighs_parts_by_their_tokens(tmp_path):
    """The CRF's loss is a mean over a part's tokens, and sentences differ in length: weighted by tokens,
    two ranks train the one-process model."""
    rng = np.random.default_rng(1)
    sentences = []
    for _ in range(24):
        words = [str(w) for w in rng.choice(["in", "Paris", "Rome", "said", "Mr", "Ito", "the"], size=int(rng.integers(2, 7)))]
        sentences.append("\n".join(f"{w} X {'B-LOC' if w in ('Paris', 'Rome') else 'B-PER' if w == 'Ito' else 'O'}"
                                   for w in words))
    conll = tmp_path / "ner.conll"
    conll.write_text("\n\n".join(sentences) + "\n")
    common = ["train", "ner", "--crf", "--train", str(conll), "--dev", str(conll), "--dim", "8", "--hidden", "8",
              "--min-count", "1", "--epochs", "1", "--batch-size", "4", "--dropout", "0", "--threads", "1"]
    succeeded(fastgrad_command(1, *common, "--out", str(tmp_path / "one")))
    succeeded(fastgrad_command(2, *common, "--out", str(tmp_path / "two")))
    _same_weights(tmp_path / "one", tmp_path / "two", 1e-5)


def test_rnnlm_written_by_two_ranks_resumes_in_one(tmp_path):
    rng = np.random.default_rng(0)
    splits = {}
    for split, count in (("train", 200), ("valid", 20), ("test", 20)):
        path = tmp_path / f"{split}.txt"
        path.write_text("\n".join(" ".join(rng.choice(["the", "a", "cat", "dog", "sat", "ran"], size=6))
                                  for _ in range(count)) + "\n")
        splits[split] = str(path)
    common = ["train", "rnnlm", "--train", splits["train"], "--valid", splits["valid"], "--test", splits["test"],
              "--threads", "1", "--embedding-dim", "8", "--hidden", "8", "--batch-size", "4", "--bptt", "6",
              "--lr", "1.0", "--dropout", "0"]
    out = tmp_path / "run"
    two = succeeded(fastgrad_command(2, *common, "--epochs", "1", "--out", str(out)))
    assert two.splitlines()[0] == "data parallel over MPI: 2 ranks, global batch 4 = 2 x 2 per rank"
    one = succeeded(fastgrad_command(1, *common, "--epochs", "2", "--out", str(out), "--resume"))
    assert "resuming after epoch 1" in one and "epoch 2/2:" in one
    straight = tmp_path / "straight"
    succeeded(fastgrad_command(1, *common, "--epochs", "2", "--out", str(straight)))
    by_epoch = lambda run: {r["epoch"]: r["valid_ppl"] for r in metrics(run) if "epoch" in r}  # noqa: E731
    expected, got = by_epoch(straight), by_epoch(out)  # 2 ranks, then 1, follow the 1-process run
    assert sorted(got) == sorted(expected) == [1, 2]
    for epoch in expected:
        assert got[epoch] == pytest.approx(expected[epoch], rel=1e-3)


def test_fflm_on_two_ranks_follows_one_process(tmp_path):
    rng = np.random.default_rng(1)
    splits = []
    for split, count in (("train", 120), ("valid", 20), ("test", 20)):
        path = tmp_path / f"{split}.txt"
        path.write_text("\n".join(" ".join(rng.choice(["the", "a", "cat", "dog", "sat", "ran"], size=6))
                                  for _ in range(count)) + "\n")
        splits += [f"--{split}", str(path)]
    common = ["train", "fflm", *splits, "--threads", "1", "--context", "2", "--embedding-dim", "8", "--hidden", "8",
              "--batch-size", "16", "--dropout", "0", "--epochs", "2"]
    one = succeeded(fastgrad_command(1, *common, "--out", str(tmp_path / "one")))
    two = succeeded(fastgrad_command(2, *common, "--out", str(tmp_path / "two")))
    assert two.splitlines()[0] == "data parallel over MPI: 2 ranks, global batch 16 = 2 x 8 per rank"
    assert two.count("epoch 1/2:") == 1 and "epoch 2/2:" in one
    curves = [[r["train_loss"] for r in metrics(tmp_path / run) if "train_loss" in r] for run in ("one", "two")]
    assert len(curves[0]) == len(curves[1]) == 2  # the same global batches: the same mean losses
    np.testing.assert_allclose(curves[1], curves[0], rtol=1e-3)


def test_word2vec_on_two_ranks_counts_the_whole_corpus(tmp_path):
    rng = np.random.default_rng(0)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(rng.choice(["a", "b", "c", "d", "e"], size=10)) for _ in range(300)) + "\n")
    out = succeeded(fastgrad_command(2, "train", "word2vec", "--corpus", str(corpus), "--dim", "8", "--min-count", "1",
                                     "--epochs", "1", "--workers", "1", "--sync-words", "500", "--threads", "1",
                                     "--out", str(tmp_path / "vectors")))
    assert out.splitlines()[0] == "data parallel over MPI: 2 ranks, the corpus split into one byte range per rank"
    assert "corpus: 3,000 words, " in out  # both shards, not rank 0's
    assert (model_files(tmp_path / "vectors") / "vectors.bin").exists()


def test_commands_without_a_data_parallel_loop_refuse_to_run_on_several_ranks(tmp_path):
    result = fastgrad_command(2, "train", "ngram", "--train", str(tmp_path / "missing.txt"))
    assert result.returncode != 0
    assert "fastgrad train ngram does not run data-parallel" in result.stderr

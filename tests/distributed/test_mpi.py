"""Real 2-process runs under `mpiexec -n 2` (skipped without mpi4py and mpiexec): the averaged gradient of
2 ranks with B/2 each is the 1-process gradient of B; NBOW and RNN LM loss curves follow the 1-process
run; a dead or stuck rank ends the job with a clear error; an RNN LM checkpoint moves between 1 and 2
ranks. Each job is a few seconds; every subprocess has a timeout."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fastgrad.distributed.comm import find_mpiexec

pytest.importorskip("mpi4py", reason="needs mpi4py (pip install 'fastgrad[mpi]')")

WORKER = Path(__file__).with_name("mpi_worker.py")
REPO = Path(__file__).resolve().parents[2]
JOB_SECONDS = 120


MPIEXEC = find_mpiexec()
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="needs mpiexec (pip install 'fastgrad[mpi]')")


def run_job(ranks: int, out: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    out.mkdir(parents=True, exist_ok=True)
    environment = {k: v for k, v in os.environ.items() if k not in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")}
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO), environment.get("PYTHONPATH", "")])
    environment.update(env or {})
    command = [sys.executable, str(WORKER), "--out", str(out), *args]
    if ranks > 1:
        command = [MPIEXEC, "-n", str(ranks)] + command
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=JOB_SECONDS)


def run_ok(ranks: int, out: Path, *args: str) -> dict:
    result = run_job(ranks, out, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((out / "losses.json").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same job on 1 and on 2 processes, each writing an RNN LM checkpoint at step 6."""
    root = tmp_path_factory.mktemp("mpi")
    return {ranks: (root / f"ranks{ranks}", run_ok(ranks, root / f"ranks{ranks}", "--checkpoint-at", "6"))
            for ranks in (1, 2)}


@pytest.mark.parametrize("model", ["nbow", "rnnlm"])
def test_averaged_gradient_of_two_half_batches_is_the_full_batch_gradient(runs, model):
    one = np.load(runs[1][0] / f"grads_{model}.npz")
    two = np.load(runs[2][0] / f"grads_{model}.npz")
    assert sorted(one.files) == sorted(two.files) and one.files
    for name in one.files:
        assert np.abs(one[name]).max() > 0, name  # a zero gradient would make the comparison empty
        np.testing.assert_allclose(two[name], one[name], rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("model", ["nbow", "rnnlm"])
def test_two_rank_loss_curve_follows_the_one_process_curve(runs, model):
    one, two = runs[1][1], runs[2][1]
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert len(one[model]) == len(two[model]) >= 8
    assert len(set(np.round(one[model], 4))) > 1  # the model is training, not stuck
    np.testing.assert_allclose(two[model], one[model], rtol=1e-4)


def test_checkpoint_written_by_two_ranks_resumes_in_one(runs, tmp_path):
    resumed = run_ok(1, tmp_path, "--resume", str(runs[2][0] / "rnnlm.ckpt"))
    np.testing.assert_allclose(resumed["rnnlm"], runs[1][1]["rnnlm"][6:], rtol=1e-4)


def test_checkpoint_written_by_one_process_resumes_in_two_ranks(runs, tmp_path):
    resumed = run_ok(2, tmp_path, "--resume", str(runs[1][0] / "rnnlm.ckpt"))
    np.testing.assert_allclose(resumed["rnnlm"], runs[2][1]["rnnlm"][6:], rtol=1e-4)


def test_a_killed_rank_stops_the_job(tmp_path):
    start = time.monotonic()
    result = run_job(2, tmp_path, "--fail", "die", env={"FASTGRAD_DIST_TIMEOUT": "10"})
    assert result.returncode != 0
    assert time.monotonic() - start < JOB_SECONDS / 2
    output = result.stdout + result.stderr
    # either the launcher saw the death, or the surviving rank's collective timed out
    assert "BAD TERMINATION" in output or "CollectiveTimeout" in output, output


def test_a_stuck_rank_makes_the_others_time_out_with_a_clear_error(tmp_path):
    start = time.monotonic()
    result = run_job(2, tmp_path, "--fail", "hang", env={"FASTGRAD_DIST_TIMEOUT": "2"})
    assert result.returncode != 0
    assert time.monotonic() - start < JOB_SECONDS / 2
    assert "CollectiveTimeout" in result.stderr and "did not complete within 2 s on rank 0 of 2" in result.stderr
    assert "aborting the MPI job" in result.stderr


def topic_text(rng, topics=3, words_per_topic=8, sentences=1200, length=12) -> tuple[str, list[list[str]]]:
    """Each line draws its words from one topic; "split" occurs once at each end of the file, so each of
    2 shards sees it once and only the summed count reaches min_count=2."""
    vocab = [[f"t{t}w{i}" for i in range(words_per_topic)] for t in range(topics)]
    lines = [" ".join(rng.choice(vocab[rng.integers(topics)], size=length)) for _ in range(sentences)]
    return "split " + "\n".join(lines) + " split\n", vocab


def topic_purity(vectors: np.ndarray, words: list[str], vocab: list[list[str]]) -> float:
    """Share of each topic word's 3 nearest neighbours (cosine) that are in its topic."""
    index = {w: i for i, w in enumerate(words)}
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    hits = total = 0
    for topic in vocab:
        for word in topic:
            similarity = unit @ unit[index[word]]
            similarity[index[word]] = -np.inf
            hits += sum(words[j] in topic for j in np.argsort(-similarity)[:3])
            total += 3
    return hits / total


def test_word2vec_data_parallel_shares_one_vocabulary_and_one_model(tmp_path):
    from fastgrad.models.word2vec import read_corpus

    text, vocab = topic_text(np.random.default_rng(0))
    corpus_path = tmp_path / "topics.txt"
    corpus_path.write_text(text)
    whole = read_corpus(corpus_path, min_count=2)
    for ranks in (1, 2):
        out = tmp_path / f"ranks{ranks}"
        result = run_job(ranks, out, "--word2vec", str(corpus_path))
        assert result.returncode == 0, result.stdout + result.stderr
        summary = json.loads((out / "word2vec.json").read_text())
        assert summary["words"] == whole.words and summary["counts"] == whole.counts.tolist()
        assert "split" in summary["words"]
        assert summary["raw_words"] == 3 * whole.raw_words  # the shards together hold every word once
        if ranks == 2:
            assert summary["shard_words"] < whole.raw_words
            matrices = [np.load(out / f"word2vec_rank{r}.npz") for r in range(2)]
            for name in ("input", "output"):  # averaged after the last span: one model
                np.testing.assert_array_equal(matrices[0][name], matrices[1][name])
        vectors = np.load(out / "word2vec_rank0.npz")["input"]
        assert topic_purity(vectors, summary["words"], vocab) >= 0.95, ranks


def test_a_pytorch_data_parallel_script_runs_unchanged_on_two_ranks(tmp_path):
    """tests/dropin/scripts/ddp_classifier.py, written for torch.distributed (init_process_group,
    DistributedSampler, DataLoader, nn.parallel.DistributedDataParallel, all_reduce), with only its imports
    changed: 2 ranks with half the global batch each follow the 1-process run, and end with the same
    weights on both ranks."""
    runner = REPO / "tests" / "dropin" / "test_dropin.py"
    environment = {k: v for k, v in os.environ.items() if k not in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")}
    environment["PYTHONPATH"] = os.pathsep.join([str(REPO), environment.get("PYTHONPATH", "")])
    results = {}
    for ranks in (1, 2):
        out = tmp_path / f"ranks{ranks}"
        out.mkdir()
        command = [sys.executable, str(runner), "ddp_classifier", str(out)]
        if ranks > 1:
            command = [MPIEXEC, "-n", str(ranks)] + command
        job = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=JOB_SECONDS)
        assert job.returncode == 0, job.stdout + job.stderr
        results[ranks] = [json.loads((out / f"rank{rank}.json").read_text()) for rank in range(ranks)]
    one, (first, second) = results[1][0], results[2]
    assert one["world"] == [1] and first["world"] == second["world"] == [2]
    np.testing.assert_allclose(first["losses"], one["losses"], rtol=1e-5, atol=1e-6)
    for name in one["weights"]:
        np.testing.assert_array_equal(first["weights"][name], second["weights"][name])
        np.testing.assert_allclose(first["weights"][name], one["weights"][name], rtol=1e-5, atol=1e-6)

"""No silent substitution of data files, and every file a run read is named by absolute path and sha256,
on stdout and in config.json."""
import hashlib
import json

import numpy as np
import pytest

from fastgrad.cli import EXIT_USAGE
from fastgrad.train.directory import model_files

SENTENCE = ["the", "a"], ["cat", "dog"], ["sat", "ran"], ["on", "to"], ["the", "a"], ["mat", "log"]


@pytest.fixture
def lm_files(tmp_path):
    rng = np.random.default_rng(0)
    paths = {}
    for split, lines in (("train", 200), ("valid", 30), ("test", 30)):
        paths[split] = tmp_path / f"{split}.txt"
        words = [[str(rng.choice(choices)) for choices in SENTENCE] for _ in range(lines)]
        if split != "train":
            words[0][2] = "purred"      # outside the training vocabulary
            words[1][2] = "<unk>"       # written <unk> in the file, as in Penn Treebank
        paths[split].write_text("".join(" ".join(w) + "\n" for w in words), encoding="utf-8")
    return paths


@pytest.mark.parametrize("model", ["ngram", "fflm", "rnnlm"])
@pytest.mark.parametrize("given", [("train",), ("train", "valid"), ("train", "test"), ("valid", "test")])
def test_a_file_without_its_partners_is_an_error_not_penn_treebank(cli, lm_files, model, given):
    argv = [arg for split in given for arg in (f"--{split}", lm_files[split])]
    result = cli("train", model, *argv, "--threads", "1")
    assert result.code == EXIT_USAGE
    assert "give --train, --valid and --test together (or none of them for Penn Treebank)" in result.err
    assert "perplexity" not in result.out


def test_every_file_read_is_printed_and_recorded_with_its_sha256(cli, lm_files, tmp_path):
    out = tmp_path / "kn"
    result = cli("train", "ngram", "--train", lm_files["train"], "--valid", lm_files["valid"], "--test",
                 lm_files["test"], "--order", "2", "--out", out)
    assert result.code == 0
    recorded = json.loads((model_files(out) / "config.json").read_text())["data"]
    assert set(recorded) == {"train", "valid", "test"}
    for split, path in lm_files.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert recorded[split] == {"path": str(path.resolve()), "bytes": path.stat().st_size, "sha256": digest}
        assert f"{split}: {path.resolve()}, {path.stat().st_size:,} bytes, sha256 {digest}" in result.out


def test_penn_treebank_is_used_only_when_no_file_is_given_and_then_said(cli, tmp_path, monkeypatch, lm_files):
    data = tmp_path / "data"
    (data / "ptb").mkdir(parents=True)
    for split, name in (("train", "ptb.train.txt.gz"), ("valid", "ptb.valid.txt"), ("test", "ptb.test.txt")):
        content = lm_files[split].read_bytes()
        if name.endswith(".gz"):
            import gzip
            content = gzip.compress(content)
        (data / "ptb" / name).write_bytes(content)
    monkeypatch.setenv("FASTGRAD_DATA", str(data))
    result = cli("train", "ngram", "--order", "2")
    assert result.code == 0
    assert f"no --train/--valid/--test: Penn Treebank from {data}" in result.out
    assert f"train: {(data / 'ptb' / 'ptb.train.txt.gz').resolve()}" in result.out


def test_resume_refuses_data_that_changed(cli, lm_files, tmp_path):
    out = tmp_path / "rnn"
    common = ["train", "rnnlm", "--train", lm_files["train"], "--valid", lm_files["valid"], "--test", lm_files["test"],
              "--embedding-dim", "4", "--hidden", "4", "--batch-size", "4", "--bptt", "5", "--threads", "1", "--out", out]
    assert cli(*common, "--epochs", "1").code == 0
    lm_files["train"].write_text(lm_files["train"].read_text() + "a cat sat on a log\n", encoding="utf-8")
    result = cli(*common, "--epochs", "2", "--resume")
    assert result.code == EXIT_USAGE and "--resume: the train file changed since the saved run" in result.err


@pytest.mark.parametrize("model, extra", [
    ("ngram", ["--order", "2"]),
    ("rnnlm", ["--embedding-dim", "4", "--hidden", "4", "--batch-size", "4", "--bptt", "5", "--epochs", "1"]),
])
def test_the_unk_share_of_valid_and_test_is_reported(cli, lm_files, model, extra):
    result = cli("train", model, "--train", lm_files["train"], "--valid", lm_files["valid"], "--test", lm_files["test"],
                 "--threads", "1", *extra)
    assert result.code == 0
    # 30 lines of 6 words + <eos>: 210 tokens, one word unseen in training and one written <unk>
    for split in ("valid", "test"):
        assert (f"{split}: 210 tokens, 0.95% are <unk>: 0.48% words outside the vocabulary, 0.48% written <unk> in "
                "the file") in result.out


def test_commands_that_read_a_model_or_vectors_name_what_they_read(cli, lm_files, tmp_path):
    """eval's JSON names the snapshot it read; predict and generate say it on stderr (stdout is their
    output); eval-vectors prints every file with its sha256, similar on stderr."""
    out = tmp_path / "kn"
    assert cli("train", "ngram", "--train", lm_files["train"], "--valid", lm_files["valid"], "--test",
               lm_files["test"], "--order", "2", "--out", out).code == 0
    snapshot = str(model_files(out).resolve())
    assert json.loads(cli("eval", out, lm_files["test"]).out)["model_dir"] == snapshot
    assert f"model: {snapshot}" in cli("generate", out, "--tokens", "3").err
    vectors = tmp_path / "v.txt"
    vectors.write_text("the 1 0\ncat 0 1\ndog 0.5 0.5\n", encoding="utf-8")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("cat dog 5\nthe cat 1\n", encoding="utf-8")
    digest = hashlib.sha256(vectors.read_bytes()).hexdigest()
    result = cli("eval-vectors", vectors, "--similarity", pairs)
    assert result.code == 0 and f"vectors: {vectors.resolve()}, 28 bytes, sha256 {digest}" in result.out
    assert f"similarity 1: {pairs.resolve()}" in result.out
    result = cli("similar", vectors, "cat", "--topn", "1")
    assert result.out.splitlines() == ["dog\t0.7071"] and f"vectors: {vectors.resolve()}" in result.err


def test_a_dev_file_that_is_the_training_file_is_said_beside_the_file_lines(cli, tmp_path):
    """Its 'dev accuracy' is a training accuracy: a line after the file lines says the two are one text."""
    train = tmp_path / "train.txt"
    train.write_text("1 a good film\n0 a bad film\n" * 4, encoding="utf-8")
    outcome = cli("train", "nbow", "--train", train, "--dev", train, "--epochs", 1, "--dim", 4, "--hidden", 4,
                  "--threads", 1)
    assert outcome.code == 0, outcome.err
    lines = outcome.out.splitlines()
    assert lines[1].startswith("train: ") and lines[2].startswith("dev: ")
    assert lines[3].startswith("same content: the train and dev files are one text (sha256 ")


def test_one_unknown_word_in_many_tokens_is_not_printed_as_none(cli, tmp_path):
    """1 word outside the vocabulary in 35,002 tokens printed '0.00% words outside the vocabulary'."""
    text = tmp_path / "text.txt"
    text.write_text("the cat sat on the mat\n" * 5000, encoding="utf-8")
    valid = tmp_path / "valid.txt"
    valid.write_text("the cat sat on the mat\n" * 5000 + "zebra\n", encoding="utf-8")
    outcome = cli("train", "ngram", "--train", text, "--valid", valid, "--test", text, "--order", 2)
    assert outcome.code == 0, outcome.err
    assert ("valid: 35,002 tokens, <0.01% are <unk>: <0.01% words outside the vocabulary, 0.00% written <unk> in the "
            "file") in outcome.out

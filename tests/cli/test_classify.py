import io
import json
import re

import numpy as np
import pytest

import fastgrad
from fastgrad.cli import main
from fastgrad.train.directory import model_files

POSITIVE = ["good", "great", "fun", "moving", "superb", "witty"]
NEGATIVE = ["bad", "dull", "awful", "boring", "flat", "tedious"]
FILLER = ["the", "a", "film", "movie", "plot", "is", "was", "and", "story", "acting", "of", "this"]


def _sentiment_lines(rng, count, fmt="sst"):
    lines = []
    for _ in range(count):
        label = int(rng.random() < 0.6)
        cues = rng.choice(POSITIVE if label else NEGATIVE, size=2).tolist()
        words = rng.choice(FILLER, size=rng.integers(3, 8)).tolist() + cues
        rng.shuffle(words)
        lines.append(f"{label} {' '.join(words)}" if fmt == "sst" else f"{' '.join(words).capitalize()}.\t{label}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def sentiment_files(tmp_path, rng):
    paths = {}
    for split, count in (("train", 300), ("dev", 60), ("test", 80)):
        paths[split] = tmp_path / f"{split}.txt"
        paths[split].write_text(_sentiment_lines(rng, count), encoding="utf-8")
    return paths


CITIES = ["Paris", "Berlin", "Oslo", "Lima", "Quito", "Rome"]
PEOPLE = ["Smith", "Jones", "Garcia", "Ito", "Kumar"]
COMMON = ["the", "talks", "were", "held", "today", "and", "officials", "said", "it", "rained", "visited", "then"]


def _conll_text(rng, sentences):
    out = []
    for _ in range(sentences):
        tokens = [(w, "O") for w in rng.choice(COMMON, size=rng.integers(2, 6))]
        tokens += [("in", "O"), (str(rng.choice(CITIES)), "B-LOC")]
        if rng.random() < 0.5:
            tokens += [("Mr", "O"), (str(rng.choice(PEOPLE)), "B-PER"), ("said", "O")]
        tokens.append((".", "O"))
        out.append("\n".join(f"{word} X {tag}" for word, tag in tokens))
    return "-DOCSTART- -X- O\n\n" + "\n\n".join(out) + "\n"


@pytest.fixture
def conll_files(tmp_path, rng):
    paths = {}
    for split, count in (("train", 200), ("dev", 40), ("test", 40)):
        paths[split] = tmp_path / f"{split}.conll"
        paths[split].write_text(_conll_text(rng, count), encoding="utf-8")
    return paths


NBOW_SMALL = ["--dim", "16", "--hidden", "16", "--batch-size", "16", "--lr", "0.1", "--threads", "1"]
NER_SMALL = ["--dim", "8", "--hidden", "16", "--batch-size", "16", "--lr", "0.01", "--threads", "1"]


def _train(kind, files, out, *extra):
    small = NBOW_SMALL if kind == "nbow" else NER_SMALL
    args = ["train", kind, "--train", str(files["train"]), "--dev", str(files["dev"]), "--test", str(files["test"]),
            "--out", str(out), *small, *extra]
    assert main(args) == 0
    return json.loads((model_files(out) / "config.json").read_text())


def _predict(model_dir, text, monkeypatch, capsys):
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))  # predict reads its bytes
    assert main(["predict", str(model_dir)]) == 0
    return capsys.readouterr().out.split("\n")[:-1]


def test_nbow_train_eval_predict_round_trip(sentiment_files, tmp_path, monkeypatch, capsys):
    out = tmp_path / "model"
    config = _train("nbow", sentiment_files, out, "--epochs", "4", "--model", "dan", "--layers", "1")
    printed = capsys.readouterr().out
    assert printed.startswith("config ") and '"seed": 0' in printed.splitlines()[0]
    assert config["kind"] == "nbow" and config["labels"] == ["0", "1"]
    assert config["test"]["accuracy"] > 0.9  # majority class: about 0.6
    assert {"vocab.txt", "model.npz", "metrics.jsonl", "resume.npz"} <= {p.name for p in model_files(out).iterdir()}
    epochs = [json.loads(line) for line in (model_files(out) / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in epochs if "epoch" in r] == [1, 2, 3, 4]

    assert main(["eval", str(out), str(sentiment_files["test"])]) == 0
    evaluation = json.loads(capsys.readouterr().out)
    assert evaluation["accuracy"] == pytest.approx(config["test"]["accuracy"])
    assert evaluation["sentences"] == 80

    assert _predict(out, "a great and witty film\n\nthe plot was dull and boring\n", monkeypatch, capsys) == ["1", "", "0"]


def test_nbow_same_seed_same_run_different_seed_different_run(sentiment_files, tmp_path):
    runs = []
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        _train("nbow", sentiment_files, tmp_path / name, "--epochs", "2", "--seed", seed, "--model", "nbow")
        files = model_files(tmp_path / name)
        losses = [json.loads(line).get("train_loss") for line in (files / "metrics.jsonl").read_text().splitlines()]
        runs.append((losses, fastgrad.load(files / "model.npz")))
    assert runs[0][0] == runs[1][0]
    for key, value in runs[0][1].items():
        np.testing.assert_array_equal(np.asarray(value), np.asarray(runs[1][1][key]))
    assert runs[0][0] != runs[2][0]


def test_nbow_tsv_format_and_pretrained_vectors_extend_the_vocabulary(tmp_path, rng, capsys, cli):
    files = {}
    for split, count in (("train", 100), ("dev", 20), ("test", 20)):
        files[split] = tmp_path / f"{split}.tsv"
        files[split].write_text(_sentiment_lines(rng, count, fmt="tsv"), encoding="utf-8")
    vectors = {"good": np.arange(16, dtype=np.float32), "awful": -np.ones(16, dtype=np.float32)}
    vector_file = tmp_path / "vectors.txt"
    vector_file.write_text(f"{len(vectors) + 1} 16\n" + "".join(
        f"{w} {' '.join(str(x) for x in v)}\n" for w, v in [*vectors.items(), ("unused", np.zeros(16))]))
    out = tmp_path / "model"
    # lr 0: the saved embedding rows are the pretrained vectors scaled to unit length
    _train("nbow", files, out, "--format", "tsv", "--epochs", "1", "--pretrained", str(vector_file), "--lr", "0")
    assert re.search(r"pretrained vectors .*: 2/\d+ training words found \(.*\), 1 more word from the file",
                     capsys.readouterr().out)
    itos = [line.split("\t")[0] for line in (model_files(out) / "vocab.txt").read_text().splitlines()[1:]]
    weights = np.asarray(fastgrad.load(model_files(out) / "model.npz")["embedding.weight"])
    for word, vector in vectors.items():
        np.testing.assert_allclose(weights[itos.index(word)], vector / np.linalg.norm(vector), rtol=1e-6)
    np.testing.assert_array_equal(weights[itos.index("unused")], 0)  # words only in the file join the vocabulary
    result = cli("train", "nbow", "--train", files["train"], "--dev", files["dev"], "--format", "tsv",
                 "--pretrained", vector_file, "--dim", "32")
    assert result.code == 2 and "--dim 32 differs from the dimension 16" in result.err


def test_ner_train_eval_predict_round_trip(conll_files, tmp_path, monkeypatch, capsys, cli):
    out = tmp_path / "ner"
    config = _train("ner", conll_files, out, "--epochs", "4", "--caps", "--window", "2")
    assert config["kind"] == "ner" and config["labels"] == ["B-LOC", "B-PER", "O"]
    assert config["test"]["f1"] > 0.9
    capsys.readouterr()
    assert main(["eval", str(out), str(conll_files["test"])]) == 0
    evaluation = json.loads(capsys.readouterr().out)
    assert evaluation["f1"] == pytest.approx(config["test"]["f1"])
    unseen = tmp_path / "unseen.conll"
    unseen.write_text("Oslo X B-CITY\n", encoding="utf-8")
    result = cli("eval", out, unseen)
    assert result.code == 3 and "B-CITY" in result.err
    lines = _predict(out, "officials said it rained in Oslo .\n", monkeypatch, capsys)
    assert lines == ["officials/O said/O it/O rained/O in/O Oslo/B-LOC ./O"]


def test_ner_binary_location_task(conll_files, tmp_path, monkeypatch, capsys):
    out = tmp_path / "loc"
    config = _train("ner", conll_files, out, "--epochs", "3", "--binary-tag", "LOC", "--caps")
    assert config["labels"] == ["I-LOC", "O"]
    assert config["test"]["f1"] > 0.9
    assert _predict(out, "talks in Rome\n", monkeypatch, capsys) == ["talks/O in/O Rome/I-LOC"]


def test_bad_files_name_the_file_and_line(sentiment_files, conll_files, tmp_path, cli):
    def train(kind, files):
        return cli("train", kind, "--train", files["train"], "--dev", files["dev"], "--test", files["test"],
                   *(NBOW_SMALL if kind == "nbow" else NER_SMALL))

    broken = tmp_path / "broken.txt"
    broken.write_text("1 a fine film\n0\n", encoding="utf-8")
    result = train("nbow", {**sentiment_files, "dev": broken})
    assert result.code == 3 and f"{broken}:2: " in result.err
    broken_conll = tmp_path / "broken.conll"
    broken_conll.write_text("Paris X B-LOC\nis X O\nnice O\n", encoding="utf-8")
    result = train("ner", {**conll_files, "train": broken_conll})
    assert result.code == 3 and f"{broken_conll}:3: " in result.err
    unseen = tmp_path / "unseen.txt"
    unseen.write_text("7 an unseen label\n", encoding="utf-8")
    result = train("nbow", {**sentiment_files, "test": unseen})
    assert result.code == 3 and f"{unseen}:1: unknown label '7'" in result.err


@pytest.mark.data
def test_nbow_on_shippable_review_sentences(data_dir, tmp_path):
    lines = (data_dir / "embedded-candidates" / "yelp_labelled.txt").read_bytes().decode("utf-8").splitlines()
    order = np.random.default_rng(0).permutation(len(lines))
    files = {}
    for split, part in (("train", order[:700]), ("dev", order[700:850]), ("test", order[850:])):
        files[split] = tmp_path / f"{split}.tsv"
        files[split].write_text("\n".join(lines[i] for i in part) + "\n", encoding="utf-8")
    config = _train("nbow", files, tmp_path / "yelp", "--format", "tsv", "--model", "nbow", "--epochs", "8")
    assert config["test"]["accuracy"] > 0.65  # the classes are balanced: the majority baseline is about 0.5


def test_plot_writes_the_curves(sentiment_files, tmp_path):
    pytest.importorskip("matplotlib", reason="needs the plot extra: pip install -e '.[plot]'")
    png = tmp_path / "curves.png"
    _train("nbow", sentiment_files, tmp_path / "m", "--epochs", "2", "--model", "nbow", "--plot", str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

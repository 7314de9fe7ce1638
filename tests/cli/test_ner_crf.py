"""`fastgrad train ner --crf`: Collobert et al.'s sentence-level log-likelihood, trained with the forward
algorithm and decoded with Viterbi, so that every predicted sentence is a valid IOB2/IOBES sequence."""
import io
import json

import numpy as np
import pytest

import fastgrad
from fastgrad.cli import main
from fastgrad.data import tags as grammar
from fastgrad.models.crf import LinearChainCRF
from fastgrad.train.directory import model_files

CITIES = ["Paris", "New York", "Buenos Aires", "Oslo", "Rio de Janeiro"]
PEOPLE = ["Ana Smith", "Ito", "John Ronald Tolkien", "Garcia"]
FILLER = ["the", "talks", "were", "held", "today", "and", "officials", "said", "it", "rained", "then"]
SMALL = ["--dim", "8", "--hidden", "24", "--batch-size", "4", "--lr", "0.01", "--threads", "1", "--min-count", "1",
         "--caps"]


def sentence(rng, scheme):
    tokens = [(str(w), "O") for w in rng.choice(FILLER, size=rng.integers(1, 4))]
    for names, kind in ((CITIES, "LOC"), (PEOPLE, "PER")):
        if rng.random() < 0.7:
            words = str(rng.choice(names)).split()
            tokens += [("in" if kind == "LOC" else "with", "O")] + [(w, f"I-{kind}") for w in words]
    words = [w for w, _ in tokens]
    return words, grammar.convert([t for _, t in tokens], scheme) if scheme else [t for _, t in tokens]


def conll(path, rng, count, scheme):
    """IOB1 when scheme is None (chunks start with I-), else IOB2 or IOBES."""
    blocks = []
    for _ in range(count):
        words, tags = sentence(rng, scheme)
        blocks.append("\n".join(f"{w} X {t}" for w, t in zip(words, tags)))
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("scheme", [None, "iobes"])
def test_crf_tagger_learns_and_every_prediction_is_valid(tmp_path, scheme, capsys, monkeypatch):
    rng = np.random.default_rng(0)
    files = {split: conll(tmp_path / f"{split}.conll", rng, n, scheme) for split, n in (("train", 150), ("dev", 30),
                                                                                     ("test", 30))}
    out = tmp_path / "crf"
    assert main(["train", "ner", "--crf", "--train", str(files["train"]), "--dev", str(files["dev"]), "--test",
                 str(files["test"]), *SMALL, "--epochs", "6", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    learnt = "IOBES" if scheme else "IOB"  # IOB1 files are learnt as IOB2
    assert f"tags ({learnt}, CRF, 2 entity types inferred from the training file: LOC, PER)" in printed
    config = json.loads((model_files(out) / "config.json").read_text())
    assert config["crf"] and config["labels"] == grammar.tag_set(["LOC", "PER"], learnt.lower())
    assert config["test"]["f1"] > 0.9
    assert "crf.transitions" in fastgrad.load(model_files(out) / "model.npz")

    text = "\n".join([" ".join(sentence(rng, None)[0]) for _ in range(40)]
                     + ["Paris Paris Ana Oslo with with New", "Ito", "in Rio de"]) + "\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))  # predict reads its bytes
    assert main(["predict", str(out)]) == 0
    for line in capsys.readouterr().out.splitlines():
        tags = [pair.rsplit("/", 1)[1] for pair in line.split()]
        assert grammar.is_valid(tags, learnt.lower()), line


@pytest.mark.parametrize("scheme", ["iob", "iobes"])
def test_viterbi_with_the_scheme_never_breaks_its_grammar(scheme):
    """Whatever the network's scores, the decoded paths obey the grammar (unconstrained argmax does not)."""
    labels = grammar.tag_set(["location", "person", "group"], scheme)
    crf = LinearChainCRF(len(labels), grammar.allowed_transitions(labels, scheme))
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 9, size=300)
    scores = rng.normal(scale=3.0, size=(lengths.sum(), len(labels))).astype(np.float32)
    for backend in ("numpy", "compiled"):
        with fastgrad.backend(backend):
            decoded = crf.decode(scores, lengths)
        sentences = np.split(np.asarray(labels)[decoded], np.cumsum(lengths)[:-1])
        assert all(grammar.is_valid(list(s), scheme) for s in sentences)
    greedy = np.split(np.asarray(labels)[scores.argmax(axis=1)], np.cumsum(lengths)[:-1])
    assert not all(grammar.is_valid(list(s), scheme) for s in greedy)  # what the constraints prevent

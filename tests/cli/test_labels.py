"""Label sets are declared or inferred only when small and consistent, stated on the first lines of the run,
and any label outside them is refused with its file and line."""
import json

import numpy as np
import pytest

from fastgrad.cli import EXIT_INPUT
from fastgrad.train.directory import model_files

WORDS = ["the", "film", "plot", "was", "good", "bad", "dull", "great", "a", "story", "and", "acting", "moving"]
SMALL = ["--dim", "8", "--hidden", "8", "--batch-size", "8", "--epochs", "1", "--threads", "1"]


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def sentences(tmp_path):
    rng = np.random.default_rng(0)
    return [" ".join(rng.choice(WORDS, size=6)) for _ in range(120)]


@pytest.fixture
def labelled(tmp_path, sentences):
    return write(tmp_path / "labelled.txt", [f"{i % 2} {s}" for i, s in enumerate(sentences)])


def test_unlabelled_lines_are_refused_not_read_as_hundreds_of_labels(cli, tmp_path, sentences, labelled):
    unlabelled = write(tmp_path / "unlabelled.txt", sentences)
    result = cli("train", "nbow", "--train", unlabelled, "--dev", labelled, *SMALL)
    assert result.code == EXIT_INPUT
    assert f"{unlabelled}: the first field of each line gives " in result.err
    assert "is --format sst right? If these are the labels, declare them with --labels" in result.err
    assert "epoch 1/1" not in result.out


def test_a_tsv_file_read_as_label_first_lines_names_the_line_and_the_format(cli, tmp_path, sentences, labelled):
    tsv = write(tmp_path / "reviews.tsv", [f"{s.capitalize()}.\t{i % 2}" for i, s in enumerate(sentences)])
    result = cli("train", "nbow", "--train", tsv, "--dev", labelled, *SMALL)
    assert result.code == EXIT_INPUT and f"{tsv}:1: a tab in a 'LABEL SENTENCE' line" in result.err
    assert "(--format tsv)" in result.err


def test_inferred_labels_are_stated_on_the_first_lines(cli, labelled):
    result = cli("train", "nbow", "--train", labelled, "--dev", labelled, *SMALL)
    assert result.code == 0
    lines = result.out.splitlines()
    assert "labels (inferred from the training file): 0 (60 sentences), 1 (60 sentences)" in lines[:6]


def test_declared_labels_refuse_any_other_with_file_and_line(cli, tmp_path, sentences, labelled):
    with_neutral = write(tmp_path / "three.txt", [f"{i % 2} {s}" for i, s in enumerate(sentences[:5])]
                         + [f"neutral {sentences[5]}"])
    result = cli("train", "nbow", "--train", with_neutral, "--dev", labelled, "--labels", "0,1", *SMALL)
    assert result.code == EXIT_INPUT and f"{with_neutral}:6: unknown label 'neutral'; known labels are ['0', '1']" \
        in result.err
    result = cli("train", "nbow", "--train", labelled, "--dev", labelled, "--labels", "1,0", *SMALL)
    assert result.code == 0 and "labels (declared with --labels): 1 (60 sentences), 0 (60 sentences)" in result.out


def test_a_label_seen_once_is_not_inferred(cli, tmp_path, sentences, labelled):
    odd = write(tmp_path / "odd.txt", [f"{i % 2} {s}" for i, s in enumerate(sentences[:20])] + [f"7 {sentences[20]}"])
    result = cli("train", "nbow", "--train", odd, "--dev", labelled, *SMALL)
    assert result.code == EXIT_INPUT and "1 label seen only once ('7')" in result.err


CONLL = "EU X B-ORG\nrejects X O\nGerman X B-MISC\ncall X O\n\nPeter X B-PER\nBlackburn X I-PER\n"


@pytest.mark.parametrize("bad_tag", ["PERSON", "X-PER", "B_PER", "b-PER"])
def test_tags_outside_iob_and_iobes_name_the_file_and_line(cli, tmp_path, bad_tag):
    train = tmp_path / "train.conll"
    train.write_text(CONLL + f"visited X O\nLondon X {bad_tag}\n", encoding="utf-8")
    result = cli("train", "ner", "--train", train, "--dev", train, *SMALL)
    assert result.code == EXIT_INPUT
    assert f"{train}:9: tag {bad_tag!r} is not O or PREFIX-TYPE" in result.err


def test_dev_tags_of_an_unknown_type_name_the_file_and_line(cli, tmp_path):
    train = tmp_path / "train.conll"
    train.write_text(CONLL * 3, encoding="utf-8")
    dev = tmp_path / "dev.conll"
    dev.write_text("Paris X B-LOC\n", encoding="utf-8")
    result = cli("train", "ner", "--train", train, "--dev", dev, *SMALL)
    assert result.code == EXIT_INPUT and f"{dev}:1: tag 'B-LOC' has a type that is not in the training data" in result.err


def test_tag_set_is_stated_and_iobes_is_recognised(cli, tmp_path):
    train = tmp_path / "train.conll"
    train.write_text("EU X S-ORG\nrejects X O\nPeter X B-PER\nBlackburn X E-PER\n\n" * 3, encoding="utf-8")
    out = tmp_path / "ner"
    result = cli("train", "ner", "--train", train, "--dev", train, "--min-count", "1", *SMALL, "--out", out)
    assert result.code == 0
    assert "tags (IOBES, 2 entity types inferred from the training file: ORG, PER): B-PER, E-PER, O, S-ORG" in result.out
    assert json.loads((model_files(out) / "config.json").read_text())["labels"] == ["B-PER", "E-PER", "O", "S-ORG"]

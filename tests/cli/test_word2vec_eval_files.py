"""`fastgrad eval` of a word2vec model tells an analogy file from a similarity file as the readers read them;
`eval-vectors` and `similar` refuse a vector file that holds no vectors."""
import json

import numpy as np
import pytest

from fastgrad.data.vectors import WordVectors
from fastgrad.train.word2vec import VECTORS_FILE


@pytest.fixture
def model_dir(tmp_path):
    directory = tmp_path / "w2v"
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps({"kind": "word2vec"}), encoding="utf-8")
    words = ["athens", "greece", "paris", "france"]
    WordVectors(words, np.random.default_rng(0).normal(size=(len(words), 4))).save(directory / VECTORS_FILE)
    return directory


def test_an_analogy_file_with_a_byte_order_mark_is_scored_as_analogies(cli, tmp_path, model_dir):
    questions = tmp_path / "questions.txt"
    questions.write_bytes(b"\xef\xbb\xbf: capital\r\nathens greece paris france\r\n")
    outcome = cli("eval", model_dir, questions)
    assert outcome.code == 0, outcome.err
    assert json.loads(outcome.out.splitlines()[-1])["analogies"]["asked"] == 1


def test_bytes_that_are_not_utf8_are_an_input_error_naming_the_file(cli, tmp_path, model_dir):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_bytes("athens\tgreece\t5\ncafé\tparis\t3\n".encode("latin-1"))
    outcome = cli("eval", model_dir, pairs)
    assert outcome.code == 3
    assert outcome.err.strip() == (f"fastgrad: {pairs}:2: not valid UTF-8 at byte 3 of the line "
                                   "(invalid continuation byte)")


@pytest.mark.parametrize("content", [b"", b"0 4\n"], ids=["empty", "header only"])
@pytest.mark.parametrize("command", [["eval-vectors", "--similarity", "pairs.tsv"], ["similar", "athens"]],
                         ids=["eval-vectors", "similar"])
def test_a_vector_file_without_vectors_is_an_input_error_naming_it(cli, tmp_path, content, command):
    """Not 0 pairs and a NaN Spearman rho: there is nothing to evaluate."""
    vectors = tmp_path / "vectors.txt"
    vectors.write_bytes(content)
    (tmp_path / "pairs.tsv").write_text("athens\tgreece\t5\nparis\tfrance\t3\n", encoding="utf-8")
    arguments = [tmp_path / argument if argument == "pairs.tsv" else argument for argument in command[1:]]
    outcome = cli(command[0], vectors, *arguments)
    assert outcome.code == 3, outcome.err
    assert outcome.err.strip().splitlines()[-1] == f"fastgrad: {vectors}: no vectors in it"


@pytest.mark.parametrize("lines, why", [("athens\tgreece\t5\nathens\tzebra\t3\n", "fewer than 2 pairs"),
                                        ("athens\tgreece\t5\nparis\tfrance\t5\n",
                                         "the scores or the similarities are all equal")],
                         ids=["one pair", "tied scores"])
def test_an_undefined_spearman_rho_is_no_number_not_nan(cli, tmp_path, model_dir, lines, why):
    """Spearman's rho of fewer than 2 pairs, or of tied scores, is undefined: it printed 'rho nan' and wrote
    NaN, which is not JSON, where an analogy group with no question asked prints 'n/a' and writes null."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(lines, encoding="utf-8")
    for command in (["eval", model_dir, pairs], ["eval-vectors", model_dir, "--similarity", pairs]):
        outcome = cli(*command)
        assert outcome.code == 0, outcome.err
        assert f"Spearman rho n/a ({why})" in outcome.out
        assert "nan" not in outcome.out.lower()
        assert json.loads(outcome.out.splitlines()[-1])["similarity:pairs.tsv"]["spearman"] is None


@pytest.mark.parametrize("command", [
    ["eval-vectors", "{dir}", "--similarity", "{pairs}"],
    ["similar", "{dir}", "athens"],
    ["train", "nbow", "--train", "{train}", "--dev", "{train}", "--pretrained", "{dir}"],
], ids=["eval-vectors", "similar", "train --pretrained"])
def test_a_model_directory_of_another_kind_is_refused_by_its_kind(cli, tmp_path, command):
    """It said only 'DIR/current/vectors.bin: No such file or directory' (a file system error, exit 4)."""
    other = tmp_path / "classifier"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"kind": "nbow"}), encoding="utf-8")
    (tmp_path / "pairs.tsv").write_text("athens\tgreece\t5\nparis\tfrance\t3\n", encoding="utf-8")
    (tmp_path / "train.txt").write_text("1 a good film\n0 a bad film\n" * 4, encoding="utf-8")
    names = {"dir": other, "pairs": tmp_path / "pairs.tsv", "train": tmp_path / "train.txt"}
    outcome = cli(*[argument.format(**names) for argument in command])
    assert outcome.code == 5
    assert outcome.err.strip().splitlines()[-1] == (f"fastgrad: {other}: holds a nbow model, not word vectors; give a "
                                                    "vector file or a `fastgrad train word2vec` directory")

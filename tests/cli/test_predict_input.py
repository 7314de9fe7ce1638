"""`fastgrad predict` reads stdin as the data readers read files: a byte-order mark and CRLF line ends change no
word, and bytes that are not UTF-8 are one error line naming stdin and the line (they used to pass as parts of words
that were then scored as unknown). Output line N answers input line N, and a language model's words outside its
vocabulary are named on stderr."""
import io

import pytest


@pytest.fixture
def ngram_dir(cli, tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 5, encoding="utf-8")
    out = tmp_path / "kn"
    outcome = cli("train", "ngram", "--train", text, "--valid", text, "--test", text, "--order", 2, "--out", out)
    assert outcome.code == 0, outcome.err
    return out


def predict(cli, monkeypatch, model_dir, data: bytes):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    return cli("predict", model_dir)


def test_a_byte_order_mark_and_crlf_line_ends_change_no_word(cli, monkeypatch, ngram_dir):
    clean = predict(cli, monkeypatch, ngram_dir, b"the cat sat\nthe dog\n")
    assert clean.code == 0, clean.err
    odd = predict(cli, monkeypatch, ngram_dir, b"\xef\xbb\xbfthe cat sat\r\nthe dog\r\n")
    assert odd.code == 0, odd.err
    assert odd.out == clean.out and len(clean.out.splitlines()) == 2


def test_bytes_that_are_not_utf8_are_one_error_line_naming_stdin_and_the_line(cli, monkeypatch, ngram_dir):
    outcome = predict(cli, monkeypatch, ngram_dir, b"the cat\ncaf\xe9 sat\n")
    assert outcome.code == 3
    assert outcome.err.strip().splitlines()[-1] == (
        "fastgrad: stdin:2: not valid UTF-8 at byte 3 of the line (invalid continuation byte)")
    assert len(outcome.out.splitlines()) == 1  # the line before it was predicted


def test_words_outside_the_vocabulary_are_named_on_stderr_line_by_line(cli, monkeypatch, ngram_dir):
    """A line of unknown words is scored as `<unk>`s, a frequent token: its perplexity looked like that of a likely
    line, with nothing saying so (eval reports the `<unk>` share; predict said nothing)."""
    outcome = predict(cli, monkeypatch, ngram_dir, b"the cat sat\nqqq zzz\nthe zzz\n")
    assert outcome.code == 0, outcome.err
    assert len(outcome.out.splitlines()) == 3
    notes = [line for line in outcome.err.splitlines() if line.startswith("line ")]
    assert notes == ["line 2: 2 words of 2 not in the model's vocabulary, scored as <unk>: 'qqq', 'zzz'",
                     "line 3: 1 word of 2 not in the model's vocabulary, scored as <unk>: 'zzz'"]


def test_word2vec_predict_keeps_blank_lines_so_output_lines_match_input_lines(cli, monkeypatch, tmp_path):
    import json

    import numpy as np

    from fastgrad.data.vectors import WordVectors
    from fastgrad.train.word2vec import VECTORS_FILE

    model_dir = tmp_path / "w2v"
    model_dir.mkdir()
    (model_dir / "config.json").write_text(json.dumps({"kind": "word2vec"}), encoding="utf-8")
    WordVectors(["a", "b", "c"], np.eye(3)).save(model_dir / VECTORS_FILE)
    outcome = predict(cli, monkeypatch, model_dir, b"a\n\nzzz\n")
    assert outcome.code == 0, outcome.err
    lines = outcome.out.split("\n")
    assert lines[0].startswith("a\t") and lines[1:3] == ["", "zzz\t(not in vocabulary)"]

"""`fastgrad predict` reads stdin as the data readers read files: a byte-order mark and CRLF line ends change no
word, and bytes that are not UTF-8 are one error line naming stdin and the line (they used to pass as parts of words
that were then scored as unknown)."""
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

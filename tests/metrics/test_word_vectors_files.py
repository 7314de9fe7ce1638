"""The evaluation files as editors and tools write them: a byte-order mark, CRLF line ends, other encodings,
scores that are not finite. Each must give the numbers of the clean file or a clear error, never other numbers."""
import numpy as np
import pytest

from fastgrad.data.vectors import WordVectors
from fastgrad.metrics.word_vectors import evaluate_similarity, read_analogies, read_word_pairs

PAIRS = "love\tsex\t6.77\ntiger\tcat\t7.35\nbook\tpaper\t7.46\n"
QUESTIONS = ": capital\nathens greece paris france\n: gram1\nman woman king queen\n"


@pytest.fixture
def vectors():
    words = ["love", "sex", "tiger", "cat", "book", "paper"]
    return WordVectors(words, np.random.default_rng(0).normal(size=(len(words), 4)))


@pytest.mark.parametrize("prefix, line_end", [(b"\xef\xbb\xbf", b"\n"), (b"", b"\r\n"), (b"\xef\xbb\xbf", b"\r\n")])
def test_a_byte_order_mark_or_crlf_changes_no_pair(tmp_path, vectors, prefix, line_end):
    clean, odd = tmp_path / "clean.tsv", tmp_path / "odd.tsv"
    clean.write_bytes(PAIRS.encode())
    odd.write_bytes(prefix + PAIRS.encode().replace(b"\n", line_end))
    assert read_word_pairs(odd) == read_word_pairs(clean)
    expected, got = evaluate_similarity(vectors, clean), evaluate_similarity(vectors, odd)
    assert (got.pairs, got.oov_pairs, got.spearman) == (expected.pairs, expected.oov_pairs, expected.spearman) == (
        3, 0, expected.spearman)


def test_a_byte_order_mark_does_not_hide_the_first_section(tmp_path):
    odd = tmp_path / "questions.txt"
    odd.write_bytes(b"\xef\xbb\xbf" + QUESTIONS.encode().replace(b"\n", b"\r\n"))
    assert read_analogies(odd) == [("capital", [("athens", "greece", "paris", "france")]),
                                   ("gram1", [("man", "woman", "king", "queen")])]


@pytest.mark.parametrize("score", ["nan", "inf", "-Infinity"])
def test_a_score_that_is_not_finite_is_refused(tmp_path, score):
    odd = tmp_path / "pairs.tsv"
    odd.write_text(PAIRS + f"tiger\tbook\t{score}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"pairs.tsv:4: score '{score}' is not a finite number"):
        read_word_pairs(odd)


@pytest.mark.parametrize("read, text", [(read_word_pairs, PAIRS), (read_analogies, QUESTIONS)])
def test_bytes_that_are_not_utf8_are_refused_with_the_file_and_line(tmp_path, read, text):
    odd = tmp_path / "latin1.txt"
    odd.write_bytes(text.encode() + "café au lait 1\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1.txt:\d: not valid UTF-8"):
        read(odd)

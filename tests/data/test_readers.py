import gzip

import numpy as np
import pytest

from fastgrad.data.readers import (iob1_to_iob2, read_conll, read_label_first, read_lines, read_text_tab_label,
                                   simple_tokenize)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_simple_tokenize():
    assert simple_tokenize("Isn't it a SLOW-moving film, 2.5 stars?!") == [
        "isn't", "it", "a", "slow-moving", "film", ",", "2.5", "stars", "?", "!"]
    assert simple_tokenize("Hello World", lowercase=False) == ["Hello", "World"]


def test_read_lines_splits_on_newline_only(tmp_path):
    path = write(tmp_path, "a.txt", "one\u0085still one\r\ntwo\n")
    assert list(read_lines(path)) == [(1, "one\u0085still one"), (2, "two")]
    with gzip.open(tmp_path / "b.txt.gz", "wb") as f:
        f.write(b"zipped\nlines\n")
    assert [text for _, text in read_lines(tmp_path / "b.txt.gz")] == ["zipped", "lines"]
    (tmp_path / "bom.txt").write_bytes("\ufeff-DOCSTART- -X- O\nword\n".encode("utf-8"))
    assert list(read_lines(tmp_path / "bom.txt")) == [(1, "-DOCSTART- -X- O"), (2, "word")]  # no BOM on a word


def test_label_first(tmp_path):
    train = write(tmp_path, "train", "1 a Stirring , funny film\n0 dull\n10 odd label\n2 fine\n")
    data = read_label_first(train)
    assert data.label_names == ["0", "1", "2", "10"]  # numeric labels sort numerically
    assert data.tokens[0] == ["a", "stirring", ",", "funny", "film"]  # lower-cased, as `predict` does
    np.testing.assert_array_equal(data.labels, [1, 0, 3, 2])
    assert len(data) == 4
    dev = write(tmp_path, "dev", "0 ok\n7 unseen label\n")
    with pytest.raises(ValueError, match=r"dev:2: unknown label '7'; known labels are \['0', '1', '2', '10'\]"):
        read_label_first(dev, data.label_names)


@pytest.mark.parametrize("text, line, message", [
    ("1 fine\n0\n", 2, "expected 'LABEL SENTENCE'"),
    ("1 fine\n0 ok\n\xff broken\n", 3, "not valid UTF-8"),
])
def test_label_first_bad_lines(tmp_path, text, line, message):
    path = write(tmp_path, "bad", text.encode("latin-1") if "\xff" in text else text)
    with pytest.raises(ValueError, match=f"bad:{line}: {message}"):
        read_label_first(path)


def test_empty_file_and_blank_lines(tmp_path):
    with pytest.raises(ValueError, match="empty.txt: file is empty"):
        read_label_first(write(tmp_path, "empty.txt", ""))
    with pytest.warns(UserWarning, match="skipped 2 blank line"):
        data = read_label_first(write(tmp_path, "gaps.txt", "1 a\n\n0 b\n  \n"))
    assert len(data) == 2


def test_text_tab_label(tmp_path):
    path = write(tmp_path, "s.tsv", "A very, very slow movie.  \t0\nGreat!\tpos\n")
    data = read_text_tab_label(path)
    assert data.tokens == [["a", "very", ",", "very", "slow", "movie", "."], ["great", "!"]]
    assert data.label_names == ["0", "pos"]
    assert read_text_tab_label(path, lowercase=False).tokens[1] == ["Great", "!"]
    with pytest.raises(ValueError, match="t.tsv:2: expected 2 tab-separated columns"):
        read_text_tab_label(write(tmp_path, "t.tsv", "fine\t1\nno label here\n"))
    with pytest.raises(ValueError, match="u.tsv:1: empty text"):
        read_text_tab_label(write(tmp_path, "u.tsv", "   \t1\n"))


CONLL = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
"""


def test_conll_columns_and_documents(tmp_path):
    data = read_conll(write(tmp_path, "c.txt", CONLL))
    assert data.tokens == [["EU", "rejects", "German"], ["Peter", "Blackburn"], ["BRUSSELS"]]
    assert data.tags == [["B-ORG", "O", "B-MISC"], ["B-PER", "I-PER"], ["B-LOC"]]
    assert data.documents == 2 and len(data) == 3


def test_conll_tab_separated_tokens_may_hold_spaces(tmp_path):
    data = read_conll(write(tmp_path, "w.conll", "New York\tB-location\nis\tO\n\nhi\tO\n"))
    assert data.tokens == [["New York", "is"], ["hi"]]
    assert data.tags == [["B-location", "O"], ["O"]]


@pytest.mark.parametrize("text, message", [
    ("EU NNP B-ORG\nrejects O\n", "c.txt:2: expected 3 columns like the first token line, got 2"),
    ("EU\nrejects\n", "c.txt:1: expected at least 2 columns"),
    ("-DOCSTART- -X- O\n\n\n", "c.txt: no sentences found"),
])
def test_conll_bad_files(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        read_conll(write(tmp_path, "c.txt", text))


def test_iob1_to_iob2():
    # IOB1: I- opens a chunk unless it continues one of the same type; B- only splits two adjacent same-type chunks
    assert iob1_to_iob2(["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "I-ORG", "B-ORG"]) == [
        "B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "B-ORG", "B-ORG"]
    assert iob1_to_iob2(["B-creative-work", "I-creative-work", "I-group"]) == [
        "B-creative-work", "I-creative-work", "B-group"]
    with pytest.raises(ValueError, match="tag 'X-PER' at position 1"):
        iob1_to_iob2(["O", "X-PER"])


@pytest.mark.data
def test_shared_data_files(data_dir):
    sst = read_label_first(data_dir / "sst" / "stsa.binary.train")
    assert len(sst) == 6920 and sst.label_names == ["0", "1"]
    np.testing.assert_array_equal(np.bincount(sst.labels), [3310, 3610])
    assert sum(map(len, sst.tokens)) == 133_555
    fine_dev = read_label_first(data_dir / "sst" / "stsa.fine.dev", read_label_first(data_dir / "sst" / "stsa.fine.train").label_names)
    np.testing.assert_array_equal(np.bincount(fine_dev.labels), [139, 289, 229, 279, 165])
    for name in ("amazon_cells", "imdb", "yelp"):
        reviews = read_text_tab_label(data_dir / "embedded-candidates" / f"{name}_labelled.txt")
        np.testing.assert_array_equal(np.bincount(reviews.labels), [500, 500])
    conll = read_conll(data_dir / "conll2003" / "train.txt")
    assert (len(conll), sum(map(len, conll.tokens)), conll.documents) == (14_041, 203_621, 946)
    assert all(iob1_to_iob2(tags) == tags for tags in conll.tags)  # the files are already IOB2
    wnut = read_conll(data_dir / "embedded-candidates" / "wnut17_train_sample300.conll")
    assert (len(wnut), sum(map(len, wnut.tokens))) == (300, 5_775)

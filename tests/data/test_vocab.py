import numpy as np
import pytest

from fastgrad.data.vocab import Vocab

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat"], ["the", "end"]]


def test_build_orders_by_count_then_token():
    vocab = Vocab.build(SENTENCES)
    # the:3; cat, sat:2 (ties by code point); a, dog, end:1
    assert vocab.itos == ["<pad>", "<unk>", "the", "cat", "sat", "a", "dog", "end"]
    assert vocab.stoi["cat"] == 3 and len(vocab) == 8
    np.testing.assert_array_equal(vocab.counts, [0, 0, 3, 2, 2, 1, 1, 1])
    assert Vocab.build(reversed(SENTENCES)).itos == vocab.itos  # input order does not matter


def test_min_count_max_size_and_specials():
    assert Vocab.build(SENTENCES, min_count=2).itos == ["<pad>", "<unk>", "the", "cat", "sat"]
    assert Vocab.build(SENTENCES, max_size=4).itos == ["<pad>", "<unk>", "the", "cat"]
    lm_vocab = Vocab.build([["x", "<eos>", "y", "<eos>"]], specials=("<unk>", "<eos>"))
    assert lm_vocab.itos == ["<unk>", "<eos>", "x", "y"]
    assert lm_vocab.counts[1] == 2  # a special keeps its own count
    with pytest.raises(ValueError, match="min_count"):
        Vocab.build(SENTENCES, min_count=0)
    with pytest.raises(ValueError, match="unk token"):
        Vocab.build(SENTENCES, specials=("<pad>",), unk="<unk>")
    with pytest.raises(TypeError, match="got a str"):
        Vocab.build(["the cat"])


def test_encode_decode():
    vocab = Vocab.build(SENTENCES)
    ids = vocab.encode(["the", "zebra", "cat"])
    assert ids.dtype == np.int64
    np.testing.assert_array_equal(ids, [2, 1, 3])
    assert vocab.decode(ids) == ["the", "<unk>", "cat"]
    with pytest.raises(IndexError, match="token id 8 is out of range for a vocabulary of size 8"):
        vocab.decode([0, 8])
    strict = Vocab.build(SENTENCES, specials=(), unk=None)
    with pytest.raises(KeyError, match="zebra"):
        strict.encode(["the", "zebra"])
    assert strict.encode([]).shape == (0,)


def test_save_load_round_trip(tmp_path):
    vocab = Vocab.build(SENTENCES + [["café", "naïve", "café"]], specials=("<pad>", "<unk>", "<eos>"))
    path = tmp_path / "vocab.txt"
    vocab.save(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1:4] == ["<pad>\t0", "<unk>\t0", "<eos>\t0"] and "café\t2" in lines
    loaded = Vocab.load(path)
    assert loaded.itos == vocab.itos and loaded.specials == vocab.specials and loaded.unk == "<unk>"
    np.testing.assert_array_equal(loaded.counts, vocab.counts)


@pytest.mark.parametrize("body, line, message", [
    ("<pad>\t0\n<unk>\t0\nthe 3\n", 4, "expected 'token<TAB>count'"),
    ("<pad>\t0\n<unk>\t0\nthe\tmany\n", 4, "count must be a non-negative integer"),
    ("<pad>\t0\n<unk>\t0\nthe\t3\nthe\t2\n", 5, "duplicate token 'the' \\(first on line 4\\)"),
    ("<pad>\t0\n<unk>\t0\n\t3\n", 4, "expected 'token<TAB>count'"),
])
def test_malformed_file_names_file_and_line(tmp_path, body, line, message):
    path = tmp_path / "bad.txt"
    path.write_text('#fastgrad-vocab {"specials": ["<pad>", "<unk>"], "unk": "<unk>"}\n' + body, encoding="utf-8")
    with pytest.raises(ValueError, match=f"bad.txt:{line}: {message}"):
        Vocab.load(path)


def test_malformed_header_and_encoding(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("the\t3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.txt:1: expected a header"):
        Vocab.load(path)
    path.write_bytes(b'#fastgrad-vocab {"specials": [], "unk": null}\nok\t1\n\xff\t2\n')
    with pytest.raises(ValueError, match="bad.txt:3: not valid UTF-8"):
        Vocab.load(path)
    path.write_text('#fastgrad-vocab {"specials": ["<pad>"], "unk": null}\nthe\t1\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.txt: the first tokens must be the specials"):
        Vocab.load(path)

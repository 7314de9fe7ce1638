import sys

import numpy as np
import pytest

from fastgrad.data import builtin_corpus
from fastgrad.data.builtin_corpus import builtin_lm_splits, load_builtin_corpus

SIDE_EFFECT_MODULES = ("this", "antigravity", "tkinter", "idlelib", "turtledemo")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def parsed(cache_dir):
    imported_before = {name for name in SIDE_EFFECT_MODULES if name in sys.modules}
    sentences = load_builtin_corpus(cache_dir)
    assert {name for name in SIDE_EFFECT_MODULES if name in sys.modules} == imported_before
    return sentences


def test_corpus_size_and_tokens(parsed):
    tokens = sum(map(len, parsed))
    assert 300_000 < tokens < 2_000_000
    assert all(len(s) >= builtin_corpus.MIN_SENTENCE_TOKENS for s in parsed)
    vocabulary = {t for s in parsed for t in s}
    assert all(t == t.lower() and t.strip() == t and " " not in t for t in vocabulary)
    assert {"the", "function", "array", "return"} <= vocabulary


def test_cache_is_text_and_reloads_identically(parsed, cache_dir):
    (cache_file,) = cache_dir.iterdir()
    assert cache_file.name.startswith(f"builtin_corpus-v{builtin_corpus.CORPUS_VERSION}-py")
    lines = cache_file.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(" ") == parsed[0] and len(lines) == len(parsed)
    assert load_builtin_corpus(cache_dir) == parsed


def test_prose_extraction_drops_doctests_and_underlines():
    doc = """Return the sum. Ignores `nan`.

    Examples
    --------
    >>> add(1, 2)
    3

    Works on arrays too!
    """
    assert list(builtin_corpus._sentences(doc)) == [
        ["return", "the", "sum", "."], ["ignores", "nan", "."], ["works", "on", "arrays", "too", "!"]]


def test_lm_splits(parsed, cache_dir):
    vocab, train, valid = builtin_lm_splits(max_size=5000, cache_dir=cache_dir)
    assert len(vocab) == 5000 and vocab.itos[:2] == ["<unk>", "<eos>"]
    assert train.dtype == np.int64 and train.max() < 5000 and valid.max() < 5000
    tokens_with_eos = sum(map(len, parsed)) + len(parsed)
    assert len(train) + len(valid) == tokens_with_eos
    assert 0.07 < len(valid) / tokens_with_eos < 0.13
    assert (train == vocab.stoi["<eos>"]).sum() + (valid == vocab.stoi["<eos>"]).sum() == len(parsed)

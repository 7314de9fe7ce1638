import numpy as np
import pytest

from fastgrad.data.lm_corpus import batchify, bptt_segments, load_lm_corpus, load_ptb, read_lm_tokens


def test_read_and_encode(tmp_path):
    (tmp_path / "train.txt").write_text(" the cat sat \n the dog \n\n", encoding="utf-8")
    (tmp_path / "valid.txt").write_text(" the bird \n", encoding="utf-8")
    (tmp_path / "test.txt").write_text(" a cat \n", encoding="utf-8")
    assert read_lm_tokens(tmp_path / "train.txt") == ["the", "cat", "sat", "<eos>", "the", "dog", "<eos>", "<eos>"]
    corpus = load_lm_corpus(tmp_path / "train.txt", tmp_path / "valid.txt", tmp_path / "test.txt")
    assert corpus.vocab.itos == ["<unk>", "<eos>", "the", "cat", "dog", "sat"]
    np.testing.assert_array_equal(corpus.train, [2, 3, 5, 1, 2, 4, 1, 1])
    np.testing.assert_array_equal(corpus.valid, [2, 0, 1])  # "bird" is not in train
    assert corpus.test.dtype == np.int64


def test_batchify_columns_are_contiguous_chunks():
    batched = batchify(np.arange(11), 3)  # 11 = 3 * 3 + 2: the last 2 tokens are dropped
    np.testing.assert_array_equal(batched, [[0, 3, 6], [1, 4, 7], [2, 5, 8]])
    assert batched.dtype == np.int64 and batched.flags.c_contiguous
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        batchify(np.arange(10), 0)
    with pytest.raises(ValueError, match="fewer than 2 steps"):
        batchify(np.arange(5), 3)
    with pytest.raises(ValueError, match="1-d integer"):
        batchify(np.zeros((2, 5), dtype=np.int64), 2)


def test_bptt_segments_shift_targets_by_one():
    batched = batchify(np.arange(20), 2)  # 10 steps
    segments = list(bptt_segments(batched, 4))
    assert [len(inputs) for inputs, _ in segments] == [4, 4, 1]  # 9 (input, target) steps in all
    for inputs, targets in segments:
        np.testing.assert_array_equal(targets, inputs + 1)
    np.testing.assert_array_equal(np.concatenate([inputs for inputs, _ in segments]), batched[:-1])
    with pytest.raises(ValueError, match="bptt must be at least 1"):
        next(bptt_segments(batched, 0))


@pytest.mark.data
def test_ptb(data_dir):
    corpus = load_ptb()
    assert len(corpus.vocab) == 10_000
    assert (len(corpus.train), len(corpus.valid), len(corpus.test)) == (929_589, 73_760, 82_430)
    assert (corpus.test == corpus.vocab.stoi["<unk>"]).sum() == 4_794
    assert corpus.vocab.decode(corpus.train[:4]) == ["aer", "banknote", "berlitz", "calloway"]

"""Language-model corpora as one stream of token ids, and the batching used to train on them.

Convention (Mikolov's PTB, PyTorch's word_language_model): each line is a sentence; an `<eos>` token is
appended to every line and the lines are concatenated into one stream, so `<eos>` also serves as the
start-of-sentence context for the next line.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from fastgrad.data.paths import data_file
from fastgrad.data.readers import read_lines
from fastgrad.data.vocab import Vocab

EOS = "<eos>"
UNK = "<unk>"
PTB_FILES = {"train": "ptb/ptb.train.txt.gz", "valid": "ptb/ptb.valid.txt", "test": "ptb/ptb.test.txt"}


def read_lm_tokens(path: str | os.PathLike) -> list[str]:
    """The file's whitespace-separated tokens, line by line, with `<eos>` after every line (a blank line
    gives a lone `<eos>`, as in PyTorch's word_language_model)."""
    tokens: list[str] = []
    for _, line in read_lines(path):
        tokens.extend(line.split())
        tokens.append(EOS)
    return tokens


@dataclass
class LMCorpus:
    """Train/valid/test id streams (int64) over one vocabulary built on train."""

    vocab: Vocab
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def load_lm_corpus(train: str | os.PathLike, valid: str | os.PathLike, test: str | os.PathLike,
                   max_size: int | None = None, min_count: int = 1) -> LMCorpus:
    """Read three line-per-sentence files; the vocabulary (specials `<unk>`, `<eos>`) comes from train.
    Valid/test tokens missing from it map to `<unk>`."""
    train_tokens = read_lm_tokens(train)
    vocab = Vocab.build([train_tokens], min_count=min_count, max_size=max_size, specials=(UNK, EOS), unk=UNK)
    return LMCorpus(vocab, vocab.encode(train_tokens), vocab.encode(read_lm_tokens(valid)),
                    vocab.encode(read_lm_tokens(test)))


def load_ptb() -> LMCorpus:
    """Mikolov's Penn Treebank from the data folder: 10,000 words (`<unk>` and `<eos>` included),
    929,589 / 73,760 / 82,430 tokens."""
    return load_lm_corpus(*(data_file(PTB_FILES[split]) for split in ("train", "valid", "test")))


def batchify(ids: np.ndarray, batch_size: int) -> np.ndarray:
    """Cut one stream into `batch_size` parallel streams: a (steps, batch_size) array whose column b is the
    b-th contiguous chunk of `ids`; the last `len(ids) % batch_size` tokens are dropped."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be a 1-d integer array, got shape {ids.shape} dtype {ids.dtype}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    steps = len(ids) // batch_size
    if steps < 2:
        raise ValueError(f"{len(ids)} tokens give fewer than 2 steps per stream at batch_size {batch_size}")
    return np.ascontiguousarray(ids[: steps * batch_size].astype(np.int64).reshape(batch_size, steps).T)


def bptt_segments(batched: np.ndarray, bptt: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(input, target) pairs of shape (length, batch_size), length = `bptt` except possibly the last:
    target is input shifted one step ahead in each stream. Hidden state can carry across segments."""
    if batched.ndim != 2:
        raise ValueError(f"batched must be 2-d (steps, batch_size), got shape {batched.shape}")
    if bptt < 1:
        raise ValueError(f"bptt must be at least 1, got {bptt}")
    for start in range(0, len(batched) - 1, bptt):
        length = min(bptt, len(batched) - 1 - start)
        yield batched[start:start + length], batched[start + 1:start + 1 + length]

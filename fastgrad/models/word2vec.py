"""Word2vec (Mikolov et al. 2013): skip-gram and CBOW with negative sampling.

`read_corpus` streams a text file (optionally .gz) once, encoding it to an int32 id array while it
counts words; `Word2Vec.train` runs the compiled kernels of `fastgrad.kernels.word2vec` over that
array in `workers` threads. Defaults follow gensim's `Word2Vec` so the two can be compared setting for setting.

`SkipGramNegativeSampling` is the same skip-gram loss written as an ordinary fastgrad model
(embedding lookups, dot products, binary cross-entropy with logits); one `optim.SGD` step of it on a
batch equals `train_skipgram_pairs` on that batch (tests/models/test_word2vec.py checks this).
"""
from __future__ import annotations

import codecs
import gzip
import itertools
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from fastgrad.data.readers import DAMAGED_GZIP
from fastgrad.data.vectors import WordVectors
from fastgrad.kernels import word2vec as kernels

# gensim's cap (MAX_WORDS_IN_BATCH): longer lines, such as text8's single line, become several sentences.
MAX_SENTENCE_LENGTH = 10_000
_READ_BLOCK_BYTES = 1 << 22
_PROGRESS_POLL_SECONDS = 0.2


@dataclass
class Corpus:
    """A tokenised corpus as word ids, with its vocabulary.

    `ids[p]` is the id of the p-th word of the text, or -1 for a word seen fewer than `min_count`
    times (kept so raw word counts stay exact; the kernels skip it). Sentence s is
    `ids[sentence_starts[s]:sentence_starts[s + 1]]`. `words` is sorted by count, most frequent first.
    """

    words: list[str]
    counts: np.ndarray
    ids: np.ndarray
    sentence_starts: np.ndarray

    @property
    def raw_words(self) -> int:
        return int(self.ids.size)

    @property
    def sentences(self) -> int:
        return int(self.sentence_starts.size - 1)


class _CorpusEncoder:
    """Turns token lists into ids as they arrive; the vocabulary is fixed only at `finish`."""

    def __init__(self, max_sentence_length: int):
        if max_sentence_length < 1:
            raise ValueError(f"max_sentence_length must be at least 1, got {max_sentence_length}")
        self._max_sentence_length = max_sentence_length
        # A new word gets the next provisional id the first time it is looked up; map() runs this at C speed.
        self._provisional_ids: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self._chunks: list[np.ndarray] = []
        self._boundaries = [0]
        self._size = 0
        self._sentence_length = 0

    def add(self, tokens: list[str]) -> None:
        """Append tokens to the current sentence, starting a new one every `max_sentence_length` words."""
        if not tokens:
            return
        self._chunks.append(np.fromiter(map(self._provisional_ids.__getitem__, tokens), dtype=np.int32, count=len(tokens)))
        remaining = len(tokens)
        while self._sentence_length + remaining >= self._max_sentence_length:
            taken = self._max_sentence_length - self._sentence_length
            remaining -= taken
            self._size += taken
            self._boundaries.append(self._size)
            self._sentence_length = 0
        self._size += remaining
        self._sentence_length += remaining

    def end_sentence(self) -> None:
        if self._sentence_length:
            self._boundaries.append(self._size)
            self._sentence_length = 0

    def word_counts(self) -> tuple[list[str], np.ndarray]:
        """The words seen so far and how often each occurred."""
        words = list(self._provisional_ids)  # insertion order is provisional id order
        counts = np.zeros(len(words), dtype=np.int64)
        for chunk in self._chunks:
            counts += np.bincount(chunk, minlength=len(words))
        return words, counts

    def finish(self, min_count: int, total_counts: dict[str, int] | None = None) -> Corpus:
        """The encoded corpus with the words seen at least `min_count` times. `total_counts`: every
        word's count over the whole text when this encoder read only a shard of it (data parallel), so
        that all shards get one vocabulary; by default, the counts of what this encoder read."""
        self.end_sentence()
        words, counts = self.word_counts()
        ids = np.concatenate(self._chunks) if self._chunks else np.empty(0, dtype=np.int32)
        self._chunks = []
        if total_counts is None:
            total_counts = dict(zip(words, counts.tolist()))
        # Most frequent first; ties by the word itself so the order never depends on the text's order.
        kept = sorted((w for w, c in total_counts.items() if c >= min_count), key=lambda w: (-total_counts[w], w))
        final_id = {w: i for i, w in enumerate(kept)}
        final_ids = np.fromiter((final_id.get(w, -1) for w in words), dtype=np.int32, count=len(words))
        np.take(final_ids, ids, out=ids)
        return Corpus(words=kept, counts=np.array([total_counts[w] for w in kept], dtype=np.int64), ids=ids,
                      sentence_starts=np.asarray(self._boundaries, dtype=np.int64))


def _check_min_count(min_count: int) -> None:
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}")


def read_corpus(path: str | Path, min_count: int = 5, max_sentence_length: int = MAX_SENTENCE_LENGTH) -> Corpus:
    """Read whitespace-separated words from a text file (`.gz` is decompressed), one pass, in blocks.

    Each line is a sentence (cut every `max_sentence_length` words); words seen fewer than
    `min_count` times stay in the id array as -1. The raw text is never held whole: a line longer
    than a block (text8 is one 100 MB line) is encoded block by block.
    """
    _check_min_count(min_count)
    encoder = _CorpusEncoder(max_sentence_length)
    encode_text(encoder, path)
    return encoder.finish(min_count)


def encode_text(encoder: _CorpusEncoder, path: str | Path, byte_range: tuple[int, int] | None = None) -> None:
    """Feed the words of a text file to `encoder`. With `byte_range=(start, stop)` (bytes of the
    decompressed text), only the words whose first byte lies in [start, stop): the shards of
    consecutive ranges hold every word exactly once (data-parallel word2vec)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"corpus file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            blocks = _read_blocks(f) if byte_range is None else _read_byte_range(f, *byte_range)
            unfinished = ""
            for block in _decode_utf8(blocks):
                lines = (unfinished + block).split("\n")
                unfinished = lines.pop()
                for line in lines:
                    encoder.add(line.split())
                    encoder.end_sentence()
                # Encode the unfinished line up to its last whitespace; the word cut by the block edge waits.
                cut = max(unfinished.rfind(" "), unfinished.rfind("\t"))
                if cut > 0:
                    encoder.add(unfinished[:cut].split())
                    unfinished = unfinished[cut:]
            encoder.add(unfinished.split())
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text ({err})") from err
    except (OSError, *DAMAGED_GZIP) as err:
        raise ValueError(f"{path}: cannot read corpus ({err})") from err


def _read_blocks(f) -> Iterator[bytes]:
    while block := f.read(_READ_BLOCK_BYTES):
        yield block


def _read_byte_range(f, start: int, stop: int) -> Iterator[bytes]:
    """The bytes of the words that start in [start, stop) (with the whitespace between them)."""
    if start > 0:
        f.seek(start - 1)  # a gzip file seeks forward by decompressing
        previous = f.read(1)
        if previous and not previous.isspace():  # the word under `start` began before it: not ours
            while (byte := f.read(1)) and not byte.isspace():
                start += 1
            start += 1
    else:
        f.seek(0)
    remaining = max(stop - start, 0)
    last_byte = b" "
    while remaining > 0 and (block := f.read(min(_READ_BLOCK_BYTES, remaining))):
        remaining -= len(block)
        last_byte = block[-1:]
        yield block
    if not last_byte.isspace():  # finish the word that straddles `stop`
        tail = bytearray()
        while (byte := f.read(1)) and not byte.isspace():
            tail += byte
        yield bytes(tail)


def _decode_utf8(blocks: Iterable[bytes]) -> Iterator[str]:
    """UTF-8 text from byte blocks whose edges may cut a character."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for block in blocks:
        yield decoder.decode(block)
    yield decoder.decode(b"", final=True)


def text_size(path: str | Path) -> int:
    """Bytes of (decompressed) text in a corpus file; a `.gz` file is read through once to count them."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"corpus file not found: {path}")
    if path.suffix != ".gz":
        return path.stat().st_size
    try:
        with gzip.open(path, "rb") as f:
            return sum(len(block) for block in _read_blocks(f))
    except (OSError, *DAMAGED_GZIP) as err:
        raise ValueError(f"{path}: cannot read corpus ({err})") from err


def corpus_from_sentences(sentences: Iterable[Sequence[str]], min_count: int = 5,
                          max_sentence_length: int = MAX_SENTENCE_LENGTH) -> Corpus:
    """A `Corpus` from token lists already in memory (each one a sentence)."""
    _check_min_count(min_count)
    encoder = _CorpusEncoder(max_sentence_length)
    for sentence in sentences:
        if isinstance(sentence, str):
            raise TypeError("sentences must be sequences of tokens, got a str (split it into words first)")
        encoder.add(list(sentence))
        encoder.end_sentence()
    return encoder.finish(min_count)


@dataclass
class TrainingStats:
    """What one `train` call did. Raw words count every word read, as gensim's raw word count does."""

    epochs: int
    raw_words: int
    effective_words: int
    seconds: float  # the whole call, its tables and threads included (gensim times its epochs so)

    @property
    def raw_words_per_second(self) -> float:
        return self.raw_words / max(self.seconds, 1e-9)

    @property
    def effective_words_per_second(self) -> float:
        """gensim's "effective words/s": words kept after dropping rare and subsampled ones."""
        return self.effective_words / max(self.seconds, 1e-9)


ProgressCallback = Callable[[int, float], None]


class Word2Vec:
    """Skip-gram (`model="sg"`) or CBOW (`model="cbow"`) with negative sampling.

    `input_vectors` are the word vectors (word2vec.c's syn0), `output_vectors` the context vectors
    used by negative sampling (syn1neg). The learning rate falls linearly from `alpha` to
    `min_alpha` over all epochs. With `workers > 1` the threads update the shared matrices without
    locks, so results vary from run to run; `workers=1` with a fixed `seed` is deterministic.
    """

    def __init__(self, model: str = "sg", dim: int = 100, window: int = 5, negative: int = 5, sample: float = 1e-3,
                 min_count: int = 5, alpha: float = 0.025, min_alpha: float = 0.0001, epochs: int = 5,
                 workers: int = 1, seed: int = 0):
        if model not in ("sg", "cbow"):
            raise ValueError(f"model must be 'sg' or 'cbow', got {model!r}")
        for name, value, least in (("dim", dim, 1), ("window", window, 1), ("negative", negative, 0),
                                   ("min_count", min_count, 1), ("epochs", epochs, 1), ("workers", workers, 1)):
            if int(value) != value or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
        if not 0.0 <= sample < 1.0:
            raise ValueError(f"sample must be in [0, 1), got {sample}")
        if not 0.0 <= min_alpha <= alpha:
            raise ValueError(f"need 0 <= min_alpha <= alpha, got alpha={alpha}, min_alpha={min_alpha}")
        self.model, self.dim, self.window, self.negative = model, int(dim), int(window), int(negative)
        self.sample, self.min_count, self.alpha, self.min_alpha = float(sample), int(min_count), float(alpha), float(min_alpha)
        self.epochs, self.workers, self.seed = int(epochs), int(workers), int(seed)
        self.words: list[str] = []
        self.counts = np.empty(0, dtype=np.int64)
        self.input_vectors = np.empty((0, self.dim), dtype=np.float32)
        self.output_vectors = np.empty((0, self.dim), dtype=np.float32)

    def config(self) -> dict:
        return {"model": self.model, "dim": self.dim, "window": self.window, "negative": self.negative,
                "sample": self.sample, "min_count": self.min_count, "alpha": self.alpha, "min_alpha": self.min_alpha,
                "epochs": self.epochs, "workers": self.workers, "seed": self.seed}

    def build(self, corpus: Corpus) -> None:
        """Take the corpus vocabulary and initialise the weights as word2vec.c does:
        input vectors uniform in [-0.5, 0.5) / dim, output vectors zero."""
        if not corpus.words:
            raise ValueError(f"the vocabulary is empty: no word occurs min_count={self.min_count} times")
        self.words = list(corpus.words)
        self.counts = np.asarray(corpus.counts, dtype=np.int64)
        rng = np.random.default_rng(self.seed)
        self.input_vectors = ((rng.random((len(self.words), self.dim), dtype=np.float32) - 0.5) / self.dim)
        self.output_vectors = np.zeros((len(self.words), self.dim), dtype=np.float32)

    def fit(self, path: str | Path, progress: ProgressCallback | None = None) -> TrainingStats:
        """Read a corpus file, build the vocabulary and train."""
        corpus = read_corpus(path, min_count=self.min_count)
        self.build(corpus)
        return self.train(corpus, progress)

    def train(self, corpus: Corpus, progress: ProgressCallback | None = None,
              epoch_end: Callable[[int, TrainingStats], None] | None = None, spans_per_epoch: int = 1,
              span_end: Callable[[], None] | None = None, rank: int = 0, first_epoch: int = 0,
              stop_epoch: int | None = None) -> TrainingStats:
        """Train for `epochs` passes over `corpus` (built with the same vocabulary), or only the passes
        `first_epoch` .. `stop_epoch - 1` of them (the learning rate and the random streams depend on the
        epoch number only, so training them in pieces gives what one call gives with `workers=1`).

        `progress(raw_words_since_last_call, alpha)` is called from this thread a few times a second;
        `epoch_end(epoch, stats_so_far)` after each epoch. Data-parallel training
        (fastgrad.distributed.word2vec) cuts each epoch into `spans_per_epoch` runs of sentences of
        about equal word counts and calls `span_end()` after each, where the ranks synchronise their
        matrices; `rank` gives each rank random draws of its own.
        """
        stop_epoch = self.epochs if stop_epoch is None else stop_epoch
        if not 0 <= first_epoch < stop_epoch <= self.epochs:
            raise ValueError(f"need 0 <= first_epoch < stop_epoch <= epochs={self.epochs}, got first_epoch="
                             f"{first_epoch} and stop_epoch={stop_epoch}")
        start = time.perf_counter()  # the tables below count too, as gensim's epoch time counts its setup
        self._check_corpus(corpus)
        kernel = kernels.train_skipgram_part if self.model == "sg" else kernels.train_cbow_part
        keep = kernels.probability_thresholds(kernels.subsample_keep_probability(self.counts, self.sample))
        negative_thresholds, negative_aliases = kernels.unigram_alias_table(self.counts)
        spans = _split_sentences(corpus.sentence_starts, 0, corpus.sentences, spans_per_epoch)
        effective_words = 0
        for epoch in range(first_epoch, stop_epoch):
            for span, (first, last) in enumerate(spans):
                # One process keeps the seeds it always had, so earlier runs repeat exactly.
                key = [self.seed, epoch] if (span, rank) == (0, 0) else [self.seed, epoch, span, rank]
                effective_words += self._train_span(kernel, corpus, first, last, epoch, key, keep,
                                                    negative_thresholds, negative_aliases, progress)
                if span_end is not None:
                    span_end()
            if epoch_end is not None:
                done = epoch + 1 - first_epoch
                epoch_end(epoch, TrainingStats(done, corpus.raw_words * done, effective_words, time.perf_counter() - start))
        done = stop_epoch - first_epoch
        return TrainingStats(done, corpus.raw_words * done, effective_words, time.perf_counter() - start)

    def _train_span(self, kernel, corpus: Corpus, first: int, last: int, epoch: int, seed_key: list[int],
                    keep: np.ndarray, negative_thresholds: np.ndarray, negative_aliases: np.ndarray,
                    progress: ProgressCallback | None) -> int:
        """Sentences first..last-1 in `workers` threads (Hogwild); returns the effective words."""
        starts = corpus.sentence_starts
        words_before = int(starts[first])
        alpha_start = self._alpha_at((epoch + words_before / max(corpus.raw_words, 1)) / self.epochs)
        alpha_end = self._alpha_at((epoch + int(starts[last]) / max(corpus.raw_words, 1)) / self.epochs)
        parts = _split_sentences(starts, first, last, self.workers)
        seeds = np.random.SeedSequence(seed_key).generate_state(len(parts), dtype=np.uint64)
        done = np.zeros(len(parts), dtype=np.int64)
        results: list[int | BaseException] = [0] * len(parts)

        def run(slot: int, first: int, last: int) -> None:
            try:
                results[slot] = kernel(corpus.ids, starts, first, last, self.input_vectors, self.output_vectors, keep,
                                       negative_thresholds, negative_aliases, self.window, self.negative,
                                       np.float32(alpha_start), np.float32(alpha_end), seeds[slot], done, slot)
            except BaseException as err:  # re-raised in the calling thread below
                results[slot] = err

        threads = [threading.Thread(target=run, args=(slot, first, last), daemon=True)
                   for slot, (first, last) in enumerate(parts)]
        for thread in threads:
            thread.start()
        reported = 0
        while any(thread.is_alive() for thread in threads):
            threads[0].join(_PROGRESS_POLL_SECONDS)
            reported = self._report(progress, done, reported, corpus.raw_words, epoch, words_before)
        for thread in threads:
            thread.join()
        self._report(progress, done, reported, corpus.raw_words, epoch, words_before)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return sum(results)

    @property
    def vectors(self) -> WordVectors:
        """The trained word vectors (the input matrix), sharing memory with the model."""
        return WordVectors(self.words, self.input_vectors)

    def _alpha_at(self, fraction_done: float) -> float:
        return self.alpha - (self.alpha - self.min_alpha) * fraction_done

    def _report(self, progress: ProgressCallback | None, done: np.ndarray, reported: int, epoch_words: int,
                epoch: int, words_before: int) -> int:
        words_done = int(done.sum())
        if progress is not None and words_done > reported:
            position = (words_before + words_done) / max(epoch_words, 1)
            progress(words_done - reported, self._alpha_at((epoch + position) / self.epochs))
        return words_done

    def _check_corpus(self, corpus: Corpus) -> None:
        # The kernels index without bounds checks: everything they index is validated here first.
        vocab_size = len(self.words)
        if vocab_size == 0:
            raise RuntimeError("call build(corpus) before train(corpus)")
        if self.input_vectors.shape != (vocab_size, self.dim) or self.output_vectors.shape != (vocab_size, self.dim):
            raise ValueError(f"weights must have shape ({vocab_size}, {self.dim}), got input {self.input_vectors.shape} "
                             f"and output {self.output_vectors.shape}")
        ids, starts = corpus.ids, corpus.sentence_starts
        if ids.dtype != np.int32 or ids.ndim != 1 or not ids.flags.c_contiguous:
            raise ValueError(f"corpus.ids must be a contiguous 1-d int32 array, got {ids.dtype} with shape {ids.shape}")
        if ids.size:
            low, high = int(ids.min()), int(ids.max())
            if low < -1 or high >= vocab_size:
                bad = low if low < -1 else high
                raise IndexError(f"corpus word id {bad} out of range for a vocabulary of {vocab_size} words (-1 marks a dropped word)")
        if starts.dtype != np.int64 or starts.ndim != 1 or starts.size < 1:
            raise ValueError(f"corpus.sentence_starts must be a non-empty 1-d int64 array, got {starts.dtype} {starts.shape}")
        if starts[0] != 0 or starts[-1] != ids.size or np.any(np.diff(starts) < 0):
            raise ValueError(f"corpus.sentence_starts must rise from 0 to len(ids)={ids.size}, "
                             f"got {starts[0]} .. {starts[-1]}")


def _split_sentences(sentence_starts: np.ndarray, first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """Cut sentences first..last-1 into `parts` contiguous runs of about equal word counts."""
    targets = np.linspace(sentence_starts[first], sentence_starts[last], parts + 1)[1:-1]
    cuts = np.concatenate(([first], np.searchsorted(sentence_starts, targets), [last]))
    cuts = np.clip(cuts, first, last)
    return [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:])]


def train_skipgram_pairs(input_vectors: np.ndarray, output_vectors: np.ndarray, contexts: np.ndarray,
                         targets: np.ndarray, negatives: np.ndarray, alpha: float) -> None:
    """Skip-gram negative-sampling SGD updates, in place, for explicit (contexts[p], targets[p],
    negatives[p, :]) triples: the kernel the corpus trainer uses, with every index checked first."""
    for name, matrix in (("input_vectors", input_vectors), ("output_vectors", output_vectors)):
        if not isinstance(matrix, np.ndarray) or matrix.dtype != np.float32 or matrix.ndim != 2 or not matrix.flags.c_contiguous:
            raise ValueError(f"{name} must be a C-contiguous 2-d float32 array, got "
                             f"{getattr(matrix, 'dtype', type(matrix).__name__)} with shape {getattr(matrix, 'shape', None)}")
    if output_vectors.shape != input_vectors.shape:
        raise ValueError(f"output_vectors shape {output_vectors.shape} differs from input_vectors shape {input_vectors.shape}")
    contexts = np.ascontiguousarray(contexts, dtype=np.int64)
    targets = np.ascontiguousarray(targets, dtype=np.int64)
    negatives = np.ascontiguousarray(negatives, dtype=np.int64)
    if contexts.ndim != 1 or targets.shape != contexts.shape:
        raise ValueError(f"contexts and targets must be 1-d of the same length, got {contexts.shape} and {targets.shape}")
    if negatives.ndim != 2 or negatives.shape[0] != contexts.size:
        raise ValueError(f"negatives must have shape ({contexts.size}, k), got {negatives.shape}")
    vocab_size = input_vectors.shape[0]
    for name, ids in (("contexts", contexts), ("targets", targets), ("negatives", negatives)):
        if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
            bad = int(ids.min()) if ids.min() < 0 else int(ids.max())
            raise IndexError(f"{name} id {bad} out of range for {vocab_size} words")
    kernels.train_skipgram_pairs(input_vectors, output_vectors, contexts, targets, negatives, np.float32(alpha))


class SkipGramNegativeSampling(nn.Module):
    """Skip-gram with negative sampling as a fastgrad model (Mikolov et al. 2013, eq. 4).

    For each context word c, its target t and negatives n_1..n_k, with v = input vectors and
    u = output vectors, the loss is -log s(u_t . v_c) - sum_i log s(-u_{n_i} . v_c), i.e. binary
    cross-entropy with logits on the k+1 scores with labels 1, 0, ..., 0, summed over the batch.
    Both tables are sparse embeddings, so SGD touches only the rows of the batch, as the kernel does.
    """

    def __init__(self, vocab_size: int, dim: int):
        super().__init__()
        self.input = nn.Embedding(vocab_size, dim, sparse=True)
        self.output = nn.Embedding(vocab_size, dim, sparse=True)

    def load_weights(self, input_vectors: np.ndarray, output_vectors: np.ndarray) -> None:
        with fastgrad.no_grad():
            self.input.weight.copy_(fastgrad.tensor(input_vectors))
            self.output.weight.copy_(fastgrad.tensor(output_vectors))

    def forward(self, contexts: fastgrad.Tensor, targets: fastgrad.Tensor, negatives: fastgrad.Tensor) -> fastgrad.Tensor:
        hidden = self.input(contexts).unsqueeze(1)                            # (B, 1, dim)
        candidates = fastgrad.cat([targets.unsqueeze(1), negatives], dim=1)    # (B, 1 + k)
        scores = (self.output(candidates) * hidden).sum(dim=2)                 # (B, 1 + k)
        labels = np.zeros(scores.shape, dtype=np.float32)
        labels[:, 0] = 1.0
        return F.binary_cross_entropy_with_logits(scores, fastgrad.tensor(labels), reduction="sum")

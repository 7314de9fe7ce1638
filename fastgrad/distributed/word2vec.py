"""Data-parallel word2vec by periodic model synchronisation, in the manner of Intel's pWord2Vec on clusters
(Ji et al. 2016, "Parallelizing Word2Vec in Shared and Distributed Memory"):

1. the corpus is cut into one shard per rank by byte range (`read_corpus_shard`); a word belongs to the
   rank whose range holds its first byte;
2. the ranks sum their word counts before anything is trained, so every rank builds the same vocabulary
   (and, from rank 0's weights, the same starting matrices);
3. each rank trains Hogwild (`workers` threads, no locks) on its shard, and every `sync_words` words of
   its shard the ranks add up what each of them changed since the last synchronisation (an allreduce of
   the two matrices' differences) and all continue from the sum.

Summing the changes, not averaging the models: a word occurrence on any rank then moves the model as
far as it does in one Hogwild process, only later. Averaging would halve every rank's updates, in effect
training at half the learning rate: on text8-sized Wikipedia, 2 ranks of CBOW scored 20.7% on the
analogies against 28.7% for one process (docs/distributed.md).

The bytes exchanged per synchronisation are 2 x vocabulary x dim x 4, whatever the corpus size, so
`sync_words` trades communication against how far the ranks' models drift apart between syncs.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from fastgrad.distributed.comm import group
from fastgrad.distributed.process_group import ProcessGroup, ReduceOp
from fastgrad.models.word2vec import (MAX_SENTENCE_LENGTH, Corpus, ProgressCallback, TrainingStats, Word2Vec,
                                      _CorpusEncoder, encode_text, text_size)

# Words of a rank's shard between two synchronisations. One thread trains ~230k raw words/s (skip-gram) or
# ~780k (CBOW) at 100 dimensions (docs/notes/word2vec.md): 4.3 s or 1.3 s per sync, against ~90 ms
# to allreduce text8's two matrices (57 MB) between 2 ranks of this machine (docs/distributed.md), so
# communication stays under 10% (2% and 7%).
DEFAULT_SYNC_WORDS = 1_000_000


def read_corpus_shard(path: str | Path, min_count: int = 5, max_sentence_length: int = MAX_SENTENCE_LENGTH,
                      process_group: ProcessGroup | None = None) -> Corpus:
    """This rank's shard of a corpus file, encoded with the vocabulary of the whole file (a collective).

    `Corpus.ids` and `sentence_starts` cover the shard only; `words` and `counts` are the whole
    corpus's, identical on every rank."""
    process_group = process_group or group()
    size = text_size(path)
    start = size * process_group.rank // process_group.size
    stop = size * (process_group.rank + 1) // process_group.size
    encoder = _CorpusEncoder(max_sentence_length)
    encode_text(encoder, path, (start, stop))
    words, counts = encoder.word_counts()
    return encoder.finish(min_count, sum_word_counts(words, counts, process_group))


def sum_word_counts(words: list[str], counts: np.ndarray, process_group: ProcessGroup) -> dict[str, int]:
    """Every rank's word counts added up: word -> count over all shards (a collective)."""
    if process_group.size == 1:
        return dict(zip(words, counts.tolist()))
    # Words hold no whitespace, so newline-joined UTF-8 carries a list of them.
    text, bytes_per_rank = process_group.allgather_rows(np.frombuffer("\n".join(words).encode("utf-8"), np.uint8))
    all_counts, words_per_rank = process_group.allgather_rows(np.asarray(counts, dtype=np.int64))
    total: dict[str, int] = {}
    byte_offset, word_offset = 0, 0
    for nbytes, nwords in zip(bytes_per_rank.tolist(), words_per_rank.tolist()):
        rank_words = text[byte_offset:byte_offset + nbytes].tobytes().decode("utf-8").split("\n") if nwords else []
        for word, count in zip(rank_words, all_counts[word_offset:word_offset + nwords].tolist()):
            total[word] = total.get(word, 0) + count
        byte_offset, word_offset = byte_offset + nbytes, word_offset + nwords
    return total


def train_data_parallel(model: Word2Vec, shard: Corpus, sync_words: int = DEFAULT_SYNC_WORDS,
                        progress: ProgressCallback | None = None, epoch_end=None, first_epoch: int = 0,
                        stop_epoch: int | None = None) -> TrainingStats:
    """Train `model` (built from `shard`, so with the shared vocabulary) on this rank's shard, adding up the
    ranks' changes to the matrices every `sync_words` words of the largest shard; a collective. Returns and
    reports (`epoch_end(epoch, stats)`) the statistics summed over all ranks. `first_epoch` and
    `stop_epoch` train only some of the epochs, as in `Word2Vec.train`."""
    if isinstance(sync_words, bool) or not isinstance(sync_words, (int, np.integer)) or sync_words < 1:
        raise ValueError(f"sync_words must be a positive integer, got {sync_words!r}")
    process_group = group()
    if process_group.size == 1:
        return model.train(shard, progress, epoch_end, first_epoch=first_epoch, stop_epoch=stop_epoch)
    process_group.broadcast_(model.input_vectors, 0)  # one starting point, whatever each rank drew
    process_group.broadcast_(model.output_vectors, 0)
    largest_shard = int(process_group.allreduce_(np.array([shard.raw_words], np.int64), ReduceOp.MAX)[0])

    matrices = (model.input_vectors, model.output_vectors)
    synced = [matrix.copy() for matrix in matrices]  # the matrices as of the last synchronisation

    def add_up_changes() -> None:
        for matrix, before in zip(matrices, synced):
            matrix -= before  # this rank's change since the last sync (the workers are idle here)
            process_group.allreduce_(matrix, ReduceOp.SUM)
            matrix += before
            before[...] = matrix

    def summed(stats: TrainingStats) -> TrainingStats:
        words = process_group.allreduce_(np.array([stats.raw_words, stats.effective_words], np.int64))
        seconds = process_group.allreduce_(np.array([stats.seconds]), ReduceOp.MAX)
        return TrainingStats(stats.epochs, int(words[0]), int(words[1]), float(seconds[0]))

    def report_epoch(epoch: int, stats: TrainingStats) -> None:
        all_ranks = summed(stats)
        if epoch_end is not None:
            epoch_end(epoch, all_ranks)

    stats = model.train(shard, progress, report_epoch, spans_per_epoch=max(1, math.ceil(largest_shard / sync_words)),
                        span_end=add_up_changes, rank=process_group.rank, first_epoch=first_epoch,
                        stop_epoch=stop_epoch)
    return summed(stats)

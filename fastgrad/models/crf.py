"""A linear-chain CRF layer over a network's per-token tag scores: Collobert et al. 2011's sentence-level
log-likelihood (Sec. 3.4.2). Transition scores between tags (and from the sentence start, to its end) are
learnt with the network; training maximises log p(gold path) = score(gold path) - log Z, with log Z from the
forward algorithm (`F.crf_log_partition`, a compiled kernel), and decoding is Viterbi.

`allowed` (start, transition and end tables, see `fastgrad.data.tags.allowed_transitions`) forbids
transitions outside a tag scheme's grammar with scores of -inf, in training and decoding alike, so every
decoded sentence is a valid sequence of its scheme.
"""
from __future__ import annotations

import numpy as np

import fastgrad
from fastgrad import nn
from fastgrad.backends import get_backend_kernels
from fastgrad.nn import functional as F
from fastgrad.tensor import Tensor


class LinearChainCRF(nn.Module):
    """Transitions (K, K), start (K,) and end (K,) scores, zero at first; `allowed` fixes forbidden ones at -inf."""

    def __init__(self, num_tags: int, allowed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None):
        super().__init__()
        self.num_tags = num_tags
        self.transitions = nn.Parameter(fastgrad.zeros(num_tags, num_tags))
        self.start = nn.Parameter(fastgrad.zeros(num_tags))
        self.end = nn.Parameter(fastgrad.zeros(num_tags))
        if allowed is None:
            allowed = (np.ones(num_tags, bool), np.ones((num_tags, num_tags), bool), np.ones(num_tags, bool))
        shapes = ((num_tags,), (num_tags, num_tags), (num_tags,))
        if any(np.shape(table) != shape for table, shape in zip(allowed, shapes)):
            raise ValueError(f"allowed must be (start, transitions, end) tables of shapes {shapes}, got "
                             f"{[np.shape(table) for table in allowed]}")
        # Constants added to the learnt scores: 0 where allowed, -inf where not (their gradient is 0 there).
        self._forbidden = tuple(np.where(np.asarray(table, bool), 0.0, -np.inf).astype(np.float32) for table in allowed)

    def scores(self) -> tuple[Tensor, Tensor, Tensor]:
        """(start, transitions, end) with the forbidden entries at -inf."""
        start, transitions, end = (Tensor._from_data(mask.astype(p._data.dtype)) for mask, p in
                                   zip(self._forbidden, (self.start, self.transitions, self.end)))
        return self.start + start, self.transitions + transitions, self.end + end

    def neg_log_likelihood(self, emissions: Tensor, tags: np.ndarray, lengths: np.ndarray) -> Tensor:
        """sum over the sentences of -log p(tags | emissions): log Z minus the gold path's score."""
        tags = np.asarray(tags, dtype=np.int64)
        lengths = np.asarray(lengths, dtype=np.int64)
        if tags.shape != (emissions.shape[0],):
            raise ValueError(f"tags must have one entry per emission row ({emissions.shape[0]}), "
                             f"got shape {tags.shape}")
        if tags.size and not 0 <= tags.min() <= tags.max() < self.num_tags:
            bad = tags[(tags < 0) | (tags >= self.num_tags)][0]
            raise ValueError(f"tags must be tag ids in [0, {self.num_tags}), got {bad}")
        start, transitions, end = self.scores()
        log_z = F.crf_log_partition(emissions, lengths, transitions, start, end)
        stops = np.cumsum(lengths)
        firsts = stops - lengths
        follows = np.ones(len(tags), dtype=bool)
        follows[firsts] = False  # a sentence's first tag follows nothing
        k = self.num_tags

        def picked(scores: Tensor, flat_index: np.ndarray) -> Tensor:  # sum of scores.flat[flat_index]
            return scores.reshape(-1).index_select(0, Tensor._from_data(flat_index)).sum()

        gold = (picked(emissions, np.arange(len(tags)) * k + tags)
                + picked(transitions, tags[np.flatnonzero(follows) - 1] * k + tags[follows])
                + picked(start, tags[firsts]) + picked(end, tags[stops - 1]))
        return log_z.sum() - gold

    def decode(self, emissions: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The best allowed tag path of every sentence (Viterbi), stacked: (N,) int64."""
        with fastgrad.no_grad():
            start, transitions, end = (t._data for t in self.scores())
        emissions = np.ascontiguousarray(emissions, dtype=start.dtype)
        lengths = np.asarray(lengths, dtype=np.int64)
        return get_backend_kernels().crf_viterbi(emissions, lengths, transitions, start, end)

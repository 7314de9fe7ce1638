"""Window-approach tagger (Collobert et al. 2011, Sec. 3.3.1; the lecture's window classifier).

Each token is classified from the concatenated embeddings of the words in a window of +-`window` positions
around it, padded with `<s>` / `</s>` at the sentence edges, through one hidden layer and a softmax over
tags; decoding is greedy (argmax per token). Words are lower-cased with digits mapped to 0, so an optional
capitalisation feature (a small embedding of the token's case pattern, per window position) restores what
lower-casing removes.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from fastgrad import nn
from fastgrad.functions import cat
from fastgrad.models.crf import LinearChainCRF
from fastgrad.nn import functional as F
from fastgrad.tensor import Tensor

LEFT_PAD, RIGHT_PAD = "<s>", "</s>"
WORD_SPECIALS = ("<pad>", "<unk>", LEFT_PAD, RIGHT_PAD)

# Case patterns (Collobert et al. 2011, Sec. 3.5 "caps" feature); the last id pads the sentence edges.
CAPS_PATTERNS = ("lower", "upper", "title", "mixed", "nocase", "pad")
CAPS_PAD = CAPS_PATTERNS.index("pad")
_DIGITS = re.compile(r"[0-9]")


def normalize_word(token: str) -> str:
    """The word-embedding key: lower-cased, every digit replaced by 0 (numbers share their shape's vector)."""
    return _DIGITS.sub("0", token.lower())


def caps_pattern(token: str) -> int:
    """Index into CAPS_PATTERNS: all lower, all caps, capitalised words ("New-York"), other mixes, no letters."""
    if not any(ch.isalpha() for ch in token):
        return CAPS_PATTERNS.index("nocase")
    if token.islower():
        return CAPS_PATTERNS.index("lower")
    if token.isupper():
        return CAPS_PATTERNS.index("upper")
    if token.istitle():
        return CAPS_PATTERNS.index("title")
    return CAPS_PATTERNS.index("mixed")


def windows(ids: np.ndarray, window: int, left_pad: int, right_pad: int) -> np.ndarray:
    """(len(ids), 2*window+1): row i holds ids[i-window .. i+window], `left_pad`/`right_pad` past the edges."""
    if window < 0:
        raise ValueError(f"window must be >= 0, got {window}")
    ids = np.asarray(ids, dtype=np.int64)
    padded = np.concatenate([np.full(window, left_pad, np.int64), ids, np.full(window, right_pad, np.int64)])
    return np.lib.stride_tricks.sliding_window_view(padded, 2 * window + 1).copy()


def sentence_windows(sentences: Sequence[np.ndarray], window: int, left_pad: int, right_pad: int) -> np.ndarray:
    """The windows of every token of every sentence, stacked in order: (total tokens, 2*window+1)."""
    if not sentences:
        return np.zeros((0, 2 * window + 1), dtype=np.int64)
    return np.concatenate([windows(s, window, left_pad, right_pad) for s in sentences])


class WindowTagger(nn.Module):
    """Embeddings of a (2w+1)-word window, concatenated -> Linear -> tanh or ReLU -> dropout -> Linear to tags.

    `caps_dim > 0` adds a `caps_dim`-wide embedding of each window word's case pattern to its word vector.
    Word vectors start N(0, init_std^2): small, so that rarely updated rows stay near zero (see `DAN`).
    """

    def __init__(self, vocab_size: int, num_tags: int, window: int = 2, dim: int = 50, hidden: int = 300,
                 caps_dim: int = 0, activation: str = "tanh", dropout: float = 0.0, sparse: bool = True,
                 init_std: float = 0.1):
        super().__init__()
        if activation not in ("tanh", "relu"):
            raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
        self.window, self.activation = window, activation
        self.words = nn.Embedding(vocab_size, dim, sparse=sparse)
        nn.init.normal_(self.words.weight, std=init_std)
        self.caps = nn.Embedding(len(CAPS_PATTERNS), caps_dim) if caps_dim > 0 else None
        self.hidden = nn.Linear((2 * window + 1) * (dim + max(caps_dim, 0)), hidden)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden, num_tags)

    def forward(self, word_windows: np.ndarray, caps_windows: np.ndarray | None = None) -> Tensor:
        """Tag scores (N, num_tags) for N windows of word ids (and case-pattern ids when the model has caps)."""
        count = len(word_windows)
        x = self.words(Tensor._from_data(word_windows)).reshape(count, -1)
        if self.caps is not None:
            if caps_windows is None:
                raise ValueError("this model has a caps feature: pass caps_windows with the word windows")
            x = cat([x, self.caps(Tensor._from_data(caps_windows)).reshape(count, -1)], dim=1)
        h = self.hidden(self.dropout(x))
        h = F.tanh(h) if self.activation == "tanh" else F.relu(h)
        return self.output(self.dropout(h))


class WindowCRFTagger(WindowTagger):
    """The window network with Collobert et al. 2011's sentence-level log-likelihood: its tag scores feed a
    linear-chain CRF (`LinearChainCRF`), trained on whole sentences and decoded with Viterbi, so that with
    `allowed` from a tag scheme every predicted sentence is a valid tag sequence."""

    def __init__(self, vocab_size: int, num_tags: int, allowed=None, **kwargs):
        super().__init__(vocab_size, num_tags, **kwargs)
        self.crf = LinearChainCRF(num_tags, allowed)

    def loss(self, word_windows: np.ndarray, caps_windows: np.ndarray | None, tags: np.ndarray,
             lengths: np.ndarray) -> Tensor:
        """-log p(gold tags) summed over the sentences, divided by their tokens (the scale of a per-token loss)."""
        return self.crf.neg_log_likelihood(self(word_windows, caps_windows), tags, lengths) / max(len(tags), 1)

    def decode(self, scores: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return self.crf.decode(scores, lengths)

"""Sampling text from a language model, one token at a time.

Every model is seen through a `NextTokenScorer`: `feed(ids)` consumes tokens and returns the log-scores
(log-probabilities or logits) of the next token. Sampling draws from softmax(scores / temperature),
optionally only among the `top_k` best; temperature 0 is greedy decoding (argmax). Scorers exist for the
n-gram model (its history), the fixed-window LM (its last n-1 ids) and the RNN LM (its hidden state).
"""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

import fastgrad
from fastgrad.models.ngram import KneserNeyLM


class NextTokenScorer(Protocol):
    def feed(self, ids: Sequence[int]) -> np.ndarray:
        """Consume `ids` (at least one) and return the scores of the token after them, shape (vocab_size,)."""


def sample_token(scores: np.ndarray, temperature: float = 1.0, top_k: int | None = None,
                 rng: np.random.Generator | None = None) -> int:
    """One id drawn from softmax(scores / temperature) restricted to the `top_k` highest scores;
    temperature 0 returns the argmax (the lowest id among ties)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"scores must be a non-empty 1-d array, got shape {scores.shape}")
    if not temperature >= 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and not 1 <= top_k <= scores.size:
        raise ValueError(f"top_k must be in 1..{scores.size} (the vocabulary size) or None, got {top_k}")
    if temperature == 0:
        return int(np.argmax(scores))
    logits = scores / temperature
    if top_k is not None and top_k < scores.size:
        best = np.argsort(-logits, kind="stable")[:top_k]  # ties at the k-th score: the lower ids win
        kept = np.full_like(logits, -np.inf)
        kept[best] = logits[best]
        logits = kept
    weights = np.exp(logits - logits.max())
    rng = rng if rng is not None else np.random.default_rng()
    return int(rng.choice(scores.size, p=weights / weights.sum()))


def generate(scorer: NextTokenScorer, prompt: Sequence[int], tokens: int, temperature: float = 1.0,
             top_k: int | None = None, seed: int | None = 0, banned: Sequence[int] = ()) -> np.ndarray:
    """`tokens` ids sampled after the non-empty `prompt`; the same seed gives the same ids. Ids in `banned`
    (such as `<unk>`) are never drawn: their scores are set to -inf before sampling."""
    if len(prompt) == 0:
        raise ValueError("prompt must hold at least one id (use the <eos> id to start a sentence)")
    if tokens < 0:
        raise ValueError(f"tokens must be non-negative, got {tokens}")
    rng = np.random.default_rng(seed)
    drawn = np.empty(tokens, dtype=np.int64)
    scores = scorer.feed(list(prompt)) if tokens else None
    banned = np.asarray(banned, dtype=np.int64)
    for i in range(tokens):
        if banned.size:
            scores = np.array(scores, dtype=np.float64)
            scores[banned] = -np.inf
        drawn[i] = sample_token(scores, temperature, top_k, rng)
        if i + 1 < tokens:
            scores = scorer.feed([int(drawn[i])])
    return drawn


class NgramScorer:
    """Log-probabilities of a fitted `KneserNeyLM` given the history fed so far."""

    def __init__(self, model: KneserNeyLM):
        self.model = model
        self.history: list[int] = []

    def feed(self, ids: Sequence[int]) -> np.ndarray:
        self.history.extend(int(i) for i in ids)
        keep = self.model.order - 1
        context = self.history[len(self.history) - keep:] if keep else []
        return np.log(self.model.distribution(context))


class WindowScorer:
    """Logits of a fixed-window LM (`FixedWindowLM`) from its last `context_size` ids; a history shorter
    than the window is padded on the left with `pad_id` (the `<eos>` id: the start of a sentence)."""

    def __init__(self, model, pad_id: int):
        self.model = model
        self.window = [int(pad_id)] * model.context_size

    def feed(self, ids: Sequence[int]) -> np.ndarray:
        self.window = (self.window + [int(i) for i in ids])[-self.model.context_size:]
        with fastgrad.no_grad():
            logits = self.model(fastgrad.tensor(np.array([self.window], dtype=np.int64)))
        return logits._data[0]


class RecurrentScorer:
    """Logits of an RNN LM (`RNNLM`) after running its hidden state over everything fed so far."""

    def __init__(self, model):
        self.model = model
        self.hidden = model.init_hidden(1)

    def feed(self, ids: Sequence[int]) -> np.ndarray:
        with fastgrad.no_grad():
            logits, self.hidden = self.model(fastgrad.tensor(np.array(ids, dtype=np.int64).reshape(-1, 1)),
                                             self.hidden)
        return logits._data[-1, 0]

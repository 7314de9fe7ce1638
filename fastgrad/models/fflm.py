"""Fixed-window neural language model (Bengio, Ducharme, Vincent & Jauvin 2003, "A Neural Probabilistic
Language Model", JMLR 3): the previous n-1 words' embeddings are concatenated, passed through one tanh
hidden layer, and a softmax over the vocabulary gives P(w_t | w_{t-n+1} .. w_{t-1}):

    x = [C(w_{t-n+1}); ...; C(w_{t-1})]          y = b + U tanh(d + H x)

(the paper's optional direct connections W x are left out, as in most re-implementations). Training
minimises the cross-entropy of every position of a token stream; the first n-1 targets of a stream see
`<eos>` padding as their context, so every token but the first is scored, as with the other LMs.
"""
from __future__ import annotations

import numpy as np

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from fastgrad.distributed.batch_parts import batch_part
from fastgrad.models.word_matrices import init_word_matrices
from fastgrad.tensor import Tensor


class FixedWindowLM(nn.Module):
    """Scores the next word from the `context_size` (= n-1) previous ones: ids (N, context_size) -> logits (N, V)."""

    def __init__(self, vocab_size: int, context_size: int = 4, embedding_dim: int = 128, hidden_size: int = 512,
                 dropout: float = 0.0, tie_weights: bool = False):
        super().__init__()
        if context_size < 1:
            raise ValueError(f"context_size must be at least 1, got {context_size}")
        self.context_size = context_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.hidden = nn.Linear(context_size * embedding_dim, hidden_size)
        self.output = nn.Linear(hidden_size, vocab_size)
        self.dropout = nn.Dropout(dropout)
        init_word_matrices(self.embedding, self.output, tie_weights)

    def features(self, context: Tensor) -> Tensor:
        """What the output layer reads: (N, hidden_size) after dropout."""
        if context.ndim != 2 or context.shape[1] != self.context_size:
            raise ValueError(f"context must have shape (N, {self.context_size}), got {tuple(context.shape)}")
        embedded = self.embedding(context).reshape(context.shape[0], -1)  # concatenation of the n-1 rows
        return self.dropout(F.tanh(self.hidden(self.dropout(embedded))))

    def forward(self, context: Tensor) -> Tensor:
        return self.output(self.features(context))

    def loss(self, context: Tensor, targets: np.ndarray, reduction: str = "mean") -> Tensor:
        """Cross-entropy of the next-word distributions against targets (N,): the output layer and the loss
        as one op (F.linear_cross_entropy), without the (N, V) logits."""
        return F.linear_cross_entropy(self.features(context), self.output.weight, fastgrad.as_tensor(targets),
                                      linear_bias=self.output.bias, reduction=reduction)


def context_windows(ids: np.ndarray, context_size: int, pad_id: int) -> np.ndarray:
    """Row i holds the `context_size` ids before ids[i + 1] (left-padded with `pad_id`): a read-only
    (len(ids) - 1, context_size) view whose targets are ids[1:]."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"ids must be a 1-d stream of at least 2 tokens, got shape {ids.shape}")
    padded = np.concatenate([np.full(context_size - 1, pad_id, dtype=np.int64), ids[:-1]])
    return np.lib.stride_tricks.sliding_window_view(padded, context_size)


def train_epoch(model: FixedWindowLM, ids: np.ndarray, pad_id: int, optimizer, batch_size: int,
                rng: np.random.Generator, clip: float | None = None, progress=None,
                shard: tuple[int, int] = (0, 1)) -> float:
    """One pass over every position of `ids` in shuffled minibatches; returns the mean training loss.

    Data-parallel (`shard=(rank, world_size)`, the model's gradients averaged across ranks by a
    DistributedDataParallel wrapper): every rank draws the same order and trains its rank-th part of each
    global batch of `batch_size`, its mean loss weighted so that the averaged gradient is the whole
    batch's (`fastgrad.distributed.batch_parts`). `progress` then counts every rank's positions (its
    running mean loss is rank 0's), and the mean loss is over all ranks (a collective)."""
    rank, world_size = shard
    model.train()
    windows, targets = context_windows(ids, model.context_size, pad_id), ids[1:]
    order = rng.permutation(len(targets))
    total, count = 0.0, 0
    for start in range(0, len(order), batch_size):
        part = batch_part(order[start:start + batch_size], rank, world_size)
        loss = model.loss(fastgrad.from_numpy(windows[part.items]), targets[part.items])
        optimizer.zero_grad()
        (loss if part.weight == 1.0 else loss * part.weight).backward()
        if clip:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        total += loss.item() * part.count
        count += part.count
        if progress is not None:  # the epoch's mean so far, as the returned train loss will be
            progress.update(part.total, **({"loss": total / count} if count else {}))
    if world_size > 1:
        from fastgrad.distributed import group

        total, count = group().allreduce_(np.array([total, count], dtype=np.float64)).tolist()
    return total / count


def evaluate(model: FixedWindowLM, ids: np.ndarray, pad_id: int, batch_size: int = 1024) -> tuple[float, int]:
    """(summed negative log-likelihood in nats, number of predictions) over every token of `ids` but the first."""
    model.eval()
    windows, targets = context_windows(ids, model.context_size, pad_id), ids[1:]
    total = 0.0
    with fastgrad.no_grad():
        for start in range(0, len(targets), batch_size):
            context = fastgrad.from_numpy(np.ascontiguousarray(windows[start:start + batch_size]))
            total += model.loss(context, targets[start:start + batch_size], reduction="sum").item()
    return total, len(targets)

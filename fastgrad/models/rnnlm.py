"""Recurrent neural network language model (Mikolov et al. 2010, "Recurrent neural network based language
model"): embedding -> Elman RNN -> linear -> softmax over the vocabulary,

    h_t = tanh(W_ih e(w_t) + W_hh h_{t-1} + b)        P(w_{t+1} | w_1..w_t) = softmax(U h_t + c)

trained with truncated backpropagation through time (Williams & Peng 1990): the corpus is cut into
`batch_size` parallel streams, the hidden state is carried from one `bptt`-step segment to the next but
detached, so gradients flow back at most `bptt` steps. Dropout on the embeddings and on the RNN outputs
(not the recurrence) follows Zaremba, Sutskever & Vinyals 2014; `tie_weights` shares the embedding and
output matrices (Press & Wolf 2017; Inan et al. 2017).
"""
from __future__ import annotations

from typing import Any

import numpy as np

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from fastgrad.data.lm_corpus import batchify, bptt_segments
from fastgrad.distributed import DistributedDataParallel
from fastgrad.models.word_matrices import init_word_matrices
from fastgrad.tensor import Tensor


class RNNLM(nn.Module):
    """ids (T, B) and hidden (1, B, H) -> logits (T, B, V) and the last hidden state (1, B, H)."""

    def __init__(self, vocab_size: int, embedding_dim: int = 200, hidden_size: int = 200, dropout: float = 0.0,
                 tie_weights: bool = False, nonlinearity: str = "tanh"):
        super().__init__()
        self.vocab_size, self.hidden_size = vocab_size, hidden_size
        self.encoder = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = nn.RNN(embedding_dim, hidden_size, nonlinearity=nonlinearity)
        self.decoder = nn.Linear(hidden_size, vocab_size)
        self.dropout = nn.Dropout(dropout)
        init_word_matrices(self.encoder, self.decoder, tie_weights)

    def init_hidden(self, batch_size: int) -> Tensor:
        return fastgrad.zeros(1, batch_size, self.hidden_size, dtype=self.encoder.weight.dtype)

    def forward(self, ids: Tensor, hidden: Tensor) -> tuple[Tensor, Tensor]:
        if ids.ndim != 2:
            raise ValueError(f"ids must have shape (steps, batch), got {tuple(ids.shape)}")
        if tuple(hidden.shape) != (1, ids.shape[1], self.hidden_size):
            raise ValueError(f"hidden must have shape (1, {ids.shape[1]}, {self.hidden_size}) for ids of shape "
                             f"{tuple(ids.shape)}, got {tuple(hidden.shape)}")
        outputs, hidden = self.rnn(self.dropout(self.encoder(ids)), hidden)
        return self.decoder(self.dropout(outputs)), hidden


class TruncatedBPTT:
    """Training on `batch_size` parallel streams of `ids`, one `bptt`-step segment per `step()`.

    The hidden state starts at zero each epoch and is carried (detached) from segment to segment; the
    position and hidden state are part of `state_dict()`, so a run restored from it continues exactly.

    Data-parallel (`shard=(rank, world_size)`, `model` an RNNLM wrapped in DistributedDataParallel): each rank
    trains the rank-th contiguous `batch_size / world_size` of the streams, so the ranks together see
    exactly the streams of one process. `state_dict()` then gathers every rank's hidden state (a
    collective: call it on every rank), so a checkpoint is the same for any world size.
    """

    def __init__(self, model: "RNNLM | DistributedDataParallel", optimizer, ids: np.ndarray, batch_size: int,
                 bptt: int, clip: float | None = 0.25, shard: tuple[int, int] = (0, 1)):
        rank, world_size = shard
        if not 0 <= rank < world_size or batch_size % world_size:
            raise ValueError(f"shard must be (rank, world_size) with 0 <= rank < world_size and world_size dividing "
                             f"batch_size {batch_size}, got {shard}")
        self.model, self.optimizer, self.clip = model, optimizer, clip
        self.lm = model.module if isinstance(model, DistributedDataParallel) else model  # what the model is
        self.batch_size, self.world_size = batch_size, world_size
        self.streams = slice(rank * batch_size // world_size, (rank + 1) * batch_size // world_size)
        self.batched = np.ascontiguousarray(batchify(ids, batch_size)[:, self.streams])
        self.segments = list(range(0, len(self.batched) - 1, bptt))
        self.bptt = bptt
        self.epoch, self.segment = 0, 0
        self.hidden = self.lm.init_hidden(self.batched.shape[1])

    @property
    def tokens_per_epoch(self) -> int:
        """Tokens predicted in one epoch (by all ranks together when data-parallel)."""
        return (len(self.batched) - 1) * self.batch_size

    def step(self) -> tuple[float, int]:
        """Train on the next segment; returns (mean loss, tokens predicted). Wraps to a new epoch at the end."""
        self.model.train()
        start = self.segments[self.segment]
        length = min(self.bptt, len(self.batched) - 1 - start)
        inputs, targets = self.batched[start:start + length], self.batched[start + 1:start + 1 + length]
        # truncated BPTT: the carried state keeps its value but gradients stop at the segment boundary
        logits, hidden = self.model(fastgrad.from_numpy(inputs), self.hidden.detach())
        loss = F.cross_entropy(logits.reshape(-1, self.lm.vocab_size), targets.reshape(-1))
        self.optimizer.zero_grad()
        loss.backward()
        if self.clip:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.optimizer.step()
        self.hidden = hidden.detach()
        self.segment += 1
        if self.segment == len(self.segments):
            self.epoch, self.segment = self.epoch + 1, 0
            self.hidden = self.lm.init_hidden(self.batched.shape[1])
        return loss.item(), targets.size

    def run_epoch(self, progress=None) -> float:
        """Train up to the end of the current epoch; returns the mean loss over the segments trained (and
        over all ranks: a collective when data-parallel, where `progress` counts every rank's tokens)."""
        epoch, total, count = self.epoch, 0.0, 0
        while self.epoch == epoch:
            loss, tokens = self.step()
            total, count = total + loss * tokens, count + tokens
            if progress is not None:
                progress.update(tokens * self.world_size, loss=loss)
        if self.world_size > 1:
            from fastgrad.distributed import group

            total, count = group().allreduce_(np.array([total, count], dtype=np.float64)).tolist()
        return total / max(count, 1)

    def state_dict(self) -> dict[str, Any]:
        """Position and the hidden state of all `batch_size` streams (gathered from every rank)."""
        hidden = self.hidden.numpy()
        if self.world_size > 1:
            from fastgrad.distributed import group

            hidden = group().allgather_rows(np.ascontiguousarray(hidden[0]))[0][None]
        return {"epoch": self.epoch, "segment": self.segment, "hidden": hidden.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        hidden = np.asarray(state["hidden"])
        expected = (1, self.batch_size, self.hidden.shape[2])
        if hidden.shape != expected:
            raise ValueError(f"saved hidden state has shape {hidden.shape}, expected {expected}")
        if not 0 <= int(state["segment"]) < len(self.segments):
            raise ValueError(f"saved segment {state['segment']} is outside 0..{len(self.segments) - 1}")
        self.epoch, self.segment = int(state["epoch"]), int(state["segment"])
        self.hidden = fastgrad.from_numpy(np.ascontiguousarray(hidden[:, self.streams], dtype=self.hidden.dtype))


def evaluate(model: RNNLM, ids: np.ndarray, batch_size: int = 1, bptt: int = 256) -> tuple[float, int]:
    """(summed negative log-likelihood in nats, number of predictions) over `batch_size` streams of `ids`;
    with batch_size 1 every token but the first is predicted, from the whole history before it."""
    model.eval()
    batched = batchify(ids, batch_size)
    hidden = model.init_hidden(batch_size)
    total, count = 0.0, 0
    with fastgrad.no_grad():
        for inputs, targets in bptt_segments(batched, bptt):
            logits, hidden = model(fastgrad.from_numpy(inputs), hidden)
            total += F.cross_entropy(logits.reshape(-1, model.vocab_size), targets.reshape(-1),
                                     reduction="sum").item()
            count += targets.size
    return total, count

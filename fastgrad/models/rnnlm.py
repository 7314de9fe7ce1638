"""Recurrent neural network language model (Mikolov et al. 2010, "Recurrent neural network based language
model"): embedding -> recurrent layers -> linear -> softmax over the vocabulary,

    h_t = tanh(W_ih e(w_t) + W_hh h_{t-1} + b)        P(w_{t+1} | w_1..w_t) = softmax(U h_t + c)

with an Elman RNN as above, or LSTM (Zaremba, Sutskever & Vinyals 2014, "Recurrent neural network
regularization") or GRU layers in its place. Trained with truncated backpropagation through time
(Williams & Peng 1990): the corpus is cut into `batch_size` parallel streams, the recurrent state is
carried from one `bptt`-step segment to the next but detached, so gradients flow back at most `bptt`
steps. Dropout on the embeddings, between recurrent layers and on the last layer's outputs (the
non-recurrent connections, never the recurrence) follows Zaremba et al. 2014; `tie_weights` shares the
embedding and output matrices (Press & Wolf 2017; Inan et al. 2017).
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


CELLS = ("rnn", "lstm", "gru")
State = Tensor | tuple[Tensor, Tensor]  # (layers, B, H); a pair (h, c) of them for the LSTM


def detach_state(state: State) -> State:
    """The state's values without their history: gradients stop here (truncated BPTT)."""
    return tuple(t.detach() for t in state) if isinstance(state, tuple) else state.detach()


def state_tensors(state: State) -> tuple[Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)


class RNNLM(nn.Module):
    """ids (T, B) and a recurrent state -> logits (T, B, V) and the last state. The state is a tensor
    (num_layers, B, H) for `cell` "rnn" (Elman, with `nonlinearity`) and "gru", and a pair (h, c) of them
    for "lstm". `init_range` > 0 draws the recurrent weights from U(-init_range, init_range), as Zaremba et
    al. 2014 do (0 keeps PyTorch's U(-1/sqrt(H), 1/sqrt(H))); the word matrices always start from U(-0.1, 0.1)."""

    def __init__(self, vocab_size: int, embedding_dim: int = 200, hidden_size: int = 200, dropout: float = 0.0,
                 tie_weights: bool = False, nonlinearity: str = "tanh", cell: str = "rnn", num_layers: int = 1,
                 init_range: float = 0.0):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
        self.vocab_size, self.hidden_size, self.cell, self.num_layers = vocab_size, hidden_size, cell, num_layers
        self.encoder = nn.Embedding(vocab_size, embedding_dim)
        between_layers = dropout if num_layers > 1 else 0.0
        if cell == "rnn":
            self.rnn = nn.RNN(embedding_dim, hidden_size, num_layers, nonlinearity=nonlinearity, dropout=between_layers)
        else:
            self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(embedding_dim, hidden_size, num_layers,
                                                                dropout=between_layers)
        self.decoder = nn.Linear(hidden_size, vocab_size)
        self.dropout = nn.Dropout(dropout)
        if init_range > 0:
            with fastgrad.no_grad():
                for param in self.rnn.parameters():
                    param.uniform_(-init_range, init_range)
        init_word_matrices(self.encoder, self.decoder, tie_weights)

    def init_hidden(self, batch_size: int) -> State:
        def zeros() -> Tensor:
            return fastgrad.zeros(self.num_layers, batch_size, self.hidden_size, dtype=self.encoder.weight.dtype)

        return (zeros(), zeros()) if self.cell == "lstm" else zeros()

    def features(self, ids: Tensor, hidden: State) -> tuple[Tensor, State]:
        """What the output layer reads, (T, B, H) after dropout, and the last state."""
        if ids.ndim != 2:
            raise ValueError(f"ids must have shape (steps, batch), got {tuple(ids.shape)}")
        expected = (self.num_layers, ids.shape[1], self.hidden_size)
        shapes = [tuple(t.shape) for t in state_tensors(hidden)]
        if shapes != [expected] * (2 if self.cell == "lstm" else 1):
            kind = "a pair (h, c) of tensors of " if self.cell == "lstm" else ""
            raise ValueError(f"hidden must have {kind}shape {expected} for ids of shape {tuple(ids.shape)}, got "
                             f"{shapes if isinstance(hidden, tuple) else shapes[0]}")
        outputs, hidden = self.rnn(self.dropout(self.encoder(ids)), hidden)
        return self.dropout(outputs), hidden

    def forward(self, ids: Tensor, hidden: State, targets: np.ndarray | None = None) -> tuple[Tensor, State]:
        """(logits (T, B, V), last state); with `targets`, (the mean loss, last state) through `loss`, so
        that a DistributedDataParallel wrapper, which calls forward, trains the fused output layer too."""
        if targets is not None:
            return self.loss(ids, hidden, targets)
        outputs, hidden = self.features(ids, hidden)
        return self.decoder(outputs), hidden

    def loss(self, ids: Tensor, hidden: State, targets: np.ndarray, reduction: str = "mean") -> tuple[Tensor, State]:
        """Cross-entropy of the next-word distributions against targets (T, B), and the last state: the
        decoder and the loss as one op (F.linear_cross_entropy), without the (T * B, V) logits."""
        outputs, hidden = self.features(ids, hidden)
        loss = F.linear_cross_entropy(outputs.reshape(-1, outputs.shape[-1]), self.decoder.weight,
                                      fastgrad.as_tensor(targets).reshape(-1), linear_bias=self.decoder.bias,
                                      reduction=reduction)
        return (loss.reshape(np.shape(targets)) if reduction == "none" else loss), hidden


class TruncatedBPTT:
    """Training on `batch_size` parallel streams of `ids`, one `bptt`-step segment per `step()`.

    The recurrent state starts at zero each epoch and is carried (detached) from segment to segment; the
    position and state are part of `state_dict()`, so a run restored from it continues exactly.

    Data-parallel (`shard=(rank, world_size)`, `model` an RNNLM wrapped in DistributedDataParallel): each rank
    trains the rank-th contiguous `batch_size / world_size` of the streams, so the ranks together see
    exactly the streams of one process. `state_dict()` then gathers every rank's recurrent state (a
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
        loss, hidden = self.model(fastgrad.from_numpy(inputs), detach_state(self.hidden), targets)
        self.optimizer.zero_grad()
        loss.backward()
        if self.clip:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.optimizer.step()
        self.hidden = detach_state(hidden)
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
            if progress is not None:  # the epoch's mean so far, as the epoch line's train loss will be
                progress.update(tokens * self.world_size, loss=total / count)
        if self.world_size > 1:
            from fastgrad.distributed import group

            total, count = group().allreduce_(np.array([total, count], dtype=np.float64)).tolist()
        return total / max(count, 1)

    def state_dict(self) -> dict[str, Any]:
        """Position and the recurrent state of all `batch_size` streams (gathered from every rank)."""
        arrays = tuple(self._all_streams(t._data) for t in state_tensors(self.hidden))
        return {"epoch": self.epoch, "segment": self.segment, "hidden": arrays if len(arrays) > 1 else arrays[0]}

    def _all_streams(self, state: np.ndarray) -> np.ndarray:
        """A (layers, local streams, H) state as (layers, batch_size, H), the ranks' streams in order."""
        if self.world_size == 1:
            return state.copy()
        from fastgrad.distributed import group

        layers, _, size = state.shape
        rows = np.ascontiguousarray(state.transpose(1, 0, 2)).reshape(-1, layers * size)
        gathered = group().allgather_rows(rows)[0]
        return np.ascontiguousarray(gathered.reshape(-1, layers, size).transpose(1, 0, 2))

    def load_state_dict(self, state: dict[str, Any]) -> None:
        saved = state["hidden"]
        arrays = [np.asarray(a) for a in (saved if isinstance(saved, (tuple, list)) else (saved,))]
        current = state_tensors(self.hidden)
        expected = [(t.shape[0], self.batch_size, t.shape[2]) for t in current]
        if [a.shape for a in arrays] != expected:
            raise ValueError(f"saved hidden state has shape(s) {[a.shape for a in arrays]}, expected {expected}")
        if not 0 <= int(state["segment"]) < len(self.segments):
            raise ValueError(f"saved segment {state['segment']} is outside 0..{len(self.segments) - 1}")
        self.epoch, self.segment = int(state["epoch"]), int(state["segment"])
        restored = tuple(fastgrad.from_numpy(np.ascontiguousarray(a[:, self.streams], dtype=t.dtype))
                         for a, t in zip(arrays, current))
        self.hidden = restored if isinstance(self.hidden, tuple) else restored[0]


def evaluate(model: RNNLM, ids: np.ndarray, batch_size: int = 1, bptt: int = 256) -> tuple[float, int]:
    """(summed negative log-likelihood in nats, number of predictions) over `batch_size` streams of `ids`;
    with batch_size 1 every token but the first is predicted, from the whole history before it."""
    model.eval()
    batched = batchify(ids, batch_size)
    hidden = model.init_hidden(batch_size)
    total, count = 0.0, 0
    with fastgrad.no_grad():
        for inputs, targets in bptt_segments(batched, bptt):
            loss, hidden = model.loss(fastgrad.from_numpy(inputs), hidden, targets, reduction="sum")
            total += loss.item()
            count += targets.size
    return total, count

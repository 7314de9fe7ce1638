"""AdaptiveLogSoftmaxWithLoss: the adaptive softmax of Grave et al. (2017), "Efficient softmax approximation
for GPUs", with PyTorch's submodules, so that PyTorch's state dicts load as they are.

The classes are split by `cutoffs` into a shortlist [0, cutoffs[0]) and clusters [cutoffs[i-1], cutoffs[i]).
The head scores the shortlist's classes and one entry per cluster; cluster i's classes are scored by its
own two-layer tail, whose hidden size shrinks by div_value per cluster. log p(c) is the head's log-probability
of c for a shortlist class, else the head's log-probability of c's cluster plus the tail's of c within it.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Sequence

import numpy as np

from fastgrad.functions import cat
from fastgrad.nn import functional as F
from fastgrad.nn.modules.container import ModuleList, Sequential
from fastgrad.nn.modules.linear import Linear
from fastgrad.nn.modules.module import Module
from fastgrad.tensor import Tensor, check_device

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


def _checked_cutoffs(cutoffs: Sequence[int], n_classes: int) -> list[int]:
    cutoffs = list(cutoffs)
    if not cutoffs:
        raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of length larger than 0")
    valid = (all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in cutoffs)
             and cutoffs == sorted(cutoffs)
             and min(cutoffs) > 0 and max(cutoffs) <= n_classes - 1 and len(set(cutoffs)) == len(cutoffs))
    if not valid:
        raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of unique, positive integers sorted "
                         f"in an increasing order, where each value is between 1 and n_classes-1 = {n_classes - 1}, "
                         f"got {cutoffs}")
    return [int(c) for c in cutoffs]


class AdaptiveLogSoftmaxWithLoss(Module):
    """Log-probabilities of `n_classes` classes from `in_features` features through a head and one tail per
    cluster; forward(input, target) gives each row's log-probability of its target and their negated mean."""

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int], div_value: float = 4.0,
                 head_bias: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        check_device("AdaptiveLogSoftmaxWithLoss", device)
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = _checked_cutoffs(cutoffs, n_classes) + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, dtype=dtype),
                                        Linear(hidden, self.cutoffs[i + 1] - self.cutoffs[i], bias=False, dtype=dtype)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for projection, output in self.tail:
            projection.reset_parameters()
            output.reset_parameters()

    def forward(self, input: Tensor, target) -> _ASMoutput:
        """output[n] = log p(target[n] | input[n]), loss = -output.mean(). A 1-D input with a 0-D target is one
        unbatched example (output 0-D)."""
        targets = np.asarray(target._data if isinstance(target, Tensor) else target)
        if targets.ndim == 1:
            if input.shape[0] != targets.shape[0]:
                raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: input and target should have the same size in the "
                                   f"batch dimension, got input {input.shape} and target {targets.shape}")
            if input.ndim != 2:
                raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: a 1D target expects a 2D input (N, in_features), "
                                   f"got input of shape {input.shape}")
        elif targets.ndim == 0:
            if input.ndim != 1:
                raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: a 0D target expects a 1D input (in_features,), "
                                   f"got input of shape {input.shape}")
        else:
            raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: 0D or 1D target tensor expected, multi-target not "
                               f"supported, got target of shape {targets.shape}")
        if targets.dtype.kind not in "iu":
            raise TypeError(f"AdaptiveLogSoftmaxWithLoss: target must hold integer class indices, got dtype "
                            f"{targets.dtype}")
        batched = targets.ndim == 1
        rows = input if batched else input.unsqueeze(0)
        targets = targets.reshape(-1).astype(np.int64)
        if targets.size and (targets.min() < 0 or targets.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{targets.min()}, {targets.max()}] were found.")
        # the cluster of each target: 0 for the shortlist, i for [cutoffs[i-1], cutoffs[i])
        cluster = np.searchsorted(self.cutoffs, targets, side="right")
        head_entry = np.where(cluster == 0, targets, self.shortlist_size + cluster - 1)
        head_logprob = F.log_softmax(self.head(rows), dim=1)
        output = head_logprob.gather(1, Tensor._from_data(head_entry[:, None])).squeeze(1)
        for i in range(1, self.n_clusters + 1):
            members = np.flatnonzero(cluster == i)
            if members.size == 0:
                continue
            index = Tensor._from_data(members)
            cluster_logprob = F.log_softmax(self.tail[i - 1](rows.index_select(0, index)), dim=1)
            within = Tensor._from_data((targets[members] - self.cutoffs[i - 1])[:, None])
            output = output.index_add(0, index, cluster_logprob.gather(1, within).squeeze(1))
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        """(N, n_classes) log-probabilities from the input and the head's output for it."""
        head_logprob = F.log_softmax(head_output, dim=1)
        columns = [head_logprob[:, :self.shortlist_size]]
        for i, tail in enumerate(self.tail):
            cluster_entry = self.shortlist_size + i
            columns.append(F.log_softmax(tail(input), dim=1) + head_logprob[:, cluster_entry:cluster_entry + 1])
        return cat(columns, dim=1)

    def _batch(self, input: Tensor, what: str) -> Tensor:
        if input.ndim != 2:
            raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss.{what}: expected a 2D input (N, in_features), got shape "
                               f"{input.shape}")
        return input

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of every class, (N, n_classes), for input (N, in_features)."""
        input = self._batch(input, "log_prob")
        return self._full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most probable class of each row, (N,) int64: log_prob(input).argmax(1), computing the tails only
        for rows whose head's best entry is a cluster."""
        input = self._batch(input, "predict")
        head_output = self.head(input)
        best = head_output.argmax(dim=1)._data.copy()
        outside = np.flatnonzero(best >= self.shortlist_size)
        if outside.size:
            index = Tensor._from_data(outside)
            log_prob = self._full_log_prob(input.index_select(0, index), head_output.index_select(0, index))
            best[outside] = log_prob.argmax(dim=1)._data
        return Tensor._from_data(best)

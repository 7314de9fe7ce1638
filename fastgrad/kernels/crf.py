"""A linear-chain CRF over tag sequences: the forward algorithm, its gradient (forward-backward) and Viterbi.

Collobert et al. 2011 (Sec. 3.4.2, "sentence-level log-likelihood") score a tag path y of a sentence as
s(y) = start[y_1] + sum_t (emissions[t, y_t] + transitions[y_{t-1}, y_t]) + end[y_T] and train on
log p(y) = s(y) - log Z, where log Z = logadd over all paths is computed by the forward recursion

    alpha_1(k) = start[k] + e_1(k)        alpha_t(j) = e_t(j) + logadd_i (alpha_{t-1}(i) + transitions[i, j])
    log Z = logadd_k (alpha_T(k) + end[k]).

Its gradient is the marginals of the tags (d log Z / d e_t(k) = p(y_t = k)) and of the transitions
(d log Z / d transitions[i, j] = sum_t p(y_{t-1} = i, y_t = j)), from the backward recursion
beta_T(k) = end[k], beta_t(i) = logadd_j (transitions[i, j] + e_{t+1}(j) + beta_{t+1}(j)).
Scores of -inf (forbidden transitions) are allowed: their paths get probability 0.

A batch is the sentences' emissions stacked, (N, K), with their `lengths` (B,), each >= 1. The loops run
one sentence per thread; the same loop source, run by the interpreter in float64, is the "python"
backend's kernel (`interpreted_*`). The vectorized NumPy reference is in `fastgrad.backends.numpy`; the
checks in front of the compiled kernels (`crf_*` in `fastgrad.kernels.checks`) make `lengths` int64 and
the floats C-contiguous arrays of one dtype.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from fastgrad.kernels.parallel import threaded_or_serial


def _forward_loop(emissions, offsets, transitions, start, end, alphas, log_z):
    tags = transitions.shape[0]
    for b in prange(offsets.size - 1):
        first, stop = offsets[b], offsets[b + 1]
        for k in range(tags):
            alphas[first, k] = start[k] + emissions[first, k]
        for t in range(first + 1, stop):
            for j in range(tags):
                high = -np.inf
                for i in range(tags):
                    high = max(high, alphas[t - 1, i] + transitions[i, j])
                if high == -np.inf:
                    alphas[t, j] = -np.inf
                    continue
                total = 0.0
                for i in range(tags):
                    total += np.exp(alphas[t - 1, i] + transitions[i, j] - high)
                alphas[t, j] = high + np.log(total) + emissions[t, j]
        high = -np.inf
        for k in range(tags):
            high = max(high, alphas[stop - 1, k] + end[k])
        total = 0.0
        for k in range(tags):
            total += np.exp(alphas[stop - 1, k] + end[k] - high)
        log_z[b] = high + np.log(total) if high > -np.inf else -np.inf


def _backward_loop(g, emissions, offsets, transitions, end, alphas, log_z, betas, d_emissions, d_transitions, d_start,
                   d_end):
    """Per sentence b: its marginals times g[b]; the transition, start and end gradients of sentence b go to
    row b of their (B, ...) buffers (summed by the caller), so threads never write the same memory."""
    tags = transitions.shape[0]
    for b in prange(offsets.size - 1):
        first, stop = offsets[b], offsets[b + 1]
        for k in range(tags):
            betas[stop - 1, k] = end[k]
        for t in range(stop - 2, first - 1, -1):
            for i in range(tags):
                high = -np.inf
                for j in range(tags):
                    high = max(high, transitions[i, j] + emissions[t + 1, j] + betas[t + 1, j])
                if high == -np.inf:
                    betas[t, i] = -np.inf
                    continue
                total = 0.0
                for j in range(tags):
                    total += np.exp(transitions[i, j] + emissions[t + 1, j] + betas[t + 1, j] - high)
                betas[t, i] = high + np.log(total)
        scale, z = g[b], log_z[b]
        for t in range(first, stop):
            for k in range(tags):
                d_emissions[t, k] = scale * np.exp(alphas[t, k] + betas[t, k] - z)
            if t > first:
                for i in range(tags):
                    for j in range(tags):
                        d_transitions[b, i, j] += scale * np.exp(alphas[t - 1, i] + transitions[i, j]
                                                                 + emissions[t, j] + betas[t, j] - z)
        for k in range(tags):
            d_start[b, k] = d_emissions[first, k]
            d_end[b, k] = scale * np.exp(alphas[stop - 1, k] + end[k] - z)


def _viterbi_loop(emissions, offsets, transitions, start, end, scores, pointers, best):
    tags = transitions.shape[0]
    for b in prange(offsets.size - 1):
        first, stop = offsets[b], offsets[b + 1]
        for k in range(tags):
            scores[first, k] = start[k] + emissions[first, k]
        for t in range(first + 1, stop):
            for j in range(tags):
                top, arg = -np.inf, 0
                for i in range(tags):  # ties: the lowest tag id, as argmax
                    value = scores[t - 1, i] + transitions[i, j]
                    if value > top:
                        top, arg = value, i
                scores[t, j] = top + emissions[t, j]
                pointers[t, j] = arg
        top, arg = -np.inf, 0
        for k in range(tags):
            value = scores[stop - 1, k] + end[k]
            if value > top:
                top, arg = value, k
        best[stop - 1] = arg
        for t in range(stop - 1, first, -1):
            best[t - 1] = pointers[t, best[t]]


COMPILED = (threaded_or_serial(_forward_loop), threaded_or_serial(_backward_loop), threaded_or_serial(_viterbi_loop))
# The same loops run by the interpreter; like the compiled ones, called with the amount of work first.
INTERPRETED = tuple((lambda elements, *args, loop=loop: loop(*args))
                    for loop in (_forward_loop, _backward_loop, _viterbi_loop))


def _offsets(lengths: np.ndarray) -> np.ndarray:
    """Where each sentence starts in the stacked rows, and where the last one ends: (B + 1,) int64."""
    return np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)


def _forward_with(loops: tuple, emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                  start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    offsets = _offsets(lengths)
    alphas = np.empty_like(emissions)
    log_z = np.empty(offsets.size - 1, dtype=emissions.dtype)
    loops[0](emissions.size * emissions.shape[1], emissions, offsets, transitions, start, end, alphas, log_z)
    return log_z, alphas


def _backward_with(loops: tuple, g: np.ndarray, emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                   start: np.ndarray, end: np.ndarray, alphas: np.ndarray, log_z: np.ndarray) -> tuple:
    offsets = _offsets(lengths)
    batch, tags = offsets.size - 1, emissions.shape[1]
    betas = np.empty_like(emissions)
    d_emissions = np.empty_like(emissions)
    d_transitions = np.zeros((batch, tags, tags), dtype=emissions.dtype)
    d_start = np.zeros((batch, tags), dtype=emissions.dtype)
    d_end = np.zeros((batch, tags), dtype=emissions.dtype)
    loops[1](emissions.size * tags, g, emissions, offsets, transitions, end, alphas, log_z, betas, d_emissions,
             d_transitions, d_start, d_end)
    return d_emissions, d_transitions.sum(axis=0), d_start.sum(axis=0), d_end.sum(axis=0)


def _viterbi_with(loops: tuple, emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                  start: np.ndarray, end: np.ndarray) -> np.ndarray:
    scores = np.empty_like(emissions)
    pointers = np.zeros(emissions.shape, dtype=np.int64)
    best = np.zeros(emissions.shape[0], dtype=np.int64)
    loops[2](emissions.size * emissions.shape[1], emissions, _offsets(lengths), transitions, start, end, scores,
             pointers, best)
    return best


# The compiled kernels, with the signatures of fastgrad.backends.numpy's; they trust their arguments (the
# registry runs the checks of fastgrad.kernels.checks first).
def crf_forward(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray, start: np.ndarray,
                end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log Z per sentence (B,), the forward scores alpha (N, K))."""
    return _forward_with(COMPILED, emissions, lengths, transitions, start, end)


def crf_backward(g: np.ndarray, emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                 start: np.ndarray, end: np.ndarray, alphas: np.ndarray, log_z: np.ndarray) -> tuple:
    """Gradients of sum_b g[b] * log Z_b for (emissions, transitions, start, end)."""
    return _backward_with(COMPILED, g, emissions, lengths, transitions, start, end, alphas, log_z)


def crf_viterbi(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray, start: np.ndarray,
                end: np.ndarray) -> np.ndarray:
    """The highest-scoring tag path of each sentence, stacked: (N,) int64."""
    return _viterbi_with(COMPILED, emissions, lengths, transitions, start, end)


# The "python" backend's kernels: the loops interpreted, on float64 copies, the results cast back to the
# dtype of the emissions.
def _in_float64(*arrays: np.ndarray) -> list[np.ndarray]:
    return [a.astype(np.float64) if a.dtype.kind == "f" else a for a in map(np.asarray, arrays)]


def interpreted_forward(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray, start: np.ndarray,
                        end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    results = _forward_with(INTERPRETED, *_in_float64(emissions, lengths, transitions, start, end))
    return tuple(result.astype(emissions.dtype) for result in results)


def interpreted_backward(g: np.ndarray, emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                         start: np.ndarray, end: np.ndarray, alphas: np.ndarray, log_z: np.ndarray) -> tuple:
    results = _backward_with(INTERPRETED, *_in_float64(g, emissions, lengths, transitions, start, end, alphas, log_z))
    return tuple(result.astype(emissions.dtype) for result in results)


def interpreted_viterbi(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray, start: np.ndarray,
                        end: np.ndarray) -> np.ndarray:
    return _viterbi_with(INTERPRETED, *_in_float64(emissions, lengths, transitions, start, end))

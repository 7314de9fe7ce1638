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
one sentence per thread; the same loop source, run by the interpreter, is the "python" backend's
kernel. The vectorized NumPy reference is in `fastgrad.backends.numpy`.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from fastgrad.kernels.checks import float_array, like
from fastgrad.kernels.parallel import threaded_or_serial


def check_crf(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray, start: np.ndarray,
              end: np.ndarray) -> tuple:
    """The arguments as the loops need them (one float dtype, C order, int64 offsets), or an error naming
    what does not fit: lengths must be >= 1 and add up to the number of emission rows."""
    emissions = float_array("emissions", emissions, 2)
    tags = emissions.shape[1]
    transitions = _matching("transitions", transitions, (tags, tags), emissions.dtype)
    start = _matching("start", start, (tags,), emissions.dtype)
    end = _matching("end", end, (tags,), emissions.dtype)
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.dtype.kind not in "iu":
        raise TypeError(f"lengths: expected a 1-D integer array, got dtype {lengths.dtype} and shape {lengths.shape}")
    if lengths.size and lengths.min() < 1:
        raise ValueError(f"lengths: every sentence needs at least one token, got a length {int(lengths.min())}")
    if int(lengths.sum()) != emissions.shape[0]:
        raise ValueError(f"lengths: add up to {int(lengths.sum())}, but emissions has {emissions.shape[0]} rows")
    offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)
    return emissions, offsets, transitions, start, end


def _matching(name: str, x: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """`x` with the shape the K tags of the emissions give and their dtype, as a C-contiguous array."""
    x = float_array(name, x)
    if x.shape != shape or x.dtype != dtype:
        raise ValueError(f"{name}: expected shape {shape} and dtype {dtype} (from emissions with {shape[0]} tags), "
                         f"got shape {x.shape} and dtype {x.dtype}")
    return x


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
# The same loops run by the interpreter (the "python" backend); like the compiled ones, called with the
# amount of work first.
INTERPRETED = tuple((lambda elements, *args, loop=loop: loop(*args))
                    for loop in (_forward_loop, _backward_loop, _viterbi_loop))


def forward_with(loops: tuple, emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                 start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    emissions, offsets, transitions, start, end = check_crf(emissions, lengths, transitions, start, end)
    alphas = np.empty_like(emissions)
    log_z = np.empty(offsets.size - 1, dtype=emissions.dtype)
    loops[0](emissions.size * emissions.shape[1], emissions, offsets, transitions, start, end, alphas, log_z)
    return log_z, alphas


def backward_with(loops: tuple, g: np.ndarray, emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                  start: np.ndarray, end: np.ndarray, alphas: np.ndarray, log_z: np.ndarray) -> tuple:
    emissions, offsets, transitions, start, end = check_crf(emissions, lengths, transitions, start, end)
    batch, tags = offsets.size - 1, emissions.shape[1]
    g = like("g", np.asarray(g, dtype=emissions.dtype), "log Z", np.empty(batch, emissions.dtype))
    alphas = like("alphas", alphas, "emissions", emissions)
    log_z = like("log_z", log_z, "g", g)
    betas = np.empty_like(emissions)
    d_emissions = np.empty_like(emissions)
    d_transitions = np.zeros((batch, tags, tags), dtype=emissions.dtype)
    d_start = np.zeros((batch, tags), dtype=emissions.dtype)
    d_end = np.zeros((batch, tags), dtype=emissions.dtype)
    loops[1](emissions.size * tags, g, emissions, offsets, transitions, end, alphas, log_z, betas, d_emissions,
             d_transitions, d_start, d_end)
    return d_emissions, d_transitions.sum(axis=0), d_start.sum(axis=0), d_end.sum(axis=0)


def viterbi_with(loops: tuple, emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                 start: np.ndarray, end: np.ndarray) -> np.ndarray:
    emissions, offsets, transitions, start, end = check_crf(emissions, lengths, transitions, start, end)
    scores = np.empty_like(emissions)
    pointers = np.zeros(emissions.shape, dtype=np.int64)
    best = np.zeros(emissions.shape[0], dtype=np.int64)
    loops[2](emissions.size * emissions.shape[1], emissions, offsets, transitions, start, end, scores, pointers, best)
    return best


# The compiled kernels, with the signatures of fastgrad.backends.numpy's.
def crf_forward(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray, start: np.ndarray,
                end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log Z per sentence (B,), the forward scores alpha (N, K))."""
    return forward_with(COMPILED, emissions, lengths, transitions, start, end)


def crf_backward(g: np.ndarray, emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
                 start: np.ndarray, end: np.ndarray, alphas: np.ndarray, log_z: np.ndarray) -> tuple:
    """Gradients of sum_b g[b] * log Z_b for (emissions, transitions, start, end)."""
    return backward_with(COMPILED, g, emissions, lengths, transitions, start, end, alphas, log_z)


def crf_viterbi(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray, start: np.ndarray,
                end: np.ndarray) -> np.ndarray:
    """The highest-scoring tag path of each sentence, stacked: (N,) int64."""
    return viterbi_with(COMPILED, emissions, lengths, transitions, start, end)

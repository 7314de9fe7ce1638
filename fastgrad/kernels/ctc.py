"""Connectionist temporal classification (Graves et al. 2006): the loss's forward and backward recursions.

A target of S labels is extended with blanks to l' = (blank, l_1, blank, l_2, ..., l_S, blank), L = 2S + 1
positions. With y_t(k) = log_probs[t, k], the forward variables over an input of T frames are

    alpha_0(0) = y_0(blank)      alpha_0(1) = y_0(l'_1)      alpha_0(s) = -inf for s > 1
    alpha_t(s) = y_t(l'_s) + logadd(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2) if skip(s))

where skip(s): l'_s is a label that differs from l'_{s-2} (a blank may be skipped only between two
different labels). The loss is -log p(l | x) = -logadd(alpha_{T-1}(L-1), alpha_{T-1}(L-2)). The backward
variables beta_t(s) (the same recursion from the end, including y_t(l'_s)) give the posterior of being
at position s at frame t, exp(alpha_t(s) + beta_t(s) - y_t(l'_s) + loss), and the exact gradient

    d loss / d y_t(k) = -sum over s with l'_s = k of that posterior       (t < T; 0 for the padding frames).

PyTorch's kernel returns exp(y_t(k)) minus the same posterior, the gradient with respect to the logits
of a log_softmax in front: the two agree once that log_softmax's backward has run (it is what every caller
has), and only this one is the derivative of the loss that is returned. A target no alignment fits (too
long for its input) has an infinite loss and a NaN gradient over its input frames, as PyTorch's.

Layout as PyTorch's: log_probs (T, N, C) with N the batch; the targets of the batch concatenated (the
functional layer unpads them), their lengths and the inputs' lengths (N,) int64. The loops run one
sequence per thread and keep alpha and beta in float64 whatever the input's dtype; the same loop source,
run by the interpreter, is the "python" backend's kernel. The vectorized NumPy reference is in
`fastgrad.backends.numpy`; the checks (`ctc_*` in `fastgrad.kernels.checks`) validate the lengths and labels.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from fastgrad.kernels.parallel import threaded_or_serial


@njit(cache=True)
def _logadd(x, y):
    """log(exp(x) + exp(y)), exact at -inf."""
    if x == -np.inf:
        return y
    if y == -np.inf:
        return x
    high = max(x, y)
    return high + np.log1p(np.exp(-abs(x - y)))


@njit(cache=True)
def _label(targets, first, s, blank):
    """The label at position s of the extended target starting at targets[first]."""
    return blank if s % 2 == 0 else targets[first + s // 2]


@njit(cache=True)
def _may_skip(targets, first, s):
    """Whether position s may be reached from s - 2 (a label other than the one two positions before)."""
    return s >= 2 and s % 2 == 1 and targets[first + s // 2] != targets[first + s // 2 - 1]


def _forward_loop(log_probs, targets, target_offsets, input_lengths, blank, log_alpha, nll):
    for b in prange(input_lengths.size):
        first, frames = target_offsets[b], input_lengths[b]
        positions = 2 * (target_offsets[b + 1] - first) + 1
        if frames == 0:  # no frame: only the empty target has an alignment
            nll[b] = 0.0 if positions == 1 else np.inf
            continue
        log_alpha[b, 0, 0] = log_probs[0, b, blank]
        if positions > 1:
            log_alpha[b, 0, 1] = log_probs[0, b, targets[first]]
        for t in range(1, frames):
            for s in range(positions):
                total = log_alpha[b, t - 1, s]
                if s >= 1:
                    total = _logadd(total, log_alpha[b, t - 1, s - 1])
                if _may_skip(targets, first, s):
                    total = _logadd(total, log_alpha[b, t - 1, s - 2])
                log_alpha[b, t, s] = total + log_probs[t, b, _label(targets, first, s, blank)] \
                    if total > -np.inf else -np.inf
        end = log_alpha[b, frames - 1, positions - 1]
        if positions > 1:
            end = _logadd(end, log_alpha[b, frames - 1, positions - 2])
        nll[b] = -end


def _backward_loop(g, log_probs, targets, target_offsets, input_lengths, blank, log_alpha, nll, log_beta, grad):
    """grad arrives zeroed; sequence b writes only column b of it, so threads never share memory."""
    for b in prange(input_lengths.size):
        first, frames = target_offsets[b], input_lengths[b]
        positions = 2 * (target_offsets[b + 1] - first) + 1
        if frames == 0:
            continue
        if nll[b] == np.inf:
            for t in range(frames):
                for k in range(log_probs.shape[2]):
                    grad[t, b, k] = np.nan
            continue
        last = frames - 1
        log_beta[b, last, positions - 1] = log_probs[last, b, blank]
        if positions > 1:
            log_beta[b, last, positions - 2] = log_probs[last, b, _label(targets, first, positions - 2, blank)]
        for t in range(last - 1, -1, -1):
            for s in range(positions):
                total = log_beta[b, t + 1, s]
                if s + 1 < positions:
                    total = _logadd(total, log_beta[b, t + 1, s + 1])
                if s + 2 < positions and _may_skip(targets, first, s + 2):
                    total = _logadd(total, log_beta[b, t + 1, s + 2])
                log_beta[b, t, s] = total + log_probs[t, b, _label(targets, first, s, blank)] \
                    if total > -np.inf else -np.inf
        scale, loss = g[b], nll[b]
        for t in range(frames):
            for s in range(positions):
                label = _label(targets, first, s, blank)
                occupancy = log_alpha[b, t, s] + log_beta[b, t, s] - log_probs[t, b, label] + loss
                if occupancy > -np.inf:
                    grad[t, b, label] -= scale * np.exp(occupancy)


COMPILED = (threaded_or_serial(_forward_loop), threaded_or_serial(_backward_loop))
# The same loops run by the interpreter; like the compiled ones, called with the amount of work first.
INTERPRETED = tuple((lambda elements, *args, loop=loop: loop(*args)) for loop in (_forward_loop, _backward_loop))


def _offsets(lengths: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)


def _table(log_probs: np.ndarray, target_lengths: np.ndarray) -> np.ndarray:
    """(N, T, L) of -inf: alpha or beta of every sequence, L the longest extended target."""
    positions = 2 * int(target_lengths.max(initial=0)) + 1
    return np.full((log_probs.shape[1], log_probs.shape[0], positions), -np.inf)


def _forward_with(loops: tuple, log_probs: np.ndarray, targets: np.ndarray, target_lengths: np.ndarray,
                  input_lengths: np.ndarray, blank: int) -> tuple[np.ndarray, np.ndarray]:
    log_alpha = _table(log_probs, target_lengths)
    nll = np.empty(log_probs.shape[1])
    loops[0](log_alpha.size, log_probs, targets, _offsets(target_lengths), input_lengths, blank, log_alpha, nll)
    return nll.astype(log_probs.dtype), log_alpha


def _backward_with(loops: tuple, g: np.ndarray, log_probs: np.ndarray, targets: np.ndarray,
                   target_lengths: np.ndarray, input_lengths: np.ndarray, blank: int, nll: np.ndarray,
                   log_alpha: np.ndarray) -> np.ndarray:
    log_beta = _table(log_probs, target_lengths)
    grad = np.zeros(log_probs.shape)
    loops[1](log_beta.size, g.astype(np.float64), log_probs, targets, _offsets(target_lengths), input_lengths, blank,
             log_alpha, nll.astype(np.float64), log_beta, grad)
    return grad.astype(log_probs.dtype)


# The compiled kernels, with the signatures of fastgrad.backends.numpy's; the registry runs the checks first.
def ctc_forward(log_probs: np.ndarray, targets: np.ndarray, target_lengths: np.ndarray, input_lengths: np.ndarray,
                blank: int) -> tuple[np.ndarray, np.ndarray]:
    """(the loss of each sequence (N,), the forward variables (N, T, L) in float64)."""
    return _forward_with(COMPILED, log_probs, targets, target_lengths, input_lengths, blank)


def ctc_backward(g: np.ndarray, log_probs: np.ndarray, targets: np.ndarray, target_lengths: np.ndarray,
                 input_lengths: np.ndarray, blank: int, nll: np.ndarray, log_alpha: np.ndarray) -> np.ndarray:
    """The gradient of sum_b g[b] * loss_b with respect to log_probs, (T, N, C)."""
    return _backward_with(COMPILED, g, log_probs, targets, target_lengths, input_lengths, blank, nll, log_alpha)


# The "python" backend's kernels: the loops interpreted on float64 log_probs (the interpreter would round a
# float32 frame's sums to float32), the results cast back to their dtype.
def interpreted_forward(log_probs: np.ndarray, targets: np.ndarray, target_lengths: np.ndarray,
                        input_lengths: np.ndarray, blank: int) -> tuple[np.ndarray, np.ndarray]:
    nll, log_alpha = _forward_with(INTERPRETED, log_probs.astype(np.float64), targets, target_lengths,
                                   input_lengths, blank)
    return nll.astype(log_probs.dtype), log_alpha


def interpreted_backward(g: np.ndarray, log_probs: np.ndarray, targets: np.ndarray, target_lengths: np.ndarray,
                         input_lengths: np.ndarray, blank: int, nll: np.ndarray, log_alpha: np.ndarray) -> np.ndarray:
    grad = _backward_with(INTERPRETED, g, log_probs.astype(np.float64), targets, target_lengths, input_lengths,
                          blank, nll, log_alpha)
    return grad.astype(log_probs.dtype)

"""Word2vec training kernels: skip-gram and CBOW with negative sampling (Mikolov et al. 2013).

One kernel call trains one worker's share of the corpus for one epoch without returning to Python.
The kernels release the GIL (`nogil=True`), so several Python threads run them at once on the same
weight matrices without locks ("Hogwild", Recht et al. 2011), as the original word2vec.c does with pthreads.

The corpus is an int32 array of word ids in which -1 marks a word outside the vocabulary; it is
cut into sentences by `sentence_starts` (sentence s is `corpus[starts[s]:starts[s+1]]`). Windows never
cross a sentence boundary. As in word2vec.c and gensim, out-of-vocabulary and subsampled words are
removed from a sentence *before* the windows are taken, which widens the effective window.

All randomness comes from one splitmix64 stream per call (Steele et al. 2014), so a call is a pure
function of its arguments: one worker with a fixed seed gives the same vectors every time.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import config, njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# Reassociation lets LLVM vectorise the dot-product reductions; no other fast-math flag is needed
# (and 'ninf' would break the sigmoid's exp overflow to inf for very negative scores).
_FASTMATH = {"reassoc", "contract"}

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_S27, _S30, _S31, _S32 = np.uint64(27), np.uint64(30), np.uint64(31), np.uint64(32)
_TWO_TO_32 = 2.0**32


def subsample_keep_probability(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of a word with `counts[i]` occurrences.

    word2vec.c (and gensim): with f = count / total and threshold t,
    P(keep) = (sqrt(f / t) + 1) * t / f, capped at 1. `sample == 0` keeps everything.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if not 0.0 <= sample < 1.0:
        raise ValueError(f"sample must be in [0, 1), got {sample}")
    if sample == 0.0 or counts.size == 0:
        return np.ones(counts.shape, dtype=np.float64)
    if counts.min() <= 0:
        raise ValueError("counts must be positive to compute subsampling probabilities")
    threshold_count = sample * counts.sum()
    keep = (np.sqrt(counts / threshold_count) + 1.0) * threshold_count / counts
    return np.minimum(keep, 1.0)


def probability_thresholds(probability: np.ndarray) -> np.ndarray:
    """`probability` as uint64 thresholds on a uniform 32-bit integer r: the event is `r < threshold`."""
    probability = np.asarray(probability, dtype=np.float64)
    if probability.size and (probability.min() < 0.0 or probability.max() > 1.0):
        raise ValueError("probabilities must be in [0, 1]")
    return np.round(probability * _TWO_TO_32).astype(np.uint64)


def unigram_alias_table(counts: np.ndarray, power: float = 0.75) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table for sampling word i with probability counts[i]**power / sum (Mikolov et al. 2013).

    word2vec.c fills a 10^8-entry table instead; the alias table (Vose 1991) samples the same
    distribution exactly in O(1) with two vocabulary-sized arrays that stay in cache.
    Returns (thresholds uint64, aliases int32): draw a column i uniformly and a 32-bit r; the sample
    is i if r < thresholds[i], else aliases[i].
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(f"counts must be a non-empty 1-d array, got shape {counts.shape}")
    if counts.min() < 0 or counts.sum() <= 0:
        raise ValueError("counts must be non-negative with a positive sum")
    weights = counts**power
    scaled = weights * (counts.size / weights.sum())
    accept, aliases = _build_alias_table(scaled)
    return probability_thresholds(accept), aliases


@njit("Tuple((float64[::1], int32[::1]))(float64[::1])", cache=True)
def _build_alias_table(scaled):
    # Vose's algorithm: pair each under-full column (mass < 1) with an over-full one that tops it up.
    n = scaled.size
    mass = scaled.copy()
    accept = np.ones(n, dtype=np.float64)
    aliases = np.arange(n).astype(np.int32)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    n_small = 0
    n_large = 0
    for i in range(n):
        if mass[i] < 1.0:
            small[n_small] = i
            n_small += 1
        else:
            large[n_large] = i
            n_large += 1
    while n_small > 0 and n_large > 0:
        n_small -= 1
        s = small[n_small]
        n_large -= 1
        g = large[n_large]
        accept[s] = mass[s]
        aliases[s] = g
        mass[g] = (mass[g] + mass[s]) - 1.0
        if mass[g] < 1.0:
            small[n_small] = g
            n_small += 1
        else:
            large[n_large] = g
            n_large += 1
    # Columns left over hold mass 1 up to rounding: they always accept themselves (accept stays 1).
    return accept, aliases


@njit(inline="always")
def _next_random(state):
    """splitmix64: returns (new state, 64 random bits)."""
    state = state + _GOLDEN_GAMMA
    z = state
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return state, z ^ (z >> _S31)


@njit(inline="always")
def _draw_alias(state, thresholds, aliases):
    """One draw from an alias table: the high 32 bits pick the column, the low 32 bits accept or alias."""
    state, bits = _next_random(state)
    column = ((bits >> _S32) * np.uint64(thresholds.size)) >> _S32
    if (bits & _LOW32) < thresholds[column]:
        return state, np.int64(column)
    return state, np.int64(aliases[column])


@njit("int32[::1](uint64[::1], int32[::1], int64, uint64)", cache=True, nogil=True)
def sample_alias(thresholds, aliases, count, seed):
    """`count` draws from an alias table (the negative-sampling distribution), for inspection and tests."""
    out = np.empty(count, dtype=np.int32)
    state = seed
    for k in range(count):
        state, word = _draw_alias(state, thresholds, aliases)
        out[k] = word
    return out


@njit(inline="always")
def _kept_words(corpus, start, stop, keep_thresholds, state, kept):
    """Copy the in-vocabulary words of corpus[start:stop] that survive subsampling into `kept`."""
    n = 0
    for p in range(start, stop):
        word = corpus[p]
        if word < 0:
            continue
        state, bits = _next_random(state)
        if (bits >> _S32) < keep_thresholds[word]:
            kept[n] = word
            n += 1
    return state, n


@intrinsic
def _prefetch_row_intrinsic(typingctx, matrix, row):
    """Start loading row `row` of a C-contiguous 2-d array into cache, one prefetch per 64-byte line.

    A row of a large vocabulary is rarely in cache; issued a few updates before the row is used,
    the load overlaps with that work instead of stalling it.
    """
    def codegen(context, builder, signature, args):
        matrix_type = signature.args[0]
        array = context.make_array(matrix_type)(context, builder, args[0])
        row_index = context.cast(builder, args[1], signature.args[1], types.intp)
        zero = context.get_constant(types.intp, 0)
        start = cgutils.get_item_pointer(context, builder, matrix_type, array, [row_index, zero], wraparound=False)
        byte_pointer = builder.bitcast(start, ir.IntType(8).as_pointer())
        item_bytes = context.get_abi_sizeof(context.get_data_type(matrix_type.dtype))
        row_bytes = builder.mul(builder.extract_value(array.shape, 1), context.get_constant(types.intp, item_bytes))
        i32 = ir.IntType(32)
        prefetch_type = ir.FunctionType(ir.VoidType(), [byte_pointer.type, i32, i32, i32])
        prefetch = cgutils.get_or_insert_function(builder.module, prefetch_type, "llvm.prefetch.p0")
        cache_line = context.get_constant(types.intp, 64)
        with cgutils.for_range_slice(builder, zero, row_bytes, cache_line) as (offset, _):
            # llvm.prefetch(address, rw=1: for writing, locality=3: keep in all levels, cache type=1: data)
            builder.call(prefetch, [builder.gep(byte_pointer, [offset]), i32(1), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(matrix, row), codegen


def _skip_prefetch(matrix, row):
    """Prefetching is only a hint: without the JIT (NUMBA_DISABLE_JIT=1, coverage runs) do nothing."""


_prefetch_row = _skip_prefetch if config.DISABLE_JIT else _prefetch_row_intrinsic


@njit(inline="always")
def _draw_negatives(state, target, negative, thresholds, aliases, negatives, output_vectors):
    """Fill negatives[:count] with `negative` draws from the alias table, minus those equal to `target`
    (word2vec.c and gensim skip such a draw), prefetching their output rows: all k are drawn before
    the first is used. Returns (state, count)."""
    count = 0
    for d in range(negative):
        state, word = _draw_alias(state, thresholds, aliases)
        if word != target:
            _prefetch_row(output_vectors, word)
            negatives[count] = word
            count += 1
    return state, count


@njit(inline="always")
def _negative_sampling_update(hidden, hidden_grad, output_vectors, target, negatives, count, alpha):
    """One SGD step of the negative-sampling loss for `hidden` predicting `target` (Mikolov et al. 2013, eq. 4):

        L = -log s(u_target . h) - sum_k log s(-u_k . h),  k in negatives[:count], s = sigmoid.

    Output rows are updated in place, one after another; -alpha * dL/dh is *added* to `hidden_grad`,
    so the caller applies it to the input rows after all count+1 terms, as word2vec.c does.
    """
    dim = hidden.size
    for d in range(count + 1):
        if d == 0:
            word = target
            label = np.float32(1.0)
        else:
            word = negatives[d - 1]
            label = np.float32(0.0)
        output_vector = output_vectors[word]
        score = np.float32(0.0)
        for c in range(dim):
            score += hidden[c] * output_vector[c]
        # (label - sigmoid(score)) is -dL/dscore; exp overflows to inf for very negative scores, giving 0.
        g = (label - np.float32(1.0) / (np.float32(1.0) + math.exp(-score))) * alpha
        for c in range(dim):
            hidden_grad[c] += g * output_vector[c]
            output_vector[c] += g * hidden[c]


@njit("void(float32[:, ::1], float32[:, ::1], int64[::1], int64[::1], int64[:, ::1], float32)",
      cache=True, nogil=True, fastmath=_FASTMATH)
def train_skipgram_pairs(input_vectors, output_vectors, contexts, targets, negatives, alpha):
    """Skip-gram updates for given (context, target, negatives[p]) triples, applied one after another
    exactly as `train_skipgram_part` applies them. When no row occurs in two triples, this equals one
    SGD step (learning rate alpha) on the summed negative-sampling loss of the batch.
    Indices are not checked here: callers check them (see fastgrad.models.word2vec)."""
    hidden_grad = np.empty(input_vectors.shape[1], dtype=np.float32)
    for p in range(contexts.size):
        hidden = input_vectors[contexts[p]]
        hidden_grad[:] = 0.0
        _negative_sampling_update(hidden, hidden_grad, output_vectors, targets[p], negatives[p],
                                  negatives.shape[1], alpha)
        for c in range(hidden.size):
            hidden[c] += hidden_grad[c]


@njit(inline="always")
def _prefetch_window_rows(kept, n, i, window, input_vectors, output_vectors):
    """Before centre i: start loading the input row of the word about to enter the window and the
    output row of the next centre word."""
    if i + window + 1 < n:
        _prefetch_row(input_vectors, kept[i + window + 1])
    if i + 1 < n:
        _prefetch_row(output_vectors, kept[i + 1])


@njit(inline="always")
def _longest_sentence(sentence_starts, first_sentence, last_sentence):
    longest = 0
    for s in range(first_sentence, last_sentence):
        longest = max(longest, sentence_starts[s + 1] - sentence_starts[s])
    return longest


_PART_SIGNATURE = (
    "int64(int32[::1], int64[::1], int64, int64, float32[:, ::1], float32[:, ::1], uint64[::1], "
    "uint64[::1], int32[::1], int64, int64, float32, float32, uint64, int64[::1], int64)"
)


@njit(_PART_SIGNATURE, cache=True, nogil=True, fastmath=_FASTMATH)
def train_skipgram_part(corpus, sentence_starts, first_sentence, last_sentence, input_vectors, output_vectors,
                        keep_thresholds, negative_thresholds, negative_aliases, window, negative,
                        alpha_start, alpha_end, seed, progress, slot):
    """Skip-gram: every word within a sampled window (1..window) of a centre word predicts it.

    As in word2vec.c, the context word's input vector is the hidden layer and the centre word is
    the target. The learning rate falls linearly from alpha_start to alpha_end over this part's
    raw words; progress[slot] holds the raw words done so far. Returns the number of words trained
    on (kept after subsampling), gensim's "effective words".
    """
    dim = input_vectors.shape[1]
    kept = np.empty(_longest_sentence(sentence_starts, first_sentence, last_sentence), dtype=np.int32)
    hidden_grad = np.empty(dim, dtype=np.float32)
    negatives = np.empty(negative, dtype=np.int64)
    part_start = sentence_starts[first_sentence]
    alpha_step = (alpha_end - alpha_start) / np.float32(max(sentence_starts[last_sentence] - part_start, 1))
    state = seed
    effective_words = 0
    for s in range(first_sentence, last_sentence):
        state, n = _kept_words(corpus, sentence_starts[s], sentence_starts[s + 1], keep_thresholds, state, kept)
        effective_words += n
        alpha = alpha_start + alpha_step * np.float32(sentence_starts[s] - part_start)
        for i in range(n):
            _prefetch_window_rows(kept, n, i, window, input_vectors, output_vectors)
            state, bits = _next_random(state)
            reach = window - np.int64(bits % np.uint64(window))
            for j in range(max(0, i - reach), min(n, i + reach + 1)):
                if j == i:
                    continue
                state, count = _draw_negatives(state, kept[i], negative, negative_thresholds, negative_aliases,
                                               negatives, output_vectors)
                hidden = input_vectors[kept[j]]
                hidden_grad[:] = 0.0
                _negative_sampling_update(hidden, hidden_grad, output_vectors, kept[i], negatives, count, alpha)
                for c in range(dim):
                    hidden[c] += hidden_grad[c]
        progress[slot] = sentence_starts[s + 1] - part_start
    return effective_words


@njit(_PART_SIGNATURE, cache=True, nogil=True, fastmath=_FASTMATH)
def train_cbow_part(corpus, sentence_starts, first_sentence, last_sentence, input_vectors, output_vectors,
                    keep_thresholds, negative_thresholds, negative_aliases, window, negative,
                    alpha_start, alpha_end, seed, progress, slot):
    """CBOW: the mean of the input vectors in a sampled window (1..window) predicts the centre word.

    As in word2vec.c and gensim (cbow_mean=1), the hidden-layer gradient is added to every context
    word's input vector without dividing by the window size. Arguments and result as for
    `train_skipgram_part`.
    """
    dim = input_vectors.shape[1]
    kept = np.empty(_longest_sentence(sentence_starts, first_sentence, last_sentence), dtype=np.int32)
    hidden = np.empty(dim, dtype=np.float32)
    hidden_grad = np.empty(dim, dtype=np.float32)
    negatives = np.empty(negative, dtype=np.int64)
    part_start = sentence_starts[first_sentence]
    alpha_step = (alpha_end - alpha_start) / np.float32(max(sentence_starts[last_sentence] - part_start, 1))
    state = seed
    effective_words = 0
    for s in range(first_sentence, last_sentence):
        state, n = _kept_words(corpus, sentence_starts[s], sentence_starts[s + 1], keep_thresholds, state, kept)
        effective_words += n
        alpha = alpha_start + alpha_step * np.float32(sentence_starts[s] - part_start)
        for i in range(n):
            _prefetch_window_rows(kept, n, i, window, input_vectors, output_vectors)
            state, bits = _next_random(state)
            reach = window - np.int64(bits % np.uint64(window))
            lo = max(0, i - reach)
            hi = min(n, i + reach + 1)
            if hi - lo < 2:
                continue
            # Row views hoist the row index out of the inner loops, which is what lets LLVM vectorise them.
            hidden[:] = 0.0
            for j in range(lo, hi):
                if j != i:
                    context_vector = input_vectors[kept[j]]
                    for c in range(dim):
                        hidden[c] += context_vector[c]
            inverse_count = np.float32(1.0) / np.float32(hi - lo - 1)
            for c in range(dim):
                hidden[c] *= inverse_count
            state, count = _draw_negatives(state, kept[i], negative, negative_thresholds, negative_aliases, negatives,
                                           output_vectors)
            hidden_grad[:] = 0.0
            _negative_sampling_update(hidden, hidden_grad, output_vectors, kept[i], negatives, count, alpha)
            for j in range(lo, hi):
                if j != i:
                    context_vector = input_vectors[kept[j]]
                    for c in range(dim):
                        context_vector[c] += hidden_grad[c]
        progress[slot] = sentence_starts[s + 1] - part_start
    return effective_words


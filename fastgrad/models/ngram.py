"""Interpolated modified Kneser-Ney n-gram language model (Chen & Goodman 1998, section 3.5 / eq. 17).

For order k with context h (the last k-1 words) and count c = c_k(h w):

    P_k(w | h) = (c - D_k(c) + gamma_k(h) * P_{k-1}(w | h')) / sum_v c_k(h v)
    gamma_k(h) = D_k1 * N1(h .) + D_k2 * N2(h .) + D_k3+ * N3+(h .)

where h' drops the oldest word of h, N_r(h .) counts words seen exactly r times after h, D_k(0) = 0 and
P_0 is uniform over the vocabulary. The highest order uses raw counts; lower orders use continuation
counts c_k(h w) = N1+(. h w), the number of distinct words seen before h w. Three discounts per order
come from that order's count-of-counts n_r:  Y = n1 / (n1 + 2 n2),  D1 = 1 - 2Y n2/n1,  D2 = 2 - 3Y n3/n2,
D3+ = 3 - 4Y n4/n3. When a context h was never seen (or all its counts are zero) P_k(.|h) = P_{k-1}(.|h').

Storage: the distinct k-grams of each order are one sorted int64 array of keys `parent * V + word`, where
`parent` is the index of the (k-1)-gram prefix in order k-1's array (order 0 holds the empty gram); lookups
are binary searches, so nothing is a Python dict over the corpus.

Training text is one stream of ids (`<eos>` ending each sentence, as `fastgrad.data.lm_corpus` builds it);
n-grams cross sentence boundaries, so `<eos>` is the start-of-sentence context.
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from fastgrad.metrics.language_model import perplexity as perplexity_from_nll
from fastgrad.serialization import CheckpointError

# Used for an order whose count-of-counts make the formulas above undefined or out of range
# (tiny corpora); the same defaults as KenLM's --discount_fallback.
FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)
FORMAT = "fastgrad.kneser_ney"
FORMAT_VERSION = 1
MAX_ORDER = 20  # a loaded model's order beyond this is taken as a damaged file
_CHUNK = 1 << 16  # positions scored per vectorised pass in `logprobs`


def modified_kn_discounts(counts: np.ndarray) -> tuple[tuple[float, float, float], bool]:
    """(D1, D2, D3+) from the count-of-counts of `counts` (zeros ignored), and whether the fallback was used."""
    n1, n2, n3, n4 = (int(np.count_nonzero(counts == r)) for r in (1, 2, 3, 4))
    if min(n1, n2, n3, n4) == 0:
        return FALLBACK_DISCOUNTS, True
    y = n1 / (n1 + 2 * n2)
    discounts = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
    if not all(0 < d < r for d, r in zip(discounts, (1, 2, 3))):
        return FALLBACK_DISCOUNTS, True
    return discounts, False


class KneserNeyLM:
    """An order-`order` interpolated modified Kneser-Ney model over word ids `0..vocab_size-1`.

    >>> lm = KneserNeyLM(order=3).fit(train_ids, vocab_size=len(vocab))
    >>> lm.perplexity(test_ids), lm.distribution(context_ids).sum()   # (..., 1.0)
    """

    def __init__(self, order: int = 5):
        if not isinstance(order, (int, np.integer)) or order < 1:
            raise ValueError(f"order must be a positive integer, got {order!r}")
        self.order = int(order)
        self.vocab_size = 0
        self.discounts = np.zeros((self.order, 3))  # row k-1: D1, D2, D3+ of order k
        self.discount_fallback = [False] * self.order
        self._keys: list[np.ndarray] = []    # [k]: sorted distinct keys of order k (k = 0..order)
        self._counts: list[np.ndarray] = []  # [k]: raw (k = order) or continuation counts, aligned with _keys[k]

    # ---- training -------------------------------------------------------------------------------
    def fit(self, ids: ArrayLike, vocab_size: int | None = None) -> "KneserNeyLM":
        """Count all 1..order-grams of the stream `ids` and set the discounts. `vocab_size` defaults to max id + 1."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"ids must be a 1-d integer array, got shape {ids.shape} dtype {ids.dtype}")
        if len(ids) < self.order:
            raise ValueError(f"need at least order={self.order} tokens to fit, got {len(ids)}")
        ids = ids.astype(np.int64)
        vocab_size = int(ids.max()) + 1 if vocab_size is None else int(vocab_size)
        _check_ids(ids, vocab_size, "ids")
        self.vocab_size = vocab_size
        # gram_at[k][i] = index of the k-gram starting at position i in the distinct k-grams of order k
        gram_at = [np.zeros(len(ids), dtype=np.int64)]
        first_at: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self._keys, raw_counts = [np.zeros(1, dtype=np.int64)], [np.zeros(1, dtype=np.int64)]  # order 0: the empty gram
        for k in range(1, self.order + 1):
            positions = len(ids) - k + 1
            keys = gram_at[k - 1][:positions] * vocab_size + ids[k - 1:]
            distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            if len(distinct) >= np.iinfo(np.int64).max // vocab_size:  # next order's keys reach len * V
                raise OverflowError(f"order {k + 1} keys would overflow int64 (vocab_size {vocab_size})")
            self._keys.append(distinct)
            gram_at.append(inverse.ravel())
            first_at.append(first)
            raw_counts.append(np.bincount(inverse.ravel(), minlength=len(distinct)))
        # continuation count of a k-gram = distinct (k+1)-grams ending in it; the (k+1)-gram first seen at
        # position p ends in the k-gram at position p + 1
        self._counts = [raw_counts[0]]
        for k in range(1, self.order):
            suffix = gram_at[k][first_at[k + 1] + 1]
            self._counts.append(np.bincount(suffix, minlength=len(self._keys[k])))
        self._counts.append(raw_counts[self.order])
        for k in range(1, self.order + 1):
            discounts, fallback = modified_kn_discounts(self._counts[k])
            self.discounts[k - 1] = discounts
            self.discount_fallback[k - 1] = fallback
        self._prepare()
        return self

    def _prepare(self) -> None:
        """Per-context sums the probability formula needs, derived from keys, counts and discounts."""
        self._denominator = [np.zeros(0)]
        self._backoff_mass = [np.zeros(0)]
        self._discount_of_count = [np.zeros(4)]
        for k in range(1, self.order + 1):
            parents = self._keys[k] // self.vocab_size
            counts = self._counts[k]
            discount_of_count = np.concatenate([[0.0], self.discounts[k - 1]])  # indexed by min(count, 3)
            n_parents = len(self._keys[k - 1])
            self._denominator.append(np.bincount(parents, weights=counts, minlength=n_parents))
            self._backoff_mass.append(np.bincount(parents, weights=discount_of_count[np.minimum(counts, 3)],
                                                  minlength=n_parents))
            self._discount_of_count.append(discount_of_count)

    @property
    def gram_counts(self) -> list[int]:
        """Number of distinct k-grams for k = 1..order."""
        return [len(keys) for keys in self._keys[1:]]

    # ---- probabilities --------------------------------------------------------------------------
    def _lookup(self, k: int, parent: np.ndarray, word: np.ndarray) -> np.ndarray:
        """Index of the k-gram (parent, word) in order k's table, or -1 (also when parent or word is -1)."""
        keys = self._keys[k]
        query = parent * self.vocab_size + word
        position = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        found = (parent >= 0) & (word >= 0) & (keys[position] == query)
        return np.where(found, position, -1)

    def _context_ids(self, contexts: np.ndarray) -> list[np.ndarray]:
        """For rows of `contexts` (M, L) padded on the left with -1: entry k-1 holds the index of the
        (k-1)-gram made of each row's last k-1 words in order k-1's table (-1 if unseen), k = 1..order."""
        rows, length = contexts.shape
        result = [np.zeros(rows, dtype=np.int64)]  # every row has the empty context
        for m in range(1, self.order):
            if m > length:
                result.append(np.full(rows, -1, dtype=np.int64))
                continue
            gram = np.zeros(rows, dtype=np.int64)
            for j in range(m):
                gram = self._lookup(j + 1, gram, contexts[:, length - m + j])
            result.append(gram)
        return result

    def _probabilities(self, context_ids: list[np.ndarray], words: np.ndarray) -> np.ndarray:
        """P(word | context) by the recursion in the module docstring, broadcasting context ids with words."""
        probability = np.full(np.broadcast_shapes(context_ids[0].shape, words.shape), 1.0 / self.vocab_size)
        for k in range(1, self.order + 1):
            context = context_ids[k - 1]
            safe_context = np.maximum(context, 0)
            denominator = np.where(context >= 0, self._denominator[k][safe_context], 0.0)
            gram = self._lookup(k, context, words)
            counts = np.where(gram >= 0, self._counts[k][np.maximum(gram, 0)], 0)
            discounted = counts - self._discount_of_count[k][np.minimum(counts, 3)]
            seen = denominator > 0
            interpolated = (discounted + self._backoff_mass[k][safe_context] * probability) / np.where(seen, denominator, 1.0)
            probability = np.where(seen, interpolated, probability)
        return probability

    def _context_matrix(self, context_ids: ArrayLike) -> np.ndarray:
        context = np.asarray(context_ids, dtype=np.int64).ravel()
        _check_ids(context, self.vocab_size, "context_ids")
        return context[len(context) - min(len(context), self.order - 1):][None, :]

    def distribution(self, context_ids: ArrayLike) -> np.ndarray:
        """P(w | context) for every word id w, shape (vocab_size,), summing to 1. Only the last order-1
        context ids matter; an empty context gives the lowest-order (continuation unigram) distribution."""
        self._check_fitted()
        context = self._context_matrix(context_ids)
        return self._probabilities(self._context_ids(context), np.arange(self.vocab_size, dtype=np.int64))

    def logprob(self, context_ids: ArrayLike, word: int) -> float:
        """Natural log of P(word | context)."""
        self._check_fitted()
        word_array = np.array([word], dtype=np.int64)
        _check_ids(word_array, self.vocab_size, "word")
        context = self._context_matrix(context_ids)
        return float(np.log(self._probabilities(self._context_ids(context), word_array)[0]))

    def logprobs(self, ids: ArrayLike) -> np.ndarray:
        """log P(ids[i] | ids[i-order+1:i]) for i = 1..len(ids)-1 (natural log): every token but the first,
        which only serves as context, the same targets the neural LMs score on a stream."""
        self._check_fitted()
        ids = np.asarray(ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"ids must be a 1-d integer array, got shape {ids.shape} dtype {ids.dtype}")
        if len(ids) < 2:
            raise ValueError(f"need at least 2 tokens (a context and a target), got {len(ids)}")
        ids = ids.astype(np.int64)
        _check_ids(ids, self.vocab_size, "ids")
        padded = np.concatenate([np.full(self.order - 1, -1, dtype=np.int64), ids])
        windows = np.lib.stride_tricks.sliding_window_view(padded, self.order)[1:]  # row i: context + target ids[i+1]
        result = np.empty(len(windows))
        for start in range(0, len(windows), _CHUNK):
            chunk = windows[start:start + _CHUNK]
            probability = self._probabilities(self._context_ids(chunk[:, :-1]), chunk[:, -1])
            result[start:start + len(chunk)] = np.log(probability)
        return result

    def perplexity(self, ids: ArrayLike) -> float:
        """exp(mean negative log-probability) over the targets of `logprobs`."""
        logprobs = self.logprobs(ids)
        return perplexity_from_nll(float(-logprobs.sum()), len(logprobs))

    def sample(self, context: ArrayLike, n: int, temperature: float = 1.0, top_k: int | None = None,
               rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw `n` ids after `context`, each from P(. | previous ids) ** (1 / temperature), renormalised;
        `top_k` keeps only the k most likely words; temperature 0 picks the most likely word."""
        self._check_fitted()
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        if top_k is not None and not 1 <= top_k <= self.vocab_size:
            raise ValueError(f"top_k must be in 1..{self.vocab_size} or None, got {top_k}")
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        history = list(np.asarray(context, dtype=np.int64).ravel())
        drawn = np.empty(n, dtype=np.int64)
        for i in range(n):
            probability = self.distribution(history[len(history) - min(len(history), self.order - 1):])
            if temperature == 0:
                drawn[i] = int(np.argmax(probability))
            else:
                logits = np.log(probability) / temperature
                if top_k is not None:
                    logits[np.argsort(-logits, kind="stable")[top_k:]] = -np.inf
                weights = np.exp(logits - logits.max())
                drawn[i] = rng.choice(self.vocab_size, p=weights / weights.sum())
            history.append(drawn[i])
        return drawn

    # ---- persistence ----------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike) -> None:
        """Write `kneser_ney.npz` (keys and counts per order) and `kneser_ney.json` (order, vocabulary size,
        discounts) into `directory`, each atomically."""
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {f"keys_{k}": self._keys[k] for k in range(1, self.order + 1)}
        arrays |= {f"counts_{k}": self._counts[k] for k in range(1, self.order + 1)}
        _write_atomic(directory / "kneser_ney.npz", lambda f: np.savez(f, **arrays))
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "order": self.order, "vocab_size": self.vocab_size,
                "discounts": self.discounts.tolist(), "discount_fallback": self.discount_fallback}
        _write_atomic(directory / "kneser_ney.json", lambda f: f.write(json.dumps(meta, indent=2).encode()))

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "KneserNeyLM":
        """Read a model written by `save`; a truncated, altered or hand-made file raises CheckpointError
        naming it (the arrays are checked before any lookup can index with them)."""
        directory = Path(directory)
        meta_path, arrays_path = directory / "kneser_ney.json", directory / "kneser_ney.npz"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise CheckpointError(f"{meta_path}: not a valid {FORMAT} model ({err})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
            raise CheckpointError(f"{meta_path}: not a {FORMAT} v{FORMAT_VERSION} model")
        order, vocab_size = meta.get("order"), meta.get("vocab_size")
        if not (_is_int(order) and 1 <= order <= MAX_ORDER and _is_int(vocab_size) and 1 <= vocab_size < 2**31):
            raise CheckpointError(f"{meta_path}: order {order!r} or vocab_size {vocab_size!r} out of range "
                                  f"(order 1..{MAX_ORDER}, vocab_size 1..2**31-1)")
        model = cls(order)
        model.vocab_size = vocab_size
        try:
            model.discounts = np.array(meta["discounts"], dtype=np.float64).reshape(order, 3)
            model.discount_fallback = [bool(f) for f in meta["discount_fallback"]]
        except (KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"{meta_path}: malformed discounts ({err})") from None
        if not np.isfinite(model.discounts).all():
            raise CheckpointError(f"{meta_path}: non-finite discounts")
        try:
            with np.load(arrays_path, allow_pickle=False) as arrays:
                keys = [arrays[f"keys_{k}"] for k in range(1, order + 1)]
                counts = [arrays[f"counts_{k}"] for k in range(1, order + 1)]
        except FileNotFoundError:
            raise
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
            raise CheckpointError(f"{arrays_path}: not a valid {FORMAT} model (truncated or altered?): {err}") from None
        model._keys = [np.zeros(1, dtype=np.int64)] + keys
        model._counts = [np.zeros(1, dtype=np.int64)] + counts
        problem = model._storage_problem()
        if problem:
            raise CheckpointError(f"{arrays_path}: not a valid {FORMAT} model: {problem}")
        model._prepare()
        return model

    def _storage_problem(self) -> str | None:
        """What is wrong with the loaded arrays, if anything: every k-gram's parent must exist one order down."""
        for k in range(1, self.order + 1):
            keys, counts = self._keys[k], self._counts[k]
            if keys.dtype != np.int64 or counts.dtype != np.int64 or keys.ndim != 1 or keys.shape != counts.shape:
                return f"order {k}: keys and counts must be 1-d int64 arrays of one length"
            if keys.size and (keys[0] < 0 or np.any(np.diff(keys) <= 0) or counts.min() < 0):
                return f"order {k}: keys must rise strictly from 0 and counts be non-negative"
            if keys.size and keys[-1] // self.vocab_size >= len(self._keys[k - 1]):
                return f"order {k}: a key refers to a missing order-{k - 1} prefix"
        return None

    def _check_fitted(self) -> None:
        if not self.vocab_size:
            raise RuntimeError("the model is not fitted: call fit(ids) or KneserNeyLM.load(directory) first")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_ids(ids: np.ndarray, vocab_size: int, name: str) -> None:
    bad = (ids < 0) | (ids >= vocab_size)
    if bad.any():
        raise IndexError(f"{name}: id {int(ids[bad][0])} is out of range for vocab_size {vocab_size}")


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        write(f)
    os.replace(tmp, path)

"""Intrinsic evaluation of word vectors.

* Word analogies (Mikolov et al. 2013, `questions-words.txt`): "a is to b as c is to d" is answered
  correctly when the nearest word by cosine to b - a + c (3CosAdd, unit vectors), among the
  `restrict_vocab` most frequent words and excluding a, b and c, is d. As word2vec.c's
  compute-accuracy and gensim do, questions with a word outside those words are not asked (counted as OOV);
  a question asked with no candidate left (every one of those words is a, b or c) is answered wrongly.
  Case-insensitive (the default; words compared upper-cased, as gensim compares them): a word's vector
  is its most frequent spelling's, any spelling of a, b or c is excluded, and any spelling of d is a
  correct answer.
  Sections named `gram*` are syntactic, the others semantic. A group with no question asked has no
  accuracy (NaN; None in `summary()`), never 0.
* Word similarity (WordSim-353, SimLex-999, MEN ...): Spearman's rho between human scores and
  cosine similarities over the pairs whose two words have vectors (gensim's evaluate_word_pairs).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fastgrad.data.readers import read_lines
from fastgrad.data.vectors import WordVectors

Question = tuple[str, str, str, str]


@dataclass
class AnalogySection:
    name: str
    correct: int = 0
    asked: int = 0
    questions: int = 0

    @property
    def semantic(self) -> bool:
        return not self.name.startswith("gram")

    @property
    def accuracy(self) -> float:
        return self.correct / self.asked if self.asked else float("nan")


@dataclass
class AnalogyResult:
    sections: list[AnalogySection] = field(default_factory=list)

    def _sum(self, semantic: bool | None) -> tuple[int, int, int]:
        chosen = [s for s in self.sections if semantic is None or s.semantic == semantic]
        return (sum(s.correct for s in chosen), sum(s.asked for s in chosen), sum(s.questions for s in chosen))

    def accuracy(self, semantic: bool | None = None) -> float:
        """Accuracy over the questions asked: all (None), semantic (True) or syntactic (False) sections."""
        correct, asked, _ = self._sum(semantic)
        return correct / asked if asked else float("nan")

    @property
    def oov_questions(self) -> int:
        _, asked, questions = self._sum(None)
        return questions - asked

    def summary(self) -> dict:
        correct, asked, questions = self._sum(None)
        defined = lambda value: None if value != value else value  # NaN (nothing asked): no number
        return {"semantic_accuracy": defined(self.accuracy(True)), "syntactic_accuracy": defined(self.accuracy(False)),
                "total_accuracy": defined(self.accuracy()), "correct": correct, "asked": asked, "questions": questions,
                "oov_questions": questions - asked}


def read_analogies(path: str | Path) -> list[tuple[str, list[Question]]]:
    """Sections of a questions-words file: `: name` lines start a section, then `a b c d` per line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"analogy file not found: {path}")
    sections: list[tuple[str, list[Question]]] = []
    for line_no, line in read_lines(path):
        fields = line.split()
        if not fields:
            continue
        if fields[0] == ":":
            sections.append((" ".join(fields[1:]), []))
        elif len(fields) != 4:
            raise ValueError(f"{path}:{line_no}: expected 4 words or a ': section' line, got {line.strip()!r}")
        elif not sections:
            raise ValueError(f"{path}:{line_no}: question before the first ': section' line")
        else:
            sections[-1][1].append((fields[0], fields[1], fields[2], fields[3]))
    return sections


def evaluate_analogies(vectors: WordVectors, path: str | Path, restrict_vocab: int = 30_000, lowercase: bool = True,
                       batch_size: int = 1024) -> AnalogyResult:
    """Analogy accuracy per section with 3CosAdd among the first `restrict_vocab` words of `vectors`
    (which should be sorted most frequent first, as word2vec files are)."""
    if restrict_vocab < 1:
        raise ValueError(f"restrict_vocab must be at least 1, got {restrict_vocab}")
    limit = min(restrict_vocab, len(vectors))
    lookup = _word_ids(vectors, limit, lowercase)
    unit = vectors.unit_vectors[:limit]
    # Each row's word as the row of its most frequent spelling (itself when case matters), and the other
    # spellings of each word that has several.
    spelled = (np.array([lookup[_case_key(w, lowercase)] for w in vectors.words[:limit]], dtype=np.int64) if lowercase
               else np.arange(limit))
    other_spellings: dict[int, list[int]] = {}
    for row in np.flatnonzero(spelled != np.arange(limit)):
        other_spellings.setdefault(int(spelled[row]), []).append(int(row))
    result = AnalogyResult()
    for name, questions in read_analogies(path):
        section = AnalogySection(name, questions=len(questions))
        ids = [tuple(lookup.get(_case_key(w, lowercase), -1) for w in q) for q in questions]
        asked = np.array([q for q in ids if min(q) >= 0], dtype=np.int64).reshape(-1, 4)
        section.asked = len(asked)
        for start in range(0, len(asked), batch_size):
            batch = asked[start:start + batch_size]
            a, b, c, d = batch.T
            scores = (unit[b] - unit[a] + unit[c]) @ unit.T
            rows = np.arange(len(batch))
            for excluded in (a, b, c):
                scores[rows, excluded] = -np.inf
            if other_spellings:
                for row, question in enumerate(batch[:, :3].tolist()):
                    for word in question:
                        scores[row, other_spellings.get(word, [])] = -np.inf
            answers = scores.argmax(axis=1)
            # a question whose every candidate is a, b or c has no answer (gensim's most_similar returns none)
            answered = np.isfinite(scores[rows, answers])
            section.correct += int(np.count_nonzero(answered & (spelled[answers] == d)))
        result.sections.append(section)
    return result


@dataclass
class SimilarityResult:
    spearman: float
    pairs: int
    oov_pairs: int


def read_word_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    """`word1 word2 score` lines (tab or space separated); '#' lines and blank lines are skipped."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"word-pair file not found: {path}")
    pairs = []
    for line_no, line in read_lines(path):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) != 3:
            raise ValueError(f"{path}:{line_no}: expected 'word1 word2 score', got {line.strip()!r}")
        try:
            score = float(fields[2])
        except ValueError:
            raise ValueError(f"{path}:{line_no}: score {fields[2]!r} is not a number") from None
        if not math.isfinite(score):  # it would take a rank of its own and give a plausible rho
            raise ValueError(f"{path}:{line_no}: score {fields[2]!r} is not a finite number")
        pairs.append((fields[0], fields[1], score))
    return pairs


def evaluate_similarity(vectors: WordVectors, path: str | Path, lowercase: bool = True,
                        restrict_vocab: int = 300_000) -> SimilarityResult:
    """Spearman's rho between the file's scores and cosine similarities, over pairs with both words known."""
    lookup = _word_ids(vectors, min(restrict_vocab, len(vectors)), lowercase)
    human, model = [], []
    pairs = read_word_pairs(path)
    unit = vectors.unit_vectors
    for first, second, score in pairs:
        i = lookup.get(_case_key(first, lowercase))
        j = lookup.get(_case_key(second, lowercase))
        if i is not None and j is not None:
            human.append(score)
            model.append(float(unit[i] @ unit[j]))
    rho = spearman(np.array(human), np.array(model)) if len(human) >= 2 else float("nan")
    return SimilarityResult(spearman=rho, pairs=len(human), oov_pairs=len(pairs) - len(human))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson's r of the ranks, tied values sharing their mean rank."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-d arrays of the same length, got shapes {x.shape} and {y.shape}")
    rx, ry = _average_ranks(x), _average_ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    denominator = np.sqrt((rx * rx).sum() * (ry * ry).sum())
    return float((rx * ry).sum() / denominator) if denominator > 0 else float("nan")


def _average_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    # Each run of equal values gets the mean of the 1-based positions it spans.
    run_starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    run_ends = np.r_[run_starts[1:], values.size]
    run_rank = (run_starts + run_ends + 1) / 2.0
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat(run_rank, run_ends - run_starts)
    return ranks


def _word_ids(vectors: WordVectors, limit: int, lowercase: bool) -> dict[str, int]:
    """Word -> id among the first `limit` words; case-insensitive, the most frequent spelling wins."""
    lookup: dict[str, int] = {}
    for i, word in enumerate(vectors.words[:limit]):
        lookup.setdefault(_case_key(word, lowercase), i)
    return lookup


def _case_key(word: str, case_insensitive: bool) -> str:
    """What a word is looked up by. Upper-cased as gensim compares words: lower-casing would part spellings
    it joins ("straße" and "STRASSE" are both "STRASSE")."""
    return word.upper() if case_insensitive else word

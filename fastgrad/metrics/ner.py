"""Chunk (entity) precision, recall and F1 exactly as the CoNLL `conlleval` perl script computes them.

A predicted chunk is correct only if its span and type both match a gold chunk. Chunk boundaries follow
conlleval's `startOfChunk`/`endOfChunk` rules (Tjong Kim Sang; version 2004-01-26), which read IOB1 and
IOB2 alike: B- always starts a chunk; I- starts one after O or after a tag of another type; O, B- or a type
change ends the current one. A sentence break acts as an O token that is not counted. Tags are split at
the first hyphen ("I-creative-work" has type "creative-work"); a tag without a hyphen has type "".
Scores are fractions in [0, 1] (conlleval prints percentages).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from fastgrad.data.readers import split_tag


@dataclass(frozen=True)
class ChunkScore:
    precision: float
    recall: float
    f1: float
    gold_chunks: int
    predicted_chunks: int
    correct_chunks: int


@dataclass(frozen=True)
class ConllEvaluation:
    overall: ChunkScore
    per_type: dict[str, ChunkScore]
    token_accuracy: float  # tags equal in prefix and type, over all tokens
    tokens: int


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, chunk_type: str) -> bool:
    """conlleval's endOfChunk: did a chunk end between the previous and the current token?"""
    if (prev_tag, tag) in {("B", "B"), ("B", "O"), ("I", "B"), ("I", "O"), ("E", "E"), ("E", "I"), ("E", "O")}:
        return True
    if prev_tag not in ("O", ".") and prev_type != chunk_type:
        return True
    return prev_tag in ("[", "]")  # bracketed chunks have length 1


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, chunk_type: str) -> bool:
    """conlleval's startOfChunk: did a chunk start at the current token?"""
    if (prev_tag, tag) in {("B", "B"), ("I", "B"), ("O", "B"), ("O", "I"), ("E", "E"), ("E", "I"), ("O", "E")}:
        return True
    if tag not in ("O", ".") and prev_type != chunk_type:
        return True
    return tag in ("[", "]")


def _score(correct: int, predicted: int, gold: int) -> ChunkScore:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ChunkScore(precision, recall, f1, gold, predicted, correct)


def conll_evaluate(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> ConllEvaluation:
    """Score predicted tag sentences against gold ones (same number of sentences, same lengths, some tokens)."""
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} sentences but predicted has {len(predicted)}")
    for index, (gold_sentence, predicted_sentence) in enumerate(zip(gold, predicted)):
        if len(gold_sentence) != len(predicted_sentence):
            raise ValueError(f"sentence {index}: gold has {len(gold_sentence)} tags but predicted has {len(predicted_sentence)}")
    if not any(len(sentence) for sentence in gold):  # conlleval prints no scores for no tokens either
        raise ValueError(f"scores of zero tokens are undefined (gold and predicted have {len(gold)} sentences and "
                         "no tag)")

    found_gold: dict[str, int] = {}
    found_predicted: dict[str, int] = {}
    correct_chunks: dict[str, int] = {}
    correct_tags = tokens = 0
    in_correct = False  # the chunk being read is, so far, the same span and type in gold and prediction
    last_gold, last_gold_type, last_pred, last_pred_type = "O", "", "O", ""

    def step(gold_tag: str, gold_type: str, pred_tag: str, pred_type: str) -> None:
        nonlocal in_correct, last_gold, last_gold_type, last_pred, last_pred_type
        gold_ends = _end_of_chunk(last_gold, gold_tag, last_gold_type, gold_type)
        pred_ends = _end_of_chunk(last_pred, pred_tag, last_pred_type, pred_type)
        if in_correct:
            if gold_ends and pred_ends and last_gold_type == last_pred_type:
                in_correct = False
                correct_chunks[last_gold_type] = correct_chunks.get(last_gold_type, 0) + 1
            elif gold_ends != pred_ends or gold_type != pred_type:
                in_correct = False
        gold_starts = _start_of_chunk(last_gold, gold_tag, last_gold_type, gold_type)
        pred_starts = _start_of_chunk(last_pred, pred_tag, last_pred_type, pred_type)
        if gold_starts and pred_starts and gold_type == pred_type:
            in_correct = True
        if gold_starts:
            found_gold[gold_type] = found_gold.get(gold_type, 0) + 1
        if pred_starts:
            found_predicted[pred_type] = found_predicted.get(pred_type, 0) + 1
        last_gold, last_gold_type, last_pred, last_pred_type = gold_tag, gold_type, pred_tag, pred_type

    for gold_sentence, predicted_sentence in zip(gold, predicted):
        for gold_full, pred_full in zip(gold_sentence, predicted_sentence):
            gold_tag, gold_type = split_tag(gold_full)
            pred_tag, pred_type = split_tag(pred_full)
            step(gold_tag, gold_type, pred_tag, pred_type)
            correct_tags += gold_tag == pred_tag and gold_type == pred_type
            tokens += 1
        step("O", "", "O", "")  # the sentence break
    if in_correct:
        correct_chunks[last_gold_type] = correct_chunks.get(last_gold_type, 0) + 1

    types = sorted(set(found_gold) | set(found_predicted))
    per_type = {t: _score(correct_chunks.get(t, 0), found_predicted.get(t, 0), found_gold.get(t, 0)) for t in types}
    overall = _score(sum(correct_chunks.values()), sum(found_predicted.values()), sum(found_gold.values()))
    return ConllEvaluation(overall, per_type, correct_tags / tokens, tokens)

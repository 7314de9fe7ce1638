import pytest

from fastgrad.metrics import conll_evaluate


def chunk_counts(gold, predicted):
    overall = conll_evaluate(gold, predicted).overall
    return overall.gold_chunks, overall.predicted_chunks, overall.correct_chunks


def test_exact_match():
    tags = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
    result = conll_evaluate(tags, tags)
    assert (result.overall.precision, result.overall.recall, result.overall.f1) == (1.0, 1.0, 1.0)
    assert result.overall.gold_chunks == 3 and result.token_accuracy == 1.0 and result.tokens == 6


def test_mixed_hand_computed():
    gold = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG", "O", "O"]]
    # gold PER LOC ORG, predicted PER ORG(wrong place): 1 correct; P = 1/2, R = 1/3, F = 2PR/(P+R) = 0.4
    result = conll_evaluate(gold, pred)
    assert result.overall.precision == pytest.approx(0.5)
    assert result.overall.recall == pytest.approx(1 / 3)
    assert result.overall.f1 == pytest.approx(0.4)
    assert result.token_accuracy == pytest.approx(4 / 6)
    assert sorted(result.per_type) == ["LOC", "ORG", "PER"]
    assert result.per_type["PER"].f1 == 1.0
    assert (result.per_type["LOC"].gold_chunks, result.per_type["LOC"].predicted_chunks) == (1, 0)
    assert (result.per_type["ORG"].precision, result.per_type["ORG"].recall, result.per_type["ORG"].f1) == (0, 0, 0)


@pytest.mark.parametrize("gold, pred, expected", [
    # span too short, then type wrong: nothing correct
    ([["B-PER", "I-PER"]], [["B-PER", "O"]], (1, 1, 0)),
    ([["B-PER"]], [["B-ORG"]], (1, 1, 0)),
    # I- after O starts a chunk, so the IOB1 and IOB2 spellings of one chunk agree
    ([["O", "I-PER", "I-PER"]], [["O", "B-PER", "I-PER"]], (1, 1, 1)),
    # I- of another type starts a new chunk
    ([["B-PER", "B-LOC"]], [["B-PER", "I-LOC"]], (2, 2, 2)),
    # IOB1 B- splits two same-type chunks; one long predicted chunk matches neither
    ([["I-PER", "B-PER"]], [["B-PER", "I-PER"]], (2, 1, 0)),
    # a sentence break ends a chunk; I- at a sentence start opens one
    ([["B-PER"], ["I-PER"]], [["B-PER"], ["B-PER"]], (2, 2, 2)),
    # a chunk running to the very end is counted
    ([["O", "B-LOC", "I-LOC"]], [["O", "B-LOC", "I-LOC"]], (1, 1, 1)),
    # predicted chunk longer than gold: wrong; O inside ends the chunk
    ([["B-LOC", "O", "B-LOC"]], [["B-LOC", "I-LOC", "I-LOC"]], (2, 1, 0)),
    # types containing hyphens are split at the first hyphen only
    ([["B-creative-work", "I-creative-work"]], [["B-creative-work", "I-creative-work"]], (1, 1, 1)),
    # conlleval quirk kept: after E- a B- neither ends nor starts a chunk of the same type
    ([["B-X", "E-X", "B-X"]], [["B-X", "I-X", "I-X"]], (1, 1, 1)),
])
def test_conlleval_edge_cases(gold, pred, expected):
    assert chunk_counts(gold, pred) == expected


def spans(sentences):
    """Exact (sentence, start, end, type) chunks of B/I/O tags, read independently of conlleval's rules."""
    found = set()
    for s, tags in enumerate(sentences):
        start, current = None, None
        for i, tag in enumerate(tags + ["O"]):
            prefix, _, kind = tag.partition("-")
            continues = prefix == "I" and kind == current
            if start is not None and not continues:
                found.add((s, start, i, current))
                start, current = None, None
            if prefix in ("B", "I") and not continues:
                start, current = i, kind
    return found


def test_matches_exact_span_matching_on_random_tags(rng):
    tag_set = ["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    for _ in range(200):
        lengths = rng.integers(1, 8, size=rng.integers(1, 4))
        gold = [[tag_set[i] for i in rng.integers(0, 6, size=n)] for n in lengths]
        pred = [[tag_set[i] for i in rng.integers(0, 6, size=n)] for n in lengths]
        gold_spans, pred_spans = spans(gold), spans(pred)
        assert chunk_counts(gold, pred) == (len(gold_spans), len(pred_spans), len(gold_spans & pred_spans))


def test_length_mismatch_raises():
    with pytest.raises(ValueError, match="gold has 2 sentences but predicted has 1"):
        conll_evaluate([["O"], ["O"]], [["O"]])
    with pytest.raises(ValueError, match="sentence 0: gold has 2 tags but predicted has 1"):
        conll_evaluate([["O", "O"]], [["O"]])


def test_zero_tokens_raise_instead_of_scoring_zero():
    """No tags: conlleval prints no scores; this returned token accuracy and F1 0.0."""
    for gold in ([], [[]], [[], []]):
        with pytest.raises(ValueError, match="zero tokens are undefined"):
            conll_evaluate(gold, gold)


@pytest.mark.data
def test_conll2003_entity_counts(data_dir):
    from fastgrad.data.readers import read_conll

    tags = read_conll(data_dir / "conll2003" / "train.txt").tags
    result = conll_evaluate(tags, tags)
    # Tjong Kim Sang & De Meulder (2003), table 1
    assert {t: s.gold_chunks for t, s in result.per_type.items()} == {"LOC": 7140, "MISC": 3438, "ORG": 6321, "PER": 6600}
    assert result.overall.f1 == 1.0

"""IOB/IOBES as a grammar: parsing tags, reading chunks as conlleval does, writing them in either scheme,
and the transition tables a CRF decoder obeys."""
import itertools

import pytest

from fastgrad.data import tags as grammar
from fastgrad.metrics import conll_evaluate


@pytest.mark.parametrize("tag", ["PERSON", "X-PER", "B_PER", "b-PER", "B-", "-PER", ""])
def test_tags_outside_the_schemes_are_refused(tag):
    with pytest.raises(ValueError, match="is not O or PREFIX-TYPE"):
        grammar.parse_tag(tag)


def test_types_may_contain_hyphens():
    assert grammar.parse_tag("I-creative-work") == ("I", "creative-work") and grammar.parse_tag("O") == ("O", "")


@pytest.mark.parametrize("tags, expected", [
    (["I-PER", "I-PER", "B-PER", "O", "I-LOC"], [("PER", 0, 2), ("PER", 2, 3), ("LOC", 4, 5)]),        # IOB1
    (["B-PER", "I-PER", "I-LOC", "B-LOC"], [("PER", 0, 2), ("LOC", 2, 3), ("LOC", 3, 4)]),              # IOB2
    (["S-PER", "B-LOC", "I-LOC", "E-LOC", "O", "S-ORG"], [("PER", 0, 1), ("LOC", 1, 4), ("ORG", 5, 6)]),  # IOBES
])
def test_chunks_and_conversion_keep_what_conlleval_scores(tags, expected):
    assert grammar.chunks(tags) == expected
    for scheme in grammar.SCHEMES:
        converted = grammar.convert(tags, scheme)
        assert grammar.chunks(converted) == expected and grammar.is_valid(converted, scheme)
    if not any(t.startswith(("S-", "E-")) for t in tags):  # conlleval itself does not read S- tags
        assert conll_evaluate([tags], [grammar.convert(tags, "iob")]).overall.f1 == 1.0


@pytest.mark.parametrize("scheme", grammar.SCHEMES)
def test_the_transition_tables_accept_exactly_the_written_sequences(scheme):
    """Every sequence over two types up to length 4 is valid iff writing its own chunks reproduces it."""
    labels = grammar.tag_set(["A", "B"], scheme)
    for length in range(1, 5):
        for sequence in itertools.product(labels, repeat=length):
            canonical = grammar.convert(list(sequence), scheme) == list(sequence)
            assert grammar.is_valid(list(sequence), scheme) == canonical, sequence

"""Chunk tags (IOB and IOBES) as a grammar: which tags exist, how a sentence's tags make chunks, how to write
chunks in either scheme, and which tag may follow which.

- IOB: `O`, `B-TYPE`, `I-TYPE`. Read leniently (IOB1 starts a chunk with I-, IOB2 always with B-); written
  as IOB2, where I-TYPE only continues a chunk of that type.
- IOBES: adds `E-TYPE` (last token of a chunk of two or more) and `S-TYPE` (a one-token chunk); B- and I-
  never end a chunk.

The transition table (`allowed_transitions`) is what a CRF decoder needs so that every sequence it
returns is valid in its scheme (Collobert et al. 2011 train such transitions; the hard constraints are the
grammar itself).
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

SCHEMES = ("iob", "iobes")
PREFIXES = {"iob": ("B", "I"), "iobes": ("B", "I", "E", "S")}
_TAG = re.compile(r"([A-Z])-(.+)")


def parse_tag(tag: str) -> tuple[str, str]:
    """("B", "PER") for "B-PER", ("O", "") for "O"; ValueError for anything else (such as "PERSON")."""
    if tag == "O":
        return "O", ""
    match = _TAG.fullmatch(tag)
    if match is None or match.group(1) not in PREFIXES["iobes"]:
        raise ValueError(f"tag {tag!r} is not O or PREFIX-TYPE with PREFIX one of B, I, E, S")
    return match.group(1), match.group(2)


def scheme_of(tags: Sequence[str]) -> str:
    """"iobes" when any tag starts with E- or S-, otherwise "iob" (tags already checked by `parse_tag`)."""
    return "iobes" if any(parse_tag(t)[0] in ("E", "S") for t in tags) else "iob"


def chunks(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """(type, start, end) of each chunk, `end` exclusive, read as conlleval reads IOB1, IOB2 and IOBES: B- and S-
    always start a chunk, I- and E- start one unless they continue the previous tag's chunk of the same type;
    O, S-, E- and a type change end it."""
    found: list[tuple[str, int, int]] = []
    start, current, closed = 0, "", True
    for position, tag in enumerate(tags):
        prefix, chunk_type = parse_tag(tag)
        continues = prefix in ("I", "E") and not closed and chunk_type == current
        if not continues and not closed:
            found.append((current, start, position))
            closed = True
        if prefix != "O" and not continues:
            start, current, closed = position, chunk_type, False
        if prefix in ("E", "S") and not closed:
            found.append((current, start, position + 1))
            closed = True
    if not closed:
        found.append((current, start, len(tags)))
    return found


def write_chunks(spans: Sequence[tuple[str, int, int]], length: int, scheme: str) -> list[str]:
    """The tags of a sentence of `length` tokens with these chunks, in IOB2 or IOBES."""
    tags = ["O"] * length
    for chunk_type, start, end in spans:
        if scheme == "iobes" and end - start == 1:
            tags[start] = f"S-{chunk_type}"
            continue
        tags[start] = f"B-{chunk_type}"
        for position in range(start + 1, end):
            tags[position] = f"I-{chunk_type}"
        if scheme == "iobes":
            tags[end - 1] = f"E-{chunk_type}"
    return tags


def convert(tags: Sequence[str], scheme: str) -> list[str]:
    """One sentence's tags (IOB1, IOB2 or IOBES) written in `scheme` ("iob" gives IOB2)."""
    return write_chunks(chunks(tags), len(tags), scheme)


def tag_set(types: Sequence[str], scheme: str) -> list[str]:
    """Every tag of the scheme over `types`: "O" first, then PREFIX-TYPE by type and prefix."""
    return ["O"] + [f"{prefix}-{t}" for t in sorted(types) for prefix in PREFIXES[scheme]]


def allowed_transitions(tags: Sequence[str], scheme: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boolean (start, transition, end) tables over `tags` (a `tag_set`): may a sentence start with tag j,
    may tag j follow tag i, may a sentence end with tag i."""
    parsed = [parse_tag(t) for t in tags]
    inside = ("I", "E")                  # tags that continue a chunk
    open_ = ("B", "I") if scheme == "iobes" else ()   # IOBES: tags after which the chunk must go on
    start = np.array([p not in inside for p, _ in parsed])
    end = np.array([p not in open_ for p, _ in parsed])
    follows = np.zeros((len(tags), len(tags)), dtype=bool)
    for i, (prev, prev_type) in enumerate(parsed):
        for j, (tag, tag_type) in enumerate(parsed):
            if tag in inside:  # continues the previous chunk: same type, after a tag that leaves it open
                follows[i, j] = prev_type == tag_type and prev in ("B", "I")
            else:              # O, B, S start afresh: the previous chunk must be allowed to end there
                follows[i, j] = prev not in open_
    return start, follows, end


def is_valid(tags: Sequence[str], scheme: str) -> bool:
    """Whether `tags` obeys the scheme's grammar (IOB2 for "iob")."""
    if not tags:
        return True
    names = sorted({parse_tag(t)[1] for t in tags} - {""})
    full = tag_set(names, scheme)
    if any(t not in full for t in tags):
        return False
    index = {t: i for i, t in enumerate(full)}
    start, follows, end = allowed_transitions(full, scheme)
    ids = [index[t] for t in tags]
    return bool(start[ids[0]] and end[ids[-1]] and all(follows[a, b] for a, b in zip(ids, ids[1:])))

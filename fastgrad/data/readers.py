"""Readers for labelled sentences (`LABEL SENTENCE` lines, `TEXT<TAB>LABEL` TSV) and CoNLL column files.

Every reader fails loudly: a malformed line raises ValueError naming the file and line number; anything
skipped on purpose (blank lines in a sentence file, `-DOCSTART-` lines) is counted, and blank lines warn.
"""
from __future__ import annotations

import gzip
import os
import re
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator, Sequence

import numpy as np

# A number with inner points or commas ("2.5", "1,000"), a word (letters/digits/underscore, with inner
# hyphens or apostrophes: "slow-moving", "don't"), or any single other non-space character.
_TOKEN_PATTERN = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:[-'’]\w+)*|[^\w\s]")
DAMAGED_GZIP = (gzip.BadGzipFile, EOFError, zlib.error)  # what reading a .gz file that is not whole gzip raises
BYTE_ORDER_MARK = b"\xef\xbb\xbf"  # some editors start UTF-8 text with it; it is not part of the first word


def simple_tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split raw text into words and single punctuation marks."""
    return _TOKEN_PATTERN.findall(text.lower() if lowercase else text)


def read_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """(line number from 1, text) for each line of a UTF-8 file, gzip-compressed if it ends in `.gz`.

    Lines are split on b"\\n" only, so characters Python would also treat as line breaks (U+0085,
    U+2028, form feed) stay inside their line; a trailing "\\r" is dropped, and so is a byte-order mark
    at the start of the file (some editors write one; it would stick to the first word).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read().removeprefix(BYTE_ORDER_MARK)
    except DAMAGED_GZIP as err:
        raise ValueError(f"{path}: cannot read the gzip file ({err})") from None
    if not raw.strip():
        raise ValueError(f"{path}: file is empty")
    pieces = raw.split(b"\n")
    if pieces[-1] == b"":
        pieces.pop()
    for number, piece in enumerate(pieces, start=1):
        yield number, decode_line(piece, path, number)


def read_stream_lines(stream: IO[bytes], name: str = "stdin") -> Iterator[str]:
    """The lines of a byte stream (stdin) as `read_lines` reads a file's, one at a time as they arrive: UTF-8
    (other bytes raise ValueError naming `name` and the line), split on b"\\n" only, without a trailing "\\r"
    and without a byte-order mark at the start."""
    for number, piece in enumerate(stream, start=1):
        if number == 1:
            piece = piece.removeprefix(BYTE_ORDER_MARK)
        yield decode_line(piece.removesuffix(b"\n"), name, number)


def decode_line(piece: bytes, where: str | os.PathLike, number: int) -> str:
    """One line's bytes as text, without a trailing "\\r"; ValueError naming `where` and the line if not UTF-8."""
    try:
        return piece.decode("utf-8").removesuffix("\r")
    except UnicodeDecodeError as err:
        raise ValueError(f"{where}:{number}: not valid UTF-8 at byte {err.start} of the line ({err.reason})") from None


@dataclass
class LabelledSentences:
    """Token lists with one label each; `labels[i]` indexes `label_names`."""

    tokens: list[list[str]]
    labels: np.ndarray
    label_names: list[str]
    first_lines: dict[str, int] = field(default_factory=dict)  # the line where each label first appears

    def __len__(self) -> int:
        return len(self.tokens)


def read_label_first(path: str | os.PathLike, label_names: Sequence[str] | None = None) -> LabelledSentences:
    """`LABEL SENTENCE` lines (the SST `stsa.*` files): the label, one space, then text that is already
    tokenized, so tokens are the space-separated fields, lower-cased (the SST files already are; lower-casing
    here keeps training, `eval` and `predict`, which lower-cases typed text, on the same tokens).

    `label_names=None` builds the label set from this file (use it for the training file); pass the training
    set's `label_names` for dev/test files so an unseen label raises instead of getting a new id.
    """
    rows = []
    for number, line in _nonblank_lines(path):
        if "\t" in line:
            raise ValueError(f"{path}:{number}: a tab in a 'LABEL SENTENCE' line; is this a TEXT<TAB>LABEL file "
                             "(--format tsv)?")
        label, _, text = line.partition(" ")
        tokens = text.lower().split()
        if not label or not tokens:
            raise ValueError(f"{path}:{number}: expected 'LABEL SENTENCE' (label, one space, text), got {line!r}")
        rows.append((number, label, tokens))
    return _labelled(path, rows, label_names)


def read_text_tab_label(path: str | os.PathLike, label_names: Sequence[str] | None = None,
                        lowercase: bool = True) -> LabelledSentences:
    """`TEXT<TAB>LABEL` lines of raw text (the `*_labelled.txt` sentiment files), tokenized with
    `simple_tokenize`. `label_names` as in `read_label_first`."""
    rows = []
    for number, line in _nonblank_lines(path):
        fields = line.split("\t")
        if len(fields) != 2:
            raise ValueError(f"{path}:{number}: expected 2 tab-separated columns (TEXT, LABEL), got {len(fields)}")
        tokens = simple_tokenize(fields[0], lowercase)
        label = fields[1].strip()
        if not tokens or not label:
            raise ValueError(f"{path}:{number}: empty {'text' if not tokens else 'label'} in {line!r}")
        rows.append((number, label, tokens))
    return _labelled(path, rows, label_names)


def _nonblank_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    blank = 0
    for number, line in read_lines(path):
        if line.strip():
            yield number, line
        else:
            blank += 1
    if blank:
        warnings.warn(f"{path}: skipped {blank} blank line(s)", stacklevel=3)


def _labelled(path, rows: list[tuple[int, str, list[str]]], label_names: Sequence[str] | None) -> LabelledSentences:
    if label_names is None:
        label_names = _sorted_labels({label for _, label, _ in rows})
    label_ids = {name: i for i, name in enumerate(label_names)}
    labels = np.empty(len(rows), dtype=np.int64)
    for i, (number, label, _) in enumerate(rows):
        if label not in label_ids:
            raise ValueError(f"{path}:{number}: unknown label {label!r}; known labels are {list(label_names)}")
        labels[i] = label_ids[label]
    first_lines: dict[str, int] = {}
    for number, label, _ in rows:
        first_lines.setdefault(label, number)
    return LabelledSentences([tokens for _, _, tokens in rows], labels, list(label_names), first_lines)


def _sorted_labels(labels: set[str]) -> list[str]:
    """Numeric labels in numeric order ("2" before "10"), anything else alphabetically."""
    if all(re.fullmatch(r"-?[0-9]+", label) for label in labels):
        return sorted(labels, key=int)
    return sorted(labels)


@dataclass
class TaggedSentences:
    """Sentences of tokens with one tag per token (the last column of a CoNLL file)."""

    tokens: list[list[str]]
    tags: list[list[str]]
    documents: int = 0  # how many -DOCSTART- lines were read (and dropped)
    first_lines: dict[str, int] = field(default_factory=dict)  # the line where each tag first appears

    def __len__(self) -> int:
        return len(self.tokens)


def read_conll(path: str | os.PathLike, delimiter: str | None = None) -> TaggedSentences:
    """A CoNLL column file: one token per line, the token first and its tag in the last column, any number
    of columns in between (the same number on every line); a blank line ends a sentence; `-DOCSTART-`
    lines separate documents and are dropped.

    `delimiter=None` splits on a tab when the first token line has one, otherwise on any whitespace
    (CoNLL-2003 uses single spaces, WNUT-17 tabs). Tags are returned as written (IOB1 or IOB2; see
    `iob1_to_iob2`).
    """
    tokens: list[list[str]] = []
    tags: list[list[str]] = []
    sentence_tokens: list[str] = []
    sentence_tags: list[str] = []
    first_lines: dict[str, int] = {}
    columns = documents = 0

    def end_sentence() -> None:
        if sentence_tokens:
            tokens.append(sentence_tokens.copy())
            tags.append(sentence_tags.copy())
            sentence_tokens.clear()
            sentence_tags.clear()

    for number, line in read_lines(path):
        if not line.strip():
            end_sentence()
            continue
        if delimiter is None:
            delimiter = "\t" if "\t" in line else ""
        fields = line.split(delimiter) if delimiter else line.split()
        if fields[0] == "-DOCSTART-":
            end_sentence()
            documents += 1
            continue
        if columns == 0:
            if len(fields) < 2:
                raise ValueError(f"{path}:{number}: expected at least 2 columns (token ... tag), got {len(fields)}")
            columns = len(fields)
        if len(fields) != columns:
            raise ValueError(f"{path}:{number}: expected {columns} columns like the first token line, got {len(fields)}")
        if not fields[0] or not fields[-1]:
            raise ValueError(f"{path}:{number}: empty token or tag in {line!r}")
        sentence_tokens.append(fields[0])
        sentence_tags.append(fields[-1])
        first_lines.setdefault(fields[-1], number)
    end_sentence()
    if not tokens:
        raise ValueError(f"{path}: no sentences found")
    return TaggedSentences(tokens, tags, documents, first_lines)


def split_tag(tag: str) -> tuple[str, str]:
    """("B", "PER") for "B-PER", ("O", "") for "O": the prefix before the first hyphen and the type after
    it, as conlleval splits tags (types may contain hyphens: "I-creative-work")."""
    prefix, hyphen, chunk_type = tag.partition("-")
    return (prefix, chunk_type) if hyphen else (tag, "")


def iob1_to_iob2(tags: Sequence[str]) -> list[str]:
    """Rewrite one sentence's IOB1 tags as IOB2 (every chunk starts with B-).

    In IOB1 a chunk starts with I- unless it directly follows a chunk of the same type, where B- marks the
    boundary. So an I-X that follows O, a different type, or the sentence start becomes B-X.
    """
    converted = []
    previous_type = ""
    for position, tag in enumerate(tags):
        prefix, chunk_type = split_tag(tag)
        if tag != "O" and (prefix not in ("B", "I") or not chunk_type):
            raise ValueError(f"tag {tag!r} at position {position} is not O, B-TYPE or I-TYPE")
        if prefix == "I" and chunk_type != previous_type:
            tag = f"B-{chunk_type}"
        converted.append(tag)
        previous_type = chunk_type
    return converted

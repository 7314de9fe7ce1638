"""A token <-> id vocabulary, frequency-sorted, saved as plain UTF-8 text.

File format: a header line `#fastgrad-vocab {"specials": [...], "unk": ...}` (JSON), then one
`token<TAB>count` line per id in id order. Specials come first, then the other tokens by count
(descending), ties broken by the token's code points so the order never depends on input order.
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

HEADER_PREFIX = "#fastgrad-vocab "
DEFAULT_SPECIALS = ("<pad>", "<unk>")


class Vocab:
    """Maps tokens to ids `0..len-1`. `counts[i]` is how often `itos[i]` occurred when it was built."""

    def __init__(self, itos: Sequence[str], counts: Sequence[int], specials: Sequence[str] = DEFAULT_SPECIALS,
                 unk: str | None = "<unk>"):
        if len(itos) != len(counts):
            raise ValueError(f"itos and counts must have the same length, got {len(itos)} and {len(counts)}")
        if list(itos[: len(specials)]) != list(specials):
            raise ValueError(f"the first tokens must be the specials {list(specials)}, got {list(itos[: len(specials)])}")
        if unk is not None and unk not in specials:
            raise ValueError(f"unk token {unk!r} must be one of the specials {list(specials)}")
        self.itos: list[str] = list(itos)
        self.stoi: dict[str, int] = {token: i for i, token in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            duplicates = sorted(t for t, n in Counter(self.itos).items() if n > 1)
            raise ValueError(f"duplicate tokens in vocabulary: {duplicates[:5]}")
        self.counts = np.asarray(counts, dtype=np.int64)
        if self.counts.size and self.counts.min() < 0:
            raise ValueError("counts must be non-negative")
        self.specials: tuple[str, ...] = tuple(specials)
        self.unk = unk
        self.unk_id: int | None = None if unk is None else self.stoi[unk]

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 1, max_size: int | None = None,
              specials: Sequence[str] = DEFAULT_SPECIALS, unk: str | None = "<unk>") -> "Vocab":
        """Count tokens over `sentences` (an iterable of token sequences) and keep those seen `min_count`+
        times, at most `max_size` entries in all (specials included). Specials keep their own counts."""
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        if max_size is not None and max_size < len(specials):
            raise ValueError(f"max_size must be at least the number of specials ({len(specials)}), got {max_size}")
        counter: Counter[str] = Counter()
        for sentence in sentences:
            if isinstance(sentence, str):
                raise TypeError("sentences must be sequences of tokens, got a str (wrap a single sentence in a list)")
            counter.update(sentence)
        special_set = set(specials)
        ranked = sorted((t for t, c in counter.items() if c >= min_count and t not in special_set),
                        key=lambda t: (-counter[t], t))
        if max_size is not None:
            ranked = ranked[: max_size - len(specials)]
        itos = list(specials) + ranked
        return cls(itos, [counter[t] for t in itos], specials, unk)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """Token ids as int64; unknown tokens map to `unk` (KeyError naming the token when there is no unk)."""
        if isinstance(tokens, str):
            raise TypeError("encode expects a sequence of tokens, got a str")
        if self.unk_id is None:
            try:
                ids = [self.stoi[t] for t in tokens]
            except KeyError as err:
                raise KeyError(f"token {err.args[0]!r} is not in the vocabulary and it has no unk token") from None
        else:
            ids = [self.stoi.get(t, self.unk_id) for t in tokens]
        return np.array(ids, dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens for `ids`; IndexError naming the first id outside `0..len-1`."""
        ids = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64).ravel()
        bad = (ids < 0) | (ids >= len(self.itos))
        if bad.any():
            raise IndexError(f"token id {int(ids[bad][0])} is out of range for a vocabulary of size {len(self.itos)}")
        return [self.itos[i] for i in ids]

    def save(self, path: str | os.PathLike) -> None:
        """Write the header and `token<TAB>count` lines atomically (temp file, then rename)."""
        path = Path(path)
        for token in self.itos:
            if "\t" in token or "\n" in token or "\r" in token or token == "":
                raise ValueError(f"token {token!r} cannot be saved: tokens must be non-empty without tabs or line breaks")
        header = HEADER_PREFIX + json.dumps({"specials": list(self.specials), "unk": self.unk}, ensure_ascii=False)
        lines = [header] + [f"{t}\t{c}" for t, c in zip(self.itos, self.counts.tolist())]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocab":
        """Read a file written by `save`; ValueError naming the file and line for anything malformed."""
        path = Path(path)
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            line = path.read_bytes()[: err.start].count(b"\n") + 1
            raise ValueError(f"{path}:{line}: not valid UTF-8 ({err.reason})") from None
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if not lines or not lines[0].startswith(HEADER_PREFIX):
            raise ValueError(f"{path}:1: expected a header line starting with {HEADER_PREFIX.strip()!r}")
        try:
            header = json.loads(lines[0][len(HEADER_PREFIX):])
            specials, unk = list(header["specials"]), header["unk"]
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path}:1: malformed header ({err})") from None
        itos, counts, first_line = [], [], {}
        for number, line in enumerate(lines[1:], start=2):
            fields = line.split("\t")
            if len(fields) != 2 or not fields[0]:
                raise ValueError(f"{path}:{number}: expected 'token<TAB>count', got {line!r}")
            if not re.fullmatch(r"[0-9]+", fields[1]):
                raise ValueError(f"{path}:{number}: count must be a non-negative integer, got {fields[1]!r}")
            if fields[0] in first_line:
                raise ValueError(f"{path}:{number}: duplicate token {fields[0]!r} (first on line {first_line[fields[0]]})")
            first_line[fields[0]] = number
            itos.append(fields[0])
            counts.append(int(fields[1]))
        try:
            return cls(itos, counts, specials, unk)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None

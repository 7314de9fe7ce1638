"""Word vectors: lookup, cosine neighbours, analogies, and the word2vec text/binary and GloVe file formats.

Formats (as word2vec.c and gensim read and write them):
  * word2vec text: a header line `COUNT DIM`, then `word v1 ... vDIM` per line, separated by single spaces
    (a line with tabs is refused, naming them).
  * word2vec binary: the same header line, then per word `word ` followed by DIM little-endian float32
    values and (word2vec.c) a newline, which gensim omits; the reader accepts both.
  * GloVe text: word2vec text without the header line.
`.gz` files are decompressed on the fly. Malformed input raises ValueError naming the file and line
(for binary files, the record number).
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

import numpy as np

from fastgrad.data.readers import BYTE_ORDER_MARK, DAMAGED_GZIP

_BINARY_CHUNK_BYTES = 1 << 20
_MAX_WORD_BYTES = 10_000


class WordVectors:
    """A word list and a float32 matrix whose row i is the vector of `words[i]` (most frequent first, usually)."""

    def __init__(self, words: Sequence[str], vectors: np.ndarray):
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"vectors must have shape ({len(words)}, dim), got {vectors.shape}")
        self.words = list(words)
        self.vectors = vectors if vectors.dtype == np.float32 else vectors.astype(np.float32)
        self.index = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("duplicate words in the word list")
        self._unit: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self._id(word)]

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to length 1 (zero rows stay zero); computed once, so do not train afterwards."""
        if self._unit is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._unit = self.vectors / np.maximum(norms, np.finfo(np.float32).tiny)
        return self._unit

    def similarity(self, word_a: str, word_b: str) -> float:
        """Cosine similarity of two words."""
        unit = self.unit_vectors
        return float(unit[self._id(word_a)] @ unit[self._id(word_b)])

    def most_similar(self, positive: str | Sequence[str] = (), negative: Sequence[str] = (), topn: int = 10,
                     restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Words nearest (by cosine) to the sum of the unit vectors of `positive` minus those of `negative`
        (3CosAdd, Mikolov et al. 2013), excluding the query words; `restrict_vocab` keeps the first N words."""
        positive = [positive] if isinstance(positive, str) else list(positive)
        negative = list(negative)
        if not positive and not negative:
            raise ValueError("most_similar needs at least one word")
        if topn < 1:
            raise ValueError(f"topn must be at least 1, got {topn}")
        unit = self.unit_vectors
        query_ids = [self._id(w) for w in positive + negative]
        query = unit[query_ids[: len(positive)]].sum(axis=0) - unit[query_ids[len(positive):]].sum(axis=0)
        query /= max(float(np.linalg.norm(query)), np.finfo(np.float32).tiny)
        limit = len(self.words) if restrict_vocab is None else min(restrict_vocab, len(self.words))
        scores = unit[:limit] @ query
        scores[[i for i in query_ids if i < limit]] = -np.inf
        count = min(topn, limit)
        best = np.argpartition(-scores, count - 1)[:count] if count < limit else np.arange(limit)
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.words[i], float(scores[i])) for i in best if np.isfinite(scores[i])]

    def analogy(self, a: str, b: str, c: str, topn: int = 1, restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """a is to b as c is to ? (the answer is near b - a + c)."""
        return self.most_similar(positive=[b, c], negative=[a], topn=topn, restrict_vocab=restrict_vocab)

    def save(self, path: str | Path, binary: bool | None = None) -> None:
        """Write word2vec format (binary if `binary`, by default when the name ends in .bin), atomically."""
        path = Path(path)
        binary = _is_binary_name(path) if binary is None else binary
        for word in self.words:
            if not word or any(ch.isspace() for ch in word):
                raise ValueError(f"cannot save word {word!r}: word2vec files need non-empty words without whitespace")
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        with (gzip.open(tmp, "wb") if path.suffix == ".gz" else open(tmp, "wb")) as f:
            f.write(f"{len(self.words)} {self.dim}\n".encode())
            little_endian = self.vectors.astype("<f4", copy=False)
            for word, vector in zip(self.words, little_endian):
                if binary:
                    f.write(word.encode("utf-8") + b" " + vector.tobytes() + b"\n")
                else:
                    f.write((word + " " + " ".join(f"{x:.6g}" for x in vector.tolist()) + "\n").encode("utf-8"))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path, binary: bool | None = None, limit: int | None = None) -> "WordVectors":
        """Read word2vec text/binary or GloVe text (binary by default when the name ends in .bin[.gz])."""
        words: list[str] = []
        rows: list[np.ndarray] = []
        entries: dict[str, int] = {}
        for word, vector in iter_vectors(path, binary=binary):
            if limit is not None and len(words) >= limit:
                break
            if word in entries:
                raise ValueError(f"{path}: the word {word!r} has two vectors (entries {entries[word]:,} and "
                                 f"{len(words) + 1:,})")
            entries[word] = len(words) + 1
            words.append(word)
            rows.append(vector)
        dim = rows[0].size if rows else 0
        return cls(words, np.stack(rows) if rows else np.empty((0, dim), dtype=np.float32))

    def _id(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise KeyError(f"word {word!r} not in the vocabulary ({len(self.words)} words)") from None


def _is_binary_name(path: Path) -> bool:
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return name.endswith(".bin")


def _open_binary(path: Path) -> IO[bytes]:
    if not path.is_file():
        raise FileNotFoundError(f"vector file not found: {path}")
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _parse_header(line: bytes, path: Path) -> tuple[int, int] | None:
    """(count, dim) if `line` is a word2vec header, None if it is already a vector line (GloVe)."""
    fields = line.split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        count, dim = int(fields[0]), int(fields[1])
        if dim < 1:
            raise ValueError(f"{path}:1: header says dimension {dim}, expected at least 1")
        return count, dim
    return None


def vector_file_dim(path: str | Path, binary: bool | None = None) -> int:
    """The dimension of the vectors in a file, from its header (word2vec) or first line (GloVe)."""
    path = Path(path)
    with _open_binary(path) as f:
        try:
            first = f.readline().removeprefix(BYTE_ORDER_MARK)
        except (OSError, *DAMAGED_GZIP) as err:
            raise _unreadable(path, err) from err
    header = _parse_header(first, path)
    if header is not None:
        return header[1]
    if binary or (binary is None and _is_binary_name(path)):
        raise ValueError(f"{path}:1: expected a word2vec header 'COUNT DIM', got {first[:80]!r}")
    if len(first.split()) < 2:
        raise ValueError(f"{path}:1: expected a word2vec header 'COUNT DIM' or a word and its values, "
                         f"got {first[:80]!r}")
    return len(first.split()) - 1


def iter_vectors(path: str | Path, binary: bool | None = None, wanted: set[str] | None = None
                 ) -> Iterator[tuple[str, np.ndarray]]:
    """Yield (word, float32 vector) from a vector file, in file order, checking every record's size.

    With `wanted`, only those words are parsed and yielded (the rest is only checked), which makes
    picking a vocabulary's vectors out of a large file cheap.
    """
    path = Path(path)
    binary = _is_binary_name(path) if binary is None else binary
    with _open_binary(path) as f:
        try:
            first = f.readline().removeprefix(BYTE_ORDER_MARK)
            header = _parse_header(first, path)
            if binary:
                if header is None:
                    raise ValueError(f"{path}:1: expected a word2vec header 'COUNT DIM', got {first[:80]!r}")
                yield from _iter_binary(f, path, *header, wanted)
            else:
                yield from _iter_text(f, path, first, header, wanted)
        except (OSError, *DAMAGED_GZIP) as err:
            raise _unreadable(path, err) from err


def _unreadable(path: Path, err: BaseException) -> ValueError:
    return ValueError(f"{path}: cannot read vectors ({err})")


def _iter_text(f: IO[bytes], path: Path, first: bytes, header: tuple[int, int] | None, wanted: set[str] | None
               ) -> Iterator[tuple[str, np.ndarray]]:
    dim = header[1] if header else None
    lines = f if header else _prepend(first, f)
    line_no = 1 if header else 0
    count = 0
    for line_no, line in enumerate(lines, start=line_no + 1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}:{line_no}: not UTF-8 ({err})") from None
        fields = text.rstrip("\r\n").rstrip(" ").split(" ")
        if len(fields) == 1 and not fields[0]:
            continue  # blank line (some tools end files with one)
        if dim is None:
            dim = len(fields) - 1  # GloVe: the first line fixes the dimension
            if dim < 1:
                raise _malformed_line(path, line_no, text, "expected a word and at least one value",
                                      f"got {text[:80]!r}")
        if len(fields) != dim + 1:
            raise _malformed_line(path, line_no, text, f"expected a word and {dim} values",
                                  f"got {len(fields) - 1} values")
        count += 1
        word = fields[0]
        if wanted is not None and word not in wanted:
            continue
        try:
            vector = np.array(fields[1:], dtype=np.float32)
        except ValueError:
            raise ValueError(f"{path}:{line_no}: non-numeric value in the vector of {word!r}") from None
        _check_finite(vector, f"{path}:{line_no}", word)
        yield word, vector
    if header and count != header[0]:
        raise ValueError(f"{path}: header says {header[0]} vectors, the file has {count}")


def _malformed_line(path: Path, line_no: int, text: str, expected: str, got: str) -> ValueError:
    """A line whose fields do not fit; a tab, which the split on spaces leaves inside a field, is named instead
    of the field count it distorts."""
    if "\t" in text:
        return ValueError(f"{path}:{line_no}: {expected} separated by spaces, but the line holds tabs")
    return ValueError(f"{path}:{line_no}: {expected}, {got}")


def _check_finite(vector: np.ndarray, where: str, word: str) -> None:
    """A NaN or infinite value would only surface as a diverged training run, far from its cause."""
    if not np.isfinite(vector).all():
        raise ValueError(f"{where}: the vector of {word!r} holds NaN or infinite values")


def _prepend(first: bytes, rest: IO[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _iter_binary(f: IO[bytes], path: Path, count: int, dim: int, wanted: set[str] | None
                 ) -> Iterator[tuple[str, np.ndarray]]:
    # Records are parsed out of 1 MiB reads. A word runs to the first space after it (words hold no
    # spaces; the vector bytes after it may); the newline word2vec.c writes after a vector precedes it.
    vector_bytes = 4 * dim
    buffer, pos, at_end = b"", 0, False
    for record in range(1, count + 1):
        while True:
            space = buffer.find(b" ", pos)
            if at_end or (space >= 0 and len(buffer) - space - 1 >= vector_bytes):
                break
            if space < 0 and len(buffer) - pos > _MAX_WORD_BYTES:
                raise ValueError(f"{path}: record {record}: no space after the word within {_MAX_WORD_BYTES} bytes "
                                 f"(not word2vec binary?)")
            chunk = f.read(_BINARY_CHUNK_BYTES)
            at_end = not chunk
            buffer, pos = buffer[pos:] + chunk, 0
        if space < 0:
            raise ValueError(f"{path}: record {record}: file ends inside a word (header promised {count} vectors)")
        try:
            word = buffer[pos:space].lstrip(b"\n").decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}: record {record}: word is not UTF-8 ({err})") from None
        data = buffer[space + 1:space + 1 + vector_bytes]
        if len(data) != vector_bytes:
            raise ValueError(f"{path}: record {record} ({word!r}) ends after {len(data)} of {vector_bytes} vector bytes "
                             f"(header says {count} vectors of dimension {dim})")
        pos = space + 1 + vector_bytes
        if wanted is None or word in wanted:
            vector = np.frombuffer(data, dtype="<f4").astype(np.float32)
            _check_finite(vector, f"{path}: record {record}", word)
            yield word, vector
    trailing = buffer[pos:] + f.read(2)
    if trailing.startswith(b"\n"):  # word2vec.c ends the last record with a newline
        trailing = trailing[1:]
    if trailing:
        raise ValueError(f"{path}: more data after the {count} vectors the header announces")


@dataclass
class Coverage:
    """How many entries of a vocabulary got a pretrained vector."""

    found: int
    total: int
    missing: list[str]

    @property
    def fraction(self) -> float:
        return self.found / self.total if self.total else 0.0


class _KeyedWords:
    """The file words whose key is one of `keys` (for iter_vectors' `wanted`)."""

    def __init__(self, keys: set[str], key: Callable[[str], str]):
        self.keys, self.key = keys, key

    def __contains__(self, word: str) -> bool:
        return self.key(word) in self.keys


def load_into(embedding_weight: np.ndarray, itos: Sequence[str], path: str | Path, binary: bool | None = None,
              lowercase_fallback: bool = True, key: Callable[[str], str] | None = None) -> Coverage:
    """Copy pretrained vectors into rows of `embedding_weight` (in place) for the words of `itos`.

    Row i gets the vector of `itos[i]`, or, when `lowercase_fallback` and only the lowercased word
    is in the file (GloVe is lowercase), that one. With `key`, the vocabulary holds keys (e.g.
    lower-cased words with digits as 0) and row i gets the first file word whose key(word) is `itos[i]`
    (vector files list frequent words first). Rows of missing words are left as they are.
    Reads word2vec text/binary or GloVe text; the file's dimension must equal the embedding's.
    """
    if not isinstance(embedding_weight, np.ndarray) or embedding_weight.ndim != 2:
        raise ValueError(f"embedding_weight must be a 2-d numpy array, got {type(embedding_weight).__name__} "
                         f"with shape {getattr(embedding_weight, 'shape', None)}")
    if embedding_weight.shape[0] != len(itos):
        raise ValueError(f"embedding_weight has {embedding_weight.shape[0]} rows but itos has {len(itos)} words")
    dim = embedding_weight.shape[1]
    file_dim = vector_file_dim(path, binary)
    if file_dim != dim:
        raise ValueError(f"{path}: vectors have dimension {file_dim}, embedding_weight expects {dim}")
    found: dict[str, np.ndarray] = {}
    if key is not None:
        keys = set(itos)
        for word, vector in iter_vectors(path, binary=binary, wanted=_KeyedWords(keys, key)):
            found.setdefault(key(word), vector)
        lowercase_fallback = False
    else:
        wanted = set(itos) | ({w.lower() for w in itos} if lowercase_fallback else set())
        for word, vector in iter_vectors(path, binary=binary, wanted=wanted):
            found.setdefault(word, vector)
    missing = []
    for i, word in enumerate(itos):
        vector = found.get(word)
        if vector is None and lowercase_fallback:
            vector = found.get(word.lower())
        if vector is None:
            missing.append(word)
        else:
            embedding_weight[i] = vector
    return Coverage(found=len(itos) - len(missing), total=len(itos), missing=missing)

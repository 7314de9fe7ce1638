"""A demo corpus from text every install already has: Python's help topics and the docstrings of the
standard library and NumPy.

Docstrings are read by parsing source files with `ast`, never by importing modules (importing `this`,
`antigravity` or tkinter has side effects). Test suites, idlelib, tkinter, turtledemo, lib2to3 and
site-packages are skipped. Doctest examples and reST underlines are dropped, the rest is lowercased,
backquotes (reST code markup) removed, tokenized with `simple_tokenize` and cut into sentences after ".", "!" and "?". Parsing takes a few
seconds, so the result is cached as plain text (one sentence per line) under ~/.cache/fastgrad/, keyed
by the Python and NumPy versions.
"""
from __future__ import annotations

import ast
import os
import platform
import re
import sysconfig
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np

from fastgrad.data.lm_corpus import EOS, UNK
from fastgrad.data.readers import simple_tokenize
from fastgrad.data.vocab import Vocab

CORPUS_VERSION = 2  # bump when the extraction below changes, so old caches are not reused
SKIPPED_FOLDERS = {"idlelib", "tkinter", "turtledemo", "lib2to3", "site-packages", "dist-packages", "__pycache__"}
SENTENCE_ENDS = {".", "!", "?"}
MIN_SENTENCE_TOKENS = 3  # shorter fragments are mostly list bullets and headings
_UNDERLINE = re.compile(r"^\s*[-=~^*+#`'\"._:]+\s*$")


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "fastgrad"


def load_builtin_corpus(cache_dir: str | os.PathLike | None = None, use_cache: bool = True) -> list[list[str]]:
    """Sentences of lowercase tokens, always in the same order for a given Python and NumPy.
    `cache_dir` defaults to ~/.cache/fastgrad; `use_cache=False` always parses and writes nothing."""
    cache_file = Path(cache_dir or default_cache_dir()) / (
        f"builtin_corpus-v{CORPUS_VERSION}-py{platform.python_version()}-numpy{np.__version__}.txt")
    if use_cache and cache_file.is_file():
        return [line.split(" ") for line in cache_file.read_text(encoding="utf-8").splitlines()]
    sentences = [s for text in _source_texts() for s in _sentences(text)]
    if use_cache:
        try:
            _write_text_atomic(cache_file, "".join(" ".join(s) + "\n" for s in sentences))
        except OSError as err:
            warnings.warn(f"could not cache the built-in corpus at {cache_file}: {err}", stacklevel=2)
    return sentences


def builtin_lm_splits(max_size: int = 10_000, valid_every: int = 10, block: int = 100,
                      cache_dir: str | os.PathLike | None = None) -> tuple[Vocab, np.ndarray, np.ndarray]:
    """(vocab, train ids, valid ids) from the built-in corpus, `<eos>` after every sentence.

    Sentences go to valid in blocks of `block`: every `valid_every`-th block (so valid samples every
    source, not just the last one read). The vocabulary (`<unk>`, `<eos>` and the most frequent train
    words, `max_size` in all) is built on train only; other words map to `<unk>`."""
    if valid_every < 2 or block < 1:
        raise ValueError(f"valid_every must be >= 2 and block >= 1, got {valid_every} and {block}")
    sentences = load_builtin_corpus(cache_dir)
    is_valid = [(i // block) % valid_every == valid_every - 1 for i in range(len(sentences))]
    train = [token for s, v in zip(sentences, is_valid) if not v for token in (*s, EOS)]
    valid = [token for s, v in zip(sentences, is_valid) if v for token in (*s, EOS)]
    vocab = Vocab.build([train], max_size=max_size, specials=(UNK, EOS), unk=UNK)
    return vocab, vocab.encode(train), vocab.encode(valid)


def _source_texts() -> Iterator[str]:
    import pydoc_data.topics

    topics = pydoc_data.topics.topics
    for name in sorted(topics):
        yield topics[name]
    for root in (Path(sysconfig.get_paths()["stdlib"]), Path(np.__file__).parent):
        for path in _python_files(root):
            yield from _docstrings(path)


def _python_files(root: Path) -> Iterator[Path]:
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in SKIPPED_FOLDERS and not d.startswith("test"))
        for name in sorted(files):
            if name.endswith(".py") and not name.startswith("test_"):
                yield Path(folder) / name


def _docstrings(path: Path) -> list[str]:
    """Docstrings of the module and of every class and function in it, in source order."""
    try:
        with warnings.catch_warnings():  # old files have invalid escape sequences; they still parse
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return []  # a template or a file for another Python version: not prose we need
    nodes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docs = [ast.get_docstring(node) for node in ast.walk(tree) if isinstance(node, nodes)]
    return [doc for doc in docs if doc]


def _sentences(text: str) -> Iterator[list[str]]:
    for paragraph in _prose_paragraphs(text):
        sentence: list[str] = []
        for token in simple_tokenize(paragraph.replace("`", " ")):
            sentence.append(token)
            if token in SENTENCE_ENDS:
                if len(sentence) >= MIN_SENTENCE_TOKENS:
                    yield sentence
                sentence = []
        if len(sentence) >= MIN_SENTENCE_TOKENS:
            yield sentence


def _prose_paragraphs(text: str) -> Iterator[str]:
    """Blank-line separated paragraphs without doctest blocks (a `>>>` line up to the next blank line)
    or reST underline rows."""
    lines: list[str] = []
    in_doctest = False
    for line in text.splitlines() + [""]:
        stripped = line.strip()
        if not stripped:
            in_doctest = False
            if lines:
                yield " ".join(lines)
                lines = []
        elif stripped.startswith(">>>") or in_doctest:
            in_doctest = True
        elif not _UNDERLINE.match(stripped):
            lines.append(stripped)


def _write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)

"""Model directories (`--out DIR`) that change in one atomic step.

Layout:

    DIR/current -> snapshot-000004     a symbolic link: the snapshot in force
    DIR/snapshot-000004/               config.json, vocab.txt, the weights, metrics.jsonl, resume.npz
    DIR/.lock                          held (flock) by the run writing DIR

A snapshot is complete before anything refers to it: the run writes it under `.incomplete-PID-N`, syncs
it, renames it to `snapshot-N`, then points `current` at it by renaming a new link over the old one
(rename is atomic on POSIX file systems). A reader therefore sees either the old model or the new one,
with weights, vocabulary and config always from the same snapshot; a run killed at any moment leaves the
previous snapshot in force. Files that did not change (the best weights after an epoch without
improvement) are hard links to the previous snapshot's, so an epoch costs the bytes it changed. The next
run in DIR removes what a killed run left (`.incomplete-*`, unreferenced snapshots, temporary links).

Directories written before snapshots existed (config.json directly in DIR) are still read.
"""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from fastgrad.train.errors import ModelDirectoryError

CURRENT = "current"
LOCK = ".lock"
_SNAPSHOT = re.compile(r"snapshot-(\d{6,})")
_LEFTOVER = re.compile(r"\.incomplete-.*|\.current\..*|\..+\.tmp\d*")  # the last: temporary files of older versions
# The files older versions wrote directly into DIR; a snapshot replaces them.
_FLAT_FILES = ("config.json", "vocab.txt", "model.npz", "resume.npz", "metrics.jsonl", "kneser_ney.npz",
               "kneser_ney.json", "vectors.bin", "vectors.txt")

Writer = Callable[[Path], None]


def model_files(path: str | os.PathLike) -> Path:
    """The directory holding a model's files: DIR/current, or DIR itself when written before snapshots.
    ModelDirectoryError says what is wrong otherwise (missing, no finished weights yet, not a model)."""
    path = Path(path)
    pointer = path / CURRENT
    if pointer.is_symlink() or pointer.exists():
        if not pointer.is_dir():
            raise ModelDirectoryError(f"{pointer} points to {os.readlink(pointer) if pointer.is_symlink() else '?'}, "
                                      "which is missing: the directory was altered by hand")
        return pointer
    if (path / "config.json").is_file():
        return path
    if not path.exists():
        raise ModelDirectoryError(f"{path}: no such model directory")
    if not path.is_dir():
        raise ModelDirectoryError(f"{path}: not a directory")
    if any(_SNAPSHOT.fullmatch(p.name) or _LEFTOVER.fullmatch(p.name) or p.name == LOCK for p in path.iterdir()):
        raise ModelDirectoryError(f"{path}: no finished weights yet (the run writing it stopped, or is still "
                                  "running, before the end of its first epoch)")
    raise ModelDirectoryError(f"{path}: not a fastgrad model directory (no config.json)")


def read_config(files: Path, required: Sequence[str] = ()) -> dict[str, Any]:
    """config.json of a model's files (see `model_files`): a JSON object with at least the `required` keys."""
    path = Path(files) / "config.json"
    if not path.is_file():
        raise ModelDirectoryError(f"{files}: not a fastgrad model directory (no config.json)")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ModelDirectoryError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(config, dict):
        raise ModelDirectoryError(f"{path}: expected a JSON object, got {type(config).__name__}")
    missing = [key for key in required if key not in config]
    if missing:
        raise ModelDirectoryError(f"{path}: no {', '.join(map(repr, missing))}; was it written by fastgrad?")
    return config


class ModelDirectory:
    """DIR while one run writes it: `with ModelDirectory(out) as directory: ... directory.commit(writers)`.

    Entering takes DIR's lock (a second run in the same DIR is refused) and removes a killed run's leftovers.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.removed: list[str] = []   # leftovers cleaned on entry, for the run to report
        self._lock = None

    def __enter__(self) -> "ModelDirectory":
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path / LOCK, "a+", encoding="utf-8")
        try:
            import fcntl

            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # not POSIX: no lock, the rest still holds
            pass
        except OSError as err:
            self._lock.close()
            if err.errno in (errno.EAGAIN, errno.EACCES):
                raise ModelDirectoryError(f"{self.path}: another fastgrad run is writing this directory") from None
            raise
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(f"{os.getpid()}\n")
        self._lock.flush()
        self._remove_leftovers()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

    @property
    def current(self) -> Path | None:
        """The snapshot in force (through the `current` link), or None before the first commit."""
        pointer = self.path / CURRENT
        return pointer if pointer.is_dir() else None

    def commit(self, writers: dict[str, Writer], keep: Iterable[str] = ()) -> Path:
        """Make a new snapshot the one in force: `writers[name](path)` writes each new file, `keep` names files
        taken unchanged from the current snapshot. Returns DIR/current."""
        number = max(self._snapshot_numbers(), default=0) + 1
        incomplete = self.path / f".incomplete-{os.getpid()}-{number}"
        incomplete.mkdir()
        for name in keep:
            _link_or_copy(self.current / name, incomplete / name)
        for name, write in writers.items():
            write(incomplete / name)
        for file in incomplete.iterdir():
            _fsync(file)
        _fsync(incomplete)
        snapshot = self.path / f"snapshot-{number:06d}"
        os.rename(incomplete, snapshot)
        previous = self.current.resolve() if self.current is not None else None
        link = self.path / f".current.{os.getpid()}"
        if link.is_symlink():
            link.unlink()
        os.symlink(snapshot.name, link)
        os.replace(link, self.path / CURRENT)
        _fsync(self.path)
        if previous is not None and previous != snapshot.resolve():
            shutil.rmtree(previous, ignore_errors=True)
        for name in _FLAT_FILES:
            flat = self.path / name
            if flat.is_file() and not flat.is_symlink():
                flat.unlink()
        return self.path / CURRENT

    def _snapshot_numbers(self) -> list[int]:
        return [int(m.group(1)) for p in self.path.iterdir() if (m := _SNAPSHOT.fullmatch(p.name))]

    def _remove_leftovers(self) -> None:
        in_force = self.current.resolve() if self.current is not None else None
        for entry in sorted(self.path.iterdir()):
            stale_snapshot = _SNAPSHOT.fullmatch(entry.name) and entry.resolve() != in_force
            if stale_snapshot or _LEFTOVER.fullmatch(entry.name):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                self.removed.append(entry.name)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


def _fsync(path: Path) -> None:
    """Flush a file's or a directory's entries to disk (directories cannot be opened on every platform)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

"""Typed settings of a training run: dataclasses whose fields carry their own range check.

A `Check` is the one rule for a setting's values. The dataclasses apply it in `__post_init__` (so a
Python caller gets `ConfigError("--bptt must be an integer >= 1, got 0")`), and the command line uses
the same object as argparse's `type=` (so `--bptt 0` is refused while the arguments are parsed, before
any file is read). Settings are named as the command line's options, dashes becoming underscores.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from fastgrad.train.errors import ConfigError


class Check:
    """A number of type `kind` (int or float) within optional bounds; floats must also be finite."""

    def __init__(self, kind: type, low: float | None = None, high: float | None = None, *, low_open: bool = False,
                 high_open: bool = False):
        self.kind, self.low, self.high, self.low_open, self.high_open = kind, low, high, low_open, high_open

    @property
    def expected(self) -> str:
        noun = "an integer" if self.kind is int else "a number"
        if self.low is not None and self.high is not None:
            return f"{noun} in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"
        if self.low is not None:
            return f"{noun} {'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None:
            return f"{noun} {'<' if self.high_open else '<='} {self.high:g}"
        return noun

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.kind is int and (not float(value).is_integer() if isinstance(value, float) else False):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return not (self.high is not None and (value >= self.high if self.high_open else value > self.high))

    def __call__(self, value: Any, name: str) -> Any:
        """`value` as `kind`, or ConfigError naming the setting, what it must be and what it was."""
        if not self.accepts(value):
            raise ConfigError(f"{name} must be {self.expected}, got {value!r}")
        return self.kind(value)

    def parse(self, text: str) -> Any:
        """argparse's `type=`: the message becomes "argument --bptt: expected an integer >= 1, got '0'"."""
        try:
            value = int(text) if self.kind is int else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {self.expected}, got {text!r}") from None
        if not self.accepts(value):
            raise argparse.ArgumentTypeError(f"expected {self.expected}, got {text!r}")
        return value


class Choice:
    """One of a few strings."""

    def __init__(self, *values: str):
        self.values = values

    def __call__(self, value: Any, name: str) -> str:
        if value not in self.values:
            raise ConfigError(f"{name} must be one of {', '.join(map(repr, self.values))}, got {value!r}")
        return value


class AsPath:
    """A file or directory name, given as str or Path; existence is checked when the file is opened."""

    def __call__(self, value: Any, name: str) -> Path:
        if not isinstance(value, (str, Path)) or str(value) == "":
            raise ConfigError(f"{name} must be a path, got {value!r}")
        return Path(value)


class PlotPath(AsPath):
    """Where `--plot` writes: used exactly as given; an existing directory or an unknown image format is refused
    before training starts, and so is a missing matplotlib."""

    def __call__(self, value: Any, name: str) -> Path:
        path = super().__call__(value, name)
        if path.is_dir():
            raise ConfigError(f"{name} {path} is a directory; give a file name such as {path / 'curves.png'}")
        from fastgrad.train.report import check_plot_format

        check_plot_format(path, name)
        return path


POSITIVE_INT = Check(int, 1)
NON_NEGATIVE_INT = Check(int, 0)
POSITIVE = Check(float, 0, low_open=True)
NON_NEGATIVE = Check(float, 0)
PROBABILITY = Check(float, 0, 1, high_open=True)     # dropout rates: 1 would drop everything
DECAY_FACTOR = Check(float, 0, 1, low_open=True)     # multiply the learning rate by this on a plateau


def setting(default: Any, check: Any = None) -> Any:
    """A dataclass field whose value `check(value, "--name")` validates (None is always allowed when the
    default is None)."""
    return field(default=default, metadata={"check": check})


def required(check: Any) -> Any:
    """A dataclass field without a default (a keyword argument the caller must give), checked like `setting`."""
    return field(metadata={"check": check})


def option(name: str) -> str:
    """The command-line spelling of a setting: `max_minutes` -> `--max-minutes`."""
    return "--" + name.replace("_", "-")


@dataclass(kw_only=True)
class RunConfig:
    """What every run has: where it writes, its seed, threads and backend."""

    out: Path | None = setting(None, AsPath())
    seed: int = setting(0, NON_NEGATIVE_INT)
    threads: int | None = setting(None, POSITIVE_INT)
    backend: str = setting("compiled", Choice("compiled", "numpy", "python"))

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            check, value = item.metadata.get("check"), getattr(self, item.name)
            if check is not None and not (value is None and item.default is None):
                setattr(self, item.name, check(value, option(item.name)))

    def as_json(self) -> dict[str, Any]:
        """Every setting, paths as strings: the run's "config" line and config.json's "settings"."""
        return {name: _plain(value) for name, value in dataclasses.asdict(self).items()}


@dataclass(kw_only=True)
class EpochConfig(RunConfig):
    """A run that trains epoch by epoch: it can continue a saved run, stop at a time budget and plot its curves."""

    epochs: int = setting(10, POSITIVE_INT)
    resume: bool = False
    max_minutes: float | None = setting(None, POSITIVE)
    plot: Path | None = setting(None, PlotPath())

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.resume and self.out is None:
            raise ConfigError("--resume needs --out (the directory of the run to continue)")


def from_namespace(config_class: type, args: argparse.Namespace, ignore: Sequence[str] = ()) -> Any:
    """Build `config_class` from parsed arguments. An argument without a field is an error, not dropped:
    a new command-line option must reach the config (add the field)."""
    names = {item.name for item in dataclasses.fields(config_class)}
    given = {k: v for k, v in vars(args).items() if k not in ("run", "debug", "command", "train_model", *ignore)}
    unknown = sorted(set(given) - names)
    if unknown:
        raise TypeError(f"{config_class.__name__} has no field for the arguments {unknown}")
    return config_class(**given)


def default(config_class: type, name: str) -> Any:
    """The default of one field (the command line's defaults come from here)."""
    return {item.name: item.default for item in dataclasses.fields(config_class)}[name]


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value

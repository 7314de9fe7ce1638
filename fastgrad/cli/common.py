"""Conventions every training command shares: configuration banner, seeding and threads,
a progress bar, JSON-lines metrics, curve plots and the model directory layout."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterable

from fastgrad.train.errors import ConfigError, ModelDirectoryError


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every training command takes."""
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--threads", type=int, default=None, help="threads for BLAS and Numba (default: all cores)")
    parser.add_argument("--backend", choices=("compiled", "numpy", "python"), default="compiled", help="kernel backend")
    parser.add_argument("--out", type=Path, default=None, help="directory for the best checkpoint and metrics")
    parser.add_argument("--plot", type=Path, default=None, help="write a PNG of the loss/metric curves here")


def set_threads(threads: int | None) -> int:
    """Use `threads` threads (default: every core) in Numba and OpenBLAS; returns the count in force."""
    from fastgrad import threads as thread_control

    return thread_control.set_threads(threads)


def print_config(args: argparse.Namespace, stream=None) -> dict[str, Any]:
    """Print the run's full configuration (seed included) as one JSON line and return it."""
    def plain(value):
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    config = {k: plain(v) for k, v in vars(args).items() if k not in ("run", "debug")}
    print("config " + json.dumps(config, sort_keys=True), file=stream or sys.stdout, flush=True)
    return config


class Progress:
    """A one-line progress bar with a rate and free-form fields; tqdm when installed."""

    def __init__(self, total: int | None, unit: str, desc: str = "", stream=None):
        stream = stream or sys.stderr  # looked up now, not at import, so redirection works
        self.total, self.unit, self.desc, self.stream = total, unit, desc, stream
        self.count = 0
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._fields: dict[str, Any] = {}
        try:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit=unit, desc=desc, file=stream, dynamic_ncols=True, leave=False)
        except ImportError:
            self._bar = None

    def update(self, n: int = 1, **fields: Any) -> None:
        self.count += n
        self._fields.update(fields)
        if self._bar is not None:
            self._bar.update(n)
            if fields:
                self._bar.set_postfix({k: _fmt(v) for k, v in self._fields.items()}, refresh=False)
            return
        now = time.perf_counter()
        if now - self._last_draw > 0.2 or (self.total is not None and self.count >= self.total):
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.count / max(now - self.start, 1e-9)
        done = f"{self.count}/{self.total}" if self.total else f"{self.count}"
        extra = " ".join(f"{k}={_fmt(v)}" for k, v in self._fields.items())
        print(f"\r{self.desc} {done} {self.unit} {rate:,.0f} {self.unit}/s {extra}", end="", file=self.stream, flush=True)

    @property
    def rate(self) -> float:
        return self.count / max(time.perf_counter() - self.start, 1e-9)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        else:
            print(file=self.stream, flush=True)


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


class MetricsLog:
    """Appends one JSON object per line (epoch summaries, evaluations) to `path`."""

    def __init__(self, path: Path | None):
        self.path = path
        self.records: list[dict[str, Any]] = []
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, **record: Any) -> None:
        self.records.append(record)
        if self.path is not None:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record, sort_keys=True) + "\n")


def plot_curves(records: Iterable[dict[str, Any]], png: Path, x: str = "epoch") -> None:
    """One panel per numeric metric against `x` (needs matplotlib, the `plot` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ConfigError("--plot needs matplotlib: pip install 'fastgrad[plot]'") from err
    records = [r for r in records if x in r]
    keys = sorted({k for r in records for k, v in r.items() if k != x and isinstance(v, (int, float)) and not isinstance(v, bool)})
    fig, axes = plt.subplots(1, max(len(keys), 1), figsize=(4 * max(len(keys), 1), 3.2), squeeze=False)
    for ax, key in zip(axes[0], keys):
        points = [(r[x], r[key]) for r in records if key in r]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o")
        ax.set_xlabel(x)
        ax.set_title(key)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON to a temporary file beside `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_model_config(model_dir: Path) -> dict[str, Any]:
    """A saved model directory holds `config.json`, a JSON object whose "kind" says what model it is."""
    path = Path(model_dir) / "config.json"
    if not path.is_file():
        raise ModelDirectoryError(f"{model_dir}: not a fastgrad model directory (no config.json)")
    with open(path, encoding="utf-8") as f:
        try:
            config = json.load(f)
        except json.JSONDecodeError as err:
            raise ModelDirectoryError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(config, dict):
        raise ModelDirectoryError(f"{path}: expected a JSON object, got {type(config).__name__}")
    return config


def load_weights(model, path: Path) -> None:
    """Load a saved state dict into `model`; weights that do not fit the model its config.json describes
    (another vocabulary, other sizes) raise ModelDirectoryError naming the file."""
    import fastgrad

    try:
        model.load_state_dict(fastgrad.load(path))
    except RuntimeError as err:  # load_state_dict's missing/unexpected keys and shape mismatches
        raise ModelDirectoryError(f"{path}: the weights do not fit the model in config.json: {err}") from None

"""What a training run shows people: the progress of an epoch, one line per epoch (the same format for every
model), the files it read (absolute path, size, sha256) and, with `--plot`, its curves."""
from __future__ import annotations

import contextlib
import hashlib
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence, TextIO

from fastgrad.train.errors import ConfigError

PROGRESS_EVERY_PERCENT = 10     # without a terminal: one progress line per this share of an epoch
PROGRESS_EVERY_SECONDS = 60.0   # ... or per this many seconds when the total is unknown
_REDRAW_SECONDS = 0.2           # on a terminal: redraw the bar at most this often


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 epoch', '2 epochs', '1,000 words' (`nouns` for irregular plurals)."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def percent(count: int, total: int) -> str:
    """`count` of `total` as '4.81%', never rounded to a share it is not: '<0.01%' for a few and '>99.99%' for all
    but a few ('0.00%' read as none, '100.00%' as all)."""
    share = 100 * count / max(total, 1)
    if 0 < count and share < 0.005:
        return "<0.01%"
    if count < total and share >= 99.995:
        return ">99.99%"
    return f"{share:.2f}%"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or file-less stream
        return False


class Progress:
    """Progress through `total` items (None: unknown) in `unit`s, with free-form fields such as the loss.

    On a terminal it is a bar redrawn in place (tqdm's when installed). Otherwise, so that a log file stays
    short, it prints one line per `PROGRESS_EVERY_PERCENT` percent of the total (per `PROGRESS_EVERY_SECONDS`
    when the total is unknown).
    """

    def __init__(self, total: int | None, unit: str, desc: str = "", stream: TextIO | None = None):
        self.stream = stream or sys.stderr  # looked up now, not at import, so redirection works
        self.total, self.unit, self.desc = total, unit, desc
        self.count = 0
        self.start = time.perf_counter()
        self.fields: dict[str, Any] = {}
        self.interactive = _is_terminal(self.stream)
        self._last_draw = self.start
        self._lines_printed = 0
        self._bar = None
        if self.interactive:
            try:
                from tqdm import tqdm

                self._bar = tqdm(total=total, unit=f" {unit}", desc=desc, file=self.stream, dynamic_ncols=True,
                                 leave=False)
            except ImportError:
                pass

    def update(self, n: int = 1, **fields: Any) -> None:
        self.count += n
        self.fields.update(fields)
        if self._bar is not None:
            self._bar.update(n)
            if fields:
                self._bar.set_postfix({k: _short(v) for k, v in self.fields.items()}, refresh=False)
            return
        now = time.perf_counter()
        if self.interactive:
            if now - self._last_draw > _REDRAW_SECONDS or self.count == self.total:
                self._last_draw = now
                print(f"\r\x1b[K{self.line()}", end="", file=self.stream, flush=True)
        elif self.total:
            steps = int(100 * self.count / self.total) // PROGRESS_EVERY_PERCENT
            if steps > self._lines_printed:
                self._lines_printed = steps
                print(self.line(), file=self.stream, flush=True)
        elif now - self._last_draw >= PROGRESS_EVERY_SECONDS:
            self._last_draw = now
            print(self.line(), file=self.stream, flush=True)

    def line(self) -> str:
        """'epoch 3: 40% (371,836/929,589 tokens, 11,204 tokens/s, loss 4.812)'."""
        # floored: 995 of 1,000 is 99%, never 100% before the end
        done = f"{100 * self.count // self.total}% ({self.count:,}/{self.total:,}" if self.total else f"({self.count:,}"
        extra = "".join(f", {k} {_short(v)}" for k, v in self.fields.items())
        return f"{self.desc}: {done} {self.unit}, {self.rate:,.0f} {self.unit}/s{extra})"

    @property
    def rate(self) -> float:
        return self.count / max(time.perf_counter() - self.start, 1e-9)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Time spent inside (an evaluation between training steps) does not count toward the rate."""
        began = time.perf_counter()
        try:
            yield
        finally:
            self.start += time.perf_counter() - began

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.interactive:
            print("\r\x1b[K", end="", file=self.stream, flush=True)  # the epoch line replaces the bar


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def epoch_line(epoch: int, epochs: int, fields: Sequence[tuple[str, str]], seconds: float, count: int, unit: str,
               best: str | None = None) -> str:
    """The one epoch summary of every training command:
    'epoch 3/20: train loss 0.4123, dev f1 0.8123 (best), 12.3 s, 10,234 tokens/s'.
    `best` names the field that marks this epoch as the best so far (None: not the best)."""
    parts = [f"{name} {value}" + (" (best)" if name == best else "") for name, value in fields]
    rate = count / seconds if seconds > 0 else math.inf
    return f"epoch {epoch}/{epochs}: " + ", ".join(parts + [f"{seconds:.1f} s", f"{rate:,.0f} {unit}/s"])


# -- the files a run read ------------------------------------------------------------------------------------
def fingerprint(path: Path) -> dict[str, Any]:
    """{"path": absolute path, "bytes": size, "sha256": hex digest} of one input file."""
    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"path": str(path.resolve()), "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def describe_inputs(files: dict[str, Path | None], stream: TextIO | None = None) -> dict[str, dict[str, Any]]:
    """Fingerprint every given file, print one line each ('train: /abs/train.txt, 12,345 bytes, sha256 ...'),
    and return the fingerprints by role (config.json's "data")."""
    prints = {}
    for role, path in files.items():
        if path is None:
            continue
        prints[role] = fingerprint(path)
        print(f"{role}: {prints[role]['path']}, {plural(prints[role]['bytes'], 'byte')}, sha256 {prints[role]['sha256']}",
              file=stream or sys.stdout, flush=True)
    for line in _repeats(prints):
        print(line, file=stream or sys.stdout, flush=True)
    return prints


def _repeats(prints: dict[str, dict[str, Any]]) -> list[str]:
    """A line for each set of roles given the same content: a dev or test score on the training file is a
    plausible, wrong, held-out score, and the paths alone may not show it (a copy, a link). (Beside the file
    lines, not a warning on stderr: a bad input file later in the run stays one line there.)"""
    roles: dict[str, list[str]] = {}
    for role, described in prints.items():
        roles.setdefault(described["sha256"], []).append(role)
    return [f"same content: the {', '.join(same[:-1])} and {same[-1]} files are one text (sha256 {digest[:16]}...); "
            "a score on one is a score on the other" for digest, same in roles.items() if len(same) > 1]


# -- curves ----------------------------------------------------------------------------------------------------
THROUGHPUT_KEYS = ("seconds", "lr", "alpha")  # and every "..._per_s": how fast and with what step size, not how well


@dataclass
class Panel:
    key: str
    x: list[float]
    y: list[float]
    log_scale: bool = False          # perplexities span orders of magnitude


@dataclass
class Figure:
    path: Path
    panels: list[Panel]
    x_label: str
    integer_ticks: bool              # epochs are whole numbers
    best_x: float | None = None      # marked on every panel
    title: str = ""


@dataclass
class CurvePlan:
    """What `plot_curves` draws: a figure of quality curves at the given path and, when the records hold any,
    a second figure of throughput beside it (`NAME-throughput.SUFFIX`; at the given path when the records
    have no quality curves)."""

    figures: list[Figure] = field(default_factory=list)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def plan_curves(records: Iterable[dict[str, Any]], path: Path, x: str = "epoch", best_x: float | None = None) -> CurvePlan:
    """Split the numeric fields of `records` (one per epoch, or per measurement) into the two figures."""
    records = [r for r in records if _is_number(r.get(x))]
    keys = sorted({k for r in records for k, v in r.items() if k != x and _is_number(v)})
    throughput = [k for k in keys if k in THROUGHPUT_KEYS or k.endswith("_per_s")]
    quality = [k for k in keys if k not in throughput]

    def panels(chosen: list[str]) -> list[Panel]:
        return [Panel(k, [r[x] for r in records if _is_number(r.get(k))], [r[k] for r in records if _is_number(r.get(k))],
                      log_scale="ppl" in k) for k in chosen]

    path = Path(path)
    plan = CurvePlan()
    if quality:
        plan.figures.append(Figure(path, panels(quality), x, x == "epoch", best_x, "quality"))
    if throughput:  # beside the quality figure, or at the given path when there is none (word2vec)
        speed_path = path.with_name(f"{path.stem}-throughput{path.suffix}") if quality else path
        plan.figures.append(Figure(speed_path, panels(throughput), x, x == "epoch", None,
                                   "throughput and learning rate"))
    return plan


def check_plot_format(path: Path, name: str = "--plot") -> str:
    """The image format `path` will be written in (its suffix; PNG when it has none), or ConfigError when
    matplotlib is missing or does not write that format. Called before training, so a run never ends
    with a plot that cannot be drawn."""
    try:
        import matplotlib  # noqa: F401  (first: a submodule imported earlier would hide a missing package)
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError as err:
        raise ConfigError(f"{name} needs matplotlib: pip install 'fastgrad[plot]'") from err
    fmt = Path(path).suffix[1:].lower() or "png"
    supported = FigureCanvasBase.get_supported_filetypes()
    if fmt not in supported:
        raise ConfigError(f"{name} {path}: matplotlib cannot write {fmt!r} files; use one of "
                          f"{', '.join('.' + s for s in sorted(supported))} (or no suffix for PNG)")
    return fmt


def plot_curves(records: Iterable[dict[str, Any]], path: Path, x: str = "epoch", best_x: float | None = None
                ) -> list[Path]:
    """Draw the figures of `plan_curves` (needs matplotlib, the `plot` extra); returns the files written."""
    fmt = check_plot_format(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    written = []
    for figure in plan_curves(records, path, x, best_x).figures:
        count = len(figure.panels)
        fig, axes = plt.subplots(1, count, figsize=(4 * count, 3.2), squeeze=False)
        for ax, panel in zip(axes[0], figure.panels):
            ax.plot(panel.x, panel.y, marker="o", markersize=3)
            if figure.best_x is not None and figure.best_x in panel.x:
                best_y = panel.y[panel.x.index(figure.best_x)]
                ax.plot([figure.best_x], [best_y], marker="*", markersize=14, color="tab:red", linestyle="none",
                        label=f"best {x} {figure.best_x:g}")
                ax.legend(loc="best", fontsize="small")
            if panel.log_scale:
                ax.set_yscale("log")
                plain = FuncFormatter(lambda value, _: f"{value:g}")  # 150, not 1.5 x 10^2
                ax.yaxis.set_major_formatter(plain)
                ax.yaxis.set_minor_formatter(plain)
            if figure.integer_ticks:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel(figure.x_label)
            ax.set_title(panel.key)
            ax.grid(alpha=0.3)
        fig.suptitle(figure.title)
        fig.tight_layout()
        figure.path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(figure.path, format=fmt, dpi=100)  # format given: the name is used exactly as it is
        plt.close(fig)
        written.append(figure.path)
    return written

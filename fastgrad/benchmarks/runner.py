"""A small timing loop for the workloads (no pytest needed): median of repeats, tables, goals, plots."""
from __future__ import annotations

import contextlib
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import fastgrad
from fastgrad.threads import import_torch
from fastgrad.benchmarks.workloads import TORCH, Case, Goal, Workload


@dataclass(frozen=True)
class Timing:
    """Median seconds per call of one case as run, and the estimate at the workload's full size
    (the same number unless the case runs on slices)."""

    case: Case
    seconds: float
    estimate: float
    calls: int
    repeats: int

    @property
    def estimated(self) -> bool:
        return self.case.slices is not None


def _backend(case: Case):
    return fastgrad.backend(case.backend) if case.backend else contextlib.nullcontext()


CLOCKS = {
    "wall": time.perf_counter,
    # CPU seconds of the whole process: unaffected by other processes competing for the cores, so
    # comparable on a busy machine, but it counts every thread's work (and spin-waits), so it is only
    # a fair measure of speed with one thread.
    "cpu": time.process_time,
}


def _time_calls(function: Callable[[], object], calls: int, clock: Callable[[], float]) -> float:
    start = clock()
    for _ in range(calls):
        function()
    return (clock() - start) / calls


def _prepare(case: Case, make: Callable[[], Callable[[], object]], repeat_seconds: float,
             clock: Callable[[], float]):
    """Build the function, call it once (compilation, caches), then choose how many calls make one
    repeat last about `repeat_seconds`; a batch is measured before the count is trusted, since the
    first call may include one-off costs."""
    with _backend(case):
        function = make()
        first = _time_calls(function, 1, clock)
        calls = max(1, int(repeat_seconds / max(first, 1e-7)))
        if calls > 1:
            calls = max(1, int(repeat_seconds / max(_time_calls(function, calls, clock), 1e-9)))
    return function, calls


def torch_available() -> bool:
    return import_torch() is not None


def run_workload(workload: Workload, quick: bool = False, report: Callable[[str], None] | None = None,
                 clock: str = "wall") -> list[Timing]:
    """Time every case of `workload` that can run here (PyTorch cases need torch). The repeats of
    all cases are interleaved, so that load from other processes hits every case alike and the
    ratios within the run stay fair; each case's time is the median over its repeats. A sliced case
    is timed at its smaller slice too, and its estimate is read off the line through the two.
    `clock` is "wall" (elapsed time) or "cpu" (the process's CPU time, see CLOCKS)."""
    repeat_seconds, repeats = (0.02, 3) if quick else (0.2, 5)
    timer = CLOCKS[clock]
    cases = [case for case in workload.cases if torch_available() or not case.needs_torch]
    runs = []  # (case, function, calls), the smaller slice of a sliced case right after its case
    for case in cases:
        if report:
            report(f"  {workload.name}: {case.title}")
        runs.append((case, *_prepare(case, case.make, repeat_seconds, timer)))
        if case.slices is not None:
            small = case.slices.parts[0]
            runs.append((case, *_prepare(case, lambda: case.slices.make_part(small), repeat_seconds, timer)))
    samples: list[list[float]] = [[] for _ in runs]
    for _ in range(repeats):
        for (case, function, calls), run_samples in zip(runs, samples):
            with _backend(case):
                run_samples.append(_time_calls(function, calls, timer))
    medians = [statistics.median(run_samples) for run_samples in samples]
    timings, i = [], 0
    for case in cases:
        seconds, calls = medians[i], runs[i][2]
        estimate = seconds if case.slices is None else case.slices.estimate(medians[i + 1], seconds)
        timings.append(Timing(case, seconds, estimate, calls, repeats))
        i += 1 if case.slices is None else 2
    return timings


def format_seconds(seconds: float) -> str:
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= factor:
            return f"{seconds / factor:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def _find(timings: list[Timing], label: str) -> Timing | None:
    """The fastest timing with this label (a label may appear with several notes, as in "window")."""
    matching = [t for t in timings if t.case.label == label]
    return min(matching, key=lambda t: t.estimate) if matching else None


def goal_status(goal: Goal, timings: list[Timing]) -> str:
    """"met"/"missed" with the measured ratio, or why it could not be checked."""
    case = _find(timings, goal.case)
    if case is None:
        return f"{goal.describe()}: not measured"
    if goal.seconds is not None:
        verdict = "met" if case.estimate <= goal.seconds else "missed"
        return f"{goal.describe()}: {verdict} ({format_seconds(case.estimate)})"
    reference = _find(timings, goal.reference)
    if reference is None:
        return f"{goal.describe()}: not checked ({goal.reference} not measured)"
    ratio = case.estimate / reference.estimate
    verdict = "met" if ratio <= goal.factor else "missed"
    return f"{goal.describe()}: {verdict} ({goal.case} takes {ratio:.2f}x the time of {goal.reference})"


def format_table(workload: Workload, timings: list[Timing]) -> str:
    """One row per case: time per call (~ marks an estimate fitted from slices), ratio to the fastest
    and to PyTorch."""
    fastest = min(t.estimate for t in timings)
    torch = _find(timings, TORCH)
    width = max(len(t.case.title) for t in timings) + 2
    lines = [f"{workload.group} / {workload.name}: {workload.description}",
             f"  {'implementation':<{width}}{'time':>12}{'x fastest':>11}{'x torch':>9}"]
    for t in timings:
        shown = ("~" if t.estimated else "") + format_seconds(t.estimate)
        versus_torch = f"{t.estimate / torch.estimate:.2f}" if torch else "-"
        lines.append(f"  {t.case.title:<{width}}{shown:>12}{t.estimate / fastest:>11.2f}{versus_torch:>9}")
    lines += [f"  goal: {goal_status(goal, timings)}" for goal in workload.goals]
    return "\n".join(lines)


def format_markdown(workload: Workload, timings: list[Timing]) -> str:
    """The same as `format_table`, as a Markdown table (for docs/benchmarks.md)."""
    fastest = min(t.estimate for t in timings)
    torch = _find(timings, TORCH)
    lines = [f"**{workload.group} / {workload.name}**: {workload.description}", "",
             "| implementation | time | x fastest | x torch |", "|---|---:|---:|---:|"]
    for t in timings:
        versus_torch = f"{t.estimate / torch.estimate:.2f}" if torch else "-"
        shown = ("~" if t.estimated else "") + format_seconds(t.estimate)
        lines.append(f"| {t.case.title} | {shown} | {t.estimate / fastest:.2f} | {versus_torch} |")
    if workload.goals:
        lines += [""] + [f"Goal: {goal_status(goal, timings)}" for goal in workload.goals]
    return "\n".join(lines)


def plot(results: list[tuple[Workload, list[Timing]]], png) -> None:
    """One horizontal bar chart per workload, log time axis (needs matplotlib, the `plot` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError as err:
        raise SystemExit("--plot needs matplotlib: pip install 'fastgrad[plot]'") from err
    fig, axes = plt.subplots(len(results), 1, figsize=(9, 1.0 + 0.45 * sum(len(t) for _, t in results)),
                             squeeze=False, gridspec_kw={"height_ratios": [len(t) for _, t in results]})
    for ax, (workload, timings) in zip(axes[:, 0], results):
        labels = [t.case.title for t in timings]
        times = [t.estimate for t in timings]
        bars = ax.barh(labels, times, color=["#999" if t.estimated else "#4477aa" for t in timings])
        ax.bar_label(bars, [format_seconds(seconds) for seconds in times], padding=3, fontsize=7)
        ax.set_xscale("log")
        ax.set_xlim(min(times) / 3, max(times) * 8)  # room for the labels; bars start at a third of the fastest
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.invert_yaxis()
        ax.set_title(f"{workload.group} / {workload.name}", fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    axes[-1, 0].set_xlabel("seconds per call (log scale; grey = estimated from two slices)")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)

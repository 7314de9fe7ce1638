"""Time the workloads with every engine alone in its own process, and print tables, goals and plots.

Each case of a workload is timed in a fresh process of its engine (`worker.py`): fastgrad's cases in a
fastgrad process, PyTorch's in a process that never imports fastgrad, so no engine's thread pool
competes with another's. Processes run one after another, cycling through the cases, for several
rounds (each round in the opposite order of the last, so no case always runs first), all at the same
thread count. A case's time is the median of all its repeats over all rounds; the minimum is shown
beside it. With a measured matrix-product peak (`measure_peak`, the "peak" group), workloads that
count their matrix products' FLOPs also show the GFLOP/s reached and the share of the peak.

With a baseline (`Settings.baseline`: the folder of another fastgrad checkout, built), every case that
runs on a fastgrad backend is also timed with that checkout's fastgrad, in its own processes, in the same
alternating rounds: the before/after comparison of a change, measured like everything else.
"""
from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fastgrad.benchmarks.workloads import TORCH, Case, Goal, Workload, sgemm_peak_workload
from fastgrad.threads import IDLE_POLICY_SET_HERE

WORKER = Path(__file__).with_name("worker.py")


@dataclass(frozen=True)
class Timing:
    """Seconds per call of one case: median and minimum over every repeat of every round, and the
    median's estimate at the workload's full size (the same number unless the case runs on slices)."""

    case: Case
    seconds: float
    estimate: float
    calls: int
    repeats: int
    minimum: float | None = None
    baseline_of: Case | None = None  # for a baseline's timing: the case it is the baseline of

    @property
    def estimated(self) -> bool:
        return self.case.slices is not None


@dataclass(frozen=True)
class Settings:
    threads: int
    rounds: int = 3
    repeats: int = 5
    seconds: float = 0.2  # one repeat
    clock: str = "wall"
    baseline: Path | None = None  # another fastgrad checkout whose fastgrad cases are timed too

    @classmethod
    def quick(cls, threads: int, clock: str = "wall", baseline: Path | None = None) -> Settings:
        return cls(threads, rounds=2, repeats=3, seconds=0.02, clock=clock, baseline=baseline)


def worker_environment(engine: str, threads: int) -> dict[str, str]:
    """The environment of a worker: a peer's without the thread-pool settings fastgrad put into this
    process's environment (PyTorch would read OMP_WAIT_POLICY too), and OpenMP's thread count for
    PyTorch, read when torch loads."""
    if engine == "fastgrad":
        return dict(os.environ)
    env = {name: value for name, value in os.environ.items() if name not in IDLE_POLICY_SET_HERE}
    if engine == "torch":
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return env


def recipe_at(workload: Workload, threads: int) -> tuple[str, dict]:
    """The workload's recipe, with `threads` as its `workers` if it has threads of its own (word2vec)."""
    name, arguments = workload.recipe
    return (name, {**arguments, "workers": threads}) if "workers" in arguments else (name, arguments)


def run_in_worker(workload: Workload, index: int, settings: Settings, baseline: bool = False) -> dict:
    """Time case `index` of `workload` in a fresh process of its engine; returns the worker's result.
    `baseline`: with the fastgrad of settings.baseline (first on the worker's PYTHONPATH)."""
    case = workload.cases[index]
    request = {"recipe": recipe_at(workload, settings.threads), "case": index, "engine": case.engine,
               "threads": settings.threads, "seconds": settings.seconds, "repeats": settings.repeats,
               "clock": settings.clock}
    env = worker_environment(case.engine, settings.threads)
    if baseline:
        request["fastgrad_from"] = str(settings.baseline.resolve() / "fastgrad")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(settings.baseline.resolve()), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, str(WORKER), json.dumps(request)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker for {workload.name} / {case.title} failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compared_with_baseline(case: Case) -> bool:
    """Whether a baseline run times this case too: it runs on a fastgrad backend, at full size."""
    return case.backend is not None and case.slices is None


BASELINE = "baseline"
SAME_WITHIN = 0.05  # a before/after ratio this close to 1 is reported as no change


def baseline_case(case: Case) -> Case:
    """How the baseline's timing of `case` is labelled."""
    return dataclasses.replace(case, label=f"{case.label} {BASELINE}")


def measure(workload: Workload, settings: Settings, report: Callable[[str], None] | None = None,
            runs: list[dict] | None = None) -> list[Timing]:
    """Time every case of `workload` (PyTorch's where it is installed), each in its own process, cycling
    through the cases for settings.rounds rounds; `runs`, when given, receives every worker's result. With
    settings.baseline, the fastgrad cases are timed with the baseline's fastgrad too (labelled "... baseline")."""
    slots = [(i, False) for i in range(len(workload.cases))]
    if settings.baseline is not None:
        slots += [(i, True) for i, case in enumerate(workload.cases) if compared_with_baseline(case)]
    results: dict[tuple[int, bool], list[dict]] = {slot: [] for slot in slots}
    for round_number in range(settings.rounds):
        for slot in slots if round_number % 2 == 0 else slots[::-1]:
            index, baseline = slot
            if report:
                which = " with the baseline" if baseline else ""
                report(f"  {workload.name}: {workload.cases[index].title}{which} (round {round_number + 1})")
            result = run_in_worker(workload, index, settings, baseline)
            results[slot].append(result)
            if runs is not None:
                runs.append(result)
    timings = []
    for slot in slots:
        index, baseline = slot
        case = baseline_case(workload.cases[index]) if baseline else workload.cases[index]
        unavailable = [result["unavailable"] for result in results[slot] if "unavailable" in result]
        if unavailable:
            if report:
                report(f"  {workload.name}: {case.title} skipped: {unavailable[0]}")
            continue
        samples = [s for result in results[slot] for s in result["samples"]]
        median, minimum = statistics.median(samples), min(samples)
        estimate = median
        if case.slices is not None:  # a line fitted through two medians; through minima it means nothing
            small = [s for result in results[slot] for s in result["small_samples"]]
            estimate, minimum = case.slices.estimate(statistics.median(small), median), None
        timings.append(Timing(case, median, estimate, results[slot][0]["calls"], len(samples), minimum,
                              workload.cases[index] if baseline else None))
    return timings


def measure_peak(thread_counts: list[int], settings: Settings,
                 report: Callable[[str], None] | None = None) -> dict[int, float]:
    """The machine's float32 matrix-product peak in GFLOP/s at each thread count: a long sgemm (several
    seconds) in a fastgrad process, the best repeat."""
    workload = sgemm_peak_workload()
    peaks = {}
    for threads in thread_counts:
        long_settings = Settings(threads, rounds=1, repeats=max(settings.repeats, 3),
                                 seconds=max(settings.seconds, 1.0), clock=settings.clock)
        timing = measure(workload, long_settings, report)[0]
        peaks[threads] = workload.flops / timing.minimum / 1e9
    return peaks


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
    """"met" or "missed" when the medians and the minima agree, "unsettled" when they do not (one run's median can
    be 20-30% off on a noisy machine, so a verdict from it alone would be a guess: docs/benchmarks.md), with the
    measured ratios; or why the goal could not be checked. A case fitted from slices has no minimum: its median
    decides alone."""
    case = _find(timings, goal.case)
    if case is None:
        return f"{goal.describe()}: not measured"
    if goal.seconds is not None:
        minimum = None if case.estimated else case.minimum
        outcome = verdict(case.estimate <= goal.seconds, None if minimum is None else minimum <= goal.seconds)
        shown = format_seconds(case.estimate) + ("" if minimum is None else f"; min {format_seconds(minimum)}")
        return f"{goal.describe()}: {outcome} ({shown})"
    reference = _find(timings, goal.reference)
    if reference is None:
        return f"{goal.describe()}: not checked ({goal.reference} not measured)"
    ratio = case.estimate / reference.estimate
    minima = (case.minimum / reference.minimum if case.minimum and reference.minimum
              and not case.estimated and not reference.estimated else None)
    outcome = verdict(ratio <= goal.factor, None if minima is None else minima <= goal.factor)
    shown = "" if minima is None else f"; minima {ratio_text(minima, goal.factor)}x"
    return (f"{goal.describe()}: {outcome} ({goal.case} takes {ratio_text(ratio, goal.factor)}x the time of "
            f"{goal.reference}{shown})")


def verdict(by_median: bool, by_minimum: bool | None) -> str:
    """"met"/"missed" where the medians and the minima (or best rounds) agree, else "unsettled" naming which met."""
    if by_minimum is None or by_minimum == by_median:
        return "met" if by_median else "missed"
    met, not_met = ("medians", "minima") if by_median else ("minima", "medians")
    return f"unsettled: met by the {met}, not by the {not_met}"


def baseline_status(timings: list[Timing]) -> list[str]:
    """Per case timed with the baseline too: its time over the baseline's (median and minimum), "slower" or "faster"
    only where the two ratios agree (as goal_status's verdicts)."""
    lines = []
    for before in (t for t in timings if t.baseline_of is not None):
        after = next((t for t in timings if t.case is before.baseline_of), None)
        if after is None:
            continue
        ratio = after.estimate / before.estimate
        minima = after.minimum / before.minimum if after.minimum and before.minimum else None
        change = _change(ratio)
        if minima is not None and _change(minima) != change:
            change = f"unsettled: the medians say {change}, the minima {_change(minima)}"
        shown = "" if minima is None else f", min {ratio_text(minima, 1 + SAME_WITHIN, 1 - SAME_WITHIN)}x"
        lines.append(f"{after.case.title} vs baseline: {ratio_text(ratio, 1 + SAME_WITHIN, 1 - SAME_WITHIN)}x its "
                     f"time (median{shown}): {change}")
    return lines


def _change(ratio: float) -> str:
    return "slower" if ratio > 1 + SAME_WITHIN else "faster" if ratio < 1 - SAME_WITHIN else "the same within 5%"


def ratio_text(ratio: float, *thresholds: float) -> str:
    """The ratio to two decimals, or to as many more as it takes not to print a threshold that the verdict
    put it on the other side of (0.8049 against 0.80 prints 0.805, not 0.80)."""
    digits = 2
    while digits < 6 and any(ratio != t and round(ratio, digits) == round(t, digits) for t in thresholds):
        digits += 1
    return f"{ratio:.{digits}f}"


def _rate_columns(workload: Workload, timing: Timing, peak: float | None) -> tuple[str, str]:
    """GFLOP/s of the workload's matrix products at the median time, and that as a share of the peak."""
    if workload.flops is None:
        return "-", "-"
    rate = workload.flops / timing.estimate / 1e9
    return f"{rate:.1f}", (f"{100 * rate / peak:.0f}%" if peak else "-")


def _rows(workload: Workload, timings: list[Timing], peak: float | None) -> list[list[str]]:
    """Per case: title, median, min, x fastest, x torch, GFLOP/s, % of peak (~ marks a slice-fitted estimate)."""
    fastest = min(t.estimate for t in timings)
    torch = _find(timings, TORCH)
    rows = []
    for t in timings:
        mark = "~" if t.estimated else ""
        minimum = "-" if t.minimum is None else mark + format_seconds(t.minimum)
        versus_torch = f"{t.estimate / torch.estimate:.2f}" if torch else "-"
        rows.append([t.case.title, mark + format_seconds(t.estimate), minimum, f"{t.estimate / fastest:.2f}",
                     versus_torch, *_rate_columns(workload, t, peak)])
    return rows


HEADERS = ["implementation", "median", "min", "x fastest", "x torch", "GFLOP/s", "% of peak"]


def format_table(workload: Workload, timings: list[Timing], peak: float | None = None) -> str:
    """One row per case (see `_rows`); `peak` is the machine's measured GFLOP/s at this thread count."""
    rows = _rows(workload, timings, peak)
    width = max(len(row[0]) for row in rows) + 2
    lines = [f"{workload.group} / {workload.name}: {workload.description}",
             f"  {HEADERS[0]:<{width}}" + "".join(f"{h:>11}" for h in HEADERS[1:])]
    lines += [f"  {row[0]:<{width}}" + "".join(f"{cell:>11}" for cell in row[1:]) for row in rows]
    lines += [f"  goal: {goal_status(goal, timings)}" for goal in workload.goals]
    lines += [f"  {line}" for line in baseline_status(timings)]
    return "\n".join(lines)


def format_markdown(workload: Workload, timings: list[Timing], peak: float | None = None) -> str:
    """The same as `format_table`, as a Markdown table (for docs/benchmarks.md)."""
    lines = [f"**{workload.group} / {workload.name}**: {workload.description}", "",
             "| " + " | ".join(HEADERS) + " |", "|---|" + "---:|" * (len(HEADERS) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(workload, timings, peak)]
    if workload.goals:
        lines += [""] + [f"Goal: {goal_status(goal, timings)}" for goal in workload.goals]
    compared = baseline_status(timings)
    if compared:
        lines += [""] + [f"Before/after: {line}" for line in compared]
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

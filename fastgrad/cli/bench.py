"""`fastgrad bench [GROUP ...]`: time the benchmark workloads (fastgrad/benchmarks) without pytest.

Every implementation runs alone in a process of its own engine (fastgrad, PyTorch, gensim), one after
another, for several rounds, all at the same thread count (fastgrad/benchmarks/runner.py). Prints one
table per workload (median and minimum time per call, ratio to the fastest implementation and to
PyTorch, goals met or missed, and with the "peak" group the GFLOP/s of the matrix products and their
share of the machine's measured sgemm peak); `--plot` draws the same as bar charts. The groups "peak"
(sgemm at 1 and N threads) and "startup" (cold and warm start in fresh processes) run only when named.
`--baseline DIR` also times every fastgrad case with the fastgrad of another checkout (an older commit,
built), in the same alternating rounds, and prints this one's time over the baseline's.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fastgrad.train.errors import ConfigError
from fastgrad.train.settings import POSITIVE_INT


STARTUP = "startup"


def register(cli) -> None:
    parser = cli.add_command("bench", help="time fastgrad against pure-Python loops, NumPy and PyTorch")
    parser.add_argument("groups", nargs="*", metavar="GROUP", help="groups to run (default: all but startup); "
                        "see --list")
    parser.add_argument("--threads", type=POSITIVE_INT.parse, default=None, help="threads of every engine, in "
                        "total (default: all cores)")
    parser.add_argument("--rounds", type=POSITIVE_INT.parse, default=3, help="processes per implementation, taken "
                        "in turn (default: 3)")
    parser.add_argument("--quick", action="store_true", help="two rounds of fewer, shorter repeats (noisier)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="wall: elapsed time (default); cpu: "
                        "the process's CPU time, robust to other load on the machine but fair only with --threads 1")
    parser.add_argument("--plot", type=Path, default=None, metavar="FILE.png", help="bar chart per workload "
                        "(needs matplotlib)")
    parser.add_argument("--baseline", type=Path, default=None, metavar="DIR", help="also time fastgrad's cases with "
                        "the fastgrad package in DIR, another checkout with its C kernels built in place (`git "
                        "worktree add DIR COMMIT`, then `python setup.py build_ext --inplace` in DIR), and print "
                        "the ratios")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--list", action="store_true", help="list the groups and exit")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import importlib.util

    from fastgrad import threads
    from fastgrad.benchmarks import runner, startup, workloads

    if args.list:
        for name, description in {**workloads.GROUPS, **workloads.ON_REQUEST, STARTUP: "import + first training "
                                  "step, warm and empty Numba cache (runs only when named)"}.items():
            print(f"{name:<15}{description}")
        return 0
    selected = [g for g in args.groups if g != STARTUP]
    try:
        chosen = workloads.workloads_in(selected or None) if selected or not args.groups else []
    except ValueError as err:
        raise ConfigError(f"fastgrad bench: {err}") from err
    count = args.threads or threads.available_cores()
    if args.baseline is not None and not (args.baseline / "fastgrad" / "__init__.py").is_file():
        raise ConfigError(f"--baseline: expected a fastgrad checkout (a folder holding fastgrad/__init__.py), got "
                          f"{args.baseline}")
    settings = (runner.Settings.quick(count, args.clock, args.baseline) if args.quick
                else runner.Settings(count, rounds=args.rounds, clock=args.clock, baseline=args.baseline))
    torch = "installed" if importlib.util.find_spec("torch") else "not installed"
    print(f"threads: {count} per engine, each engine in its own process, {settings.rounds} rounds; torch: {torch}; "
          f"clock: {args.clock}", flush=True)
    if args.baseline is not None:
        print(f"baseline: the fastgrad package in {args.baseline.resolve()}", flush=True)
    if args.clock == "cpu" and count > 1:
        print("warning: CPU time adds up the work of all threads; use --threads 1 with --clock cpu", file=sys.stderr)
    report = lambda line: print(line, file=sys.stderr)  # noqa: E731
    peak = None
    if "peak" in selected:
        peaks = runner.measure_peak(sorted({1, count}), settings, report)
        print("sgemm peak (2048x2048 float32, best repeat): " +
              ", ".join(f"{n} thread{'s' * (n > 1)}: {gflops:.1f} GFLOP/s" for n, gflops in peaks.items()) + "\n")
        peak = peaks[count]
    results = []
    table = runner.format_markdown if args.markdown else runner.format_table
    for workload in (w for w in chosen if w.group != "peak"):
        timings = runner.measure(workload, settings, report)
        results.append((workload, timings))
        print(table(workload, timings, peak) + "\n", flush=True)
    if STARTUP in args.groups:
        print(startup.format_startup(startup.measure(1 if args.quick else 3, count)), flush=True)
    if args.plot is not None and results:
        runner.plot(results, args.plot)
        print(f"plot written to {args.plot}")
    return 0

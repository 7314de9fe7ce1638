"""`fastgrad bench [GROUP ...]`: time the benchmark workloads (fastgrad/benchmarks) without pytest.

Prints one table per workload (time per call, ratio to the fastest implementation and to PyTorch,
goals met or missed); `--plot` draws the same as bar charts. The group "startup" (cold and warm
start in fresh processes) runs only when named.
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
    parser.add_argument("--threads", type=POSITIVE_INT.parse, default=None, help="threads for Numba, BLAS and "
                        "PyTorch (default: all cores)")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats (noisier)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="wall: elapsed time (default); cpu: "
                        "the process's CPU time, robust to other load on the machine but fair only with --threads 1")
    parser.add_argument("--plot", type=Path, default=None, metavar="FILE.png", help="bar chart per workload "
                        "(needs matplotlib)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--list", action="store_true", help="list the groups and exit")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from fastgrad import threads
    from fastgrad.benchmarks import runner, startup, workloads

    if args.list:
        for name, description in {**workloads.GROUPS, STARTUP: "import + first training step, warm and empty "
                                  "Numba cache (runs only when named)"}.items():
            print(f"{name:<15}{description}")
        return 0
    selected = [g for g in args.groups if g != STARTUP]
    try:
        chosen = workloads.workloads_in(selected or None) if selected or not args.groups else []
    except ValueError as err:
        raise ConfigError(f"fastgrad bench: {err}") from err
    count = threads.set_threads(args.threads)
    torch = threads.import_torch()
    print(f"threads: {count} ({', '.join(f'{k} {v}' for k, v in threads.in_force().items())}); "
          f"torch: {torch.__version__ if torch else 'not installed'}; clock: {args.clock}", flush=True)
    if args.clock == "cpu" and count > 1:
        print("warning: CPU time adds up the work of all threads; use --threads 1 with --clock cpu", file=sys.stderr)
    results = []
    for workload in chosen:
        timings = runner.run_workload(workload, quick=args.quick, report=lambda line: print(line, file=sys.stderr),
                                      clock=args.clock)
        results.append((workload, timings))
        table = runner.format_markdown if args.markdown else runner.format_table
        print(table(workload, timings) + "\n", flush=True)
    if STARTUP in args.groups:
        print(startup.format_startup(startup.measure(1 if args.quick else 3, count)), flush=True)
    if args.plot is not None and results:
        runner.plot(results, args.plot)
        print(f"plot written to {args.plot}")
    return 0

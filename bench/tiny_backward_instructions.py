"""Instructions per call of the tiny backward, `(a * b).sum().backward()` on 4-element float32 tensors (with
--forward, of the tiny recorded forward `a * b`; with --mlp-step, of the `bench core` MLP SGD step, batch 256,
300 -> 256 -> 10, on the backend named by FASTGRAD_BACKEND), counted by valgrind's callgrind: a number this
machine's timing noise cannot move (docs/benchmarks.md).

Each TREE (a fastgrad checkout with its C extension built in place; default: the one holding this file)
runs the calls in a fresh interpreter under callgrind twice, with 200 and with 1,200 calls after 50
warm-up calls; the difference over 1,000 leaves the start-up out. Every library gets one thread (idle
BLAS workers would spin into the count) and the hash seed is fixed (with random seeds the count of the
same code moved by up to 7% between runs; fixed, it repeats to a few instructions).

    python bench/tiny_backward_instructions.py [--forward | --mlp-step] [TREE ...]
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# (calls counted twice, the warm-up calls before them, the statement) per kind
KINDS = {"backward": ((200, 1200), 50, "(a * b).sum().backward()"), "forward": ((200, 1200), 50, "a * b"),
         "mlp-step": ((10, 40), 5, "mlp_step()")}
PROGRAM = """
import sys
import fastgrad
from fastgrad.benchmarks import workloads
assert fastgrad.__file__.startswith(sys.argv[2]), fastgrad.__file__
a = fastgrad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
b = fastgrad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
mlp_step = workloads._mlp_engine_step(256, 256, (300, 256, 10), 0.1)
for _ in range({warm_up} + int(sys.argv[1])):
    {statement}
"""
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS")}


def instructions(tree: Path, calls: int, warm_up: int, statement: str) -> int:
    """The instructions callgrind counts for a whole run of `calls` calls of `statement` in `tree`, after
    `warm_up` calls."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        env = {**os.environ, **ONE_THREAD, "PYTHONHASHSEED": "0", "PYTHONPATH": str(tree)}
        program = PROGRAM.format(warm_up=warm_up, statement=statement)
        # Once uncounted first, under valgrind too (its virtual CPU has other features, so Numba caches its own
        # builds for it): a kernel compiled or a cache written inside the counted run would count
        subprocess.run(["valgrind", "--tool=none", sys.executable, "-c", program, str(calls), str(tree)], env=env,
                       cwd=scratch, check=True, capture_output=True)
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", program,
                        str(calls), str(tree)], env=env, cwd=scratch, check=True, capture_output=True)
        match = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no instruction total in callgrind's output for {tree}")
        return int(match.group(1))


def main(args: list[str]) -> int:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing to count", file=sys.stderr)
        return 1
    flags = [a for a in args if a.startswith("--")]
    kind = flags[-1][2:] if flags else "backward"
    if kind not in KINDS:
        print(f"unknown option {flags[-1]}: expected --forward or --mlp-step", file=sys.stderr)
        return 2
    calls, warm_up, statement = KINDS[kind]
    trees = [Path(a).resolve() for a in args if not a.startswith("--")] or [Path(__file__).resolve().parents[1]]
    for tree in trees:
        few, many = (instructions(tree, count, warm_up, statement) for count in calls)
        print(f"{tree}: {(many - few) / (calls[1] - calls[0]):,.0f} instructions per {kind} call")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

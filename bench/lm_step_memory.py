"""Peak memory of the language-model training step (issue 12's goal: at most 0.5x PyTorch's): the growth of
the process's maximum resident set size over STEPS steps of `workloads.lm_step_workload`, measured from
just after the model and its inputs are built, so the parameters themselves are left out while their
gradients, the activations and every temporary count.

Each engine runs alone in a fresh process (PyTorch's never imports fastgrad), at the same thread count,
alternating for --rounds rounds; the table gives each engine's smallest and largest growth.

    python bench/lm_step_memory.py [--threads N] [--rounds R] [--steps S] [--cell rnn|lstm|gru] [--layers L]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

WORKER = Path(__file__).resolve().parents[1] / "fastgrad" / "benchmarks" / "worker.py"
PROGRAM = """
import importlib.util, json, resource, sys
engine, threads, steps, cell, layers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
spec = importlib.util.spec_from_file_location("benchmark_worker", sys.argv[6])
worker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(worker)
worker.set_threads(engine, threads)  # before NumPy loads, as the timing worker does
workloads = worker.load_workloads()
case = next(c for c in workloads.lm_step_workload(cell=cell, layers=layers).cases if c.engine == engine)
step = case.make()
built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(steps):
    step()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"engine": engine, "growth_kib": peak - built, "fastgrad_loaded": "fastgrad" in sys.modules}))
"""


def growth_mib(engine: str, args: argparse.Namespace) -> float:
    """One fresh process of `engine`: its max-RSS growth over the steps, in MiB."""
    done = subprocess.run([sys.executable, "-c", PROGRAM, engine, str(args.threads), str(args.steps), args.cell,
                           str(args.layers), str(WORKER)], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.splitlines()[-1])
    if engine == "torch" and result["fastgrad_loaded"]:
        raise RuntimeError("the PyTorch process imported fastgrad: its memory would include fastgrad's")
    return result["growth_kib"] / 1024  # ru_maxrss is in KiB on Linux


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--cell", default="rnn", choices=("rnn", "lstm", "gru"))
    parser.add_argument("--layers", type=int, default=1)
    args = parser.parse_args(argv)
    growth = {"fastgrad": [], "torch": []}
    for round_ in range(args.rounds):
        for engine in ("fastgrad", "torch") if round_ % 2 == 0 else ("torch", "fastgrad"):
            growth[engine].append(growth_mib(engine, args))
    print(f"{args.cell} LM step, {args.layers} layer(s), {args.threads} thread(s), {args.steps} steps, "
          f"{args.rounds} rounds: growth of max RSS after building the model")
    for engine, values in growth.items():
        print(f"  {engine:8s} {min(values):6.1f} - {max(values):6.1f} MiB")
    print(f"  fastgrad / torch: {max(growth['fastgrad']) / min(growth['torch']):.2f}x at most, "
          f"{min(growth['fastgrad']) / max(growth['torch']):.2f}x at least")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

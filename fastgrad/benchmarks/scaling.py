"""Data-parallel scaling on one machine (docs/distributed.md):

    python -m fastgrad.benchmarks.scaling [--rounds 3] [--steps N] [rnnlm] [nbow]

times a model's training steps in one process with one thread, under `mpiexec -n 2` with one thread
per rank, and as two independent one-process runs at once (no MPI, no exchange: what the machine gives
two busy cores, the ceiling for two ranks), in turn for several rounds (each round in the opposite order
of the last), and prints the throughput of each (median and best round) and the ratios. Every rank
trains the one-process run's batch (weak scaling): two ranks do twice the work per step, plus one
gradient exchange, so the ratio is 2 x the throughput each core keeps. Models, with synthetic ids of
the CLI's sizes:

- rnnlm: `fastgrad train rnnlm` defaults (V=10,000, E=H=256 tied, BPTT 35, batch 20, clip 0.25, SGD);
- nbow: `fastgrad train nbow`'s DAN on SST-2's vocabulary (14,830 words, 300/300, 2 layers, batch 64 bags of
  20 words, sparse embedding gradient: rows allgathered, the rest allreduced; Adagrad).

A run is `python -m fastgrad.benchmarks.scaling --worker MODEL`, alone or under mpiexec; rank 0 prints one
JSON line. With `--wait`, a run says "ready" after its warm-up and starts timing when a line arrives on
its standard input, so that the two independent runs time their steps together. word2vec's scaling
comes from `fastgrad train word2vec` runs in the same three configurations (docs/distributed.md).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from fastgrad.benchmarks.runner import verdict

MODELS = ("rnnlm", "nbow")
WARMUP_STEPS = 3


def _rnnlm_step(world_size: int, rank: int):
    """One truncated-BPTT step per call; returns the tokens all ranks trained."""
    import numpy as np

    from fastgrad import optim
    from fastgrad.models.rnnlm import RNNLM, TruncatedBPTT
    from fastgrad.train import data_parallel

    batch, bptt = 20, 35
    model = RNNLM(10_000, 256, 256, dropout=0.25, tie_weights=True)
    stream = np.random.default_rng(0).integers(0, 10_000, world_size * batch * (200 * bptt + 1))
    trained = data_parallel.parallel(model)
    run = TruncatedBPTT(trained, optim.SGD(model.parameters(), lr=4.0), stream, world_size * batch, bptt, 0.25,
                        shard=(rank, world_size))

    def step() -> int:
        run.step()
        return world_size * batch * bptt
    return step


def _nbow_step(world_size: int, rank: int):
    """One DAN step on `batch` bags per rank per call; returns the bags all ranks trained."""
    import numpy as np

    import fastgrad.nn.functional as F
    from fastgrad import from_numpy, optim
    from fastgrad.models.nbow import DAN
    from fastgrad.train import data_parallel

    batch, length, vocab = 64, 20, 14_830
    model = DAN(vocab, 2, dim=300, hidden=300, layers=2)
    trained = data_parallel.parallel(model)
    optimizer = optim.Adagrad(model.parameters(), lr=0.01)
    rng = np.random.default_rng(rank)
    offsets = np.arange(0, batch * length, length, dtype=np.int64)

    def step() -> int:
        ids = rng.zipf(1.3, batch * length) % vocab  # word frequencies roughly as in text
        labels = rng.integers(0, 2, batch)
        optimizer.zero_grad()
        F.cross_entropy(trained(ids.astype(np.int64), offsets), from_numpy(labels)).backward()
        optimizer.step()
        return world_size * batch
    return step


# model -> (step builder, what it counts, steps timed by default: a few seconds of work)
STEPS = {"rnnlm": (_rnnlm_step, "tokens", 30), "nbow": (_nbow_step, "bags", 500)}


def worker(model: str, steps: int, wait: bool = False) -> None:
    """Time `steps` steps after a warm-up, on every rank; rank 0 prints the throughput as JSON. With
    `wait`, the timing starts when a line arrives on standard input (after "ready" on standard output)."""
    from fastgrad import distributed as dist
    from fastgrad.threads import set_threads
    from fastgrad.train import data_parallel

    set_threads(1)
    group = dist.init()
    if group.size > 1:
        data_parallel.join(group, seed=0)
    make, unit, _ = STEPS[model]
    step = make(group.size, group.rank)
    for _ in range(WARMUP_STEPS):
        step()
    if wait:
        print("ready", flush=True)
        sys.stdin.readline()
    dist.barrier()
    start, cpu = time.perf_counter(), time.process_time()
    done = sum(step() for _ in range(steps))
    dist.barrier()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if group.rank == 0:
        print(json.dumps({"model": model, "ranks": group.size, "unit": unit, "per_second": done / seconds,
                          "cpu_per_step": cpu / steps}))


def _worker_command(model: str, steps: int) -> list[str]:
    return [sys.executable, "-m", "fastgrad.benchmarks.scaling", "--worker", model, "--steps", str(steps)]


def _worker_result(command: list[str], returncode: int, stdout: str, stderr: str) -> dict:
    """The JSON line a worker run printed last, or the run's error."""
    if returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr.strip()}")
    return json.loads(stdout.strip().splitlines()[-1])


_ENV = {"OMP_NUM_THREADS": "1", "FASTGRAD_DIST_TIMEOUT": "600"}


def run_once(model: str, ranks: int, steps: int, mpiexec: str) -> dict:
    command = _worker_command(model, steps)
    if ranks > 1:
        command = [mpiexec, "-n", str(ranks), *command]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **_ENV}, timeout=1800)
    return _worker_result(command, done.returncode, done.stdout, done.stderr)


def run_independent(model: str, steps: int, copies: int = 2) -> dict:
    """`copies` one-process runs at once, without MPI, released together after their warm-ups; their
    throughputs add up to what the machine gives that many busy cores with no exchange at all."""
    command = [*_worker_command(model, steps), "--wait"]
    runs = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, **_ENV}) for _ in range(copies)]
    try:
        for run in runs:
            if run.stdout.readline().strip() != "ready":
                raise RuntimeError(f"{' '.join(command)} failed:\n{run.communicate(timeout=60)[1].strip()}")
        for run in runs:
            run.stdin.write("go\n")
            run.stdin.flush()
        outputs = [run.communicate(timeout=1800) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
    results = [_worker_result(command, run.returncode, out, err) for run, (out, err) in zip(runs, outputs)]
    return {**results[0], "ranks": copies, "per_second": sum(r["per_second"] for r in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", metavar="MODEL", help=f"{', '.join(MODELS)} (default: all)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=None, help="steps timed per run (default: 30 for rnnlm, "
                        "500 for nbow)")
    parser.add_argument("--worker", choices=MODELS, help=argparse.SUPPRESS)
    parser.add_argument("--wait", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.steps or STEPS[args.worker][2], args.wait)
        return
    unknown = sorted(set(args.models) - set(MODELS))
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    args.models = args.models or list(MODELS)
    from fastgrad.distributed.comm import find_mpiexec

    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise SystemExit("scaling: no mpiexec found (pip install -e '.[mpi]')")
    steps = {model: args.steps or STEPS[model][2] for model in args.models}
    counts = ", ".join(f"{model} {count}" for model, count in steps.items())
    print(f"1 process x 1 thread vs mpiexec -n 2 x 1 thread vs 2 independent processes x 1 thread at once (no MPI), "
          f"{args.rounds} rounds; per run {WARMUP_STEPS} warm-up steps, then timed steps ({counts}); weak scaling "
          f"(each rank trains the 1-process batch); {time.strftime('%Y-%m-%d %H:%M %Z')}", flush=True)
    configurations = {"1 rank": lambda model: run_once(model, 1, steps[model], mpiexec),
                      "2 ranks": lambda model: run_once(model, 2, steps[model], mpiexec),
                      "2 independent": lambda model: run_independent(model, steps[model])}
    for model in args.models:
        rates: dict[str, list[float]] = {name: [] for name in configurations}
        unit = ""
        for round_number in range(args.rounds):
            order = list(configurations) if round_number % 2 == 0 else list(reversed(configurations))
            for name in order:
                result = configurations[name](model)
                rates[name].append(result["per_second"])
                unit = result["unit"]
        median = {name: statistics.median(values) for name, values in rates.items()}
        best = {name: max(values) for name, values in rates.items()}
        speedup, ceiling = median["2 ranks"] / median["1 rank"], median["2 independent"] / median["1 rank"]
        best_speedup = best["2 ranks"] / best["1 rank"]
        print(f"{model}: 1 rank {median['1 rank']:,.0f} {unit}/s (best {best['1 rank']:,.0f}), 2 ranks "
              f"{median['2 ranks']:,.0f} (best {best['2 ranks']:,.0f}), 2 independent processes "
              f"{median['2 independent']:,.0f} (best {best['2 independent']:,.0f}): 2 ranks {speedup:.2f}x one rank "
              f"(best rounds {best_speedup:.2f}x), per core {speedup / 2:.0%} of one rank's; "
              f"ceiling without any exchange {ceiling:.2f}x, of which 2 ranks reach {speedup / ceiling:.0%}; "
              f"goal >= 1.8x: {verdict(speedup >= 1.8, best_speedup >= 1.8)}", flush=True)


if __name__ == "__main__":
    main()

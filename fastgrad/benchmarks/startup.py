"""Cold and warm start: `import fastgrad` plus the first training step of a small model, in a fresh
Python process, with Numba's on-disk cache warm (filled by a previous run) and empty
(NUMBA_CACHE_DIR pointing at a new temporary directory, so every kernel compiles)."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# A small RNN LM (the lecture's model, built from fastgrad.nn) and its first SGD steps: sparse
# embedding, dropout, the RNN, the output layer, softmax + cross-entropy, gradient clipping and the
# sparse and dense parameter updates - the kernels a real first step needs.
_FIRST_STEP = r"""
import json, time
start, start_cpu = time.perf_counter(), time.process_time()
import numpy as np
import fastgrad
from fastgrad import nn, optim
imported, imported_cpu = time.perf_counter(), time.process_time()

class SmallLM(nn.Module):
    def __init__(self, vocab, dim, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, sparse=True)
        self.drop = nn.Dropout(0.2)
        self.rnn = nn.RNN(dim, hidden)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, ids):
        states, _ = self.rnn(self.drop(self.embed(ids)))
        return self.out(self.drop(states)).reshape(-1, self.out.out_features)

def step():
    tokens = fastgrad.from_numpy(rng.integers(0, 200, size=(36, 8)))
    optimizer.zero_grad()
    loss = loss_fn(model(tokens[:-1]), tokens[1:].reshape(-1))
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 0.25)
    optimizer.step()
    return loss.item()

fastgrad.manual_seed(0)
rng = np.random.default_rng(0)
model, loss_fn = SmallLM(200, 32, 64), nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=1.0)
step()
first, first_cpu = time.perf_counter(), time.process_time()
step()
second = time.perf_counter()
print(json.dumps({"import_s": imported - start, "first_step_s": first - imported, "second_step_s": second - first,
                  "import_cpu_s": imported_cpu - start_cpu, "first_step_cpu_s": first_cpu - imported_cpu,
                  "backend": fastgrad.get_backend()}))
"""


def measure_once(numba_cache_dir: str | None, threads: int | None = None) -> dict[str, float]:
    """One fresh process: wall seconds for the import, the first and second step and the whole
    process, and CPU seconds (all threads) for the import and the first step."""
    env = dict(os.environ)
    if numba_cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = numba_cache_dir
    if threads is not None:  # fixed before the libraries start their thread pools
        for variable in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
            env[variable] = str(threads)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _FIRST_STEP], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"start-up measurement failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


def measure(repeats: int = 3, threads: int | None = None) -> dict[str, dict[str, float]]:
    """Median over `repeats` fresh processes of the warm start (default cache location, filled by
    one unmeasured run first) and the cold start (a new empty cache directory each time)."""
    measure_once(None, threads)  # fills the default cache
    warm = [measure_once(None, threads) for _ in range(repeats)]
    cold = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="fastgrad-numba-cache-") as empty:
            cold.append(measure_once(empty, threads))
    return {"warm": _median(warm), "cold": _median(cold)}


def _median(runs: list[dict]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0] if key != "backend"}


def format_startup(results: dict[str, dict[str, float]]) -> str:
    lines = ["startup: fresh process, `import fastgrad` + first training step of a small RNN LM (median of runs)",
             f"  {'numba cache':<14}{'import':>10}{'1st step':>10}{'2nd step':>10}{'import+1st':>12}{'process':>10}"
             f"{'import+1st CPU':>16}"]
    for name, r in results.items():
        lines.append(f"  {name:<14}{r['import_s']:>9.2f}s{r['first_step_s']:>9.2f}s{r['second_step_s'] * 1e3:>8.1f}ms"
                     f"{r['import_s'] + r['first_step_s']:>11.2f}s{r['process_s']:>9.2f}s"
                     f"{r['import_cpu_s'] + r['first_step_cpu_s']:>15.2f}s")
    warm = results["warm"]["import_s"] + results["warm"]["first_step_s"]
    lines.append(f"  goal: warm import + first step < 2 s: {'met' if warm < 2 else 'missed'} ({warm:.2f} s)")
    return "\n".join(lines)

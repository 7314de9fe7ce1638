"""Time one benchmark case in a process of its own engine: `python worker.py '<request as JSON>'`.

Started by `isolated.py` (and run as a script, by path, so that a PyTorch or gensim process never
imports fastgrad). The request names the workload by its recipe (see `workloads.workload_builder`),
the case by its index, the thread count, the clock, how long one repeat should last and how many
repeats to time. The engine's threads are set before anything else loads: fastgrad's
`set_threads` (imported before NumPy, so that its thread pools' settings apply), PyTorch's
`set_num_threads` (and OMP_NUM_THREADS, set by the parent). The last line of the output is the result
as JSON: seconds per call of every repeat (and of the smaller slice's, for a sliced case), the calls
per repeat, the thread counts in force, the process id and whether fastgrad was loaded. A request with
"fastgrad_from" (a baseline run) fails unless fastgrad was imported from that folder, and reports a case
the baseline cannot build (an API it lacks) as unavailable.
"""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def load_workloads():
    """fastgrad/benchmarks/workloads.py loaded from its file: no fastgrad import comes with it."""
    spec = importlib.util.spec_from_file_location("benchmark_workloads", Path(__file__).with_name("workloads.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def set_threads(engine: str, threads: int) -> dict[str, int | None]:
    """Give the engine `threads` threads; returns the counts its libraries report."""
    if engine == "fastgrad":
        from fastgrad import threads as thread_control

        thread_control.set_threads(threads)
        return thread_control.in_force()
    if engine == "torch":
        try:
            import torch
        except ImportError:  # reported as unavailable by run(), not as a failed worker
            return {}
        torch.set_num_threads(threads)
        return {"torch": torch.get_num_threads()}
    return {}  # gensim: the workload's `workers` argument


def time_calls(function, calls: int, clock) -> float:
    start = clock()
    for _ in range(calls):
        function()
    return (clock() - start) / calls


def time_function(function, seconds: float, repeats: int, clock) -> tuple[list[float], int]:
    """Returns seconds per call of each of `repeats` repeats of about `seconds` each. Two untimed calls
    come first: the first pays for compilation, loading Numba's cache, caches and first-touch memory
    (often more than `seconds`), so the second sizes the repeats, and that count is measured once more
    before it is trusted."""
    time_calls(function, 1, clock)
    calls = max(1, int(seconds / max(time_calls(function, 1, clock), 1e-7)))
    if calls > 1:
        calls = max(1, int(seconds / max(time_calls(function, calls, clock), 1e-9)))
    return [time_calls(function, calls, clock) for _ in range(repeats)], calls


def check_origin(expected: str) -> None:
    """A baseline run must time the baseline's fastgrad, not the installed one."""
    loaded = Path(sys.modules["fastgrad"].__file__).resolve().parent
    if loaded != Path(expected):
        raise RuntimeError(f"the baseline's fastgrad should come from {expected}, but {loaded} was imported")


def run(request: dict) -> dict:
    threads_in_force = set_threads(request["engine"], request["threads"])
    baseline = request.get("fastgrad_from")
    if baseline:
        check_origin(baseline)
    workloads = load_workloads()
    workload = workloads.build_from_recipe(tuple(request["recipe"]))
    case = workload.cases[request["case"]]
    if case.engine != request["engine"]:
        raise ValueError(f"case {case.title!r} runs on {case.engine}, not {request['engine']}")
    clock = CLOCKS[request["clock"]]
    result = {"case": case.title, "pid": os.getpid(), "threads": threads_in_force,
              "fastgrad_loaded": "fastgrad" in sys.modules}
    if case.needs_torch and workloads.import_torch() is None:
        return {**result, "unavailable": "PyTorch is not installed"}
    with sys.modules["fastgrad"].backend(case.backend) if case.backend else contextlib.nullcontext():
        try:
            function = case.make()
            result["samples"], result["calls"] = time_function(function, request["seconds"], request["repeats"],
                                                               clock)
        except workloads.Unavailable as why:
            return {**result, "unavailable": str(why)}
        except Exception as error:  # noqa: BLE001 - an older fastgrad may lack what the workload calls
            if not baseline:
                raise
            return {**result, "unavailable": f"the baseline cannot run it ({type(error).__name__}: {error})"}
        if case.slices is not None:
            small = case.slices.make_part(case.slices.parts[0])
            result["small_samples"], _ = time_function(small, request["seconds"], request["repeats"], clock)
    result["fastgrad_loaded"] = "fastgrad" in sys.modules
    return result


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))

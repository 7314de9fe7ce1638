"""Shared set-up for the benchmark suite: `python -m pytest bench/ [--engine E] [--threads N]`.

Each pytest process times one engine's implementations (--engine: fastgrad, the default, which
includes the pure-Python-loop and NumPy versions; torch; gensim), so that PyTorch and gensim never
share a process with fastgrad's thread pools: a torch or gensim session never imports fastgrad. To
compare engines, run one session per engine, in turn, for a few rounds (docs/benchmarks.md has the
loop); `fastgrad bench` does that by itself. One thread count (--threads, else
$FASTGRAD_BENCH_THREADS, else all cores) is set when the session starts and again before each timed
case (a module may have changed it); group names carry it. The `time_case` fixture times one case of
a workload from fastgrad/benchmarks/workloads.py (the definitions `fastgrad bench` uses too, loaded
from its file). A pure-Python-loop case too slow for the full size is timed on its larger slice only
(its id says "fitted from A and B of N rows"); `fastgrad bench` times both slices and prints the
full-size estimate.
"""
import contextlib
import importlib.util
import os
import sys
import time
from pathlib import Path

import pytest

ENGINES = ("fastgrad", "torch", "gensim")
SLOW_CALL_SECONDS = 0.05  # slower calls get a fixed, small number of rounds


def load_workloads():
    """fastgrad/benchmarks/workloads.py from its file: loading it imports no part of fastgrad."""
    path = Path(__file__).resolve().parents[1] / "fastgrad" / "benchmarks" / "workloads.py"
    spec = importlib.util.spec_from_file_location("benchmark_workloads", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def pytest_addoption(parser):
    parser.addoption("--engine", choices=ENGINES, default="fastgrad",
                     help="the engine whose implementations this session times, alone in its process")
    parser.addoption("--threads", type=int, default=None,
                     help="threads of the engine (default: $FASTGRAD_BENCH_THREADS, else all cores)")


def set_threads(engine: str, threads: int | None) -> int:
    threads = threads or os.cpu_count() or 1
    if engine == "fastgrad":
        from fastgrad import threads as thread_control  # first, before NumPy: fastgrad's thread-pool settings

        return thread_control.set_threads(threads)
    if engine == "torch":
        import torch

        torch.set_num_threads(threads)
    return threads


def pytest_configure(config):
    config.addinivalue_line("markers", "bench_groups(*groups): run the test once per case of these workload groups")
    threads = config.getoption("--threads") or int(os.environ.get("FASTGRAD_BENCH_THREADS", "0"))
    config.bench_engine = config.getoption("--engine")
    config.bench_threads = set_threads(config.bench_engine, threads or None)


WORKLOADS = load_workloads()


def with_threads(workload, threads: int):
    """A workload with threads of its own (word2vec's `workers`) rebuilt with the session's count."""
    name, arguments = workload.recipe
    if "workers" not in arguments:
        return workload
    return WORKLOADS.build_from_recipe((name, {**arguments, "workers": threads}))


def pytest_generate_tests(metafunc):
    """A test marked `bench_groups(*groups)` runs once per (workload, case) of those groups."""
    marker = metafunc.definition.get_closest_marker("bench_groups")
    if marker is None:
        return
    workloads = [with_threads(w, metafunc.config.bench_threads) for w in WORKLOADS.workloads_in(list(marker.args))]
    metafunc.parametrize("workload, case", [pytest.param(w, c, id=f"{w.name}-{c.title}")
                                            for w in workloads for c in w.cases])


@pytest.fixture(scope="session")
def threads(request) -> int:
    """The thread count this session's engine uses; put it in group names."""
    return request.config.bench_threads


@pytest.fixture
def time_case(benchmark, threads, request):
    """time_case(workload, case): benchmark one implementation, grouped with the workload's others; cases of
    other engines are skipped (they run in their own session)."""

    def run(workload, case):
        engine = request.config.bench_engine
        if case.engine != engine:
            pytest.skip(f"{case.engine} runs in its own session: --engine {case.engine}")
        if case.needs_torch and WORKLOADS.import_torch() is None:
            pytest.skip("PyTorch is not installed")
        if engine != "fastgrad" and "fastgrad" in sys.modules:
            pytest.fail(f"fastgrad was imported into this {engine} session, which must time {engine} alone")
        set_threads(engine, threads)
        benchmark.group = f"{workload.group}/{workload.name} ({threads} thread{'s' if threads > 1 else ''})"
        benchmark.extra_info.update(implementation=case.title, engine=engine, threads=threads,
                                    description=workload.description, full_size=case.slices is None)
        backend = sys.modules["fastgrad"].backend(case.backend) if case.backend else contextlib.nullcontext()
        with backend:
            try:
                function = case.make()
            except WORKLOADS.Unavailable as why:
                pytest.skip(str(why))
            function()  # compilation and caches stay out of the timings
            start = time.perf_counter()
            function()
            if time.perf_counter() - start > SLOW_CALL_SECONDS:
                benchmark.pedantic(function, rounds=3, iterations=1)
            else:
                benchmark(function)

    return run

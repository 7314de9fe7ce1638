"""Shared set-up for the benchmark suite: `python -m pytest bench/ [--threads N]`.

One thread count for Numba, OpenBLAS and PyTorch (--threads, else $FASTGRAD_BENCH_THREADS, else all
cores) is set when the session starts and again before each timed case (a module may have changed
it), so every group compares implementations on equal terms; group names carry the count. On a
busy machine add `--benchmark-timer=time.process_time` (CPU time; fair with --threads 1).
The `time_case` fixture times one case of a workload from fastgrad.benchmarks.workloads, the
definitions `fastgrad bench` uses too. A pure-Python-loop case too slow for the full size is timed on
its larger slice only (its id says "fitted from A and B of N rows"); `fastgrad bench` times both
slices and prints the full-size estimate.
"""
import contextlib
import os
import time

import pytest

import fastgrad
from fastgrad import threads as thread_control

SLOW_CALL_SECONDS = 0.05  # slower calls get a fixed, small number of rounds


def pytest_addoption(parser):
    parser.addoption("--threads", type=int, default=None,
                     help="threads for Numba, BLAS and PyTorch in benchmarks (default: $FASTGRAD_BENCH_THREADS, "
                     "else all cores)")


def pytest_configure(config):
    threads = config.getoption("--threads") or int(os.environ.get("FASTGRAD_BENCH_THREADS", "0"))
    config.bench_threads = thread_control.set_threads(threads or None)


@pytest.fixture(scope="session")
def threads(request) -> int:
    """The thread count every library in this session uses; put it in group names."""
    return request.config.bench_threads


@pytest.fixture
def time_case(benchmark, threads):
    """time_case(workload, case): benchmark one implementation, grouped with the workload's others."""

    def run(workload, case):
        if case.needs_torch:
            pytest.importorskip("torch")
        thread_control.set_threads(threads)
        benchmark.group = f"{workload.group}/{workload.name} ({threads} thread{'s' if threads > 1 else ''})"
        benchmark.extra_info.update(implementation=case.title, threads=threads, description=workload.description,
                                    full_size=case.slices is None)
        with fastgrad.backend(case.backend) if case.backend else contextlib.nullcontext():
            function = case.make()
            function()  # compilation and caches stay out of the timings
            start = time.perf_counter()
            function()
            if time.perf_counter() - start > SLOW_CALL_SECONDS:
                benchmark.pedantic(function, rounds=3, iterations=1)
            else:
                benchmark(function)

    return run


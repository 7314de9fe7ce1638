"""Engine overhead (group "core"): tiny a + b, (a*b).sum().backward(), a 2-layer MLP step at batch
256 and a 1024x1024 matmul, each as pure-Python loops, NumPy, fastgrad and PyTorch."""
import pytest

from fastgrad.benchmarks.workloads import workloads_in

CASES = [(w, c) for w in workloads_in(["core"]) for c in w.cases]


@pytest.mark.parametrize("workload, case", CASES, ids=[f"{w.name}-{c.title}" for w, c in CASES])
def test_engine_overhead(time_case, workload, case):
    time_case(workload, case)

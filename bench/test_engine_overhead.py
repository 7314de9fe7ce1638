"""Engine overhead (group "core"): tiny a + b, (a*b).sum().backward(), a 2-layer MLP step at batch
256 and a 1024x1024 matmul, each as pure-Python loops, NumPy, fastgrad (--engine fastgrad) and PyTorch
(--engine torch)."""
import pytest


@pytest.mark.bench_groups("core")
def test_engine_overhead(time_case, workload, case):
    time_case(workload, case)

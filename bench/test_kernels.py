"""The lecture's kernels: window scoring one by one vs batched, the linear layer, softmax +
cross-entropy, the RNN with BPTT and the embedding bag, each as pure-Python loops (a slice,
extrapolated where the test id says so), NumPy, fastgrad's NumPy and compiled backends, PyTorch."""
import pytest

from fastgrad.benchmarks.workloads import workloads_in

CASES = [(w, c) for w in workloads_in(["window", "linear", "softmax_xent", "rnn", "embedding_bag"]) for c in w.cases]


@pytest.mark.parametrize("workload, case", CASES, ids=[f"{w.name}-{c.title}" for w, c in CASES])
def test_kernel(time_case, workload, case):
    time_case(workload, case)

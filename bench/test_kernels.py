"""The lecture's kernels: window scoring one by one vs batched, the linear layer, softmax +
cross-entropy, the recurrent layers (RNN, LSTM, GRU) with BPTT and the embedding bag, each as pure-Python
loops (a slice, extrapolated where the test id says so), NumPy, fastgrad's NumPy and compiled backends
(--engine fastgrad), PyTorch (--engine torch)."""
import pytest


@pytest.mark.bench_groups("window", "linear", "softmax_xent", "rnn", "embedding_bag")
def test_kernel(time_case, workload, case):
    time_case(workload, case)

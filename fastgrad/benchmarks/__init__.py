"""Benchmark workloads shared by the pytest-benchmark suite (bench/) and `fastgrad bench`.

`workloads` defines each timed computation once, in every implementation compared (pure-Python
loops, NumPy, fastgrad on its NumPy and compiled backends, PyTorch when installed); `runner` times
them with a small median-of-repeats loop; `threads` pins the thread count of every library involved;
`startup` measures import plus a first training step with a warm and an empty Numba cache.
"""

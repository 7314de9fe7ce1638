"""Benchmark workloads shared by the pytest-benchmark suite (bench/) and `fastgrad bench`.

`workloads` defines each timed computation once, in every implementation compared (pure-Python
loops, NumPy, fastgrad on its NumPy and compiled backends, PyTorch and gensim when installed);
`runner` times each implementation in a fresh process of its engine (`worker`), in alternating rounds at
one thread count, and prints median, minimum and the share of the measured matrix-product peak;
`startup` measures import plus a first training step with a warm and an empty Numba cache.
"""

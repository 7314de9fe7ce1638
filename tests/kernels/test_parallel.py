"""The threaded and serial builds of each parallel loop agree with each other and with the NumPy
reference, and calls choose the build by size; work split across Python threads runs each part alone."""
import threading

import numba
import numpy as np
import pytest

from fastgrad.backends import numpy as reference
from fastgrad.kernels import embedding, optim
from fastgrad.kernels import parallel
from fastgrad.kernels.parallel import (PARALLEL_MIN_ELEMENTS, SPLIT_MIN_ELEMENTS, ThreadedOrSerial, kernel_threads,
                                      map_across_threads, split_across_threads, threads_for_parts)
from fastgrad.kernels.registry import implementations
from fastgrad.threads import blas_threads, can_pause_blas_threads

compiled = implementations("numba")


@pytest.fixture
def two_numba_threads():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has fewer than 2 threads on this machine")
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    yield
    numba.set_num_threads(before)


def test_large_embedding_bag_runs_threaded_and_matches_reference(rng, two_numba_threads):
    weight = rng.standard_normal((500, 64)).astype(np.float32)
    ids = rng.integers(0, 500, 64 * 20)
    offsets = np.arange(0, ids.size, 20)
    assert ids.size * weight.shape[1] >= PARALLEL_MIN_ELEMENTS
    out = compiled.embedding_bag(weight, ids, offsets, "mean")
    np.testing.assert_allclose(out, reference.embedding_bag(weight, ids, offsets, "mean"), rtol=1e-5, atol=1e-6)
    g = rng.standard_normal(out.shape).astype(np.float32)
    rows, values = compiled.embedding_bag_backward(ids, offsets, g, "mean", 500, True)
    ref_rows, ref_values = reference.embedding_bag_backward(ids, offsets, g, "mean", 500, True)
    np.testing.assert_array_equal(rows, ref_rows)
    np.testing.assert_allclose(values, ref_values, rtol=1e-6)
    if not numba.config.DISABLE_JIT:  # the threaded builds were the ones used
        assert embedding._bag_reduce.threaded.signatures and embedding._bag_grad_per_id.threaded.signatures


def test_threaded_and_serial_builds_give_identical_results(rng):
    weight = rng.standard_normal((300, 256)).astype(np.float64)
    rows = np.unique(rng.integers(0, 300, 280))
    values = rng.standard_normal((rows.size, 256))
    results = []
    for build in ("threaded", "serial"):
        w, m, v = weight.copy(), np.zeros_like(weight), np.zeros_like(weight)
        getattr(optim._sparse_adam_rows, build)(w, m, v, rows, values, 0.9, 0.1, 0.999, 0.001, 1e-8, 1e-3)
        s = np.zeros_like(weight)
        getattr(optim._adagrad_rows, build)(w, s, rows, values, 0.1, 1e-10)
        results.append((w, m, v, s))
    for threaded, serial in zip(*results):
        np.testing.assert_array_equal(threaded, serial)


def test_size_and_thread_count_choose_the_build(two_numba_threads):
    calls = []
    kernel = ThreadedOrSerial.__new__(ThreadedOrSerial)
    kernel.threaded, kernel.serial = (lambda: calls.append("threaded")), (lambda: calls.append("serial"))
    kernel(PARALLEL_MIN_ELEMENTS - 1)
    kernel(PARALLEL_MIN_ELEMENTS)
    numba.set_num_threads(1)
    kernel(PARALLEL_MIN_ELEMENTS)  # one thread: the threaded build would only add its launch
    assert calls == ["serial", "threaded", "serial"]


def test_split_across_threads_runs_each_part_alone_on_one_thread(two_numba_threads):
    if not can_pause_blas_threads():
        pytest.skip("BLAS is not OpenBLAS: its thread count cannot be held at one")
    blas_before = blas_threads()
    barrier = threading.Barrier(2, timeout=10)  # both parts must run at once to pass it

    def part():
        barrier.wait()
        return threading.get_ident(), kernel_threads(), blas_threads()

    (first_thread, *first), (second_thread, *second) = split_across_threads([part, part])
    assert first_thread == threading.get_ident() != second_thread
    assert first == second == [1, 1]
    assert kernel_threads() == 2 and blas_threads() == blas_before


def test_split_across_threads_raises_a_parts_error_after_every_part_ended(two_numba_threads):
    finished = []

    def failing():
        raise ValueError("part failed")

    with pytest.raises(ValueError, match="part failed"):
        split_across_threads([failing, lambda: finished.append(True)])
    assert finished == [True] and kernel_threads() == 2


def test_small_work_and_one_thread_give_one_part(two_numba_threads):
    assert threads_for_parts(SPLIT_MIN_ELEMENTS - 1) == 1
    assert threads_for_parts(SPLIT_MIN_ELEMENTS) == (2 if can_pause_blas_threads() else 1)
    numba.set_num_threads(1)
    assert threads_for_parts(SPLIT_MIN_ELEMENTS) == 1


def test_map_across_threads_balances_elements_and_keeps_the_order(two_numba_threads, monkeypatch):
    shares = []
    monkeypatch.setattr(parallel, "split_across_threads", lambda parts: shares.append(len(parts)) or
                        [part() for part in parts])  # the parts one after another, to see who got what
    monkeypatch.setattr(parallel, "can_pause_blas_threads", lambda: True)
    calls = []
    results = map_across_threads(lambda item: calls.append(item) or -item, [0, 1, 2, 3],
                                 [SPLIT_MIN_ELEMENTS // 2, 10, SPLIT_MIN_ELEMENTS // 2, 20])
    assert results == [0, -1, -2, -3] and shares == [2]
    assert calls == [0, 3, 1, 2]  # the two large items apart, then the 20 and the 10 elements, each share in order

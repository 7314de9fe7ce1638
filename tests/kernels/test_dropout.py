"""The counter-based dropout mask: deterministic per seed, independent of threads, right statistics."""
import numba
import numpy as np
import pytest

from fastgrad.kernels import dropout
from fastgrad.kernels.registry import KERNELS

dropout_mask = KERNELS["dropout_mask"].implementation("numba")  # behind its check, as the compiled backend runs it


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_values_and_keep_rate(dtype, p):
    n = 200_000
    mask = dropout_mask((400, 500), p, np.dtype(dtype), seed=7)
    assert mask.shape == (400, 500) and mask.dtype == dtype
    scale = dtype(1) / dtype(1 - p)
    kept = mask == scale
    assert np.all(kept | (mask == 0))
    # The kept fraction is Binomial(n, 1-p)/n: 5 standard deviations is a bound no correct mask fails.
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)


def test_neighbouring_elements_and_seeds_are_independent():
    p, n = 0.5, 400_000
    kept = dropout_mask((n,), p, np.dtype(np.float64), seed=1) > 0
    other_seed = dropout_mask((n,), p, np.dtype(np.float64), seed=2) > 0
    bound = 5 * np.sqrt(0.25 * 0.75 / n)  # for a fraction with expectation 1/4
    assert abs(np.mean(kept[1:] & kept[:-1]) - 0.25) < bound
    assert abs(np.mean(kept & other_seed) - 0.25) < bound


def test_same_seed_same_mask_other_seed_other_mask():
    make = lambda seed: dropout_mask((64, 20, 30), 0.3, np.dtype(np.float32), seed)  # noqa: E731
    np.testing.assert_array_equal(make(123), make(123))
    assert not np.array_equal(make(123), make(124))
    assert not np.array_equal(make(0), make(2**63 - 1))


def test_a_mask_is_a_prefix_of_a_longer_one():
    """Element i depends on (seed, i) only, not on the size or shape of the mask."""
    short = dropout_mask((1000,), 0.4, np.dtype(np.float64), 9)
    long = dropout_mask((50, 100), 0.4, np.dtype(np.float64), 9)
    np.testing.assert_array_equal(short, long.reshape(-1)[:1000])


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
def test_mask_does_not_depend_on_thread_count():
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one_thread = dropout_mask((300, 301), 0.5, np.dtype(np.float32), 42)
        numba.set_num_threads(2)
        two_threads = dropout_mask((300, 301), 0.5, np.dtype(np.float32), 42)
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(one_thread, two_threads)


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="needs compiled dispatchers")
def test_compiles_once_per_float_dtype():
    for dtype in (np.float32, np.float64):
        for seed in (0, 2**63 + 5, 2**64 - 1):
            dropout_mask((3, 2), 0.5, np.dtype(dtype), seed)
    assert len(dropout._fill_mask.signatures) == 2


def test_edge_cases():
    np.testing.assert_array_equal(dropout_mask((3, 4), 0.0, np.dtype(np.float64), 1), np.ones((3, 4)))
    assert dropout_mask((0, 5), 0.5, np.dtype(np.float32), 1).shape == (0, 5)
    assert dropout_mask((), 0.5, np.dtype(np.float32), 1).shape == ()
    tiny = dropout_mask((10_000,), 1e-9, np.dtype(np.float32), 1)
    assert np.all(tiny == np.float32(1) / np.float32(1 - 1e-9))


def test_bad_arguments_raise_clearly():
    with pytest.raises(ValueError, match=r"p: expected a drop probability in \[0, 1\), got 1"):
        dropout_mask((3,), 1, np.dtype(np.float32), 0)
    with pytest.raises(ValueError, match="p: expected"):
        dropout_mask((3,), -0.1, np.dtype(np.float32), 0)
    with pytest.raises(TypeError, match="dtype: expected float32 or float64, got int64"):
        dropout_mask((3,), 0.5, np.dtype(np.int64), 0)
    with pytest.raises(ValueError, match=r"seed: expected an int in \[0, 2\*\*64\), got -1"):
        dropout_mask((3,), 0.5, np.dtype(np.float32), -1)

"""Sparse optimizer row updates against the NumPy reference backend."""
import numba
import numpy as np
import pytest

from fastgrad.backends import numpy as reference
from fastgrad.kernels import optim as kernels
from fastgrad.kernels.registry import implementations

compiled = implementations("numba")  # each kernel behind its check, as the compiled backend runs it

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-5, np.float64: 1e-10}


def assert_close(actual, expected, dtype):
    assert actual.dtype == expected.dtype == dtype and actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=RTOL[dtype], atol=RTOL[dtype])


def sparse_gradient(rng, num_rows, dim, count, dtype, unique):
    rows = (rng.choice(num_rows, count, replace=False) if unique else rng.integers(0, num_rows, count))
    return rows, rng.standard_normal((count, dim)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", [[3, 1, 3, 0, 1, 3], [5], [0, 0, 0], []])
def test_coalesce_rows_matches_reference(rng, dtype, rows):
    rows = np.array(rows, dtype=np.int64)
    values = rng.standard_normal((rows.size, 4)).astype(dtype)
    unique, summed = compiled.coalesce_rows(rows, values)
    expected_unique, expected_summed = reference.coalesce_rows(rows, values)
    np.testing.assert_array_equal(unique, expected_unique)
    assert unique.dtype == np.int64
    assert_close(summed, expected_summed, dtype)


def test_coalesce_rows_adds_in_the_reference_order(rng):
    """Same order of additions, so the same rounding: float32 sums agree exactly."""
    rows = rng.integers(0, 50, 2000)
    values = rng.standard_normal((2000, 7)).astype(np.float32)
    np.testing.assert_array_equal(compiled.coalesce_rows(rows, values)[1], reference.coalesce_rows(rows, values)[1])


def check_update(rng, dtype, update, state_names, *hyper, unique=True):
    """Run `update` from both backends on copies of the same state; compare every array, and check
    rows that were not touched are bit-for-bit unchanged."""
    num_rows, dim = 30, 5
    rows, values = sparse_gradient(rng, num_rows, dim, 12, dtype, unique)
    start = [rng.standard_normal((num_rows, dim)).astype(dtype)]
    start += [np.abs(rng.standard_normal((num_rows, dim))).astype(dtype) for _ in state_names]
    ours, theirs = [a.copy() for a in start], [a.copy() for a in start]
    assert getattr(kernels, update)(*ours, rows, values, *hyper) is None
    getattr(reference, update)(*theirs, rows, values, *hyper)
    untouched = np.setdiff1d(np.arange(num_rows), rows)
    for name, before, mine, expected in zip(["weight", *state_names], start, ours, theirs):
        assert_close(mine, expected, dtype)
        np.testing.assert_array_equal(mine[untouched], before[untouched], err_msg=name)
        assert not np.array_equal(mine[rows], before[rows]), name


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("unique", [True, False])
def test_sgd_rows_update_matches_reference(rng, dtype, unique):
    check_update(rng, dtype, "sgd_rows_update", [], 0.1, unique=unique)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adagrad_rows_update_matches_reference(rng, dtype):
    check_update(rng, dtype, "adagrad_rows_update", ["state_sum"], 0.05, 1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("step", [1, 2, 1000])
def test_sparse_adam_rows_update_matches_reference(rng, dtype, step):
    check_update(rng, dtype, "sparse_adam_rows_update", ["exp_avg", "exp_avg_sq"], 1e-3, 0.9, 0.999, 1e-8, step)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("num_rows, dim", [(30, 5), (577, 300)])  # the second runs the threaded build on 2+ threads
@pytest.mark.parametrize("update, num_states, hyper", [("adagrad_rows_update", 1, (0.05, 0.0)),
                                                       ("sparse_adam_rows_update", 2, (1e-3, 0.9, 0.999, 0.0, 1))])
def test_zero_eps_divides_by_zero_as_the_reference(rng, dtype, num_rows, dim, update, num_states, hyper):
    """eps=0: a zero gradient on zero state is 0/0 (NaN) and a gradient whose square underflows is g/0 (+-inf),
    as in NumPy; the compiled loop must neither raise ZeroDivisionError nor give anything else."""
    weight = rng.standard_normal((num_rows, dim)).astype(dtype)
    states = [np.zeros_like(weight) for _ in range(num_states)]
    rows = rng.choice(num_rows, num_rows // 2, replace=False)
    values = rng.standard_normal((rows.size, dim)).astype(dtype)
    values[0] = 0.0
    values[1, ::2] = np.finfo(dtype).tiny  # its square is 0
    values[1, 1::2] = -np.finfo(dtype).tiny
    ours, theirs = [weight, *states], [a.copy() for a in (weight, *states)]
    getattr(compiled, update)(*ours, rows, values, *hyper)
    with np.errstate(divide="ignore", invalid="ignore"):
        getattr(reference, update)(*theirs, rows, values, *hyper)
    assert np.isnan(theirs[0][rows[0]]).all() and np.isinf(theirs[0][rows[1]]).all()
    for mine, expected in zip(ours, theirs):
        np.testing.assert_array_equal(np.isnan(mine), np.isnan(expected))
        np.testing.assert_array_equal(np.isinf(mine), np.isinf(expected))
        assert_close(mine[np.isfinite(expected)], expected[np.isfinite(expected)], dtype)
        np.testing.assert_array_equal(mine[np.isinf(expected)], expected[np.isinf(expected)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_adam_over_several_steps_at_training_size(rng, dtype):
    """Coalesce then update, as the SparseAdam optimizer does, for a few DAN-like steps."""
    num_rows, dim = 2000, 30
    states = [[rng.standard_normal((num_rows, dim)).astype(dtype), np.zeros((num_rows, dim), dtype),
               np.zeros((num_rows, dim), dtype)] for _ in range(2)]
    states[1] = [a.copy() for a in states[0]]
    for step in range(1, 4):
        rows, values = sparse_gradient(rng, num_rows, dim, 64 * 20, dtype, unique=False)
        for backend, state in ((kernels, states[0]), (reference, states[1])):
            unique, summed = backend.coalesce_rows(rows, values)
            backend.sparse_adam_rows_update(*state, unique, summed, 1e-2, 0.9, 0.999, 1e-8, step)
    for mine, expected in zip(*states):
        assert_close(mine, expected, dtype)


def test_empty_gradient_changes_nothing(rng):
    weight = rng.standard_normal((4, 3))
    before = weight.copy()
    rows, values = np.array([], dtype=np.int64), np.zeros((0, 3))
    compiled.sgd_rows_update(weight, rows, values, 0.1)
    compiled.adagrad_rows_update(weight, np.ones_like(weight), rows, values, 0.1, 1e-10)
    compiled.sparse_adam_rows_update(weight, np.zeros_like(weight), np.zeros_like(weight), rows, values,
                                    1e-3, 0.9, 0.999, 1e-8, 1)
    np.testing.assert_array_equal(weight, before)


@pytest.fixture
def no_kernel(monkeypatch):
    def must_not_run(*args):
        raise AssertionError("a compiled kernel ran before the arguments were checked")
    for name in ("_coalesce", "_sgd_rows", "_adagrad_rows", "_sparse_adam_rows"):
        monkeypatch.setattr(kernels, name, must_not_run)


@pytest.mark.parametrize("bad_row", [-1, 4, 100])
def test_out_of_range_rows_raise_index_error(no_kernel, bad_row):
    weight, values = np.zeros((4, 2)), np.ones((2, 2))
    rows = np.array([0, bad_row])
    with pytest.raises(IndexError, match=rf"rows: index {bad_row} .*size 4"):
        compiled.sgd_rows_update(weight, rows, values, 0.1)
    with pytest.raises(IndexError, match=rf"index {bad_row}"):
        compiled.adagrad_rows_update(weight, np.zeros_like(weight), rows, values, 0.1, 1e-10)
    with pytest.raises(IndexError, match=rf"index {bad_row}"):
        compiled.sparse_adam_rows_update(weight, np.zeros_like(weight), np.zeros_like(weight), rows, values,
                                        1e-3, 0.9, 0.999, 1e-8, 1)
    if bad_row < 0:
        with pytest.raises(IndexError, match="index -1"):
            compiled.coalesce_rows(rows, values)


def test_repeated_rows_are_refused_where_they_must_be_unique(no_kernel):
    weight, values, rows = np.zeros((5, 2)), np.ones((3, 2)), np.array([4, 1, 4])
    with pytest.raises(ValueError, match="rows: expected unique rows .*row 4 repeats"):
        compiled.adagrad_rows_update(weight, np.zeros_like(weight), rows, values, 0.1, 1e-10)
    with pytest.raises(ValueError, match="row 4 repeats"):
        compiled.sparse_adam_rows_update(weight, np.zeros_like(weight), np.zeros_like(weight), rows, values,
                                        1e-3, 0.9, 0.999, 1e-8, 1)


def test_bad_arguments_raise_clearly(no_kernel):
    weight, rows, values = np.zeros((5, 2)), np.array([1, 2]), np.ones((2, 2))
    with pytest.raises(ValueError, match="weight: expected a C-contiguous array to update in place"):
        compiled.sgd_rows_update(np.zeros((5, 4))[:, ::2], rows, values, 0.1)
    read_only = np.zeros((5, 2))
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="weight: expected a writable array"):
        compiled.sgd_rows_update(read_only, rows, values, 0.1)
    with pytest.raises(TypeError, match=r"values: expected dtype float64 \(that of weight\), got float32"):
        compiled.sgd_rows_update(weight, rows, values.astype(np.float32), 0.1)
    with pytest.raises(ValueError, match=r"values: expected rows of width 2"):
        compiled.sgd_rows_update(weight, rows, np.ones((2, 3)), 0.1)
    with pytest.raises(ValueError, match=r"values: expected one row per entry of rows \(2\)"):
        compiled.coalesce_rows(rows, np.ones((3, 2)))
    with pytest.raises(TypeError, match="rows: expected an integer dtype, got float64"):
        compiled.coalesce_rows(rows.astype(float), values)
    with pytest.raises(TypeError, match=r"state_sum: expected dtype float64 \(that of weight\), got float32"):
        compiled.adagrad_rows_update(weight, np.zeros((5, 2), np.float32), rows, values, 0.1, 1e-10)
    with pytest.raises(ValueError, match=r"exp_avg_sq: expected shape \(5, 2\)"):
        compiled.sparse_adam_rows_update(weight, np.zeros((5, 2)), np.zeros((4, 2)), rows, values,
                                        1e-3, 0.9, 0.999, 1e-8, 1)
    with pytest.raises(ValueError, match="step: expected .* counting from 1, got 0"):
        compiled.sparse_adam_rows_update(weight, np.zeros((5, 2)), np.zeros((5, 2)), rows, values,
                                        1e-3, 0.9, 0.999, 1e-8, 0)


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="needs compiled dispatchers")
def test_each_kernel_compiles_once_per_float_dtype(rng):
    for dtype in DTYPES:
        for num_rows, dim in [(6, 2), (50, 9)]:
            weight = rng.standard_normal((num_rows, dim)).astype(dtype)
            for rows in (np.array([0, 3]), np.array([1, 5], dtype=np.int32)):
                values = rng.standard_normal((2, 2 * dim)).astype(dtype)[:, ::2]
                compiled.sgd_rows_update(weight, rows, values, 0.1)
                compiled.sparse_adam_rows_update(weight, np.zeros_like(weight), np.zeros_like(weight), rows, values,
                                                1e-3, 0.9, 0.999, 1e-8, 3)
    assert len(kernels._sgd_rows.signatures) == 2
    # (other tests may have run the threaded build too: at most once per dtype as well)
    assert len(kernels._sparse_adam_rows.serial.signatures) == 2
    assert len(kernels._sparse_adam_rows.threaded.signatures) <= 2

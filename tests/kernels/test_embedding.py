"""Numba embedding kernels against the NumPy reference backend."""
import inspect

import numba
import numpy as np
import pytest

from fastgrad.backends import numpy as reference
from fastgrad.kernels import embedding as kernels
from fastgrad.kernels.registry import implementations

compiled = implementations("numba")  # each kernel behind its check, as the compiled backend runs it

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-5, np.float64: 1e-10}


def assert_close(actual, expected, dtype):
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=RTOL[dtype], atol=RTOL[dtype])


def assert_sparse_equal(actual, expected, dtype):
    (rows, values), (expected_rows, expected_values) = actual, expected
    assert rows.dtype == np.int64
    np.testing.assert_array_equal(rows, expected_rows)
    assert_close(values, expected_values, dtype)


def scatter(rows, values, num_rows):
    dense = np.zeros((num_rows, values.shape[1]), dtype=values.dtype)
    np.add.at(dense, rows, values)
    return dense


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding_idx", [-1, 0, 3])
@pytest.mark.parametrize("ids_shape", [(30,), (5, 6), (1,)])
def test_embedding_backward_matches_reference(rng, dtype, padding_idx, ids_shape):
    num_rows, dim = 6, 4  # few rows, so ids repeat and hit the padding row
    ids = rng.integers(0, num_rows, ids_shape)
    g = rng.standard_normal(ids_shape + (dim,)).astype(dtype)
    dense = compiled.embedding_backward(ids, g, num_rows, padding_idx, False)
    assert_close(dense, reference.embedding_backward(ids, g, num_rows, padding_idx, False), dtype)
    sparse = compiled.embedding_backward(ids, g, num_rows, padding_idx, True)
    assert_sparse_equal(sparse, reference.embedding_backward(ids, g, num_rows, padding_idx, True), dtype)
    assert_close(scatter(*sparse, num_rows), dense, dtype)
    if padding_idx >= 0:
        assert padding_idx not in sparse[0]
        assert not dense[padding_idx].any()


def test_embedding_backward_accepts_gradient_flattened_to_rows(rng):
    """The op passes g as (ids.size, d) while ids keep their (B, L) shape."""
    ids = rng.integers(0, 9, (3, 4))
    g = rng.standard_normal((12, 5))
    np.testing.assert_allclose(compiled.embedding_backward(ids, g, 9, -1, False),
                               reference.embedding_backward(ids, g, 9, -1, False), rtol=1e-10)


@pytest.mark.parametrize("sparse", [False, True])
def test_backward_of_no_ids_is_zero(sparse):
    """(The reference cannot reshape a gradient of zero rows, so the expected values are spelled out.)"""
    ids, num_rows = np.array([], dtype=np.int64), 4
    for result in (compiled.embedding_backward(ids, np.zeros((0, 3)), num_rows, -1, sparse),
                   compiled.embedding_bag_backward(ids, np.array([0, 0]), np.ones((2, 3)), "mean", num_rows, sparse)):
        if sparse:
            rows, values = result
            assert rows.shape == (0,) and values.shape == (0, 3)
        else:
            np.testing.assert_array_equal(result, np.zeros((num_rows, 3)))


def test_sparse_gradients_never_allocate_a_dense_table(rng):
    """A (num_rows, d) array of 10^12 rows could not be allocated, so these calls prove there is none."""
    huge = 10**12
    ids = np.array([5, huge - 1, 5])
    rows, values = compiled.embedding_backward(ids, np.ones((3, 4)), huge, -1, True)
    np.testing.assert_array_equal(rows, ids)
    rows, values = compiled.embedding_bag_backward(ids, np.array([0, 1]), np.ones((2, 4)), "mean", huge, True)
    np.testing.assert_array_equal(values[:, 0], [1.0, 0.5, 0.5])


BAG_CASES = [
    (np.array([3, 1, 4, 1, 5, 9, 2, 6]), np.array([0, 3, 3, 5])),  # an empty bag in the middle
    (np.array([3, 1, 4]), np.array([0, 3])),  # an empty last bag
    (np.array([7]), np.array([0])),  # one id
    (np.array([], dtype=np.int64), np.array([0, 0])),  # only empty bags
    (np.array([2, 2, 2, 2]), np.array([0, 1, 2])),  # repeated ids
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("ids, offsets", BAG_CASES)
def test_embedding_bag_matches_reference(rng, dtype, mode, ids, offsets):
    weight = rng.standard_normal((10, 6)).astype(dtype)
    out = compiled.embedding_bag(weight, ids, offsets, mode)
    assert_close(out, reference.embedding_bag(weight, ids, offsets, mode), dtype)
    lengths = np.diff(np.append(offsets, ids.size))
    assert not out[lengths == 0].any()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("ids, offsets", [case for case in BAG_CASES if case[0].size])
def test_embedding_bag_backward_matches_reference(rng, dtype, mode, ids, offsets):
    num_rows = 10
    g = rng.standard_normal((offsets.size, 6)).astype(dtype)
    dense = compiled.embedding_bag_backward(ids, offsets, g, mode, num_rows, False)
    assert_close(dense, reference.embedding_bag_backward(ids, offsets, g, mode, num_rows, False), dtype)
    sparse = compiled.embedding_bag_backward(ids, offsets, g, mode, num_rows, True)
    assert_sparse_equal(sparse, reference.embedding_bag_backward(ids, offsets, g, mode, num_rows, True), dtype)
    assert_close(scatter(*sparse, num_rows), dense, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_bag_at_training_size_matches_reference(rng, dtype):
    """64 bags of 20 ids over a 2000-row table, as in the DAN benchmark (with a smaller table)."""
    weight = rng.standard_normal((2000, 30)).astype(dtype)
    ids, offsets = rng.integers(0, 2000, 64 * 20), np.arange(0, 64 * 20, 20)
    g = rng.standard_normal((64, 30)).astype(dtype)
    assert_close(compiled.embedding_bag(weight, ids, offsets, "mean"),
                 reference.embedding_bag(weight, ids, offsets, "mean"), dtype)
    assert_sparse_equal(compiled.embedding_bag_backward(ids, offsets, g, "mean", 2000, True),
                        reference.embedding_bag_backward(ids, offsets, g, "mean", 2000, True), dtype)


def test_inputs_are_not_modified_and_outputs_do_not_alias_them(rng):
    ids = np.array([1, 2, 1])
    g = rng.standard_normal((3, 4))
    rows, values = compiled.embedding_backward(ids, g, 5, -1, True)
    rows[:] = 0
    values[:] = 0
    np.testing.assert_array_equal(ids, [1, 2, 1])
    assert g.any()


def test_non_contiguous_and_narrow_integer_inputs(rng):
    weight = rng.standard_normal((20, 12))[:, ::2]
    ids = rng.integers(0, 20, 10).astype(np.int32)[::2]
    offsets = np.array([0, 2], dtype=np.uint8)
    np.testing.assert_allclose(compiled.embedding_bag(weight, ids, offsets, "sum"),
                               reference.embedding_bag(weight, ids, offsets.astype(np.int64), "sum"), rtol=1e-10)


@pytest.fixture
def no_kernel(monkeypatch):
    """Replace every compiled loop by one that fails, to show the checks run before any of them."""
    def must_not_run(*args):
        raise AssertionError("a compiled kernel ran before the arguments were checked")
    for name in ("_scatter_add_rows", "_rows_without_padding", "_bag_reduce", "_bag_grad_per_id",
                 "_bag_grad_scatter"):
        monkeypatch.setattr(kernels, name, must_not_run)


@pytest.mark.parametrize("bad_id", [10, 11, -1])
def test_out_of_range_ids_raise_index_error_naming_index_and_size(no_kernel, bad_id):
    weight = np.zeros((10, 3))
    ids = np.array([0, bad_id, 2])
    with pytest.raises(IndexError, match=rf"index {bad_id} .*size 10"):
        compiled.embedding_backward(ids, np.zeros((3, 3)), 10, -1, True)
    with pytest.raises(IndexError, match=rf"index {bad_id}"):
        compiled.embedding_bag(weight, ids, np.array([0]), "sum")
    with pytest.raises(IndexError, match=rf"index {bad_id}"):
        compiled.embedding_bag_backward(ids, np.array([0]), np.zeros((1, 3)), "mean", 10, False)


@pytest.mark.parametrize("offsets, message", [
    (np.array([1, 2]), r"offsets\[0\] must be 0"),
    (np.array([0, 3, 2]), r"non-decreasing"),
    (np.array([0, 5]), r"past the end of ids \(size 4\)"),
    (np.array([], dtype=np.int64), r"empty"),
])
def test_bad_offsets_raise_index_error(no_kernel, offsets, message):
    weight, ids = np.zeros((10, 3)), np.array([1, 2, 3, 4])
    with pytest.raises(IndexError, match=message):
        compiled.embedding_bag(weight, ids, offsets, "mean")
    with pytest.raises(IndexError, match=message):
        compiled.embedding_bag_backward(ids, offsets, np.zeros((offsets.size, 3)), "mean", 10, True)


def test_wrong_types_and_shapes_raise_clearly(no_kernel):
    weight, ids = np.zeros((10, 3)), np.array([1, 2])
    with pytest.raises(TypeError, match="ids: expected an integer dtype, got float64"):
        compiled.embedding_backward(ids.astype(float), np.zeros((2, 3)), 10, -1, True)
    with pytest.raises(TypeError, match="weight: expected dtype float32 or float64, got int64"):
        compiled.embedding_bag(weight.astype(np.int64), ids, np.array([0]), "sum")
    with pytest.raises(ValueError, match=r"weight: expected a 2-D array, got shape \(30,\)"):
        compiled.embedding_bag(weight.reshape(-1), ids, np.array([0]), "sum")
    with pytest.raises(TypeError, match="g: expected dtype float32 or float64, got int64"):
        compiled.embedding_backward(ids, np.zeros((2, 3), dtype=np.int64), 10, -1, True)
    with pytest.raises(ValueError, match=r"g: expected one row of d values per id"):
        compiled.embedding_backward(ids, np.zeros((3, 3)), 10, -1, False)
    with pytest.raises(ValueError, match=r"mode: expected one of \('sum', 'mean'\), got 'max'"):
        compiled.embedding_bag(weight, ids, np.array([0]), "max")
    with pytest.raises(ValueError, match=r"ids: expected a 1-D array"):
        compiled.embedding_bag(weight, ids.reshape(1, 2), np.array([0]), "sum")
    with pytest.raises(ValueError, match=r"g: expected one row per bag \(1\)"):
        compiled.embedding_bag_backward(ids, np.array([0]), np.zeros((2, 3)), "sum", 10, True)
    with pytest.raises(TypeError, match="num_rows: expected an int"):
        compiled.embedding_backward(ids, np.zeros((2, 3)), 10.0, -1, True)


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="needs compiled dispatchers")
def test_each_kernel_compiles_once_per_float_dtype(rng):
    """Shapes, layouts and index widths must not add specialisations: the wrappers pin the types."""
    for dtype in DTYPES:
        for num_rows, dim in [(5, 2), (40, 7)]:
            weight = rng.standard_normal((num_rows, 2 * dim)).astype(dtype)[:, ::2]
            for ids in (rng.integers(0, num_rows, 6), rng.integers(0, num_rows, 6).astype(np.int32)):
                compiled.embedding_bag(weight, ids, np.array([0, 2], dtype=ids.dtype), "mean")
                compiled.embedding_bag_backward(ids, np.array([0, 2]), weight[:2], "sum", num_rows, True)
    for loop in (kernels._bag_reduce, kernels._bag_grad_per_id):
        # These small calls ran the serial build; other tests may have compiled the threaded one, at
        # most once per dtype as well.
        assert len(loop.serial.signatures) == 2
        assert len(loop.threaded.signatures) <= 2

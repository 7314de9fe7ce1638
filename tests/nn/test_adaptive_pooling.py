"""F.adaptive_avg_pool1d/2d and F.adaptive_max_pool1d/2d without PyTorch: gradcheck over hypothesis shapes on
every backend, the windows' definition, and the arguments they refuse."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from fastgrad.testing import check_gradients as check

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
sizes = st.integers(1, 5)
output_sizes = st.integers(0, 6)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(batch=st.integers(0, 2), height=sizes, width=sizes, out=st.tuples(output_sizes, output_sizes),
       keep=st.sampled_from([None, 0, 1]), seed=st.integers(0, 2**16))
def test_gradcheck_2d(backend_name, batch, height, width, out, keep, seed):
    x = np.random.default_rng(seed).permutation(max(batch, 1) * 2 * height * width) * 0.1  # no ties: one max each
    x = x[:batch * 2 * height * width].reshape(batch, 2, height, width) if batch else x.reshape(2, height, width)
    out = tuple(None if d == keep else size for d, size in enumerate(out))
    check(backend_name, lambda x: F.adaptive_max_pool2d(x, out), fastgrad.tensor(x, requires_grad=True))
    check(backend_name, lambda x: F.adaptive_avg_pool2d(x, out), fastgrad.tensor(x, requires_grad=True))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(length=sizes, out=output_sizes, seed=st.integers(0, 2**16))
def test_gradcheck_1d(backend_name, length, out, seed):
    x = np.random.default_rng(seed).permutation(2 * 3 * length).reshape(2, 3, length) * 0.1
    check(backend_name, lambda x: F.adaptive_max_pool1d_with_indices(x, out)[0], fastgrad.tensor(x, requires_grad=True))
    check(backend_name, lambda x: F.adaptive_avg_pool1d(x[0], out), fastgrad.tensor(x, requires_grad=True))


def test_windows_overlap_and_indices_are_flat_positions():
    x = fastgrad.arange(15.0).reshape(1, 3, 5)
    # 3 rows to 2 windows: rows [0, 2) and [1, 3); 5 columns to 3: [0, 2), [1, 4), [3, 5)
    means = [[(0 + 1 + 5 + 6) / 4, (1 + 2 + 3 + 6 + 7 + 8) / 6, (3 + 4 + 8 + 9) / 4],
             [(5 + 6 + 10 + 11) / 4, (6 + 7 + 8 + 11 + 12 + 13) / 6, (8 + 9 + 13 + 14) / 4]]
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, (2, 3)).numpy(), [means])
    values, indices = F.adaptive_max_pool2d(x, (2, 3), return_indices=True)
    assert indices.tolist() == [[[6, 8, 9], [11, 13, 14]]] and indices.dtype == fastgrad.int64
    np.testing.assert_array_equal(values.numpy(), [[[6.0, 8.0, 9.0], [11.0, 13.0, 14.0]]])
    leaf = x.clone().requires_grad_()
    F.adaptive_max_pool2d(leaf, (2, 3)).sum().backward()
    assert leaf.grad.flatten().tolist() == [1.0 if i in (6, 8, 9, 11, 13, 14) else 0.0 for i in range(15)]


def test_ties_go_to_the_first_maximum_and_nan_wins():
    ties = fastgrad.ones(1, 2, 2)
    assert F.adaptive_max_pool2d(ties, 1, True)[1].tolist() == [[[0]]]
    nan = float("nan")
    with_nans = fastgrad.tensor([[[1.0, nan], [nan, 2.0]]])
    values, indices = F.adaptive_max_pool2d(with_nans, 1, True)
    assert np.isnan(values.item()) and indices.tolist() == [[[2]]]  # PyTorch's kernel: the last NaN it meets


def test_output_sizes_and_modules():
    x = fastgrad.zeros(2, 3, 5, 7)
    assert F.adaptive_avg_pool2d(x, (None, 3)).shape == (2, 3, 5, 3)
    assert F.adaptive_max_pool2d(x, [4, None]).shape == (2, 3, 4, 7)
    assert F.adaptive_max_pool2d(x[:0], 2).shape == (0, 3, 2, 2)
    assert F.adaptive_avg_pool2d(x, 0).shape == (2, 3, 0, 0)
    assert F.adaptive_max_pool2d_with_indices(x, 2)[1].shape == (2, 3, 2, 2)
    assert nn.AdaptiveAvgPool2d((None, 2))(x).shape == (2, 3, 5, 2)
    pool = nn.AdaptiveMaxPool2d(3, return_indices=True)
    assert pool(x[0])[1].shape == (3, 3, 3) and repr(pool) == "AdaptiveMaxPool2d(output_size=3)"


def test_bad_arguments():
    x = fastgrad.zeros(2, 3, 5, 7)
    cases = [
        (lambda: F.adaptive_avg_pool2d(x, -1), RuntimeError,
         r"adaptive_avg_pool2d: output_size must be at least 0, got -1"),
        (lambda: F.adaptive_max_pool2d(x, (1, 2, 3)), RuntimeError,
         r"output_size must be an int or a tuple of 2 ints or Nones, got \(1, 2, 3\)"),
        (lambda: F.adaptive_max_pool2d(x, (2,)), RuntimeError, r"adaptive_max_pool2d: output_size must be .*, got \(2,\)"),
        (lambda: F.adaptive_avg_pool2d(x, 2.0), TypeError,
         "output_size must be an int or a tuple of 2 ints or Nones, got 2.0"),
        (lambda: F.adaptive_avg_pool2d(x, None), TypeError, "got None"),
        (lambda: F.adaptive_avg_pool2d(x, True), TypeError, "got True"),
        (lambda: F.adaptive_max_pool1d(x[0], (None,)), TypeError,
         r"adaptive_max_pool1d: output_size must be an int or a tuple of 1 int, got \(None,\)"),
        (lambda: F.adaptive_avg_pool2d(x[0, 0], 2), RuntimeError,
         r"expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got \(5, 7\)"),
        (lambda: F.adaptive_max_pool2d(x[None], 2), RuntimeError, r"adaptive_max_pool2d: expected a 3-D"),
        (lambda: F.adaptive_avg_pool2d(x[:, :, :0], 2), RuntimeError,
         r"non-empty sizes in its last 2 dims, got shape \(2, 3, 0, 7\)"),
        (lambda: F.adaptive_max_pool2d(x[:, :0], 2), RuntimeError,
         r"non-empty sizes in its last 3 dims, got shape \(2, 0, 5, 7\)"),
        (lambda: F.adaptive_max_pool2d(x.long(), 2), NotImplementedError,
         "adaptive_max_pool2d: expected a floating point input, got dtype int64"),
    ]
    cases.append((lambda: F.adaptive_max_pool2d([[1.0]], 1), TypeError, r"expected a 3-D .* input, got list"))
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()

"""A view used after its base changed in place, where the base is dense but not in C order (a clamp of a permuted
tensor keeps the permuted layout): its gradient reaches the base's history, as PyTorch 2.13's (backward raised
NumPy's 'ndarray is not contiguous')."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("permutation", [(0, 2, 1), (2, 1, 0), (1, 0, 2)])
def test_a_view_of_a_permuted_layout_base_changed_in_place(permutation):
    def gradient(lib):
        x = lib.tensor(np.arange(1.0, 25.0).reshape(2, 3, 4), dtype=lib.float64, requires_grad=True)
        y = x.permute(*permutation).clamp(min=0.1)
        v = y.select(-1, 0)
        y.mul_(3)
        (v * lib.arange(1.0, 1.0 + v.numel(), dtype=lib.float64).reshape(v.shape)).sum().backward()
        return x.grad.numpy()

    np.testing.assert_array_equal(gradient(fastgrad), gradient(torch))


@pytest.mark.parametrize("make", [lambda x: x.reshape(1, 3, 3).transpose(0, 1).clone(),  # strides (24, 72, 8)
                                  lambda x: x.reshape(3, 3)[:1, ::3].clone()])  # shape (1, 1), strides (24, 24)
def test_a_base_whose_size_one_dims_have_odd_strides_takes_writes_through_an_index(make):
    """A copy keeps any stride on a dim of size 1, where no element is ever stepped to; backward refused such a base
    ('memory layout not supported') when a write through an index (y[0, [0]] += v) changed it."""
    def gradient(lib):
        x = lib.tensor(np.arange(1.0, 10.0), dtype=lib.float64, requires_grad=True)
        y = make(x)
        y[(0,) * (y.ndim - 1) + (lib.tensor([0]),)] += lib.tensor([5.0], dtype=lib.float64)
        (y * lib.arange(1.0, 1.0 + y.numel(), dtype=lib.float64).reshape(y.shape)).sum().backward()
        return x.grad.numpy()

    np.testing.assert_array_equal(gradient(fastgrad), gradient(torch))

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

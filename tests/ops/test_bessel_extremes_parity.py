"""The modified Bessel functions i0, i1 and their scaled forms at the largest finite magnitudes: e^|x| overflows to
inf, as PyTorch's, and the scaled ones keep their 1 / sqrt(2 pi |x|) decay (2 pi |x| itself overflows there: the
results were NaN and 0)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

FUNCTIONS = ["i0", "special.i0e", "special.i1", "special.i1e"]


def function(lib, name):
    for part in name.split("."):
        lib = getattr(lib, part)
    return lib


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("dtype, values", [("float64", [1.79e308, -1e300, 3e307, 800.0, -26.5]),
                                           ("float32", [3.4e38, -3e38, 1e30])])
def test_at_the_largest_magnitudes(name, dtype, values):
    ours = function(fastgrad, name)(fastgrad.tensor(values, dtype=getattr(fastgrad, dtype)))
    theirs = function(torch, name)(torch.tensor(values, dtype=getattr(torch, dtype)))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6 if dtype == "float64" else 1e-5)

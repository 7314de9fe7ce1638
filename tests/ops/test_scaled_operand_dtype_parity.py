"""add/sub with alpha of a 0-d float operand and an integer tensor: the result is the 0-d operand's float dtype, as
PyTorch 2.13's promotion gives (the scaled operand was held as a NumPy scalar, whose dtype did not count: float32)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("call", [lambda lib, i, f: i.add(f, alpha=2), lambda lib, i, f: i.sub(f, alpha=2),
                                  lambda lib, i, f: lib.add(i, f, alpha=3), lambda lib, i, f: i.float().add(f, alpha=2)])
@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
def test_scaled_zero_dim_operand_keeps_its_dtype_in_promotion(call, backend):
    with fastgrad.backend(backend):
        ours = call(fastgrad, fastgrad.tensor([1, 2]), fastgrad.tensor(1.5, dtype=fastgrad.float64))
    theirs = call(torch, torch.tensor([1, 2]), torch.tensor(1.5, dtype=torch.float64))
    assert str(ours.dtype) == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())

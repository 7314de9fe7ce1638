"""In-place arithmetic whose promoted dtype is wider than the written tensor's: PyTorch computes in the wider dtype
and rounds the result once into the tensor's, so neither operand may be cast down first."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def both(values, dtype):
    return fastgrad.tensor(values, dtype=getattr(fastgrad, dtype)), torch.tensor(values, dtype=getattr(torch, dtype))


@pytest.mark.parametrize("method, values, dtype, other, other_dtype", [
    ("mul_", [1e-30, 3.0], "float32", [1e39, 1 / 3], "float64"),  # 1e39 is inf in float32, the product is not
    ("div_", [1e-30, 3.0], "float32", [1e-50, 3.0], "float64"),  # 1e-50 is 0 in float32
    ("add_", [1.0, 1.0], "float32", [2.0 ** -24 + 2.0 ** -50, -(2.0 ** -25)], "float64"),  # one rounding, not two
    ("pow_", [2, 3, 9, 3], "int8", [258, 2, -6, -1], "int64"),  # an exponent wrapped into int8 would be 2, 250, 255
    ("pow_", [9, 3, 1], "uint8", [-6, -1, -3], "int64"),
    ("__ipow__", [2, 3], "int16", [65538, 2], "int64"),
    ("__imul__", [1e-30], "float32", [1e39], "float64"),
])
def test_in_place_computes_in_the_promoted_dtype(method, values, dtype, other, other_dtype):
    ours, theirs = both(values, dtype)
    our_other, their_other = both(other, other_dtype)
    assert getattr(ours, method)(our_other) is ours
    getattr(theirs, method)(their_other)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_in_place_in_the_promoted_dtype_is_differentiable_and_writes_through_a_view():
    x = fastgrad.tensor([1e-30, 3.0], requires_grad=True)
    w = fastgrad.tensor([1e39, 1 / 3], dtype=fastgrad.float64, requires_grad=True)
    tx = torch.tensor([1e-30, 3.0], requires_grad=True)
    tw = torch.tensor([1e39, 1 / 3], dtype=torch.float64, requires_grad=True)
    y, ty = x * 2, tx * 2
    y.mul_(w)
    ty.mul_(tw)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-6)
    assert w.grad.dtype == fastgrad.float64

    base, their_base = both([[1e-30, 2.0], [3.0, 4.0]], "float32")
    base.t().mul_(fastgrad.tensor([[1e39, 1.0], [1.0, 1e39]], dtype=fastgrad.float64))
    their_base.t().mul_(torch.tensor([[1e39, 1.0], [1.0, 1e39]], dtype=torch.float64))
    np.testing.assert_array_equal(base.numpy(), their_base.numpy())


def test_in_place_in_the_promoted_dtype_still_refuses_an_expanded_target():
    with pytest.raises(RuntimeError):
        torch.tensor([1.0]).expand(3).mul_(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    with pytest.raises(RuntimeError, match="read-only"):
        fastgrad.tensor([1.0]).expand(3).mul_(fastgrad.tensor([1.0, 2.0, 3.0], dtype=fastgrad.float64))

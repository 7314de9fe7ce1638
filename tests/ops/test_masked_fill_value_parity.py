"""masked_fill's value as a 0-d tensor is checked as a number is: one the result's dtype cannot hold raises, as in
PyTorch, rather than being wrapped or cast to a plausible number; a value requiring grad cannot fill an integer
tensor while grad mode is on."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

REFUSED = [("uint8", -0.31, "float64"), ("uint8", 300, "int64"), ("int32", -2 ** 63 + 1, "int64"),
           ("float32", 1e300, "float64"), ("int8", float("nan"), "float32"), ("int8", float("inf"), "float32")]
ACCEPTED = [("uint8", 2.7, "float64"), ("uint8", -1, "int64"), ("bool", 2, "int64"), ("bool", 0.5, "float32"),
            ("int16", -32768, "int64"), ("float32", -0.0, "float64")]


def fill(lib, dtype, value, value_dtype, method="masked_fill", shape=(2,)):
    target = lib.ones(shape, dtype=getattr(lib, dtype))
    mask = lib.tensor([True, False][:shape[-1]] or [True])
    return getattr(target, method)(mask, lib.tensor(value, dtype=getattr(lib, value_dtype)))


@pytest.mark.parametrize("shape", [(2,), (3, 0)])  # (3, 0): refused even where nothing is filled
@pytest.mark.parametrize("method", ["masked_fill", "masked_fill_"])
@pytest.mark.parametrize("dtype, value, value_dtype", REFUSED)
def test_a_tensor_value_the_dtype_cannot_hold_raises(method, dtype, value, value_dtype, shape):
    for lib in (torch, fastgrad):
        with pytest.raises(RuntimeError, match="without overflow"):
            fill(lib, dtype, value, value_dtype, method, shape)


@pytest.mark.parametrize("dtype, value, value_dtype", ACCEPTED)
def test_a_tensor_value_the_dtype_holds_fills(dtype, value, value_dtype):
    ours, theirs = fill(fastgrad, dtype, value, value_dtype), fill(torch, dtype, value, value_dtype)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert np.signbit(ours.numpy()).tolist() == np.signbit(theirs.numpy()).tolist()


def test_a_value_requiring_grad_cannot_fill_an_integer_tensor():
    for lib in (torch, fastgrad):
        value = lib.tensor(3.0, requires_grad=True)
        with pytest.raises(RuntimeError):
            lib.tensor([1, 2], dtype=lib.int8).masked_fill(lib.tensor([True, False]), value)
        with lib.no_grad():
            assert lib.tensor([1, 2], dtype=lib.int8).masked_fill(lib.tensor([True, False]), value).tolist() == [3, 2]
        filled = lib.tensor([1.0, 2.0]).masked_fill(lib.tensor([True, False]), value)
        filled.sum().backward()
        assert value.grad.item() == 1.0

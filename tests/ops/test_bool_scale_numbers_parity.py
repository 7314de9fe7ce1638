"""A bool as lerp's weight and as addcmul's and addcdiv's value, which PyTorch takes as the number 1 or 0 (np.True_
as the float 1.0): fastgrad refused both bools. A whole float value with integer tensors keeps addcmul's result
integer, as PyTorch casts the value to the tensors' dtype (fastgrad made it float32)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

BOOLS = [True, False, np.True_, np.False_]
CALLS = {
    "lerp": lambda lib, b: lib.lerp(lib.tensor([1.0, 2.0]), lib.tensor([3.0, 7.0]), b),
    "lerp_": lambda lib, b: lib.tensor([1.0, 2.0]).lerp_(lib.tensor([3.0, 7.0]), weight=b),
    "addcmul": lambda lib, b: lib.addcmul(lib.tensor([1.0, 2.0]), lib.tensor([2.0, 3.0]), lib.tensor([4.0, 5.0]),
                                          value=b),
    "addcmul_": lambda lib, b: lib.tensor([1.0, 2.0]).addcmul_(lib.tensor([2.0, 3.0]), lib.tensor([4.0, 5.0]), value=b),
    "addcdiv": lambda lib, b: lib.addcdiv(lib.tensor([1.0, 2.0]), lib.tensor([2.0, 3.0]), lib.tensor([4.0, 5.0]),
                                          value=b),
    "addcmul int64": lambda lib, b: lib.addcmul(lib.tensor([1, 2]), lib.tensor([2, 3]), lib.tensor([4, 5]), value=b),
    "addcmul_ int8": lambda lib, b: lib.tensor([1, 2], dtype=lib.int8).addcmul_(
        lib.tensor([2, 3], dtype=lib.int8), lib.tensor([4, 5], dtype=lib.int8), value=b),
    "addcdiv int64": lambda lib, b: lib.addcdiv(lib.tensor([1, 2]), lib.tensor([2.0, 3.0]), lib.tensor([4.0, 5.0]),
                                                value=b),
}


@pytest.mark.parametrize("value", BOOLS, ids=lambda v: f"{type(v).__name__}({v})")
@pytest.mark.parametrize("call", CALLS)
def test_a_bool_scale_is_the_number_torch_reads(call, value):
    ours, theirs = CALLS[call](fastgrad, value), CALLS[call](torch, value)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert ours.tolist() == theirs.tolist()


def test_a_bool_weight_passes_the_gradient_as_torch():
    grads = []
    for lib in (torch, fastgrad):
        start = lib.tensor([1.0, 2.0], requires_grad=True)
        lib.lerp(start, start * 3, np.True_).sum().backward()
        grads.append(start.grad.tolist())
    assert grads[0] == grads[1]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_a_whole_float_value_keeps_addcmul_integer(dtype):
    results = []
    for lib in (torch, fastgrad):
        ints = lib.tensor([1, 2], dtype=getattr(lib, dtype))
        result = lib.addcmul(ints, ints, ints, value=2.0)
        results.append((str(result.dtype).replace("torch.", ""), result.tolist()))
    assert results[0] == results[1]


def test_addcmul_of_bool_tensors_is_refused_with_a_bool_value_too():
    for lib in (torch, fastgrad):
        flags = lib.tensor([True, False])
        with pytest.raises(NotImplementedError):
            lib.addcmul(flags, flags, flags, value=np.True_)


@pytest.mark.parametrize("value", [2**62, np.int64(2**62 + 1), 3.0], ids=repr)
def test_an_integer_value_with_integer_tensors_stays_exact(value):
    results = []
    for lib in (torch, fastgrad):
        ints = lib.tensor([0, 1])
        results.append(lib.addcmul(ints, ints, ints, value=value).tolist())
    assert results[0] == results[1]

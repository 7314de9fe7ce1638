"""Shapes that do not broadcast: every elementwise op with two or more tensor operands, out of place and in place,
raises PyTorch's RuntimeError ("The size of tensor a (3) must match the size of tensor b (4) at non-singleton
dimension 0"), not NumPy's ValueError, so code catching PyTorch's type catches fastgrad's. fastgrad's message
names the op, the first sizes that differ (as PyTorch's) and every shape."""
import operator

import numpy as np
import pytest

import fastgrad
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")


def ones(lib, *shape, dtype=None):
    return lib.ones(*shape, dtype=getattr(lib, dtype) if dtype else None)


CALLS = {
    "a + b": lambda lib, a, b: a + b,
    "a - b": lambda lib, a, b: a - b,
    "a * b": lambda lib, a, b: a * b,
    "a / b": lambda lib, a, b: a / b,
    "a ** b": lambda lib, a, b: a ** b,
    "a // b": lambda lib, a, b: a // b,
    "a % b": lambda lib, a, b: a % b,
    "mul": lambda lib, a, b: lib.mul(a, b),
    "div rounding": lambda lib, a, b: lib.div(a, b, rounding_mode="floor"),
    "atan2": lambda lib, a, b: lib.atan2(a, b),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "fmin": lambda lib, a, b: lib.fmin(a, b),
    "hypot": lambda lib, a, b: lib.hypot(a, b),
    "xlogy": lambda lib, a, b: lib.xlogy(a, b),
    "copysign": lambda lib, a, b: lib.copysign(a, b),
    "lerp": lambda lib, a, b: lib.lerp(a, b, 0.5),
    "addcmul": lambda lib, a, b: lib.addcmul(a, a, b),
    "a < b": lambda lib, a, b: a < b,
    "a == b": lambda lib, a, b: a == b,
    "ge": lambda lib, a, b: lib.ge(a, b),
    "logical_and": lambda lib, a, b: lib.logical_and(a, b),
    "isclose": lambda lib, a, b: lib.isclose(a, b),
    "heaviside": lambda lib, a, b: lib.heaviside(a, b),
    "clamp": lambda lib, a, b: lib.clamp(a, min=b),
    "where": lambda lib, a, b: lib.where(a > 0, a, b),
    "broadcast_tensors": lambda lib, a, b: lib.broadcast_tensors(a, b),
    "masked_fill": lambda lib, a, b: a.masked_fill(b > 0, 0.0),
    "normal": lambda lib, a, b: lib.normal(a, b),
    "a.add_(b)": lambda lib, a, b: a.add_(b),
    "a.sub_(b)": lambda lib, a, b: a.sub_(b),
    "a *= b": lambda lib, a, b: a.__imul__(b),
    "a.div_(b)": lambda lib, a, b: a.div_(b),
    "a.pow_(b)": lambda lib, a, b: a.pow_(b),
    "a.lt_(b)": lambda lib, a, b: a.lt_(b),
    "a.copy_(b)": lambda lib, a, b: a.copy_(b),
    "float32 a.add_(float64 b)": lambda lib, a, b: a.add_(b.double()),
    "a + b requiring grad": lambda lib, a, b: a.requires_grad_() + b,
    "a.mul_(b) recorded": lambda lib, a, b: (a.requires_grad_() * 1).mul_(b),
}
INTEGER_CALLS = {
    "a & b": lambda lib, a, b: a & b,
    "bitwise_xor": lambda lib, a, b: lib.bitwise_xor(a, b),
    "a |= b": lambda lib, a, b: a.__ior__(b),
}
SHAPES = [((3,), (4,)), ((2, 3), (4,)), ((2, 3), (3, 3)), ((5, 1, 2), (4, 3))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(CALLS) + list(INTEGER_CALLS))
def test_shapes_that_do_not_broadcast_raise_pytorch_s_runtime_error(name, shapes):
    call, dtype = (CALLS[name], None) if name in CALLS else (INTEGER_CALLS[name], "int64")
    theirs = outcome(lambda: call(torch, *(ones(torch, *s, dtype=dtype) for s in shapes)))
    ours = outcome(lambda: call(fastgrad, *(ones(fastgrad, *s, dtype=dtype) for s in shapes)))
    assert isinstance(theirs, Raised) and type(theirs.error) is RuntimeError, theirs
    assert_raised_alike(ours, theirs, name)


@pytest.mark.parametrize("shapes, sizes", [
    (((3,), (4,)), (3, 4, 0)), (((2, 3), (4,)), (3, 4, 1)), (((2, 3), (3, 3)), (2, 3, 0)), (((5, 1, 2), (4, 3)), (2, 3, 2)),
], ids=str)
def test_the_message_names_the_sizes_and_dimension_pytorch_s_does(shapes, sizes):
    a, b = (fastgrad.ones(*s) for s in shapes)
    with pytest.raises(RuntimeError) as ours:
        a + b
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(*shapes[0]) + torch.ones(*shapes[1])
    size_a, size_b, dim = sizes
    expected = f"size of tensor a ({size_a}) must match the size of tensor b ({size_b}) at non-singleton dimension {dim}"
    assert expected in str(theirs.value)
    assert f"add: the {expected} (shapes {shapes[0]}, {shapes[1]} do not broadcast)" in str(ours.value)


def test_where_folds_its_three_shapes_as_pytorch_s():
    condition = fastgrad.ones(3, dtype=fastgrad.bool)
    with pytest.raises(RuntimeError, match=r"where: the size of tensor a \(3\) must match the size of tensor b \(5\) at "
                                           r"non-singleton dimension 0 \(shapes \(3,\), \(3,\), \(5,\) do not broadcast\)"):
        fastgrad.where(condition, fastgrad.ones(3), fastgrad.ones(5))
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(5\)"):
        torch.where(torch.ones(3, dtype=torch.bool), torch.ones(3), torch.ones(5))


def test_a_failed_in_place_op_leaves_the_tensor_and_its_version_as_they_were():
    x = fastgrad.ones(3)
    with pytest.raises(RuntimeError, match="add_: the size of tensor a"):
        x.add_(fastgrad.ones(4))
    assert x.tolist() == [1.0, 1.0, 1.0] and x._version == 0


# A tensor and a NumPy array: PyTorch's operators hand the pair to NumPy, whose ValueError comes back (the tensor
# first; PyTorch's RuntimeError when NumPy asks for the values of a tensor that requires grad); with the array first,
# NumPy's operator cannot take a tensor and PyTorch has no reflected one (TypeError), bar division (the tensor's
# reciprocal times the array, handed to NumPy again). == compares as tensors. (Shapes that fit:
# test_array_operand_fuzz_parity.py.)
ARRAY_CALLS = {
    "t + nd": lambda t, nd: t + nd, "t - nd": lambda t, nd: t - nd, "t * nd": lambda t, nd: t * nd,
    "t / nd": lambda t, nd: t / nd, "t ** nd": lambda t, nd: t ** nd, "t // nd": lambda t, nd: t // nd,
    "t % nd": lambda t, nd: t % nd, "t @ nd": lambda t, nd: t @ nd, "t == nd": lambda t, nd: t == nd,
    "t += nd": operator.iadd, "t -= nd": operator.isub, "t *= nd": operator.imul, "t /= nd": operator.itruediv,
    "t **= nd": operator.ipow, "t //= nd": operator.ifloordiv,
    "nd + t": lambda t, nd: nd + t, "nd - t": lambda t, nd: nd - t, "nd * t": lambda t, nd: nd * t,
    "nd / t": lambda t, nd: nd / t, "nd ** t": lambda t, nd: nd ** t, "nd // t": lambda t, nd: nd // t,
    "nd % t": lambda t, nd: nd % t, "nd @ t": lambda t, nd: nd @ t, "nd == t": lambda t, nd: nd == t,
    "t + nd requiring grad": lambda t, nd: t.requires_grad_() + nd,
    "t @ nd requiring grad": lambda t, nd: t.requires_grad_() @ nd,
    "t *= nd requiring grad": lambda t, nd: operator.imul(t.requires_grad_() * 1, nd),
    "nd * t requiring grad": lambda t, nd: nd * t.requires_grad_(),
    "nd / t requiring grad": lambda t, nd: nd / t.requires_grad_(),
    "t + nd requiring grad, no_grad": lambda t, nd: no_grad_call(t, lambda: t.requires_grad_() + nd),
}
INTEGER_ARRAY_CALLS = {
    "t & nd": lambda t, nd: t & nd, "nd | t": lambda t, nd: nd | t, "nd ^ t": lambda t, nd: nd ^ t,
    "t &= nd": operator.iand,
}


def no_grad_call(tensor, call):
    with (torch if isinstance(tensor, torch.Tensor) else fastgrad).no_grad():
        return call()


@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2, 3), (4, 2)), ((2, 3), (3, 3))], ids=str)
@pytest.mark.parametrize("name", list(ARRAY_CALLS) + list(INTEGER_ARRAY_CALLS))
def test_a_numpy_array_that_does_not_fit_raises_pytorch_s_type(name, shapes):
    call, dtype = (ARRAY_CALLS[name], "float64") if name in ARRAY_CALLS else (INTEGER_ARRAY_CALLS[name], "int64")
    tensor_shape, array_shape = shapes
    if "@" in name and tensor_shape == (2, 3):
        array_shape = (4, 4)  # ((2, 3) @ (3, 3) and (4, 2) @ (2, 3) fit)
    theirs = outcome(lambda: call(ones(torch, *tensor_shape, dtype=dtype), np.ones(array_shape, dtype=dtype)))
    ours = outcome(lambda: call(ones(fastgrad, *tensor_shape, dtype=dtype), np.ones(array_shape, dtype=dtype)))
    assert isinstance(theirs, Raised), theirs
    assert_raised_alike(ours, theirs, name)


@pytest.mark.parametrize("name", [name for name in ARRAY_CALLS if name.startswith("nd ") and name[3] not in "=/"])
def test_an_array_first_that_fits_raises_type_error_as_pytorch_s(name):
    """PyTorch refuses these for any shapes (TypeError): fastgrad computed them, as the tensor first would."""
    tensor, array = np.ones((2, 3)), np.ones((4, 2) if "@" in name else (3,))
    with pytest.raises(TypeError):
        ARRAY_CALLS[name](torch.tensor(tensor), array)
    with pytest.raises(TypeError):
        ARRAY_CALLS[name](fastgrad.tensor(tensor), array)

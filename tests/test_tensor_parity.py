"""The legacy constructor `Tensor(...)` against `torch.Tensor(...)`: shapes, dtypes, values, memory sharing
and the refusals, under both default dtypes; Size against torch.Size; a NumPy bool as an operand."""
import numpy as np
import pytest

import fastgrad
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")

ARGUMENTS = {
    "nothing": lambda lib: (),
    "sizes": lambda lib: (2, 3),
    "one size": lambda lib: (4,),
    "zero size": lambda lib: (0, 2),
    "numpy int sizes": lambda lib: (np.int64(2), np.int32(1)),
    "Size": lambda lib: (lib.Size([3, 1]),),
    "0-dim int array": lambda lib: (np.array(3),),  # a size, as PyTorch reads it (was the data: tensor(3.))
    "int list": lambda lib: ([1, 2],),
    "nested list": lambda lib: ([[1, 2.5], [3, 4]],),
    "bool list": lambda lib: ([True, False],),
    "tuple": lambda lib: ((2,),),
    "range": lambda lib: (range(3),),  # (was refused)
    "int array": lambda lib: (np.array([1, 2]),),
    "float64 array": lambda lib: (np.array([1.5, 2.0]),),
    "float32 array": lambda lib: (np.array([1.5, 2.0], dtype=np.float32),),
    "int tensor": lambda lib: (lib.tensor([1, 2]),),
    "float64 tensor": lambda lib: (lib.tensor([1.0, 2.0], dtype=lib.float64),),
}


@pytest.fixture(params=["float32", "float64"])
def default(request):
    fastgrad.set_default_dtype(getattr(fastgrad, request.param))
    torch.set_default_dtype(getattr(torch, request.param))
    return request.param


@pytest.mark.parametrize("case", ARGUMENTS)
def test_legacy_constructor_matches_torch(default, case):
    ours, theirs = fastgrad.Tensor(*ARGUMENTS[case](fastgrad)), torch.Tensor(*ARGUMENTS[case](torch))
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    uninitialized = ("sizes", "one size", "zero size", "numpy int sizes", "Size", "0-dim int array")  # (in torch)
    if case not in uninitialized:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert not ours.requires_grad and not theirs.requires_grad


@pytest.mark.parametrize("lib_name", ["fastgrad", "torch"])
def test_legacy_constructor_shares_what_torch_shares(default, lib_name):
    lib = fastgrad if lib_name == "fastgrad" else torch
    same_dtype = np.array([1.0, 2.0], dtype=default)
    lib.Tensor(same_dtype)[0] = 5
    assert same_dtype[0] == 5  # an array of the default dtype: shared
    other_dtype = np.array([1.0, 2.0], dtype="float64" if default == "float32" else "float32")
    lib.Tensor(other_dtype)[0] = 5
    assert other_dtype[0] == 1  # converted: a copy
    t = lib.tensor([1, 2])
    alias = lib.Tensor(t)
    alias[0] = 7
    assert t[0].item() == 7 and alias is not t and t._version == alias._version


@pytest.mark.parametrize("args,kwargs", [
    ((2.5,), {}), ((True,), {}), ((2, 3.0), {}), (([1.0],), {"dtype": "float64"}),
    (([1.0],), {"requires_grad": True}), ((-1,), {}),
])
def test_legacy_constructor_refuses_what_torch_refuses(args, kwargs):
    def spelled(lib):
        return {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}
    with pytest.raises((TypeError, RuntimeError)) as theirs:
        torch.Tensor(*args, **spelled(torch))
    with pytest.raises(type(theirs.value)):
        fastgrad.Tensor(*args, **spelled(fastgrad))


@pytest.mark.parametrize("make", [lambda s: s[1:], lambda s: s[::-1], lambda s: s + (4,), lambda s: (4,) + s,
                                  lambda s: s * 2, lambda s: 2 * s, lambda s: s[0], lambda s: s[-1:].numel()])
def test_size_slices_and_concatenations_are_sizes_as_torchs(make):
    # x.shape[1:] was a plain tuple, without numel()
    ours, theirs = make(fastgrad.Size([2, 3, 5])), make(torch.Size([2, 3, 5]))
    assert ours == theirs and type(ours).__name__ == type(theirs).__name__


NUMPY_BOOL_OPERATIONS = {
    "t + b": lambda m, t, b: t + b, "b + t": lambda m, t, b: b + t, "t * b": lambda m, t, b: t * b,
    "t - b": lambda m, t, b: t - b, "b - t": lambda m, t, b: b - t, "t / b": lambda m, t, b: t / b,
    "t ** b": lambda m, t, b: t ** b, "b ** t": lambda m, t, b: b ** t, "t // b": lambda m, t, b: t // b,
    "t % b": lambda m, t, b: t % b, "t == b": lambda m, t, b: t == b, "t & b": lambda m, t, b: t & b,
    "add": lambda m, t, b: m.add(t, b), "sub(b, t)": lambda m, t, b: m.sub(b, t), "rsub": lambda m, t, b: m.rsub(t, b),
    "add alpha": lambda m, t, b: t.add(t, alpha=b), "clamp": lambda m, t, b: t.clamp(min=b),
    "clamp_max": lambda m, t, b: t.clamp_max(b), "result_type": lambda m, t, b: m.ones(1, dtype=m.result_type(t, b)),
}


@pytest.mark.parametrize("value", [np.True_, np.False_], ids=["True", "False"])
@pytest.mark.parametrize("dtype", ["int64", "uint8", "float32", "bool"])
@pytest.mark.parametrize("operation", NUMPY_BOOL_OPERATIONS)
def test_a_numpy_bool_beside_a_tensor_is_the_float_pytorch_reads_it_as(operation, dtype, value):
    # (PyTorch's scalar parser takes only Python's bool as a bool: int64 tensor + np.True_ is float32 1.0 + ...)
    call = NUMPY_BOOL_OPERATIONS[operation]
    ours, theirs = (outcome(lambda m=m: call(m, m.tensor(np.arange(3).astype(dtype)), value))
                    for m in (fastgrad, torch))
    assert_raised_alike(ours, theirs, f"{dtype} {operation} {value!r}")
    if not isinstance(theirs, Raised):
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


NUMPY_READS = {"numpy()": lambda t: t.numpy(), "np.asarray": np.asarray, "np.array": np.array,
               "np.exp": np.exp, "t + array": lambda t: t + np.ones(2)}


@pytest.mark.parametrize("read", NUMPY_READS)
@pytest.mark.parametrize("leaf", [True, False], ids=["leaf", "result"])
def test_numpy_refuses_a_tensor_that_requires_grad_in_grad_mode_as_pytorch(read, leaf):
    def call(lib, grad_mode=True):
        t = lib.ones(2, requires_grad=True)
        with lib.set_grad_enabled(grad_mode):
            return NUMPY_READS[read](t if leaf else t * 2)

    assert_raised_alike(outcome(lambda: call(fastgrad)), outcome(lambda: call(torch)), read)
    np.testing.assert_array_equal(np.asarray(call(fastgrad, False)), np.asarray(call(torch, False)))


def test_numpy_force_reads_a_tensor_that_requires_grad_as_pytorch():
    ours, theirs = (lib.ones(2, requires_grad=True) * 2 for lib in (fastgrad, torch))
    np.testing.assert_array_equal(ours.numpy(force=True), theirs.numpy(force=True))
    assert np.shares_memory(ours.numpy(force=True), ours.detach().numpy())


NUMPY_UFUNCS = {"np.exp": lambda m: np.exp(m.tensor([1.0, 2.0])), "np.exp of ints": lambda m: np.exp(m.tensor([1, 2])),
                "np.isnan": lambda m: np.isnan(m.tensor([1.0, np.nan])),
                "np.sqrt of a 0-d": lambda m: np.sqrt(m.tensor(4.0)),
                "np.add of an array": lambda m: np.add(m.tensor([1.0, 2.0]), np.ones(2)),
                "np.maximum": lambda m: np.maximum(m.tensor([1.0, 2.0]), 1.5),
                "np.modf": lambda m: np.modf(m.tensor([1.5, 2.25]))[0]}


@pytest.mark.parametrize("call", NUMPY_UFUNCS)
def test_a_numpy_ufunc_of_tensors_gives_a_tensor_as_pytorch(call):
    ours, theirs = (NUMPY_UFUNCS[call](m) for m in (fastgrad, torch))
    assert isinstance(ours, fastgrad.Tensor) and isinstance(theirs, torch.Tensor)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())

"""fastgrad.testing.make_tensor against torch.testing.make_tensor: dtype, shape, layout, the bounds the values
keep to, and which arguments raise with which exception type (the values differ: another generator)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"]


def make(lib, *shape, **kwargs):
    if "dtype" in kwargs:
        kwargs["dtype"] = getattr(lib, kwargs["dtype"])
    if "memory_format" in kwargs:
        kwargs["memory_format"] = getattr(lib, kwargs["memory_format"])
    return lib.testing.make_tensor(*shape, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [{}, {"low": -500, "high": 500}, {"low": 0, "high": 3}, {"noncontiguous": True},
                                    {"low": -1, "high": 1, "exclude_zero": True}, {"low": -2.5, "high": 2.5}])
def test_same_dtype_shape_layout_and_bounds(dtype, kwargs):
    ours, theirs = (make(lib, 400, 3, dtype=dtype, device="cpu", **kwargs) for lib in (fastgrad, torch))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "") and ours.shape == tuple(theirs.shape)
    assert ours.is_contiguous() == theirs.is_contiguous()
    ours, theirs = ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64)
    slack = 0.02 * (theirs.max() - theirs.min()) + 1.5  # (1,200 draws each: both come this near each end)
    assert abs(ours.min() - theirs.min()) <= slack and abs(ours.max() - theirs.max()) <= slack
    if kwargs.get("exclude_zero"):
        assert not np.any(ours == 0) and not np.any(theirs == 0)


@pytest.mark.parametrize("kwargs", [
    dict(low=2, high=1), dict(low=float("nan")), dict(low=1e300, high=1e301), dict(dtype="int64", requires_grad=True),
    dict(dtype="int64", low=1, high=1), dict(dtype="bool", low=5, high=3), dict(device="cuda"),
    dict(memory_format="channels_last"), dict(dtype=None),
])
def test_bad_arguments_raise_the_same_exception_type(kwargs):
    arguments = dict(dtype="float32", device="cpu") | kwargs
    if arguments["dtype"] is None:
        del arguments["dtype"]
    with pytest.raises(BaseException) as theirs:
        make(torch, 2, **arguments)
    with pytest.raises(BaseException) as ours:
        make(fastgrad, 2, **arguments)
    assert type(ours.value) is type(theirs.value) or (kwargs.get("device") == "cuda"
                                                      and isinstance(ours.value, RuntimeError))


def test_channels_last_and_requires_grad_as_torchs():
    ours, theirs = (make(lib, 2, 3, 4, 5, dtype="float32", device="cpu", memory_format="channels_last",
                         requires_grad=True) for lib in (fastgrad, torch))
    assert ours.stride() == theirs.stride() and ours.requires_grad == theirs.requires_grad
    assert ours.is_leaf == theirs.is_leaf

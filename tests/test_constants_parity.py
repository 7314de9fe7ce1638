"""torch's top-level constants, the dtype class and the vmap alias against PyTorch."""
import math

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["pi", "e", "inf"])
def test_constants_are_torchs(name):
    assert getattr(fastgrad, name) == getattr(torch, name) and type(getattr(fastgrad, name)) is float


def test_nan_and_newaxis_as_torch():
    assert math.isnan(fastgrad.nan) and math.isnan(torch.nan)
    assert fastgrad.newaxis is torch.newaxis is None
    assert fastgrad.zeros(2, 3)[:, fastgrad.newaxis].shape == tuple(torch.zeros(2, 3)[:, torch.newaxis].shape)


@pytest.mark.parametrize("name", ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool", "float",
                                  "double", "long", "int", "short"])
def test_every_dtype_is_an_instance_of_dtype_as_torch(name):
    assert isinstance(getattr(fastgrad, name), fastgrad.dtype) and isinstance(getattr(torch, name), torch.dtype)
    assert isinstance(fastgrad.zeros(1, dtype=getattr(fastgrad, name)).dtype, fastgrad.dtype)


def test_other_objects_are_not_dtypes_as_torch():
    for obj in (float, "float32", None, np.float32):
        assert not isinstance(obj, fastgrad.dtype) and not isinstance(obj, torch.dtype)


def test_vmap_is_func_vmap_as_torch():
    assert fastgrad.vmap is fastgrad.func.vmap and torch.vmap is torch.func.vmap
    got = fastgrad.vmap(lambda row: row.sum())(fastgrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert got.tolist() == torch.vmap(lambda row: row.sum())(torch.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()

"""x[key] = value with a value PyTorch refuses (its TypeError "can't assign a numpy.bool to a torch.FloatTensor"):
a NumPy bool, a NumPy float other than float64 (which is a Python float), a NumPy complex, None (fastgrad wrote NaN)
and a string; with every kind of key and tensor dtype. NumPy ints and Python numbers stay accepted, as in PyTorch."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

KEYS = {"int": lambda lib: 1, "slice": lambda lib: slice(0, 2), "index": lambda lib: lib.tensor([0, 2]),
        "mask": lambda lib: lib.tensor([True, False, True])}
REFUSED = [np.True_, np.False_, np.float32(2.0), np.float16(1.0), np.complex64(1.0), None, "a"]
ACCEPTED = [True, 2, 2.5, np.int64(2), np.int32(-1), np.uint8(3), np.float64(2.5)]


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_values_torch_refuses_are_refused(value, key, dtype):
    for lib in (torch, fastgrad):
        t = lib.zeros(3, dtype=getattr(lib, dtype))
        with pytest.raises(TypeError, match="can't assign"):
            t[KEYS[key](lib)] = value
        assert t.tolist() == [0, 0, 0]


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("value", ACCEPTED, ids=repr)
def test_numbers_torch_takes_are_written_alike(value, key, dtype):
    results = []
    for lib in (torch, fastgrad):
        t = lib.zeros(3, dtype=getattr(lib, dtype))
        t[KEYS[key](lib)] = value
        results.append(t.tolist())
    assert results[0] == results[1]

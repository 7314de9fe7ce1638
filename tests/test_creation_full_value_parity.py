"""full's dtype from a NumPy scalar fill value, as PyTorch reads it: np.True_ is the float 1.0 (PyTorch's scalar
parser takes only Python's bool as a bool), so the result is float32 (fastgrad made it bool); NumPy ints give
int64, NumPy floats the default float dtype (np.float16 gave a spurious overflow warning)."""
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

FILLS = [np.True_, np.False_, True, np.int64(3), np.int32(-2), np.uint8(7), np.float64(2.5), np.float32(0.5),
         np.float16(1.0), 3, 2.5]


@pytest.mark.parametrize("fill", FILLS, ids=lambda v: f"{type(v).__name__}({v})")
def test_full_takes_its_dtype_from_a_numpy_scalar_as_torch(fill):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = fastgrad.full((2,), fill)
    theirs = torch.full((2,), fill)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("dtype", ["bool", "int64", "float64"])
def test_a_numpy_bool_fills_a_given_dtype_as_torch(dtype):
    ours, theirs = (lib.full((2,), np.True_, dtype=getattr(lib, dtype)) for lib in (fastgrad, torch))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert ours.tolist() == theirs.tolist()

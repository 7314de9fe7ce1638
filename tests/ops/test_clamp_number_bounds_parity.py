"""clamp with number bounds, one of them a float: a bound the clamped dtype cannot hold raises, as in PyTorch (it was
made inf), out of place and in place; bounds that fit, infinities and NaN are kept."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

REFUSED = [("float32", dict(max=1e300)), ("int64", dict(min=float("inf"), max=1e300)), ("float32", dict(min=-1e39)),
           ("int8", dict(min=0.5, max=-1e39))]
KEPT = [("float64", dict(max=1e300)), ("float32", dict(min=float("-inf"))), ("int8", dict(min=2.5)),
        ("float32", dict(max=float("nan"))), ("float32", dict(min=-3.4e38, max=0.5))]


@pytest.mark.parametrize("dtype, bounds", REFUSED)
def test_a_float_bound_the_dtype_cannot_hold_raises(dtype, bounds):
    for lib in (torch, fastgrad):
        with pytest.raises(RuntimeError, match="without overflow"):
            lib.tensor([1, 2], dtype=getattr(lib, dtype)).clamp(**bounds)
        if dtype.startswith("float"):
            with pytest.raises(RuntimeError, match="without overflow"):
                lib.tensor([1, 2], dtype=getattr(lib, dtype)).clamp_(**bounds)


@pytest.mark.parametrize("dtype, bounds", KEPT)
@pytest.mark.parametrize("method", ["clamp", "clamp_"])
def test_a_float_bound_the_dtype_holds_clamps(dtype, bounds, method):
    if method == "clamp_" and not dtype.startswith("float"):
        return
    ours = getattr(fastgrad.tensor([1, 2], dtype=getattr(fastgrad, dtype)), method)(**bounds)
    theirs = getattr(torch.tensor([1, 2], dtype=getattr(torch, dtype)), method)(**bounds)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())

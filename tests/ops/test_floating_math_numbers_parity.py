"""A Python number beside an integer tensor in math computed in floating point (true division, xlogy, copysign, the
special functions of two arguments) is converted to a float as it is, as PyTorch's: wrapped into the tensor's
integer dtype first, 300 beside an int8 tensor would read 44 and -1 beside a uint8 one 255."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

FUNCTIONS = {
    "div(number, t)": lambda lib, t, n: lib.div(n, t),
    "true_divide(number, t)": lambda lib, t, n: lib.true_divide(n, t),
    "divide(number, t)": lambda lib, t, n: lib.divide(n, t),
    "xlogy(number, t)": lambda lib, t, n: lib.xlogy(n, t),
    "t.xlogy(number)": lambda lib, t, n: t.xlogy(n),
    "t.copysign(number)": lambda lib, t, n: t.copysign(n),
    "copysign(t, number)": lambda lib, t, n: lib.copysign(t, n),
    "special.xlogy(number, t)": lambda lib, t, n: lib.special.xlogy(n, t),
    "special.xlog1py(t, number)": lambda lib, t, n: lib.special.xlog1py(t, n),
    "special.xlog1py(number, t)": lambda lib, t, n: lib.special.xlog1py(n, t),
    "special.zeta(t, number)": lambda lib, t, n: lib.special.zeta(t, n),
}


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("dtype, number", [("int8", 300), ("int8", 200), ("uint8", -1), ("uint8", 256),
                                           ("int16", 2 ** 63 - 1), ("int32", -2 ** 40)])
def test_a_number_outside_the_integer_dtype_keeps_its_value(name, dtype, number):
    theirs = FUNCTIONS[name](torch, torch.tensor([3, 2, 5], dtype=getattr(torch, dtype)), number)
    ours = FUNCTIONS[name](fastgrad, fastgrad.tensor([3, 2, 5], dtype=getattr(fastgrad, dtype)), number)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)

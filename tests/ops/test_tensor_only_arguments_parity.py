"""maximum and minimum take tensors only, as PyTorch 2.13's: a number or a NumPy array in either place raises
TypeError (it was broadcast)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

CALLS = [lambda lib, t: lib.maximum(t, 2.0), lambda lib, t: lib.minimum(t, 2), lambda lib, t: lib.maximum(2.0, t),
         lambda lib, t: t.maximum(2.0), lambda lib, t: t.minimum(np.array([2.0, 2.0])),
         lambda lib, t: lib.minimum(input=t, other=1.5)]


@pytest.mark.parametrize("call", CALLS)
def test_a_number_for_a_tensor_raises_type_error_as_torch_s(call):
    for lib in (torch, fastgrad):
        with pytest.raises(TypeError, match="must be Tensor"):
            call(lib, lib.tensor([1.0, 3.0]))

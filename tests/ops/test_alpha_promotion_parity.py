"""add/sub/rsub with an alpha promote as without it: a 0-d float64 tensor beside an integer or float32 tensor
(PyTorch's rule: a 0-d tensor of a higher category gives its dtype). The scaled 0-d operand came back a NumPy
scalar, which promotion took for a Python number: the result was float32."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

FORMS = {
    "t.add(o, alpha=2)": lambda lib, t, o: t.add(o, alpha=2),
    "t.sub(o, alpha=-1)": lambda lib, t, o: t.sub(o, alpha=-1),
    "add(t, o, alpha=0.5)": lambda lib, t, o: lib.add(t, o, alpha=0.5),
    "rsub(t, o, alpha=3)": lambda lib, t, o: lib.rsub(o, t, alpha=3),
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("dtype, other_dtype", [("uint8", "float64"), ("int32", "float64"), ("int64", "float32"),
                                                ("float32", "float64")])
def test_a_0_d_operand_scaled_by_alpha_promotes_as_without(form, dtype, other_dtype):
    values, other = [3, 4], -4.25
    ours = FORMS[form](fastgrad, fastgrad.tensor(values, dtype=getattr(fastgrad, dtype)),
                       fastgrad.tensor(other, dtype=getattr(fastgrad, other_dtype)))
    theirs = FORMS[form](torch, torch.tensor(values, dtype=getattr(torch, dtype)),
                         torch.tensor(other, dtype=getattr(torch, other_dtype)))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-7)

"""clamp with tensor bounds promotes the input and both bounds at once, as PyTorch does: promoted pairwise, a 0-d
input's dtype could win over one bound before the other bound, which outranks both, was seen."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

CASES = {
    "0-d int64, bool low, uint8 high": lambda lib: (lib.tensor(3), lib.tensor([True]),
                                                     lib.tensor([2, 5], dtype=lib.uint8)),
    "0-d int64, bool low, empty uint8 high": lambda lib: (lib.tensor(3), lib.tensor([True]),
                                                           lib.zeros(3, 0, dtype=lib.uint8)),
    "0-d float64, int8 low, float32 high": lambda lib: (lib.tensor(3.5, dtype=lib.float64),
                                                         lib.tensor([1], dtype=lib.int8), lib.tensor([2.0, 4.0])),
    "0-d int16, 0-d int64 low, bool high": lambda lib: (lib.tensor(-3, dtype=lib.int16), lib.tensor(-1),
                                                         lib.tensor([True, False])),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", ["clamp", "clip"])
def test_tensor_bounds_promote_with_the_input_at_once(case, name):
    ours = getattr(fastgrad, name)(*CASES[case](fastgrad))
    theirs = getattr(torch, name)(*CASES[case](torch))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_promoted_at_once_the_input_still_gets_its_gradient():
    grads = []
    for lib in (torch, fastgrad):  # (PyTorch 2.13's backward raises where bounds broadcast the input to a new shape)
        x = lib.tensor([1.5, 0.5], dtype=lib.float64, requires_grad=True)
        lib.clamp(x, lib.tensor([1], dtype=lib.int8), lib.tensor([2.0, 4.0])).sum().backward()
        assert str(x.grad.dtype).endswith("float64")
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1] == [1.0, 0.0]

"""where with Python numbers: a float the result's floating dtype cannot hold raises, as in PyTorch (it became
inf), as an int its integer dtype cannot hold does; inf itself and numbers that fit are kept."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def branches(lib, case):
    return {
        "float32 tensor, 1e300": (lib.tensor([1.0, 2.0]), 1e300),
        "two numbers, -1e39": (-0.0, -1e39),
        "bool and 1e300": (True, 1e300),
        "1e300 and an int tensor": (1e300, lib.tensor([1, 2], dtype=lib.int32)),
        "int8 tensor, 300": (lib.tensor([1, 2], dtype=lib.int8), 300),
        "float64 tensor, 1e300": (lib.tensor([1.0, 2.0], dtype=lib.float64), 1e300),
        "inf and an int": (float("inf"), 1),
        "-0.0 and a float32 tensor": (-0.0, lib.tensor([1.0, 2.0])),
        "-1 and a uint8 tensor": (-1, lib.tensor([1, 2], dtype=lib.uint8)),
        "2.5 and a uint8 tensor": (2.5, lib.tensor([1, 2], dtype=lib.uint8)),
    }[case]


REFUSED = ["float32 tensor, 1e300", "two numbers, -1e39", "bool and 1e300", "1e300 and an int tensor",
           "int8 tensor, 300"]
KEPT = ["float64 tensor, 1e300", "inf and an int", "-0.0 and a float32 tensor", "-1 and a uint8 tensor",
        "2.5 and a uint8 tensor"]


@pytest.mark.parametrize("case", REFUSED)
def test_a_number_the_result_cannot_hold_raises(case):
    for lib in (torch, fastgrad):
        with pytest.raises(RuntimeError, match="without overflow"):
            lib.where(lib.tensor([True, False]), *branches(lib, case))


@pytest.mark.parametrize("case", KEPT)
def test_a_number_the_result_holds_is_kept(case):
    ours = fastgrad.where(fastgrad.tensor([True, False]), *branches(fastgrad, case))
    theirs = torch.where(torch.tensor([True, False]), *branches(torch, case))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert np.signbit(ours.numpy()).tolist() == np.signbit(theirs.numpy()).tolist()

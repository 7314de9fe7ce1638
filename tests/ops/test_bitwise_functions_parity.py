"""torch.bitwise_and/or/xor take a number for input as for other, as the shifts do (fastgrad's raised
AttributeError), with PyTorch's dtypes: a Python int wraps into the tensor's integer dtype."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")

NAMES = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift"]


def operands(lib):
    return [(3, lib.tensor([1, 2])), (True, lib.tensor([True, False])), (300, lib.tensor([1, 2], dtype=lib.uint8)),
            (-1, lib.tensor([1, 2], dtype=lib.uint8)), (lib.tensor([1, 6], dtype=lib.int8), 3)]


@pytest.mark.parametrize("name", NAMES)
def test_a_number_as_input_matches_torch(name):
    for (ours_in, ours_other), (theirs_in, theirs_other) in zip(operands(fastgrad), operands(torch)):
        if name.endswith("shift") and ours_in is True:
            continue  # (PyTorch has no bool shifts)
        ours = getattr(fastgrad, name)(ours_in, ours_other)
        theirs = getattr(torch, name)(theirs_in, theirs_other)
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


@pytest.mark.parametrize("name", NAMES)
def test_two_numbers_raise_type_error(name):
    for lib in (torch, fastgrad):
        with pytest.raises(TypeError):
            getattr(lib, name)(3, 5)

"""The top-level binary math and logical functions refuse a number for input with PyTorch's TypeError (they were the
bare Tensor methods and raised AttributeError), and still take PyTorch's keyword names."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")

NAMES = ["atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "heaviside", "lerp", "logical_and", "logical_or",
         "logical_xor"]


@pytest.mark.parametrize("number", [2.5, 3, True])
@pytest.mark.parametrize("name", NAMES)
def test_a_number_for_input_raises_type_error(name, number):
    for lib in (torch, fastgrad):
        extra = (0.5,) if name == "lerp" else ()
        with pytest.raises(TypeError, match="input"):
            getattr(lib, name)(number, lib.tensor([1.0, 2.0]), *extra)


@pytest.mark.parametrize("name", ["atan2", "hypot", "logaddexp", "logical_and"])
def test_keyword_names_still_work(name):
    ours = getattr(fastgrad, name)(input=fastgrad.tensor([1.0, 0.0]), other=fastgrad.tensor([2.0, 1.0]))
    theirs = getattr(torch, name)(input=torch.tensor([1.0, 0.0]), other=torch.tensor([2.0, 1.0]))
    assert ours.tolist() == pytest.approx(theirs.tolist())

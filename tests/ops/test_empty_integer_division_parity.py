"""Integer division, floor division, remainder and fmod by a 0 divisor raise only where something is divided, as
PyTorch's: an empty result divides nothing and is returned."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")

FORMS = {
    "x % 0": lambda x, d: x % d,
    "x // 0": lambda x, d: x // d,
    "x.div(0, trunc)": lambda x, d: x.div(d, rounding_mode="trunc"),
    "x.div(0, floor)": lambda x, d: x.div(d, rounding_mode="floor"),
    "x.fmod(0)": lambda x, d: x.fmod(d),
    "x.remainder(0)": lambda x, d: x.remainder(d),
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("shape, divisor", [((0, 4), 0), ((3, 0), [0]), ((0, 1), [[0, 1]])])
def test_an_empty_result_is_returned(form, shape, divisor):
    for lib in (torch, fastgrad):
        divisor_arg = divisor if isinstance(divisor, int) else lib.tensor(divisor)
        result = FORMS[form](lib.zeros(shape, dtype=lib.int32), divisor_arg)
        assert result.numel() == 0


@pytest.mark.parametrize("form", FORMS)
def test_a_non_empty_result_still_raises(form):
    for lib in (torch, fastgrad):
        with pytest.raises(RuntimeError, match="(?i)division by zero|ZeroDivisionError"):
            FORMS[form](lib.tensor([1, 2]), lib.tensor([3, 0]))

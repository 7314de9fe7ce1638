"""An in-place op writing into an expanded tensor (one element of memory at several positions) raises, as PyTorch's
does, whatever the op and dtype: sign_/sgn_ of a bool tensor, whose values do not change, returned."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")

WRITES = {
    "bool sign_": ("bool", lambda x: x.sign_()),
    "bool sgn_": ("bool", lambda x: x.sgn_()),
    "float sign_": ("float32", lambda x: x.sign_()),
    "int add_": ("int64", lambda x: x.add_(1)),
    "float mul_ float64": ("float32", lambda x: x.mul_(x.double())),
    "int8 pow_ int64": ("int8", lambda x: x.pow_(x.long())),
    "bool logical_not_": ("bool", lambda x: x.logical_not_()),
    "uint8 bitwise_not_": ("uint8", lambda x: x.bitwise_not_()),
    "float clamp_": ("float64", lambda x: x.clamp_(min=0.5)),
    "int floor_divide_": ("int32", lambda x: x.floor_divide_(2)),
    "float //=": ("float32", lambda x: x.__ifloordiv__(2)),
    "float neg_": ("float32", lambda x: x.neg_()),
}


@pytest.mark.parametrize("case", WRITES)
def test_a_write_into_an_expanded_tensor_raises(case):
    dtype, write = WRITES[case]
    for lib in (torch, fastgrad):
        expanded = lib.ones(1, dtype=getattr(lib, dtype)).expand(4)
        with pytest.raises(RuntimeError):
            write(expanded)


def test_a_bool_sign_in_place_counts_as_a_change():
    for lib in (torch, fastgrad):
        x = lib.tensor([True, False])
        assert x.sign_() is x and x.tolist() == [True, False] and x._version == 1

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


EMPTY_VIEWS = {
    "no rows": lambda x: x[:0],
    "no columns": lambda x: x[:, 2:2],
    "an empty expand of it": lambda x: x.expand(0, 3, 4),
}
EMPTY_WRITES = {
    "fill_": lambda v: v.fill_(1),
    "add_": lambda v: v.add_(1),
    "sin_": lambda v: v.sin_(),
    "normal_": lambda v: v.normal_(),
    "v[...] = 1": lambda v: v.__setitem__(Ellipsis, 1.0),
}


@pytest.mark.parametrize("view", EMPTY_VIEWS)
@pytest.mark.parametrize("write", EMPTY_WRITES)
def test_a_write_into_an_empty_view_of_an_expanded_tensor_does_nothing(view, write):
    # PyTorch refuses a write into an expanded tensor for its repeated elements; an empty view of it has none
    for lib in (torch, fastgrad):
        base = lib.arange(4.0)
        empty = EMPTY_VIEWS[view](base.expand(3, 4))
        EMPTY_WRITES[write](empty)
        assert empty.numel() == 0 and base.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_an_empty_expand_takes_a_write():
    for lib in (torch, fastgrad):
        assert lib.ones(1, 0).expand(3, 0).zero_().shape == (3, 0)

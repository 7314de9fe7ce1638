"""Ops PyTorch refuses for a dtype are refused whatever the form: nanmean of integers even with a floating dtype=
to cast them to, and abs_ (absolute_) of a bool tensor, empty or not."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")

REFUSED = {
    "int nanmean(dtype=float32)": lambda lib: lib.tensor([1, 2]).nanmean(dtype=lib.float32),
    "uint8 nanmean(dim, dtype=float64)": lambda lib: lib.nanmean(lib.tensor([[1, 2]], dtype=lib.uint8), 0,
                                                                 dtype=lib.float64),
    "float nanmean(dtype=int32)": lambda lib: lib.tensor([1.0, 2.0]).nanmean(dtype=lib.int32),
    "bool abs_": lambda lib: lib.tensor([True, False]).abs_(),
    "bool absolute_": lambda lib: lib.tensor([True]).absolute_(),
    "empty bool abs_": lambda lib: lib.zeros(3, 0, dtype=lib.bool).abs_(),
}


@pytest.mark.parametrize("case", REFUSED)
def test_refused_as_in_torch(case):
    for lib, expected in ((torch, (RuntimeError, NotImplementedError)), (fastgrad, TypeError)):
        with pytest.raises(expected):
            REFUSED[case](lib)


def test_the_accepted_forms_still_work():
    for lib in (torch, fastgrad):
        assert lib.tensor([1.0, float("nan"), 2.0]).nanmean(dtype=lib.float64).item() == 1.5
        assert lib.tensor([-1, 2], dtype=lib.int8).abs_().tolist() == [1, 2]

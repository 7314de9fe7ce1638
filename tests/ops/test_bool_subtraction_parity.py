"""Subtraction with a bool operand (a bool tensor, or a Python bool beside any tensor) raises in each of its forms,
as PyTorch's does: the function and method forms and rsub turned the bool into the other operand's dtype first."""
import pytest

import fastgrad

torch = pytest.importorskip("torch")

FORMS = {
    "t.sub(False)": lambda lib: lib.tensor([1, 2], dtype=lib.int8).sub(False),
    "t.subtract(True, alpha=3)": lambda lib: lib.tensor([1.0, 2.0]).subtract(True, alpha=3),
    "sub(True, t)": lambda lib: lib.sub(True, lib.tensor([1, 2], dtype=lib.int8)),
    "subtract(0, bool t)": lambda lib: lib.subtract(0, lib.tensor([True, False])),
    "t.sub(bool 0-d t)": lambda lib: lib.tensor([1.0, 2.0]).sub(lib.tensor(True)),
    "sub(t, bool t, alpha=-1)": lambda lib: lib.sub(lib.tensor([1, 2]), lib.tensor([True, False]), alpha=-1),
    "rsub(t, False)": lambda lib: lib.rsub(lib.tensor([1, 2], dtype=lib.int8), False),
    "rsub(bool t, 1)": lambda lib: lib.rsub(lib.tensor([True]), 1),
    "t - False": lambda lib: lib.tensor([1, 2]) - False,
    "True - t": lambda lib: True - lib.tensor([1, 2]),
}


@pytest.mark.parametrize("form", FORMS)
def test_subtraction_with_a_bool_raises(form):
    for lib in (torch, fastgrad):
        with pytest.raises(RuntimeError, match="(?i)subtraction.*bool"):
            FORMS[form](lib)


def test_subtraction_without_bools_still_works():
    for lib in (torch, fastgrad):
        assert lib.sub(3, lib.tensor([1, 2], dtype=lib.int8), alpha=2).tolist() == [1, -1]
        assert lib.tensor([1.0, 2.0]).sub(lib.tensor(1), alpha=-1).tolist() == [2.0, 3.0]

"""Sizes a tensor cannot be expanded to: expand, broadcast_to and expand_as, and the ops PyTorch builds on expand
(bernoulli_'s tensor p, the self of addmm and its kin), raise PyTorch's RuntimeError, as index_add does for a
source of another dtype; the sizes expand takes give PyTorch's shapes."""
import pytest

import fastgrad
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")

CALLS = {
    "expand (3,) to (4,)": lambda lib: lib.ones(3).expand(4),
    "expand (3,) to (2, 4)": lambda lib: lib.ones(3).expand(2, 4),
    "expand (3, 1) to (3,)": lambda lib: lib.ones(3, 1).expand(3),
    "expand (3,) to (-1, 3)": lambda lib: lib.ones(3).expand(-1, 3),
    "expand (3,) to (-2,)": lambda lib: lib.ones(3).expand(-2),
    "expand (1,) to (-2,)": lambda lib: lib.ones(1).expand(-2),
    "expand (0,) to (1,)": lambda lib: lib.ones(0).expand(1),
    "expand (1, 3) to (4, -1)": lambda lib: lib.ones(1, 3).expand(4, -1),
    "expand (1,) to (0,)": lambda lib: lib.ones(1).expand(0),
    "expand (3,) to (0, 3)": lambda lib: lib.ones(3).expand(0, 3),
    "expand_as": lambda lib: lib.ones(3).expand_as(lib.ones(4)),
    "broadcast_to": lambda lib: lib.broadcast_to(lib.ones(3), (4,)),
    "bernoulli_ p (4,) for (3,)": lambda lib: lib.zeros(3).bernoulli_(lib.full((4,), 0.5)),
    "bernoulli_ p (2, 3) for (3,)": lambda lib: lib.zeros(3).bernoulli_(lib.full((2, 3), 0.5)),
    "bernoulli_ p (6,) for (2, 3)": lambda lib: lib.zeros(2, 3).bernoulli_(lib.full((6,), 0.5)),
    "bernoulli_ p (2, 1) for (2, 3)": lambda lib: lib.zeros(2, 3).bernoulli_(lib.ones(2, 1)),
    "addmm self (3,)": lambda lib: lib.addmm(lib.ones(3), lib.ones(2, 3), lib.ones(3, 4)),
    "addmm self (1, 2, 4)": lambda lib: lib.addmm(lib.ones(1, 2, 4), lib.ones(2, 3), lib.ones(3, 4)),
    "addmm self (3,) beta 0": lambda lib: lib.addmm(lib.ones(3), lib.ones(2, 3), lib.ones(3, 4), beta=0),
    "addmm self (2, 1)": lambda lib: lib.addmm(lib.ones(2, 1), lib.ones(2, 3), lib.ones(3, 4)),
    "Tensor.addmm self (5,)": lambda lib: lib.ones(5).addmm(lib.ones(2, 3), lib.ones(3, 4)),
    "addmv self (3,)": lambda lib: lib.addmv(lib.ones(3), lib.ones(2, 3), lib.ones(3)),
    "addbmm self (3,)": lambda lib: lib.addbmm(lib.ones(3), lib.ones(2, 2, 3), lib.ones(2, 3, 4)),
    "baddbmm self (3,)": lambda lib: lib.baddbmm(lib.ones(3), lib.ones(2, 2, 3), lib.ones(2, 3, 4)),
    "addr self (3,)": lambda lib: lib.addr(lib.ones(3), lib.ones(2), lib.ones(4)),
    "index_add float64 source": lambda lib: lib.zeros(3, 2).index_add(0, lib.tensor([0, 2]),
                                                                      lib.ones(2, 2, dtype=lib.float64)),
    "index_add_ int64 source": lambda lib: lib.zeros(3, 2).index_add_(0, lib.tensor([0, 2]),
                                                                      lib.ones(2, 2, dtype=lib.int64)),
    "int64 index_add float source": lambda lib: lib.zeros(3, 2, dtype=lib.int64).index_add(0, lib.tensor([0, 2]),
                                                                                           lib.ones(2, 2)),
}


@pytest.mark.parametrize("name", CALLS)
def test_expand_mismatches_raise_as_pytorch(name):
    ours, theirs = outcome(lambda: CALLS[name](fastgrad)), outcome(lambda: CALLS[name](torch))
    assert_raised_alike(ours, theirs, name)
    if not isinstance(theirs, Raised):
        assert tuple(ours.shape) == tuple(theirs.shape), name

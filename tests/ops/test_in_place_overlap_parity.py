"""In-place writes whose input shares part of the written memory are refused where PyTorch refuses them; the same
memory, disjoint parts and interleaved views are written as PyTorch writes them; elements picked by ints are views."""
import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")

CASES = {
    "add_ of the transpose": lambda L: (lambda x: x.add_(x.t()))(L.arange(9.0).reshape(3, 3)),
    "copy_ of a shifted slice": lambda L: (lambda x: x[1:].copy_(x[:-1]))(L.arange(5.0)),
    "add_ of a shifted slice": lambda L: (lambda x: x[1:].add_(x[:-1]))(L.arange(5.0)),
    "setitem of a shifted slice": lambda L: (lambda x: (x.__setitem__(slice(1, None), x[:-1]), x)[1])(L.arange(5.0)),
    "mul_ by one of its elements": lambda L: (lambda x: x.mul_(x[0]))(L.arange(1.0, 5.0)),
    "add_ of a broadcast element": lambda L: (lambda x: x.add_(x[2:3]))(L.arange(6.0)),
    "copy_ into its transpose": lambda L: (lambda x: x.t().copy_(x))(L.arange(4.0).reshape(2, 2)),
    "row into another row": lambda L: (lambda x: (x.__setitem__(0, x[1]), x)[1])(L.arange(6.0).reshape(2, 3)),
    "same memory": lambda L: (lambda x: x.add_(x))(L.arange(6.0)),
    "same memory through reshapes": lambda L: (lambda x: x.add_(x.view(2, 3).view(6)))(L.arange(6.0)),
    "disjoint halves": lambda L: (lambda x: x[:3].copy_(x[3:]))(L.arange(6.0)),
    "interleaved views": lambda L: (lambda x: x[::2].copy_(x[1::2]))(L.arange(6.0)),
    "setitem of disjoint halves": lambda L: (lambda x: (x.__setitem__(slice(0, 3), x[3:]), x)[1])(L.arange(6.0)),
    "add_ of a shifted slice scaled by alpha": lambda L: (lambda x: x[1:].add_(x[:-1], alpha=0.5))(L.arange(5.0)),
    "sub_ of the transpose scaled by alpha": lambda L: (lambda x: x.sub_(x.t(), alpha=2))(L.arange(9.0).reshape(3, 3)),
    "sub_ of the same memory scaled by alpha": lambda L: (lambda x: x.sub_(x, alpha=0.5))(L.arange(6.0)),
    "addr_ of a shifted slice": lambda L: (lambda x: x[:4].view(2, 2).addr_(x[1:3], L.ones(2)))(L.arange(6.0)),
    "addr_ of disjoint parts": lambda L: (lambda x: x[:4].view(2, 2).addr_(x[4:], L.ones(2)))(L.arange(6.0)),
    "sub_ of the transpose with grad": lambda L: (lambda x: (x * 1).sub_((x * 1).t()))(
        L.arange(4.0, requires_grad=True).reshape(2, 2)),
}


@pytest.mark.parametrize("case", CASES)
def test_partial_overlap_in_place_is_refused_as_torch(case):
    """fastgrad computed these as if from a copy (NumPy buffers overlapping operands), where PyTorch refuses."""
    try:
        expected = CASES[case](torch)
    except RuntimeError as error:
        assert "single memory location" in str(error)
        with pytest.raises(RuntimeError, match="single memory location"):
            CASES[case](fastgrad)
        return
    assert CASES[case](fastgrad).tolist() == expected.tolist()


ELEMENT_VIEWS = {
    "reads a later change": lambda L: (lambda x: (lambda y: (x.add_(1), y)[1])(x[0]))(L.arange(3.0)),
    "fill_ reaches the vector": lambda L: (lambda x: (x[1].fill_(7.0), x)[1])(L.arange(3.0)),
    "copy_ reaches the matrix": lambda L: (lambda x: (x[1, 2].copy_(L.tensor(9.0)), x)[1])(L.arange(6.0).reshape(2, 3)),
    "zero_ of a padding entry": lambda L: (lambda x: (x[0].zero_(), x)[1])(L.ones(4)),
    "version seen through the element": lambda L: (lambda x: (lambda y: (x.mul_(2), L.tensor(y._version))[1])(x[2]))(
        L.arange(3.0)),
}


@pytest.mark.parametrize("case", ELEMENT_VIEWS)
def test_an_element_picked_by_ints_is_a_view_as_torchs(case):
    """x[0] of a vector was a copied scalar: x[0].fill_(v) changed nothing and y = x[0] missed x's later changes."""
    assert ELEMENT_VIEWS[case](fastgrad).tolist() == ELEMENT_VIEWS[case](torch).tolist()


SHIFTED_OPS = ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "less_", "greater_equal_", "logical_and_", "logical_or_",
               "logical_xor_", "bitwise_and_", "bitwise_or_", "bitwise_xor_", "bitwise_left_shift_",
               "bitwise_right_shift_", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__", "atan2_",
               "arctan2_", "fmod_", "remainder_", "floor_divide_", "hypot_", "copysign_", "nextafter_", "xlogy_",
               "igamma_", "heaviside_", "gcd_", "clamp_min_", "ldexp_", "lerp_", "addcmul_", "addcdiv_", "clamp_"]
INTEGER_ONLY = ("bitwise", "__i", "gcd")


@pytest.mark.parametrize("name", SHIFTED_OPS)
@pytest.mark.parametrize("layout", ["shifted slice", "transpose", "same memory"])
def test_elementwise_in_place_ops_refuse_a_partial_overlap_as_torch(name, layout):
    # x[1:].lt_(x[:-1]) was computed as if from a copy; PyTorch refuses it, as add_'s (ldexp_ it allows)
    def call(library):
        dtype = library.int64 if name.startswith(INTEGER_ONLY) else library.float64
        x = library.tensor([1, 5, 2, 7, 3, 4, 8, 6, 9], dtype=dtype)
        target, other = {"shifted slice": (x[1:], x[:-1]), "transpose": (x.view(3, 3), x.view(3, 3).t()),
                         "same memory": (x, x)}[layout]
        extra = {"lerp_": (0.25,), "addcmul_": (other,), "addcdiv_": (other,)}.get(name, ())
        if name == "clamp_":
            getattr(target, name)(max=other)
        else:
            getattr(target, name)(other, *extra)
        return x.tolist()

    ours, theirs = outcome(lambda: call(fastgrad)), outcome(lambda: call(torch))
    if isinstance(theirs, Raised):
        assert "single memory location" in str(theirs.error)
        assert isinstance(ours, Raised) and same_exception_type(ours, theirs), (ours, theirs)
        assert "single memory location" in str(ours.error)
    else:  # (igamma_ differs in the last digits)
        np.testing.assert_allclose(ours, theirs, rtol=1e-13)

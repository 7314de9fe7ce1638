"""set_printoptions without PyTorch: the arguments refused, and what each option does to repr(tensor). (The
text is compared with torch's over generated tensors and options in test_printing_parity.py.)"""
import math
import warnings

import pytest

import fastgrad


@pytest.mark.parametrize("kwargs, error, match", [
    ({"profile": "long"}, ValueError, "profile must be one of 'default', 'short', 'full', got 'long'"),
    ({"precision": -1}, TypeError, "precision must be a non-negative int, got -1"),
    ({"precision": 2.5}, TypeError, "precision must be a non-negative int, got 2.5"),
    ({"edgeitems": True}, TypeError, "edgeitems must be a non-negative int, got True"),
    ({"linewidth": "80"}, TypeError, "linewidth must be a non-negative int, got '80'"),
    ({"threshold": -5}, TypeError, r"threshold must be a non-negative number \(math.inf: never summarize\), got -5"),
    ({"sci_mode": "yes"}, TypeError, "sci_mode must be True, False or None, got 'yes'"),
])
def test_set_printoptions_refuses_bad_values_and_changes_nothing(kwargs, error, match):
    before = fastgrad.get_printoptions()
    with pytest.raises(error, match="set_printoptions: " + match):
        fastgrad.set_printoptions(**kwargs)
    assert fastgrad.get_printoptions() == before


def test_defaults_are_pytorchs():
    assert fastgrad.get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                                           "sci_mode": None}
    assert repr(fastgrad.tensor([1.12345, 2.0])) == "tensor([1.1235, 2.0000])"
    assert repr(fastgrad.tensor([1.0, 20.0])) == "tensor([ 1., 20.])"  # whole numbers: a point, no decimals
    assert repr(fastgrad.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"  # a span over 1000x
    assert repr(fastgrad.tensor([0.0, math.nan, -math.inf])) == "tensor([0., nan, -inf])"


def test_each_option_changes_the_printout():
    fastgrad.set_printoptions(precision=2)
    assert repr(fastgrad.tensor([1.12345])) == "tensor([1.12])"
    fastgrad.set_printoptions(threshold=5)
    assert repr(fastgrad.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    fastgrad.set_printoptions(edgeitems=1)
    assert repr(fastgrad.arange(10)) == "tensor([0,  ..., 9])"
    fastgrad.set_printoptions(profile="default", linewidth=20)
    assert repr(fastgrad.arange(8)) == "tensor([0, 1, 2, 3,\n        4, 5, 6, 7])"
    fastgrad.set_printoptions(profile="default", sci_mode=True)
    assert repr(fastgrad.tensor([2.5])) == "tensor([2.5000e+00])"
    fastgrad.set_printoptions(precision=4)  # as PyTorch: a call without sci_mode goes back to choosing
    assert repr(fastgrad.tensor([2.5])) == "tensor([2.5000])"
    fastgrad.set_printoptions(profile="full")
    assert "..." not in repr(fastgrad.arange(5000))


def test_suffixes_follow_the_values():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"
    assert repr(fastgrad.zeros(2, 0)) == "tensor([], size=(2, 0))"


# The pair below runs in file order: the first changes the options and leaves them; the second finds them
# restored by conftest's autouse fixture.
def test_a_test_may_change_the_options_and_leave_them():
    fastgrad.set_printoptions(precision=1, sci_mode=True)


def test_the_next_test_finds_the_options_restored():
    assert fastgrad.get_printoptions()["precision"] == 4 and fastgrad.get_printoptions()["sci_mode"] is None


def test_magnitudes_spanning_past_the_float_range_print_without_a_warning():
    """Their ratio overflowed with a RuntimeWarning from repr (the printout itself was right)."""
    values = fastgrad.tensor([1e300, 1e-300], dtype=fastgrad.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert repr(values) == "tensor([1.0000e+300, 1.0000e-300], dtype=float64)"

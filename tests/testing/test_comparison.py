"""fastgrad.testing.assert_close: tolerances per dtype, the checks and their messages, nested containers."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastgrad
from fastgrad.testing import assert_close


def test_default_tolerances_per_dtype():
    assert_close(fastgrad.tensor([1.0]), fastgrad.tensor([1.0 + 1e-5]))  # float32: atol 1e-5
    with pytest.raises(AssertionError, match=r"up to 1e-07 allowed"):
        assert_close(fastgrad.tensor([1.0], dtype=fastgrad.float64), fastgrad.tensor([1.0 + 1e-6],
                                                                                     dtype=fastgrad.float64))
    with pytest.raises(AssertionError, match="Tensor-likes are not equal!"):
        assert_close(fastgrad.tensor([3]), fastgrad.tensor([4]))


def test_mismatch_message_reports_count_and_greatest_differences():
    with pytest.raises(AssertionError) as raised:
        assert_close(fastgrad.tensor([[1.0, 1.0], [1.0, 1.0]]), fastgrad.tensor([[1.0, 1.0], [1.0, 3.0]]))
    assert str(raised.value) == ("Tensor-likes are not close!\n\nMismatched elements: 1 / 4 (25.0%)\n"
                                 "Greatest absolute difference: 2.0 at index (1, 1) (up to 1e-05 allowed)\n"
                                 "Greatest relative difference: 0.6666666865348816 at index (1, 1) "
                                 "(up to 1.3e-06 allowed)")


def test_integer_differences_do_not_wrap_around():
    with pytest.raises(AssertionError, match="Greatest absolute difference: 254 at index"):
        assert_close(fastgrad.tensor([1], dtype=fastgrad.uint8), fastgrad.tensor([255], dtype=fastgrad.uint8))


def test_attributes_are_checked_before_values():
    with pytest.raises(AssertionError, match=r"attribute 'shape' do not match: fastgrad.Size\(\[1\]\)"):
        assert_close(fastgrad.ones(1), fastgrad.zeros(2))
    with pytest.raises(AssertionError, match="attribute 'dtype' do not match: float32 != float64"):
        assert_close(fastgrad.ones(1), fastgrad.ones(1, dtype=fastgrad.float64))
    assert_close(fastgrad.ones(1), fastgrad.ones(1, dtype=fastgrad.float64), check_dtype=False)
    with pytest.raises(AssertionError, match=r"attribute 'stride\(\)' do not match: \(1, 3\) != \(2, 1\)"):
        assert_close(fastgrad.ones(2, 3).t(), fastgrad.ones(3, 2), check_stride=True)


def test_nan_and_infinities():
    nan, inf = float("nan"), float("inf")
    with pytest.raises(AssertionError):
        assert_close(fastgrad.tensor([nan]), fastgrad.tensor([nan]))
    assert_close(fastgrad.tensor([nan, inf]), fastgrad.tensor([nan, inf]), equal_nan=True)
    with pytest.raises(AssertionError, match="Greatest absolute difference: inf"):
        assert_close(fastgrad.tensor([1.0, inf]), fastgrad.tensor([1.0, -inf]))


def test_numbers_and_containers():
    assert_close([1.0, {"a": 2}], (1.0, {"a": 2}))
    with pytest.raises(AssertionError, match=r"(?s)Scalars are not close!.*item \[1\]\['a'\]"):
        assert_close([1.0, {"a": 2.0}], [1.0, {"a": 2.5}])
    with pytest.raises(AssertionError, match="The length of the sequences mismatch: 2 != 3"):
        assert_close([1, 2], [1, 2, 3])
    with pytest.raises(AssertionError, match=r"Missing keys in the actual mapping: \['b'\]"):
        assert_close({"a": 1}, {"b": 1})
    with pytest.raises(AssertionError, match=r"The \(d\)types do not match"):
        assert_close(1, 1.0)
    assert_close(1, 1.0, check_dtype=False)


@pytest.mark.parametrize("actual, expected", [(fastgrad.ones(1), 1.0), (np.ones(1), fastgrad.ones(1)), ("a", "a"),
                                              (fastgrad.ones(1), [1.0])])
def test_inputs_that_cannot_be_compared_raise_type_error(actual, expected):
    with pytest.raises(TypeError, match="No comparison pair was able to handle inputs of type"):
        assert_close(actual, expected)


def test_subclasses():
    parameter = fastgrad.nn.Parameter(fastgrad.ones(1))
    assert_close(parameter, fastgrad.ones(1))
    with pytest.raises(TypeError):
        assert_close(parameter, fastgrad.ones(1), allow_subclasses=False)


def test_tolerance_arguments():
    with pytest.raises(ValueError, match="but got no atol"):
        assert_close(fastgrad.ones(1), fastgrad.ones(1), rtol=0.1)
    with pytest.raises(RuntimeError, match="rtol must be a non-negative number, got -1"):
        assert_close(fastgrad.ones(1), fastgrad.ones(1), rtol=-1, atol=0)
    assert_close(fastgrad.tensor([1.0]), fastgrad.tensor([1.5]), rtol=0, atol=0.5)


def test_msg_replaces_or_rewrites_the_message():
    with pytest.raises(AssertionError, match="^custom$"):
        assert_close(fastgrad.ones(1), fastgrad.zeros(1), msg="custom")
    with pytest.raises(AssertionError, match="^wrapped: Tensor-likes"):
        assert_close(fastgrad.ones(1), fastgrad.zeros(1), msg=lambda message: "wrapped: " + message)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=6), st.floats(0, 1e-3), st.floats(0, 1e-3))
def test_passes_exactly_where_the_tolerance_formula_holds(values, rtol, atol):
    expected = np.array(values)
    actual = expected + np.linspace(0, 2 * (atol + rtol * np.abs(expected).max()), len(values))
    holds = np.all(np.abs(actual - expected) <= atol + rtol * np.abs(expected))
    try:
        assert_close(fastgrad.tensor(actual), fastgrad.tensor(expected), rtol=rtol, atol=atol)
        passed = True
    except AssertionError:
        passed = False
    assert passed == holds

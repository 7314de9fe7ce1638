"""Complex Python numbers (and NumPy's complex128, a subclass of complex) given to fastgrad's real tensors, against
PyTorch: == and != compare with the whole number, imaginary part included, in the complex dtype of the tensor's
(an integer tensor: of the default dtype); lt, le, gt, ge raise (complex numbers have no order), as PyTorch's; a
clamp bound is taken where its imaginary part is 0 on a float tensor and refused otherwise. NumPy's complex64 is
no Python complex, and PyTorch takes it as a real number: so does fastgrad. And what comparisons take at all: a
tensor or a number, not a list, tuple, array or string."""
import warnings

import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")

NUMBERS = [1 + 2j, np.complex128(1 + 2j), 2j, 1 + 0j, np.complex128(1 + 0j), np.complex64(1 + 2j), 0.1 + 0j,
           16777217 + 0j]
DTYPES = ["float32", "float64", "int64", "bool"]
VALUES = [1, 2, 0, 16777217]


def assert_same(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy's and PyTorch's warnings that a complex64's imaginary part is lost)
        ours, theirs = outcome(lambda: call(fastgrad)), outcome(lambda: call(torch))
    if isinstance(theirs, Raised):
        assert same_exception_type(ours, theirs), (ours, theirs)
    else:
        assert not isinstance(ours, Raised), (ours, theirs)
        assert (ours.tolist(), str(ours.dtype)) == (theirs.tolist(), str(theirs.dtype).replace("torch.", "")), theirs


@pytest.mark.parametrize("number", NUMBERS, ids=repr)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge", "greater_equal", "__eq__", "__lt__", "eq_",
                                  "lt_"])
def test_comparisons_with_a_complex_number_as_torch(name, dtype, number):
    if name.endswith("_") and not name.startswith("__") and dtype == "bool":
        return  # (in place: a bool tensor takes the bools as they are)
    assert_same(lambda m: getattr(m.tensor([v != 0 for v in VALUES] if dtype == "bool" else VALUES,
                                           dtype=getattr(m, dtype)), name)(number))


@pytest.mark.parametrize("number", [1 + 2j, np.complex128(1 + 2j)], ids=repr)
def test_an_ordering_comparison_with_a_complex_number_names_it(number):
    with pytest.raises(NotImplementedError, match=r"lt: complex numbers have no order, .* compared with .*1\+2j"):
        fastgrad.tensor([1.0]) < number


@pytest.mark.parametrize("bound", [3 + 0j, np.complex128(3.5 + 0j), 3 + 1j], ids=repr)
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
@pytest.mark.parametrize("form", ["clamp min", "clamp both", "clamp_ max", "clamp_min", "clamp_max", "torch.clamp"])
def test_a_complex_clamp_bound_as_torch(form, dtype, bound):
    def call(m):
        x = m.tensor([1, 5], dtype=getattr(m, dtype))
        return {"clamp min": lambda: x.clamp(min=bound), "clamp both": lambda: x.clamp(bound, 4),
                "clamp_ max": lambda: x.clamp_(max=bound), "clamp_min": lambda: x.clamp_min(bound),
                "clamp_max": lambda: x.clamp_max(bound), "torch.clamp": lambda: m.clamp(x, max=bound)}[form]()

    assert_same(call)


@pytest.mark.parametrize("other", [[1.0, 2.0], (1.0, 2.0), np.array([1.0, 2.0]), np.array(1.0), "1", None,
                                   np.float64(1.0), np.int64(2), True], ids=repr)
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_take_only_tensors_and_numbers_as_torch(name, other):
    # fastgrad compared with lists, tuples and arrays (and raised NumPy's error for a string), where PyTorch's method
    # raises TypeError and its operator leaves them to Python (== is False, < a TypeError)
    ours = outcome(lambda: getattr(fastgrad.tensor([1.0, 3.0]), name)(other))
    theirs = outcome(lambda: getattr(torch.tensor([1.0, 3.0]), name)(other))
    if isinstance(theirs, Raised):
        assert same_exception_type(ours, theirs) and "expected a tensor or a number" in str(ours.error), (ours, theirs)
    else:
        assert ours.tolist() == theirs.tolist()
    operator = getattr(__import__("operator"), name)
    for left in (True, False):
        if name == "ne" and isinstance(other, np.ndarray):
            continue  # (PyTorch 2.13's x != array is True whatever the values, its x == array elementwise)

        def compare(m):
            x = m.tensor([1.0, 3.0])
            result = operator(x, other) if left else operator(other, x)
            return result.tolist() if isinstance(result, (m.Tensor, np.ndarray)) else result

        ours, theirs = outcome(lambda: compare(fastgrad)), outcome(lambda: compare(torch))
        if isinstance(theirs, Raised):
            assert same_exception_type(ours, theirs), (ours, theirs)
        else:
            assert ours == theirs

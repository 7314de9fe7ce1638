"""A tensor beside a NumPy array, a list or a complex number, as PyTorch 2.13 takes them (the differences an audit
found; test_array_operand_fuzz_parity.py fuzzes the operators at large).

PyTorch's ops take tensors and numbers only: a named method or function given an array or a list raises TypeError.
Its operators return NotImplemented instead, so Python asks the other operand: an array after the tensor computes in
NumPy (NumPy's dtypes, a tensor result, bools as uint8; a tensor that requires grad is refused, as NumPy cannot read
it); an array first is a TypeError, bar ==, != and /."""
import operator

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

LIBS = [torch, fastgrad]


@pytest.mark.parametrize("shape", [(3,), (4,), (2, 3)], ids=str)
def test_not_equal_to_an_array_is_true_whatever_the_shapes_and_equal_compares_elementwise(shape):
    """x != array falls back to Python's identity test (PyTorch's != refuses the array), so True; == compares the
    array as a tensor, and raises PyTorch's RuntimeError where the shapes do not broadcast."""
    array = {(3,): np.array([1.0, 5.0, 3.0]), (4,): np.ones(4),
             (2, 3): np.array([[1.0, 5.0, 3.0], [0.0, 2.0, 0.0]])}[shape]
    for lib in LIBS:
        t = lib.tensor([1.0, 2.0, 3.0])
        assert (t != array) is True and (array != t) is True
        if shape == (4,):
            with pytest.raises(RuntimeError):
                t == array  # noqa: B015
            with pytest.raises(RuntimeError):
                array == t  # noqa: B015
        else:
            assert (t == array).tolist() == (array == t).tolist() == (np.array([1.0, 2.0, 3.0]) == array).tolist()
            assert str((t == array).dtype).endswith("bool")


@pytest.mark.parametrize("call", [operator.lshift, operator.rshift, operator.ilshift, operator.sub, operator.pow,
                                  operator.matmul, operator.and_], ids=lambda f: f.__name__)
def test_an_array_first_raises_type_error(call):
    for lib in LIBS:
        with pytest.raises(TypeError):
            call(np.array([1, 2, 3]), lib.tensor([1, 2, 3]))


NAMED = {
    "t.add": lambda lib, t, x: t.add(x), "add": lambda lib, t, x: lib.add(t, x),
    "add(x, t)": lambda lib, t, x: lib.add(x, t),
    "t.sub": lambda lib, t, x: t.sub(x), "t.mul": lambda lib, t, x: t.mul(x), "mul": lambda lib, t, x: lib.mul(t, x),
    "t.div": lambda lib, t, x: t.div(x), "div": lambda lib, t, x: lib.div(t, x),
    "t.true_divide": lambda lib, t, x: t.true_divide(x), "t.pow": lambda lib, t, x: t.pow(x),
    "pow": lambda lib, t, x: lib.pow(t, x), "t.matmul": lambda lib, t, x: t.matmul(x),
    "matmul": lambda lib, t, x: lib.matmul(t, x), "t.floor_divide": lambda lib, t, x: t.floor_divide(x),
    "t.remainder": lambda lib, t, x: t.remainder(x), "fmod": lambda lib, t, x: lib.fmod(t, x),
    "t.maximum": lambda lib, t, x: t.maximum(x), "where": lambda lib, t, x: lib.where(t > 1, t, x),
    "clamp": lambda lib, t, x: lib.clamp(t, min=x), "addcmul": lambda lib, t, x: lib.addcmul(t, t, x),
    "rsub": lambda lib, t, x: lib.rsub(t, x), "t.add_": lambda lib, t, x: t.add_(x),
    "t.mul_": lambda lib, t, x: t.mul_(x),
    "t.pow_": lambda lib, t, x: t.pow_(x), "t.floor_divide_": lambda lib, t, x: t.floor_divide_(x),
    "t.copy_": lambda lib, t, x: t.copy_(x), "t.eq": lambda lib, t, x: t.eq(x),
    "t.logical_and": lambda lib, t, x: t.logical_and(x), "matmul(x, t)": lambda lib, t, x: lib.matmul(x, t),
    "where(x, t, t)": lambda lib, t, x: lib.where(x, t, t), "where(x)": lambda lib, t, x: lib.where(x),
    "where(t > 1, x, 2.0)": lambda lib, t, x: lib.where(t > 1, x, 2.0),
    "outer(x, t)": lambda lib, t, x: lib.outer(x, t),
    "add(x, 2)": lambda lib, t, x: lib.add(x, 2), "floor_divide(x, t)": lambda lib, t, x: lib.floor_divide(x, t),
    "div(x, t)": lambda lib, t, x: lib.div(x, t),  # (fastgrad's went to t's operator: NumPy's result, NotImplemented)
}
INTEGER_NAMED = {
    "t.bitwise_and": lambda lib, t, x: t.bitwise_and(x), "bitwise_or": lambda lib, t, x: lib.bitwise_or(t, x),
    "t.bitwise_left_shift": lambda lib, t, x: t.bitwise_left_shift(x),
    "t.bitwise_xor_": lambda lib, t, x: t.bitwise_xor_(x),
}


@pytest.mark.parametrize("other", [np.array([1.0, 2.0, 3.0]), np.array(2.0), [1.0, 2.0, 3.0], (1, 2, 3), None],
                         ids=["array", "0-d array", "list", "tuple", "None"])
@pytest.mark.parametrize("name", list(NAMED) + list(INTEGER_NAMED))
def test_named_methods_and_functions_refuse_arrays_and_lists_with_type_error(name, other):
    """(fastgrad computed them as if the array or list were a tensor; None gave KeyError)"""
    call, dtype = (NAMED[name], "float32") if name in NAMED else (INTEGER_NAMED[name], "int64")
    if isinstance(other, np.ndarray):
        other = other.astype(dtype)
    if name == "clamp" and other is None:
        return  # (clamp(min=None) is a call without bounds)
    for lib in LIBS:
        with pytest.raises(TypeError):
            call(lib, lib.tensor([1, 2, 3], dtype=getattr(lib, dtype)), other)


@pytest.mark.parametrize("other", [np.array([1, 0]), [1, 0], None], ids=["array", "list", "None"])
@pytest.mark.parametrize("name", ["t.sub", "sub", "rsub", "t.sub_"])
def test_a_bool_tensor_s_subtraction_refuses_an_array_or_a_list_as_an_operand_before_the_bool(name, other):
    """PyTorch refuses the operand (TypeError) before it checks for bools (RuntimeError), which fastgrad did first."""
    call = {"t.sub": lambda lib, t: t.sub(other), "sub": lambda lib, t: lib.sub(t, other),
            "rsub": lambda lib, t: lib.rsub(t, other), "t.sub_": lambda lib, t: t.sub_(other)}[name]
    for lib in LIBS:
        with pytest.raises(TypeError):
            call(lib, lib.tensor([True, False]))


def test_division_refuses_a_numpy_string_with_type_error():
    """(fastgrad's div took NumPy's str_ for a number and raised NumPy's ValueError)"""
    for lib in LIBS:
        t = lib.tensor([1.0, 2.0])
        for call in (lambda: t.div(np.str_("a")), lambda: lib.div(t, np.str_("a")), lambda: t / np.str_("a")):
            with pytest.raises(TypeError):
                call()


def test_an_operator_with_a_tensor_that_requires_grad_and_an_array_raises_runtime_error():
    array = np.ones(3)
    for lib in LIBS:
        t = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        for call in (operator.add, operator.mul, operator.pow, operator.iadd, lambda a, b: b / a):
            with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
                call(t, array)
        with lib.no_grad():  # (NumPy may read it there)
            assert (t + array).tolist() == [2.0, 3.0, 4.0]


@pytest.mark.parametrize("tensor, array, dtype", [
    (([1.0, 2.0], "float32"), np.array(0.5), "float64"),  # (a 0-d array is no wrapped number to NumPy)
    (([1, 2], "int8"), np.array(3), "int64"),
    (([True, False], "bool"), np.array([True, True]), "uint8"),  # (PyTorch's __array_wrap__: bools as uint8)
    (([1, 2], "int32"), np.array([2, 2], dtype=np.int32), "float64"),  # (int32 / int32 in NumPy)
], ids=str)
def test_a_tensor_then_an_array_computes_in_numpy_s_dtypes(tensor, array, dtype):
    values, tensor_dtype = tensor
    for lib in LIBS:
        t = lib.tensor(values, dtype=getattr(lib, tensor_dtype))
        result = (t / array) if tensor_dtype == "int32" else (t + array if tensor_dtype != "bool" else t & array)
        assert isinstance(result, lib.Tensor) and str(result.dtype).replace("torch.", "") == dtype, (lib, result)


def test_an_augmented_assignment_with_an_array_makes_a_new_tensor():
    for lib in LIBS:
        t = original = lib.tensor([1.0, 2.0])
        t += np.array([1.0, 1.0])
        assert t is not original and original.tolist() == [1.0, 2.0] and t.tolist() == [2.0, 3.0]
        assert str(t.dtype).replace("torch.", "") == "float64"


def test_an_array_divided_by_a_tensor_is_the_array_times_the_reciprocal():
    for lib in LIBS:
        result = np.array([3.0, 1.0]) / lib.tensor([3, 4])
        assert isinstance(result, lib.Tensor) and str(result.dtype).replace("torch.", "") == "float64"
        np.testing.assert_allclose(result.numpy(), [3.0 * np.float32(1 / 3), 0.25])


def test_a_list_repeats_by_a_one_element_integer_tensor_and_refuses_others():
    for lib in LIBS:
        assert [1] * lib.tensor(2) == [1, 1] and lib.tensor([2]) * [1] == [1, 1]
        with pytest.raises(TypeError):
            [1] * lib.tensor([1, 2])
        with pytest.raises(TypeError):
            [1] * lib.tensor(2.0)


@pytest.mark.parametrize("number", [1 + 2j, np.complex128(1 + 2j)], ids=repr)
def test_arithmetic_with_a_complex_number_is_refused_not_computed_without_its_imaginary_part(number):
    """PyTorch gives a complex64 tensor; fastgrad has no complex dtype: it raised KeyError for Python's complex and
    dropped the imaginary part of NumPy's complex128 (float32 [2, 3] for [1, 2] + (1+2j))."""
    t = fastgrad.tensor([1.0, 2.0])
    for call in (operator.add, operator.mul, lambda a, b: b - a, lambda a, b: a.add(b)):
        with pytest.raises(TypeError, match="complex"):
            call(t, number)


@pytest.mark.parametrize("call", [lambda t: t & t, lambda t: t << 1, lambda t: t.bitwise_not(), lambda t: t.__ior__(t)],
                         ids=["&", "<<", "bitwise_not", "|="])
def test_bitwise_operators_on_floats_raise_not_implemented_error(call):
    """PyTorch has no kernel for them (NotImplementedError, a RuntimeError); fastgrad's was a TypeError (which
    PyTorch's ~ raises, checking before its kernel)."""
    for lib in LIBS:
        with pytest.raises(NotImplementedError):
            call(lib.tensor([1.0, 2.0]))


def test_invert_of_a_float_tensor_raises_type_error():
    for lib in LIBS:
        with pytest.raises(TypeError):
            ~lib.tensor([1.0, 2.0])

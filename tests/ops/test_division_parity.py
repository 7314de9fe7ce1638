"""div with rounding modes, true_divide, and PyTorch's alias names (divide, multiply, subtract, negative, positive,
absolute, fix, sgn, greater, ...) against PyTorch: values, dtypes, gradients and the cases that raise."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

MODES = [None, "trunc", "floor"]


def signed_pairs(dtype):
    """Dividends and nonzero divisors of both signs, with exact and inexact quotients, -0.0 and infinities for
    floats."""
    a = np.array([7, -7, 7, -7, 6, -6, 0, 1, -1, 9], dtype=dtype)
    b = np.array([2, 2, -2, -2, 3, -3, 5, 3, 3, -4], dtype=dtype)
    if np.dtype(dtype).kind == "f":
        a = np.concatenate([a * 1.3, np.array([-0.0, np.inf, -np.inf, 5.0, -5.0, 0.0, np.nan], dtype)])
        b = np.concatenate([b * 0.7, np.array([3.0, 2.0, 2.0, 0.0, 0.0, 0.0, 1.0], dtype)])
    return a, b


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_div_rounding_modes_match_torch(mode, dtype, matches_torch):
    a, b = signed_pairs(dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        matches_torch(lambda x, y: x.div(y, rounding_mode=mode), lambda x, y: x.div(y, rounding_mode=mode), a, b)
        matches_torch(lambda x, y: fastgrad.div(x, y, rounding_mode=mode),
                      lambda x, y: torch.div(x, y, rounding_mode=mode), a, b)
        matches_torch(lambda x, y: fastgrad.divide(x, y, rounding_mode=mode),
                      lambda x, y: torch.divide(x, y, rounding_mode=mode), a, b)


@pytest.mark.parametrize("mode", MODES)
def test_div_rounding_modes_promote_as_torch(mode, matches_torch):
    ints, floats = np.array([7, -7, 5], np.int32), np.array([2.5, 2.0, -1.5], np.float32)
    matches_torch(lambda x: x.div(2, rounding_mode=mode), lambda x: x.div(2, rounding_mode=mode), ints)
    matches_torch(lambda x: x.div(2.5, rounding_mode=mode), lambda x: x.div(2.5, rounding_mode=mode), ints)
    matches_torch(lambda x, y: x.div(y, rounding_mode=mode), lambda x, y: x.div(y, rounding_mode=mode), ints, floats)
    matches_torch(lambda x: fastgrad.div(9, x, rounding_mode=mode), lambda x: torch.div(9, x, rounding_mode=mode),
                  floats)
    matches_torch(lambda x, y: x.div(y, rounding_mode=mode), lambda x, y: x.div(y, rounding_mode=mode),
                  np.arange(6.0).reshape(2, 3), np.array([1.5, -2.0, 4.0]))  # broadcast; gradient summed back


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div_in_place_with_a_rounding_mode_matches_torch(mode):
    for values, divisor in (([7, -7, 5], 2), ([7.5, -7.5, 5.0], 2.0), ([7, -7, 5], torch.tensor([2, -3, 4]))):
        theirs = torch.tensor(values)
        ours = fastgrad.tensor(values)
        other = fastgrad.tensor(divisor.numpy()) if isinstance(divisor, torch.Tensor) else divisor
        assert ours.div_(other, rounding_mode=mode) is ours
        theirs.div_(divisor, rounding_mode=mode)
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        assert ours._version == theirs._version == 1
    with pytest.raises(RuntimeError):
        torch.tensor([5, 6]).div_(2.5, rounding_mode=mode)
    with pytest.raises(RuntimeError, match="can't be cast"):
        fastgrad.tensor([5, 6]).div_(2.5, rounding_mode=mode)


def test_div_with_a_rounding_mode_has_a_zero_gradient_as_torch():
    for mode in ("trunc", "floor"):
        x = torch.tensor([5.0, -3.5], requires_grad=True)
        y = fastgrad.tensor([5.0, -3.5], requires_grad=True)
        (x.div(2.0, rounding_mode=mode) * 3).sum().backward()
        (y.div(2.0, rounding_mode=mode) * 3).sum().backward()
        assert y.grad.tolist() == x.grad.tolist() == [0.0, 0.0]


def test_true_divide_and_its_in_place_form_match_torch(matches_torch):
    a, b = np.array([7, -7, 5]), np.array([2, 4, -3])
    matches_torch(lambda x, y: x.true_divide(y), lambda x, y: x.true_divide(y), a, b)
    matches_torch(fastgrad.true_divide, torch.true_divide, a.astype(np.float64), b.astype(np.float64))
    ours, theirs = fastgrad.tensor([7.0, -7.0]), torch.tensor([7.0, -7.0])
    assert ours.true_divide_(2).tolist() == theirs.true_divide_(2).tolist()
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).true_divide_(2)
    with pytest.raises(RuntimeError, match="can't be cast"):
        fastgrad.tensor([1, 2]).true_divide_(2)


def test_integer_division_by_zero_with_a_rounding_mode_raises_as_torch():
    for mode in ("trunc", "floor"):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            torch.tensor([5, 6]).div(torch.tensor([0, 1]), rounding_mode=mode)
        for caught in (RuntimeError, ZeroDivisionError):  # (PyTorch's type, and Python's)
            with pytest.raises(caught, match="div: integer division by zero"):
                fastgrad.tensor([5, 6]).div(fastgrad.tensor([0, 1]), rounding_mode=mode)
    for call in (lambda lib: lib.tensor([5]) // 0, lambda lib: lib.tensor([5]) % lib.tensor([0])):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            call(torch)
        with pytest.raises(RuntimeError, match="integer division by zero"):
            call(fastgrad)


def test_a_bad_rounding_mode_raises_naming_it_as_torch():
    with pytest.raises(RuntimeError, match="'bad'"):
        torch.tensor([1.0]).div(2, rounding_mode="bad")
    with pytest.raises(ValueError, match="rounding_mode to be one of None, 'trunc' or 'floor', got 'bad'"):
        fastgrad.tensor([1.0]).div(2, rounding_mode="bad")


@pytest.mark.parametrize("name,args", [
    ("multiply", (2.5,)), ("subtract", (1.5,)), ("negative", ()), ("positive", ()), ("absolute", ()), ("fix", ()),
    ("sgn", ()), ("greater", (0.5,)), ("greater_equal", (0.5,)), ("less", (0.5,)), ("less_equal", (0.5,)),
    ("not_equal", (0.5,)),
])
def test_alias_methods_and_functions_match_torch(name, args, matches_torch):
    values = np.array([[1.5, -2.5, 0.5], [0.0, -0.7, 3.0]])
    grad = name != "sgn"  # (PyTorch's gradient of sgn is a ZeroTensor, which has no NumPy form: checked below)
    matches_torch(lambda x: getattr(x, name)(*args), lambda x: getattr(x, name)(*args), values, grad=grad)
    matches_torch(lambda x: getattr(fastgrad, name)(x, *args), lambda x: getattr(torch, name)(x, *args), values,
                  grad=grad)


def test_sgn_has_a_zero_gradient_as_torch():
    x, y = torch.tensor([1.5, -2.0], requires_grad=True), fastgrad.tensor([1.5, -2.0], requires_grad=True)
    x.sgn().sum().backward()
    y.sgn().sum().backward()
    assert y.grad.tolist() == x.grad.numpy(force=True).tolist() == [0.0, 0.0]


def test_subtract_takes_alpha_and_the_alias_in_place_forms_match_torch(matches_torch):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25, -1.0])
    matches_torch(lambda x, y: x.subtract(y, alpha=2), lambda x, y: x.subtract(y, alpha=2), a, b)
    matches_torch(lambda x, y: fastgrad.subtract(x, y, alpha=3), lambda x, y: torch.subtract(x, y, alpha=3), a, b)
    for name, args in (("multiply_", (2.0,)), ("subtract_", (1.0,)), ("divide_", (4.0,)), ("negative_", ()),
                       ("absolute_", ()), ("fix_", ()), ("sgn_", ())):
        ours, theirs = fastgrad.tensor([-1.5, 2.5]), torch.tensor([-1.5, 2.5])
        assert getattr(ours, name)(*args) is ours
        getattr(theirs, name)(*args)
        assert ours.tolist() == theirs.tolist(), name
    ours, theirs = fastgrad.tensor([4, 8]), torch.tensor([4, 8])
    ours.subtract_(fastgrad.tensor([1, 1]), alpha=3)
    theirs.subtract_(torch.tensor([1, 1]), alpha=3)
    assert ours.tolist() == theirs.tolist()
    ours.divide_(2, rounding_mode="floor")
    theirs.divide_(2, rounding_mode="floor")
    assert ours.tolist() == theirs.tolist()


def test_bool_tensors_where_torch_refuses_the_aliases():
    flags = np.array([True, False])
    for name in ("negative", "positive"):
        with pytest.raises(RuntimeError):
            getattr(torch.tensor(flags), name)()
        with pytest.raises(RuntimeError, match=f"{name[:3]}.* bool tensor"):
            getattr(fastgrad.tensor(flags), name)()
    assert fastgrad.tensor(flags).sgn().tolist() == torch.tensor(flags).sgn().tolist()


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
def test_remainder_gives_a_zero_the_dividends_sign_as_torch(backend):
    """PyTorch's remainder corrects C's fmod, so a zero result keeps the dividend's sign (NumPy's takes the
    divisor's)."""
    a, b = [-3.0, 3.0, 0.0, -0.0, -3.0, 2.5], [1.5, -1.5, -1.0, 1.0, -1.5, 1.0]
    calls = (lambda m, x, y: m.remainder(x, y), lambda m, x, y: x % y, lambda m, x, y: x.clone().remainder_(y),
             lambda m, x, y: m.remainder(x, -1.5), lambda m, x, y: m.remainder(-3, y))
    for call in calls:
        for dtype in ("float32", "float64"):
            with fastgrad.backend(backend):
                got = call(fastgrad, fastgrad.tensor(a, dtype=getattr(fastgrad, dtype)), fastgrad.tensor(b)).numpy()
            expected = call(torch, torch.tensor(a, dtype=getattr(torch, dtype)), torch.tensor(b)).numpy()
            np.testing.assert_array_equal(got, expected)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))

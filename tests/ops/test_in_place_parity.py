"""The in-place forms of tensor_methods/in_place.py against PyTorch: values, dtypes, version counters, the
gradient through a change of a tensor inside the graph, and the cases PyTorch refuses."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

VALUES = np.array([[0.3, -0.6, 0.9], [-0.2, 0.55, -0.85]])
OTHER = np.array([[0.4, 0.7, -0.5], [-0.3, 0.2, 0.6]])

# (name, arguments, values): the arguments as a function of the library, for tensor operands
DIFFERENTIABLE = [
    ("sin", (), VALUES), ("cos", (), VALUES), ("tan", (), VALUES), ("asin", (), VALUES), ("acos", (), VALUES),
    ("atan", (), VALUES), ("sinh", (), VALUES), ("cosh", (), VALUES), ("asinh", (), VALUES),
    ("acosh", (), VALUES + 2), ("atanh", (), VALUES), ("arcsin", (), VALUES), ("arccos", (), VALUES),
    ("arctan", (), VALUES), ("arcsinh", (), VALUES), ("arccosh", (), VALUES + 2), ("arctanh", (), VALUES),
    ("log1p", (), VALUES), ("expm1", (), VALUES), ("erf", (), VALUES), ("erfc", (), VALUES),
    ("reciprocal", (), VALUES), ("rsqrt", (), VALUES + 1), ("square", (), VALUES), ("frac", (), VALUES * 3),
    ("floor", (), VALUES * 3), ("ceil", (), VALUES * 3), ("round", (), VALUES * 3), ("trunc", (), VALUES * 3),
    ("fix", (), VALUES * 3), ("clamp_min", (0.1,), VALUES), ("clamp_max", (0.1,), VALUES),
    ("clip", (-0.5, 0.5), VALUES),
    ("cumsum", (1,), VALUES), ("cumprod", (0,), VALUES), ("tril", (), VALUES), ("triu", (1,), VALUES),
    ("fmod", (0.4,), VALUES), ("remainder", (0.4,), VALUES),
    ("atan2", (lambda lib: lib.tensor(OTHER),), VALUES), ("arctan2", (lambda lib: lib.tensor(OTHER),), VALUES),
    ("hypot", (lambda lib: lib.tensor(OTHER),), VALUES), ("xlogy", (2.0,), VALUES),
]
NOT_DIFFERENTIABLE = [  # comparisons, logical and bitwise operators: the result in self's dtype
    ("eq", (0.3,), VALUES), ("ne", (0.3,), VALUES), ("lt", (0.0,), VALUES), ("le", (0.3,), VALUES),
    ("gt", (0.0,), VALUES), ("ge", (0.3,), VALUES), ("greater", (0.0,), VALUES), ("greater_equal", (0.3,), VALUES),
    ("less", (0.0,), VALUES), ("less_equal", (0.3,), VALUES), ("not_equal", (0.3,), VALUES),
    ("gt", (1,), np.array([0, 1, 2, 3])), ("le", (1.5,), np.array([0, 1, 2, 3])),
    ("eq", (lambda lib: lib.tensor([True, False]),), np.array([True, True])),
    ("logical_and", (lambda lib: lib.tensor([0.0, 2.0, 0.0, 1.0]),), np.array([0.0, 0.0, 3.0, -1.0])),
    ("logical_or", (lambda lib: lib.tensor([0, 2, 0, 1]),), np.array([0, 0, 3, -1])),
    ("logical_xor", (lambda lib: lib.tensor([True, False, True, False]),), np.array([0, 0, 3, -1])),
    ("logical_not", (), np.array([0.0, 2.5])), ("logical_not", (), np.array([True, False])),
    ("bitwise_and", (6,), np.array([5, 12, -3])), ("bitwise_or", (6,), np.array([5, 12, -3])),
    ("bitwise_xor", (lambda lib: lib.tensor([1, 2, 3]),), np.array([5, 12, -3])),
    ("bitwise_not", (), np.array([5, 12, -3])), ("bitwise_not", (), np.array([True, False])),
    ("bitwise_left_shift", (2,), np.array([5, 12, -3])), ("bitwise_right_shift", (1,), np.array([5, 12, -3])),
    ("floor_divide", (2,), np.array([5, -5, 7])), ("remainder", (3,), np.array([5, -5, 7])),
    ("gcd", (lambda lib: lib.tensor([4, 6, 9]),), np.array([6, 4, 3])),
    ("heaviside", (lambda lib: lib.tensor([0.5], dtype=lib.float64),), np.array([-1.0, 0.0, 2.0])),
    ("square", (), np.array([3, -2])), ("floor", (), np.array([3, -2])), ("cumsum", (0,), np.array([3, -2, 4])),
]

# PyTorch 2.13's backward raises for these in-place forms ("not implemented")
TORCH_HAS_NO_IN_PLACE_DERIVATIVE = {"asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh"}


def arguments(lib, args):
    return tuple(a(lib) if callable(a) else a for a in args)


def run_in_place(lib, name, args, values):
    x = lib.tensor(values)
    result = getattr(x, f"{name}_")(*arguments(lib, args))
    assert result is x
    return x


@pytest.mark.parametrize("name,args,values", DIFFERENTIABLE + NOT_DIFFERENTIABLE,
                         ids=[f"{case[0]}-{case[2].dtype}" for case in DIFFERENTIABLE + NOT_DIFFERENTIABLE])
def test_in_place_values_dtypes_and_versions_match_torch(name, args, values):
    ours, theirs = run_in_place(fastgrad, name, args, values), run_in_place(torch, name, args, values)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)
    assert ours._version == theirs._version == 1


@pytest.mark.parametrize("name,args,values", DIFFERENTIABLE + NOT_DIFFERENTIABLE[:11],
                         ids=[case[0] for case in DIFFERENTIABLE + NOT_DIFFERENTIABLE[:11]])
def test_gradient_through_an_in_place_change_inside_the_graph_matches_torch(name, args, values):
    """x -> y = 1.5 x -> z = 3 (y + 1) (recorded before) -> y.<name>_() -> loss of y and z: x's gradient takes both
    paths, z's through y's history before the change."""
    weights = np.random.default_rng(0).standard_normal(values.shape)
    grads = []
    for lib in (fastgrad, torch):
        x = lib.tensor(values, requires_grad=True)
        y = x * 1.5
        z = (y + 1) * 3
        if lib is torch and name in TORCH_HAS_NO_IN_PLACE_DERIVATIVE:  # (fastgrad's is the out-of-place one)
            y = getattr(y, name)(*arguments(lib, args))
        else:
            getattr(y, f"{name}_")(*arguments(lib, args))
        assert y.requires_grad and y.grad_fn is not None
        ((y * lib.tensor(weights)).sum() + z.sum()).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(*grads, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,args", [("t", ()), ("transpose", (0, 1)), ("swapdims", (1, 0)), ("swapaxes", (0, 1)),
                                       ("squeeze", ()), ("squeeze", (1,)), ("squeeze", (0,)), ("unsqueeze", (1,)),
                                       ("unsqueeze", (-1,))])
def test_view_forms_match_torch(name, args):
    values = np.arange(6.0).reshape(3, 1, 2)[:, :, 0] if name in ("t", "transpose", "swapdims", "swapaxes") else \
        np.arange(6.0).reshape(1, 3, 1, 2)
    weights = None
    results = []
    for lib in (fastgrad, torch):
        x = lib.tensor(values, requires_grad=True)
        y = x * 2
        z = ((y + 1) * 3).sum()  # recorded before the change, with y's old shape
        assert getattr(y, f"{name}_")(*args) is y
        if weights is None:
            weights = np.random.default_rng(1).standard_normal(tuple(y.shape))
        ((y * lib.tensor(weights)).sum() + z).backward()
        results.append((tuple(y.shape), y._version, y.detach().numpy().copy(), x.grad.numpy()))
        plain = lib.tensor(values)
        getattr(plain, f"{name}_")(*args)
        assert tuple(plain.shape) == tuple(y.shape) and plain._version == 1
    (shape, version, data, grad), (their_shape, their_version, their_data, their_grad) = results
    assert shape == their_shape and version == their_version
    np.testing.assert_array_equal(data, their_data)
    np.testing.assert_allclose(grad, their_grad)


@pytest.mark.parametrize("name,args", [("sin", ()), ("gt", (0,)), ("cumsum", (0,)), ("t", ()), ("unsqueeze", (0,))])
def test_in_place_on_a_leaf_that_requires_grad_raises_as_torch(name, args):
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(torch.ones(2, 2, requires_grad=True), f"{name}_")(*args)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        getattr(fastgrad.ones(2, 2, requires_grad=True), f"{name}_")(*args)


@pytest.mark.parametrize("name", ["sin", "sqrt", "reciprocal", "erf", "log1p", "frac"])
def test_a_float_result_in_an_integer_tensor_raises_as_torch(name):
    with pytest.raises(RuntimeError):
        getattr(torch.tensor([1, 2]), f"{name}_")()
    x = fastgrad.tensor([1, 2])
    with pytest.raises((RuntimeError, TypeError)):
        getattr(x, f"{name}_")()
    assert x.tolist() == [1, 2] and x._version == 0


@pytest.mark.parametrize("statement,values", [
    ("x //= 2", [5, -7, 8]), ("x //= 2.5", [5.0, -7.0, 8.0]), ("x %= 3", [5, -7, 8]), ("x %= -1.5", [5.0, -7.0, 8.5]),
    ("x **= 2", [5, -7, 8]), ("x **= 0.5", [4.0, 9.0, 2.0]), ("x &= 6", [5, -7, 8]), ("x |= 6", [5, -7, 8]),
    ("x ^= 6", [5, -7, 8]), ("x <<= 2", [5, -7, 8]), ("x >>= 1", [5, -7, 8]),
    ("x &= y", [True, False, True]), ("x |= y", [True, False, False]), ("x ^= y", [True, False, True]),
])
def test_augmented_assignments_change_the_tensor_in_place_as_torch(statement, values):
    """The tensor itself changes, so a view made before sees the new values (they used to go to a new tensor)."""
    seen = []
    for lib in (fastgrad, torch):
        x = lib.tensor(values)
        view, y = x[:], lib.tensor([True, True, False])
        before = x
        exec(statement)
        assert x is before and x._version == 1
        seen.append((view.tolist(), str(x.dtype).replace("torch.", "")))
    assert seen[0] == seen[1]


def test_augmented_assignments_refuse_what_torch_refuses():
    for statement in ("x //= 2.5", "x %= 2.5", "x **= 0.5", "x &= 1"):
        with pytest.raises((RuntimeError, TypeError)):
            x = torch.tensor([5, 7]) if "&" not in statement else torch.tensor([5.0])
            exec(statement)
        with pytest.raises((RuntimeError, TypeError)):
            x = fastgrad.tensor([5, 7]) if "&" not in statement else fastgrad.tensor([5.0])
            exec(statement)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x = fastgrad.ones(2, requires_grad=True)
        x //= 2

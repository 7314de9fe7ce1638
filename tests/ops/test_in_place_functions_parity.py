"""torch's free in-place functions (`torch.relu_(x)`, `torch.clamp_(x, min=0)`, `torch.dropout_(x, p, train)`,
...) against PyTorch: each changes its first argument and returns that very tensor, with PyTorch's values,
gradient through a change inside the graph, and refusal on a leaf that requires grad. The list is dir(torch)'s."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

VALUES = np.array([[0.3, -0.6, 0.9], [-0.2, 0.55, -0.85]])
POSITIVE = VALUES + 2.0
OTHER = np.array([[0.4, 0.7, 1.5], [0.3, 0.2, 0.6]])
EXPONENTS = np.array([[1, -2, 3], [0, 2, -1]])

# name: (arguments as a function of the library, a dict last for keywords; values of the first argument)
CASES = {name: (lambda m: (), VALUES) for name in (
    "abs_", "acos_", "asin_", "atan_", "atanh_", "arccos_", "arcsin_", "arctan_", "arctanh_", "asinh_", "arcsinh_",
    "ceil_", "cos_", "cosh_", "deg2rad_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fix_", "floor_", "frac_",
    "i0_", "log1p_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_", "sigmoid_", "sin_",
    "sinc_", "sinh_", "square_", "tan_", "tanh_", "trunc_", "zero_", "detach_", "selu_", "celu_", "logit_")}
CASES.update({name: (lambda m: (), POSITIVE) for name in (
    "acosh_", "arccosh_", "log_", "log10_", "log2_", "sqrt_", "rsqrt_")})
CASES.update({
    "clamp_": (lambda m: (-0.5, 0.5), VALUES), "clamp_ min": (lambda m: ({"min": -0.1},), VALUES),
    "clamp_max_": (lambda m: (0.2,), VALUES), "clamp_min_": (lambda m: (-0.2,), VALUES),
    "clip_": (lambda m: (-0.3, 0.3), VALUES), "fill_": (lambda m: (2.5,), VALUES),
    "fill_ tensor": (lambda m: (m.tensor(1.5, dtype=m.float64),), VALUES),
    "ldexp_": (lambda m: (m.tensor(EXPONENTS),), VALUES),
    "xlogy_": (lambda m: (m.tensor(OTHER),), VALUES), "logit_ eps": (lambda m: (0.1,), VALUES),
    "nan_to_num_": (lambda m: (0.5, 10.0, -10.0), np.array([[np.nan, np.inf, -np.inf], [1.0, -2.0, 0.5]])),
    "addmv_": (lambda m: (m.tensor(OTHER.T), m.tensor([0.5, -1.0], dtype=m.float64), {"beta": 0.5, "alpha": 2.0}),
               np.array([0.1, -0.2, 0.3])),
    "threshold_": (lambda m: (0.1, 20.0), VALUES), "celu_ alpha": (lambda m: (2.0,), VALUES),
    "rrelu_": (lambda m: (0.1, 0.3, False), VALUES), "rrelu_ default": (lambda m: (), VALUES),
    "dropout_": (lambda m: (0.5, False), VALUES), "dropout_ p=0": (lambda m: (0.0, True), VALUES),
    "alpha_dropout_": (lambda m: (0.5, False), VALUES), "feature_alpha_dropout_": (lambda m: (0.5, False), VALUES),
    "feature_dropout_": (lambda m: (0.5, False), VALUES),
    "embedding_renorm_": (lambda m: (m.tensor([[1, 0], [1, 1]]), 0.9, 2.0), VALUES),
    "embedding_renorm_ norm 1": (lambda m: (m.tensor([0, 1, 0]), 1.2, 1.0), VALUES),
    "gcd_": (lambda m: (m.tensor([[4, 6, 9], [10, 0, 7]]),), np.array([[2, 4, 6], [5, 3, 0]])),
    "lcm_": (lambda m: (m.tensor([[4, 6, 9], [10, 0, 7]]),), np.array([[2, 4, 6], [5, 3, 0]])),
    "resize_as_": (lambda m: (m.zeros(3, 2),), VALUES),
    "as_strided_": (lambda m: ((2, 3), (1, 2), 0), VALUES),
})
DRAWING = {"dropout_ train": (0.5, True), "alpha_dropout_ train": (0.5, True),
           "feature_alpha_dropout_ train": (0.5, True), "feature_dropout_ train": (0.5, True),
           "rrelu_ train": (0.1, 0.3, True)}
NOT_HERE = {"conj_physical_", "resize_as_sparse_", "index_put_"}


def test_every_in_place_function_of_torch_is_covered():
    names = {name for name in dir(torch) if name.endswith("_") and not name.startswith("_")}
    covered = {case.split()[0] for case in [*CASES, *DRAWING]}
    assert names - NOT_HERE == covered
    assert all(hasattr(fastgrad, name) for name in covered)


def _call(lib, case, first):
    args = CASES[case][0](lib)
    kwargs = args[-1] if args and isinstance(args[-1], dict) else {}
    return getattr(lib, case.split()[0])(first, *args[:len(args) - bool(kwargs)], **kwargs)


@pytest.mark.parametrize("case", sorted(CASES))
def test_changes_and_returns_its_first_argument_as_torch(case):
    values = CASES[case][1]
    ours, theirs = fastgrad.tensor(values), torch.tensor(values)
    got, expected = _call(fastgrad, case, ours), _call(torch, case, theirs)
    assert got is ours and expected is theirs
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("case", sorted(name for name, (_, values) in CASES.items() if values.dtype.kind == "f"))
def test_refuses_a_leaf_that_requires_grad_where_torch_does(case):
    values = CASES[case][1]
    refused = []
    for lib in (fastgrad, torch):
        leaf = lib.tensor(values, requires_grad=True)
        try:
            result = _call(lib, case, leaf)
        except RuntimeError:
            refused.append(True)
        else:
            refused.append(False)
            assert result is leaf
    assert refused[0] == refused[1]


# (resize_as_ refuses any tensor that requires grad, in PyTorch as here: the test above checks it)
@pytest.mark.parametrize("case", sorted(name for name, (_, values) in CASES.items()
                                        if values.dtype.kind == "f" and name != "resize_as_"))
def test_gradient_through_a_change_inside_the_graph_as_torch(case):
    values = CASES[case][1]
    weights = np.random.default_rng(0).standard_normal(values.shape)
    grads = []
    for lib in (fastgrad, torch):
        leaf = lib.tensor(values, requires_grad=True)
        inner = leaf * 1.0
        try:
            result = _call(lib, case, inner)
            if not result.requires_grad:  # (detach_)
                grads.append(None)
                continue
            (result * lib.tensor(weights)).sum().backward()
        except (RuntimeError, NotImplementedError) as error:
            if case.startswith("embedding_renorm_"):  # no derivative: PyTorch's backward raises, fastgrad's call
                assert isinstance(error, NotImplementedError)
                grads.append("refused")
                continue
            if lib is torch:  # PyTorch 2.13 has no derivative for a few (asinh_ acosh_ atanh_): fastgrad has them
                pytest.skip(f"PyTorch refuses: {error}")
            raise
        grads.append(leaf.grad.numpy())
    if grads[1] is None or isinstance(grads[1], str):
        assert grads[0] is grads[1]
    elif case == "ldexp_":  # PyTorch 2.13 takes 2 ** exponent in the integers there: 0 for a negative exponent
        np.testing.assert_allclose(grads[0], weights * 2.0 ** EXPONENTS, rtol=1e-12)
        assert (grads[1][EXPONENTS < 0] == 0).all()
    else:
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("case", sorted(DRAWING))
def test_drawing_forms_change_and_return_their_first_argument(case):
    """Their draws are fastgrad's (PyTorch's distributions, not its values): compare the pattern."""
    name, args = case.split()[0], DRAWING[case]
    fastgrad.manual_seed(3)
    x = fastgrad.tensor(np.abs(VALUES) + 1.0)
    before = x.numpy().copy()
    assert getattr(fastgrad, name)(x, *args) is x
    changed = x.numpy()
    if name.startswith("rrelu"):
        assert np.array_equal(changed, before)  # positive values pass unchanged
    elif name in ("dropout_", "feature_dropout_"):
        assert set(np.round(changed / before, 6).ravel()) <= {0.0, 2.0}
    else:
        assert not np.array_equal(changed, before)
    for lib in (fastgrad, torch):
        with pytest.raises(RuntimeError):
            getattr(lib, name)(lib.tensor(VALUES, requires_grad=True), *args)


@pytest.mark.parametrize("call, error", [
    (lambda m: m.relu_(3), TypeError), (lambda m: m.clamp_([1.0, 2.0], 0.5), TypeError),
    (lambda m: m.dropout_(None, 0.5, False), TypeError), (lambda m: m.dropout_("x", 0.5, False), TypeError),
    (lambda m: m.dropout_(m.ones(2, 3), 0.5), TypeError),
    (lambda m: m.dropout_(m.ones(2, 3), 1.5, True), (RuntimeError, ValueError)),
    (lambda m: m.dropout_(m.ones(2, 3), 0.5, "yes"), TypeError), (lambda m: m.threshold_(m.ones(2, 3), 0.5), TypeError),
    (lambda m: m.selu_(m.ones(2, 3), 2.0), TypeError),
    (lambda m: m.feature_dropout_(m.ones(3), 0.5, True), (RuntimeError, ValueError)),
    (lambda m: m.rrelu_([1.0], 0.1, 0.3, False), TypeError),
    (lambda m: m.embedding_renorm_(m.ones(3, 2), m.tensor([0.0]), 1.0, 2.0), (RuntimeError, TypeError)),
    (lambda m: m.embedding_renorm_(m.ones(3), m.tensor([0]), 1.0, 2.0), (RuntimeError, ValueError)),
    (lambda m: m.embedding_renorm_(m.ones(3, 2), m.tensor([3]), 1.0, 2.0), IndexError),
])
def test_refuses_what_torch_refuses(call, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error):
            call(lib)
    with pytest.raises(TypeError, match=r"relu_\(\): input must be a Tensor, got int"):
        fastgrad.relu_(3)

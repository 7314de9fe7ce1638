"""The new math, reduction, shape and product ops against PyTorch: values, dtypes and gradients, in float32
and float64 (integer and bool inputs for values and dtypes only)."""
import math

import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")

FLOATS = [np.float32, np.float64]


def uniform(shape, dtype, low=-2.0, high=2.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


def away_from_zero(shape, dtype, seed=0):
    """Values in +-[0.5, 2]: safe divisors."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)).astype(dtype)


def with_zeros(shape, dtype, seed=0):
    values = uniform(shape, dtype, seed=seed)
    values.reshape(-1)[::3] = 0
    return values


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,ours,theirs,make", [
    ("log1p", fastgrad.log1p, torch.log1p, lambda s, d: uniform(s, d, -0.9, 2.0)),
    ("expm1", lambda x: x.expm1(), torch.expm1, uniform),
    ("sin", fastgrad.sin, torch.sin, uniform),
    ("cos", lambda x: x.cos(), torch.cos, uniform),
    ("square", fastgrad.square, torch.square, uniform),
    ("sign", lambda x: x.sign(), torch.sign, with_zeros),
    ("reciprocal", fastgrad.reciprocal, torch.reciprocal, away_from_zero),
    ("rsqrt", lambda x: x.rsqrt(), torch.rsqrt, lambda s, d: uniform(s, d, 0.2, 3.0)),
    ("relu", fastgrad.relu, torch.relu, uniform),
    ("sigmoid", lambda x: x.sigmoid(), torch.sigmoid, uniform),
    ("tanh", fastgrad.tanh, torch.tanh, uniform),
    ("softmax", lambda x: x.softmax(1), lambda x: x.softmax(1), uniform),
    ("softmax_fn", lambda x: fastgrad.softmax(x, dim=0), lambda x: torch.softmax(x, dim=0), uniform),
    ("log_softmax", lambda x: x.log_softmax(-1), lambda x: x.log_softmax(-1), uniform),
    ("log_softmax_fn", lambda x: fastgrad.log_softmax(x, 0), lambda x: torch.log_softmax(x, 0), uniform),
], ids=lambda v: v if isinstance(v, str) else "")
def test_unary_math_matches_torch(dtype, name, ours, theirs, make, matches_torch):
    matches_torch(ours, theirs, make((3, 4), dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_of_a_0_dim_tensor_matches_torch(dtype, matches_torch):
    for call in (lambda x: x.softmax(0), lambda x: x.log_softmax(-1)):
        matches_torch(call, call, np.array(1.5, dtype=dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_remainder_and_floor_divide_match_torch(dtype, matches_torch):
    a, b = uniform((3, 4), dtype, -5.0, 5.0), away_from_zero((4,), dtype, seed=1)
    matches_torch(lambda a, b: a % b, lambda a, b: a % b, a, b)
    matches_torch(fastgrad.remainder, torch.remainder, b, a[0])
    matches_torch(lambda a: a % 1.5, lambda a: a % 1.5, a)
    matches_torch(lambda b: 3.0 % b, lambda b: 3.0 % b, b, grad=False)
    # PyTorch has no derivative for number % tensor (its Scalar overload); fastgrad's is the tensor % tensor one.
    matches_torch(lambda b: 3.0 % b, lambda b: torch.full_like(b, 3.0) % b, b)
    matches_torch(lambda a, b: a // b, lambda a, b: a // b, a, b, grad=False)
    matches_torch(fastgrad.floor_divide, torch.floor_divide, a, b, grad=False)
    matches_torch(lambda b: 5.0 // b, lambda b: 5.0 // b, b, grad=False)


def test_integer_floor_divide_and_remainder_match_torch(matches_torch):
    a, b = np.array([7, -7, 5, -5, 0]), np.array([2, 2, -3, -3, 4])
    matches_torch(lambda a, b: a // b, lambda a, b: a // b, a, b)
    matches_torch(lambda a, b: a % b, lambda a, b: a % b, a, b)
    matches_torch(lambda a: 9 // a, lambda a: 9 // a, b)
    matches_torch(lambda a: a % 2.5, lambda a: a % 2.5, a)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("call", [
    lambda m, x: m.logsumexp(x, 1), lambda m, x: m.logsumexp(x, (0, 2), keepdim=True),
    lambda m, x: m.logsumexp(x * 50, -1),
    lambda m, x: m.var(x), lambda m, x: m.var(x, 1), lambda m, x: m.var(x, dim=(0, 2), correction=0),
    lambda m, x: m.var(x, 1, keepdim=True, unbiased=False), lambda m, x: m.var(x, -1, correction=2),
    lambda m, x: m.var(x, 1, True, True), lambda m, x: m.var(x, False),
    lambda m, x: m.std(x), lambda m, x: m.std(x, 0), lambda m, x: m.std(x, dim=(1, 2), correction=0, keepdim=True),
    lambda m, x: m.std(x, 2, unbiased=False), lambda m, x: m.std(x, correction=0.5),
    lambda m, x: m.prod(x), lambda m, x: m.prod(x, 1), lambda m, x: m.prod(x, -1, keepdim=True),
    lambda m, x: m.cumsum(x, 0), lambda m, x: m.cumsum(x, dim=-1),
    lambda m, x: m.cumprod(x, 0), lambda m, x: m.cumprod(x, dim=-1), lambda m, x: x.cumprod(1, dtype=m.float64),
    lambda m, x: x.sum(dtype=m.float64), lambda m, x: m.sum(x, (0, 2), True, dtype=m.float32),
    lambda m, x: x.mean(dtype=m.float64), lambda m, x: m.mean(x, -1, dtype=m.float32),
    lambda m, x: x.prod(1, dtype=m.float64),
], ids=["lse", "lse_dims_keepdim", "lse_large", "var", "var_dim", "var_dims_c0", "var_biased_keepdim", "var_c2",
        "var_positional", "var_unbiased_false", "std", "std_dim", "std_dims", "std_biased", "std_c_half", "prod",
        "prod_dim", "prod_keepdim", "cumsum0", "cumsum_last", "cumprod0", "cumprod_last", "cumprod_dtype",
        "sum_dtype", "sum_dims_dtype", "mean_dtype", "mean_dim_dtype", "prod_dtype"])
def test_reductions_match_torch(dtype, call, matches_torch):
    # zeros make the gradients of prod and cumprod interesting: one per line along dim 0, two along dim 2
    x = with_zeros((3, 4, 5), dtype)
    matches_torch(lambda x: call(fastgrad, x), lambda x: call(torch, x), x)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [1, 2, math.inf, -math.inf, "fro", 3, 0.5, -1, 0])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), (-1, True), ((0, 2), False)])
def test_norm_matches_torch(dtype, p, dim, keepdim, matches_torch):
    if p == "fro" and dim is not None and not isinstance(dim, tuple):
        dim = (dim, 0)
    x = uniform((3, 4, 5), dtype)
    matches_torch(lambda x: x.norm(p, dim, keepdim), lambda x: x.norm(p, dim, keepdim), x)
    matches_torch(lambda x: fastgrad.norm(x * 0, p, dim), lambda x: torch.norm(x * 0, p, dim), x)  # at zero


@pytest.mark.parametrize("dtype", FLOATS)
def test_cumsum_of_negative_zeros_is_positive_zero_as_torch(dtype):
    """PyTorch's running sum starts from +0.0: a line that starts with -0.0s gives +0.0 there."""
    x = np.array([[-0.0, -0.0, 1.0, -1.0], [2.0, -2.0, -0.0, -0.0]], dtype)
    for backend in ("numpy", "compiled", "python"):
        with fastgrad.backend(backend):
            got = fastgrad.cumsum(fastgrad.tensor(x), 1).numpy()
        expected = torch.cumsum(torch.tensor(x), 1).numpy()
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def test_norm_default_and_dtype_match_torch(matches_torch):
    x = uniform((3, 4), np.float32)
    matches_torch(lambda x: fastgrad.norm(x), torch.norm, x)
    matches_torch(lambda x: x.norm(dim=0), lambda x: x.norm(dim=0), x)
    matches_torch(lambda x: x.norm(dtype=fastgrad.float64), lambda x: x.norm(dtype=torch.float64), x)


def test_integer_and_bool_reductions_match_torch(matches_torch):
    ints = np.array([[1, 2, 0], [3, -1, 2]], dtype=np.int32)
    bools = np.array([[True, False, True], [True, True, True]])
    for array in (ints, bools):
        for call in (lambda m, x: m.prod(x), lambda m, x: m.prod(x, 1), lambda m, x: m.cumsum(x, 1),
                     lambda m, x: m.cumprod(x, 1), lambda m, x: x.cumprod(0, dtype=m.float32),
                     lambda m, x: m.all(x), lambda m, x: m.any(x, 1), lambda m, x: m.all(x, 0, keepdim=True),
                     lambda m, x: m.square(x), lambda m, x: m.sign(x)):
            matches_torch(lambda x: call(fastgrad, x), lambda x: call(torch, x), array)
    for call in (lambda m, x: m.sum(x), lambda m, x: x.sum(1, dtype=m.int32), lambda m, x: x.sum(dtype=m.float32),
                 lambda m, x: x.prod(dtype=m.int32), lambda m, x: m.cumsum(x, 0, dtype=m.int32),
                 lambda m, x: x.cumprod(1, dtype=m.int32), lambda m, x: m.mean(x, dtype=m.float64),
                 lambda m, x: x.mean(0, keepdim=True, dtype=m.float32)):
        matches_torch(lambda x: call(fastgrad, x), lambda x: call(torch, x), ints)
    matches_torch(lambda x: x.sum(dtype=fastgrad.bool_), lambda x: x.sum(dtype=torch.bool), bools)
    for fn in ("log1p", "expm1", "sin", "cos", "reciprocal", "rsqrt", "isnan", "isinf", "isfinite"):
        matches_torch(getattr(fastgrad, fn), getattr(torch, fn), np.array([1, 2, 4]))
    matches_torch(lambda x: x.logsumexp(0), lambda x: x.logsumexp(0), np.array([1, 2, 4]))


def test_reduction_dtype_refusals_match_torch():
    """Where PyTorch refuses a dtype argument, fastgrad does too (the message and, for mean, the type differ:
    fastgrad's dtype refusals are TypeErrors)."""
    x = uniform((2, 3), np.float32)
    for call, error in ((lambda m, x: x.sum(dtype=m.int64), RuntimeError),
                        (lambda m, x: x.prod(dtype=m.int32), RuntimeError),
                        (lambda m, x: x.cumsum(0, dtype=m.int64), RuntimeError),
                        (lambda m, x: m.cumprod(x, 1, dtype=m.int64), RuntimeError),
                        (lambda m, x: x.detach().mean(dtype=m.int64), (TypeError, RuntimeError)),
                        (lambda m, x: (x > 0).cumsum(0, dtype=m.bool_ if m is fastgrad else m.bool),
                         NotImplementedError)):
        with pytest.raises(error):
            call(torch, torch.tensor(x, requires_grad=True))
        with pytest.raises(error):
            call(fastgrad, fastgrad.tensor(x, requires_grad=True))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_extrema_of_a_0_dim_tensor_along_a_dim_match_torch(dtype, dim, keepdim, matches_torch):
    x = np.array(-1.5, dtype=dtype)
    for call in (lambda m, x: tuple(x.max(dim, keepdim)), lambda m, x: tuple(m.min(x, dim, keepdim=keepdim))):
        matches_torch(lambda x: call(fastgrad, x), lambda x: call(torch, x), x)
    for call in (lambda m, x: x.argmax(dim, keepdim), lambda m, x: m.argmin(x, dim=dim, keepdim=keepdim)):
        matches_torch(lambda x: call(fastgrad, x), lambda x: call(torch, x), x, grad=False)
    matches_torch(lambda x: tuple(x.max(dim, keepdim)), lambda x: tuple(x.max(dim, keepdim)), np.array(4))


@pytest.mark.parametrize("dim", [1, -2])
def test_extrema_of_a_0_dim_tensor_refuse_other_dims_as_torch(dim):
    for name in ("max", "min", "argmax", "argmin"):
        for lib in (torch, fastgrad):
            with pytest.raises(IndexError, match=rf"(?i)dimension out of range \(expected to be in range of \[-1, 0\], "
                                                 rf"but got {dim}\)"):
                getattr(lib.tensor(1.0), name)(dim)


@pytest.mark.parametrize("call", [
    lambda x: x.sum(True), lambda x: x.mean(dim=True), lambda x: x.amax(True), lambda x: x.unsqueeze(True),
    lambda x: x.squeeze(True), lambda x: x.logsumexp(True), lambda x: x.count_nonzero(True),
    lambda x: x.unbind(True), lambda x: x.narrow(True, 0, 1), lambda x: x.movedim(True, 0),
], ids=["sum", "mean", "amax", "unsqueeze", "squeeze", "logsumexp", "count_nonzero", "unbind", "narrow", "movedim"])
def test_a_bool_is_not_a_dim_as_in_torch(call):
    """True would name dim 1: PyTorch refuses it as a dim (it takes one inside a tuple, as fastgrad does)."""
    for lib in (torch, fastgrad):
        with pytest.raises(TypeError):
            call(lib.ones(2, 3))
        assert lib.ones(2, 3).sum((0, True)).item() == 6


def test_all_any_and_nan_inf_tests_match_torch(matches_torch):
    x = np.array([[1.0, 0.0, math.nan], [math.inf, -math.inf, 2.0]], dtype=np.float32)
    for call in (lambda m, x: m.all(x), lambda m, x: m.any(x), lambda m, x: m.all(x, 1), lambda m, x: m.any(x, dim=0),
                 lambda m, x: m.all(x, (0, 1), keepdim=True), lambda m, x: m.isnan(x), lambda m, x: m.isinf(x),
                 lambda m, x: m.isfinite(x)):
        matches_torch(lambda x: call(fastgrad, x), lambda x: call(torch, x), x, grad=False)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("call", [
    lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(1, 1), lambda x: x.repeat(0, 2),
    lambda x: x.repeat_interleave(2), lambda x: x.repeat_interleave(3, dim=1),
    lambda x: x.chunk(3, 1), lambda x: x.chunk(2), lambda x: x.split(2, 1), lambda x: x.split([1, 3], dim=-1),
    lambda x: x.unbind(1), lambda x: x.unbind(), lambda x: x.narrow(1, -3, 2), lambda x: x.narrow(0, 1, 2),
    lambda x: x.unflatten(1, (2, -1)), lambda x: x.unflatten(0, [3, 1]), lambda x: x.flatten(0, 1),
    lambda x: x.view_as(x.reshape(2, 6)), lambda x: x.T.reshape_as(x.reshape(12)), lambda x: x.expand_as(x.repeat(2, 1, 1)),
], ids=["repeat", "repeat_ones", "repeat_zero", "ri_flat", "ri_dim", "chunk_dim1", "chunk", "split_int",
        "split_list", "unbind1", "unbind0", "narrow_negative", "narrow", "unflatten", "unflatten_list", "flatten",
        "view_as", "reshape_as", "expand_as"])
def test_shape_methods_match_torch(dtype, call, matches_torch):
    matches_torch(call, call, uniform((3, 4), dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_shape_functions_match_torch(dtype, matches_torch):
    x = uniform((3, 4), dtype)
    for name, args in (("chunk", (3, 1)), ("split", (3, 1)), ("unbind", (1,)), ("narrow", (0, 1, 1)),
                       ("unflatten", (1, (2, 2))), ("repeat_interleave", (2, 0))):
        matches_torch(lambda x: getattr(fastgrad, name)(x, *args), lambda x: getattr(torch, name)(x, *args), x)
    counts = np.array([2, 0, 1])
    matches_torch(lambda x, c: x.repeat_interleave(c, dim=0), lambda x, c: x.repeat_interleave(c, dim=0), x, counts)
    matches_torch(lambda c: fastgrad.repeat_interleave(c), lambda c: torch.repeat_interleave(c), counts)


@pytest.mark.parametrize("dtype", FLOATS)
def test_matrix_products_match_torch(dtype, matches_torch):
    a, b = uniform((2, 3), dtype, seed=1), uniform((3, 4), dtype, seed=2)
    matches_torch(fastgrad.mm, torch.mm, a, b)
    matches_torch(lambda a, b: a.mm(b), lambda a, b: a.mm(b), a, b)
    batch_a, batch_b = uniform((5, 2, 3), dtype, seed=3), uniform((5, 3, 4), dtype, seed=4)
    matches_torch(fastgrad.bmm, torch.bmm, batch_a, batch_b)
    u, v = uniform((3,), dtype, seed=5), uniform((4,), dtype, seed=6)
    matches_torch(fastgrad.outer, torch.outer, u, v)
    matches_torch(lambda u, v: u.outer(v), lambda u, v: u.outer(v), u, v)


def test_integer_matrix_products_match_torch(matches_torch):
    a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    matches_torch(fastgrad.mm, torch.mm, a, b)
    matches_torch(lambda a, b: fastgrad.einsum("ij,jk->ik", a, b), lambda a, b: torch.einsum("ij,jk->ik", a, b),
                         a, b)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("i,j->ij", [(3,), (2,)]),
    ("bi,bi->b", [(3, 4), (3, 4)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ij", [(2, 3)]), ("ji", [(2, 3)]),
    ("ij,jk", [(2, 3), (3, 4)]), ("ij,j->i", [(2, 3), (1,)]), ("ij,kj->ik", [(2, 3), (1, 3)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]), ("...i,...i->...", [(2, 3), (4, 1, 3)]), ("i...->i", [(2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("bA,c", [(3, 2), (4,)]), ("i,i", [(3,), (3,)]),
    ("bsh,hd->bsd", [(2, 5, 3), (3, 4)]), ("bqd,bkd->bqk", [(2, 3, 4), (2, 5, 4)]),
], ids=lambda v: v if isinstance(v, str) else "")
def test_einsum_matches_torch(dtype, equation, shapes, matches_torch):
    arrays = [uniform(shape, dtype, seed=i) for i, shape in enumerate(shapes)]
    matches_torch(lambda *t: fastgrad.einsum(equation, *t), lambda *t: torch.einsum(equation, *t), *arrays)


IN_PLACE_ALPHA_CASES = [  # (self dtype, other dtype, alpha)
    (np.float32, np.float32, 0.1), (np.float64, np.float64, -2.5), (np.float32, np.float64, 0.3),
    (np.float64, np.float32, 3), (np.float32, np.int64, 0.5), (np.int64, np.int64, 2), (np.float32, np.float32, 1)]


@pytest.mark.parametrize("self_dtype, other_dtype, alpha", IN_PLACE_ALPHA_CASES)
@pytest.mark.parametrize("name", ["add_", "sub_"])
def test_in_place_add_and_sub_with_alpha_match_torch_outside_autograd(name, self_dtype, other_dtype, alpha):
    """An optimizer's update, p.sub_(grad, alpha=lr) under no_grad: values and the kept dtype as PyTorch's."""
    start, other = uniform((3, 4), self_dtype), uniform((3, 4), other_dtype, seed=1)
    ours, theirs = fastgrad.tensor(start), torch.tensor(start)
    with fastgrad.no_grad(), torch.no_grad():
        getattr(ours, name)(fastgrad.tensor(other), alpha=alpha)
        getattr(theirs, name)(torch.tensor(other), alpha=alpha)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6 if np.float32 in (self_dtype, other_dtype)
                               else 1e-12)


def test_in_place_sub_with_a_float_alpha_into_an_integer_tensor_raises_as_torch_does():
    message = "For integral input tensors, argument alpha must not be a floating point number"
    with pytest.raises(RuntimeError, match=message):
        torch.ones(3, dtype=torch.int64).sub_(torch.ones(3, dtype=torch.int64), alpha=0.5)
    with pytest.raises(RuntimeError, match=message):
        fastgrad.ones(3, dtype=fastgrad.int64).sub_(fastgrad.ones(3, dtype=fastgrad.int64), alpha=0.5)


@pytest.mark.parametrize("call", [lambda t: t.add([1], alpha=0.5), lambda t: t.sub([1], alpha=0.5),
                                  lambda t: t.add_([1], alpha=0.5), lambda t: t.add(None, alpha=0.5)])
def test_an_operand_that_is_not_a_tensor_is_refused_before_a_float_alpha_as_torch(call):
    """PyTorch checks the operand's type first (TypeError); fastgrad refused the alpha first (RuntimeError)."""
    for lib in (torch, fastgrad):
        with pytest.raises(TypeError):
            call(lib.ones(3, dtype=lib.int64))


@pytest.mark.parametrize("call", [
    lambda m, x: x.sub_(True), lambda m, x: x.sub_(m.tensor([True, False, True])), lambda m, x: x.__isub__(False),
    lambda m, x: x.long().pow_(-1), lambda m, x: x.bool().pow_(m.tensor([True, False, True])),
    lambda m, x: x.fill_(m.tensor([1.0, 2.0, 3.0])), lambda m, x: x.fill_(m.tensor([[1.0]])),
])
def test_in_place_ops_refuse_what_torch_refuses(call):
    # NumPy would compute each: x - True, 2 ** -1 as 0, a "fill" copying a tensor elementwise
    for m in (torch, fastgrad):
        with pytest.raises((RuntimeError, TypeError, NotImplementedError)):
            call(m, m.tensor([1.0, 2.0, 3.0]))


def test_fill_with_a_0_d_tensor_sends_it_the_gradient_as_torch(same_as_torch):
    def fill(m, x, v):
        y = x * 2
        return y.fill_(v), y.clone().fill_(v.detach().int())

    same_as_torch(fill, uniform((2, 3), np.float64), np.array(1.5))
    same_as_torch(fill, uniform((4,), np.float32), np.array(-2.0, dtype=np.float32))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bounds", ["min", "max", "both", "crossed"])
def test_clamp_with_tensor_bounds_matches_torch(dtype, bounds, matches_torch):
    """Tensor bounds broadcast and get gradients where they clip; min > max gives max, as PyTorch."""
    x = uniform((3, 4), dtype)
    low, high = uniform((4,), dtype, -1.0, 0.0, seed=1), uniform((3, 1), dtype, 0.0, 1.0, seed=2)
    if bounds == "crossed":
        low, high = high.reshape(3, 1) + 0.5, low.reshape(1, 4) + 0.25
    kwargs = {"min": lambda lo, hi: {"min": lo}, "max": lambda lo, hi: {"max": hi}}.get(
        bounds, lambda lo, hi: {"min": lo, "max": hi})
    call = lambda t, lo, hi: t.clamp(**kwargs(lo, hi))
    matches_torch(call, call, x, low, high)
    in_place = lambda t, lo, hi: (t * 1).clamp_(**kwargs(lo, hi))  # the bounds' gradients too
    matches_torch(in_place, in_place, x, low, high)


@pytest.mark.parametrize("dtype", FLOATS)
def test_clamp_with_tensor_bounds_gives_a_nan_no_gradient_as_torch(dtype, matches_torch):
    """A NaN input, or a NaN bound, makes the element NaN and gives neither it nor the bounds a gradient."""
    x = np.array([np.nan, 1.0, 5.0, 0.5, -1.0, 3.0, np.nan], dtype)
    low = np.array([0.0, np.nan, 0.0, 0.0, 0.0, 0.0, np.nan], dtype)
    high = np.array([2.0, 2.0, 2.0, np.nan, 2.0, 2.0, 2.0], dtype)
    for call in (lambda t, lo, hi: t.clamp(lo, hi), lambda t, lo, hi: t.clamp(min=lo),
                 lambda t, lo, hi: t.clamp(max=hi), lambda t, lo, hi: (t * 1).clamp_(lo, hi)):
        matches_torch(call, call, x, low, high)


def test_clamp_refuses_a_number_with_a_tensor_bound_as_torch():
    x, bound = uniform((3,), np.float32), uniform((3,), np.float32)
    for module in (fastgrad, torch):
        with pytest.raises(TypeError):
            module.tensor(x).clamp(min=0.0, max=module.tensor(bound))


def _outcome(module, call):
    """What `call(module)` gives: (values, dtype, shape), or the exception's type for a raise."""
    try:
        out = call(module)
    except (TypeError, ValueError, RuntimeError, IndexError) as error:
        return type(error).__name__ if module is fastgrad else "raises"
    outs = out if isinstance(out, tuple) else (out,)
    return [(np.asarray(o.detach().numpy() if module is torch else o.numpy()).tolist(), str(o.dtype).replace("torch.", ""),
             tuple(o.shape)) for o in outs]


@pytest.mark.parametrize("call", [
    lambda m: m.arange(6.0).reshape(2, 3).sum(()),
    lambda m: m.arange(6.0).reshape(2, 3).sum(dim=[], keepdim=True),
    lambda m: m.arange(6.0).reshape(2, 3).mean([]),
    lambda m: m.arange(6.0).reshape(2, 3).var(dim=()),
    lambda m: m.arange(6.0).reshape(2, 3).std(dim=[]),
    lambda m: m.arange(6.0).reshape(2, 3).norm(dim=()),
    lambda m: m.tensor([[1, 2]]).sum([]),
    lambda m: m.tensor(3.0).sum(0),
    lambda m: m.arange(24.0).reshape(2, 3, 4).max((0, 1)),
    lambda m: m.arange(24.0).reshape(2, 3, 4).min([1, 2], keepdim=True),
    lambda m: m.arange(6.0).reshape(2, 3).max(keepdim=True),
    lambda m: m.logsumexp(m.arange(6.0).reshape(2, 3), dim=()),
    lambda m: m.tensor([1, 2]).exp(),
    lambda m: m.tensor([1, 4]).sqrt(),
    lambda m: m.tensor([1, 2]).log(),
    lambda m: m.tensor([1, 2]).tanh(),
    lambda m: m.tensor([True, False]).exp(),
    lambda m: m.tensor([1, 5]).clamp(0.5, 2.5),
    lambda m: m.tensor([1, 5]).clamp(min=2.5),
    lambda m: m.tensor([1, 5]).clamp(0, 2),
    lambda m: m.cat([m.tensor([1, 2]), m.tensor([1.5])]),
    lambda m: m.stack([m.tensor([1]), m.tensor([1.5], dtype=m.float64)]),
    lambda m: m.nn.functional.softmax(m.tensor([1, 2]), 0),
    lambda m: m.nn.functional.log_softmax(m.tensor([1.0, 2.0]), 0, dtype=m.float64),
    lambda m: m.arange(6.0).reshape(2, 3).view(3, 2),
    lambda m: m.arange(6.0).reshape(2, 3).t().view(3, 2),
    lambda m: m.einsum("bij,bjk->bik", m.ones(2, 3, 4), m.ones(2, 4, 5)).view(-1),
    lambda m: m.ones(3, 4).softmax(0).view(-1),
    lambda m: m.arange(4.0)[::-1],
    lambda m: m.arange(6.0).reshape(2, 3)[:, ::-2],
    lambda m: m.tensor([[True, False], [True, True]]).all(dim=()),
    lambda m: m.tensor([[True, False], [False, False]]).any(()),
    lambda m: m.tensor([float("nan"), 1.0, 3.0]).clamp(m.tensor([0.0, float("nan"), 1.0])),
], ids=["sum ()", "sum [] keepdim", "mean []", "var ()", "std []", "norm ()", "int sum []", "0-d sum 0",
        "max tuple", "min list keepdim", "max keepdim without dim", "logsumexp ()", "int exp", "int sqrt",
        "int log", "int tanh", "bool exp", "int clamp float bounds", "int clamp float min", "int clamp int bounds",
        "cat int float", "stack int float64", "F.softmax int", "F.log_softmax dtype", "view contiguous",
        "view transpose same layout", "view of an einsum", "view of a softmax over dim 0", "negative step",
        "negative step 2-d",
        "all ()", "any ()", "clamp NaN bound"])
def test_values_dtypes_and_refusals_match_torch(call):
    """Each call gives PyTorch's values, dtype and shape, or raises where PyTorch raises."""
    ours, theirs = _outcome(fastgrad, call), _outcome(torch, call)
    if theirs == "raises":
        assert isinstance(ours, str), f"fastgrad returned {ours} where torch raises"
    else:
        assert not isinstance(ours, str), f"fastgrad raised {ours} where torch returns {theirs}"
        for (values, dtype, shape), (their_values, their_dtype, their_shape) in zip(ours, theirs):
            assert (dtype, shape) == (their_dtype, their_shape)
            np.testing.assert_allclose(values, their_values, rtol=1e-6)


@pytest.mark.parametrize("base, exponent", [(0.0, 0.0), (0.0, 2.0), (0.0, -1.0), (0.0, 0.5), (-2.0, 2.0),
                                            (-8.0, 1 / 3), (2.0, 0.0), (3.0, 1.5)])
def test_pow_gradients_at_zero_and_negative_bases_match_torch(base, exponent):
    """PyTorch's conventions: no gradient to the base where the exponent is 0, none to the exponent at a
    zero base with a non-negative exponent, NaN for the exponent at a negative base."""
    grads = []
    for module in (fastgrad, torch):
        a = module.tensor([base], dtype=module.float64, requires_grad=True)
        b = module.tensor([exponent], dtype=module.float64, requires_grad=True)
        (a ** b).sum().backward()
        grads.append([a.grad.item(), b.grad.item()])
    np.testing.assert_allclose(grads[0], grads[1], equal_nan=True)



@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_of_two_tensors_are_elementwise_as_torch(name, matches_torch):
    a, b = uniform((3, 4), np.float64), uniform((3, 4), np.float64, seed=1)
    matches_torch(lambda x, y: getattr(fastgrad, name)(x, y), lambda x, y: getattr(torch, name)(x, y), a, b)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("call", [
    lambda m, x: m.amax(x, (0, 2)),
    lambda m, x: x.amin(1, keepdim=True),
    lambda m, x: x.amax(),
    lambda m, x: (x * 0).amax(-1),  # every element tied: the gradient split evenly
    lambda m, x: x.movedim((0, 1), (2, 0)),
    lambda m, x: m.moveaxis(x, -1, 0),
    lambda m, x: x.swapaxes(0, 2),
    lambda m, x: m.swapdims(x, 1, 2),
    lambda m, x: x.mT,
    lambda m, x: x.transpose(1, 1),
], ids=["amax tuple", "amin keepdim", "amax all", "amax ties", "movedim", "moveaxis", "swapaxes", "swapdims", "mT",
        "transpose same dim"])
def test_new_reductions_and_dim_moves_match_torch(dtype, call, matches_torch):
    module_of = lambda x: fastgrad if isinstance(x, fastgrad.Tensor) else torch
    matches_torch(lambda x: call(module_of(x), x), lambda x: call(module_of(x), x), uniform((2, 3, 4), dtype))


@pytest.mark.parametrize("call", [
    lambda m, a, b, i: a & b, lambda m, a, b, i: a | b, lambda m, a, b, i: a ^ b, lambda m, a, b, i: ~a,
    lambda m, a, b, i: i & 6, lambda m, a, b, i: ~i, lambda m, a, b, i: a & i, lambda m, a, b, i: True ^ a,
    lambda m, a, b, i: m.logical_and(a, i), lambda m, a, b, i: m.logical_or(i, b), lambda m, a, b, i: m.logical_not(i),
    lambda m, a, b, i: m.logical_xor(a, b), lambda m, a, b, i: m.bitwise_and(i, i + 1),
    lambda m, a, b, i: m.tensor([1.5]) & m.tensor([2.5]),
    lambda m, a, b, i: i << m.tensor([64, 2, -1, 70]), lambda m, a, b, i: i >> m.tensor([64, 2, -1, 70]),
    lambda m, a, b, i: i.int() << 31, lambda m, a, b, i: i.int() >> 40, lambda m, a, b, i: a << 2,
    lambda m, a, b, i: 2 << i.abs(), lambda m, a, b, i: 100 >> i.abs(), lambda m, a, b, i: i.bitwise_left_shift(i.abs()),
    lambda m, a, b, i: a << b, lambda m, a, b, i: m.tensor([1.5]) >> 1, lambda m, a, b, i: a ** True,
    lambda m, a, b, i: abs(i),
], ids=["and", "or", "xor", "not", "int and", "int not", "bool and int", "reflected xor", "logical_and",
        "logical_or", "logical_not", "logical_xor", "bitwise_and", "float refused", "lshift out of range",
        "rshift out of range", "int32 lshift", "int32 rshift", "bool lshift", "reflected lshift", "reflected rshift",
        "bitwise_left_shift", "bool by bool refused", "float shift refused", "bool power", "builtin abs"])
def test_bitwise_and_logical_operators_match_torch(call):
    assert_same_outcome(call, [True, True, False, False])


def assert_same_outcome(call, b_values):
    """call(m, a, b, i) with bool a and b and an int i gives the same values and dtype in both, or raises in both."""
    outcomes = []
    for m in (fastgrad, torch):
        a, b, i = m.tensor([True, False, True, False]), m.tensor(b_values), m.tensor([0, 3, 5, -2])
        try:
            out = call(m, a, b, i)
            outcomes.append((out.tolist(), str(out.dtype).replace("torch.", "")))
        except (TypeError, RuntimeError, NotImplementedError):
            outcomes.append("raises")
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("call", [
    lambda m, a, b, i: a // b, lambda m, a, b, i: a % b, lambda m, a, b, i: a // True, lambda m, a, b, i: True % a,
    lambda m, a, b, i: m.floor_divide(a, True), lambda m, a, b, i: m.remainder(True, b), lambda m, a, b, i: a // 2,
    lambda m, a, b, i: a % 3, lambda m, a, b, i: i // b, lambda m, a, b, i: a ** b, lambda m, a, b, i: True ** a,
    lambda m, a, b, i: m.pow(a, b), lambda m, a, b, i: a ** 2, lambda m, a, b, i: 2 ** a, lambda m, a, b, i: i ** a,
    lambda m, a, b, i: a.abs(), lambda m, a, b, i: m.abs(b), lambda m, a, b, i: a * b, lambda m, a, b, i: a + True,
    lambda m, a, b, i: a / b,
], ids=["floordiv", "mod", "floordiv number", "reflected mod", "floor_divide", "remainder", "floordiv int",
        "mod int", "int floordiv bool", "pow", "reflected pow", "pow function", "pow int", "reflected pow int",
        "int pow bool", "abs", "abs function", "mul", "add", "true divide"])
def test_bool_arithmetic_gives_torch_dtype_or_is_refused_as_in_torch(call):
    # NumPy computes what PyTorch refuses: True // True is int8 1 there, True ** False a bool True
    assert_same_outcome(call, [True, True, True, True])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["add", "sub"])
def test_add_and_sub_with_alpha_match_torch(dtype, name, matches_torch):
    a, b = uniform((3, 4), dtype), uniform((4,), dtype, seed=1)
    matches_torch(lambda x, y: getattr(x, name)(y, alpha=2.5), lambda x, y: getattr(x, name)(y, alpha=2.5), a, b)
    matches_torch(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), a, b)


@pytest.mark.parametrize("call", [lambda x: x.add(x, 2), lambda x: x.sub(x, 2), lambda x: x.clone().add_(x, 2),
                                  lambda x: x.clone().sub_(x, 2), lambda x: x.subtract(x, 2)],
                         ids=["add", "sub", "add_", "sub_", "subtract"])
def test_alpha_is_keyword_only_as_in_torch(call):
    """x.add(y, 2) is refused by PyTorch (alpha goes by name): it is not taken as alpha silently."""
    for lib in (fastgrad, torch):
        with pytest.raises(TypeError):
            call(lib.ones(2))


@pytest.mark.parametrize("alpha", [2, 0, -1, True])
def test_add_of_bools_takes_alpha_as_a_bool_as_torch(alpha, matches_torch):
    """bool + alpha * bool stays bool, alpha read as a bool (a bool times 2 alone would be int64); beside an
    integer tensor, alpha scales the promoted integers."""
    a, b = np.array([True, False, True, False]), np.array([True, True, False, False])
    matches_torch(lambda x, y: x.add(y, alpha=alpha), lambda x, y: x.add(y, alpha=alpha), a, b)
    matches_torch(lambda x, y: fastgrad.add(x, y, alpha=alpha), lambda x, y: torch.add(x, y, alpha=alpha), a, b)
    matches_torch(lambda x, y: x.clone().add_(y, alpha=alpha), lambda x, y: x.clone().add_(y, alpha=alpha), a, b)
    if alpha is not True:  # (which is refused for a result that is not bool)
        matches_torch(lambda x, y: x.add(y, alpha=alpha), lambda x, y: x.add(y, alpha=alpha), a, b.astype(np.int8))
    for m in (fastgrad, torch):
        with pytest.raises(RuntimeError, match="alpha"):
            m.tensor([1, 2]).add(m.tensor([1, 1]), alpha=True)



@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_arithmetic_as_free_functions_matches_torch(dtype, name, matches_torch):
    a, b = np.abs(away_from_zero((3, 4), dtype)), away_from_zero((4,), dtype, seed=1)  # pow needs a > 0
    matches_torch(lambda x, y: getattr(fastgrad, name)(x, y), lambda x, y: getattr(torch, name)(x, y), a, b)
    matches_torch(lambda x: getattr(fastgrad, name)(x, 2), lambda x: getattr(torch, name)(x, 2), a)
    if name in ("add", "sub"):
        matches_torch(lambda x, y: getattr(fastgrad, name)(x, y, alpha=0.5),
                             lambda x, y: getattr(torch, name)(x, y, alpha=0.5), a, b)


@pytest.mark.parametrize("name", ["neg", "clone"])
def test_neg_and_clone_as_free_functions_match_torch(name, matches_torch):
    a = uniform((2, 3), np.float64)
    matches_torch(getattr(fastgrad, name), getattr(torch, name), a)


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_functions_and_methods_match_torch(name):
    a, b = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), np.array([2.0, 2.0, 2.0])
    for other in (b, 2, np.array([2, 2, 2])):
        ours, theirs = (m.tensor(other) if isinstance(other, np.ndarray) else other for m in (fastgrad, torch))
        expected = getattr(torch, name)(torch.tensor(a), theirs)
        for got in (getattr(fastgrad, name)(fastgrad.tensor(a), ours), getattr(fastgrad.tensor(a), name)(ours)):
            assert got.dtype == fastgrad.bool and got.tolist() == expected.tolist()


@pytest.mark.parametrize("a, b", [
    ([1.0, 2.0], [1.0, 2.0]), ([1.0, 2.0], [1.0, 2.000001]), ([1.0, 2.0], [1.0, 2.1]), ([1.0, 2.0], [1.0]),
    ([float("nan")], [float("nan")]), ([1e-9], [0.0]), ([1.0, 2.0], [[1.0, 2.0], [1.0, 2.0]]), ([], []),
])
def test_equal_isclose_and_allclose_match_torch(a, b):
    for kwargs in ({}, {"rtol": 1e-2}, {"atol": 0.2}, {"equal_nan": True}):
        x, y = np.array(a, dtype=np.float32), np.array(b, dtype=np.float32)
        assert fastgrad.allclose(fastgrad.tensor(x), fastgrad.tensor(y), **kwargs) == torch.allclose(
            torch.tensor(x), torch.tensor(y), **kwargs)
        assert fastgrad.tensor(x).isclose(fastgrad.tensor(y), **kwargs).tolist() == torch.tensor(x).isclose(
            torch.tensor(y), **kwargs).tolist()
    assert fastgrad.equal(fastgrad.tensor(x), fastgrad.tensor(y)) == torch.equal(torch.tensor(x), torch.tensor(y))
    assert fastgrad.tensor(x).equal(fastgrad.tensor(y).double()) == torch.tensor(x).equal(torch.tensor(y).double())


def test_isclose_refuses_mixed_dtypes_as_torch():
    with pytest.raises(RuntimeError):
        torch.allclose(torch.zeros(2), torch.zeros(2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="dtype"):
        fastgrad.allclose(fastgrad.zeros(2), fastgrad.zeros(2, dtype=fastgrad.float64))


@pytest.mark.parametrize("values", [[1.5, -2.0], [1, 2], [True, False]])
@pytest.mark.parametrize("other_dtype", ["float64", "int32", "bool"])
def test_type_as_and_is_floating_point_match_torch(values, other_dtype):
    ours = fastgrad.tensor(values).type_as(fastgrad.zeros(1, dtype=getattr(fastgrad, other_dtype)))
    theirs = torch.tensor(values).type_as(torch.zeros(1, dtype=getattr(torch, other_dtype)))
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert fastgrad.is_floating_point(fastgrad.tensor(values)) == torch.is_floating_point(torch.tensor(values))
    assert ours.is_floating_point() == theirs.is_floating_point()


def test_type_as_passes_the_gradient_back_in_the_input_dtype():
    ours = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    theirs = torch.tensor([1.0, 2.0], requires_grad=True)
    (ours.type_as(fastgrad.zeros(1, dtype=fastgrad.float64)) ** 2).sum().backward()
    (theirs.type_as(torch.zeros(1, dtype=torch.float64)) ** 2).sum().backward()
    assert ours.grad.tolist() == theirs.grad.tolist() and ours.grad.dtype == fastgrad.float32


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape, dim, size, step", [((7,), 0, 3, 1), ((2, 5), 1, 2, 2), ((2, 5), -1, 5, 1),
                                                    ((4, 3), 0, 2, 3), ((2, 5), 1, 0, 1), ((), 0, 1, 1)])
def test_unfold_matches_torch(dtype, shape, dim, size, step, matches_torch):
    matches_torch(lambda x: x.unfold(dim, size, step), lambda x: x.unfold(dim, size, step), uniform(shape, dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name, kwargs", [("floor", {}), ("ceil", {}), ("trunc", {}), ("round", {}),
                                          ("round", {"decimals": 1}), ("round", {"decimals": 2})])
def test_rounding_matches_torch(dtype, name, kwargs, matches_torch):
    values = np.array([1.25, -2.5, 2.5, 0.35, -0.7, 3.0, 0.125], dtype=dtype)
    matches_torch(lambda x: getattr(fastgrad, name)(x, **kwargs), lambda x: getattr(torch, name)(x, **kwargs),
                         values)
    matches_torch(lambda x: getattr(x, name)(**kwargs), lambda x: getattr(x, name)(**kwargs), values)


def test_rounding_integers_matches_torch():
    for name in ("floor", "ceil", "trunc", "round"):
        ours, theirs = getattr(fastgrad, name)(fastgrad.tensor([1, -2])), getattr(torch, name)(torch.tensor([1, -2]))
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


@pytest.mark.parametrize("call, shape", [
    (lambda m, x: m.clamp_min(x, 0.1), (3, 4)), (lambda m, x: x.clamp_max(-0.2), (3, 4)),
    (lambda m, x: m.clamp_max(x, 0.0), (3, 4)), (lambda m, x: x.clamp_min(0.0), (3, 4)),
    (lambda m, x: m.clip(x, -0.5, 0.5), (3, 4)), (lambda m, x: m.t(x), (3, 4)), (lambda m, x: x.select(1, -1), (3, 4)),
    (lambda m, x: m.select(x, 0, 2), (3, 4)), (lambda m, x: m.broadcast_to(x[0], (2, 3, 4)), (3, 4)),
    (lambda m, x: m.dot(x[0], x[1]), (3, 4)), (lambda m, x: m.mv(x[:, :3], x[0, :3]), (3, 4)),
])
def test_small_conveniences_match_torch(call, shape, matches_torch):
    matches_torch(lambda x: call(fastgrad, x), lambda x: call(torch, x), uniform(shape, np.float64))


def test_scatter_in_place_and_where_with_the_condition_alone_match_torch():
    for m in (fastgrad, torch):
        one_hot = m.zeros(3, 4).scatter_(1, m.tensor([[0], [3], [1]]), 1.0)
        filled = m.ones(2, 3).scatter_(1, m.tensor([[2], [0]]), m.tensor([[5.0], [6.0]]))
        rows, cols = m.where(m.tensor([[True, False], [False, True]]))
        if m is fastgrad:
            ours = (one_hot.tolist(), filled.tolist(), rows.tolist(), cols.tolist())
        else:
            assert ours == (one_hot.tolist(), filled.tolist(), rows.tolist(), cols.tolist())


def test_scatter_in_place_inside_the_graph_matches_torch():
    grads = []
    for m in (fastgrad, torch):
        x = m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        src = m.tensor([[10.0], [20.0]], requires_grad=True)
        y = x * 2
        y.scatter_(1, m.tensor([[1], [2]]), src)
        (y * m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        grads.append((y.tolist(), x.grad.tolist(), src.grad.tolist()))
    assert grads[0] == grads[1]


def test_introspection_helpers_match_torch():
    for dtype in ("float32", "float64"):
        ours, theirs = fastgrad.finfo(getattr(fastgrad, dtype)), torch.finfo(getattr(torch, dtype))
        for field in ("eps", "max", "min", "tiny", "resolution", "bits"):
            assert float(getattr(ours, field)) == float(getattr(theirs, field)), (dtype, field)
    for dtype in ("int32", "int64"):
        ours, theirs = fastgrad.iinfo(getattr(fastgrad, dtype)), torch.iinfo(getattr(torch, dtype))
        assert (ours.min, ours.max, ours.bits) == (theirs.min, theirs.max, theirs.bits)
    for m in (fastgrad, torch):
        x = m.ones(2, 3, dtype=m.float64)
        got = (x.nelement(), x.ndimension(), x.element_size(), x.is_cuda, x.numpy(force=True).shape)
        if m is fastgrad:
            ours = got
    assert ours == got


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
def test_clamp_gradient_is_zero_where_clipped_even_for_a_nan_upstream_gradient_as_torch(backend_name):
    """A NaN upstream gradient (a 0/0 downstream, as in Dirichlet.mode) stays out of the clipped entries."""
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    upstream = np.array([np.nan, np.nan, np.inf, np.nan])
    with fastgrad.backend(backend_name):
        ours = fastgrad.tensor(x, requires_grad=True)
        ours.clamp(min=0.0, max=1.0).backward(fastgrad.tensor(upstream))
    theirs = torch.tensor(x, requires_grad=True)
    theirs.clamp(min=0.0, max=1.0).backward(torch.tensor(upstream))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@pytest.mark.parametrize("activation", ["relu", "hardtanh"])
def test_activation_gradient_is_zero_where_flat_even_for_a_nan_upstream_gradient_as_torch(backend_name, activation):
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    upstream = np.full(5, np.nan)
    with fastgrad.backend(backend_name):
        ours = fastgrad.tensor(x, requires_grad=True)
        getattr(fastgrad.nn.functional, activation)(ours).backward(fastgrad.tensor(upstream))
    theirs = torch.tensor(x, requires_grad=True)
    getattr(torch.nn.functional, activation)(theirs).backward(torch.tensor(upstream))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["maximum", "minimum", "max", "min", "fmax", "fmin"])
def test_binary_extrema_send_the_gradient_as_torch_at_ties_and_nan(dtype, name, matches_torch):
    # a NaN makes the two incomparable: maximum and minimum give both the whole gradient, fmax and fmin the number
    a = np.array([1.5, np.nan, 2.0, np.nan, 1.0, -1.0], dtype=dtype)
    b = np.array([np.nan, 1.0, 2.0, np.nan, 3.0, -2.0], dtype=dtype)
    matches_torch(getattr(fastgrad, name), getattr(torch, name), a, b)
    matches_torch(getattr(fastgrad, name), getattr(torch, name), a.reshape(3, 2), b[:2])


def test_integer_powers_with_negative_exponent_tensors_match_torch(same_as_torch):
    # 1 / a^|b| truncated: 1 and -1 keep a unit, every other base (0 too) gives 0; NumPy refuses them all
    bases, exponents = np.array([2, -2, 1, -1, 0, 3, -1]), np.array([-1, -1, -3, -3, -1, 0, -2])
    same_as_torch(lambda m, a, b: (a ** b, m.pow(a.int(), b.int()), 2 ** b, (-1) ** b, a ** b[0]), bases, exponents)
    same_as_torch(lambda m, a, b: a ** b, np.array([True, False]), np.array([-1, -2]))


@pytest.mark.parametrize("call", [lambda m: m.tensor([2]) ** -1, lambda m: m.pow(m.tensor([2], dtype=m.int32), -2),
                                  lambda m: m.tensor([True]) ** -1])
def test_integer_tensor_to_a_negative_integer_number_is_refused_as_in_torch(call):
    for m in (torch, fastgrad):
        with pytest.raises(RuntimeError, match="negative integer powers are not allowed"):
            call(m)


@pytest.mark.parametrize("rounding_mode", ["floor", "trunc"])
def test_div_with_rounding_mode_matches_torch(same_as_torch, rounding_mode):
    # zero gradients, as PyTorch's; 1 / 0.1 rounds to 9 by floor division, not to floor(10.0)
    a, b = np.array([-7.0, 7.5, -0.5, 6.0, 1.0, 3.0]), np.array([2.0, -2.0, 3.0, 3.0, 0.1, -0.7])
    mode = rounding_mode
    for dtype in FLOATS:
        same_as_torch(lambda m, a, b: (m.div(a, b, rounding_mode=mode), a.div(2.5, rounding_mode=mode)),
                      a.astype(dtype), b.astype(dtype))
    ints, divisors = np.array([-7, 7, -6, 6, 0, -1]), np.array([2, -2, 3, -4, 5, 3])
    same_as_torch(lambda m, a, b: (m.div(a, b, rounding_mode=mode), a.div(2, rounding_mode=mode),
                                   m.div(a.int(), b, rounding_mode=mode), m.div(a, 2.5, rounding_mode=mode),
                                   m.div(-7, b, rounding_mode=mode), a.clone().div_(b, rounding_mode=mode)),
                  ints, divisors)


@pytest.mark.parametrize("call", [lambda m: m.div(m.tensor([1.0]), 2.0, rounding_mode="round"),
                                  lambda m: m.div(m.tensor([True]), m.tensor([True]), rounding_mode="floor"),
                                  lambda m: m.div(m.tensor([3]), 0, rounding_mode="trunc")])
def test_div_refuses_what_torch_refuses(call):
    for m in (torch, fastgrad):
        with pytest.raises((RuntimeError, ValueError, TypeError, NotImplementedError, ZeroDivisionError)):
            call(m)


@pytest.mark.parametrize("bounds", [(0, 1), (-5, 300), (None, 0), (2, None), (0.5, None), (True, 1), (True, None),
                                    (None, False), (True, False)])
@pytest.mark.parametrize("form", ["clamp", "clamp_", "clip", "tensor bounds"])
def test_clamp_of_bool_tensors_promotes_or_refuses_as_torch(bounds, form):
    """A bool tensor's int bounds were cast to bool (-5 became True), so clamp(-5, 300) gave all True where PyTorch
    computes in int64 and gives [1, 0, 1]."""
    def call(module):
        x, (low, high) = module.tensor([True, False, True]), bounds
        if form == "tensor bounds":
            low, high = (None if b is None else module.tensor(b) for b in bounds)
        return {"clamp": x.clamp, "clip": x.clip, "tensor bounds": x.clamp, "clamp_": x.clone().clamp_}[form](low, high)

    try:
        expected = call(torch)
    except (RuntimeError, NotImplementedError) as error:
        with pytest.raises(type(error)):
            call(fastgrad)
        return
    got = call(fastgrad)
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.") and got.tolist() == expected.tolist()


INTEGER_EINSUMS = ["i->", "ij->", "ij->i", "ij->ji", "i,i->", "i,i->i", "i,j->", "i,j->i", "i,j->ij", "ij,j->", "ij,j->j",
                   "ij,j->i", "ij,jk->ik", "ij,jk,k->", "i,i,j->i", "bij,bjk->bik", "bij,bjk->", "ij,kj->ki"]


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64", "bool"])
@pytest.mark.parametrize("equation", INTEGER_EINSUMS)
def test_einsum_of_integers_and_bools_follows_torchs_dtypes_and_refusals(dtype, equation):
    """In one int8 dtype throughout, "i->" of [100, 100, 3] wrapped to -53 where PyTorch sums in int64 (203)."""
    rng = np.random.default_rng(sum(map(ord, equation)))
    inputs, output = equation.split("->")
    low, high = (0, 2) if dtype == "bool" else (0 if dtype == "uint8" else -120, 120)
    arrays = [rng.integers(low, high, (3,) * len(subs)).astype(dtype) for subs in inputs.split(",")]
    try:
        expected = torch.einsum(equation, *map(torch.tensor, arrays))
    except (RuntimeError, NotImplementedError) as error:
        with pytest.raises(type(error)):
            fastgrad.einsum(equation, *map(fastgrad.tensor, arrays))
        return
    got = fastgrad.einsum(equation, *map(fastgrad.tensor, arrays))
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
def test_float32_running_sums_and_products_are_torchs_to_the_bit(backend):
    """A float32 accumulator drifted: 100,000 running sums of 0.1 ended at 9998.56, PyTorch's (a float64
    accumulator, rounded per element) at 10000.0."""
    rng = np.random.default_rng(0)
    tenths = np.full(100_000, 0.1, np.float32)
    normal = rng.standard_normal((50, 2000)).astype(np.float32)
    factors = rng.uniform(0.9, 1.1, (3, 5000)).astype(np.float32)
    with fastgrad.backend(backend):
        assert fastgrad.tensor(tenths).cumsum(0)[-1].item() == 10000.0
        for x, dim in ((normal, 1), (normal, 0), (factors, 1)):
            np.testing.assert_array_equal(fastgrad.tensor(x).cumsum(dim).numpy(), torch.tensor(x).cumsum(dim).numpy())
            np.testing.assert_array_equal(fastgrad.tensor(x).cumprod(dim).numpy(),
                                          torch.tensor(x).cumprod(dim).numpy())
        leaf, reference = fastgrad.tensor(normal, requires_grad=True), torch.tensor(normal, requires_grad=True)
        leaf.cumsum(1).backward(fastgrad.tensor(normal))
        reference.cumsum(1).backward(torch.tensor(normal))
        np.testing.assert_array_equal(leaf.grad.numpy(), reference.grad.numpy())


def test_float32_logcumsumexp_is_torchs_to_the_bit():
    """A float32 running logaddexp drifted by about 40 ulps over 100,000 elements (12.05380 for PyTorch's 12.05375)."""
    rng = np.random.default_rng(0)
    for x in (rng.uniform(0, 1, 100_000).astype(np.float32), (rng.standard_normal((40, 3000)) * 5).astype(np.float32)):
        np.testing.assert_array_equal(fastgrad.tensor(x).logcumsumexp(-1).numpy(),
                                      torch.tensor(x).logcumsumexp(-1).numpy())


@pytest.mark.parametrize("create_graph", [False, True])
def test_cumprod_along_a_dim_of_size_one_passes_the_gradient_through_inf_and_nan_as_torch(create_graph):
    """Along a dim of size 1 cumprod is the identity: its gradient is g, not the NaN that dividing by an infinite or
    NaN x gave."""
    x = np.array([[1.0, np.inf, -np.inf, np.nan, 0.0]])
    grads = []
    for lib in (fastgrad, torch):
        leaf = lib.tensor(x, requires_grad=True)
        out = lib.cumprod(leaf, 0)
        grad, = lib.autograd.grad((out * lib.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]], dtype=lib.float64)).sum(), leaf,
                                  create_graph=create_graph)
        grads.append(grad.detach().numpy())
    np.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("p", [math.inf, -math.inf, -1, -0.5, 0, 2])
@pytest.mark.parametrize("shape, dim", [((0,), None), ((0,), 0), ((0, 3), 0), ((3, 0), -1), ((3, 0), 0),
                                        ((2, 0, 2), None), ((0, 3), (0, 1))])
@pytest.mark.parametrize("form", ["torch.norm", "Tensor.norm", "linalg.vector_norm"])
def test_norm_over_no_elements_raises_as_torch(form, shape, dim, p):
    # max, min and the negative orders have no value over nothing: PyTorch raises RuntimeError (fastgrad: ValueError)
    def call(m):
        x = m.zeros(shape)
        return {"torch.norm": lambda: m.norm(x, p, dim), "Tensor.norm": lambda: x.norm(p, dim),
                "linalg.vector_norm": lambda: m.linalg.vector_norm(x, p, dim)}[form]()

    ours, theirs = outcome(lambda: call(fastgrad)), outcome(lambda: call(torch))
    if isinstance(theirs, Raised):
        assert same_exception_type(ours, theirs), (ours, theirs)
        assert "norm of an empty tensor" in str(ours.error)
    else:
        assert not isinstance(ours, Raised), (ours, theirs)
        assert ours.shape == tuple(theirs.shape) and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("call", [
    pytest.param(lambda m: m.frexp(m.tensor([1, 2])), id="frexp of integers"),
    pytest.param(lambda m: m.tensor([True]).frexp(), id="frexp of bools"),
    pytest.param(lambda m: m.mvlgamma(m.tensor([1.5]), 0), id="mvlgamma of p = 0"),
    pytest.param(lambda m: m.mvlgamma(m.tensor([True]), 1), id="mvlgamma of bools"),
    pytest.param(lambda m: m.special.multigammaln(m.tensor([True]), 1), id="multigammaln of bools"),
])
def test_frexp_and_mvlgamma_refuse_with_pytorch_s_runtime_error(call):
    ours, theirs = outcome(lambda: call(fastgrad)), outcome(lambda: call(torch))
    assert isinstance(theirs, Raised) and same_exception_type(ours, theirs), (ours, theirs)

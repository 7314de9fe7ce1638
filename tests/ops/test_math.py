"""Unary math, floor_divide/remainder, and the reductions logsumexp, var/std, norm, prod, cumsum, cumprod, all/any:
gradcheck over hypothesis shapes on every backend, the subgradients PyTorch picks at kinks and zeros,
dtypes, and errors for bad arguments."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf
import fastgrad.nn.functional as F

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


# -- gradients -------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("unary,low,high", [
    (lambda x: x.log1p(), -0.9, 2.0), (lambda x: fastgrad.expm1(x), -2.0, 2.0), (lambda x: x.sin(), -4.0, 4.0),
    (lambda x: fastgrad.cos(x), -4.0, 4.0), (lambda x: x.square(), -2.0, 2.0), (lambda x: x.reciprocal(), 0.3, 2.0),
    (lambda x: (-x).reciprocal(), 0.3, 2.0), (lambda x: fastgrad.rsqrt(x), 0.2, 3.0), (lambda x: x.sign() * x, 0.1, 2.0),
    (lambda x: x.softmax(-1), -3.0, 3.0), (lambda x: x.log_softmax(0), -3.0, 3.0),
], ids=["log1p", "expm1", "sin", "cos", "square", "reciprocal", "reciprocal_negative", "rsqrt", "sign", "softmax",
        "log_softmax"])
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_unary_math_gradients(backend_name, unary, low, high, shape, seed):
    check(backend_name, unary, leaf(shape, seed, low, high))


def away_from_whole_quotients(a_shape, b_shape, seed):
    """Leaves a and b whose quotients a / b, broadcast, all lie at least 0.025 from a whole number, where
    remainder and rounded division jump: divisors +-1 and +-2, dividends +-(k / 2 + 0.05 to 0.15), which also
    keeps 3 / (a * a + 1) from its jumps at a * a = 0, 0.5 and 2. Random quotients come within a step of the
    central differences every few thousand examples (seed 1256, (3, 3, 3) shapes: a / b = -4.000004)."""
    rng = np.random.default_rng(seed)
    magnitudes = rng.integers(0, 10, a_shape) / 2 + rng.uniform(0.05, 0.15, a_shape)
    a = magnitudes * rng.choice([-1.0, 1.0], a_shape)
    b = rng.choice([-2.0, -1.0, 1.0, 2.0], b_shape)
    return (fastgrad.tensor(values, dtype=fastgrad.float64, requires_grad=True) for values in (a, b))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3),
       seed=st.integers(0, 2**16))
def test_remainder_gradients_with_broadcasting(backend_name, shapes, seed):
    """d/da = 1, d/db = -floor(a / b)."""
    a, b = away_from_whole_quotients(*shapes.input_shapes, seed)
    check(backend_name, lambda a, b: a % b, a, b)
    check(backend_name, lambda a, b: fastgrad.remainder(a, b) * 1.5, a, b)
    check(backend_name, lambda a: 3.0 % (a * a + 1.0), a)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=nonscalar_shapes, seed=st.integers(0, 2**16), keepdim=st.booleans(), data=st.data())
def test_reduction_gradients(backend_name, shape, seed, keepdim, data):
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    dims = tuple(sorted(data.draw(st.sets(st.integers(0, ndim - 1), min_size=1))))
    x = leaf(shape, seed)
    check(backend_name, lambda x: x.logsumexp(dim, keepdim), x)
    check(backend_name, lambda x: fastgrad.logsumexp(x * 30.0, dims), x)  # large values: the shift matters
    check(backend_name, lambda x: x.cumsum(dim), x)
    check(backend_name, lambda x: fastgrad.cumprod(x, dim), x)
    check(backend_name, lambda x: x.prod(dim, keepdim), x)
    check(backend_name, lambda x: fastgrad.prod(x), x)
    counted = int(np.prod([shape[d] for d in dims]))
    correction = 1 if counted > 1 else 0  # 0 degrees of freedom give NaN, which gradcheck cannot compare
    check(backend_name, lambda x: x.var(dims, keepdim=keepdim, correction=correction), x)
    check(backend_name, lambda x: fastgrad.std(x, dims, correction=correction, keepdim=keepdim), x)
    check(backend_name, lambda x: x.std(unbiased=False), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("p", [1, 2, math.inf, -math.inf, "fro", 3, 0.5])
@SETTINGS
@given(shape=nonscalar_shapes, seed=st.integers(0, 2**16), keepdim=st.booleans(), data=st.data())
def test_norm_gradients(backend_name, p, shape, seed, keepdim, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = leaf(shape, seed)
    x._data[np.abs(x._data) < 0.05] += 0.1  # away from the kink of |x| at 0
    if p in (math.inf, -math.inf):  # magnitudes closer than the difference step would straddle the max: spread
        flat = x._data.reshape(-1)
        flat[:] = np.sign(flat) * (0.2 + 0.1 * np.argsort(np.argsort(np.abs(flat))))
    check(backend_name, lambda x: x.norm(p), x)
    check(backend_name, lambda x: fastgrad.norm(x, p, dim, keepdim), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4), seed=st.integers(0, 2**16),
       zeros=st.integers(1, 3), data=st.data())
def test_prod_gradients_with_zeros_in_the_input(backend_name, shape, seed, zeros, data):
    """prod is linear in each element, so central differences are exact at zeros too."""
    x = leaf(shape, seed)
    flat_positions = np.random.default_rng(seed).choice(x.numel(), size=min(zeros, x.numel()), replace=False)
    x._data.reshape(-1)[flat_positions] = 0.0
    dim = data.draw(st.integers(0, len(shape) - 1))
    check(backend_name, lambda x: x.prod(dim), x)
    check(backend_name, lambda x: x.prod(), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4), seed=st.integers(0, 2**16),
       zeros=st.integers(1, 3), data=st.data())
def test_cumprod_gradients_with_zeros_along_the_dim(backend_name, shape, seed, zeros, data):
    """cumprod is linear in each element too. The zeros lie on one line along dim (one, or several: past
    the first, only the first zero's slope is not 0), plus one elsewhere."""
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    x = leaf(shape, seed)
    line = [rng.integers(n) for n in shape]
    line[dim] = rng.choice(shape[dim], size=min(zeros, shape[dim]), replace=False)
    x._data[tuple(line)] = 0.0
    x._data.reshape(-1)[rng.integers(x.numel())] = 0.0
    check(backend_name, lambda x: x.cumprod(dim), x)


# -- values at zeros, kinks and infinities --------------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
def test_prod_gradient_is_the_product_of_the_others(backend_name):
    x = fastgrad.tensor([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 3.0]], requires_grad=True)
    with fastgrad.backend(backend_name):
        x.prod(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6, 0, 0], [0, 0, 0], [6, 3, 2]])
    y = fastgrad.tensor([4.0, 0.0, 3.0], requires_grad=True)
    y.prod().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0, 12, 0])


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_cumprod_gradient_is_finite_at_one_and_several_zeros(backend_name):
    """Each slope is the product of the other factors of the running products it is in; out / x would
    give NaN at the zeros."""
    x = fastgrad.tensor([[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 5.0, 2.0], [1.0, 2.0, 3.0, 4.0]], requires_grad=True)
    with fastgrad.backend(backend_name):
        y = x.cumprod(1)
        y.backward(fastgrad.ones_like(y))
    np.testing.assert_array_equal(y.detach().numpy(), [[2, 0, 0, 0], [0, 0, 0, 0], [1, 2, 6, 24]])
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 32, 0, 0], [1, 0, 0, 0], [33, 16, 10, 6]])
    z = fastgrad.tensor([3.0, 0.0, 2.0, 0.0, 5.0], requires_grad=True)
    z.cumprod(0).backward(fastgrad.tensor([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(z.grad.numpy(), [1, 24, 0, 0, 0])  # 24 = 3 * (2 + 3 * 2 + 0 + 0)


@pytest.mark.parametrize("p", [1, 2, math.inf, "fro", 3, 0.5])
def test_norm_gradient_at_zero_is_zero(p):
    x = fastgrad.zeros(2, 3, requires_grad=True)
    x.norm(p).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))
    rows = fastgrad.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    rows.norm(dim=1).sum().backward()
    np.testing.assert_allclose(rows.grad.numpy(), [[0, 0], [0.6, 0.8]])


@pytest.mark.parametrize("p", [-1, -0.5, -math.inf, math.inf])
def test_norm_of_a_negative_or_infinite_order_over_no_elements_raises(p):
    # a negative order's norm of nothing would be inf, a plausible "very large" number: PyTorch raises too
    with pytest.raises(RuntimeError, match=f"the {p} norm of an empty tensor .* is undefined"):
        fastgrad.zeros(0).norm(p)
    with pytest.raises(RuntimeError, match="empty tensor"):
        fastgrad.zeros(2, 0).norm(p, dim=1)
    assert fastgrad.zeros(0, 3).norm(p, dim=1).shape == (0,)  # no result reduces over nothing
    assert fastgrad.zeros(0).norm(0).item() == 0.0 and fastgrad.zeros(0).norm(2).item() == 0.0


def test_inf_norm_splits_the_gradient_among_ties():
    x = fastgrad.tensor([1.0, -3.0, 3.0, 2.0], requires_grad=True)
    assert x.norm(math.inf).item() == 3.0 and x.norm(-math.inf).item() == 1.0
    x.norm(math.inf).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, -0.5, 0.5, 0])


def test_float32_two_norm_whose_squares_overflow_is_finite_as_float64s():
    # 1e30^2 passes float32's range: the sum of squares is inf, the norm (and F.normalize) is not
    rows = np.array([[1e30, 1.0, -2.0], [0.0, 3.0, 4.0], [-1e30, 1e30, 0.0], [np.inf, 1.0, 0.0], [3e38, 3e38, 0.0]])
    x = fastgrad.tensor(rows.astype(np.float32), requires_grad=True)
    norms = x.norm(dim=1)
    np.testing.assert_allclose(norms.detach().numpy(), [1e30, 5.0, 2**0.5 * 1e30, np.inf, np.inf], rtol=1e-6)
    assert norms.dtype == fastgrad.float32
    assert x.norm().item() == np.inf
    normalized = F.normalize(fastgrad.tensor(rows[:3].astype(np.float32)), dim=1).detach().numpy()
    np.testing.assert_allclose(normalized, F.normalize(fastgrad.tensor(rows[:3]), dim=1).detach().numpy(), rtol=1e-6,
                               atol=1e-35)
    norms[:3].sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[:3], normalized, rtol=1e-6, atol=1e-35)


def test_float32_two_norm_whose_squares_underflow_is_nonzero_as_float64s():
    # 1e-30^2 is below float32's smallest: the sum of squares is 0, the norm (and its gradient) is not
    rows = np.array([[1e-30, 0.0, -0.0], [-1e-30, 1e-30, 0.0], [1e-40, 0.0, 0.0], [0.0, -0.0, 0.0]])
    x = fastgrad.tensor(rows.astype(np.float32), requires_grad=True)
    norms = x.norm(dim=1)
    float64s = np.linalg.norm(rows.astype(np.float32).astype(np.float64), axis=1)
    np.testing.assert_allclose(norms.detach().numpy(), float64s, rtol=1e-6, atol=0)
    norms.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 0, 0], [-0.5**0.5, 0.5**0.5, 0], [1, 0, 0], [0, 0, 0]],
                               rtol=1e-6)


def test_norm_p0_counts_nonzeros_and_has_zero_gradient():
    x = fastgrad.tensor([0.0, 2.0, -1.0], requires_grad=True)
    assert x.norm(0).item() == 2.0
    x.norm(0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0])


def test_std_of_constant_input_has_zero_gradient_and_one_element_gives_nan():
    x = fastgrad.tensor([2.0, 2.0, 2.0], requires_grad=True)
    x.std().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0])
    one = fastgrad.tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match=r"degrees of freedom is <= 0 \(1 elements per result, correction 1\)"):
        out = one.std()
    out.backward()
    assert math.isnan(out.item()) and math.isnan(one.grad.item())
    assert one.var(correction=0).item() == 0.0


def test_var_divides_by_n_minus_correction():
    x = fastgrad.tensor([[1.0, 2.0, 4.0], [0.0, 0.0, 3.0]])
    np.testing.assert_allclose(x.var(1).detach().numpy(), [7 / 3, 3.0], rtol=1e-6)
    np.testing.assert_allclose(x.var(1, unbiased=False).detach().numpy(), [14 / 9, 2.0], rtol=1e-6)
    np.testing.assert_allclose(x.var(1, correction=2).detach().numpy(), [14 / 3, 6.0], rtol=1e-6)
    # var(input, unbiased)
    np.testing.assert_allclose(fastgrad.var(x, False).detach().numpy(), np.var(x.detach().numpy()), rtol=1e-6)
    assert x.std(1, keepdim=True).shape == (2, 1) and x.var((0, 1)).shape == ()


def test_logsumexp_handles_infinities_and_large_values():
    assert fastgrad.tensor([-math.inf, -math.inf]).logsumexp(0).item() == -math.inf
    assert fastgrad.tensor([math.inf, 1.0]).logsumexp(0).item() == math.inf
    np.testing.assert_allclose(fastgrad.tensor([1000.0, 1000.0]).logsumexp(0).item(), 1000 + math.log(2))
    assert fastgrad.zeros(0, 3).logsumexp(0).tolist() == [-math.inf] * 3
    assert fastgrad.tensor(3.0).logsumexp(0).item() == 3.0


def test_cumsum_sums_along_dim_and_its_gradient_counts_later_positions():
    x = fastgrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    np.testing.assert_array_equal(x.cumsum(1).detach().numpy(), [[1, 3, 6], [4, 9, 15]])
    np.testing.assert_array_equal(fastgrad.cumsum(x, dim=0).detach().numpy(), [[1, 2, 3], [5, 7, 9]])
    x.cumsum(-1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3, 2, 1], [3, 2, 1]])


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_sign_has_zero_gradient(backend_name):
    x = fastgrad.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    with fastgrad.backend(backend_name):
        y = x.sign()
        y.sum().backward()
    assert y.tolist() == [-1, 0, 1]
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0])
    assert fastgrad.sign(fastgrad.tensor([True, False])).tolist() == [True, False]


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), seed=st.integers(0, 2**16))
def test_rounding_has_zero_gradient(backend_name, shape, seed):
    x = leaf(shape, seed)
    x._data += 0.22 - np.mod(x._data, 0.5)  # k/2 + 0.22: away from every jump (of x and of 10 x)
    for rounded in (lambda x: x.floor(), lambda x: x.ceil(), lambda x: x.trunc(), lambda x: fastgrad.round(x),
                    lambda x: x.round(decimals=1) * 2.0):
        check(backend_name, rounded, x)


def test_rounding_values_and_refusals():
    x = fastgrad.tensor([1.25, -2.5, 2.5, -0.7])
    assert x.floor().tolist() == [1, -3, 2, -1] and x.ceil().tolist() == [2, -2, 3, -0.0]
    assert x.trunc().tolist() == [1, -2, 2, -0.0] and x.round().tolist() == [1, -2, 2, -1]  # half to even
    ints = fastgrad.tensor([1, -2])
    assert ints.floor().tolist() == [1, -2] and ints.round().dtype == fastgrad.int64
    with pytest.raises(NotImplementedError, match="floor: not defined for bool tensors"):
        fastgrad.tensor([True]).floor()
    with pytest.raises(NotImplementedError, match="decimals=1 needs a floating point tensor"):
        ints.round(decimals=1)
    with pytest.raises(TypeError, match="decimals must be an int, got float"):
        x.round(decimals=1.0)


def test_small_conveniences_refuse_bad_arguments():
    with pytest.raises(RuntimeError, match="dot: input must be a 1-D tensor"):
        fastgrad.dot(fastgrad.ones(2, 2), fastgrad.ones(2))
    with pytest.raises(RuntimeError, match="same size, got 2 and 3"):
        fastgrad.dot(fastgrad.ones(2), fastgrad.ones(3))
    with pytest.raises(RuntimeError, match="same dtype"):
        fastgrad.dot(fastgrad.ones(2), fastgrad.ones(2, dtype=fastgrad.float64))
    with pytest.raises(RuntimeError, match="mv: expected a 2-D input and a 1-D vec"):
        fastgrad.mv(fastgrad.ones(2), fastgrad.ones(2))
    with pytest.raises(IndexError, match="select: index 3 is out of range for dim 1 of size 3"):
        fastgrad.ones(2, 3).select(1, 3)
    with pytest.raises(TypeError, match="both input and other, or neither"):
        fastgrad.where(fastgrad.tensor([True]), 1.0)
    with pytest.raises(TypeError, match="finfo: expected a floating point dtype"):
        fastgrad.finfo(fastgrad.int64)
    with pytest.raises(TypeError, match="iinfo: expected an integer dtype"):
        fastgrad.iinfo(fastgrad.float32)


# -- floor_divide and remainder --------------------------------------------------------------------
def test_floor_divide_rounds_down_and_has_no_derivative():
    a = fastgrad.tensor([3.0, -3.0, 0.5], requires_grad=True)
    b = fastgrad.tensor([2.0, 2.0, -0.3])
    q = a // b
    assert q.tolist() == [1.0, -2.0, -2.0] and q.requires_grad  # as PyTorch: recorded, not differentiable
    with pytest.raises(RuntimeError, match="derivative for floor_divide is not implemented"):
        q.sum().backward()
    assert (7 // fastgrad.tensor([2, -2])).tolist() == [3, -4]
    assert fastgrad.floor_divide(fastgrad.tensor([5, -5]), 2).tolist() == [2, -3]
    assert (fastgrad.tensor([5, -5]) // 2.5).tolist() == [2.0, -2.0]


def test_remainder_takes_the_sign_of_the_divisor():
    assert (fastgrad.tensor([5, -7]) % fastgrad.tensor([-2, 3])).tolist() == [-1, 2]
    np.testing.assert_allclose((fastgrad.tensor([5.5, -5.5]) % 2.0).detach().numpy(), [1.5, 0.5])
    np.testing.assert_allclose((7.0 % fastgrad.tensor([5.0, -5.0])).detach().numpy(), [2.0, -3.0])
    np.testing.assert_allclose(fastgrad.remainder(3, fastgrad.tensor([2.0, 4.0])).detach().numpy(), [1.0, 3.0])
    a = fastgrad.tensor([3.0, -3.0, 0.5], requires_grad=True)
    b = fastgrad.tensor([2.0, 2.0, -0.3], requires_grad=True)
    (a % b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 1, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [-1, 2, 2])


def test_integer_division_by_zero_raises_instead_of_returning_zero():
    with pytest.raises(ZeroDivisionError, match="floor_divide: integer division by zero"):
        fastgrad.tensor([5, -5]) // 0
    with pytest.raises(ZeroDivisionError, match="remainder: integer division by zero"):
        fastgrad.tensor([5, -5]) % fastgrad.tensor([1, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        assert (fastgrad.tensor([5.0, -5.0]) // 0.0).tolist() == [math.inf, -math.inf]  # floats follow IEEE
        assert np.isnan((fastgrad.tensor([5.0]) % 0.0).detach().numpy()).all()


# -- div with a rounding mode ----------------------------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3),
       seed=st.integers(0, 2**16))
def test_div_with_a_rounding_mode_has_zero_gradient(backend_name, shapes, seed):
    a, b = away_from_whole_quotients(*shapes.input_shapes, seed)
    for mode in ("trunc", "floor"):
        check(backend_name, lambda x, y: x.div(y, rounding_mode=mode) + x * y, a, b)


def test_div_with_a_rounding_mode_rounds_and_keeps_integers():
    ints = fastgrad.tensor([7, -7, 6])
    assert ints.div(2, rounding_mode="trunc").tolist() == [3, -3, 3]
    assert ints.div(2, rounding_mode="floor").tolist() == [3, -4, 3]
    assert ints.div(2, rounding_mode="floor").dtype == fastgrad.int64 and ints.div(2).dtype == fastgrad.float32
    assert ints.div(-2.0, rounding_mode="floor").tolist() == [-4.0, 3.0, -3.0]
    floats = fastgrad.tensor([7.5, -7.5], requires_grad=True)
    assert floats.div(2, rounding_mode="trunc").tolist() == [3.0, -3.0]
    assert fastgrad.divide(floats, 2, rounding_mode="floor").tolist() == [3.0, -4.0]
    assert fastgrad.div(15, fastgrad.tensor([4, -4]), rounding_mode="trunc").tolist() == [3, -3]


def test_div_refuses_bad_rounding_modes_bool_pairs_and_zero_integer_divisors():
    with pytest.raises(ValueError, match="div: expected rounding_mode to be one of None, 'trunc' or 'floor', got "
                                         "'round'"):
        fastgrad.tensor([1.0]).div(2, rounding_mode="round")
    with pytest.raises(ValueError, match="got 'Floor'"):
        fastgrad.tensor([1]).div_(2, rounding_mode="Floor")
    with pytest.raises(NotImplementedError, match="div: bool tensors are not supported"):
        fastgrad.tensor([True]).div(fastgrad.tensor([True]), rounding_mode="floor")
    for mode in ("trunc", "floor"):
        with pytest.raises(ZeroDivisionError, match="div: integer division by zero"):
            fastgrad.tensor([5, 6]).div(fastgrad.tensor([1, 0]), rounding_mode=mode)
        with pytest.raises(ZeroDivisionError, match="div: integer division by zero"):
            fastgrad.tensor([5, 6]).div_(0, rounding_mode=mode)
    x = fastgrad.tensor([5, 6])
    with pytest.raises(RuntimeError, match="div_: result type float32 can't be cast to the desired output type int64"):
        x.div_(2.5, rounding_mode="floor")
    assert x.tolist() == [5, 6] and x._version == 0
    with pytest.raises(RuntimeError, match="do not broadcast"):
        fastgrad.ones(2).div(fastgrad.ones(3), rounding_mode="trunc")


def test_positive_and_negative_refuse_bool_tensors():
    with pytest.raises(RuntimeError, match="positive: not defined for bool tensors"):
        fastgrad.positive(fastgrad.tensor([True]))
    with pytest.raises(TypeError, match="positive\\(\\): input must be a Tensor, got list"):
        fastgrad.positive([1.0])
    with pytest.raises(RuntimeError, match="neg: negation, the `-` operator, on a bool tensor is not supported"):
        fastgrad.tensor([True]).negative()
    x = fastgrad.tensor([1.0, -2.0])
    assert x.positive() is x and fastgrad.negative(x).tolist() == [-1.0, 2.0]


# -- dtypes, bool results --------------------------------------------------------------------------
def test_float_math_on_integers_gives_float32_and_sums_of_integers_int64():
    ints = fastgrad.tensor([1, 2], dtype=fastgrad.int32)
    for fn in (fastgrad.log1p, fastgrad.expm1, fastgrad.sin, fastgrad.cos, fastgrad.reciprocal, fastgrad.rsqrt,
               lambda t: t.logsumexp(0)):
        assert fn(ints).dtype == fastgrad.float32
    assert ints.prod().dtype == fastgrad.int64 and ints.cumsum(0).dtype == fastgrad.int64
    assert ints.cumprod(0).dtype == fastgrad.int64 and fastgrad.cumprod(ints, 0).tolist() == [1, 2]
    assert fastgrad.tensor([True, False]).cumprod(0).tolist() == [1, 0]
    assert fastgrad.tensor(3.0).cumprod(-1).item() == 3.0 and fastgrad.zeros(2, 0).cumprod(1).shape == (2, 0)
    assert ints.square().dtype == fastgrad.int32 and fastgrad.tensor([True, False]).square().tolist() == [1, 0]
    assert fastgrad.tensor([True, True]).prod().item() == 1 and fastgrad.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert ints.cumsum(0, dtype=fastgrad.float64).dtype == fastgrad.float64
    x = fastgrad.tensor([1.0, 2.0])
    assert x.softmax(0, dtype=fastgrad.float64).dtype == fastgrad.float64


def test_reduction_dtype_casts_the_input_first_and_the_gradient_comes_back_in_the_input_dtype():
    x = fastgrad.tensor([[1.5, 2.25], [3.0, 4.0]], requires_grad=True)
    total, average = x.sum(dtype=fastgrad.float64), fastgrad.mean(x, 1, keepdim=True, dtype=fastgrad.float64)
    assert total.dtype == average.dtype == fastgrad.float64 and average.shape == (2, 1)
    (total + average.sum()).backward()
    assert x.grad.dtype == fastgrad.float32
    np.testing.assert_array_equal(x.grad.numpy(), [[1.5, 1.5], [1.5, 1.5]])
    ints = fastgrad.tensor([[1, 2], [3, 4]], dtype=fastgrad.int32)
    assert ints.sum().dtype == fastgrad.int64 and fastgrad.tensor([True, True]).sum().dtype == fastgrad.int64
    # an explicit integer dtype is kept (NumPy would widen int32 to int64)
    for result in (ints.sum(dtype=fastgrad.int32), fastgrad.sum(ints, 0, dtype=fastgrad.int32),
                   ints.prod(dtype=fastgrad.int32), ints.cumsum(1, dtype=fastgrad.int32),
                   ints.cumprod(0, dtype=fastgrad.int32)):
        assert result.dtype == fastgrad.int32
    assert fastgrad.tensor([True, True]).sum(dtype=fastgrad.bool_).tolist() is True
    assert ints.mean(dtype=fastgrad.float64).item() == 2.5
    assert ints.sum(dtype=fastgrad.float32).dtype == fastgrad.float32
    with fastgrad.no_grad():  # nothing to differentiate: a cast to integers is allowed, as in PyTorch
        assert x.sum(dtype=fastgrad.int64).item() == 10


def test_reduction_dtype_refusals_match_pytorch():
    x = fastgrad.tensor([1.5, 2.5], requires_grad=True)
    for name, call in (("sum", lambda: x.sum(dtype=fastgrad.int64)), ("prod", lambda: x.prod(dtype=fastgrad.int32)),
                       ("cumsum", lambda: fastgrad.cumsum(x, 0, dtype=fastgrad.int64)),
                       ("cumprod", lambda: x.cumprod(0, dtype=fastgrad.int64))):
        with pytest.raises(RuntimeError, match=f"{name}: autograd does not support dtype int(64|32) .the input "
                                               "requires grad.; detach the input"):
            call()
    with pytest.raises(RuntimeError, match=r"mean\(\): dtype must be a floating point dtype, got int64"):
        x.detach().mean(dtype=fastgrad.int64)
    with pytest.raises(RuntimeError, match=r"mean\(\) needs a floating point tensor, got dtype int32"):
        fastgrad.mean(fastgrad.tensor([1, 2], dtype=fastgrad.int32))
    for running in ("cumsum", "cumprod"):
        with pytest.raises(NotImplementedError, match=f"{running}: dtype bool is not supported"):
            getattr(fastgrad.tensor([True, False]), running)(0, dtype=fastgrad.bool_)
    with pytest.raises(TypeError, match="takes from 1 to 3 positional arguments but 4 were given"):
        x.sum(0, False, fastgrad.float64)  # dtype is keyword-only, as PyTorch's
    with pytest.raises(TypeError, match="unknown dtype 'float16'"):
        x.mean(dtype="float16")


def test_nan_inf_tests_and_all_any_give_bool_tensors_outside_the_graph():
    x = fastgrad.tensor([1.0, math.nan, math.inf, -math.inf], requires_grad=True)
    for result, expected in ((x.isnan(), [False, True, False, False]), (fastgrad.isinf(x), [False, False, True, True]),
                             (fastgrad.isfinite(x), [True, False, False, False])):
        assert result.dtype == fastgrad.bool_ and result.tolist() == expected and not result.requires_grad
    m = fastgrad.tensor([[1.0, 0.0], [2.0, 3.0]], requires_grad=True)
    assert m.all().item() is False and m.any().item() is True and not m.all().requires_grad
    assert fastgrad.all(m, 1).tolist() == [False, True] and m.any(dim=0, keepdim=True).shape == (1, 2)
    assert fastgrad.all(m, (0, 1), keepdim=True).shape == (1, 1) and m.any(keepdim=True).shape == (1, 1)
    assert fastgrad.zeros(0).all().item() is True and fastgrad.zeros(0).any().item() is False


def test_softmax_methods_match_the_functional_forms():
    x = fastgrad.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    np.testing.assert_allclose(x.softmax(1).detach().numpy(), F.softmax(x, dim=1).detach().numpy())
    np.testing.assert_allclose(fastgrad.log_softmax(x, 0).detach().numpy(), F.log_softmax(x, dim=0).detach().numpy())
    for name in ("relu", "sigmoid", "tanh", "softmax", "log_softmax"):
        assert callable(getattr(fastgrad, name)) and callable(getattr(x, name))


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_extrema_along_the_only_dim_of_a_0_dim_tensor_are_the_value_at_index_0(backend_name):
    x = fastgrad.tensor(2.5, requires_grad=True)
    with fastgrad.backend(backend_name):
        for dim in (0, -1):
            for keepdim in (False, True):
                for values, indices in (x.max(dim, keepdim), fastgrad.min(x, dim, keepdim=keepdim)):
                    assert values.shape == indices.shape == () and values.item() == 2.5 and indices.item() == 0
                    assert indices.dtype == fastgrad.int64 and values.requires_grad
                for index in (x.argmax(dim, keepdim), fastgrad.argmin(x, dim=dim, keepdim=keepdim)):
                    assert index.shape == () and index.item() == 0 and index.dtype == fastgrad.int64
        (x.max(0).values * 3).backward()
    assert x.grad.item() == 3.0
    assert fastgrad.tensor(7).min(-1, True).values.dtype == fastgrad.int64


def test_extrema_dims_out_of_range_raise_index_errors():
    for dim in (1, -2):
        for call in (lambda t: t.max(dim), lambda t: fastgrad.min(t, dim, keepdim=True), lambda t: t.argmax(dim),
                     lambda t: fastgrad.argmin(t, dim)):
            with pytest.raises(IndexError, match=rf"dimension out of range \(expected to be in range of \[-1, 0\], "
                                                 rf"but got {dim}\)"):
                call(fastgrad.tensor(1.0))
    with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        fastgrad.ones(2, 3).max(2)
    with pytest.raises(IndexError, match=r"max: dim 1 has size 0 in shape \(2, 0\); there is no extreme element"):
        fastgrad.ones(2, 0).max(1)
    assert fastgrad.ones(0, 2).min(1).indices.shape == (0,)


# -- errors ----------------------------------------------------------------------------------------
def test_float_only_reductions_reject_integer_tensors():
    ints = fastgrad.tensor([1, 2, 3])
    for fn, name, error in ((lambda t: t.std(), "std", RuntimeError), (lambda t: fastgrad.var(t), "var", RuntimeError),
                            (lambda t: t.norm(), "norm", RuntimeError),
                            (lambda t: t.softmax(0), "softmax", NotImplementedError),
                            (lambda t: fastgrad.log_softmax(t, 0), "log_softmax", NotImplementedError)):
        with pytest.raises(error, match=rf"{name}\(\) needs a floating point tensor, got dtype int64"):
            fn(ints)


def test_bad_reduction_arguments_name_the_argument_and_value():
    x = fastgrad.ones(2, 3)
    with pytest.raises(TypeError, match=r"var: give either unbiased \(True\) or correction \(0\), not both"):
        x.var(1, unbiased=True, correction=0)
    with pytest.raises(NotImplementedError, match="nuclear norm"):
        x.norm("nuc")
    with pytest.raises(ValueError, match="p must be a number, 'fro' or 'nuc', got 'abc'"):
        x.norm("abc")
    with pytest.raises(TypeError, match="p must be a number, 'fro' or 'nuc', got list"):
        x.norm([2])
    with pytest.raises(ValueError, match=r"p='fro' needs dim to be None, one dim or two dims, got \(0, 1, 2\)"):
        fastgrad.ones(2, 2, 2).norm("fro", dim=(0, 1, 2))
    with pytest.raises(RuntimeError, match=r"the inf norm of an empty tensor \(shape \(0,\)"):
        fastgrad.zeros(0).norm(math.inf)
    with pytest.raises(TypeError, match=r"prod: dim must be an int .*got \(0, 1\)"):
        x.prod((0, 1))
    with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.logsumexp(2)
    with pytest.raises(IndexError, match="dimension out of range"):
        x.cumsum(-3)
    with pytest.raises(IndexError, match="dimension out of range"):
        x.all(2)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'dim'"):
        x.logsumexp()
    with pytest.raises(TypeError, match="dim must be an int, got float"):
        x.cumsum(0.5)
    with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.cumprod(2)
    with pytest.raises(TypeError, match="dim must be an int, got tuple"):
        fastgrad.cumprod(x, (0,))
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'dim'"):
        x.cumprod()
    with pytest.raises(TypeError, match="prod: keepdim=True needs a dim"):
        x.prod(keepdim=True)


def test_new_reductions_and_dim_moves_refuse_bad_arguments_clearly():
    x = fastgrad.ones(2, 0, 3)
    with pytest.raises(IndexError, match=r"amax: the reduced dims of shape \(2, 0, 3\) are empty"):
        x.amax(1)
    with pytest.raises(IndexError, match="dimension out of range"):
        fastgrad.ones(2, 3).amin(2)
    with pytest.raises(TypeError, match=r"movedim: source and destination must both be ints or both be tuples"):
        fastgrad.ones(2, 3, 4).movedim((0, 1), 2)
    with pytest.raises(RuntimeError, match=r"movedim: source \(0, 1\) and destination \(2,\) name different numbers"):
        fastgrad.ones(2, 3, 4).movedim((0, 1), (2,))
    with pytest.raises(RuntimeError, match=r"mT: tensor.mT is only supported on matrices or batches of matrices"):
        fastgrad.ones(3).mT
    with pytest.raises(TypeError, match="bitwise_not.: expected a bool or integer tensor, got dtype float32"):
        ~fastgrad.ones(3)
    with pytest.raises(NotImplementedError, match="bitwise_left_shift: expected integer tensors .* got float32 and int"):
        fastgrad.tensor([1.5]) << 1
    with pytest.raises(NotImplementedError, match="bitwise_right_shift: .* got bool and bool"):
        fastgrad.tensor([True]) >> fastgrad.tensor([True])


def test_whole_tensor_comparisons_refuse_bad_arguments():
    x = fastgrad.tensor([1.0, 2.0])
    for call in (lambda: fastgrad.equal(x, 1.0), lambda: fastgrad.allclose(x, [1.0, 2.0]), lambda: x.isclose(1.0)):
        with pytest.raises(TypeError, match="other must be a Tensor, got"):
            call()
    with pytest.raises(RuntimeError, match="float32 but other has dtype int64"):
        fastgrad.isclose(x, fastgrad.tensor([1, 2]))
    with pytest.raises(RuntimeError, match=r"shapes \(2,\), \(3,\) do not broadcast"):
        fastgrad.allclose(x, fastgrad.ones(3))
    assert fastgrad.equal(x, fastgrad.ones(3)) is False


def test_type_as_and_is_floating_point_refuse_non_tensors():
    with pytest.raises(TypeError, match="type_as: other must be a Tensor, got float"):
        fastgrad.ones(2).type_as(1.0)
    with pytest.raises(TypeError, match="is_floating_point: input must be a Tensor, got list"):
        fastgrad.is_floating_point([1.0])
    assert fastgrad.ones(2).is_floating_point() and not fastgrad.tensor([1]).is_floating_point()


def test_a_float_alpha_with_integer_tensors_raises_as_in_pytorch():
    """The product would be truncated into the integer result: [1, 2] + 0.5 [1, 1] gave [1.5, 2.5]."""
    ints = fastgrad.tensor([1, 2])
    for call in (lambda: fastgrad.add(ints, ints, alpha=0.5), lambda: ints.sub(2, alpha=1.0),
                 lambda: ints.clone().add_(ints, alpha=0.5)):
        with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not be a floating"):
            call()
    assert fastgrad.add(ints, fastgrad.tensor([1.0, 1.0]), alpha=0.5).tolist() == [1.5, 2.5]  # a float result
    assert ints.add(ints, alpha=2).tolist() == [3, 6]


@pytest.mark.parametrize("call,name", [
    (lambda a: a // a, "floor_divide"), (lambda a: True % a, "remainder"), (lambda a: a ** a, "pow"),
    (lambda a: True ** a, "pow"), (lambda a: a.abs(), "abs"),
])
def test_bool_arithmetic_without_a_bool_kernel_in_pytorch_is_refused(call, name):
    with pytest.raises(NotImplementedError, match=f"{name}: bool tensors are not supported"):  # (PyTorch's type)
        call(fastgrad.tensor([True, False]))


def test_integer_tensor_to_a_negative_integer_number_is_refused_naming_both():
    with pytest.raises(RuntimeError, match=r"pow: integers to negative integer powers.*int32 \*\* -2"):
        fastgrad.tensor([2, 3], dtype=fastgrad.int32) ** -2


def test_in_place_ops_refuse_bool_subtraction_negative_integer_powers_and_filling_with_a_tensor():
    with pytest.raises(RuntimeError, match="subtraction .* with a bool tensor is not supported"):
        fastgrad.tensor([1.0, 2.0]).sub_(True)
    with pytest.raises(RuntimeError, match=r"pow_: integers to negative integer powers.*int64 \*\* -1"):
        fastgrad.tensor([2, 3]).pow_(-1)
    with pytest.raises(RuntimeError, match=r"fill_: the value must be a number or a 0-d tensor.*shape \(2,\)"):
        fastgrad.zeros(2).fill_(fastgrad.tensor([1.0, 2.0]))


@pytest.mark.parametrize("backend", ["numpy", "compiled", "python"])
def test_clamp_between_tensors_passes_gradcheck_and_gradgradcheck(backend):
    x = fastgrad.tensor([[-2.0, 0.3, 1.7], [0.9, -0.4, 3.0]], dtype=fastgrad.float64, requires_grad=True)
    low = fastgrad.tensor([[-1.0, 0.5, 0.0], [1.0, -1.0, 2.0]], dtype=fastgrad.float64, requires_grad=True)
    high = fastgrad.tensor([1.5, 0.2, 1.0], dtype=fastgrad.float64, requires_grad=True)  # (0.2 < 0.5: crossed)
    with fastgrad.backend(backend):
        assert fastgrad.autograd.gradcheck(lambda a, b, c: fastgrad.clamp(a, min=b, max=c), (x, low, high))
        assert fastgrad.autograd.gradgradcheck(lambda a, b, c: fastgrad.clamp(a, min=b, max=c) ** 2, (x, low, high))


def test_clamp_between_tensors_and_in_place_comparisons_give_the_numpy_backend_s_values_and_gradients_compiled():
    """ClampBetweenTensors and ZeroDerivative (x.lt_(other)) on the compiled backend against the NumPy reference."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((4, 5)), rng.standard_normal((4, 5)), rng.standard_normal(5) + 0.5]
    arrays[1][0, 0] = np.nan  # a NaN bound, where the masks are PyTorch's
    results = {}
    for backend in ("numpy", "compiled"):
        x, low, high = (fastgrad.tensor(a, dtype=fastgrad.float32, requires_grad=True) for a in arrays)
        with fastgrad.backend(backend):
            y = fastgrad.clamp(x * 1, min=low, max=high)
            y.lt_(high)
            (y * x + fastgrad.clamp(x, min=low, max=high) ** 2).sum().backward()
        results[backend] = [t.detach().numpy() for t in (y, x.grad, low.grad, high.grad)]
    for ours, reference in zip(results["compiled"], results["numpy"]):
        np.testing.assert_array_equal(ours, reference)


def test_clamp_refuses_tensor_bounds_that_do_not_broadcast_with_the_input_naming_every_shape():
    with pytest.raises(RuntimeError, match=r"clamp: input and min and max: .*\(shapes \(3,\), \(4,\), \(4,\) do not "
                                           r"broadcast\)"):
        fastgrad.clamp(fastgrad.ones(3, requires_grad=True), min=fastgrad.zeros(4), max=fastgrad.ones(4))
    with pytest.raises(RuntimeError, match=r"clamp: input and max: .*\(shapes \(2, 3\), \(4,\) do not broadcast\)"):
        fastgrad.ones(2, 3).clamp(max=fastgrad.zeros(4))


def test_clamp_sends_the_gradient_to_a_max_below_a_nan_min():
    """PyTorch's rule: max gets it where x > max or max < min; a NaN min fails the first test of every mask."""
    x, low, high = (fastgrad.tensor(v, dtype=fastgrad.float64, requires_grad=True)
                    for v in ([2.0, 0.0], [float("nan"), float("nan")], [0.5, 1.0]))
    out = fastgrad.clamp(x, min=low, max=high)
    assert np.isnan(out.detach().numpy()).all()
    out.backward(fastgrad.ones(2, dtype=fastgrad.float64))
    assert [t.grad.tolist() for t in (x, low, high)] == [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]]

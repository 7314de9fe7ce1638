"""log2 ... i0, xlogy ... isin, fastgrad.special's own functions and the in-place forms: gradcheck over hypothesis
shapes on every backend, the gradients PyTorch picks where the formula breaks down, and errors for bad arguments."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shapes = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3)


def away_from_integers(x: fastgrad.Tensor) -> fastgrad.Tensor:
    """x with every element at least 0.1 from an integer (the gamma family's poles, frac's jumps)."""
    data = x.detach().numpy()  # x's memory
    data[np.abs(data - np.round(data)) < 0.1] += 0.25
    return x


# -- gradients -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("unary,low,high", [
    (fastgrad.log2, 0.2, 3.0), (lambda x: x.log10(), 0.2, 3.0), (fastgrad.exp2, -3.0, 3.0), (fastgrad.sinc, -2.0, 2.0),
    (fastgrad.erfinv, -0.95, 0.95), (lambda x: x.i0(), -4.0, 4.0), (fastgrad.logit, 0.05, 0.95),
    (lambda x: x.nan_to_num(posinf=1.0), -2.0, 2.0), (fastgrad.deg2rad, -2.0, 2.0), (lambda x: x.rad2deg(), -2.0, 2.0),
    (fastgrad.special.entr, 0.1, 2.0), (fastgrad.special.ndtr, -3.0, 3.0), (fastgrad.special.ndtri, 0.02, 0.98),
    (fastgrad.special.log_ndtr, -6.0, 3.0), (lambda x: fastgrad.special.log_ndtr(x * 10 - 30), 0.0, 1.0),
], ids=["log2", "log10", "exp2", "sinc", "erfinv", "i0", "logit", "nan_to_num", "deg2rad", "rad2deg", "entr",
        "ndtr", "ndtri", "log_ndtr", "log_ndtr_far_tail"])
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_unary_gradients(backend_name, unary, low, high, shape, seed):
    check(backend_name, unary, leaf(shape, seed, low, high))


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("unary", [
    fastgrad.lgamma, lambda x: x.digamma(), lambda x: fastgrad.polygamma(1, x), lambda x: x.polygamma(3),
    fastgrad.frac,
], ids=["lgamma", "digamma", "trigamma", "polygamma3", "frac"])
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_gradients_between_poles_and_jumps(backend_name, unary, shape, seed):
    """Negative arguments included: the gamma family by reflection there."""
    check(backend_name, unary, away_from_integers(leaf(shape, seed, -4.0, 6.0)))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=shapes, seed=st.integers(0, 2**16), eps=st.floats(0.1, 0.3))
def test_logit_with_eps_gradient_is_zero_where_it_clips(backend_name, shape, seed, eps):
    x = leaf(shape, seed, -0.5, 1.5)
    data = x.detach().numpy()
    for kink in (eps, 1 - eps):  # no central difference across a clipping point
        data[np.abs(data - kink) < 0.02] += 0.05
    check(backend_name, lambda x: x.logit(eps), x)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("binary", [
    lambda a, b: fastgrad.xlogy(a, b.abs()), lambda a, b: a.copysign(b), fastgrad.fmax, fastgrad.fmin,
    lambda a, b: a.nextafter(b), fastgrad.ldexp, lambda a, b: fastgrad.float_power(b.abs(), a),
    lambda a, b: a.xlogy(2.5) + fastgrad.xlogy(3, b.abs()),
], ids=["xlogy", "copysign", "fmax", "fmin", "nextafter", "ldexp", "float_power", "xlogy_numbers"])
@SETTINGS
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_binary_gradients(backend_name, binary, shapes, seed):
    a_shape, b_shape = shapes.input_shapes
    a = leaf(a_shape, seed, away_from=0.0)  # copysign's kink
    signs = np.where(np.random.default_rng(seed + 1).random(b_shape) < 0.5, -1.0, 1.0)
    b = fastgrad.tensor(signs * np.random.default_rng(seed + 2).uniform(0.2, 2.0, b_shape), dtype=fastgrad.float64,
                        requires_grad=True)  # |b| >= 0.2: logarithms' and powers' bases away from 0
    check(backend_name, binary, a, b)


# -- gradients PyTorch defines where the formula breaks down ------------------------------------------------
@pytest.mark.parametrize("backend_name", BACKENDS)
def test_xlogy_gradients_at_zero(backend_name):
    with fastgrad.backend(backend_name):
        x = fastgrad.tensor([0.0, 0.0, 0.0, 2.0], dtype=fastgrad.float64, requires_grad=True)
        y = fastgrad.tensor([0.0, -1.0, 3.0, 0.0], dtype=fastgrad.float64, requires_grad=True)
        out = fastgrad.xlogy(x, y)
        out.sum().backward()
    assert out.tolist() == [0.0, 0.0, 0.0, -math.inf]  # 0 log 0 = 0, and 0 log(-1) too
    assert x.grad.tolist() == [0.0, 0.0, math.log(3.0), -math.inf]  # no log(y) where x == 0 and y <= 0
    assert math.isnan(y.grad[0].item()) and y.grad[1:].tolist() == [-0.0, 0.0, math.inf]  # x / y
    x.grad = None
    (fastgrad.xlogy(x, y) * 0).sum().backward()  # a zero upstream gradient gives xlogy(0, log 0) = 0, not NaN
    assert x.grad.tolist() == [0.0] * 4


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_fmax_and_fmin_send_the_gradient_of_a_tie_or_a_nan_to_the_number(backend_name):
    with fastgrad.backend(backend_name):
        a = fastgrad.tensor([1.0, math.nan, 2.0, math.nan], requires_grad=True)
        b = fastgrad.tensor([1.0, 3.0, math.nan, math.nan], requires_grad=True)
        (fastgrad.fmax(a, b) * fastgrad.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert a.grad.tolist() == [1.0, 0.0, 3.0, 4.0] and b.grad.tolist() == [0.0, 2.0, 0.0, 0.0]


def test_copysign_and_nextafter_give_other_a_zero_gradient():
    a = fastgrad.tensor([0.0, -2.0, 1.0], requires_grad=True)
    b = fastgrad.tensor([-1.0, 3.0, 1.0], requires_grad=True)
    (fastgrad.copysign(a, b) + fastgrad.nextafter(a, b)).sum().backward()
    assert a.grad.tolist() == [1.0, -1.0 + 1.0, 1.0 + 0.0] and b.grad.tolist() == [0.0, 0.0, 0.0]


def test_trigamma_is_infinite_at_every_pole():
    """PyTorch's trigamma gives a huge finite number (6.6e32) at the negative integers: fastgrad gives inf there,
    as at 0, and so does digamma's gradient."""
    x = fastgrad.tensor([0.0, -1.0, -2.0, -7.0], dtype=fastgrad.float64, requires_grad=True)
    assert fastgrad.polygamma(1, x).tolist() == [math.inf] * 4
    x.digamma().sum().backward()
    assert x.grad.tolist() == [math.inf] * 4


def test_special_functions_keep_float32_and_promote_integers():
    for call in (fastgrad.lgamma, fastgrad.digamma, fastgrad.erfinv, fastgrad.i0, fastgrad.special.ndtri,
                 fastgrad.special.entr, lambda x: fastgrad.polygamma(2, x), fastgrad.log10, fastgrad.logit):
        assert call(fastgrad.tensor([0.5, 0.25])).dtype == fastgrad.float32
        assert call(fastgrad.tensor([1, 0])).dtype == fastgrad.float32
        assert call(fastgrad.tensor([0.5], dtype=fastgrad.float64)).dtype == fastgrad.float64
    assert fastgrad.i0(fastgrad.tensor([100.0])).tolist() == [math.inf]  # beyond float32, not a wrapped-around value
    assert fastgrad.float_power(fastgrad.tensor([2]), 2).dtype == fastgrad.float64


def test_shapes_zero_dim_and_empty_tensors_pass_through():
    for call in (fastgrad.lgamma, fastgrad.digamma, fastgrad.erfinv, fastgrad.i0, fastgrad.special.ndtr,
                 fastgrad.special.log_ndtr, fastgrad.special.ndtri, fastgrad.sinc, fastgrad.logit):
        assert call(fastgrad.tensor(0.5)).shape == ()
        assert call(fastgrad.zeros(0, 3)).shape == (0, 3)


def test_in_place_forms_follow_autograd_rules():
    x = fastgrad.tensor([0.5, 1.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="lgamma_: a leaf tensor that requires grad"):
        x.lgamma_()
    y = x * 1
    y.lgamma_()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), fastgrad.digamma(x).detach().numpy(), rtol=1e-6)
    with fastgrad.no_grad():
        x.erfinv_()
    assert x._version == 1
    with pytest.raises(RuntimeError, match="log2_: result type float32 can't be cast to the desired output type int64"):
        fastgrad.tensor([1, 2]).log2_()
    with pytest.raises(RuntimeError, match="float_power_: the base has dtype float32"):
        fastgrad.tensor([1.0]).float_power_(2)


# -- bad arguments ----------------------------------------------------------------------------------------------
FLOATS, INTS = fastgrad.tensor([0.5, 1.5]), fastgrad.tensor([1, 2])


@pytest.mark.parametrize("call,error,message", [
    (lambda: fastgrad.log2(2.0), TypeError, r"log2\(\): input must be a Tensor, got float"),
    (lambda: fastgrad.lgamma(np.ones(2)), TypeError, r"lgamma\(\): input must be a Tensor, got ndarray"),
    (lambda: fastgrad.polygamma(1, 2.0), TypeError, r"polygamma\(\): input must be a Tensor, got float"),
    (lambda: fastgrad.polygamma(-1, FLOATS), ValueError, "polygamma: n must be >= 0, got -1"),
    (lambda: fastgrad.polygamma(1.5, FLOATS), TypeError, "polygamma: n must be an int, got float 1.5"),
    (lambda: FLOATS.polygamma(True), TypeError, "polygamma: n must be an int, got bool"),
    (lambda: FLOATS.logit(eps="a"), TypeError, "logit: eps must be a real number, got str"),
    (lambda: FLOATS.nan_to_num(nan="a"), TypeError, "nan_to_num: nan must be a real number, got str"),
    (lambda: FLOATS.nan_to_num(posinf=[1.0]), TypeError, "nan_to_num: posinf must be a real number, got list"),
    (lambda: INTS.frac(), NotImplementedError, r"frac\(\) needs a floating point tensor, got dtype int64"),
    (lambda: fastgrad.xlogy(2, 3), TypeError, r"xlogy\(\): input or other must be a Tensor, got int and int"),
    (lambda: fastgrad.xlogy(FLOATS, "a"), TypeError, "xlogy: other must be a real number, got str"),
    (lambda: fastgrad.xlogy("a", FLOATS), TypeError, "xlogy: input must be a real number, got str"),
    (lambda: FLOATS.xlogy(fastgrad.ones(3)), RuntimeError, r"xlogy: .*shapes \(2,\), \(3,\) do not broadcast"),
    (lambda: FLOATS.copysign([1.0, 2.0]), TypeError, "copysign: other must be a real number, got list"),
    (lambda: fastgrad.fmax(FLOATS, 2.0), TypeError, "fmax: other must be a Tensor, got float"),
    (lambda: fastgrad.fmin(FLOATS, fastgrad.ones(3)), RuntimeError, r"fmin: .*shapes \(2,\), \(3,\) do not broadcast"),
    (lambda: fastgrad.nextafter(INTS, INTS), TypeError, "nextafter: not defined for dtype int64"),
    (lambda: fastgrad.nextafter(FLOATS, 1.0), TypeError, "nextafter: other must be a Tensor, got float"),
    (lambda: fastgrad.ldexp(FLOATS, 2), TypeError, "ldexp: other must be a Tensor, got int"),
    (lambda: fastgrad.ldexp(FLOATS, fastgrad.ones(3)), RuntimeError, r"ldexp: .*shapes \(2,\), \(3,\) do not broadcast"),
    (lambda: fastgrad.gcd(FLOATS, INTS), TypeError, "gcd: not defined for dtype float32; expected integer tensors"),
    (lambda: fastgrad.lcm(INTS, 2), TypeError, "lcm: other must be a Tensor, got int"),
    (lambda: fastgrad.float_power(2, 3), TypeError, r"float_power\(\): input or exponent must be a Tensor"),
    (lambda: FLOATS.float_power("a"), TypeError, "float_power: exponent must be a real number, got str"),
    (lambda: fastgrad.isin(1, 2), TypeError, r"isin\(\): elements or test_elements must be a Tensor, got int and int"),
    (lambda: fastgrad.isin(INTS, [1, 2]), TypeError, "isin: test_elements must be a real number, got list"),
    (lambda: fastgrad.isin(fastgrad.tensor([True]), INTS), TypeError, r"isin: not defined for bool tensors \(elem"),
    (lambda: fastgrad.special.ndtr([0.5]), TypeError, r"special.ndtr\(\): input must be a Tensor, got list"),
    (lambda: fastgrad.special.entr(0.5), TypeError, r"special.entr\(\): input must be a Tensor, got float"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_integer_functions_refuse_floats_and_record_no_graph():
    with pytest.raises(TypeError, match="gcd: not defined for dtype bool"):
        fastgrad.gcd(fastgrad.tensor([True]), fastgrad.tensor([False]))
    assert fastgrad.gcd(INTS, fastgrad.tensor([4, 6])).tolist() == [1, 2]
    assert fastgrad.lcm(INTS, fastgrad.tensor([-4, 6])).tolist() == [4, 6]
    x = fastgrad.tensor([0.5, -1.0], requires_grad=True)
    for out in (x.signbit(), x.isposinf(), x.isneginf(), x.isreal(), fastgrad.isin(x, 0.5)):
        assert out.dtype == fastgrad.bool and not out.requires_grad

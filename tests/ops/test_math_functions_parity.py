"""log2 ... i0, xlogy ... isin and their in-place forms against PyTorch: values and gradients at the special points
(0, -0, negatives, the infinities, NaN, the poles and the domain's edges), dtypes with integer and bool inputs,
the promotion of mixed pairs, and where PyTorch raises."""
import math

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

FLOATS = [np.float32, np.float64]
inf, nan = math.inf, math.nan
SPECIAL = [0.0, -0.0, 1.5, -2.5, inf, -inf, nan, 1.0, -1.0, 0.5, 2.0, -3.0, 0.25, 0.1, 7.3, -0.75, 30.0]
INTEGERS, BOOLS = np.array([0, 1, -2, 3, 40]), np.array([True, False])


@pytest.fixture
def same(same_as_torch):
    return same_as_torch


def _outcome(module, call):
    """What call(module) gives: its values, dtype and shape, or "raises"."""
    try:
        out = call(module)
    except (TypeError, ValueError, RuntimeError, NotImplementedError):
        return "raises"
    return np.asarray(out.detach().numpy() if module is torch else out.numpy()), str(out.dtype).replace("torch.", "")


def assert_same_outcome(call):
    ours, theirs = _outcome(fastgrad, call), _outcome(torch, call)
    if isinstance(theirs, str) or isinstance(ours, str):
        assert ours == theirs
        return
    assert ours[1] == theirs[1] and ours[0].shape == theirs[0].shape
    tolerance = dict(rtol=2e-5, atol=2e-6) if ours[1] == "float32" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[0], theirs[0], equal_nan=True, **tolerance)


# -- unary functions ---------------------------------------------------------------------------------------
UNARY = ["log2", "log10", "exp2", "sinc", "lgamma", "erfinv", "i0", "logit", "frac", "deg2rad", "rad2deg",
         "nan_to_num"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", UNARY)
def test_unary_values_and_gradients_at_special_points_match_torch(same, name, dtype):
    # (the sign of PyTorch's infinite float32 logit gradient at -0.0 depends on its CPU kernel: -inf with AVX2,
    # as 1 / (x (1 - x)) is, +inf with AVX-512)
    minus_zero_left_out = name == "logit" and dtype == np.float32
    x = np.array([v for v in SPECIAL if not (minus_zero_left_out and v == 0 and math.copysign(1, v) < 0)], dtype=dtype)
    same(lambda m, x: getattr(m, name)(x), x)
    same(lambda m, x: getattr(x, name)(), x)


@pytest.mark.parametrize("name", UNARY + ["digamma", "signbit", "isposinf", "isneginf", "isreal"])
def test_unary_dtypes_with_integer_and_bool_inputs_match_torch(name):
    for values in (INTEGERS, BOOLS):
        assert_same_outcome(lambda m: getattr(m, name)(m.tensor(values)))


@pytest.mark.parametrize("name", ["signbit", "isposinf", "isneginf", "isreal"])
def test_sign_and_kind_tests_match_torch_and_record_no_graph(name):
    values = np.array(SPECIAL + [-nan], dtype=np.float64)
    assert_same_outcome(lambda m: getattr(m, name)(m.tensor(values)))
    assert not getattr(fastgrad.tensor(values, requires_grad=True), name)().requires_grad


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_digamma_and_polygamma_at_special_points_match_torch(same, n, dtype):
    # PyTorch's trigamma gives a huge finite number at the negative integers (fastgrad gives inf): left out here
    x = np.array([v for v in SPECIAL if not (v < 0 and v == np.floor(v))] + [-1.5, -0.5, -4.25], dtype=dtype)
    if dtype == np.float64 and n <= 1:  # PyTorch's trigamma (digamma's gradient) is accurate to 1e-9 only
        for call in (lambda m, t: m.polygamma(n, t), lambda m, t: t.digamma() if n == 0 else t.polygamma(n)):
            ours, theirs = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            got, expected = call(fastgrad, ours), call(torch, theirs)
            np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-8, equal_nan=True)
            got.sum().backward()
            expected.sum().backward()
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-8, equal_nan=True)
        return
    same(lambda m, x: m.polygamma(n, x), x)
    same(lambda m, x: x.digamma() if n == 0 else x.polygamma(n), x)


def test_polygamma_at_the_poles_and_infinities_matches_torch():
    x = np.array([0.0, -0.0, -1.0, -2.0, inf, -inf, nan])
    for n in range(5):
        values = x if n != 1 else x[[0, 1, 4, 5, 6]]  # (PyTorch's trigamma at -1, -2: finite; fastgrad's inf)
        assert_same_outcome(lambda m: m.polygamma(n, m.tensor(values)))
    assert_same_outcome(lambda m: m.lgamma(m.tensor(x)))


@pytest.mark.parametrize("eps", [None, 0.1, 0.7, -0.1, 0.0, 1])
def test_logit_with_eps_matches_torch(same, eps):
    x = np.array([0.0, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0, 2.0, nan, -1.0])
    same(lambda m, x: m.logit(x, eps), x)
    same(lambda m, x: x.logit(eps=eps), x.astype(np.float32))
    same(lambda m, x: m.logit(x, eps), np.array([0, 1, 2]))


@pytest.mark.parametrize("args", [(), (1.0, 2.0, 3.0), (0.5,), (0.0, None, -7.5), (2, 3, 4)])
def test_nan_to_num_replacements_match_torch(same, args):
    x = np.array([nan, inf, -inf, 1.5, -0.0])
    same(lambda m, x: m.nan_to_num(x, *args), x)
    same(lambda m, x: x.nan_to_num(*args), x.astype(np.float32))
    same(lambda m, x: m.nan_to_num(x, *args), np.array([1, 2]))
    same(lambda m, x: x.nan_to_num(posinf=1e300, neginf=-1e300), x.astype(np.float32))  # inf again in float32


@pytest.mark.parametrize("dtype", FLOATS)
def test_special_functions_over_wide_ranges_match_torch(dtype):
    """lgamma, digamma, sinc, erfinv and i0 at many random points, negative non-integers included."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-30, 30, 2000), rng.uniform(0, 3, 500), 10 ** rng.uniform(-8, 8, 500)])
    x = x[np.abs(x - np.round(x)) > 1e-3].astype(dtype)
    y = np.concatenate([rng.uniform(-1, 1, 1000), 1 - 10.0 ** rng.uniform(-15, -1, 200)]).astype(dtype)
    z = rng.uniform(-1, 1, 1000).astype(dtype) * (700 if dtype == np.float64 else 80)
    # an absolute tolerance too: near their zeros (at negative x for lgamma and digamma) all lose relative accuracy
    tolerance = dict(rtol=1e-12, atol=1e-13) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for name, values in (("lgamma", x), ("digamma", x), ("sinc", x), ("erfinv", y), ("i0", z)):
        got = getattr(fastgrad, name)(fastgrad.tensor(values)).numpy()
        np.testing.assert_allclose(got, getattr(torch, name)(torch.tensor(values)).numpy(), err_msg=name, **tolerance)


@pytest.mark.parametrize("dtype", FLOATS)
def test_higher_polygamma_over_a_wide_range_matches_torch(dtype):
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-10, 10, 500), 10 ** rng.uniform(-3, 3, 200)])
    x = x[np.abs(x - np.round(x)) > 1e-2].astype(dtype)
    # fastgrad computes in float64 and rounds; PyTorch's float32 polygamma is off by up to 1e-4: its float64 one
    # rounded is the reference (and its trigamma is accurate to 1e-9 only)
    expected_of = lambda n: torch.polygamma(n, torch.tensor(x, dtype=torch.float64)).numpy().astype(dtype)
    for n in (1, 2, 3, 4):
        got = fastgrad.polygamma(n, fastgrad.tensor(x)).numpy()
        np.testing.assert_allclose(got, expected_of(n), rtol=1e-6 if dtype == np.float32 else 1e-8 if n == 1 else 1e-11)


# -- binary functions --------------------------------------------------------------------------------------
A = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, nan, -1.0, 1.0, 0.0, -0.0, 3.0, 1.0, nan, -2.5, 0.5]
B = [0.0, 1.0, -1.0, nan, inf, 0.0, -2.0, 0.0, 2.0, inf, -0.0, 0.0, 3.0, nan, nan, 1.5, -inf]
BINARY = ["xlogy", "copysign", "fmax", "fmin", "nextafter", "float_power", "ldexp"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", BINARY)
def test_binary_values_and_gradients_at_special_points_match_torch(same, name, dtype):
    a, b = np.array(A, dtype=dtype), np.array(B, dtype=dtype)
    same(lambda m, a, b: getattr(m, name)(a, b), a, b)
    same(lambda m, a, b: getattr(a, name)(b), a, b)


@pytest.mark.parametrize("name", BINARY)
def test_binary_gradients_with_broadcasting_match_torch(same, name):
    rng = np.random.default_rng(2)
    a, b = rng.uniform(-2, 2, (3, 1)), rng.uniform(0.2, 2, (4,))
    same(lambda m, a, b: getattr(m, name)(a, b), a, b)
    same(lambda m, a, b: getattr(m, name)(a, b), a.astype(np.float32), b)


def test_xlogy_passes_a_zero_gradient_through_log_0_as_torch():
    grads = []
    for module in (fastgrad, torch):
        x = module.tensor([1.0, 0.0, 2.0], requires_grad=True)
        y = module.tensor([0.0, 0.0, 3.0], requires_grad=True)
        (module.xlogy(x, y) * module.tensor([0.0, 1.0, 1.0])).sum().backward()
        grads.append(np.concatenate([x.grad.numpy(), y.grad.numpy()]))
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[0][0] == 0  # xlogy(0, log 0): not 0 * -inf


@pytest.mark.parametrize("name", ["xlogy", "xlog1py"])
def test_a_zero_gradient_reaches_y_as_zero_where_x_over_y_overflows_as_torch(name):
    """PyTorch's slope for y is g x / y (g x / (1 + y)): 0 for a zero g even where x / y is inf (float32 1e30 / 1e-30),
    where fastgrad's g (x / y) was NaN."""
    grads = []
    # (1 + y) is 6e-8 for xlog1py's first y
    first = (1e30, 1e-30) if name == "xlogy" else (1e38, np.nextafter(np.float32(-1), np.float32(0)))
    for module in (fastgrad, torch):
        x = module.tensor(np.float32([first[0], 1e30, 3.0]))
        y = module.tensor(np.float32([first[1], 2.0, 0.5]), requires_grad=True)
        function = module.xlogy if name == "xlogy" else module.special.xlog1py
        function(x, y).backward(module.tensor(np.float32([0.0, 1.0, -1.0])))
        grads.append(y.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


@pytest.mark.parametrize("name", ["xlogy", "copysign", "float_power"])
def test_binary_functions_with_a_number_match_torch(same, name):
    a = np.array([0.0, -0.0, 1.5, -2.0, nan, 0.5])
    for number in (2, 2.5, -0.0, 0.0, -3):
        same(lambda m, a: getattr(m, name)(a, number), a)
        same(lambda m, a: getattr(a, name)(number), a.astype(np.float32))
        if name != "copysign":
            same(lambda m, a: getattr(m, name)(number, a), a)


@pytest.mark.parametrize("name", BINARY + ["gcd", "lcm", "isin"])
@pytest.mark.parametrize("first,second", [
    ("ints", "ints2"), ("ints", "floats"), ("floats", "doubles"), ("bools", "bools"), ("floats", 2), (2, "floats"),
    ("ints", 2.5), ("floats", "ints"), ("ints", 3), (3, "ints"), ("floats", -0.0), (2, 3), ("int32", "ints2"),
    ("bytes", "int8"), ("bools", "ints"),
])
def test_binary_promotion_and_refusals_match_torch(name, first, second):
    arrays = {"ints": np.array([0, 1, -2, 3]), "ints2": np.array([2, -3, 4, 0]),
              "floats": np.array([0.5, -1.0, 0.0, 2.0], np.float32), "doubles": np.array([0.5, 1.0, -0.0, 3.0]),
              "bools": np.array([True, False, True, False]), "int32": np.array([6, 4, 9, 0], np.int32),
              "bytes": np.array([6, 4, 9, 0], np.uint8), "int8": np.array([2, -3, 4, 0], np.int8)}
    make = lambda m, key: m.tensor(arrays[key]) if isinstance(key, str) else key
    assert_same_outcome(lambda m: getattr(m, name)(make(m, first), make(m, second)))


@pytest.mark.parametrize("name", ["xlogy", "copysign", "atan2"])
@pytest.mark.parametrize("first,second", [
    (np.array(-3), np.array([2, 5], np.uint8)), (np.array([2, 5], np.uint8), np.array(-3)),
    (np.array(300), np.array([1, -2], np.int8)),
])
def test_integer_pairs_are_each_converted_to_float_as_in_torch(name, first, second):
    # The pair's common dtype (uint8 for a 0-dim int64 with a uint8 tensor) cannot hold -3 or 300: PyTorch
    # converts each value to float32 itself, not through that dtype (where -3 reads 253)
    assert_same_outcome(lambda m: getattr(m, name)(m.tensor(first), m.tensor(second)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_ldexp_with_integer_exponents_is_exact_as_in_torch(dtype):
    # PyTorch computes C's ldexp there: no 2**other is formed, which float32 cannot hold past 2**127
    a = np.array([1e-38, 0.0, 3.0, -2.5e-30, 1e30, 5e-300], dtype)
    for exponents in (np.array([150, 200, -2, 120, -230, 1000]), np.array([150, 200, -2, 120, -230, 1000], np.int32),
                      np.array([200, 255, 1, 0, 3, 7], np.uint8)):
        assert_same_outcome(lambda m: m.ldexp(m.tensor(a), m.tensor(exponents)))
        assert_same_outcome(lambda m: m.tensor(a).ldexp(m.tensor(exponents[:1])))
    assert_same_outcome(lambda m: m.ldexp(m.tensor(a), m.tensor([True])))  # refused for a float tensor


def test_ldexp_gradient_with_integer_exponents_is_2_to_the_exponent():
    # (PyTorch's is 2^other computed in integers: 0 for a negative other, wrong past 2**62)
    x = fastgrad.tensor([1e-38, 2.0, 3.0, 1.0], requires_grad=True)
    n = np.array([150, -1, 3, -140])
    fastgrad.ldexp(x, fastgrad.tensor(n)).backward(fastgrad.tensor([1.0, 1.0, 2.0, 1.0]))
    with np.errstate(over="ignore"):  # 2**150 is past float32's range
        np.testing.assert_array_equal(x.grad.numpy(), np.ldexp(np.float32([1.0, 1.0, 2.0, 1.0]), n))


def test_gcd_and_lcm_of_negative_and_zero_values_match_torch():
    a, b = np.array([-2, 0, -7, 12, 2**40, 0]), np.array([-4, 0, 0, -18, 3, 5])
    assert_same_outcome(lambda m: m.gcd(m.tensor(a), m.tensor(b)))
    assert_same_outcome(lambda m: m.lcm(m.tensor(a), m.tensor(b)))
    assert_same_outcome(lambda m: m.tensor(a).gcd(m.tensor(b[::-1].copy())))


@pytest.mark.parametrize("kwargs", [{}, {"invert": True}, {"assume_unique": True}])
def test_isin_matches_torch(kwargs):
    elements = np.array([[1.0, 2.0, nan], [0.1, -0.0, 4.0]])
    tests = np.array([2.0, 0.0, nan, 7.0])
    assert_same_outcome(lambda m: m.isin(m.tensor(elements), m.tensor(tests), **kwargs))
    assert_same_outcome(lambda m: m.isin(m.tensor(elements), m.tensor(tests, dtype=m.float32), **kwargs))
    assert_same_outcome(lambda m: m.isin(m.tensor(elements), 4.0, **kwargs))
    assert_same_outcome(lambda m: m.isin(4, m.tensor(tests), **kwargs))
    assert_same_outcome(lambda m: m.isin(m.tensor([0.1], dtype=m.float64), 0.1, **kwargs))
    assert_same_outcome(lambda m: m.isin(m.tensor([3, 1, 2]), m.tensor(2), **kwargs))
    assert_same_outcome(lambda m: m.isin(m.tensor([1, 2]), [1, 2]))


# -- in place --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda m, x: x.log2_(), lambda m, x: x.log10_(), lambda m, x: x.exp2_(), lambda m, x: x.sinc_(),
    lambda m, x: x.lgamma_(), lambda m, x: x.digamma_(), lambda m, x: x.polygamma_(2), lambda m, x: x.erfinv_(),
    lambda m, x: x.i0_(), lambda m, x: x.logit_(), lambda m, x: x.logit_(0.25), lambda m, x: x.nan_to_num_(1.0),
    lambda m, x: x.frac_(), lambda m, x: x.deg2rad_(), lambda m, x: x.rad2deg_(),
    lambda m, x: x.xlogy_(m.tensor([2.0, 0.5, 3.0])), lambda m, x: x.xlogy_(3), lambda m, x: x.copysign_(-1.0),
    lambda m, x: x.copysign_(m.tensor([-1.0, 1.0, -0.0])), lambda m, x: x.nextafter_(m.tensor([0.0, 5.0, 0.3])),
    # (PyTorch's ldexp_ computes its gradient 2^other in integers, 0 for a negative other: non-negative here)
    lambda m, x: x.ldexp_(m.tensor([1, 0, 3])),
], ids=["log2_", "log10_", "exp2_", "sinc_", "lgamma_", "digamma_", "polygamma_", "erfinv_", "i0_", "logit_",
        "logit_eps", "nan_to_num_", "frac_", "deg2rad_", "rad2deg_", "xlogy_", "xlogy_number", "copysign_number",
        "copysign_", "nextafter_", "ldexp_"])
def test_in_place_forms_match_torch(same, call):
    values = np.array([0.3, 0.8, 0.55])
    for dtype in (np.float64, np.float32, np.int64):
        assert_same_outcome(lambda m: call(m, m.tensor(values.astype(dtype))))
    # recorded inside the graph: the gradient through the change (in float32: PyTorch's float64 trigamma, digamma_'s
    # gradient, is accurate to 1e-9 only)
    same(lambda m, x: call(m, x * 1), values.astype(np.float32))


def test_float_power_in_place_needs_a_float64_base_as_in_torch(same):
    values = np.array([0.3, 0.8, 0.55])
    for exponent in (lambda m: 2, lambda m: m.tensor([0.5, 2.0, 1.0])):
        for dtype in (np.float64, np.float32, np.int64):
            assert_same_outcome(lambda m: m.tensor(values.astype(dtype)).float_power_(exponent(m)))
        same(lambda m, x: (x * 1).float_power_(exponent(m)), values)


def test_gcd_and_lcm_in_place_match_torch():
    for name in ("gcd_", "lcm_"):
        assert_same_outcome(lambda m: getattr(m.tensor([4, 6, -9], dtype=m.int32), name)(m.tensor([6, 4, 6])))
        assert_same_outcome(lambda m: getattr(m.tensor([4.0, 6.0]), name)(m.tensor([6, 4])))

"""fastgrad.special's Bessel, Airy, erfcx, zeta, incomplete gamma and orthogonal polynomial functions against mpmath
(at 40 digits) over wide ranges in float64, their special values, and gradcheck (float64 central differences) of the
differentiable ones over hypothesis shapes on every backend, with the derivatives PyTorch lacks raising."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad import special
from fastgrad.ops import bessel, orthogonal_polynomials, special_math
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

mpmath = pytest.importorskip("mpmath")

RNG = np.random.default_rng(0)
BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WIDE = np.concatenate([10 ** RNG.uniform(-8, 3, 80), RNG.uniform(0, 40, 80)])


def errors(function, reference, points, envelope=None) -> np.ndarray:
    """|function - reference| over |reference|, or over max(|reference|, envelope(x)) for oscillating functions,
    whose relative error near their zeros is not the measure."""
    got = function(np.asarray(points, dtype=np.float64))
    with mpmath.workdps(40):
        expected = np.array([float(reference(mpmath.mpf(float(x)))) for x in points])
    scale = np.abs(expected) if envelope is None else np.maximum(np.abs(expected), envelope(np.asarray(points)))
    return np.abs(got - expected) / scale


def oscillation(x):
    return np.minimum(1.0, 1 / np.sqrt(np.abs(x)))


@pytest.mark.parametrize("function, reference, points, envelope, bound", [
    (bessel.bessel_j0, lambda x: mpmath.besselj(0, x), np.concatenate([WIDE, -WIDE]), oscillation, 1e-14),
    (bessel.bessel_j1, lambda x: mpmath.besselj(1, x), np.concatenate([WIDE, -WIDE]), oscillation, 1e-14),
    (bessel.bessel_y0, lambda x: mpmath.bessely(0, x), WIDE, oscillation, 1e-14),
    (bessel.bessel_y1, lambda x: mpmath.bessely(1, x), WIDE, oscillation, 1e-14),
    (bessel.bessel_k0, lambda x: mpmath.besselk(0, x), WIDE[WIDE < 700], None, 4e-15),
    (bessel.bessel_k1, lambda x: mpmath.besselk(1, x), WIDE[WIDE < 700], None, 4e-15),
    (bessel.scaled_bessel_k0, lambda x: mpmath.besselk(0, x) * mpmath.exp(x), WIDE, None, 4e-15),
    (bessel.scaled_bessel_k1, lambda x: mpmath.besselk(1, x) * mpmath.exp(x), WIDE, None, 4e-15),
    (bessel.airy_ai, mpmath.airyai, np.concatenate([RNG.uniform(-30, 30, 200), 10 ** RNG.uniform(-8, 1.5, 80)]),
     lambda x: np.where(x < 0, oscillation(x) ** 0.5, 0), 1e-13),
    (bessel.spherical_bessel_j0, lambda x: mpmath.sin(x) / x, np.concatenate([WIDE, -WIDE]), oscillation, 4e-16),
    (special_math.scaled_bessel_i0, lambda x: mpmath.besseli(0, x) * mpmath.exp(-abs(x)), np.concatenate([WIDE, -WIDE]),
     None, 4e-15),
    (special_math.scaled_bessel_i1, lambda x: mpmath.besseli(1, x) * mpmath.exp(-abs(x)), np.concatenate([WIDE, -WIDE]),
     None, 4e-15),
    (special_math.erfcx, lambda x: mpmath.exp(x * x) * mpmath.erfc(x),
     np.concatenate([10 ** RNG.uniform(-8, 8, 80), RNG.uniform(-26, 30, 100)]), None, 1e-13),
], ids=["j0", "j1", "y0", "y1", "k0", "k1", "k0e", "k1e", "airy_ai", "spherical_j0", "i0e", "i1e", "erfcx"])
def test_one_argument_functions_match_mpmath(function, reference, points, envelope, bound):
    assert errors(function, reference, points, envelope).max() < bound


def test_erfcx_is_accurate_away_from_the_exponents_rounding():
    """Below -2, 2 e^(x^2) carries the rounding of x^2 (about x^2 ulps), as PyTorch's: from -2 up, a few ulps."""
    assert errors(special_math.erfcx, lambda x: mpmath.exp(x * x) * mpmath.erfc(x), RNG.uniform(-2, 100, 200)).max() \
        < 1e-15


def test_zeta_matches_mpmath():
    s = np.concatenate([RNG.uniform(1.01, 5, 100), 10 ** RNG.uniform(0.01, 2.5, 100), RNG.integers(2, 9, 50)])
    q = np.concatenate([10 ** RNG.uniform(-3, 3, 100), RNG.uniform(0.01, 50, 100), -RNG.uniform(0.1, 8, 50)])
    got = special_math.zeta(s, q)
    with mpmath.workdps(40):
        expected = np.array([float(mpmath.zeta(a, b)) for a, b in zip(s, q)])
    representable = np.abs(expected) > 1e-300
    assert np.max(np.abs(got - expected)[representable] / np.abs(expected[representable])) < 5e-13
    assert (got[~representable] == 0).all()


@pytest.mark.parametrize("upper", [False, True])
def test_incomplete_gamma_matches_mpmath(upper):
    a = np.concatenate([RNG.uniform(0, 5, 150), 10 ** RNG.uniform(-3, 4, 200)])
    x = np.concatenate([RNG.uniform(0, 10, 150), a[150:] * 10 ** RNG.uniform(-0.5, 0.5, 200)])
    got = (special_math.gammaincc if upper else special_math.gammainc)(a, x)
    with mpmath.workdps(40):
        expected = np.array([float(mpmath.gammainc(p, *((q, mpmath.inf) if upper else (0, q)), regularized=True))
                             for p, q in zip(a, x)])
    representable = expected > 1e-300
    assert np.max(np.abs(got - expected)[representable] / expected[representable]) < 1e-12


@pytest.mark.parametrize("function, expected", [
    (lambda: special_math.zeta(np.array([1.0, 0.5, 2.0, 2.5, 2.0, 3.0, np.inf, np.inf, 2.0]),
                               np.array([3.0, 1.0, 0.0, -1.5, np.inf, -1.5, 1.0, 0.5, -1e7 + 0.5])),
     [np.inf, np.nan, np.inf, np.nan, 0.0, 0.11810202582086413, 1.0, np.inf, np.nan]),
    (lambda: special_math.gammainc(np.array([0.0, 0.0, 1.0, 1.0, np.inf, -1.0, 1.0, np.inf]),
                                   np.array([1.0, 0.0, 0.0, np.inf, 1.0, 1.0, np.nan, np.inf])),
     [1.0, np.nan, 0.0, 1.0, 0.0, np.nan, np.nan, np.nan]),
    (lambda: special_math.erfcx(np.array([np.inf, -np.inf, np.nan, 0.0, -30.0])), [0.0, np.inf, np.nan, 1.0, np.inf]),
    (lambda: bessel.bessel_y0(np.array([0.0, -1.0, np.inf, np.nan])), [-np.inf, np.nan, np.nan, np.nan]),
    (lambda: bessel.bessel_k1(np.array([0.0, -1.0, np.inf, np.nan])), [np.inf, np.nan, 0.0, np.nan]),
    (lambda: bessel.bessel_j1(np.array([0.0, -np.inf, np.nan, -1e-300])), [0.0, np.nan, np.nan, -5e-301]),
    (lambda: special_math.scaled_bessel_i1(np.array([np.inf, -np.inf, 0.0])), [0.0, -0.0, 0.0]),
])
def test_special_values(function, expected):
    np.testing.assert_allclose(function(), np.array(expected), rtol=1e-13)


POLYNOMIAL_REFERENCES = {
    "chebyshev_t": mpmath.chebyt, "chebyshev_u": mpmath.chebyu, "hermite_h": mpmath.hermite,
    "hermite_he": lambda n, x: mpmath.hermite(n, x / mpmath.sqrt(2)) / mpmath.sqrt(2) ** n,
    "laguerre_l": lambda n, x: mpmath.laguerre(n, 0, x), "legendre_p": mpmath.legendre,
    # the third and fourth kinds from the second: V_n = U_n - U_{n-1}, W_n = U_n + U_{n-1}
    "chebyshev_v": lambda n, x: mpmath.chebyu(n, x) - (mpmath.chebyu(n - 1, x) if n else 0),
    "chebyshev_w": lambda n, x: mpmath.chebyu(n, x) + (mpmath.chebyu(n - 1, x) if n else 0),
}


@pytest.mark.parametrize("kind", orthogonal_polynomials.KINDS)
def test_orthogonal_polynomials_match_mpmath(kind):
    base = kind.removeprefix("shifted_")
    x = RNG.uniform(-1.5, 1.5, 40)
    for n in (0, 1, 2, 5, 13, 30):
        got = orthogonal_polynomials.evaluate(kind, x, np.full_like(x, n))
        argument = 2 * x - 1 if kind.startswith("shifted_") else x
        with mpmath.workdps(40):
            expected = np.array([float(POLYNOMIAL_REFERENCES[base](n, mpmath.mpf(float(y)))) for y in argument])
        np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-11 * np.abs(expected).max())


@pytest.mark.parametrize("kind", orthogonal_polynomials.KINDS)
def test_orthogonal_polynomials_read_n_as_torch_and_stay_nan_and_infinite_where_they_should(kind):
    x = np.array([0.3, np.nan, np.inf, -np.inf, 0.3, 0.3, 0.3])
    n = np.array([-2.0, 0.0, 3.0, 3.0, 2.7, np.nan, np.inf])
    got = orthogonal_polynomials.evaluate(kind, x, n)
    assert got[0] == 0 and got[1] == 1 and np.isinf(got[2]) and np.isinf(got[3]) and np.isnan(got[5:]).all()
    assert got[4] == orthogonal_polynomials.evaluate(kind, x[4:5], np.array([2.0]))[0]
    assert np.isnan(orthogonal_polynomials.evaluate(kind, np.array([np.nan]), np.array([1.0]))).all()


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), seed=st.integers(0, 2**16))
def test_one_argument_gradients(backend_name, shape, seed):
    x = leaf(shape, seed, -4, 4, away_from=0.0)  # (i0e and i1e have a kink at 0)
    for name in ("i0e", "i1", "i1e"):
        check(backend_name, getattr(special, name), x)
    check(backend_name, fastgrad.i0, x)
    # (erfcx grows as 2 e^(x^2) below 0: a projection summing such outputs rounds away the others' differences)
    check(backend_name, special.erfcx, leaf(shape, seed, -2, 4))


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), seed=st.integers(0, 2**16))
def test_two_argument_gradients(backend_name, shape, seed):
    x, y = leaf(shape, seed, -2, 2, away_from=0.0), leaf(shape, seed + 1, -0.5, 3)
    check(backend_name, special.xlog1py, x, y)
    s, q = leaf(shape, seed, 1.5, 4).detach(), leaf(shape, seed + 2, 0.5, 5)
    check(backend_name, lambda q: special.zeta(s, q), q)
    a, z = leaf(shape, seed, 0.5, 5).detach(), leaf(shape, seed + 3, 0.2, 6)
    check(backend_name, lambda z: special.gammainc(a, z), z)
    check(backend_name, lambda z: special.gammaincc(a, z), z)


def test_second_derivatives():
    x = leaf((5,), 3, -3, 3, away_from=0.0)
    for function in (special.i0e, special.i1, special.i1e, special.erfcx, fastgrad.i0):
        assert fastgrad.autograd.gradgradcheck(function, (x,))
    y, q, z = leaf((5,), 4, -0.5, 3), leaf((5,), 5, 0.5, 5), leaf((5,), 6, 0.2, 6)
    assert fastgrad.autograd.gradgradcheck(special.xlog1py, (x, y))
    assert fastgrad.autograd.gradgradcheck(lambda q: special.zeta(fastgrad.full((5,), 2.5, dtype=fastgrad.float64),
                                                                  q), (q,))
    assert fastgrad.autograd.gradgradcheck(lambda z: special.gammainc(fastgrad.full((5,), 1.5, dtype=fastgrad.float64),
                                                                      z), (z,))


@pytest.mark.parametrize("name", ["zeta", "gammainc", "gammaincc"])
def test_the_derivatives_pytorch_lacks_raise(name):
    first = fastgrad.tensor([1.5, 2.5], dtype=fastgrad.float64, requires_grad=True)
    out = getattr(special, name)(first, fastgrad.tensor([1.0, 2.0], dtype=fastgrad.float64))
    with pytest.raises(NotImplementedError, match=f"the derivative of special.{name} with respect to its first "
                                                  "argument is not implemented"):
        out.sum().backward()


@pytest.mark.parametrize("name", ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
                                  "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
                                  "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
                                  "airy_ai"])
def test_functions_without_a_derivative_record_no_graph(name):
    out = getattr(special, name)(fastgrad.tensor([0.5, 1.5], requires_grad=True))
    assert not out.requires_grad and out.dtype == fastgrad.float32
    with pytest.raises(TypeError, match=f"special.{name}\\(\\): input must be a Tensor, got float"):
        getattr(special, name)(0.5)


def test_incomplete_gamma_is_nan_where_it_would_not_converge():
    """Near x = a for a of 1e10 the series needs more than its 100000 steps: NaN, not a partial sum."""
    assert np.isnan(special_math.gammainc(np.array([1e10]), np.array([1e10]))).all()
    # P(a, a) = 1/2 + 1/(3 sqrt(2 pi a)) + O(1/a) (mpmath does not converge there)
    np.testing.assert_allclose(special_math.gammainc(np.array([1e8]), np.array([1e8])),
                               0.5 + 1 / (3 * math.sqrt(2 * math.pi * 1e8)), rtol=1e-8)

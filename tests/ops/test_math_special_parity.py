"""fastgrad.special against torch.special: the same names and signatures, values and gradients at special
points, integer inputs promoted to float32."""
import math

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

inf, nan = math.inf, math.nan
POINTS = np.array([0.0, -0.0, 0.3, -0.7, 1.0, -1.0, 2.5, -3.5, 9.0, -9.0, 40.0, -40.0, inf, -inf, nan])
PROBABILITIES = np.array([0.0, 1e-300, 1e-20, 0.02, 0.5, 0.7, 1 - 1e-16, 1.0, -0.1, 1.1, nan])


@pytest.fixture
def same(same_as_torch):
    """same(call, *arrays): call(fastgrad.special, ...) against call(torch.special, ...)."""
    return lambda call, *arrays, grad=True: same_as_torch(lambda m, *t: call(m.special, *t), *arrays, grad=grad)


def test_the_namespace_has_torch_special_s_names_for_what_fastgrad_has():
    names = ["digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "log1p", "log_ndtr",
             "log_softmax", "logit", "logsumexp", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax",
             "xlogy"]
    assert set(names) <= set(fastgrad.special.__all__)  # (the rest: test_special_functions_parity.py)
    assert all(hasattr(torch.special, name) for name in names)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["entr", "erf", "erfc", "exp2", "expit", "expm1", "gammaln", "i0", "log1p", "log_ndtr",
                                  "logit", "ndtr", "psi", "round", "sinc"])
def test_unary_functions_match_torch_special(name, dtype, same):
    values = POINTS.astype(dtype)
    if name == "psi":
        # PyTorch's trigamma (psi's gradient) is accurate to 1e-9 only, and finite (6e32) at the negative integers
        values = values[~((values < 0) & (values == np.floor(values)))].astype(np.float32)
    if name == "logit":  # PyTorch's float32 gradient at -0.0 is +inf or -inf by the element's place in a vector loop
        values = values[~((values == 0) & np.signbit(values))]
    same(lambda m, x: getattr(m, name)(x), values)
    if name != "round":  # (torch.special.round refuses integer tensors; fastgrad's returns them, as torch.round)
        same(lambda m, x: getattr(m, name)(x), np.array([0, 1, -2, 3]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erfinv_and_ndtri_at_their_domain_edges_match_torch_special(dtype, same):
    same(lambda m, p: m.ndtri(p), PROBABILITIES.astype(dtype))
    same(lambda m, p: m.erfinv(p), (2 * PROBABILITIES - 1).astype(dtype))


def test_ndtr_keeps_the_lower_tail_where_torch_s_rounds_to_zero():
    """PyTorch's float64 ndtr is 0 below about -8.3; fastgrad's is the tail's value (2.2e-17 at -8.4, as mpmath's)."""
    x = np.array([-8.4, -20.0, -37.0])
    assert (torch.special.ndtr(torch.tensor(x)).numpy()[0] == 0)
    ours = fastgrad.special.ndtr(fastgrad.tensor(x)).numpy()
    np.testing.assert_allclose(ours, np.exp(torch.special.log_ndtr(torch.tensor(x)).numpy()), rtol=1e-12)
    np.testing.assert_allclose(ours[0], 2.23239319728804e-17, rtol=1e-12)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_polygamma_and_logit_eps_match_torch_special(n, same):
    same(lambda m, x: m.polygamma(n, x), np.array([0.3, 1.7, -0.4, -2.5, 12.0], dtype=np.float32))
    same(lambda m, x: m.logit(x, eps=0.1 * n), np.array([0.0, 0.05, 0.5, 0.95, 1.0, 2.0]))


def test_xlogy_with_numbers_matches_torch_special(same):
    x, y = np.array([0.0, 1.0, -2.0, 0.0, nan]), np.array([0.0, 2.0, 3.0, nan, 1.0])
    same(lambda m, x, y: m.xlogy(x, y), x, y)
    same(lambda m, y: m.xlogy(2, y), y)
    same(lambda m, x: m.xlogy(x, 3.0), x)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_and_logsumexp_match_torch_special(name, same):
    x = np.random.default_rng(0).standard_normal((3, 4))
    same(lambda m, x: getattr(m, name)(x, 1), x)
    same(lambda m, x: getattr(m, name)(x, 0, dtype=torch.float64 if m is torch.special else fastgrad.float64),
         x.astype(np.float32))
    same(lambda m, x: m.logsumexp(x, 1), x)
    same(lambda m, x: m.logsumexp(x, (0, 1), keepdim=True), x)


def test_round_with_decimals_matches_torch_special(same):
    same(lambda m, x: m.round(x, decimals=1), np.array([0.25, 1.35, -2.45, 2.5]))


def test_functions_given_a_non_tensor_raise_as_torch_special_does():
    for name in ["entr", "ndtr", "ndtri", "log_ndtr", "expit", "gammaln", "erfinv", "i0"]:
        with pytest.raises(TypeError):
            getattr(torch.special, name)(0.5)
        with pytest.raises(TypeError, match="must be a Tensor, got float"):
            getattr(fastgrad.special, name)(0.5)

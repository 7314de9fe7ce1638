"""kl_divergence's dispatch without PyTorch: the most specific registered pair wins, registering clears
what was looked up before, ties warn, unregistered pairs and bad registrations raise."""
import warnings

import numpy as np
import pytest

import fastgrad
from fastgrad.distributions import Beta, Gamma, Gumbel, Independent, Normal, Uniform, kl
from fastgrad.distributions.kl import kl_divergence, register_kl


@pytest.fixture
def registry():
    """kl's registry, restored after the test (which may register pairs of its own classes)."""
    saved = dict(kl._REGISTRY)
    yield kl._REGISTRY
    kl._REGISTRY.clear()
    kl._REGISTRY.update(saved)
    kl._FOUND.clear()


class WideNormal(Normal):
    pass


class WiderNormal(WideNormal):
    pass


def test_a_subclass_uses_its_base_pair_until_a_more_specific_pair_is_registered(registry):
    p, q = WiderNormal(0.0, 1.0), Normal(1.0, 2.0)
    np.testing.assert_allclose(kl_divergence(p, q).numpy(), kl_divergence(Normal(0.0, 1.0), q).numpy())
    register_kl(WideNormal, Normal)(lambda p, q: fastgrad.tensor(-1.0))
    assert kl_divergence(p, q).item() == -1.0  # the earlier lookup for (WiderNormal, Normal) was forgotten
    register_kl(WiderNormal, Normal)(lambda p, q: fastgrad.tensor(-2.0))
    assert kl_divergence(p, q).item() == -2.0 and kl_divergence(WideNormal(0.0, 1.0), q).item() == -1.0


def test_a_tie_between_the_two_orders_warns_and_takes_the_more_specific_p(registry):
    register_kl(WiderNormal, Normal)(lambda p, q: fastgrad.tensor(-1.0))
    register_kl(Normal, WiderNormal)(lambda p, q: fastgrad.tensor(-2.0))
    with pytest.warns(RuntimeWarning, match=r"Ambiguous kl_divergence\(WiderNormal, WiderNormal\). Please "
                                            r"register_kl\(WiderNormal, WiderNormal\)"):
        assert kl_divergence(WiderNormal(0.0, 1.0), WiderNormal(0.0, 1.0)).item() == -1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per pair of types
        kl_divergence(WiderNormal(0.0, 1.0), WiderNormal(0.0, 1.0))


@pytest.mark.parametrize("type_p, type_q, name", [(int, Normal, "type_p"), (Normal, "Normal", "type_q")])
def test_register_kl_refuses_what_is_not_a_distribution_type(type_p, type_q, name):
    with pytest.raises(TypeError, match=f"Expected {name} to be a Distribution subclass but got"):
        register_kl(type_p, type_q)


def test_unregistered_pairs_and_pairs_without_a_closed_form_raise():
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Normal and q type "
                                                  "Independent"):
        kl_divergence(Normal(0.0, 1.0), Independent(Normal(fastgrad.zeros(2), 1.0), 1))
    with pytest.raises(NotImplementedError, match=r"different reinterpreted_batch_ndims \(1 and 2\)"):
        kl_divergence(Independent(Normal(fastgrad.zeros(2, 3), 1.0), 1),
                      Independent(Normal(fastgrad.zeros(2, 3), 1.0), 2))


def test_kl_of_a_distribution_with_itself_is_zero_and_gradients_reach_both():
    loc = fastgrad.tensor([0.5, -1.0], requires_grad=True)
    other = fastgrad.tensor([0.0, 0.0], requires_grad=True)
    assert kl_divergence(Normal(loc, 2.0), Normal(loc, 2.0)).abs().max().item() == 0.0
    kl_divergence(Normal(loc, 1.0), Normal(other, 1.0)).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [0.5, -1.0])  # d/d loc of (loc - other)^2 / 2
    np.testing.assert_allclose(other.grad.numpy(), [-0.5, 1.0])


# (p, q at large concentrations, KL(p || q) from mpmath)
LARGE_CONCENTRATIONS = {
    "Gamma": (lambda t: (Gamma(t(1e6), t(1.0)), Gamma(t(1.01e6), t(1.0))), 49.83418653532863),
    "Beta": (lambda t: (Beta(t(1e6), t(2e6)), Beta(t(1.01e6), t(2e6))), 33.18600481125941),
    "Gamma-Gumbel": (lambda t: (Gamma(t(1e6), t(1e6)), Gumbel(t(1.0), t(1.0))), 6.4888175791106726),
    "Uniform-Beta": (lambda t: (Uniform(t(0.25), t(0.75)), Beta(t(1e6), t(1e6))), 90451.069267855372),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", LARGE_CONCENTRATIONS)
def test_kl_keeps_its_digits_at_large_concentrations(name, dtype):
    """Its log-gamma terms cancel: computed in float32 KL(Gamma(1e6, 1) || Gamma(1.01e6, 1)) was 49.906 for
    49.834, the Beta pair's 35.1 for 33.19 and the Gamma-Gumbel one 5.86 for 6.49, as PyTorch's float32."""
    make, expected = LARGE_CONCENTRATIONS[name]
    p, q = make(lambda x: fastgrad.tensor(np.array(x, dtype=dtype)))
    found = kl_divergence(p, q)
    assert found.dtype == dtype
    np.testing.assert_allclose(found.item(), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kl_from_a_narrow_uniform_to_a_gumbel_keeps_its_digits(dtype):
    """KL(U(0, w) || Gumbel(0, 1)) = -log w + w / 2 + (1 - e^-w) / w: the last term, a difference of two
    exponentials scaled by 1 / w, came out 0.95 or 1.19 for 1 in float32 at w = 1e-6 (PyTorch's too)."""
    width = np.array([1e-6, 1e-3, 2.0])
    p = Uniform(fastgrad.zeros(3, dtype=dtype), fastgrad.tensor(width.astype(dtype)))
    found = kl_divergence(p, Gumbel(fastgrad.zeros(3, dtype=dtype), fastgrad.ones(3, dtype=dtype)))
    width = width.astype(dtype).astype(np.float64)
    np.testing.assert_allclose(found.numpy(), -np.log(width) + width / 2 - np.expm1(-width) / width, rtol=1e-6)


def test_kl_from_a_narrow_uniform_to_a_beta_keeps_its_digits():
    """E[log x] over [low, high] as log high - 1 + log1p(r) / r (r = width / low): the difference
    (high log high - low log low) / width cancelled, losing 1e-8 of this KL (mpmath: 24.384952860085622)."""
    p = Uniform(fastgrad.tensor(0.3, dtype=fastgrad.float64), fastgrad.tensor(0.3 + 1e-10, dtype=fastgrad.float64))
    q = Beta(fastgrad.tensor(2.5, dtype=fastgrad.float64), fastgrad.tensor(0.7, dtype=fastgrad.float64))
    np.testing.assert_allclose(kl_divergence(p, q).item(), 24.384952860085622, rtol=1e-14)

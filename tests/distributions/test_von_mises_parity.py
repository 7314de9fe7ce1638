"""VonMises against torch.distributions: log_prob and the circular moments with their gradients (to the
about 1e-7 of PyTorch's polynomial Bessel fits), shapes, constraints, expand, what neither implements, and
the refusals. The draws come from another generator: test_von_mises checks their distribution."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions as ours

torch = pytest.importorskip("torch")
import torch.distributions as theirs  # noqa: E402

_rng = np.random.default_rng(14)
# concentrations on both sides of 3.75, where PyTorch's fits change form
PARAMETERS = [_rng.uniform(-3.0, 3.0, size=(2, 1)), np.array([1e-3, 0.4, 2.0, 3.75, 6.0, 40.0])]
VALUE = _rng.uniform(-np.pi, np.pi, size=(3, 2, 6))
RTOL = 2e-6  # PyTorch's polynomial fits of I0 and I1


@pytest.mark.parametrize("quantity", ["log_prob", "mean", "mode", "variance", "stddev"])
def test_quantities_and_their_gradients_match(quantity, both, same_with_gradients):
    def evaluated(d, loc, concentration, value):
        found = getattr(d.VonMises(loc, concentration), quantity)
        return found(value) if quantity == "log_prob" else found

    (mine, leaves), (reference, torch_leaves) = both(evaluated, *PARAMETERS, VALUE)
    if quantity in ("variance", "stddev"):  # 1 - I1/I0, small at large concentrations: the fits' 3.5e-7
        # absolute error is 3e-5 of it at 40 (fastgrad's 0.01258015866364935 is mpmath's to the last digit)
        np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), rtol=2e-5, atol=1e-6)
        return
    same_with_gradients(mine, reference, leaves, torch_leaves, rtol=RTOL, grad_rtol=2e-5)


def test_variance_gradient_matches_where_pytorchs_fit_is_close(both, same_with_gradients):
    (mine, leaves), (reference, torch_leaves) = both(lambda d, loc, k: d.VonMises(loc, k).variance,
                                                     PARAMETERS[0], PARAMETERS[1][:5])
    same_with_gradients(mine, reference, leaves, torch_leaves, rtol=RTOL, grad_rtol=1e-4)


def test_shapes_constraints_expand_and_dtypes_match(both, same_when_expanded):
    (mine, _), (reference, _) = both(lambda d, loc, concentration: d.VonMises(loc, concentration), *PARAMETERS)
    assert mine.batch_shape == tuple(reference.batch_shape) and mine.event_shape == tuple(reference.event_shape)
    assert mine.has_rsample == reference.has_rsample is False
    assert repr(mine.support) == repr(reference.support)
    assert {key: repr(c) for key, c in mine.arg_constraints.items()} == \
        {key: repr(c) for key, c in reference.arg_constraints.items()}
    expanded, their_expanded = mine.expand((5, 2, 6)), reference.expand((5, 2, 6))
    assert expanded.batch_shape == tuple(their_expanded.batch_shape)
    np.testing.assert_allclose(expanded.log_prob(fastgrad.tensor(VALUE[0])).detach().numpy(),
                               their_expanded.log_prob(torch.tensor(VALUE[0])).detach().numpy(), rtol=RTOL)
    fastgrad.manual_seed(0)
    assert expanded.sample((2,)).shape == tuple(their_expanded.sample((2,)).shape)
    for library, module in ((fastgrad, ours), (torch, theirs)):
        draws = module.VonMises(library.zeros(3), library.tensor(2.0)).sample((4,))
        assert str(draws.dtype).split(".")[-1] == "float32" and tuple(draws.shape) == (4, 3)


@pytest.mark.parametrize("method", ["entropy", "cdf", "icdf", "rsample"])
def test_what_neither_implements(method):
    for library, module in ((fastgrad, ours), (torch, theirs)):
        distribution = module.VonMises(library.zeros(2), library.ones(2))
        with pytest.raises(NotImplementedError):
            getattr(distribution, method)(*([library.zeros(2)] if method in ("cdf", "icdf") else []))


@pytest.mark.parametrize("make", [
    lambda d, t: d.VonMises(0.0, 0.0), lambda d, t: d.VonMises(0.0, -1.0),
    lambda d, t: d.VonMises(float("nan"), 1.0),
    lambda d, t: d.VonMises(t.zeros(3), t.ones(3)).log_prob(t.zeros(2)),
    lambda d, t: d.VonMises(0.0, 1.0).log_prob(t.tensor(float("nan"))),
])
def test_both_refuse_the_same_arguments(make):
    with pytest.raises(ValueError):
        make(theirs, torch)
    with pytest.raises(ValueError):
        make(ours, fastgrad)

"""fastgrad.distributions.transforms, TransformedDistribution, RelaxedBernoulli and
RelaxedOneHotCategorical against torch.distributions: values and gradients of the maps, their inverses
and log-determinants; the transformed distributions' log_prob, cdf, icdf, shapes, supports and expand;
the relaxed distributions' log_prob in every parameter (the draws are checked in test_transforms.py)."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributions as ours

torch = pytest.importorskip("torch")
import torch.distributions as theirs  # noqa: E402


def tensor_of(d):
    """float64 tensors of fastgrad's or PyTorch's, for parameters made inside a `make`."""
    return lambda a: (fastgrad if d is ours else torch).tensor(np.asarray(a, dtype=np.float64))


_rng = np.random.default_rng(50)
# name: (make(d, *parameter leaves), parameter arrays, an x in the domain)
TRANSFORMS = {
    "Exp": (lambda d: d.transforms.ExpTransform(), [], _rng.normal(size=(2, 3))),
    "AffineNumbers": (lambda d: d.transforms.AffineTransform(0.5, -2.0), [], _rng.normal(size=(2, 3))),
    "AffineTensors": (lambda d, loc, scale: d.transforms.AffineTransform(loc, scale),
                      [_rng.normal(size=3), _rng.uniform(-2, 2, size=3)], _rng.normal(size=(2, 3))),
    "AffineEvent": (lambda d, loc, scale: d.transforms.AffineTransform(loc, scale, event_dim=1),
                    [_rng.normal(size=3), _rng.uniform(0.5, 2, size=3)], _rng.normal(size=(2, 3))),
    "Sigmoid": (lambda d: d.transforms.SigmoidTransform(), [], _rng.normal(size=(2, 3)) * 4),
    "Tanh": (lambda d: d.transforms.TanhTransform(), [], _rng.normal(size=(2, 3))),
    "Power": (lambda d, exponent: d.transforms.PowerTransform(exponent), [_rng.uniform(-2, 3, size=3)],
              _rng.uniform(0.2, 3, size=(2, 3))),
    "Compose": (lambda d, scale: d.transforms.ComposeTransform([d.transforms.AffineTransform(0.3, scale),
                                                               d.transforms.TanhTransform(),
                                                               d.transforms.AffineTransform(1.0, 3.0)]),
                [_rng.uniform(0.5, 2, size=3)], _rng.normal(size=(2, 3))),
    "ComposeVector": (lambda d, scale: d.transforms.ComposeTransform([d.transforms.ExpTransform(),
                                                                     d.transforms.AffineTransform(0.0, scale,
                                                                                                  event_dim=1)]),
                      [_rng.uniform(0.5, 2, size=3)], _rng.normal(size=(2, 3))),
    "Abs": (lambda d: d.transforms.AbsTransform(), [], _rng.normal(size=(2, 3))),
    "Softmax": (lambda d: d.transforms.SoftmaxTransform(), [], _rng.normal(size=(2, 3))),
}
BIJECTIVE = [name for name in TRANSFORMS if name not in ("Abs", "Softmax")]


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("quantity", ["forward", "inverse", "log_abs_det_jacobian", "inverse_log_abs_det_jacobian"])
def test_maps_inverses_and_log_determinants_match(name, quantity, both, same_with_gradients):
    make, parameters, x = TRANSFORMS[name]
    if name not in BIJECTIVE and "log_abs_det_jacobian" in quantity:
        for d in (ours, theirs):
            with pytest.raises(NotImplementedError):
                made = make(d, *(tensor_of(d)(p) for p in parameters))
                made.log_abs_det_jacobian(tensor_of(d)(x), made(tensor_of(d)(x)))
        return

    def evaluate(d, *leaves):
        transform = make(d, *leaves[:len(parameters)])
        x = leaves[-1]
        if quantity == "forward":
            return transform(x)
        if quantity == "inverse":
            return transform.inv(transform(x).detach() if hasattr(x, "detach") else transform(x))
        if quantity == "log_abs_det_jacobian":
            return transform.log_abs_det_jacobian(x, transform(x))
        y = transform(x)
        return transform.inv.log_abs_det_jacobian(y, x)

    (mine, leaves), (reference, torch_leaves) = both(evaluate, *parameters, x)
    assert mine.shape == tuple(reference.shape)
    same_with_gradients(mine, reference, leaves, torch_leaves)


def as_array(value) -> np.ndarray:
    return np.asarray(value.detach().numpy() if hasattr(value, "detach") else value)


@pytest.mark.parametrize("name", TRANSFORMS)
def test_properties_match(name):
    make, parameters, x = TRANSFORMS[name]
    mine, reference = (make(d, *(tensor_of(d)(p) for p in parameters)) for d in (ours, theirs))
    for transform, their_transform in ((mine, reference), (mine.inv, reference.inv)):
        assert repr(transform.domain) == repr(their_transform.domain)
        assert repr(transform.codomain) == repr(their_transform.codomain)
        assert transform.bijective == their_transform.bijective
        assert repr(transform).replace("\n", "") == repr(their_transform).replace("\n", "")
        for shape in ((2, 3), (4, 1, 3)):
            assert tuple(transform.forward_shape(shape)) == tuple(their_transform.forward_shape(shape))
            assert tuple(transform.inverse_shape(shape)) == tuple(their_transform.inverse_shape(shape))
        try:
            their_sign = their_transform.sign
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                transform.sign
        else:
            np.testing.assert_array_equal(as_array(transform.sign), as_array(their_sign))
    assert mine.inv.inv is mine and reference.inv.inv is reference
    assert (mine == make(ours, *(tensor_of(ours)(p) for p in parameters))) == \
        (reference == make(theirs, *(tensor_of(theirs)(p) for p in parameters)))


def test_equality_matches():
    for d in (ours, theirs):
        t = d.transforms
        tensor = tensor_of(d)
        found = [t.ExpTransform() == t.ExpTransform(), t.ExpTransform() == t.TanhTransform(),
                 t.AffineTransform(1.0, 2.0) == t.AffineTransform(1.0, 2.0),
                 t.AffineTransform(1.0, 2.0) == t.AffineTransform(1.0, 3.0),
                 t.AffineTransform(tensor([1.0, 2.0]), 2.0) == t.AffineTransform(tensor([1.0, 2.0]), 2.0),
                 t.PowerTransform(tensor(2.0)) == t.PowerTransform(tensor(2.0)),
                 t.PowerTransform(tensor(2.0)) == t.PowerTransform(tensor(3.0)),
                 t.ExpTransform().inv == t.ExpTransform().inv, t.ExpTransform().inv == t.ExpTransform(),
                 t.ComposeTransform([t.ExpTransform()]) == t.ComposeTransform([t.ExpTransform()]),
                 t.ComposeTransform([t.ExpTransform()]) == t.ComposeTransform([t.TanhTransform()])]
        if d is ours:
            expected = found
        else:
            assert found == expected


# -- TransformedDistribution ---------------------------------------------------------------------------
def normal(d, loc, scale):
    return d.Normal(loc, scale)


TRANSFORMED = {
    "Exp": (lambda d, loc, scale: d.TransformedDistribution(normal(d, loc, scale), d.transforms.ExpTransform()),
            _rng.uniform(0.2, 3, size=(2, 3))),
    "ExpAffineDecreasing": (lambda d, loc, scale: d.TransformedDistribution(
        normal(d, loc, scale), [d.transforms.ExpTransform(), d.transforms.AffineTransform(1.0, -2.0)]),
        1 - _rng.uniform(0.2, 3, size=(2, 3))),
    "SigmoidAffine": (lambda d, loc, scale: d.TransformedDistribution(
        normal(d, loc, scale), [d.transforms.SigmoidTransform(), d.transforms.AffineTransform(-1.0, 2.0)]),
        _rng.uniform(-0.9, 0.9, size=(2, 3))),
    "Tanh": (lambda d, loc, scale: d.TransformedDistribution(normal(d, loc, scale), d.transforms.TanhTransform()),
             _rng.uniform(-0.9, 0.9, size=(2, 3))),
    "AffineEvent": (lambda d, loc, scale: d.TransformedDistribution(
        normal(d, loc, scale), d.transforms.AffineTransform(0.5, scale.detach() + 1, event_dim=1)),
        _rng.normal(size=(2, 3))),
    "Power": (lambda d, loc, scale: d.TransformedDistribution(
        d.LogNormal(loc, scale), d.transforms.PowerTransform(tensor_of(d)(-1.5))), _rng.uniform(0.2, 3, size=(2, 3))),
    "Empty": (lambda d, loc, scale: d.TransformedDistribution(normal(d, loc, scale), []), _rng.normal(size=(2, 3))),
}
_loc, _scale = _rng.normal(size=3), _rng.uniform(0.5, 1.5, size=3)


@pytest.mark.parametrize("name", TRANSFORMED)
@pytest.mark.parametrize("quantity", ["log_prob", "cdf", "icdf"])
def test_transformed_quantities_and_gradients_match(name, quantity, both, same_with_gradients):
    make, value = TRANSFORMED[name]
    argument = _rng.uniform(0.05, 0.95, size=(2, 3)) if quantity == "icdf" else value
    if name == "AffineEvent" and quantity != "log_prob":
        return  # PyTorch's Normal.cdf of an event-dim-1 affine image is elementwise; nothing more to compare

    def evaluate(d, loc, scale, at):
        return getattr(make(d, loc, scale), quantity)(at)

    (mine, leaves), (reference, torch_leaves) = both(evaluate, _loc, _scale, argument)
    same_with_gradients(mine, reference, leaves, torch_leaves, rtol=1e-9, grad_rtol=1e-7)


@pytest.mark.parametrize("name", TRANSFORMED)
def test_transformed_shapes_support_and_expand_match(name, both):
    make, value = TRANSFORMED[name]
    (mine, _), (reference, _) = both(make, _loc, _scale)
    assert (mine.batch_shape, mine.event_shape) == (tuple(reference.batch_shape), tuple(reference.event_shape))
    assert repr(mine.support) == repr(reference.support) and mine.has_rsample == reference.has_rsample
    assert type(mine.base_dist).__name__ == type(reference.base_dist).__name__
    draws = mine.rsample((4,))
    assert draws.shape == tuple(reference.rsample((4,)).shape) and draws.requires_grad
    wider = (5,) + tuple(reference.batch_shape)
    expanded, their_expanded = mine.expand(wider), reference.expand(wider)
    assert (expanded.batch_shape, expanded.event_shape) == (tuple(their_expanded.batch_shape),
                                                             tuple(their_expanded.event_shape))
    np.testing.assert_allclose(expanded.log_prob(fastgrad.tensor(value[0])).detach().numpy(),
                               their_expanded.log_prob(torch.tensor(value[0])).detach().numpy(), rtol=1e-10)


def test_transforms_with_tensor_parameters_broadcast_the_base(both):
    """A transform's parameters of a wider shape expand the base distribution, as PyTorch's do."""
    make = lambda d, loc: d.TransformedDistribution(d.Normal(loc, 1.0),  # noqa: E731
                                                    d.transforms.AffineTransform(tensor_of(d)(np.ones((4, 1))), 2.0))
    (mine, leaves), (reference, torch_leaves) = both(make, _loc)
    assert mine.batch_shape == tuple(reference.batch_shape) == (4, 3)
    assert mine.base_dist.batch_shape == tuple(reference.base_dist.batch_shape)


def test_softmax_transformed_distribution_matches_and_has_no_log_prob(both):
    make = lambda d, loc: d.TransformedDistribution(d.Normal(loc, 1.0),  # noqa: E731
                                                    d.transforms.SoftmaxTransform())
    (mine, _), (reference, _) = both(make, _loc)
    assert (mine.batch_shape, mine.event_shape) == (tuple(reference.batch_shape), tuple(reference.event_shape))
    assert type(mine.base_dist).__name__ == type(reference.base_dist).__name__ == "Independent"
    assert repr(mine.support) == repr(reference.support)
    for distribution, tensor in ((mine, fastgrad.tensor), (reference, torch.tensor)):
        with pytest.raises(NotImplementedError):
            distribution.log_prob(tensor(np.array([0.2, 0.3, 0.5])))


def test_transformed_kl_matches_and_needs_equal_transforms(both, same_with_gradients):
    def kl(d, loc, scale, q_loc):
        return d.kl_divergence(TRANSFORMED["Exp"][0](d, loc, scale), TRANSFORMED["Exp"][0](d, q_loc, scale * 2))

    (mine, leaves), (reference, torch_leaves) = both(kl, _loc, _scale, _loc + 1)
    same_with_gradients(mine, reference, leaves, torch_leaves)
    for d in (ours, theirs):
        p = TRANSFORMED["Exp"][0](d, tensor_of(d)(_loc), tensor_of(d)(_scale))
        q = TRANSFORMED["Tanh"][0](d, tensor_of(d)(_loc), tensor_of(d)(_scale))
        with pytest.raises(NotImplementedError):
            d.kl_divergence(p, q)


@pytest.mark.parametrize("make", [
    lambda d, t: d.TransformedDistribution(d.Normal(0.0, 1.0), "exp"),
    lambda d, t: d.TransformedDistribution(d.Normal(0.0, 1.0), [d.transforms.ExpTransform(), "exp"]),
    lambda d, t: d.TransformedDistribution(d.Normal(t.zeros(3), 1.0), d.transforms.ExpTransform()).log_prob(
        t.tensor([-1.0, 1.0, 1.0])),
    lambda d, t: d.TransformedDistribution(d.Normal(0.0, 1.0), d.transforms.SoftmaxTransform()),
    lambda d, t: d.transforms.ExpTransform(cache_size=2),
])
def test_both_refuse_the_same_arguments(make):
    with pytest.raises(ValueError):
        make(theirs, torch)
    with pytest.raises(ValueError):
        make(ours, fastgrad)


# -- RelaxedBernoulli, RelaxedOneHotCategorical -------------------------------------------------------
RELAXED = {
    "RelaxedBernoulliProbs": (lambda d, t, p: d.RelaxedBernoulli(t, probs=p),
                              [np.array(0.7), _rng.uniform(0.1, 0.9, size=3)], _rng.uniform(0.05, 0.95, size=(2, 3))),
    "RelaxedBernoulliLogits": (lambda d, t, lg: d.RelaxedBernoulli(t, logits=lg),
                               [np.array([0.4, 1.0, 2.5]), _rng.normal(size=3)], _rng.uniform(0.05, 0.95, size=(2, 3))),
    "LogitRelaxedBernoulli": (lambda d, t, lg: d.relaxed_bernoulli.LogitRelaxedBernoulli(t, logits=lg),
                              [np.array(0.7), _rng.normal(size=3)], _rng.normal(size=(2, 3))),
    "RelaxedOneHotCategoricalLogits": (lambda d, t, lg: d.RelaxedOneHotCategorical(t, logits=lg),
                                       [np.array(0.6), _rng.normal(size=(2, 4))],
                                       _rng.dirichlet(np.ones(4), size=2)),
    "RelaxedOneHotCategoricalProbs": (lambda d, t, p: d.RelaxedOneHotCategorical(t, probs=p),
                                      [np.array(1.5), _rng.dirichlet(np.ones(4), size=2)],
                                      _rng.dirichlet(np.ones(4), size=(3, 2))),
    "ExpRelaxedCategorical": (lambda d, t, lg: d.relaxed_categorical.ExpRelaxedCategorical(t, logits=lg),
                              [np.array(0.6), _rng.normal(size=(2, 4))],
                              np.log(_rng.dirichlet(np.ones(4), size=2))),
}


@pytest.mark.parametrize("name", RELAXED)
def test_relaxed_log_prob_and_its_gradients_match(name, both, same_with_gradients):
    make, parameters, value = RELAXED[name]
    (mine, leaves), (reference, torch_leaves) = both(lambda d, *xs: make(d, *xs[:-1]).log_prob(xs[-1]),
                                                     *parameters, value)
    same_with_gradients(mine, reference, leaves, torch_leaves, rtol=1e-9, grad_rtol=1e-7)


@pytest.mark.parametrize("name", RELAXED)
def test_relaxed_shapes_support_and_expand_match(name, both):
    make, parameters, value = RELAXED[name]
    (mine, _), (reference, _) = both(make, *parameters)
    assert (mine.batch_shape, mine.event_shape) == (tuple(reference.batch_shape), tuple(reference.event_shape))
    assert repr(mine.support) == repr(reference.support) and mine.has_rsample == reference.has_rsample
    assert {k: repr(v) for k, v in mine.arg_constraints.items()} == \
        {k: repr(v) for k, v in reference.arg_constraints.items()}
    for attribute in ("probs", "logits", "temperature"):
        np.testing.assert_allclose(getattr(mine, attribute).detach().numpy(),
                                   getattr(reference, attribute).detach().numpy(), rtol=1e-12)
    draws = mine.rsample((5,))
    assert draws.shape == tuple(reference.rsample((5,)).shape) and draws.dtype == np.float64 and draws.requires_grad
    assert mine.support.check(draws.detach()).numpy().all()
    wider = (3,) + tuple(reference.batch_shape)
    expanded, their_expanded = mine.expand(wider), reference.expand(wider)
    assert type(expanded) is type(mine) and expanded.batch_shape == tuple(their_expanded.batch_shape)
    at = value[0] if np.ndim(value) > len(mine.event_shape) + len(mine.batch_shape) else value
    np.testing.assert_allclose(expanded.log_prob(fastgrad.tensor(at)).detach().numpy(),
                               their_expanded.log_prob(torch.tensor(at)).detach().numpy(), rtol=1e-10)


def test_relaxed_distributions_refuse_what_torch_refuses():
    for d, t in ((ours, fastgrad), (theirs, torch)):
        with pytest.raises(ValueError):
            d.RelaxedBernoulli(t.tensor(0.5), probs=t.tensor([1.5]))
        with pytest.raises(ValueError):
            d.RelaxedOneHotCategorical(t.tensor(0.5), logits=t.zeros(3)).log_prob(t.tensor([0.5, 0.6, 0.1]))
        with pytest.raises(ValueError):
            d.RelaxedBernoulli(t.tensor(0.5), logits=t.zeros(3)).log_prob(t.tensor([0.5, 1.5, 0.1]))
        with pytest.raises((TypeError, AttributeError)):  # a Python number temperature
            d.RelaxedBernoulli(0.5, probs=t.tensor([0.3])).log_prob(t.tensor([0.2]))


def test_lognormal_and_the_halves_are_transformed_distributions_as_in_torch(both, same_with_gradients):
    for name in ("LogNormal", "HalfNormal", "HalfCauchy", "RelaxedBernoulli", "RelaxedOneHotCategorical"):
        assert issubclass(getattr(ours, name), ours.TransformedDistribution) == \
            issubclass(getattr(theirs, name), theirs.TransformedDistribution)

    def kl(d, loc, scale):  # found through the TransformedDistribution pair: equal ExpTransforms
        pushed = d.TransformedDistribution(d.Normal(loc * 0.5, scale), d.transforms.ExpTransform())
        return d.kl_divergence(d.LogNormal(loc, scale), pushed)

    (mine, leaves), (reference, torch_leaves) = both(kl, _loc, _scale)
    same_with_gradients(mine, reference, leaves, torch_leaves)
    for d, t in ((ours, fastgrad), (theirs, torch)):
        assert repr(d.HalfNormal(t.tensor([1.0])).base_dist).startswith("Normal(")
        with pytest.raises(ValueError, match="Expected parameter scale"):
            d.HalfCauchy(t.tensor([-1.0]))

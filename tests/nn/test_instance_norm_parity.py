"""InstanceNorm1d/2d/3d and F.instance_norm against PyTorch: outputs, gradients of the input and parameters,
running statistics over training steps (momentum, and None, which PyTorch's instance norms take as 0),
evaluation, unbatched inputs, state_dict keys, printouts, and PyTorch's warning and errors."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn

torch = pytest.importorskip("torch")

SHAPES = {"InstanceNorm1d": [(2, 3, 5), (3, 4)], "InstanceNorm2d": [(2, 3, 2, 4), (3, 3, 2)],
          "InstanceNorm3d": [(2, 3, 2, 2, 3), (3, 2, 3, 2)]}
CASES = [(name, shape) for name, shapes in SHAPES.items() for shape in shapes]


@pytest.mark.parametrize("name, shape", CASES)
@pytest.mark.parametrize("options", [{}, {"affine": True}, {"track_running_stats": True},
                                     {"track_running_stats": True, "momentum": None, "affine": True},
                                     {"track_running_stats": True, "momentum": 0.4, "eps": 1e-3}])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_then_evaluation_matches(name, shape, options, dtype, norm_layer_parity):
    norm_layer_parity(name, shape, options, dtype, affine_away_from_identity=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.integers(1, 3), channels=st.integers(1, 3), spatial=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       use_input_stats=st.booleans(), running=st.booleans(), affine=st.booleans(),
       momentum=st.sampled_from([0.0, 0.1, 0.7, 1.0]), seed=st.integers(0, 2**16))
def test_functional_instance_norm_matches(batch, channels, spatial, use_input_stats, running, affine, momentum, seed):
    """Values, the gradients of the input, weight and bias, and the running statistics it updates; or an
    error from both (one spatial element with use_input_stats, no running statistics without it)."""
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(1.0, 2.0, (batch, channels, *spatial))]
    if affine:
        arrays += [rng.uniform(0.5, 1.5, channels), rng.normal(size=channels)]
    stats = [rng.normal(size=channels), rng.uniform(0.5, 2.0, channels)] if running else [None, None]
    results = []
    for library, functional in ((fastgrad, F), (torch, torch.nn.functional)):
        leaves = [library.tensor(a, requires_grad=True) for a in arrays]
        running_stats = [None if s is None else library.tensor(s) for s in stats]
        weights = dict(zip(("weight", "bias"), leaves[1:]))
        try:
            out = functional.instance_norm(leaves[0], *running_stats, **weights, use_input_stats=use_input_stats,
                                           momentum=momentum, eps=1e-3)
        except (ValueError, RuntimeError):
            results.append(None)
            continue
        upstream = np.arange(out.numel()).reshape(tuple(out.shape)) % 3.0  # (a plain sum's input gradient is 0)
        (out * library.tensor(upstream)).sum().backward()
        results.append([out.detach().numpy()] + [leaf.grad.numpy() for leaf in leaves] +
                       [s.numpy() for s in running_stats if s is not None])
    ours, theirs = results
    assert (ours is None) == (theirs is None)
    for mine, reference in zip(ours or [], theirs or []):
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-9)


def test_a_mismatched_feature_count_warns_without_affine_and_raises_with_it():
    x = np.random.default_rng(1).normal(size=(2, 3, 4))
    for library, module in ((fastgrad, nn), (torch, torch.nn)):
        with pytest.warns(UserWarning, match="does not match num_features"):
            module.InstanceNorm1d(5)(library.tensor(x))
        with pytest.raises(ValueError, match="match num_features"):
            module.InstanceNorm1d(5, affine=True)(library.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.InstanceNorm1d(3)(fastgrad.tensor(x))


@pytest.mark.filterwarnings("ignore:.*does not match num_features")
@pytest.mark.parametrize("call", [
    lambda nn_, F_, lib: nn_.InstanceNorm1d(3)(lib.ones(2, 3, 4, 4)),  # too many dims
    lambda nn_, F_, lib: nn_.InstanceNorm2d(3)(lib.ones(3, 4)),  # too few
    lambda nn_, F_, lib: nn_.InstanceNorm1d(3)(lib.ones(2, 3, 1)),  # one spatial element
    lambda nn_, F_, lib: nn_.InstanceNorm1d(3, track_running_stats=True).eval()(lib.ones(2, 4, 5)),  # stats' size
    lambda nn_, F_, lib: F_.instance_norm(lib.ones(2, 3, 4), use_input_stats=False),  # no running statistics
    lambda nn_, F_, lib: F_.instance_norm(lib.ones(2, 3, 4), weight=lib.ones(2)),
    lambda nn_, F_, lib: F_.instance_norm(lib.ones(2, 3)),
])
def test_both_refuse(call):
    with pytest.raises((ValueError, RuntimeError)):
        call(torch.nn, torch.nn.functional, torch)
    with pytest.raises((ValueError, RuntimeError)):
        call(nn, F, fastgrad)


def test_empty_inputs_give_empty_outputs():
    for shape in [(0, 3, 4), (2, 0, 4), (2, 3, 0)]:
        assert F.instance_norm(fastgrad.ones(*shape)).shape == torch.nn.functional.instance_norm(
            torch.ones(*shape)).shape


def test_one_spatial_element_is_refused_with_pytorchs_message():
    for library, functional in ((fastgrad, F), (torch, torch.nn.functional)):
        with pytest.raises(ValueError, match=r"Expected more than 1 spatial element when training, got input size"):
            functional.instance_norm(library.ones(2, 3, 1, 1))

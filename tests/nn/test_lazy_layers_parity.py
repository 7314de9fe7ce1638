"""The lazy convolutions and norms (LazyConv1d/2d, LazyConvTranspose1d/2d, LazyBatchNorm1d/2d/3d,
LazyInstanceNorm1d/2d/3d; fastgrad/nn/modules/lazy.py) against PyTorch's: printouts, parameter names and state
dicts before and after the first call, the inferred shapes, the class they become, the initialisation's
distribution, state dicts loaded before the first call, and the calls that raise."""
import math
from contextlib import nullcontext

import numpy as np
import pytest

import fastgrad
from fastgrad import nn

torch = pytest.importorskip("torch")

# (class, arguments, keyword arguments, first input's shape)
CASES = [
    ("LazyConv1d", (4, 3), {"groups": 2}, (2, 6, 5)),
    ("LazyConv1d", (4, 2), {"bias": False, "stride": 2}, (6, 7)),  # unbatched
    ("LazyConv2d", (4, 3), {"padding": 1, "padding_mode": "reflect"}, (2, 3, 5, 5)),
    ("LazyConv2d", (2, (3, 2)), {"dilation": 2}, (3, 7, 6)),  # unbatched
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 6, 5)),
    ("LazyConvTranspose1d", (2, 3), {}, (3, 4)),  # unbatched
    ("LazyConvTranspose2d", (4, 3), {"groups": 2, "bias": False}, (1, 6, 5, 5)),
    ("LazyConvTranspose2d", (3, 2), {"dilation": 2, "padding": 1}, (2, 5, 4, 4)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), {"momentum": None, "eps": 1e-3}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"affine": False}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"bias": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"affine": False}, (2, 3, 2, 2, 3)),
]
IDS = [f"{name}-{shape}" for name, _, _, shape in CASES]


def pair(name, args, options, **extra):
    return getattr(nn, name)(*args, **options, **extra), getattr(torch.nn, name)(*args, **options, **extra)


def state_reprs(module):
    return [(key, repr(value) if "Uninitialized" in repr(value) else tuple(value.shape))
            for key, value in module.state_dict().items()]


@pytest.mark.parametrize("name, args, options, shape", CASES, ids=IDS)
def test_first_call_infers_the_shapes_and_becomes_the_eager_layer(name, args, options, shape):
    ours, theirs = pair(name, args, options, dtype=None)
    assert repr(ours) == repr(theirs)
    assert state_reprs(ours) == state_reprs(theirs)
    assert [(key, repr(p)) for key, p in ours.named_parameters()] == \
           [(key, repr(p)) for key, p in theirs.named_parameters()]
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape)
    ours(fastgrad.tensor(x, dtype=fastgrad.float32)), theirs(torch.tensor(x, dtype=torch.float32))
    assert type(ours).__name__ == type(theirs).__name__ == name.removeprefix("Lazy")
    assert repr(ours) == repr(theirs)
    assert state_reprs(ours) == state_reprs(theirs)
    assert [(key, type(p).__name__, tuple(p.shape)) for key, p in ours.named_parameters()] == \
           [(key, type(p).__name__, tuple(p.shape)) for key, p in theirs.named_parameters()]
    assert not hasattr(ours, "_initialize_hook") and not hasattr(ours, "_load_hook")


@pytest.mark.parametrize("name, args, options, shape", CASES, ids=IDS)
def test_once_the_values_agree_outputs_and_gradients_match(torch_parity, name, args, options, shape):
    """torch's initial values loaded into ours after the first call (which, for the norms in training, also moved
    the running statistics by the same amounts)."""
    ours, theirs = pair(name, args, options, dtype=None)
    ours.double(), theirs.double()
    x = np.random.default_rng(1).standard_normal(shape)
    first_ours, first_theirs = ours(fastgrad.tensor(x)), theirs(torch.tensor(x))
    for key, value in theirs.state_dict().items():
        if "running" in key or "batches" in key:  # the first call's update of the statistics, from its own values
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-12, err_msg=key)
    if name.startswith("LazyBatch") or name.startswith("LazyInstance"):
        np.testing.assert_allclose(first_ours.detach().numpy(), first_theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    ours.load_state_dict({key: fastgrad.tensor(value.numpy()) for key, value in theirs.state_dict().items()})
    torch_parity(ours, theirs, np.random.default_rng(2).standard_normal(shape))


@pytest.mark.parametrize("name, transposed, dims", [("LazyConv1d", False, 1), ("LazyConv2d", False, 2),
                                                    ("LazyConvTranspose1d", True, 1), ("LazyConvTranspose2d", True, 2)])
def test_convolutions_are_initialised_from_torchs_distribution(name, transposed, dims):
    """kaiming_uniform_(a=sqrt(5)) for the weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias, fan_in read
    off the materialized weight (out_channels / groups for a transposed one): every value within the bound, and
    the spread of a uniform distribution over it, for both libraries."""
    channels, out, groups, kernel = 24, 32, 2, 3
    shape = (2, channels) + (6,) * dims
    fan_in = (out if transposed else channels) // groups * kernel ** dims
    bound = 1 / math.sqrt(fan_in)  # (kaiming_uniform_'s with a = sqrt(5): sqrt(3) gain / sqrt(fan_in), gain sqrt(1/3))
    for lib, module in zip((fastgrad, torch), pair(name, (out, kernel), {"groups": groups})):
        module(lib.zeros(*shape))
        weight, bias = module.weight.detach().numpy(), module.bias.detach().numpy()
        assert 0.9 * bound < np.abs(weight).max() <= bound and 0.5 * bound < np.abs(bias).max() <= bound
        assert weight.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
        assert abs(weight.mean()) < 0.05 * bound


@pytest.mark.parametrize("name, shape", [("LazyBatchNorm2d", (2, 3, 4, 4)), ("LazyInstanceNorm1d", (2, 3, 5))])
def test_norms_start_at_the_identity_and_neutral_statistics(name, shape):
    for lib, module in zip((fastgrad, torch), pair(name, (), {})):
        module.eval()  # the statistics stay as initialised
        module(lib.zeros(*shape))
        np.testing.assert_array_equal(module.weight.detach().numpy(), np.ones(3))
        np.testing.assert_array_equal(module.bias.detach().numpy(), np.zeros(3))
        np.testing.assert_array_equal(module.running_mean.numpy(), np.zeros(3))
        np.testing.assert_array_equal(module.running_var.numpy(), np.ones(3))
        assert module.num_batches_tracked.item() == 0


@pytest.mark.parametrize("name, eager, args, shape, inferred", [
    ("LazyConv2d", (3, 4, 3), (4, 3), (2, 3, 5, 5), "in_channels"),
    ("LazyConvTranspose1d", (3, 4, 2), (4, 2), (2, 3, 5), "in_channels"),
    ("LazyBatchNorm1d", (3,), (), (4, 3), "num_features"),
    ("LazyInstanceNorm2d", (3, 1e-5, 0.1, True, True), (), (2, 3, 4, 4), "num_features")])
def test_a_state_dict_loaded_before_the_first_call_is_kept(name, eager, args, shape, inferred):
    """The loaded values are used as they are: the first call gives the trained eager layer's output. (PyTorch leaves
    in_channels or num_features at 0, even after the first call, and its affine instance norm then raises in that
    call; fastgrad sets it from the first input, which must fit the loaded shapes.)"""
    trained = getattr(torch.nn, name.removeprefix("Lazy"))(*eager)
    saved = trained.state_dict()
    ours, theirs = pair(name, args, {"dtype": None})
    ours.load_state_dict({key: fastgrad.tensor(value.numpy()) for key, value in saved.items()})
    theirs.load_state_dict(saved)
    assert type(ours).__name__ == type(theirs).__name__ == name and not ours.has_uninitialized_params()
    assert state_reprs(ours) == state_reprs(theirs)
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    ours.eval(), trained.eval()
    np.testing.assert_allclose(ours(fastgrad.tensor(x)).detach().numpy(), trained(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert getattr(ours, inferred) == 3 and getattr(theirs, inferred) == 0
    still_lazy = getattr(nn, name)(*args)
    still_lazy.load_state_dict(getattr(nn, name)(*args).state_dict())
    assert still_lazy.has_uninitialized_params()


def test_a_loaded_state_dict_refuses_an_input_it_does_not_fit():
    loaded = nn.LazyConv1d(4, 3)
    loaded.load_state_dict(nn.Conv1d(3, 4, 3).state_dict())
    with pytest.raises(ValueError, match=r"LazyConv1d: the input's channel dim, 5, does not fit the loaded weight of "
                                         r"shape \(4, 3, 3\) \(in_channels=5 needs \(4, 5, 3\)\)"):
        loaded(fastgrad.ones(1, 5, 6))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtypes(dtype):
    for lib in (fastgrad, torch):
        conv, norm = (lib.nn.LazyConv1d(2, 3, dtype=getattr(lib, dtype)),
                      lib.nn.LazyBatchNorm1d(dtype=getattr(lib, dtype)))
        conv(lib.ones(1, 3, 5, dtype=getattr(lib, dtype))), norm(lib.ones(2, 3, dtype=getattr(lib, dtype)))
        assert str(conv.weight.dtype).removeprefix("torch.") == str(norm.running_var.dtype).removeprefix("torch.") \
            == dtype
        assert str(norm.num_batches_tracked.dtype).removeprefix("torch.") == "int64"


@pytest.mark.parametrize("call", [
    lambda m: m.nn.LazyConv1d(4, 3)(m.ones(2, 3, 5, 5)),  # a 4-D input to a 1-d convolution
    lambda m: m.nn.LazyConv2d(4, 3, groups=2)(m.ones(1, 3, 5, 5)),  # 3 channels in 2 groups
    # out_channels not divisible by groups: fastgrad refuses it when built, PyTorch in the first call
    lambda m: m.nn.LazyConv1d(3, 3, groups=2)(m.ones(1, 4, 5)),
    lambda m: m.nn.LazyBatchNorm2d()(m.ones(4, 3)),
    lambda m: m.nn.LazyInstanceNorm1d()(m.ones(3, 5)),  # unbatched: PyTorch takes 5 for num_features, then fails
])
def test_wrong_first_calls_raise_as_torch(call):
    for lib in (fastgrad, torch):
        with pytest.raises((ValueError, RuntimeError)):
            call(lib)


def test_an_optimizer_built_before_the_first_call_keeps_working():
    x = np.random.default_rng(4).standard_normal((2, 3, 6))
    ours, theirs = pair("LazyConv1d", (2, 3), {})
    ours.double(), theirs.double()
    our_step, their_step = fastgrad.optim.Adam(ours.parameters(), lr=0.1), torch.optim.Adam(theirs.parameters(), lr=0.1)
    ours(fastgrad.tensor(x)), theirs(torch.tensor(x))
    ours.load_state_dict({key: fastgrad.tensor(value.numpy()) for key, value in theirs.state_dict().items()})
    for _ in range(2):
        our_step.zero_grad(), their_step.zero_grad()
        ours(fastgrad.tensor(x)).square().sum().backward()
        theirs(torch.tensor(x)).square().sum().backward()
        our_step.step(), their_step.step()
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("name, shape", [("LazyInstanceNorm1d", (2, 3, 5)), ("LazyBatchNorm2d", (2, 3, 4, 4))])
def test_a_norm_with_nothing_to_infer_takes_num_features_from_its_first_input(name, shape):
    """Without affine and running statistics nothing is uninitialized. PyTorch then leaves num_features at 0 (and
    its instance norm warns in every call that the input does not match it); fastgrad sets it all the same.
    The outputs agree."""
    options = {"affine": False, "track_running_stats": False}
    ours, theirs = pair(name, (), options)
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    with pytest.warns(UserWarning, match="does not match num_features") if "Instance" in name else nullcontext():
        expected = theirs(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours(fastgrad.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert (ours.num_features, theirs.num_features) == (3, 0)
    assert type(ours).__name__ == type(theirs).__name__ == name.removeprefix("Lazy")

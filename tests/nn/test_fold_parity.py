"""F.unfold, F.fold, F.conv_transpose1d/2d and nn.Unfold, nn.Fold, nn.ConvTranspose1d/2d against PyTorch:
values and gradients over random arguments, the modules' parameters, initialisation, state dicts,
printouts and output_size, and the arguments both refuse."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pairs = st.tuples(st.integers(1, 3), st.integers(1, 3))
ERRORS = (ValueError, TypeError, RuntimeError, IndexError, NotImplementedError)


def run(library, fn, arrays):
    """fn on `arrays` as `library`'s float64 leaves: its output and the gradients of (output * upstream).sum()
    with respect to each (upstream: fixed random values), as numpy arrays; None if fn raises."""
    leaves = [library.tensor(a, requires_grad=True) for a in arrays]
    try:
        out = fn(*leaves)
    except ERRORS:
        return None
    upstream = np.random.default_rng(0).normal(size=tuple(out.shape))
    (out * library.tensor(upstream)).sum().backward()
    return [out.detach().numpy()] + [leaf.grad.numpy() for leaf in leaves]


def assert_same(fastgrad_fn, torch_fn, *arrays):
    """Both raise, or both give the same values and gradients."""
    ours, theirs = run(fastgrad, fastgrad_fn, arrays), run(torch, torch_fn, arrays)
    assert (ours is None) == (theirs is None), f"{'fastgrad' if ours is None else 'torch'} alone raised"
    for mine, reference in zip(ours or [], theirs or []):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-10)


def both_raise(fn):
    """fn(library, functional) raises with torch, and with fastgrad."""
    with pytest.raises(ERRORS):
        fn(torch, torch.nn.functional)
    with pytest.raises(ERRORS):
        fn(fastgrad, F)


# -- unfold and fold -----------------------------------------------------------------------------------
@SETTINGS
@given(batch=st.integers(1, 2), channels=st.integers(1, 3), size=pairs.map(lambda p: (p[0] + 2, p[1] * 2 - 1)),
       kernel=pairs, dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       padding=st.tuples(st.integers(0, 2), st.integers(0, 2)), stride=pairs, batched=st.booleans(),
       seed=st.integers(0, 2**16))
def test_unfold_and_fold_match(batch, channels, size, kernel, dilation, padding, stride, batched, seed):
    """Including the geometries with no sliding block, which both refuse."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=((batch,) if batched else ()) + (channels, *size))
    assert_same(lambda x: F.unfold(x, kernel, dilation, padding, stride),
                lambda x: torch.nn.functional.unfold(x, kernel, dilation, padding, stride), x)
    try:
        shape = torch.nn.functional.unfold(torch.tensor(x), kernel, dilation, padding, stride).shape
    except RuntimeError:
        return
    columns = rng.normal(size=tuple(shape))
    assert_same(lambda c: F.fold(c, size, kernel, dilation, padding, stride),
                lambda c: torch.nn.functional.fold(c, size, kernel, dilation, padding, stride), columns)
    unfold, fold = nn.Unfold(kernel, dilation, padding, stride), nn.Fold(size, kernel, dilation, padding, stride)
    assert repr(unfold) == repr(torch.nn.Unfold(kernel, dilation, padding, stride))
    assert repr(fold) == repr(torch.nn.Fold(size, kernel, dilation, padding, stride))
    np.testing.assert_allclose(fold(unfold(fastgrad.tensor(x))).numpy(),
                               torch.nn.functional.fold(torch.nn.functional.unfold(
                                   torch.tensor(x), kernel, dilation, padding, stride), size, kernel, dilation,
                                   padding, stride).numpy(), rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda lib, F_: F_.unfold(lib.ones(3, 4), 2),  # 2-D input
    lambda lib, F_: F_.unfold(lib.ones(1, 1, 3, 4, 4), 2),  # 5-D input
    lambda lib, F_: F_.unfold(lib.ones(1, 1, 3, 4), 4),  # no block fits
    lambda lib, F_: F_.unfold(lib.ones(1, 1, 3, 4), 0),
    lambda lib, F_: F_.unfold(lib.ones(1, 1, 3, 4), 2, padding=-1),
    lambda lib, F_: F_.unfold(lib.ones(1, 1, 3, 4), 2, stride=0),
    lambda lib, F_: F_.unfold(lib.ones(1, 1, 3, 4), 2, dilation=0),
    lambda lib, F_: F_.unfold(lib.ones(1, 1, 3, 4), (2, 2, 2)),
    lambda lib, F_: F_.unfold(lib.ones(1, 0, 3, 4), 2),  # no channels
    lambda lib, F_: F_.fold(lib.ones(1, 5, 4), (3, 3), 2),  # rows not a multiple of the kernel's size
    lambda lib, F_: F_.fold(lib.ones(1, 4, 5), (3, 3), 2),  # not the number of blocks
    lambda lib, F_: F_.fold(lib.ones(1, 4, 5, 1), (3, 3), 2),  # 4-D input
    lambda lib, F_: F_.fold(lib.ones(1, 4, 1), (1, 1), 2),  # no block fits the output
    lambda lib, F_: F_.fold(lib.ones(1, 4, 4), (3, 3, 3), 2),
])
def test_both_refuse(call):
    both_raise(call)


def test_unbatched_forms_and_fold_of_one_output_size_int():
    x = np.random.default_rng(1).normal(size=(2, 4, 5))
    np.testing.assert_allclose(F.unfold(fastgrad.tensor(x), (2, 3), stride=(1, 2)).numpy(),
                               torch.nn.functional.unfold(torch.tensor(x), (2, 3), stride=(1, 2)).numpy())
    columns = np.random.default_rng(2).normal(size=(8, 4))
    np.testing.assert_allclose(F.fold(fastgrad.tensor(columns), 3, 2).numpy(),
                               torch.nn.functional.fold(torch.tensor(columns), 3, 2).numpy())


# -- transposed convolutions ---------------------------------------------------------------------------
@SETTINGS
@given(dims=st.sampled_from([1, 2]), groups=st.integers(1, 2), in_per_group=st.integers(1, 2),
       out_per_group=st.integers(1, 2), data=st.data(), bias=st.booleans(), batched=st.booleans(),
       seed=st.integers(0, 2**16))
def test_conv_transpose_matches(dims, groups, in_per_group, out_per_group, data, bias, batched, seed):
    """Over random geometries, including those both refuse (output_padding at least both the stride and
    the dilation, outputs of no element)."""
    sizes = st.tuples(*[st.integers(1, 4)] * dims)
    kernel, stride, dilation = data.draw(sizes), data.draw(st.tuples(*[st.integers(1, 3)] * dims)), data.draw(sizes)
    padding, output_padding = data.draw(st.tuples(*[st.integers(0, 2)] * dims)), data.draw(st.tuples(
        *[st.integers(0, 2)] * dims))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=((2,) if batched else ()) + (groups * in_per_group,) + data.draw(sizes))
    w = rng.normal(size=(groups * in_per_group, out_per_group, *kernel))
    arrays = [x, w] + ([rng.normal(size=groups * out_per_group)] if bias else [])
    ours = F.conv_transpose1d if dims == 1 else F.conv_transpose2d
    theirs = getattr(torch.nn.functional, f"conv_transpose{dims}d")
    assert_same(lambda x, w, *b: ours(x, w, b[0] if b else None, stride, padding, output_padding, groups, dilation),
                lambda x, w, *b: theirs(x, w, b[0] if b else None, stride, padding, output_padding, groups, dilation),
                *arrays)


@pytest.mark.parametrize("call", [
    lambda lib, F_: F_.conv_transpose1d(lib.ones(1, 3, 4), lib.ones(2, 3, 3)),  # input channels
    lambda lib, F_: F_.conv_transpose1d(lib.ones(1, 3, 4), lib.ones(3, 3, 3), groups=2),  # groups
    lambda lib, F_: F_.conv_transpose1d(lib.ones(1, 2, 4), lib.ones(2, 3, 3), stride=2, output_padding=2),
    lambda lib, F_: F_.conv_transpose1d(lib.ones(1, 2, 1), lib.ones(2, 3, 1), padding=1),  # no output
    lambda lib, F_: F_.conv_transpose1d(lib.ones(1, 2, 4), lib.ones(2, 3, 3), padding="same"),
    lambda lib, F_: F_.conv_transpose1d(lib.ones(1, 2, 4), lib.ones(2, 3, 3), lib.ones(2)),  # bias shape
    lambda lib, F_: F_.conv_transpose1d(lib.ones(1, 2, 4), lib.ones(2, 3, 3, dtype=lib.float64)),  # dtypes
    lambda lib, F_: F_.conv_transpose1d(lib.ones(1, 2, 4), lib.ones(2, 3)),  # weight rank
    lambda lib, F_: F_.conv_transpose2d(lib.ones(1, 1, 2, 4, 4), lib.ones(1, 3, 3, 3)),  # input rank
    lambda lib, F_: F_.conv_transpose2d(lib.ones(1, 2, 4, 4), lib.ones(2, 3, 3, 3), stride=0),
    lambda lib, F_: F_.conv_transpose2d(lib.ones(1, 2, 4, 4), lib.ones(2, 3, 3, 3), dilation=(1, 0)),
    lambda lib, F_: F_.conv_transpose2d(lib.ones(1, 2, 4, 4), lib.ones(2, 3, 3, 3), padding=-1),
    lambda lib, F_: F_.conv_transpose2d(lib.ones(1, 2, 4, 4), lib.ones(2, 3, 3, 3), output_padding=-1),
])
def test_conv_transpose_both_refuse(call):
    both_raise(call)


MODULE_ARGUMENTS = [dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, output_padding=1,
                         groups=2),
                    dict(in_channels=2, out_channels=3, kernel_size=2, bias=False, dilation=2),
                    dict(in_channels=3, out_channels=2, kernel_size=(3, 1), stride=(3, 2), output_padding=(2, 0))]


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("arguments", MODULE_ARGUMENTS)
def test_conv_transpose_modules_load_pytorch_state_dicts_and_match(dims, arguments):
    if dims == 1 and isinstance(arguments["kernel_size"], tuple):
        arguments = {key: value[0] if isinstance(value, tuple) else value for key, value in arguments.items()}
    ours = getattr(nn, f"ConvTranspose{dims}d")(**arguments, dtype=fastgrad.float64)
    theirs = getattr(torch.nn, f"ConvTranspose{dims}d")(**arguments, dtype=torch.float64)
    assert repr(ours) == repr(theirs)
    assert [(key, tuple(value.shape)) for key, value in ours.state_dict().items()] == \
        [(key, tuple(value.shape)) for key, value in theirs.state_dict().items()]
    ours.load_state_dict({key: fastgrad.tensor(value.numpy()) for key, value in theirs.state_dict().items()})
    x = np.random.default_rng(3).normal(size=(2, arguments["in_channels"]) + (3,) * dims)
    mine, reference = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(mine), theirs(reference)
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    out_ours.sum().backward(), out_theirs.sum().backward()
    np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-10)
    for (name, param), (their_name, their_param) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == their_name
        np.testing.assert_allclose(param.grad.numpy(), their_param.grad.numpy(), rtol=1e-10, err_msg=name)
    # every output size forward's output_size may ask for, in the forms PyTorch takes (with or without the
    # leading dims; unbatched)
    smallest = tuple(out_theirs.shape[2:])
    stride = theirs.stride
    for extra in range(max(stride)):
        size = tuple(n - theirs.output_padding[d] + min(extra, stride[d] - 1) for d, n in enumerate(smallest))
        for form in (list(size), (2, ours.out_channels) + size):
            np.testing.assert_allclose(ours(mine, output_size=form).detach().numpy(),
                                       theirs(reference, output_size=form).detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours(mine[0], output_size=size).detach().numpy(),
                                   theirs(reference[0], output_size=size).detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda nn_, lib: nn_.ConvTranspose1d(2, 3, 3, stride=3)(lib.ones(1, 2, 4), output_size=[15]),  # past the range
    lambda nn_, lib: nn_.ConvTranspose1d(2, 3, 3, stride=3)(lib.ones(1, 2, 4), output_size=[11]),  # below it
    lambda nn_, lib: nn_.ConvTranspose2d(2, 3, 3, stride=3)(lib.ones(1, 2, 4, 4), output_size=[1, 2, 3, 12, 12]),
    lambda nn_, lib: nn_.ConvTranspose1d(2, 3, 3, padding_mode="reflect"),
    lambda nn_, lib: nn_.ConvTranspose1d(2, 3, 3, groups=2),
    lambda nn_, lib: nn_.ConvTranspose2d(2, 3, 3, stride=2, output_padding=2)(lib.ones(1, 2, 4, 4)),
])
def test_conv_transpose_modules_both_refuse(call):
    with pytest.raises(ERRORS):
        call(torch.nn, torch)
    with pytest.raises(ERRORS):
        call(nn, fastgrad)


@pytest.mark.parametrize("dims", [1, 2])
def test_conv_transpose_initialisation_is_pytorchs(dims):
    """kaiming_uniform_(a=sqrt(5)) and a uniform bias, both bounded by 1 / sqrt(fan_in), fan_in being
    out_channels / groups * prod(kernel_size) for the transposed weight layout."""
    ours = getattr(nn, f"ConvTranspose{dims}d")(64, 12, 3, groups=2)
    theirs = getattr(torch.nn, f"ConvTranspose{dims}d")(64, 12, 3, groups=2)
    bound = 1 / math.sqrt(6 * 3 ** dims)
    for mine, reference in ((ours.weight, theirs.weight), (ours.bias, theirs.bias)):
        assert tuple(mine.shape) == tuple(reference.shape)
        mine, reference = mine.detach().numpy(), reference.detach().numpy()
        assert np.abs(mine).max() <= bound and np.abs(reference).max() <= bound
    assert np.abs(ours.weight.detach().numpy()).max() > 0.9 * bound


@pytest.mark.parametrize("value", [np.ones((1, 4, 4)), np.ones((1, 4, 4)).tolist()], ids=["array", "list"])
@pytest.mark.parametrize("name", ["unfold", "fold"])
def test_an_input_that_is_not_a_tensor_is_pytorch_s_type_error(name, value):
    arguments = (value, 2) if name == "unfold" else (value, (3, 3), 2)
    for lib in (fastgrad, torch):
        with pytest.raises(TypeError):
            getattr(lib.nn.functional, name)(*arguments)

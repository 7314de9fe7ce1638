"""F.interpolate (and its deprecated names F.upsample*) and nn.Upsample (with UpsamplingNearest2d and
UpsamplingBilinear2d) against PyTorch: values and gradients over random sizes, scale factors, modes (bicubic too),
align_corners and recompute_scale_factor, in float32 and float64; printouts; and the arguments both refuse."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn

torch = pytest.importorskip("torch")

LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spatial=st.lists(st.integers(1, 7), min_size=1, max_size=3), data=st.data(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_values_and_gradients_match(spatial, data, dtype, seed):
    dims = len(spatial)
    mode = data.draw(st.sampled_from(["nearest", "nearest-exact", LINEAR[dims]] + (["bicubic"] if dims == 2 else [])))
    options = {}
    if data.draw(st.booleans()):
        options["size"] = data.draw(st.integers(1, 15) | st.tuples(*[st.integers(1, 15)] * dims))
    else:
        factors = st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 1 / 3, 2.2]) | st.floats(0.3, 3.5)
        options["scale_factor"] = data.draw(factors | st.tuples(*[factors] * dims))
        options["recompute_scale_factor"] = data.draw(st.sampled_from([None, False, True]))
    if mode in (LINEAR[dims], "bicubic"):
        options["align_corners"] = data.draw(st.sampled_from([None, False, True]))
    if mode in ("bilinear", "bicubic"):
        options["antialias"] = data.draw(st.booleans())
    x = np.random.default_rng(seed).normal(size=(2, 2, *spatial)).astype(dtype)
    results = []
    for library in (fastgrad, torch):
        leaf = library.tensor(x, requires_grad=True)
        interpolate = F.interpolate if library is fastgrad else torch.nn.functional.interpolate
        try:
            out = interpolate(leaf, mode=mode, **options)
        except (ValueError, RuntimeError):  # an output size below 1
            results.append(None)
            continue
        upstream = np.random.default_rng(seed + 1).normal(size=tuple(out.shape)).astype(dtype)
        (out * library.tensor(upstream)).sum().backward()
        results.append((out.detach().numpy(), leaf.grad.numpy()))
    ours, theirs = results
    assert (ours is None) == (theirs is None)
    if ours is not None and pytorch_antialiased_width_1_is_off(spatial, ours[0].shape[2:], options):
        assert ours[0].shape == theirs[0].shape  # (PyTorch's values are off: see the test below)
        return
    if ours is not None and (pytorch_nearest_gradient_is_off(mode, spatial, ours[0].shape[2:], options)
                             or pytorch_bicubic_gradient_is_off(mode, spatial, ours[0].shape[2:], options)
                             or pytorch_antialiased_gradient_is_off(spatial, ours[0].shape[2:], options)):
        ours, theirs = ours[:1], theirs[:1]
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for mine, reference in zip(ours or [], theirs or []):
        assert mine.shape == reference.shape
        np.testing.assert_allclose(mine, reference, rtol=tolerance, atol=tolerance)


def pytorch_nearest_gradient_is_off(mode, spatial, out_sizes, options) -> bool:
    """PyTorch 2.13's CPU 'nearest' backward over 1 or 3 spatial dims copies a kept dim and halves the index
    of a doubled one, which its forward does only over 2 dims: with a scale_factor used as given, its
    gradient is then not its forward's (see the test below)."""
    return (mode == "nearest" and len(spatial) != 2 and "scale_factor" in options
            and not options.get("recompute_scale_factor") and any(o in (n, 2 * n) for n, o in zip(spatial, out_sizes)))


def pytorch_antialiased_width_1_is_off(spatial, out_sizes, options) -> bool:
    """PyTorch 2.13's antialiased resize to a width of 1 with the height changed repeats one row (see the test
    below)."""
    return options.get("antialias", False) and out_sizes[1] == 1 and out_sizes[0] != spatial[0]


def pytorch_antialiased_gradient_is_off(spatial, out_sizes, options) -> bool:
    """PyTorch 2.13's antialiased forward (as fastgrad's) copies a kept dim, but its backward resamples it at the
    scale_factor given."""
    return (options.get("antialias", False) and "scale_factor" in options
            and not options.get("recompute_scale_factor") and not options.get("align_corners")
            and any(o == n for n, o in zip(spatial, out_sizes)))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_an_antialiased_resize_to_width_1_resamples_the_height(mode):
    """PyTorch's antialiased resize of (8, 3) to (13, 1) gives 13 equal rows; of the transposed image to (1, 13),
    the resample fastgrad gives."""
    x = np.random.default_rng(1).normal(size=(1, 2, 8, 3))
    ours = F.interpolate(fastgrad.tensor(x), size=(13, 1), mode=mode, antialias=True).numpy()
    transposed = torch.nn.functional.interpolate(torch.tensor(x).transpose(2, 3), size=(1, 13), mode=mode,
                                                 antialias=True).transpose(2, 3).numpy()
    np.testing.assert_allclose(ours, transposed, rtol=1e-12, atol=1e-14)
    theirs = torch.nn.functional.interpolate(torch.tensor(x), size=(13, 1), mode=mode, antialias=True).numpy()
    assert np.ptp(theirs, axis=2).max() == 0 < np.ptp(ours, axis=2).max()  # (if this fails, PyTorch was fixed)


def test_antialiasing_filters_a_downscale():
    """Downscaling by 4 averages over 8 inputs or more (the filter stretched by 4), so a checkerboard goes grey,
    as PyTorch's; sampled at every 4th position, it would stay black and white."""
    board = (np.indices((1, 1, 16, 16)).sum(axis=0) % 2).astype(np.float64)
    for mode in ("bilinear", "bicubic"):
        smooth = F.interpolate(fastgrad.tensor(board), scale_factor=0.25, mode=mode, antialias=True).numpy()
        np.testing.assert_allclose(smooth, torch.nn.functional.interpolate(
            torch.tensor(board), scale_factor=0.25, mode=mode, antialias=True).numpy(), rtol=1e-12)
        np.testing.assert_allclose(smooth, 0.5, atol=5e-3)


def pytorch_bicubic_gradient_is_off(mode, spatial, out_sizes, options) -> bool:
    """PyTorch 2.13's CPU bicubic backward copies the gradient where both sizes are kept, but its forward
    (as fastgrad's) samples at the positions a scale_factor used as given asks for (see the test below)."""
    return (mode == "bicubic" and not options.get("antialias") and tuple(out_sizes) == tuple(spatial)
            and "scale_factor" in options and not options.get("recompute_scale_factor")
            and not options.get("align_corners"))


def test_the_gradient_is_the_forwards_where_pytorchs_bicubic_backward_copies():
    """With both sizes kept by scale_factor 1.1, PyTorch's bicubic forward (as fastgrad's) resamples, but its
    backward passes the gradient through unchanged: fastgrad's is its forward's adjoint."""
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    upstream = np.random.default_rng(0).normal(size=x.shape)
    ours = fastgrad.tensor(x, requires_grad=True)
    out = F.interpolate(ours, scale_factor=1.1, mode="bicubic")
    (out * fastgrad.tensor(upstream)).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    reference = torch.nn.functional.interpolate(theirs, scale_factor=1.1, mode="bicubic")
    (reference * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), reference.detach().numpy(), rtol=1e-12)
    assert not np.allclose(reference.detach().numpy(), x)  # the forward resamples ...
    np.testing.assert_array_equal(theirs.grad.numpy(), upstream)  # ... its backward copies (if this fails, fixed)
    # the forward is linear: row i of its matrix is the output for the i-th unit input; the gradient is its transpose's
    matrix = np.stack([F.interpolate(fastgrad.tensor(unit.reshape(x.shape)), scale_factor=1.1,
                                     mode="bicubic").numpy().ravel() for unit in np.eye(x.size)])
    np.testing.assert_allclose(ours.grad.numpy().ravel(), matrix @ upstream.ravel(), rtol=1e-12)


def test_the_gradient_is_the_forwards_where_pytorchs_nearest_backward_is_off():
    """Over one spatial dim with scale_factor 1.0977, PyTorch's forward (as fastgrad's) picks inputs
    0, 0, 1, 2, 3, but its backward returns gradient 1 for each of the five: fastgrad returns the
    forward's, 2, 1, 1, 1, 0."""
    x = fastgrad.zeros(1, 1, 5, requires_grad=True)
    F.interpolate(x, scale_factor=1.0977).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [2, 1, 1, 1, 0])
    reference = torch.zeros(1, 1, 5, requires_grad=True)
    picked = torch.nn.functional.interpolate(reference, scale_factor=1.0977)
    np.testing.assert_array_equal(torch.nn.functional.interpolate(torch.arange(5.0).reshape(1, 1, 5),
                                                                  scale_factor=1.0977).numpy().ravel(), [0, 0, 1, 2, 3])
    picked.sum().backward()
    assert reference.grad.numpy().ravel().tolist() == [1, 1, 1, 1, 1]  # (if this fails, PyTorch was fixed)


def test_pytorchs_kernels_copy_kept_and_double_sized_dims():
    """PyTorch's linear kernels copy a dim of kept size, and its 2-D nearest kernel copies a kept dim and
    halves the index of a doubled one, whatever the scale factor asked (its bicubic kernel does not: it
    resamples a kept dim at the scale asked; its antialiased ones copy it): fastgrad gives the same numbers."""
    for shape, options in [((5,), dict(scale_factor=1.0977, mode="linear")),
                           ((5, 4), dict(scale_factor=(1.0977, 2.1), mode="bilinear")),
                           ((5, 4), dict(scale_factor=(1.0977, 2.1), mode="bicubic")),
                           ((5, 4), dict(scale_factor=(1.0977, 0.6), mode="bicubic", antialias=True)),
                           ((5, 4), dict(scale_factor=(1.0977, 0.6), mode="bilinear", antialias=True)),
                           ((5, 3), dict(scale_factor=(1.0977, 2.2), mode="nearest")),
                           ((5,), dict(scale_factor=1.0977, mode="nearest")),
                           ((2, 2, 2), dict(scale_factor=2.2, mode="nearest"))]:
        x = np.arange(float(np.prod(shape))).reshape(1, 1, *shape)
        np.testing.assert_allclose(F.interpolate(fastgrad.tensor(x), **options).numpy(),
                                   torch.nn.functional.interpolate(torch.tensor(x), **options).numpy(), rtol=1e-14)


@pytest.mark.parametrize("call", [
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4), size=3, scale_factor=2),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4)),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4), size=3, align_corners=True),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4), size=3, mode="nearest-exact", align_corners=False),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4, 4), size=3, mode="linear"),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4), size=3, mode="bilinear"),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4, 4), size=3, mode="trilinear"),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4), size=3, mode="bicubic"),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4, 4, 4), size=3, mode="bicubic"),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4, 4), size=3, antialias=True),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4, 4), size=(3, 3, 3)),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4, 4), scale_factor=(2, 2, 2)),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4), size=3, recompute_scale_factor=True),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4), size=3, mode="foo"),
    lambda F_, lib: F_.interpolate(lib.ones(2, 4), size=3),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4), size=0),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4), scale_factor=-1.0),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4), scale_factor=0.1),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 0), size=3),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4), size=3.0),
    lambda F_, lib: F_.interpolate(lib.ones(1, 2, 4, dtype=lib.int64), size=3),
])
def test_both_refuse(call):
    with pytest.raises((ValueError, TypeError, RuntimeError, NotImplementedError)):
        call(torch.nn.functional, torch)
    with pytest.raises((ValueError, TypeError, RuntimeError, NotImplementedError)):
        call(F, fastgrad)


def test_the_mode_fastgrad_lacks_raises_naming_the_mode():
    with pytest.raises(NotImplementedError, match="area"):
        F.interpolate(fastgrad.ones(1, 2, 4, 4), size=3, mode="area")



@pytest.mark.parametrize("build", [
    lambda nn_: nn_.Upsample(scale_factor=2), lambda nn_: nn_.Upsample(size=(3, 5), mode="bilinear"),
    lambda nn_: nn_.Upsample(scale_factor=(1.5, 2), mode="bilinear", align_corners=True),
    lambda nn_: nn_.Upsample(size=7, mode="nearest-exact"),
    lambda nn_: nn_.Upsample(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
    lambda nn_: nn_.Upsample(size=(5, 7), mode="bicubic"),
    lambda nn_: nn_.Upsample(scale_factor=(0.7, 2.5), mode="bicubic", align_corners=True),
    lambda nn_: nn_.UpsamplingNearest2d(scale_factor=3), lambda nn_: nn_.UpsamplingBilinear2d(size=(4, 6)),
])
def test_upsample_modules_match(build):
    ours, theirs = build(nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(4).normal(size=(2, 3, 3, 4))
    np.testing.assert_allclose(ours(fastgrad.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-12,
                               atol=1e-12)


def test_a_linear_resize_to_the_same_size_is_a_new_tensor():
    x = fastgrad.ones(1, 2, 3, 4)
    out = F.interpolate(x, size=(3, 4), mode="bilinear")
    out.add_(1)
    np.testing.assert_array_equal(x.numpy(), np.ones((1, 2, 3, 4)))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spatial=st.lists(st.integers(1, 7), min_size=1, max_size=3), data=st.data(), seed=st.integers(0, 2**16))
def test_nearest_modes_resample_uint8_images_as_pytorch(spatial, data, seed):
    """PyTorch's nearest kernels take uint8 (the other integer dtypes and bool they refuse, as its
    linear kernels refuse every integer dtype but a 4-D uint8 bilinear, which fastgrad refuses too)."""
    dims = len(spatial)
    mode = data.draw(st.sampled_from(["nearest", "nearest-exact"]))
    if data.draw(st.booleans()):
        options = {"size": data.draw(st.integers(1, 15) | st.tuples(*[st.integers(1, 15)] * dims))}
    else:
        options = {"scale_factor": data.draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 1 / 3, 2.2]) | st.floats(0.3, 3.5))}
    x = np.random.default_rng(seed).integers(0, 256, size=(2, 2, *spatial)).astype(np.uint8)
    try:
        theirs = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, **options)
    except (ValueError, RuntimeError):  # an output size below 1
        with pytest.raises((ValueError, RuntimeError)):
            F.interpolate(fastgrad.tensor(x), mode=mode, **options)
        return
    ours = F.interpolate(fastgrad.tensor(x), mode=mode, **options)
    assert ours.dtype == np.uint8 and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.bool_])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest_modes_refuse_other_integers_and_bools(dtype, mode):
    x = np.ones((1, 1, 2, 2), dtype=dtype)
    with pytest.raises(NotImplementedError):
        torch.nn.functional.interpolate(torch.tensor(x), scale_factor=2, mode=mode)
    with pytest.raises(NotImplementedError, match=f"interpolate: mode '{mode}' expects a floating point or uint8 "
                                                   f"input, got dtype {np.dtype(dtype).name}"):
        F.interpolate(fastgrad.tensor(x), scale_factor=2, mode=mode)


@pytest.mark.parametrize("mode, dims", [("linear", 1), ("bilinear", 2), ("bicubic", 2), ("trilinear", 3)])
def test_linear_modes_refuse_uint8(mode, dims):
    """PyTorch's 4-D uint8 bilinear and bicubic have their own fixed-point kernels, whose rounding fastgrad does
    not copy."""
    x = fastgrad.ones((1, 1) + (2,) * dims, dtype=fastgrad.uint8)
    with pytest.raises(NotImplementedError, match="interpolate: expected a floating point input, got dtype uint8"):
        F.interpolate(x, scale_factor=2, mode=mode)


@pytest.mark.filterwarnings("ignore:invalid value encountered in multiply")  # (a used tap's 0 weight times inf)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", [(4, 3), (3, 5), (20, 4)])
def test_antialiased_infinities_reach_the_outputs_pytorchs_reach(mode, size):
    """A window that does not reach an infinite input is finite (a tap a row does not use is not multiplied by 0)."""
    x = np.arange(90.0).reshape(1, 1, 9, 10)
    x[0, 0, 4, 0], x[0, 0, 0, 9] = np.inf, -np.inf
    ours = F.interpolate(fastgrad.tensor(x), size=size, mode=mode, antialias=True).numpy()
    theirs = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode=mode, antialias=True).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("name, kwargs", [
    ("upsample", {"scale_factor": 2}), ("upsample", {"size": (3, 5), "mode": "bilinear", "align_corners": True}),
    ("upsample_nearest", {"size": 5}), ("upsample_bilinear", {"scale_factor": 2}),
    ("upsample_bilinear", {"size": (4, 7)})])
def test_the_deprecated_upsample_functions_match_and_warn(name, kwargs):
    x = np.random.default_rng(5).normal(size=(2, 3, 3, 4))
    with pytest.warns(UserWarning, match="deprecated"):
        ours = getattr(F, name)(fastgrad.tensor(x), **kwargs)
    with pytest.warns(UserWarning, match="deprecated"):
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x), **kwargs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)

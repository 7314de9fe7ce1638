"""F.pixel_shuffle, F.pixel_unshuffle and F.channel_shuffle without PyTorch: gradcheck over hypothesis shapes on
every backend, the rearrangements' definitions and the arguments they refuse."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
leads = st.sampled_from([(), (2,), (1, 2)])


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(lead=leads, channels=st.integers(1, 2), r=st.integers(1, 3), height=st.integers(1, 2), width=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_gradcheck(backend_name, lead, channels, r, height, width, seed):
    check(backend_name, lambda x: F.pixel_shuffle(x, r), leaf((*lead, channels * r * r, height, width), seed))
    check(backend_name, lambda x: F.pixel_unshuffle(x, r), leaf((*lead, channels, height * r, width * r), seed))
    check(backend_name, lambda x: F.channel_shuffle(x, r), leaf((2, channels * r, height) + lead, seed))


def test_definitions():
    x = fastgrad.arange(2 * 4 * 2 * 3).reshape(2, 4, 2, 3)
    shuffled = F.pixel_shuffle(x, 2)
    for c, h, w, i, j in [(0, 1, 2, 0, 1), (0, 0, 1, 1, 0), (0, 1, 1, 1, 1)]:
        assert shuffled[1, c, h * 2 + i, w * 2 + j].item() == x[1, c * 4 + i * 2 + j, h, w].item()
    assert shuffled.shape == (2, 1, 4, 6) and shuffled.dtype == fastgrad.int64
    assert F.pixel_unshuffle(shuffled, 2).tolist() == x.tolist()
    assert F.channel_shuffle(fastgrad.arange(6).reshape(1, 6, 1), 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]
    assert F.native_channel_shuffle(x, 4).tolist() == F.channel_shuffle(x, 4).tolist()
    assert nn.PixelShuffle(2)(x).tolist() == shuffled.tolist()
    assert repr(nn.PixelShuffle(2)) == "PixelShuffle(upscale_factor=2)"
    assert nn.PixelUnshuffle(2)(shuffled).tolist() == x.tolist()
    assert repr(nn.ChannelShuffle(3)) == "ChannelShuffle(groups=3)" and nn.ChannelShuffle(2)(x).shape == x.shape


def test_bad_arguments():
    x = fastgrad.zeros(2, 8, 2, 3)
    cases = [
        (lambda: F.pixel_shuffle(x, 3), RuntimeError,
         r"pixel_shuffle: the channel dim \(size 8, dim -3\) must be divisible by upscale_factor\^2 = 9"),
        (lambda: F.pixel_shuffle(x, 0), RuntimeError, "pixel_shuffle: upscale_factor must be positive, got 0"),
        (lambda: F.pixel_shuffle(x, 2.0), TypeError, "pixel_shuffle: upscale_factor must be an int, got float"),
        (lambda: F.pixel_shuffle(x[0, 0], 2), RuntimeError,
         r"pixel_shuffle: expected an input of at least 3 dims \(\*, C, H, W\), got 2-D input of shape \(2, 3\)"),
        (lambda: F.pixel_unshuffle(x, 2), RuntimeError,
         r"pixel_unshuffle: the width \(dim -1\), 3, must be divisible by downscale_factor = 2"),
        (lambda: F.pixel_unshuffle(x, 3), RuntimeError, r"pixel_unshuffle: the height \(dim -2\), 2, must be divisible"),
        (lambda: F.pixel_unshuffle(x, -1), RuntimeError, "pixel_unshuffle: downscale_factor must be positive, got -1"),
        (lambda: F.channel_shuffle(x, 3), RuntimeError,
         "channel_shuffle: the number of channels, 8, must be divisible by groups = 3"),
        (lambda: F.channel_shuffle(x, 0), RuntimeError, "channel_shuffle: groups must be positive, got 0"),
        (lambda: F.channel_shuffle(x, True), TypeError, "channel_shuffle: groups must be an int, got bool"),
        (lambda: F.channel_shuffle(x[0, 0], 2), RuntimeError,
         r"channel_shuffle: expected an input of at least 3 dims \(N, C, \*\), got \(2, 3\)"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()

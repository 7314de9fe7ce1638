"""F.pixel_shuffle, F.pixel_unshuffle, F.channel_shuffle and their modules against PyTorch's: values, dtypes,
gradients, printouts and the arguments both refuse."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, shape, factor", [
    ("pixel_shuffle", (2, 8, 2, 3), 2), ("pixel_shuffle", (9, 2, 1), 3), ("pixel_shuffle", (1, 2, 4, 2, 3), 2),
    ("pixel_shuffle", (2, 4, 2, 3), 1),
    ("pixel_unshuffle", (2, 3, 4, 6), 2), ("pixel_unshuffle", (1, 6, 3), 3), ("pixel_unshuffle", (2, 1, 2, 4, 4), 2),
    ("channel_shuffle", (2, 6, 3), 3), ("channel_shuffle", (2, 6, 2, 3), 2), ("channel_shuffle", (4, 6, 1, 2, 2), 6),
    ("channel_shuffle", (8, 2, 3), 2)])
def test_functional(torch_parity, dtype, name, shape, factor):
    x = np.random.default_rng(0).standard_normal(shape)
    torch_parity(lambda x: getattr(F, name)(x, factor), lambda x: getattr(TF, name)(x, factor), x, dtype=dtype)


@pytest.mark.parametrize("name", ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle"])
def test_integers_and_bools_keep_their_dtype(name):
    x = np.arange(2 * 4 * 2 * 2).reshape(2, 4, 2, 2)
    for dtype in (np.int64, np.int32, bool):
        ours = getattr(F, name)(fastgrad.tensor(x.astype(dtype)), 2)
        theirs = getattr(TF, name)(torch.tensor(x.astype(dtype)), 2)
        assert ours.tolist() == theirs.tolist() and ours.dtype == np.dtype(str(theirs.dtype)[6:])
    empty = np.zeros((0, 4, 2, 2))  # (PyTorch 2.13's pixel_shuffle backward raises on an empty batch)
    ours, theirs = getattr(F, name)(fastgrad.tensor(empty), 2), getattr(TF, name)(torch.tensor(empty), 2)
    if name == "pixel_unshuffle":  # PyTorch 2.13 returns an empty input's shape unchanged: (0, 4, 2, 2)
        assert ours.shape == (0, 16, 1, 1)
    else:
        assert ours.shape == tuple(theirs.shape)


@pytest.mark.parametrize("name, factor", [("PixelShuffle", 2), ("PixelUnshuffle", 2), ("ChannelShuffle", 2)])
def test_modules(torch_parity, name, factor):
    ours, theirs = getattr(nn, name)(factor), getattr(torch.nn, name)(factor)
    assert repr(ours) == repr(theirs)
    torch_parity(ours, theirs, np.random.default_rng(1).standard_normal((2, 4, 2, 4)))


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.pixel_shuffle(x, 3), lambda lib, x: lib.nn.functional.pixel_shuffle(x, 0),
    lambda lib, x: lib.nn.functional.pixel_shuffle(x, -1), lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2.0),
    lambda lib, x: lib.nn.functional.pixel_shuffle(x[0, 0], 2), lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2),
    lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 3), lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 0),
    lambda lib, x: lib.nn.functional.pixel_unshuffle(x[0, 0], 1),
    lambda lib, x: lib.nn.functional.channel_shuffle(x, 3),
    lambda lib, x: lib.nn.functional.channel_shuffle(x, 0), lambda lib, x: lib.nn.functional.channel_shuffle(x, -2),
    lambda lib, x: lib.nn.functional.channel_shuffle(x[0, 0], 2),
    lambda lib, x: lib.nn.functional.channel_shuffle(x, 2.0),
])
def test_both_refuse(call):
    """With exceptions of one built-in type."""
    theirs = outcome(lambda: call(torch, torch.zeros(2, 8, 2, 3)))
    assert isinstance(theirs, Raised), theirs
    assert_raised_alike(outcome(lambda: call(fastgrad, fastgrad.zeros(2, 8, 2, 3))), theirs)


@pytest.mark.parametrize("name", ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"])
def test_top_level_names(name):
    assert getattr(fastgrad, name) is getattr(F, name) and callable(getattr(torch, name))

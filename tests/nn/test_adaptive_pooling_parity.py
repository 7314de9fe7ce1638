"""The adaptive pools against PyTorch's: values, gradients and indices of the functional forms (windows that do
not divide the input evenly, None entries, ties, empty batches), the modules' printouts, and the arguments both
refuse."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def with_ties(shape):
    x = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape) * 0.5
    x.reshape(-1)[::4] = x.size and x.max()
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, output_size", [((2, 3, 5, 7), (3, 4)), ((3, 5, 7), (None, 2)), ((1, 1, 4, 4), 2),
                                                ((2, 2, 6, 6), (4, 5)), ((1, 2, 2, 3), (4, 5)), ((0, 2, 3, 3), 2),
                                                ((2, 1, 7, 3), [1, None]), ((1, 1, 3, 3), (0, 2))])
def test_2d_pools(torch_parity, dtype, shape, output_size):
    x = with_ties(shape)
    if 0 not in shape and (not isinstance(output_size, tuple) or 0 not in output_size):
        torch_parity(lambda x: F.adaptive_avg_pool2d(x, output_size),
                     lambda x: TF.adaptive_avg_pool2d(x, output_size), x, dtype=dtype)
        torch_parity(lambda x: F.adaptive_max_pool2d(x, output_size, True),
                     lambda x: TF.adaptive_max_pool2d(x, output_size, True), x, dtype=dtype)
        torch_parity(lambda x: F.adaptive_max_pool2d_with_indices(x, output_size),
                     lambda x: TF.adaptive_max_pool2d_with_indices(x, output_size), x, dtype=dtype)
    else:  # empty: PyTorch's backward raises, fastgrad's gradient is zeros; the forwards agree
        ours = F.adaptive_max_pool2d(fastgrad.tensor(x), output_size, return_indices=True)
        theirs = TF.adaptive_max_pool2d(torch.tensor(x), output_size, return_indices=True)
        ours += (F.adaptive_avg_pool2d(fastgrad.tensor(x), output_size),)
        theirs += (TF.adaptive_avg_pool2d(torch.tensor(x), output_size),)
        assert all(a.shape == tuple(b.shape) and a.dtype == np.dtype(str(b.dtype)[6:]) for a, b in zip(ours, theirs))


@pytest.mark.parametrize("shape, output_size", [((2, 3, 7), 3), ((3, 5), 9), ((0, 2, 4), 2), ((2, 3, 7), 0)])
def test_1d_pools(torch_parity, shape, output_size):
    x = with_ties(shape)
    if 0 not in shape and output_size:
        torch_parity(lambda x: F.adaptive_avg_pool1d(x, output_size), lambda x: TF.adaptive_avg_pool1d(x, output_size),
                     x)
    ours = F.adaptive_max_pool1d_with_indices(fastgrad.tensor(x), output_size, return_indices=False)
    theirs = TF.adaptive_max_pool1d_with_indices(torch.tensor(x), output_size, return_indices=False)
    assert ours[1].tolist() == theirs[1].tolist() and ours[0].shape == tuple(theirs[0].shape)


def test_nans_pick_the_index_torch_picks():
    nan = float("nan")
    for x in ([[[1.0, nan], [nan, 2.0]]], [[[nan, 1.0, nan], [3.0, nan, 2.0], [5.0, 6.0, 7.0]]]):
        for size in (1, 2, (1, 2)):
            ours = F.adaptive_max_pool2d(fastgrad.tensor(x), size, True)[1]
            assert ours.tolist() == TF.adaptive_max_pool2d(torch.tensor(x), size, True)[1].tolist()
    ours = F.adaptive_max_pool1d(fastgrad.tensor([[[1.0, nan, 3.0, nan, 2.0]]]), 2, True)[1]
    assert ours.tolist() == TF.adaptive_max_pool1d(torch.tensor([[[1.0, nan, 3.0, nan, 2.0]]]), 2, True)[1].tolist()


@pytest.mark.filterwarnings("ignore:(invalid value|divide by zero) encountered in divide")  # (means of empty dims)
@pytest.mark.parametrize("shape, output_size", [((2, 3, 5, 7), 1), ((3, 5, 7), (1, 1)), ((3, 4), 1),
                                                ((2, 1, 3, 4, 5), [1, 1]), ((1, 2, 1, 2, 3, 4), 1),
                                                ((2, 3, 1, 7), (None, 1)), ((2, 3, 5, 1), [1, None]),
                                                ((2, 3, 0, 4), 1), ((3, 4, 0), (1, 1)), ((0, 5), 1), ((0, 2, 3, 4), 1)])
def test_an_output_of_1_is_the_mean_of_the_last_two_dims(torch_parity, shape, output_size):
    """PyTorch's shortcut: for any input rank (2 dims or more, the output size an int or resolving to (1, 1)), with
    NaN for empty dims."""
    torch_parity(lambda x: F.adaptive_avg_pool2d(x, output_size), lambda x: TF.adaptive_avg_pool2d(x, output_size),
                 with_ties(shape))
    torch_parity(nn.AdaptiveAvgPool2d(output_size), torch.nn.AdaptiveAvgPool2d(output_size), with_ties(shape))


@pytest.mark.filterwarnings("ignore:(invalid value|divide by zero) encountered in divide")  # (means of empty dims)
@pytest.mark.parametrize("shape", [(2, 3, 7), (3, 5), (2, 3, 0), (3, 0), (0, 3, 4)])
def test_an_output_of_1_is_the_mean_of_the_last_dim(torch_parity, shape):
    torch_parity(lambda x: F.adaptive_avg_pool1d(x, 1), lambda x: TF.adaptive_avg_pool1d(x, 1), with_ties(shape))


@pytest.mark.parametrize("name, args", [("AdaptiveAvgPool2d", ((None, 2),)), ("AdaptiveMaxPool2d", (3, True)),
                                        ("AdaptiveMaxPool2d", ([3, None],)), ("AdaptiveAvgPool2d", (4,)),
                                        ("AdaptiveMaxPool1d", (2, True)), ("AdaptiveAvgPool1d", (3,))])
def test_modules(torch_parity, name, args):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    shape = (2, 3, 5) if name.endswith("1d") else (2, 3, 5, 6)
    torch_parity(ours, theirs, with_ties(shape))


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, -1),
    lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (1, 2, 3)),
    lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (2,)),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 2.0),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, None),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, True),
    lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x[0], (None,)),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[0, 0], 2),
    lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x[None], 2),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[:, :, :0], 2),
    lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x[:, :0], 2),
    lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x[0][:, :0], 2),
    lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x.long(), 2),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x.long(), 2),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x.long(), 1),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[0, 0, 0].bool(), 1),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x[0].int(), 1),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[0, 0, 0], 1),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[0, 0, 0, 0], 1),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[0, 0, 0], 2),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[0, 0], (1, 1)),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[0, 0], (1, None)),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, (1, 1, 1)),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[0], (1, 1, 1)),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[None], (None, 1)),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[None], 2),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[:, :, :0], (None, 1)),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x[0, :, :, :0], 2),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x[0, 0, 0], 1),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x, 1),
])
def test_both_refuse(call):
    """With exceptions of one built-in type."""
    theirs = outcome(lambda: call(torch, torch.zeros(2, 3, 5, 7)))
    assert isinstance(theirs, Raised), theirs
    assert_raised_alike(outcome(lambda: call(fastgrad, fastgrad.zeros(2, 3, 5, 7))), theirs)


def test_both_accept_what_they_accept():
    for call in [lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x[0, :0], 2),  # unbatched: C is the batch
                 lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x[:, :0], 2),
                 lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x[0, :0], 2),
                 lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (np.int64(2), None))]:
        assert call(fastgrad, fastgrad.zeros(2, 3, 5, 7)).shape == tuple(call(torch, torch.zeros(2, 3, 5, 7)).shape)

"""F.lp_pool1d/2d, F.local_response_norm and nn.LPPool1d/2d, nn.LocalResponseNorm against PyTorch's: values,
gradients (windows of zeros included), printouts and the arguments both refuse."""
import math

import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def signal(shape, seed=0):
    """Normal values with a run of zeros (a window whose sum is zero) at the start of each row."""
    x = np.random.default_rng(seed).standard_normal(shape)
    x[..., :2] = 0.0
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [1, 2, 3, 2.0, 4, -1, math.inf, -math.inf])
@pytest.mark.parametrize("args", [(2,), (3, 1), (3, 2, True), (2, None, True), (4, 3, True)])
def test_lp_pool1d(torch_parity, dtype, p, args):
    x = signal((2, 3, 9))
    if math.isfinite(p) and (p != int(p) or p < 0 or p % 2):  # odd or fractional powers of negative sums: NaN in both
        x = np.abs(x)
    torch_parity(lambda x: F.lp_pool1d(x, p, *args), lambda x: TF.lp_pool1d(x, p, *args), x, dtype=dtype)


@pytest.mark.parametrize("p", [1.5, 2, -2.0, math.inf])
@pytest.mark.parametrize("args", [(2,), ((2, 3), 1), ((3, 2), (2, 1), True), (3, None, True)])
def test_lp_pool2d(torch_parity, p, args):
    x = np.abs(signal((2, 2, 7, 6)))
    torch_parity(lambda x: F.lp_pool2d(x, p, *args), lambda x: TF.lp_pool2d(x, p, *args), x)
    torch_parity(lambda x: F.lp_pool2d(x, p, *args), lambda x: TF.lp_pool2d(x, p, *args), x[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 6, 2, 3), (1, 4, 2, 1, 3), (3, 1, 2)])
@pytest.mark.parametrize("size, alpha, beta, k", [(1, 1e-4, 0.75, 1.0), (2, 0.5, 0.75, 1.0), (3, 0.1, 1.5, 2.0),
                                                  (5, 2.0, 0.5, 0.5), (9, 1.0, 0.75, 1.0)])
def test_local_response_norm(torch_parity, dtype, shape, size, alpha, beta, k):
    torch_parity(lambda x: F.local_response_norm(x, size, alpha, beta, k),
                 lambda x: TF.local_response_norm(x, size, alpha, beta, k), signal(shape), dtype=dtype)


@pytest.mark.parametrize("name, args, shape", [("LPPool1d", (2, 3), (2, 3, 8)), ("LPPool1d", (1.5, 2, 1, True), (3, 7)),
                                               ("LPPool2d", (2, (2, 3), 1, True), (2, 1, 5, 6)),
                                               ("LPPool2d", (math.inf, 2), (1, 4, 4)),
                                               ("LocalResponseNorm", (3,), (2, 4, 5)),
                                               ("LocalResponseNorm", (2, 0.1, 0.5, 2.0), (2, 4, 2, 3))])
def test_modules(torch_parity, name, args, shape):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    torch_parity(ours, theirs, np.abs(signal(shape)))


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.lp_pool1d(x, 2, (2,)), lambda lib, x: lib.nn.functional.lp_pool1d(x, 0, 2),
    lambda lib, x: lib.nn.functional.lp_pool1d(x, 2, 7),
    lambda lib, x: lib.nn.functional.lp_pool1d(x, 2, 2, padding=1),
    lambda lib, x: lib.nn.functional.local_response_norm(x[0], 2),
    lambda lib, x: lib.nn.functional.local_response_norm(x, 0),
    lambda lib, x: lib.nn.functional.local_response_norm(x, -1),
    lambda lib, x: lib.nn.functional.local_response_norm(x, 2.0),
])
def test_both_refuse(call):
    """With exceptions of one built-in type."""
    theirs = outcome(lambda: call(torch, torch.ones(2, 3, 6)))
    assert isinstance(theirs, Raised), theirs
    assert_raised_alike(outcome(lambda: call(fastgrad, fastgrad.ones(2, 3, 6))), theirs)



@pytest.mark.parametrize("call", [lambda lib, x: lib.nn.functional.lp_pool2d(x[0], 2, 2),
                                  lambda lib, x: lib.nn.functional.lp_pool2d(x, 2, (2, 2, 2)),
                                  lambda lib, x: lib.nn.functional.lp_pool2d(x, 2, (2,))])
def test_both_refuse_a_bad_rank_or_kernel_size_of_lp_pool2d(call):
    """PyTorch's Python code refuses these with an IndexError reading size(-3) and a ValueError unpacking the
    kernel size: fastgrad raises the same types."""
    theirs = outcome(lambda: call(torch, torch.ones(2, 3, 6)))
    assert isinstance(theirs, Raised), theirs
    assert_raised_alike(outcome(lambda: call(fastgrad, fastgrad.ones(2, 3, 6))), theirs)

def test_empty_input_is_returned_as_torch_returns_it():
    ours, theirs = fastgrad.zeros(0, 3, 2), torch.zeros(0, 3, 2)
    assert F.local_response_norm(ours, 2) is ours and TF.local_response_norm(theirs, 2) is theirs

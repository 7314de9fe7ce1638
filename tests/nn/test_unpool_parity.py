"""F.max_pool1d/2d_with_indices, F.max_unpool1d/2d and nn.MaxUnpool1d/2d against PyTorch's: values, indices,
gradients, output sizes, printouts and the arguments both refuse."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad import nn
from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def distinct(shape, seed=0):
    return np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) * 0.25


@pytest.mark.parametrize("dims, shape, args, output_size", [
    (1, (2, 3, 7), (2,), None), (1, (2, 3, 7), (3, 2, 1), (7,)), (1, (3, 8), (2, 1), None),
    (1, (1, 2, 9), (4, 3, 2), [1, 2, 9]), (2, (2, 3, 7, 6), (2,), None), (2, (2, 3, 7, 6), (3, 2, 1), (7, 6)),
    (2, (3, 6, 5), ((2, 3), (1, 2), (1, 1)), None), (2, (1, 1, 8, 8), (4, 3, 2), (8, 8))])
def test_pool_then_unpool(torch_parity, dims, shape, args, output_size):
    x = distinct(shape)
    pool_with_indices = f"max_pool{dims}d_with_indices"
    torch_parity(lambda x: getattr(F, pool_with_indices)(x, *args), lambda x: getattr(TF, pool_with_indices)(x, *args),
                 x)
    pooled, indices = getattr(F, pool_with_indices)(fastgrad.tensor(x), *args)
    their_indices = getattr(TF, pool_with_indices)(torch.tensor(x), *args)[1]
    unpool = f"max_unpool{dims}d"
    for dtype in (np.float32, np.float64):
        torch_parity(lambda v: getattr(F, unpool)(v, indices, *args, output_size=output_size),
                     lambda v: getattr(TF, unpool)(v, their_indices, *args, output_size=output_size),
                     pooled.numpy(), dtype=dtype)


@pytest.mark.parametrize("name, args", [("MaxUnpool1d", (2,)), ("MaxUnpool1d", (3, 2, 1)), ("MaxUnpool2d", (2,)),
                                        ("MaxUnpool2d", ((2, 3), 1, (1, 0))), ("MaxUnpool2d", ([2, 2], [2, 1]))])
def test_modules(torch_parity, name, args):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    pool = "max_pool1d" if name.endswith("1d") else "max_pool2d"
    x = distinct((2, 2, 7) if name.endswith("1d") else (2, 2, 7, 6))
    kernel, stride, padding = theirs.kernel_size, theirs.stride, theirs.padding
    pooled, indices = getattr(TF, pool)(torch.tensor(x), kernel, stride, padding, return_indices=True)
    torch_parity(lambda v: ours(v, fastgrad.tensor(indices.numpy())), lambda v: theirs(v, indices), pooled.numpy())
    torch_parity(lambda v: ours(v, fastgrad.tensor(indices.numpy()), output_size=x.shape),
                 lambda v: theirs(v, indices, output_size=x.shape), pooled.numpy())


@pytest.mark.parametrize("call", [
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v, i + 5, 2),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v, i - 5, 2),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v, i.float(), 2),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v, i.int(), 2),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v, i[..., :2], 2),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v, i, 2, output_size=(9,)),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v, i, 2, output_size=(3,)),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v, i, 2, output_size=(1, 9)),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v, i, 2, output_size=7),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v.long(), i, 2),
    lambda lib, v, i: lib.nn.functional.max_unpool2d(v[0], i[0], 2),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v[..., None], i[..., None], 2),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v, i, 2, padding=1),
    lambda lib, v, i: lib.nn.functional.max_unpool1d(v, i, 2, padding=4),
])
def test_both_refuse(call):
    """With exceptions of one built-in type."""
    x = distinct((1, 2, 6))
    theirs = outcome(lambda: call(torch, *TF.max_pool1d_with_indices(torch.tensor(x), 2)))
    assert isinstance(theirs, Raised), theirs
    assert_raised_alike(outcome(lambda: call(fastgrad, *F.max_pool1d_with_indices(fastgrad.tensor(x), 2))), theirs)


@pytest.mark.parametrize("dims, shape", [(1, (0, 2, 3)), (1, (0, 3)), (2, (0, 2, 3, 2)), (2, (0, 3, 2))])
def test_an_empty_first_dim_is_taken(dims, shape):
    """PyTorch's kernel refuses empty dims after the first (see the refusal table), but takes an empty first dim,
    a batch's or an unbatched input's channels."""
    unpool = f"max_unpool{dims}d"
    ours = getattr(F, unpool)(fastgrad.zeros(shape), fastgrad.zeros(shape, dtype=fastgrad.int64), 2)
    theirs = getattr(TF, unpool)(torch.zeros(shape), torch.zeros(shape, dtype=torch.int64), 2)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float32

"""empty_strided, Tensor.new_empty_strided and empty_permuted against PyTorch 2.13: shapes, strides, dtypes,
requires_grad, memory size, and the exception type of each bad call. (Their elements are zeros here; PyTorch's
are uninitialized, so only written values are compared.)"""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

STRIDED = [((2, 3), (1, 2)), ((2, 3), (3, 1)), ([4, 1, 2], [1, 9, 5]), ((2, 3), (0, 1)), ((0, 3), (3, 1)), ((), ())]


@pytest.mark.parametrize("size, stride", STRIDED)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_empty_strided_matches_torch(size, stride, dtype):
    ours = fastgrad.empty_strided(size, stride, dtype=np.dtype(dtype))
    theirs = torch.empty_strided(size, stride, dtype=getattr(torch, dtype))
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == dtype
    assert ours.stride() == theirs.stride() or theirs.numel() == 0  # (NumPy's own strides for empty arrays)
    elements = theirs.untyped_storage().nbytes() // theirs.element_size()  # the memory: as large as PyTorch's
    ours.as_strided((elements,), (1,), 0)
    with pytest.raises(RuntimeError, match="outside the memory"):
        ours.as_strided((elements + 1,), (1,), 0)
    assert ours.is_leaf and not ours.requires_grad and ours.storage_offset() == 0
    if 0 not in stride:  # (writes through a view that shows an element twice are refused: see Tensor.unfold)
        ours.copy_(fastgrad.arange(ours.numel()).reshape(ours.shape))
        theirs.copy_(torch.arange(theirs.numel()).reshape(theirs.shape))
        assert ours.tolist() == theirs.tolist()


def test_empty_strided_defaults_and_requires_grad_match_torch():
    for lib in (fastgrad, torch):
        x = lib.empty_strided((2, 2), (1, 2), requires_grad=True)
        assert x.dtype == lib.float32 and x.requires_grad and x.is_leaf
        assert lib.ones(3, dtype=lib.float64).new_empty_strided((2, 3), (1, 2)).dtype == lib.float64
        y = lib.ones(3).new_empty_strided([3], [2], dtype=lib.int64)
        assert y.dtype == lib.int64 and y.stride() == (2,)


@pytest.mark.parametrize("size, layout", [((2, 3, 4), (0, 2, 1)), ((2, 3, 4), (2, 0, 1)), ((5,), (0,)), ((), ()),
                                          ((2, 1, 3, 4), (0, 2, 3, 1))])
def test_empty_permuted_matches_torch(size, layout):
    ours = fastgrad.empty_permuted(size, layout, dtype=fastgrad.float64, requires_grad=True)
    theirs = torch.empty_permuted(size, layout, dtype=torch.float64, requires_grad=True)
    assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride() and ours.dtype == fastgrad.float64
    assert ours.requires_grad and ours.is_leaf and ours._base is None


BAD_CALLS = {
    "empty_strided negative stride": lambda lib: lib.empty_strided((2, 3), (-1, 1)),
    "empty_strided negative size": lambda lib: lib.empty_strided((-2, 3), (1, 1)),
    "empty_strided lengths differ": lambda lib: lib.empty_strided((2, 3), (1,)),
    "empty_strided float size": lambda lib: lib.empty_strided((2.0,), (1,)),
    "empty_strided int dtype requires grad": lambda lib: lib.empty_strided((2,), (1,), dtype=lib.int64,
                                                                           requires_grad=True),
    "new_empty_strided lengths differ": lambda lib: lib.ones(2).new_empty_strided((2, 3), (1,)),
    "empty_permuted duplicate dim": lambda lib: lib.empty_permuted((2, 3, 4), (0, 2, 2)),
    "empty_permuted lengths differ": lambda lib: lib.empty_permuted((2, 3, 4), (0, 1)),
    "empty_permuted negative dim": lambda lib: lib.empty_permuted((2, 3, 4), (0, -1, 1)),
    "empty_permuted dim out of range": lambda lib: lib.empty_permuted((2, 3), (0, 2)),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_calls_raise_torchs_exception_type(name):
    with pytest.raises(Exception) as theirs:
        BAD_CALLS[name](torch)
    with pytest.raises(theirs.type):
        BAD_CALLS[name](fastgrad)


FILLS = {"fill_": lambda lib, t: t.fill_(4), "zero_": lambda lib, t: t.fill_(1).zero_(),
         "masked_fill_": lambda lib, t: t.masked_fill_(lib.ones(t.shape, dtype=lib.bool), 3),
         "fill_ of a row": lambda lib, t: t.fill_(1)[-1].fill_(2)}


@pytest.mark.filterwarnings("ignore:Use of masked_fill_ on expanded tensors")
@pytest.mark.parametrize("size, stride", [((2, 3), (0, 1)), ((2, 3), (1, 1)), ((3,), (0,))])
@pytest.mark.parametrize("fill", FILLS)
def test_a_fill_of_one_value_writes_memory_that_positions_share_as_torch(size, stride, fill):
    """PyTorch writes one value through positions that share an element, as into an expand; fastgrad refused it."""
    results = []
    for lib in (torch, fastgrad):
        t = lib.empty_strided(size, stride)
        FILLS[fill](lib, t)
        results.append(t.tolist())
    assert results[0] == results[1]


@pytest.mark.parametrize("write", [lambda t: t.add_(1), lambda t: t.copy_(t.new_ones(t.shape)),
                                   lambda t: t.mul_(t.new_ones(t.shape))])
def test_writes_of_several_values_stay_refused_as_torch(write):
    for lib in (torch, fastgrad):
        with pytest.raises(RuntimeError):
            write(lib.empty_strided((2, 3), (0, 1)))

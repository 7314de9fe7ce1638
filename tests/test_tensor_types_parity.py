"""The legacy typed constructors, torch.Size, as_tensor and the seeding helpers against PyTorch."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor"])
@pytest.mark.parametrize("args", [([1.7, -2.0, 0.0],), ([[1, 0], [2, 3]],), (2, 3), ()])
def test_typed_constructors_match_torch(name, args):
    ours, theirs = getattr(fastgrad, name)(*args), getattr(torch, name)(*args)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    if args and isinstance(args[0], list):
        assert ours.tolist() == theirs.tolist()
    assert isinstance(ours, getattr(fastgrad, name)) == isinstance(theirs, getattr(torch, name))


@pytest.mark.parametrize("data, dtype", [([1, 2], None), ([1.0, 2.5], None), (np.ones(3), None),
                                         (np.ones(3, dtype=np.float32), "float64"), (np.arange(3), "float32")])
def test_as_tensor_matches_torch_and_shares_memory_where_torch_does(data, dtype):
    ours = fastgrad.as_tensor(data, dtype=getattr(fastgrad, dtype) if dtype else None)
    theirs = torch.as_tensor(data, dtype=getattr(torch, dtype) if dtype else None)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    if isinstance(data, np.ndarray):
        data[0] = 7
        assert ours.tolist()[0] == theirs.tolist()[0]  # shared with the array exactly when PyTorch shares


def test_seeding_helpers_match_torch():
    assert isinstance(fastgrad.manual_seed(11), fastgrad.Generator) and isinstance(torch.manual_seed(11),
                                                                                      torch.Generator)
    assert fastgrad.initial_seed() == torch.initial_seed() == 11
    assert str(fastgrad.get_default_dtype()) == str(torch.get_default_dtype()).replace("torch.", "")
    for flag in ("enabled", "deterministic", "benchmark"):
        assert getattr(fastgrad.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag)
    assert fastgrad.backends.cudnn.is_available() == torch.backends.cudnn.is_available()
    assert fastgrad.Size([2, 3]) == torch.Size([2, 3]) and fastgrad.Size([2, 3]).numel() == torch.Size([2, 3]).numel()


def test_sizes_and_overflow_as_torch():
    ours, theirs = fastgrad.zeros(2, 3), torch.zeros(2, 3)
    assert ours.new(ours.size()).shape == tuple(theirs.new(theirs.size()).shape)
    assert fastgrad.FloatTensor(ours.size()).shape == tuple(torch.FloatTensor(theirs.size()).shape)
    assert ours.new((2, 3)).tolist() == theirs.new((2, 3)).tolist()
    for lib in (fastgrad, torch):
        with pytest.raises(RuntimeError, match="without overflow"):
            lib.IntTensor([2**40])

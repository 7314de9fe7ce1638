"""StackDataset against torch.utils.data's: examples one at a time and in batches (tuple and dict forms,
through nested __getitems__), the DataLoader's batches of them, and the refusals; TensorDataset's refusals."""
import numpy as np
import pytest

import fastgrad
import fastgrad.utils.data as ours

from tests.parity_outcomes import outcome, same_exception_type

torch = pytest.importorskip("torch")
import torch.utils.data as theirs  # noqa: E402


class Batched:
    """A data set with __getitems__ that returns `short_by` examples too few (0: the right number)."""

    def __init__(self, short_by=0):
        self.short_by = short_by

    def __len__(self):
        return 5

    def __getitem__(self, index):
        return 100 + index

    def __getitems__(self, indices):
        return [-index for index in indices][self.short_by:]


def stacks(module, keyword):
    parts = [range(10, 15), ["a", "b", "c", "d", "e"], Batched()]
    return module.StackDataset(**dict(zip("xyz", parts))) if keyword else module.StackDataset(*parts)


@pytest.mark.parametrize("keyword", [False, True])
def test_examples_and_batches_match_pytorch(keyword):
    mine, torchs = stacks(ours, keyword), stacks(theirs, keyword)
    assert len(mine) == len(torchs) == 5
    for index in (0, 3, -1):
        assert mine[index] == torchs[index]
    assert mine.__getitems__([4, 0, 2]) == torchs.__getitems__([4, 0, 2])
    assert type(mine.datasets) is type(torchs.datasets)


@pytest.mark.parametrize("keyword", [False, True])
def test_loader_batches_match_pytorch(keyword):
    x = np.arange(10.0).reshape(5, 2)
    make = {"x": lambda module, library: module.TensorDataset(library.tensor(x)), "y": lambda module, _: range(5)}
    batches = []
    for module, library in ((ours, fastgrad), (theirs, torch)):
        parts = {name: part(module, library) for name, part in make.items()}
        stack = module.StackDataset(**parts) if keyword else module.StackDataset(*parts.values())
        batches.append(list(module.DataLoader(stack, batch_size=2)))
    for mine, torchs in zip(*batches):
        if keyword:
            assert list(mine) == list(torchs) == ["x", "y"]
            mine, torchs = list(mine.values()), list(torchs.values())
        assert type(mine) is type(torchs)
        assert mine[0][0].tolist() == torchs[0][0].tolist() and mine[1].tolist() == torchs[1].tolist()
        assert str(mine[1].dtype).split(".")[-1] == str(torchs[1].dtype).split(".")[-1]


@pytest.mark.parametrize("args, kwargs, message", [
    ((), {}, "At least one dataset"),
    ((range(3),), {"x": range(3)}, "both were given"),
    ((range(3), range(4)), {}, r"Size mismatch between datasets: their lengths are \[3, 4\]"),
    ((), {"a": range(2), "b": range(3)}, "Size mismatch"),
])
def test_refusals_match_pytorch(args, kwargs, message):
    with pytest.raises(ValueError):
        theirs.StackDataset(*args, **kwargs)
    with pytest.raises(ValueError, match=message):
        ours.StackDataset(*args, **kwargs)


@pytest.mark.parametrize("keyword", [False, True])
def test_short_nested_batch_is_refused_as_pytorch(keyword):
    for module in (ours, theirs):
        stack = module.StackDataset(x=range(5), y=Batched(1)) if keyword else module.StackDataset(range(5), Batched(1))
        with pytest.raises(ValueError, match="output size mismatch"):
            stack.__getitems__([1, 2])
    with pytest.raises(TypeError):
        theirs.StackDataset(5)
    with pytest.raises(TypeError, match="dataset 0 must have a length .* got int"):
        ours.StackDataset(5)


def test_tensor_dataset_of_no_tensors_has_no_length_as_pytorchs():
    # PyTorch's reads the first tensor's size, an IndexError; fastgrad's said 0
    mine, their = outcome(lambda: len(ours.TensorDataset())), outcome(lambda: len(theirs.TensorDataset()))
    assert same_exception_type(mine, their) and isinstance(their.error, IndexError), (mine, their)
    assert "TensorDataset: no tensors" in str(mine.error)
    assert ours.TensorDataset()[0] == theirs.TensorDataset()[0] == ()

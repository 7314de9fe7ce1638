"""fastgrad.utils.data against torch.utils.data: the same batches (structure, types, dtypes and values)
wherever no random draw is involved, and the same lengths, split sizes and refusals."""
import collections

import numpy as np
import pytest

import fastgrad
import fastgrad.utils.data as ours

torch = pytest.importorskip("torch")
import torch.utils.data as theirs  # noqa: E402

Point = collections.namedtuple("Point", "x y")


def plain(value):
    """A batch in engine-neutral form: tensors as (dtype name, values), containers kept."""
    if isinstance(value, (fastgrad.Tensor, torch.Tensor)):
        return ("tensor", str(value.dtype).split(".")[-1], value.detach().numpy().tolist())
    if isinstance(value, dict):
        return (type(value).__name__, {key: plain(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [plain(item) for item in value])
    return value


EXAMPLES = {
    "tuples of numbers and strings": [(1, 2.5, "a", True), (3, 4.5, "b", False)],
    "numpy arrays": [np.arange(3, dtype=np.float32), np.arange(3, 6, dtype=np.float32)],
    "numpy scalars": [np.int32(1), np.int32(7)],
    "dicts": [{"ids": [1, 2], "label": 0.5}, {"ids": [3, 4], "label": 1.5}],
    "named tuples": [Point(1, np.array([1.0])), Point(2, np.array([2.0]))],
    "lists": [[1, 2], [3, 4]],
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_default_collate_matches(name):
    assert plain(ours.default_collate(EXAMPLES[name])) == plain(theirs.default_collate(EXAMPLES[name]))


@pytest.mark.parametrize("name", EXAMPLES)
def test_default_convert_matches(name):
    for example in EXAMPLES[name]:
        assert plain(ours.default_convert(example)) == plain(theirs.default_convert(example))


def test_tensor_batches_match():
    x = np.arange(22, dtype=np.float32).reshape(11, 2)
    y = np.arange(11)
    for options in ({"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": None}):
        mine = list(ours.DataLoader(ours.TensorDataset(fastgrad.tensor(x), fastgrad.tensor(y)), **options))
        torchs = list(theirs.DataLoader(theirs.TensorDataset(torch.tensor(x), torch.tensor(y)), **options))
        assert plain(mine) == plain(torchs)
        assert len(ours.DataLoader(ours.TensorDataset(fastgrad.tensor(x)), **options)) == \
            len(theirs.DataLoader(theirs.TensorDataset(torch.tensor(x)), **options))


def test_batch_sampler_lengths_and_split_sizes_match():
    for size, batch, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (1, 5, False)]:
        assert list(ours.BatchSampler(range(size), batch, drop)) == list(theirs.BatchSampler(range(size), batch, drop))
        assert len(ours.BatchSampler(range(size), batch, drop)) == len(theirs.BatchSampler(range(size), batch, drop))
    for lengths in ([0.3, 0.3, 0.4], [0.25, 0.25, 0.5], [0.5, 0.5], [3, 7], [0.1] * 10):
        assert [len(s) for s in ours.random_split(range(10), lengths)] == \
            [len(s) for s in theirs.random_split(range(10), lengths)]


@pytest.mark.parametrize("make", [
    lambda m, t: m.DataLoader(range(4), shuffle=True, sampler=[0]),
    lambda m, t: m.DataLoader(range(4), batch_size=2, batch_sampler=[[0]]),
    lambda m, t: m.DataLoader(range(4), batch_size=None, drop_last=True),
    lambda m, t: m.DataLoader(range(4), num_workers=-1),
    lambda m, t: m.DataLoader(range(4), prefetch_factor=2),
    lambda m, t: m.DataLoader(range(4), persistent_workers=True),
    lambda m, t: m.BatchSampler(range(3), 0, False),
    lambda m, t: m.RandomSampler(range(3), num_samples=-1),
    lambda m, t: m.RandomSampler(range(3), replacement="yes"),
    lambda m, t: m.random_split(range(10), [3, 6]),
    lambda m, t: m.default_collate([[1, 2], [3]]),
    lambda m, t: m.default_collate([object()]),
    lambda m, t: m.TensorDataset(t.ones(2), t.ones(3)),
])
def test_both_refuse_the_same_arguments(make):
    with pytest.raises(Exception) as theirs_error:
        make(theirs, torch)
    with pytest.raises(Exception) as ours_error:
        make(ours, fastgrad)
    # the same exception type, except where PyTorch asserts (fastgrad raises ValueError naming the sizes)
    expected = ValueError if theirs_error.type is AssertionError else theirs_error.type
    assert ours_error.type is expected

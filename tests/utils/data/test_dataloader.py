"""fastgrad.utils.data without PyTorch: batching, sampling, collation and the argument checks."""
import collections

import numpy as np
import pytest

import fastgrad
from fastgrad.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
                                 RandomSampler, SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                                 WeightedRandomSampler, default_collate, default_convert, get_worker_info,
                                 random_split)


class Stream(IterableDataset):
    def __init__(self, count, with_length=True):
        self.count, self.with_length = count, with_length

    def __iter__(self):
        return iter(range(self.count))

    def __len__(self):
        if not self.with_length:
            raise TypeError("no length")
        return self.count


def test_batches_cover_the_data_set_once_in_order_and_the_last_is_shorter():
    x, y = fastgrad.arange(14.0).reshape(7, 2), fastgrad.arange(7)
    batches = list(DataLoader(TensorDataset(x, y), batch_size=3))
    assert [b[0].shape for b in batches] == [(3, 2), (3, 2), (1, 2)]
    assert np.concatenate([b[1].numpy() for b in batches]).tolist() == list(range(7))
    assert len(DataLoader(TensorDataset(x, y), batch_size=3)) == 3
    assert len(DataLoader(TensorDataset(x, y), batch_size=3, drop_last=True)) == 2
    assert len(list(DataLoader(TensorDataset(x, y), batch_size=3, drop_last=True))) == 2


def test_shuffle_is_a_permutation_per_epoch_reproducible_from_the_seed():
    data = TensorDataset(fastgrad.arange(20))
    fastgrad.manual_seed(3)
    loader = DataLoader(data, batch_size=4, shuffle=True)
    first = np.concatenate([b[0].numpy() for b in loader])
    second = np.concatenate([b[0].numpy() for b in loader])
    assert sorted(first.tolist()) == list(range(20)) and sorted(second.tolist()) == list(range(20))
    assert first.tolist() != second.tolist()  # a new order each epoch
    fastgrad.manual_seed(3)
    again = np.concatenate([b[0].numpy() for b in DataLoader(data, batch_size=4, shuffle=True)])
    assert again.tolist() == first.tolist()
    generator = fastgrad.Generator().manual_seed(5)
    with_generator = [b[0].tolist() for b in DataLoader(data, batch_size=20, shuffle=True, generator=generator)]
    generator.manual_seed(5)
    assert [b[0].tolist() for b in DataLoader(data, batch_size=20, shuffle=True, generator=generator)] == with_generator


def test_default_collate_follows_pytorchs_rules():
    batch = default_collate([(1, 2.5, "a", np.array([1.0, 2.0], np.float32)), (3, 4.5, "b", np.array([3.0, 4.0], np.float32))])
    assert isinstance(batch, list) and len(batch) == 4
    assert batch[0].dtype == fastgrad.int64 and batch[0].tolist() == [1, 3]
    assert batch[1].dtype == fastgrad.float64 and batch[2] == ("a", "b")
    assert batch[3].dtype == fastgrad.float32 and batch[3].shape == (2, 2)
    assert default_collate([True, False]).dtype == fastgrad.bool
    assert default_collate([np.float32(1), np.float32(2)]).dtype == fastgrad.float32
    mapping = default_collate([{"x": fastgrad.ones(2), "n": 1}, {"x": fastgrad.zeros(2), "n": 2}])
    assert mapping["x"].shape == (2, 2) and mapping["n"].tolist() == [1, 2]
    ordered = default_collate([collections.OrderedDict(b=1, a=2)] * 2)
    assert type(ordered) is collections.OrderedDict and list(ordered) == ["b", "a"]
    Point = collections.namedtuple("Point", "x y")
    point = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert type(point) is Point and point.x.tolist() == [1, 3]
    assert default_collate([[1, 2], [3, 4]])[1].tolist() == [2, 4]


def test_default_collate_refuses_what_it_cannot_batch():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors.*found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="dtype <U1 cannot become a tensor"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(Exception, match="stack"):  # tensors of different shapes cannot be stacked
        default_collate([fastgrad.ones(2), fastgrad.ones(3)])


def test_default_convert_makes_numpy_values_tensors_and_leaves_the_rest():
    converted = default_convert((np.array([1, 2]), 3, "s", np.array(["a"])))
    assert isinstance(converted, list) and isinstance(converted[0], fastgrad.Tensor)
    assert converted[1:3] == [3, "s"] and isinstance(converted[3], np.ndarray)
    assert [x for x in DataLoader([np.float64(1.5), np.float64(2.5)], batch_size=None)][0].dtype == fastgrad.float64


def test_iterable_datasets_are_batched_in_their_own_order():
    assert [b.tolist() for b in DataLoader(Stream(5), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in DataLoader(Stream(5), batch_size=2, drop_last=True)] == [[0, 1], [2, 3]]
    assert len(DataLoader(Stream(5), batch_size=2)) == 3
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]
    with pytest.raises(TypeError):
        len(DataLoader(Stream(5, with_length=False), batch_size=2))
    assert list(ChainDataset([Stream(2), Stream(1)])) == [0, 1, 0] and list(Stream(1) + Stream(1)) == [0, 0]


def test_a_batch_sampler_and_getitems_are_used():
    class Fetched(Dataset):
        def __init__(self):
            self.calls = []

        def __len__(self):
            return 6

        def __getitems__(self, indices):
            self.calls.append(indices)
            return [float(i) for i in indices]

    data = Fetched()
    loader = DataLoader(data, batch_sampler=[[5, 0], [2]])
    assert [b.tolist() for b in loader] == [[5.0, 0.0], [2.0]] and data.calls == [[5, 0], [2]]
    assert loader.batch_size is None


def test_combinators_and_random_split():
    a, b = TensorDataset(fastgrad.arange(3)), TensorDataset(fastgrad.arange(10, 12))
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 5
    assert [both[i][0].item() for i in range(5)] == [0, 1, 2, 10, 11] and both[-1][0].item() == 11
    with pytest.raises(IndexError):
        both[5]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        both[-6]
    subset = Subset(list("abcdef"), [4, 1])
    assert len(subset) == 2 and subset[0] == "e" and subset.__getitems__([1, 0]) == ["b", "e"]
    with pytest.raises(TypeError):  # a list of positions indexes the data set with one list, as PyTorch's
        subset[[1, 0]]
    rows = Subset(TensorDataset(fastgrad.arange(10, 16)), [4, 1])[[1, 0]]
    assert isinstance(rows, tuple) and rows[0].tolist() == [11, 14]  # (a batch, not a list of examples)
    parts = random_split(range(10), [3, 7], generator=fastgrad.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7] and sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    assert [len(p) for p in random_split(range(10), [0.25, 0.25, 0.5])] == [3, 2, 5]  # floors 2, 2, 5; the remainder to the first
    with pytest.warns(UserWarning, match="Length of split at index 0 is 0"):
        random_split(range(3), [0.0, 1.0])


def test_samplers():
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    fastgrad.manual_seed(0)
    drawn = list(RandomSampler(range(5), num_samples=12))
    assert len(drawn) == 12 and sorted(drawn[:5]) == list(range(5)) and sorted(drawn[5:10]) == list(range(5))
    assert all(0 <= i < 5 for i in RandomSampler(range(5), replacement=True, num_samples=50))
    assert sorted(SubsetRandomSampler([7, 8, 9])) == [7, 8, 9]
    weighted = list(WeightedRandomSampler([0.0, 1.0, 0.0], 20))
    assert weighted == [1] * 20
    assert sorted(WeightedRandomSampler([1.0, 2.0, 3.0], 3, replacement=False)) == [0, 1, 2]
    # the zero-weight ids follow once the others are drawn, as PyTorch 2.13's
    assert sorted(list(WeightedRandomSampler([0.0, 2.0, 0.0, 1.0], 4, replacement=False))[:2]) == [1, 3]
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert len(BatchSampler(range(5), 2, drop_last=True)) == 2


@pytest.mark.parametrize("make, error, message", [
    (lambda: RandomSampler(range(3), replacement=1), TypeError, "replacement should be a boolean value, but got replacement=1"),
    (lambda: RandomSampler(range(3), num_samples=0), ValueError, "num_samples should be a positive integer value, but got num_samples=0"),
    (lambda: RandomSampler(range(3), generator=np.random.default_rng(0)), TypeError, "generator must be a fastgrad.Generator"),
    (lambda: BatchSampler(range(3), 0, False), ValueError, "batch_size should be a positive integer value, but got batch_size=0"),
    (lambda: BatchSampler(range(3), True, False), ValueError, "batch_size should be a positive integer value"),
    (lambda: BatchSampler(range(3), 2, None), ValueError, "drop_last should be a boolean value, but got drop_last=None"),
    (lambda: WeightedRandomSampler([[1.0]], 1), ValueError, r"weights should be a 1d sequence but given weights have shape \(1, 1\)"),
    (lambda: list(WeightedRandomSampler([1.0, -1.0], 1)), RuntimeError, "non-negative"),
    (lambda: list(WeightedRandomSampler([1.0, 0.0], 3, replacement=False)), RuntimeError, "without replacement"),
    (lambda: list(WeightedRandomSampler([0.0, 0.0], 1, replacement=False)), RuntimeError, "sum to 0"),
    (lambda: TensorDataset(fastgrad.ones(2), fastgrad.ones(3)), ValueError, r"Size mismatch between tensors.*\[2, 3\]"),
    (lambda: TensorDataset(fastgrad.ones(2), [1, 2]), TypeError, r"tensors\[1\] must be a Tensor, got list"),
    (lambda: ConcatDataset([]), ValueError, "datasets should not be an empty iterable"),
    (lambda: ConcatDataset([Stream(2)]), TypeError, "ConcatDataset does not support IterableDataset"),
    (lambda: ChainDataset([[1, 2]]), TypeError, "ChainDataset only supports IterableDataset"),
    (lambda: random_split(range(10), [3, 6]), ValueError, r"Sum of input lengths does not equal.*\(9 against 10\)"),
    (lambda: random_split(range(10), [11, -1]), ValueError, r"lengths\[1\] must be a non-negative int"),
    (lambda: random_split(range(10), [1.5, -0.5]), ValueError, "fraction at index 0 is not between 0 and 1"),
    (lambda: DataLoader(range(4), batch_size=0), ValueError, "batch_size should be a positive integer value"),
    (lambda: DataLoader(range(4), shuffle=True, sampler=[0, 1]), ValueError, "sampler option is mutually exclusive with shuffle"),
    (lambda: DataLoader(range(4), batch_size=2, batch_sampler=[[0]]), ValueError, "batch_sampler option is mutually exclusive"),
    (lambda: DataLoader(range(4), batch_size=None, drop_last=True), ValueError, "batch_size=None option disables auto-batching"),
    (lambda: DataLoader(Stream(3), shuffle=True), ValueError, "IterableDataset: expected unspecified shuffle option"),
    (lambda: DataLoader(Stream(3), sampler=[0]), ValueError, "IterableDataset: expected unspecified sampler option"),
    (lambda: DataLoader(Stream(3), batch_size=-1), ValueError, "batch_size should be a positive integer value"),
    (lambda: DataLoader(range(4), num_workers=-1), ValueError, "num_workers option should be non-negative"),
    (lambda: DataLoader(range(4), num_workers=1.5), TypeError, "num_workers must be an int, got float"),
    (lambda: DataLoader(range(4), timeout=-1), ValueError, "timeout option should be non-negative"),
    (lambda: DataLoader(range(4), prefetch_factor=2), ValueError, "prefetch_factor option could only be specified"),
    (lambda: DataLoader(range(4), persistent_workers=True), ValueError, "persistent_workers option needs num_workers > 0"),
    (lambda: DataLoader(range(4), multiprocessing_context="spawn"), ValueError, "multiprocessing_context can only be used"),
])
def test_bad_arguments_raise_naming_them(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_the_batching_cannot_change_after_the_loader_is_built():
    loader = DataLoader(range(6), batch_size=2)
    for name in ("batch_size", "sampler", "batch_sampler", "drop_last", "dataset"):
        with pytest.raises(ValueError, match=f"{name} attribute should not be set after DataLoader is initialized"):
            setattr(loader, name, 3)
    loader.collate_fn = list  # the rest may change, as in PyTorch
    assert list(loader) == [[0, 1], [2, 3], [4, 5]]


def test_workers_load_in_the_main_process_with_a_warning():
    with pytest.warns(UserWarning, match="num_workers=2: fastgrad loads every batch in the main process"):
        loader = DataLoader(TensorDataset(fastgrad.arange(5)), batch_size=2, num_workers=2, persistent_workers=True)
    assert [b[0].tolist() for b in loader] == [[0, 1], [2, 3], [4]]
    assert get_worker_info() is None


def test_the_import_paths_pytorch_code_uses():
    import fastgrad.utils.data.distributed as distributed
    from fastgrad.distributed import DistributedSampler

    assert fastgrad.utils.data.DataLoader is DataLoader and distributed.DistributedSampler is DistributedSampler
    sampler = DistributedSampler(range(10), num_replicas=2, rank=1, shuffle=False)
    assert [b.tolist() for b in DataLoader(range(10), batch_size=2, sampler=sampler)] == [[1, 3], [5, 7], [9]]

"""Seeded differential fuzzing of fastgrad.utils.data against torch.utils.data: data sets (TensorDataset,
ConcatDataset, Subset, random_split) indexed in and out of range, default_collate on random nested examples,
and DataLoaders over random data sets, batch sizes (None among them), drop_last, shuffling, samplers (sequential,
random with and without replacement, subset-random, weighted, batch samplers) and generators, invalid arguments
included. Each case compares whether both raise (exceptions of the same built-in type) and, where neither does,
the lengths and the batches: structure, types, dtypes, shapes and values where no random draw is involved; where
one is, what is defined: the batch sizes, the indices drawn lying in range (on nonzero weights, or without
replacement on zero weights once those are drawn), and each index once per pass without replacement. Fixed seeds,
so the cases are the same on every run."""
import collections

import numpy as np
import pytest

import fastgrad
import fastgrad.utils.data as ours

from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")
import torch.utils.data as theirs  # noqa: E402

SEEDS = range(120)
DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_]
LIBRARIES = ((fastgrad, ours), (torch, theirs))
Pair = collections.namedtuple("Pair", "first second")


def plain(value):
    """A result in engine-neutral form: tensors as (dtype name, shape, values), containers and their types kept."""
    if isinstance(value, (fastgrad.Tensor, torch.Tensor)):
        values = value.detach().numpy() if isinstance(value, torch.Tensor) else value.numpy()
        return ("tensor", str(value.dtype).split(".")[-1], tuple(value.shape), values.tolist())
    if isinstance(value, dict):
        return (type(value).__name__, {key: plain(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [plain(item) for item in value])
    if isinstance(value, np.generic):
        return (type(value).__name__, value.item())
    return value


def assert_same(mine, theirs_, where):
    assert_raised_alike(mine, theirs_, where)
    if not isinstance(theirs_, Raised):
        assert plain(mine) == plain(theirs_), where


def random_array(rng, shape, dtype):
    return (rng.normal(scale=5, size=shape)).astype(dtype) if dtype != np.bool_ else rng.random(shape) < 0.5


def random_tensor_columns(rng, length):
    """The arrays of a TensorDataset: one to three, of `length` rows, random trailing shapes and dtypes."""
    columns = []
    for _ in range(rng.integers(1, 4)):
        trailing = tuple(int(n) for n in rng.integers(0, 4, size=rng.integers(0, 3)))
        columns.append(random_array(rng, (length,) + trailing, DTYPES[rng.integers(len(DTYPES))]))
    return columns


def tensor_dataset(library, data, columns):
    return data.TensorDataset(*(library.tensor(column.copy()) for column in columns))


@pytest.mark.parametrize("seed", SEEDS)
def test_datasets_indexed_in_and_out_of_range(seed):
    rng = np.random.default_rng(seed)
    parts = [random_tensor_columns(rng, int(rng.integers(0, 5))) for _ in range(rng.integers(1, 4))]
    total = sum(len(part[0]) for part in parts)
    indices = [int(i) for i in rng.integers(-total - 2, total + 2, size=6)]
    subset_indices = [int(i) for i in rng.integers(-total, max(total, 1), size=rng.integers(0, 5))] if total else []
    length = len(parts[0][0])
    first_part_indices = rng.integers(-length, max(length, 1), size=rng.integers(0, 5)).tolist() if length else []
    # indices of the first part in every form a data set takes: ints, NumPy ints, lists, slices, tensors
    keys = [np.int64(rng.integers(-length - 1, length + 1)), rng.integers(-length, max(length, 1), 3).tolist()
            if length else [], slice(int(rng.integers(-3, 3)), int(rng.integers(-3, 5)), int(rng.choice([1, 2, -1])))]
    results = {}
    for library, data in LIBRARIES:
        datasets = [tensor_dataset(library, data, part) for part in parts]
        concat = data.ConcatDataset(datasets)
        subset = data.Subset(datasets[0], first_part_indices)
        subset_of_concat = data.Subset(concat, subset_indices)
        positions = list(range(len(first_part_indices)))
        results[library.__name__] = (
            [len(d) for d in datasets], len(concat), len(subset),
            [outcome(lambda: concat[i]) for i in indices],
            [outcome(lambda: subset_of_concat[i]) for i in range(-len(subset_indices), len(subset_indices))],
            [outcome(lambda: datasets[0][i]) for i in indices],
            [outcome(lambda: datasets[0][key]) for key in keys + [library.tensor(keys[1], dtype=library.int64)]],
            [outcome(lambda: subset[positions]), outcome(lambda: subset.__getitems__(positions)),
             outcome(lambda: subset_of_concat.__getitems__(list(range(len(subset_indices)))))])
    where = f"seed {seed}: parts of {[len(p[0]) for p in parts]} rows, indices {indices}, subset {subset_indices}"
    mine, their = results["fastgrad"], results["torch"]
    assert mine[:3] == their[:3], where
    for my_items, their_items in zip(mine[3:], their[3:]):
        for my_item, their_item in zip(my_items, their_items):
            assert_same(my_item, their_item, where)


def random_split_lengths(rng, total):
    kind = rng.choice(["counts", "fractions", "wrong counts", "wrong fractions"])
    parts = int(rng.integers(1, 5))
    if kind == "counts":  # Python's ints, NumPy's (as an array, or a list of them) or, for 0 and 1, bools
        cuts = np.sort(rng.integers(0, total + 1, size=parts - 1))
        counts = np.diff(np.concatenate([[0], cuts, [total]]))
        form = rng.choice(["ints", "array", "numpy ints", "bools"])
        if form == "bools" and counts.max(initial=0) <= 1:
            return [bool(n) for n in counts]
        return {"ints": counts.tolist(), "array": counts, "numpy ints": list(counts)}.get(form, counts.tolist())
    if kind == "fractions":
        weights = rng.choice([0.0, 1.0, 2.0, rng.random()], size=parts) + (rng.random(parts) < 0.2)
        weights = weights if weights.sum() else np.ones(parts)
        return (weights / weights.sum()).tolist()
    if kind == "wrong counts":
        return [int(n) for n in rng.integers(-1, total + 1, size=parts)]
    return [float(x) for x in rng.choice([-0.5, 0.3, 0.5, 1.2], size=parts)]


@pytest.mark.parametrize("seed", SEEDS)
def test_random_split_sizes_and_coverage(seed):
    rng = np.random.default_rng(seed)
    total = int(rng.integers(0, 12))
    lengths = random_split_lengths(rng, total)
    with_generator = rng.random() < 0.5
    results = {}
    for library, data in LIBRARIES:
        generator = library.Generator().manual_seed(seed) if with_generator else None
        split = outcome(lambda: data.random_split(range(total), lengths, generator=generator))
        results[library.__name__] = split if isinstance(split, Raised) else [list(part) for part in split]
    where = f"seed {seed}: {total} examples split by {lengths}"
    mine, their = results["fastgrad"], results["torch"]
    assert_raised_alike(mine, their, where)
    if not isinstance(their, Raised):
        assert [len(part) for part in mine] == [len(part) for part in their], where
        assert sorted(sum(mine, [])) == list(range(total)), where


def random_example(rng, depth=0):
    """A random nested example: numbers, NumPy values, strings, dicts, lists, tuples and named tuples."""
    kinds = ["float", "int", "bool", "numpy array", "numpy scalar", "string", "numpy string", "bytes"]
    if depth < 2:
        kinds += ["dict", "list", "tuple", "named tuple"]
    kind = kinds[rng.integers(len(kinds))]
    if kind in ("dict", "list", "tuple", "named tuple"):
        fields = [random_example(rng, depth + 1) for _ in range(2 if kind == "named tuple" else rng.integers(1, 3))]
        if kind == "dict":
            return {f"key{i}": field for i, field in enumerate(fields)}
        return {"list": list, "tuple": tuple, "named tuple": lambda f: Pair(*f)}[kind](fields)
    dtype = DTYPES[rng.integers(len(DTYPES))]
    shape = tuple(int(n) for n in rng.integers(0, 3, size=rng.integers(0, 3)))
    return {"float": lambda: float(rng.normal()), "int": lambda: int(rng.integers(-9, 9)),
            "bool": lambda: bool(rng.random() < 0.5), "numpy array": lambda: random_array(rng, shape, dtype),
            "numpy scalar": lambda: random_array(rng, (), dtype)[()], "string": lambda: str(rng.integers(9)),
            "numpy string": lambda: np.str_(rng.integers(9)), "bytes": lambda: bytes(rng.integers(9))}[kind]()


def like(example, rng):
    """Another example of the same structure, with new values (and, now and then, a different shape)."""
    if isinstance(example, dict):
        return {key: like(value, rng) for key, value in example.items()}
    if isinstance(example, Pair):
        return Pair(*(like(value, rng) for value in example))
    if isinstance(example, (list, tuple)):
        return type(example)(like(value, rng) for value in example)
    if isinstance(example, np.ndarray):
        shape = example.shape if rng.random() < 0.9 else tuple(n + 1 for n in example.shape)
        return random_array(rng, shape, example.dtype)
    if isinstance(example, (str, bytes)):
        return type(example)(rng.integers(9))
    if isinstance(example, np.generic):
        return random_array(rng, (), example.dtype)[()]
    if isinstance(example, bool):
        return bool(rng.random() < 0.5)
    if isinstance(example, (int, float)):
        return type(example)(rng.integers(-9, 9))
    raise TypeError(f"no random example like {example!r}")


@pytest.mark.parametrize("seed", SEEDS)
def test_default_collate_and_convert_of_random_examples(seed):
    rng = np.random.default_rng(seed)
    first = random_example(rng)
    batch = [first] + [like(first, rng) for _ in range(rng.integers(0, 3))]
    where = f"seed {seed}: batch {batch!r}"
    assert_same(outcome(lambda: ours.default_collate(batch)), outcome(lambda: theirs.default_collate(batch)), where)
    assert_same(outcome(lambda: ours.default_convert(first)), outcome(lambda: theirs.default_convert(first)), where)


class SamplerCase:
    """A random sampler's kind and arguments, made the same in either library."""

    def __init__(self, rng, length):
        self.kind = rng.choice(["none", "sequential", "random", "random with replacement", "subset random",
                                "weighted", "weighted without replacement"])
        self.num_samples = None if rng.random() < 0.5 else int(rng.integers(-1, 2 * length + 2))
        self.indices = rng.integers(0, max(length, 1), size=rng.integers(0, 6)).tolist() if length else []
        self.weights = rng.choice([0.0, 0.5, 1.0, 3.0, -1.0 if rng.random() < 0.1 else 2.0], size=length).tolist()

    def make(self, data, dataset, generator):
        if self.kind == "none":
            return None
        if self.kind == "sequential":
            return data.SequentialSampler(dataset)
        if self.kind.startswith("random"):
            return data.RandomSampler(dataset, replacement=self.kind.endswith("replacement"),
                                      num_samples=self.num_samples, generator=generator)
        if self.kind == "subset random":
            return data.SubsetRandomSampler(self.indices, generator=generator)
        return data.WeightedRandomSampler(self.weights, self.num_samples, replacement=self.kind == "weighted",
                                          generator=generator)

    def check_draw(self, indices, length, kept, where):
        """What is defined of a random order: the indices drawn (`kept(count)` of them, after drop_last), not
        their order."""
        in_range = all(0 <= i < length for i in indices)
        if self.kind in ("none", "sequential"):  # shuffle=True: a permutation
            assert len(indices) == kept(length) and in_range and len(set(indices)) == len(indices), where
        elif self.kind.startswith("random"):
            wanted = length if self.num_samples is None else self.num_samples
            assert len(indices) == kept(wanted) and in_range, where
            if self.kind == "random":  # each pass over the data set: a permutation
                for start in range(0, len(indices), max(length, 1)):
                    chunk = indices[start:start + length]
                    assert len(set(chunk)) == len(chunk), where
        elif self.kind == "subset random":
            assert len(indices) == kept(len(self.indices)), where
            assert not collections.Counter(indices) - collections.Counter(self.indices), where
        elif self.kind == "weighted":
            assert len(indices) == kept(self.num_samples) and all(self.weights[i] > 0 for i in indices), where
        else:  # without replacement: distinct, the zero-weight ids only once the others are drawn
            positive = sum(weight > 0 for weight in self.weights)
            assert len(indices) == kept(self.num_samples) and len(set(indices)) == len(indices), where
            assert all((self.weights[i] > 0) == (n < positive) for n, i in enumerate(indices)), where


def loader_batches(library, data, columns, options, sampler_case):
    """len(loader) and the batches of one pass (or the exception raised)."""
    library.manual_seed(0)
    dataset = tensor_dataset(library, data, columns)
    generator = library.Generator().manual_seed(7) if options.pop("with_generator") else None
    sampler = outcome(lambda: sampler_case.make(data, dataset, generator))
    if isinstance(sampler, Raised):
        return sampler, sampler
    batch_size, drop_last = options["batch_size"], options["drop_last"]
    if options.pop("batch_sampler") and batch_size is not None and batch_size > 0:
        del options["batch_size"], options["drop_last"]
        options["batch_sampler"] = data.BatchSampler(sampler if sampler is not None else data.SequentialSampler(
            dataset), batch_size, drop_last)
    elif sampler is not None:
        options["sampler"] = sampler
    loader = outcome(lambda: data.DataLoader(dataset, generator=generator, **options))
    if isinstance(loader, Raised):
        return loader, loader
    return outcome(lambda: len(loader)), outcome(lambda: list(loader))


def pass_indices(batches, batched):
    """The example indices one pass read (the first column holds each example's index)."""
    if not batched:
        return [int(example[0].item()) for example in batches]
    return [int(i) for batch in batches for i in batch[0].numpy().reshape(-1).tolist()]


@pytest.mark.parametrize("seed", SEEDS)
def test_dataloader_batches(seed):
    rng = np.random.default_rng(seed)
    length = int(rng.integers(0, 10))
    columns = [np.arange(length)] + random_tensor_columns(rng, length)
    options = dict(batch_size=[None, 1, 2, 3, length + 1, 0, -1][rng.integers(7)], drop_last=bool(rng.random() < 0.4),
                   shuffle=[None, False, True][rng.integers(3)], with_generator=bool(rng.random() < 0.5),
                   batch_sampler=bool(rng.random() < 0.2))
    sampler_case = SamplerCase(rng, length)
    results = {library.__name__: loader_batches(library, data, columns, dict(options), sampler_case)
               for library, data in LIBRARIES}
    where = f"seed {seed}: {length} examples, {options}, sampler {vars(sampler_case)}"
    (my_length, my_batches), (their_length, their_batches) = results["fastgrad"], results["torch"]
    assert_same(my_length, their_length, where + " (len)")
    assert_raised_alike(my_batches, their_batches, where)
    if isinstance(their_batches, Raised):
        return
    if sampler_case.kind in ("none", "sequential") and not options["shuffle"]:
        assert plain(my_batches) == plain(their_batches), where
        return
    # a random order: the same batch structure (shapes, dtypes), and the draw as defined
    shapes = [[[(tuple(t.shape), str(t.dtype).split(".")[-1]) for t in batch] for batch in batches]
              for batches in (my_batches, their_batches)]
    assert shapes[0] == shapes[1], where
    batch_size = options["batch_size"]
    batched = batch_size is not None

    def kept(count):
        return count // batch_size * batch_size if batched and options["drop_last"] else count

    sampler_case.check_draw(pass_indices(my_batches, batched), length, kept, where)
    sampler_case.check_draw(pass_indices(their_batches, batched), length, kept, where + " (PyTorch)")


def stream_of(data, examples):
    """An IterableDataset of `examples` in `data`'s library (with a length, as a list's)."""
    class Stream(data.IterableDataset):
        def __iter__(self):
            return iter(examples)

        def __len__(self):
            return len(examples)

    return Stream()


@pytest.mark.parametrize("seed", SEEDS)
def test_dataloader_over_lists_and_streams_of_random_examples(seed):
    # the batches of nested Python and NumPy examples, from a list (map-style) and a stream (IterableDataset),
    # batched by default_collate or, with batch_size=None, converted one by one by default_convert
    rng = np.random.default_rng(seed)
    first = random_example(rng)
    examples = [first] + [like(first, rng) for _ in range(rng.integers(0, 7))]
    batch_size = [None, 1, 2, 3, len(examples) + 1][rng.integers(5)]
    drop_last = bool(rng.random() < 0.4) and batch_size is not None
    results = {}
    for library, data in LIBRARIES:
        results[library.__name__] = [
            outcome(lambda: (len(loader), list(loader)))
            for loader in (data.DataLoader(examples, batch_size=batch_size, drop_last=drop_last),
                           data.DataLoader(stream_of(data, examples), batch_size=batch_size, drop_last=drop_last))]
    where = f"seed {seed}: batch_size={batch_size}, drop_last={drop_last}, examples {examples!r}"
    for mine, their in zip(results["fastgrad"], results["torch"]):
        assert_same(mine, their, where)


@pytest.mark.parametrize("make", [
    lambda data: data.BatchSampler(range(5), np.int64(2), False),
    lambda data: data.BatchSampler(range(5), 2, np.bool_(True)),
    lambda data: data.DataLoader(range(5), batch_size=np.int64(2)),
    lambda data: data.DataLoader(range(5), batch_size=2, drop_last=np.bool_(False)),
    lambda data: data.RandomSampler(range(5), num_samples=np.int64(3)),
    lambda data: data.RandomSampler(range(5), replacement=np.bool_(True)),
    lambda data: data.WeightedRandomSampler([1.0, 2.0], np.int64(3)),
    lambda data: data.WeightedRandomSampler([1.0, 2.0], 3, replacement=np.bool_(True)),
], ids=["batch size", "drop_last", "loader batch size", "loader drop_last", "num_samples", "replacement",
        "weighted num_samples", "weighted replacement"])
def test_numpy_numbers_as_sampler_arguments_are_refused_as_by_pytorch(make):
    # PyTorch checks for Python's int and bool; taking NumPy's would let a script run here that fails there
    assert_same(outcome(lambda: make(ours)), outcome(lambda: make(theirs)), "")

"""torch.embedding_bag, aten's form (fastgrad/functional_forms.py), against PyTorch: its four outputs (output,
offset2bag, bag_size, max_indices) with their dtypes, the gradients of weight and per_sample_weights to 1e-9 in
float64, and the wrong calls."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

TABLE = np.sin(np.arange(18.0)).reshape(6, 3)
IDS = [0, 2, 2, 1, 5, 0, 3]
OFFSETS = [0, 3, 3, 5]  # the second bag is empty
SAMPLE_WEIGHTS = np.linspace(0.5, 1.5, len(IDS))


def call(lib, mode, padding_idx=None, include_last_offset=False, dtype="int64", weighted=False, requires_grad=True,
         table=TABLE):
    weight = lib.tensor(table, requires_grad=requires_grad)
    samples = lib.tensor(SAMPLE_WEIGHTS, requires_grad=True) if weighted else None
    offsets = OFFSETS + [len(IDS)] * include_last_offset
    outputs = lib.embedding_bag(weight, lib.tensor(IDS, dtype=getattr(lib, dtype)),
                                lib.tensor(offsets, dtype=getattr(lib, dtype)), False, mode, False, samples,
                                include_last_offset, padding_idx)
    results = [(str(t.dtype).split(".")[-1], t.detach().numpy()) for t in outputs]
    leaves = [t for t in (weight, samples) if t is not None and t.requires_grad]
    if leaves:
        upstream = lib.tensor(np.linspace(-1.0, 2.0, outputs[0].numel()).reshape(tuple(outputs[0].shape)))
        results += [("grad", g.numpy()) for g in lib.autograd.grad((outputs[0] * upstream).sum(), leaves)]
    return results


def assert_same(ours, theirs):
    assert [label for label, _ in ours] == [label for label, _ in theirs]
    for (_, a), (_, b) in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
@pytest.mark.parametrize("include_last_offset", [False, True])
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_the_four_outputs_and_gradients_match_torch(mode, padding_idx, include_last_offset, dtype):
    assert_same(*(call(lib, mode, padding_idx, include_last_offset, dtype) for lib in (fastgrad, torch)))


@pytest.mark.parametrize("padding_idx", [None, 0])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_per_sample_weights_match_torch(padding_idx, include_last_offset):
    assert_same(*(call(lib, 0, padding_idx, include_last_offset, weighted=True) for lib in (fastgrad, torch)))


@pytest.mark.parametrize("index_dtype, offset_dtype", [("int64", "int32"), ("int32", "int64"), ("int32", "int32"),
                                                              ("uint8", "int32")])
def test_index_outputs_have_the_promoted_dtype_of_indices_and_offsets(index_dtype, offset_dtype):
    results = []
    for lib in (fastgrad, torch):
        outputs = lib.embedding_bag(lib.tensor(TABLE), lib.tensor(IDS, dtype=getattr(lib, index_dtype)),
                                    lib.tensor(OFFSETS, dtype=getattr(lib, offset_dtype)), False, 2)
        results.append([str(t.dtype).removeprefix("torch.") for t in outputs])
    assert results[0] == results[1]


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_outputs_without_gradients_match_torch(mode, include_last_offset):
    """PyTorch's sum bags give one more zero with include_last_offset when nothing requires grad."""
    assert_same(*(call(lib, mode, None, include_last_offset, requires_grad=False) for lib in (fastgrad, torch)))


def test_max_indices_of_ties_are_the_first_rows_as_torch():
    table = np.ones((6, 3))
    table[5, 1] = 2.0
    assert_same(*(call(lib, 2, table=table) for lib in (fastgrad, torch)))


def test_an_empty_input_matches_torch():
    for mode in (0, 1, 2):
        results = []
        for lib in (fastgrad, torch):
            outputs = lib.embedding_bag(lib.tensor(TABLE), lib.tensor([], dtype=lib.int64), lib.tensor([0, 0]),
                                        False, mode)
            results.append([(str(t.dtype).split(".")[-1], t.numpy()) for t in outputs])
        assert_same(*results)


def _arguments(lib, **changes):
    arguments = dict(weight=lib.tensor(TABLE), indices=lib.tensor(IDS), offsets=lib.tensor(OFFSETS),
                     scale_grad_by_freq=False, mode=0, sparse=False, per_sample_weights=None,
                     include_last_offset=False, padding_idx=None)
    arguments.update({k: v(lib) if callable(v) else v for k, v in changes.items()})
    return arguments


@pytest.mark.parametrize("changes, error", [
    (dict(indices=lambda m: m.tensor(IDS[:6]).reshape(2, 3), offsets=lambda m: m.tensor([0, 3])),
     (RuntimeError, TypeError)),
    (dict(offsets=None), TypeError),
    (dict(mode=3), (RuntimeError, ValueError)),
    (dict(mode="sum"), TypeError),
    (dict(mode=1, per_sample_weights=lambda m: m.ones(len(IDS), dtype=m.float64)),
     (RuntimeError, NotImplementedError)),
    (dict(per_sample_weights=lambda m: m.ones(len(IDS), dtype=m.float32)), (RuntimeError, TypeError)),
    (dict(padding_idx=6), (RuntimeError, IndexError)),
    (dict(padding_idx=-7), (RuntimeError, IndexError)),
    (dict(indices=lambda m: m.tensor(IDS, dtype=m.float64)), (RuntimeError, TypeError)),
    (dict(indices=lambda m: m.tensor(IDS) + 1), (RuntimeError, IndexError)),
    (dict(offsets=lambda m: m.tensor([1, 3])), (RuntimeError, ValueError)),
    (dict(scale_grad_by_freq=1), TypeError),
    (dict(indices=lambda m: m.tensor(IDS, dtype=m.uint8), offsets=lambda m: m.tensor(OFFSETS, dtype=m.uint8)),
     (RuntimeError, TypeError)),
])
def test_wrong_calls_are_refused_as_torch(changes, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error):
            lib.embedding_bag(**_arguments(lib, **changes))


@pytest.mark.parametrize("changes, error, match", [
    (dict(mode=3), ValueError, r"embedding_bag: mode must be 0 \('sum'\), 1 \('mean'\) or 2 \('max'\), got 3"),
    (dict(indices=lambda m: m.tensor(IDS[:6]).reshape(2, 3)), TypeError,
     r"embedding_bag: indices must be a 1-D integer tensor, got \(2, 3\) int64"),
    # stricter than aten, as F.embedding_bag: max bags refuse scale_grad_by_freq, and ids past the last offset
    # are refused with include_last_offset (PyTorch's CPU kernel puts them into the last bag)
    (dict(mode=2, scale_grad_by_freq=True), ValueError, r"embedding_bag: mode 'max' supports neither"),
    (dict(offsets=lambda m: m.tensor([0, 3, 5]), include_last_offset=True), ValueError,
     r"embedding_bag: with include_last_offset=True, .* its last must be the number of ids \(7\)"),
])
def test_fastgrad_names_the_argument(changes, error, match):
    with pytest.raises(error, match=match):
        fastgrad.embedding_bag(**_arguments(fastgrad, **changes))

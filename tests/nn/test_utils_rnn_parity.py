"""nn.utils.rnn against PyTorch: pad_sequence and packed sequences (pack_padded_sequence,
pad_packed_sequence, pack_sequence, unpack_sequence, unpad_sequence): values, dtypes, indices and gradients."""
import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("lengths, trailing", [([3, 1, 2], ()), ([2, 2], (3,)), ([1], (2, 2)), ([4, 1], (1,))])
@pytest.mark.parametrize("kwargs", [{}, {"batch_first": True}, {"padding_value": -1.5, "padding_side": "left"},
                                    {"batch_first": True, "padding_side": "left", "padding_value": 2}])
def test_pad_sequence_matches_torch(lengths, trailing, kwargs):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n,) + trailing) for n in lengths]
    ours = [fastgrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    got = fastgrad.nn.utils.rnn.pad_sequence(ours, **kwargs)
    expected = torch.nn.utils.rnn.pad_sequence(theirs, **kwargs)
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())
    weights = rng.standard_normal(got.shape)
    (got * fastgrad.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-12)


def test_pad_sequence_takes_the_first_dtype_as_torch():
    values = ([1, 2], [1.5])
    got = fastgrad.nn.utils.rnn.pad_sequence([fastgrad.tensor(v) for v in values], padding_value=1.5)
    expected = torch.nn.utils.rnn.pad_sequence([torch.tensor(v) for v in values], padding_value=1.5)
    assert got.tolist() == expected.tolist() and str(got.dtype) == str(expected.dtype).replace("torch.", "")


def leaves(arrays):
    """The same values as fastgrad leaves and torch leaves, all requiring grad."""
    return ([fastgrad.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def same_tensor(ours, theirs):
    """Equal values and dtype (None for None)."""
    if theirs is None:
        assert ours is None
        return
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def same_packed(ours, theirs):
    assert type(ours).__name__ == type(theirs).__name__ == "PackedSequence"
    for mine, reference in zip(ours, theirs):  # data, batch_sizes, sorted_indices, unsorted_indices
        same_tensor(mine, reference)


@pytest.mark.parametrize("lengths, enforce_sorted", [([3, 2, 2], True), ([4], True), ([1, 4, 2], False),
                                                     ([2, 3, 2, 3, 1], False), ([3, 3], False)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("trailing", [(), (3,), (2, 2)])
@pytest.mark.parametrize("lengths_as", [list, np.array, "tensor"])
def test_pack_and_pad_match_torch(lengths, enforce_sorted, batch_first, trailing, lengths_as):
    rng = np.random.default_rng(len(lengths))
    steps = max(lengths) + 1  # one step of padding past the longest, which packing drops
    array = rng.standard_normal(((len(lengths), steps) if batch_first else (steps, len(lengths))) + trailing)
    ours, theirs = fastgrad.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    our_lengths = fastgrad.tensor(lengths) if lengths_as == "tensor" else lengths_as(lengths)
    their_lengths = torch.tensor(lengths) if lengths_as == "tensor" else lengths_as(lengths)
    packed = fastgrad.nn.utils.rnn.pack_padded_sequence(ours, our_lengths, batch_first, enforce_sorted)
    expected = torch.nn.utils.rnn.pack_padded_sequence(theirs, their_lengths, batch_first, enforce_sorted)
    same_packed(packed, expected)
    for kwargs in ({}, {"batch_first": not batch_first, "padding_value": -2.5, "total_length": steps + 1}):
        padded, padded_lengths = fastgrad.nn.utils.rnn.pad_packed_sequence(packed, **kwargs)
        reference, reference_lengths = torch.nn.utils.rnn.pad_packed_sequence(expected, **kwargs)
        same_tensor(padded, reference)
        same_tensor(padded_lengths, reference_lengths)
    weights = rng.standard_normal(tuple(reference.shape))
    (padded * fastgrad.tensor(weights)).sum().backward()  # through pad and pack back to the padded input
    (reference * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_sequence_match_torch(enforce_sorted):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, 2)) for n in ((4, 2, 2, 1) if enforce_sorted else (2, 4, 1, 2))]
    ours, theirs = leaves(arrays)
    packed = fastgrad.nn.utils.rnn.pack_sequence(ours, enforce_sorted=enforce_sorted)
    expected = torch.nn.utils.rnn.pack_sequence(theirs, enforce_sorted=enforce_sorted)
    same_packed(packed, expected)
    unpacked = fastgrad.nn.utils.rnn.unpack_sequence(packed)
    reference = torch.nn.utils.rnn.unpack_sequence(expected)
    for mine, theirs_unpacked in zip(unpacked, reference):
        same_tensor(mine, theirs_unpacked)
    weights = [rng.standard_normal(a.shape) for a in arrays]
    sum((u * fastgrad.tensor(w)).sum() for u, w in zip(unpacked, weights)).backward()
    sum((u * torch.tensor(w)).sum() for u, w in zip(reference, weights)).backward()
    for mine, reference_leaf in zip(ours, theirs):
        np.testing.assert_array_equal(mine.grad.numpy(), reference_leaf.grad.numpy())


@pytest.mark.parametrize("lengths_beyond", [False, True], ids=["lengths within the steps", "lengths beyond them"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_matches_torch(batch_first, lengths_beyond):
    """A length beyond the padded steps keeps them all and a negative one none, as PyTorch's (steps below it)."""
    array = np.arange(24.0).reshape(4, 3, 2)
    lengths = [2, 3, 0, 1] if batch_first else [4, 1, 3]
    if lengths_beyond:
        lengths = [9, -1, 4, 0] if batch_first else [7, -3, 5]
    ours = fastgrad.nn.utils.rnn.unpad_sequence(fastgrad.tensor(array), fastgrad.tensor(lengths), batch_first)
    theirs = torch.nn.utils.rnn.unpad_sequence(torch.tensor(array), torch.tensor(lengths), batch_first)
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        same_tensor(mine, reference)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("lengths", [[2.5, 1.0, 3.0], [2.0, 0.2, -0.5], [np.nan, 1.0, 3.0], [np.inf, 1.0, 3.0],
                                     [-np.inf, 4.5, 2.9999]], ids=str)
@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_keeps_the_steps_below_a_fractional_length_as_torch(batch_first, lengths, dtype):
    """2.5 keeps 3 steps, 0.2 one, NaN none, infinity all: the steps whose index is below the length."""
    array = np.arange(24.0).reshape((3, 4, 2) if batch_first else (4, 3, 2))
    ours = fastgrad.nn.utils.rnn.unpad_sequence(fastgrad.tensor(array), fastgrad.tensor(lengths, dtype=dtype),
                                                batch_first)
    theirs = torch.nn.utils.rnn.unpad_sequence(torch.tensor(array), torch.tensor(lengths, dtype=getattr(torch, dtype)),
                                               batch_first)
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        same_tensor(mine, reference)


@pytest.mark.parametrize("form", ["tensor", "array"])
@pytest.mark.parametrize("lengths", [[True, True, False], [False, True, True], [False] * 3, [True] * 3], ids=str)
@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_takes_bool_lengths_as_0_and_1_as_torch(batch_first, lengths, form):
    array = np.arange(24.0).reshape((3, 4, 2) if batch_first else (4, 3, 2))

    def call(library):
        given = library.tensor(lengths) if form == "tensor" else np.array(lengths)
        return library.nn.utils.rnn.unpad_sequence(library.tensor(array), given, batch_first)

    ours, theirs = call(fastgrad), call(torch)
    assert [len(piece) for piece in ours] == [int(n) for n in lengths]
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        same_tensor(mine, reference)


@pytest.mark.parametrize("as_tensor", [False, True], ids=["list", "tensor"])
@pytest.mark.parametrize("lengths, enforce_sorted", [
    ([2.5, 1.0, 1.0], True), ([2.9, 1.5, 1.2], True), ([4.5, 1.0, 1.0], True), ([2.2, 2.5, 1.0], True),
    ([1.0, 2.5, 2.2], False), ([3.0, 1.0, 0.5], True), ([3.0, 1.0, -0.5], False), ([np.nan, 1.0, 1.0], True),
    ([np.inf, 1.0, 1.0], False), ([True, True, True], True), ([True, True, True], False),
    ([True, False, True], True), ([False, True, True], False)], ids=str)
def test_pack_padded_sequence_casts_fractional_and_bool_lengths_as_torch(lengths, enforce_sorted, as_tensor):
    """PyTorch casts the lengths to int64 (2.9 is 2, 0.5 is 0, refused as not positive; a bool is 0 or 1, so a
    False is refused too); infinite or NaN lengths have no int64 value and are refused, as PyTorch's (whose
    cast gives a length it refuses)."""
    array = np.arange(24.0).reshape(4, 3, 2)

    def call(library):
        return library.nn.utils.rnn.pack_padded_sequence(
            library.tensor(array), library.tensor(lengths) if as_tensor else lengths, enforce_sorted=enforce_sorted)

    ours, theirs = outcome(lambda: call(fastgrad)), outcome(lambda: call(torch))
    if isinstance(theirs, Raised):
        assert isinstance(ours, Raised) and same_exception_type(ours, theirs), (ours, theirs)
        return
    for mine, reference in zip(ours, theirs):  # (data, batch_sizes, sorted_indices, unsorted_indices)
        same_tensor(mine, reference)


def test_pad_packed_sequence_casts_the_padding_value_as_torch():
    ours = fastgrad.nn.utils.rnn.pack_sequence([fastgrad.tensor([1, 2, 3]), fastgrad.tensor([4])])
    theirs = torch.nn.utils.rnn.pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4])])
    for value in (-1.7, 7, True):
        same_tensor(fastgrad.nn.utils.rnn.pad_packed_sequence(ours, padding_value=value)[0],
                    torch.nn.utils.rnn.pad_packed_sequence(theirs, padding_value=value)[0])


@pytest.mark.parametrize("sequences, padding_side", [
    ("two", "middle"), ("two", "RIGHT"), ("two", None), ("two", 3), ("none", "middle"), ("not tensors", "middle"),
    ("mismatched", "middle"), ("none", None)])
def test_pad_sequence_refuses_a_bad_padding_side_as_torch(sequences, padding_side):
    def call(library):
        given = {"two": [library.ones(2), library.ones(3)], "none": [], "not tensors": [1, 2],
                 "mismatched": [library.ones(2), library.ones(2, 3)]}[sequences]
        return library.nn.utils.rnn.pad_sequence(given, padding_side=padding_side)

    ours, theirs = outcome(lambda: call(fastgrad)), outcome(lambda: call(torch))
    assert same_exception_type(ours, theirs), (ours, theirs)
    assert "padding_side" in str(ours.error) or sequences != "two"


@pytest.mark.parametrize("lengths", [[3, 2], (3, 2), None, "ab", np.array([3, 2])])
def test_unpad_sequence_takes_lengths_only_as_a_tensor_as_torch(lengths):
    ours = outcome(lambda: fastgrad.nn.utils.rnn.unpad_sequence(fastgrad.zeros(3, 2), lengths))
    theirs = outcome(lambda: torch.nn.utils.rnn.unpad_sequence(torch.zeros(3, 2), lengths))
    if isinstance(lengths, np.ndarray):  # (an array has a .device, as a tensor, and PyTorch's takes it)
        assert [p.tolist() for p in ours] == [p.tolist() for p in theirs]
        return
    assert same_exception_type(ours, theirs) and isinstance(ours.error, TypeError), (ours, theirs)
    assert "lengths must be a 1-D tensor" in str(ours.error)


@pytest.mark.parametrize("ids, dtype", [
    ([2, 0, 1], "int64"), (0, "int64"), ([], "int64"), ([[1, 0], [0, 1]], "int64"), ([2, 0, 1], "int32"),
    ([2, 0, 1], "uint8"), ([2.0, 0.0, 1.0], "float32"), ([0, 3, 1], "int64"), ([0, -1, 1], "int64")])
def test_invert_permutation_matches_or_refuses_as_torch(ids, dtype):
    def call(library):
        return library.nn.utils.rnn.invert_permutation(library.tensor(ids, dtype=getattr(library, dtype)))

    ours, theirs = outcome(lambda: call(fastgrad)), outcome(lambda: call(torch))
    if isinstance(theirs, Raised):
        assert same_exception_type(ours, theirs), (ours, theirs)
        assert "invert_permutation: " in str(ours.error)
    else:
        assert ours.shape == tuple(theirs.shape) and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("ids", [[0, 0, 1], [1, 1, 1]])
def test_invert_permutation_refuses_repeated_ids(ids):
    # PyTorch 2.13 returns uninitialised memory for the ids never hit; fastgrad refuses
    with pytest.raises(RuntimeError, match=f"permutation must hold each id once, got id {ids[0]} more than once"):
        fastgrad.nn.utils.rnn.invert_permutation(fastgrad.tensor(ids))

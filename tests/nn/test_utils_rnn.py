"""nn.utils.rnn without PyTorch: pad_sequence (shapes, padding on either side) and packed sequences
(packing order, round trips, the caller's order restored), gradients on every backend, and errors
(PyTorch parity is in test_utils_rnn_parity.py)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
from fastgrad.nn.utils.rnn import (PackedSequence, invert_permutation, pack_padded_sequence, pack_sequence,
                                   pad_packed_sequence, pad_sequence, unpack_sequence, unpad_sequence)
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_pad_sequence_pads_after_or_before_and_stacks():
    a, b = fastgrad.tensor([1, 2, 3]), fastgrad.tensor([4])
    assert pad_sequence([a, b]).tolist() == [[1, 4], [2, 0], [3, 0]]
    assert pad_sequence((a, b), batch_first=True, padding_value=-1, padding_side="left").tolist() == [[1, 2, 3],
                                                                                                     [-1, -1, 4]]
    assert pad_sequence([fastgrad.ones(2, 3), fastgrad.ones(1, 3)], batch_first=True).shape == (2, 2, 3)
    assert fastgrad.nn.utils.rnn.pad_sequence([a]).shape == (3, 1)


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@SETTINGS
@given(lengths=st.lists(st.integers(1, 4), min_size=1, max_size=3), feature=st.integers(1, 3),
       batch_first=st.booleans(), left=st.booleans(), seed=st.integers(0, 2**16))
def test_pad_sequence_gradients(backend_name, lengths, feature, batch_first, left, seed):
    sequences = [leaf((n, feature), seed + i) for i, n in enumerate(lengths)]
    side = "left" if left else "right"
    check(backend_name, lambda *s: pad_sequence(s, batch_first, 0.5, side) * 1.5, *sequences)


def test_pad_sequence_refuses_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match="empty list"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match=r"sequence 1 has shape \(2, 2\), whose dims after the first do not match"):
        pad_sequence([fastgrad.ones(2, 3), fastgrad.ones(2, 2)])
    with pytest.raises(RuntimeError, match="padding_side must be 'left' or 'right', got 'middle'"):
        pad_sequence([fastgrad.ones(2)], padding_side="middle")
    with pytest.raises(IndexError, match="sequence 1 is a 0-dim tensor"):
        pad_sequence([fastgrad.ones(2), fastgrad.tensor(1.0)])
    with pytest.raises(TypeError, match="sequence 0 must be a Tensor, got list"):
        pad_sequence([[1, 2]])
    assert np.array_equal(pad_sequence([fastgrad.tensor([1, 2]), fastgrad.tensor([1.5])]).numpy(), [[1, 1], [2, 0]])


# -- packed sequences --------------------------------------------------------------------------------

def test_packing_lists_each_step_of_the_sequences_still_running_longest_first():
    padded = fastgrad.tensor([[1, 4, 6], [2, 5, 0], [3, 0, 0]])  # (T, B): sequences [1 2 3], [4 5], [6]
    packed = pack_padded_sequence(padded, [3, 2, 1])
    assert packed.data.tolist() == [1, 4, 6, 2, 5, 3] and packed.batch_sizes.tolist() == [3, 2, 1]
    assert packed.batch_sizes.dtype == fastgrad.int64 and packed.sorted_indices is None
    assert packed.unsorted_indices is None and isinstance(packed, tuple) and len(packed) == 4
    sequences = fastgrad.tensor([[1, 2, 3], [4, 0, 0], [6, 7, 0]])  # (B, T): [1 2 3], [4], [6 7]
    unsorted = pack_padded_sequence(sequences, fastgrad.tensor([3, 1, 2]), batch_first=True, enforce_sorted=False)
    assert unsorted.data.tolist() == [1, 6, 4, 2, 7, 3] and unsorted.batch_sizes.tolist() == [3, 2, 1]
    assert unsorted.sorted_indices.tolist() == [0, 2, 1] and unsorted.unsorted_indices.tolist() == [0, 2, 1]
    data, batch_sizes, sorted_indices, unsorted_indices = unsorted  # a named tuple, as PyTorch's
    assert data is unsorted.data and unsorted._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    ties = pack_padded_sequence(fastgrad.ones(3, 5), [2, 3, 2, 3, 1], enforce_sorted=False)
    assert ties.sorted_indices.tolist() == [1, 3, 0, 2, 4]  # a stable sort: ties keep their order


@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_packed_sequence_restores_the_callers_order_and_pads(batch_first):
    sequences = [fastgrad.tensor([1.0, 2.0]), fastgrad.tensor([3.0, 4.0, 5.0]), fastgrad.tensor([6.0])]
    packed = pack_sequence(sequences, enforce_sorted=False)
    padded, lengths = pad_packed_sequence(packed, batch_first=batch_first, padding_value=-1.0, total_length=4)
    expected = [[1, 2, -1, -1], [3, 4, 5, -1], [6, -1, -1, -1]]
    assert padded.tolist() == (expected if batch_first else np.transpose(expected).tolist())
    assert lengths.tolist() == [2, 3, 1] and lengths.dtype == fastgrad.int64
    assert [s.tolist() for s in unpack_sequence(packed)] == [s.tolist() for s in sequences]
    integers = pack_sequence([fastgrad.tensor([7, 8]), fastgrad.tensor([9])])
    integers, _ = pad_packed_sequence(integers, padding_value=-1.7)
    assert integers.tolist() == [[7, 9], [8, -1]] and integers.dtype == fastgrad.int64  # truncated, as PyTorch


def test_unpad_sequence_cuts_each_sequence_and_leaves_the_input_as_it_is():
    padded = fastgrad.arange(12).reshape(4, 3)
    pieces = unpad_sequence(padded, fastgrad.tensor([4, 0, 2]))
    assert [p.tolist() for p in pieces] == [[0, 3, 6, 9], [], [2, 5]] and padded.shape == (4, 3)
    cut = unpad_sequence(padded, fastgrad.tensor([1, 3, 2, 0]), batch_first=True)
    assert [p.tolist() for p in cut] == [[0], [3, 4, 5], [6, 7], []]


def test_packed_sequence_conversions_keep_the_sizes_and_indices():
    packed = pack_sequence([fastgrad.ones(1, 2), fastgrad.ones(3, 2)], enforce_sorted=False)
    assert packed.float() is packed and packed.cpu() is packed and not packed.is_cuda
    double = packed.double()
    assert double.data.dtype == fastgrad.float64 and double.batch_sizes is packed.batch_sizes
    assert double.sorted_indices is packed.sorted_indices and packed.to(fastgrad.int64).data.dtype == fastgrad.int64
    assert PackedSequence((packed.data, packed.batch_sizes)).batch_sizes is packed.batch_sizes
    assert invert_permutation(fastgrad.tensor([2, 0, 1])).tolist() == [1, 2, 0] and invert_permutation(None) is None


lengths_and_features = st.lists(st.integers(1, 4), min_size=1, max_size=4).flatmap(
    lambda lengths: st.tuples(st.just(lengths), st.integers(1, 2), st.integers(max(lengths), 5)))


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@SETTINGS
@given(case=lengths_and_features, batch_first=st.booleans(), seed=st.integers(0, 2**16))
def test_pack_and_pad_gradients(backend_name, case, batch_first, seed):
    lengths, feature, steps = case
    shape = (len(lengths), steps, feature) if batch_first else (steps, len(lengths), feature)
    padded = leaf(shape, seed)
    check(backend_name, lambda x: pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False).data * 1.5,
          padded)
    packed = pack_padded_sequence(padded.detach(), lengths, batch_first, enforce_sorted=False)
    data = leaf(packed.data.shape, seed + 1)
    check(backend_name, lambda d: pad_packed_sequence(PackedSequence(d, *packed[1:]), batch_first, 0.5, steps + 1)[0],
          data)


@SETTINGS
@given(lengths=st.lists(st.integers(1, 5), min_size=1, max_size=5), batch_first=st.booleans(), seed=st.integers(0, 99))
def test_pack_then_pad_gives_back_the_valid_steps(lengths, batch_first, seed):
    steps = max(lengths)
    values = np.random.default_rng(seed).standard_normal((len(lengths), steps, 2))
    for b, n in enumerate(lengths):
        values[b, n:] = 0.0
    padded = values if batch_first else values.transpose(1, 0, 2)
    packed = pack_padded_sequence(fastgrad.tensor(padded), lengths, batch_first, enforce_sorted=False)
    assert packed.data.shape == (sum(lengths), 2)
    assert packed.batch_sizes.tolist() == [sum(n > t for n in lengths) for t in range(steps)]
    again, got_lengths = pad_packed_sequence(packed, batch_first)
    np.testing.assert_array_equal(again.numpy(), padded)
    assert got_lengths.tolist() == lengths


def test_packing_refuses_bad_lengths():
    x = fastgrad.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match=r"`lengths` array must be sorted in decreasing order when `enforce_sorted` "
                                           r"is True, got \[2, 3, 1\]. You can pass `enforce_sorted=False`"):
        pack_padded_sequence(x, [2, 3, 1])
    with pytest.raises(RuntimeError, match=r"length of all samples has to be greater than 0, got lengths \[3, 2, 0\]"):
        pack_padded_sequence(x, [3, 2, 0])
    with pytest.raises(RuntimeError, match=r"length of all samples has to be greater than 0, got lengths \[0, 2, 3\]"):
        pack_padded_sequence(x, [0, 2, 3], enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"lengths \[2, 5, 1\] exceed the input's 4 time steps \(input of shape "
                                           r"\(4, 3, 2\), batch_first=False\)"):
        pack_padded_sequence(x, [2, 5, 1], enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"lengths \[4, 4, 4, 4\] exceed the input's 3 time steps"):
        pack_padded_sequence(fastgrad.zeros(4, 3), [4, 4, 4, 4], batch_first=True)
    with pytest.raises(RuntimeError, match=r"expected `len\(lengths\)` to be equal to batch_size, but got 2 "
                                           r"\(batch_size=3"):
        pack_padded_sequence(x, [3, 2])
    with pytest.raises(RuntimeError, match=r"lengths must be 1-D \(one length per sequence\), got shape \(1, 3\)"):
        pack_padded_sequence(x, fastgrad.tensor([[3, 2, 1]]))
    with pytest.raises(RuntimeError, match=r"lengths must be finite, got \[nan, 2.0, 1.0\]"):
        pack_padded_sequence(x, [float("nan"), 2.0, 1.0])
    with pytest.raises(TypeError, match="lengths must be integers .* got \\['3', '2', '1'\\]"):
        pack_padded_sequence(x, ["3", "2", "1"])
    with pytest.raises(RuntimeError, match=r"length of all samples has to be greater than 0, got lengths \[1, 0, 1\]"):
        pack_padded_sequence(x, [True, False, True])  # (bools are the lengths 0 and 1)
    with pytest.raises(RuntimeError, match=r"cannot pack empty tensors \(input has shape \(0, 3, 2\)\)"):
        pack_padded_sequence(fastgrad.zeros(0, 3, 2), [1, 1, 1])
    with pytest.raises(ValueError, match=r"input has shape \(4,\), expected \(T, B, \*\)"):
        pack_padded_sequence(fastgrad.zeros(4), [4])
    with pytest.raises(TypeError, match="input must be a Tensor, got ndarray"):
        pack_padded_sequence(np.zeros((4, 3, 2)), [3, 2, 1])
    with pytest.raises(RuntimeError, match="length of all samples has to be greater than 0"):
        pack_sequence([fastgrad.ones(2), fastgrad.ones(0)])
    with pytest.raises(RuntimeError, match="empty list"):
        pack_sequence([])
    assert pack_padded_sequence(x, [3.0, 2.0, 1.0]).batch_sizes.tolist() == [3, 2, 1]  # whole floats, as PyTorch


def test_padding_refuses_bad_arguments():
    packed = pack_padded_sequence(fastgrad.zeros(4, 3, 2), [3, 2, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest sequence in "
                                         "input, but got total_length=2 and max sequence length being 3"):
        pad_packed_sequence(packed, total_length=2)
    with pytest.raises(TypeError, match="total_length must be an int, got 5.0"):
        pad_packed_sequence(packed, total_length=5.0)
    with pytest.raises(TypeError, match="padding_value must be a number, got 'a'"):
        pad_packed_sequence(packed, padding_value="a")
    with pytest.raises(TypeError, match="sequence must be a PackedSequence, got Tensor"):
        pad_packed_sequence(fastgrad.zeros(4, 3, 2))
    with pytest.raises(ValueError, match=r"got 2 lengths for a batch of 3 sequences"):
        unpad_sequence(fastgrad.zeros(4, 3), fastgrad.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"unpad_sequence: lengths must be a 1-D tensor, got list \[1, 2, 3\]"):
        unpad_sequence(fastgrad.zeros(4, 3), [1, 2, 3])


def test_packed_sequence_refuses_fields_that_do_not_fit():
    data = fastgrad.zeros(3, 2)
    with pytest.raises(ValueError, match=r"batch_sizes \[2, 2\] add up to 4 steps, but data has 3 rows"):
        PackedSequence(data, fastgrad.tensor([2, 2]))
    with pytest.raises(ValueError, match=r"batch_sizes must be positive and non-increasing .* got \[1, 2\]"):
        PackedSequence(data, fastgrad.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"batch_sizes must be positive and non-increasing .* got \[3, 0\]"):
        PackedSequence(data, fastgrad.tensor([3, 0]))
    with pytest.raises(TypeError, match=r"batch_sizes must be a 1-D int64 tensor, got list"):
        PackedSequence(data, [2, 1])
    with pytest.raises(TypeError, match=r"batch_sizes must be a 1-D int64 tensor, got dtype float32"):
        PackedSequence(data, fastgrad.tensor([2.0, 1.0]))
    with pytest.raises(ValueError, match="sorted_indices must be an int64 tensor holding a permutation of the 2"):
        PackedSequence(data, fastgrad.tensor([2, 1]), fastgrad.tensor([0, 0]))
    with pytest.raises(ValueError, match="unsorted_indices must be the inverse permutation of sorted_indices"):
        PackedSequence(data, fastgrad.tensor([2, 1]), None, fastgrad.tensor([1, 0]))
    with pytest.raises(TypeError, match="data must be a tensor .* got ndarray"):
        PackedSequence(np.zeros(3), fastgrad.tensor([2, 1]))
    with pytest.raises(TypeError, match=r"without batch_sizes, data must be a pair \(data, batch_sizes\), got Tensor"):
        PackedSequence(data)

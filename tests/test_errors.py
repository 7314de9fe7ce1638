"""Bad input gives a clear Python exception naming the op, the expected and the actual value."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F


def test_broadcast_mismatch_names_op_and_both_shapes():
    # PyTorch's RuntimeError, its words, and both shapes
    with pytest.raises(RuntimeError, match=r"add: the size of tensor a \(3\) must match the size of tensor b \(4\) at "
                                           r"non-singleton dimension 1 \(shapes \(2, 3\), \(4,\) do not broadcast\)"):
        fastgrad.ones(2, 3) + fastgrad.ones(4)
    with pytest.raises(RuntimeError, match=r"mul: .*\(shapes \(2,\), \(3,\) do not broadcast\)"):
        fastgrad.ones(2) * fastgrad.ones(3)


def test_matmul_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\)"):
        fastgrad.ones(2, 3) @ fastgrad.ones(4, 5)
    with pytest.raises(RuntimeError, match=r"linear: input of shape \(2, 3\) does not fit weight of shape \(4, 5\)"):
        F.linear(fastgrad.ones(2, 3), fastgrad.ones(4, 5))


def test_backward_of_non_scalar_needs_gradient():
    x = fastgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar outputs: output 0 has shape \(3,\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        fastgrad.ones(3).sum().backward()
    with pytest.raises(RuntimeError, match=r"gradient of output 0 has a shape of \(2,\) and the output has a shape of \(3,\)"):
        (x * 2).backward(fastgrad.ones(2))


def test_indices_out_of_range_name_the_index_and_size():
    x = fastgrad.ones(5, 2)
    with pytest.raises(IndexError, match=r"index 7 is out of range for dimension 0 with size 5"):
        x[fastgrad.tensor([1, 7])]
    with pytest.raises(IndexError, match=r"index -6 is out of range for dimension 0 with size 5"):
        x[fastgrad.tensor([-6])]
    with pytest.raises(IndexError, match=r"index 2 is out of range for dimension 1 with size 2"):
        x[:, 2]
    weight = fastgrad.ones(10, 3)
    for fn in (lambda ids: F.embedding(ids, weight), lambda ids: F.embedding(ids, weight, sparse=True),
               lambda ids: F.embedding_bag(ids.reshape(1, -1), weight),
               lambda ids: F.cross_entropy(fastgrad.ones(2, 10), ids)):
        for bad in (10, -1):
            with pytest.raises(IndexError, match=rf"index {bad} at position .*1\)? is out of range "
                                                 rf"\(expected 0 <= index < 10.*size 10\)"):
                fn(fastgrad.tensor([0, bad]))


def test_embedding_rejects_float_ids_and_bad_offsets():
    weight = fastgrad.ones(10, 3)
    with pytest.raises(RuntimeError, match="embedding input: expected dtype int64 or int32, got float32"):
        F.embedding(fastgrad.tensor([1.0]), weight)
    with pytest.raises(ValueError, match="offsets must be 1-D, start at 0"):
        F.embedding_bag(fastgrad.tensor([1, 2, 3]), weight, fastgrad.tensor([1, 2]))
    with pytest.raises(ValueError, match="offsets must be 1-D, start at 0"):
        F.embedding_bag(fastgrad.tensor([1, 2, 3]), weight, fastgrad.tensor([0, 5]))
    with pytest.raises(ValueError, match="offsets must be 1-D, start at 0"):
        F.embedding_bag(fastgrad.tensor([1, 2, 3]), weight, fastgrad.tensor([0, 2, 1]))
    with pytest.raises(TypeError, match="embedding_bag: offsets must be integers .* got dtype float32"):
        F.embedding_bag(fastgrad.tensor([1, 2, 3]), weight, fastgrad.tensor([0.0, 1.5]))


def test_loss_target_shape_and_reduction_are_checked():
    with pytest.raises(ValueError, match=r"target has shape \(3,\), expected \(2,\)"):
        F.cross_entropy(fastgrad.ones(2, 4), fastgrad.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="reduction must be"):
        F.cross_entropy(fastgrad.ones(2, 4), fastgrad.tensor([0, 1]), reduction="avg")


def test_dims_out_of_range_and_bad_reshapes():
    with pytest.raises(IndexError, match="dimension out of range"):
        fastgrad.ones(2, 3).sum(dim=2)
    with pytest.raises(RuntimeError, match=r"cannot reshape a tensor of shape \(2, 3\)"):
        fastgrad.ones(2, 3).reshape(4, 2)
    with pytest.raises(RuntimeError, match="name the same dimension more than once"):
        fastgrad.ones(2, 3).permute(0, 0)


def test_unknown_backend_and_rnn_shapes():
    with pytest.raises(ValueError, match="unknown backend 'gpu'"):
        fastgrad.set_backend("gpu")
    with pytest.raises(ValueError, match=r"hx has shape \(3, 4\), expected \(batch, hidden\) = \(2, 4\)"):
        F.rnn(fastgrad.ones(5, 2, 3), fastgrad.ones(3, 4), fastgrad.ones(4, 3), fastgrad.ones(4, 4))
    with pytest.raises(ValueError, match="dropout probability"):
        F.dropout(fastgrad.ones(3), p=1.5)

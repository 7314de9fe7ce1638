"""all_to_all_single and all_to_all in a world of one (the 2-rank exchanges are in test_collectives_mpi.py):
the input comes back, split sizes and lists are checked as PyTorch checks them, and a dimension 0 that
does not divide among the ranks raises instead of leaving part of the output unwritten."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributed as dist


def test_all_to_all_single_returns_the_input_in_the_outputs_shape(world_of_one):
    output = fastgrad.zeros(3, 2)
    version = output._version
    dist.all_to_all_single(output, fastgrad.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(output.numpy(), np.arange(6.0).reshape(3, 2))
    assert output._version == version + 1
    dist.all_to_all_single(output, fastgrad.arange(6.0).reshape(3, 2).flip(0), [3], [3])
    np.testing.assert_array_equal(output.numpy(), np.arange(6.0).reshape(3, 2)[::-1])


def test_all_to_all_writes_each_output(world_of_one):
    outputs = [fastgrad.zeros(2, dtype=fastgrad.int64)]
    dist.all_to_all(outputs, [fastgrad.tensor([4, 5])])
    assert outputs[0].tolist() == [4, 5]


@pytest.mark.parametrize("call, error, message", [
    (lambda: dist.all_to_all_single(fastgrad.zeros(2, dtype=fastgrad.float64), fastgrad.ones(2)), ValueError,
     "all_to_all_single: output must have input's dtype float32, got float64"),
    (lambda: dist.all_to_all_single(fastgrad.zeros(2), fastgrad.ones(2), [2], [1]), RuntimeError,
     r"all_to_all_single: input_split_sizes \[1\] must add up to input's dimension 0, 2"),
    (lambda: dist.all_to_all_single(fastgrad.zeros(2), fastgrad.ones(2), [1, 1], [1, 1]), RuntimeError,
     r"all_to_all_single: input_split_sizes must hold one size per rank \(1\), got 2"),
    (lambda: dist.all_to_all_single(fastgrad.zeros(3), fastgrad.ones(2)), RuntimeError,
     "all_to_all_single: rank 0 sends 2 elements to rank 0, which expects 3"),
    (lambda: dist.all_to_all_single(fastgrad.zeros(()), fastgrad.ones(())), RuntimeError,
     "all_to_all_single: input must have at least one dimension"),
    (lambda: dist.all_to_all_single(fastgrad.zeros(2), fastgrad.ones(2), [2], [-2]), RuntimeError,
     r"input_split_sizes must be non-negative ints, got \[-2\]"),
    (lambda: dist.all_to_all([fastgrad.zeros(2)] * 2, [fastgrad.ones(2)] * 2), RuntimeError,
     r"all_to_all: input_tensor_list must hold one tensor per rank \(1\), got 2"),
    (lambda: dist.all_to_all([fastgrad.zeros(3)], [fastgrad.ones(2)]), RuntimeError,
     "all_to_all: rank 0 sends 2 elements to rank 0, which expects 3"),
    (lambda: dist.all_to_all([fastgrad.zeros(2, dtype=fastgrad.float64)], [fastgrad.ones(2)]), ValueError,
     r"all_to_all: output_tensor_list\[0\] must have input_tensor_list\[0\]'s dtype float32, got float64"),
    (lambda: dist.all_to_all(fastgrad.zeros(2), [fastgrad.ones(2)]), TypeError,
     "all_to_all: output_tensor_list must be a list of fastgrad.Tensor, got Tensor"),
])
def test_bad_arguments_are_named(world_of_one, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_an_output_that_requires_grad_is_refused_while_grad_mode_is_on(world_of_one):
    output = fastgrad.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"all_to_all: output_tensor_list\[0\] requires grad, and the collective "
                                           "writes into it in place"):
        dist.all_to_all([output], [fastgrad.ones(2)])


def test_a_dimension_0_that_does_not_divide_among_the_ranks_is_refused(monkeypatch):
    """(PyTorch's gloo backend leaves part of the output unwritten.) The check comes before any message."""
    monkeypatch.setattr(dist.comm, "_GROUP", dist.ProcessGroup(0, 2, timeout=1.0))
    with pytest.raises(RuntimeError, match=r"all_to_all_single: input's dimension 0 \(3\) must divide into 2 equal "
                                           "parts, or give input_split_sizes"):
        dist.all_to_all_single(fastgrad.zeros(4), fastgrad.ones(3))

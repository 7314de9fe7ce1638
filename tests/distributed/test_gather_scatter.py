"""all_gather, all_gather_into_tensor, gather, scatter, reduce, reduce_scatter and reduce_scatter_tensor in a
world of one: each rank's piece is this process's, outputs written and their version counters bumped, and
the arguments checked as PyTorch checks them (the 2-rank values are in test_collectives_mpi.py)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import fastgrad
import fastgrad.distributed as dist
from fastgrad.distributed import ReduceOp


def test_all_gather_writes_each_output_and_bumps_its_version(world_of_one):
    outputs = [fastgrad.zeros(2, 2).transpose(0, 1)]  # a strided output is written through
    version = outputs[0]._version
    assert dist.all_gather(outputs, fastgrad.tensor([[1.0, 2.0], [3.0, 4.0]])) is None
    assert outputs[0].tolist() == [[1.0, 2.0], [3.0, 4.0]] and outputs[0]._version == version + 1
    scalars = [fastgrad.zeros(())]
    dist.all_gather(scalars, fastgrad.tensor(3.0))
    assert scalars[0].item() == 3.0


def test_all_gather_into_tensor_concatenates_along_dimension_0(world_of_one):
    output = fastgrad.zeros(2, 3)
    dist.all_gather_into_tensor(output, fastgrad.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(output.numpy(), np.arange(6.0).reshape(2, 3))


def test_reduce_gather_and_scatter_in_a_world_of_one(world_of_one):
    tensor = fastgrad.tensor([1.0, 2.0])
    version = tensor._version
    dist.reduce(tensor, 0, ReduceOp.AVG)
    assert tensor.tolist() == [1.0, 2.0] and tensor._version == version + 1
    gathered = [fastgrad.zeros(2)]
    dist.gather(tensor, gathered)  # dst defaults to 0, as PyTorch's
    assert gathered[0].tolist() == [1.0, 2.0]
    received = fastgrad.zeros(2)
    dist.scatter(received, [fastgrad.tensor([5.0, 6.0])])
    assert received.tolist() == [5.0, 6.0]


def test_reduce_scatter_forms(world_of_one):
    output = fastgrad.zeros(2)
    dist.reduce_scatter(output, [fastgrad.tensor([7.0, 8.0])], ReduceOp.AVG)
    assert output.tolist() == [7.0, 8.0]
    rows = fastgrad.zeros(2, 2)
    dist.reduce_scatter_tensor(rows, fastgrad.tensor([[1, 2], [3, 4]]).float().transpose(0, 1), ReduceOp.MAX)
    assert rows.tolist() == [[1.0, 3.0], [2.0, 4.0]]


@pytest.mark.parametrize("call, error, message", [
    (lambda: dist.all_gather(fastgrad.zeros(2), fastgrad.ones(2)), TypeError,
     "all_gather: tensor_list must be a list of fastgrad.Tensor, got Tensor"),
    (lambda: dist.all_gather([fastgrad.zeros(2)], [1.0]), TypeError,
     "all_gather: tensor must be a fastgrad.Tensor, got list"),
    (lambda: dist.all_gather([fastgrad.zeros(2, dtype=fastgrad.float64)], fastgrad.ones(2)), ValueError,
     r"all_gather: tensor_list\[0\] must have tensor's dtype float32, got float64"),
    (lambda: dist.all_gather([fastgrad.zeros(2)] * 2, fastgrad.ones(2)), RuntimeError,
     "all_gather: tensor_list must hold one tensor per rank \\(1\\), got 2"),
    (lambda: dist.all_gather([fastgrad.zeros(1, 2)], fastgrad.ones(2)), RuntimeError,
     r"all_gather: tensor_list\[0\] must have shape \(2,\), got \(1, 2\)"),
    (lambda: dist.all_gather_into_tensor(fastgrad.zeros(2, dtype=fastgrad.float64), fastgrad.ones(2)), RuntimeError,
     "all_gather_into_tensor: input_tensor must have output_tensor's dtype float64, got float32"),
    (lambda: dist.all_gather_into_tensor(fastgrad.zeros(1, 2), fastgrad.ones(2)), RuntimeError,
     r"all_gather_into_tensor: output_tensor must have shape \(2,\), got \(1, 2\)"),
    (lambda: dist.all_gather_into_tensor(fastgrad.zeros(1), fastgrad.tensor(1.0)), RuntimeError,
     "all_gather_into_tensor: input_tensor must have at least one dimension"),
    (lambda: dist.reduce(fastgrad.ones(2)), ValueError, r"reduce: dst must be given \(a rank in \[0, 0\]\)"),
    (lambda: dist.reduce(fastgrad.ones(2), 1), RuntimeError, r"reduce: dst must be a rank in \[0, 0\], got 1"),
    (lambda: dist.reduce(fastgrad.ones(2), -1), RuntimeError, r"reduce: dst must be a rank in \[0, 0\], got -1"),
    (lambda: dist.reduce(fastgrad.ones(2), 0.0), TypeError, "reduce: dst must be an int rank, got 0.0"),
    (lambda: dist.reduce(fastgrad.ones(2), 0, "sum"), TypeError, "reduce: op must be a fastgrad.distributed.ReduceOp"),
    (lambda: dist.reduce(fastgrad.tensor([1]), 0, ReduceOp.AVG), RuntimeError,
     "reduce: ReduceOp.AVG needs a floating-point tensor, got dtype int64"),
    (lambda: dist.gather(fastgrad.ones(2), None, 0), ValueError,
     "gather: gather_list must be given on rank dst=0"),
    (lambda: dist.gather(fastgrad.ones(2), 5, 0), TypeError,
     "gather: gather_list must be a list of fastgrad.Tensor, got int"),
    (lambda: dist.gather(fastgrad.ones(2), [fastgrad.zeros(2)] * 2, 0), RuntimeError,
     "gather: gather_list must hold one tensor per rank \\(1\\), got 2"),
    (lambda: dist.gather(fastgrad.ones(2), [fastgrad.zeros(3)], 0), RuntimeError,
     r"gather: gather_list\[0\] must have shape \(2,\), got \(3,\)"),
    (lambda: dist.gather(fastgrad.ones(2), [fastgrad.zeros(2, dtype=fastgrad.float64)], 0), ValueError,
     r"gather: gather_list\[0\] must have tensor's dtype float32, got float64"),
    (lambda: dist.gather(fastgrad.ones(2), [fastgrad.zeros(2)], 1), ValueError,  # (the list first, as PyTorch)
     r"gather: gather_list must be None on ranks other than dst=1 \(this is rank 0\), got 1 tensors"),
    (lambda: dist.gather(fastgrad.ones(2), None, 1), RuntimeError, r"gather: dst must be a rank in \[0, 0\], got 1"),
    (lambda: dist.scatter(fastgrad.ones(2), None, -1), RuntimeError,
     r"scatter: src must be a rank in \[0, 0\], got -1"),
    (lambda: dist.scatter(fastgrad.zeros(2), None, 0), ValueError, "scatter: scatter_list must be given on rank src=0"),
    (lambda: dist.scatter(fastgrad.zeros(2), [fastgrad.zeros(3)]), RuntimeError,
     r"scatter: scatter_list\[0\] must have shape \(2,\), got \(3,\)"),
    (lambda: dist.scatter(fastgrad.zeros(2), [fastgrad.zeros(2)] * 2), RuntimeError,
     "scatter: scatter_list must hold one tensor per rank \\(1\\), got 2"),
    (lambda: dist.reduce_scatter(fastgrad.zeros(2), [fastgrad.ones(2)] * 2), RuntimeError,
     "reduce_scatter: input_list must hold one tensor per rank \\(1\\), got 2"),
    (lambda: dist.reduce_scatter(fastgrad.zeros(2), [fastgrad.ones(3)]), RuntimeError,
     r"reduce_scatter: input_list\[0\] must have shape \(2,\), got \(3,\)"),
    (lambda: dist.reduce_scatter(fastgrad.zeros(2), [fastgrad.ones(2, dtype=fastgrad.float64)]), ValueError,
     r"reduce_scatter: input_list\[0\] must have output's dtype float32, got float64"),
    (lambda: dist.reduce_scatter_tensor(fastgrad.zeros(3), fastgrad.ones(2)), RuntimeError,
     r"reduce_scatter_tensor: input must have shape \(3,\), got \(2,\)"),
    (lambda: dist.reduce_scatter_tensor(fastgrad.zeros(2), fastgrad.ones(2, dtype=fastgrad.float64)), RuntimeError,
     "reduce_scatter_tensor: output must have input's dtype float64, got float32"),
    (lambda: dist.reduce_scatter_tensor(fastgrad.zeros(()), fastgrad.ones(())), RuntimeError,
     "reduce_scatter_tensor: output must have at least one dimension"),
    (lambda: dist.reduce_scatter_tensor(fastgrad.zeros(2, dtype=fastgrad.int64), fastgrad.ones(2, dtype=fastgrad.int64),
                                        ReduceOp.AVG), RuntimeError, "ReduceOp.AVG needs a floating-point tensor"),
])
def test_bad_arguments_are_named(world_of_one, call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("call, name", [
    (lambda out: dist.all_gather([out], fastgrad.ones(2)), r"all_gather: tensor_list\[0\]"),
    (lambda out: dist.all_gather_into_tensor(out, fastgrad.ones(2)), "all_gather_into_tensor: output_tensor"),
    (lambda out: dist.gather(fastgrad.ones(2), [out]), r"gather: gather_list\[0\]"),
    (lambda out: dist.reduce_scatter(out, [fastgrad.ones(2)]), "reduce_scatter: output"),
    (lambda out: dist.reduce_scatter_tensor(out, fastgrad.ones(2)), "reduce_scatter_tensor: output"),
])
def test_an_output_that_requires_grad_is_refused_while_grad_mode_is_on(world_of_one, call, name):
    output = fastgrad.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=name + " requires grad, and the collective writes into it in place"):
        call(output)
    with fastgrad.no_grad():
        call(output)
    assert output.tolist() == [1.0, 1.0]


@pytest.fixture
def rank_1_of_2(monkeypatch):
    """This process as rank 1 of 2, for the checks made before anything is sent (a collective would wait)."""
    monkeypatch.setattr(dist.comm, "_GROUP", dist.ProcessGroup(1, 2, timeout=1.0))


def test_only_the_root_gives_the_list(rank_1_of_2):
    with pytest.raises(ValueError, match=r"gather: gather_list must be None on ranks other than dst=0 \(this is rank "
                                         r"1\), got 2 tensors"):
        dist.gather(fastgrad.ones(2), [fastgrad.zeros(2)] * 2, dst=0)
    with pytest.raises(ValueError, match="scatter: scatter_list must be None on ranks other than src=0"):
        dist.scatter(fastgrad.ones(2), [fastgrad.zeros(2)] * 2, src=0)
    with pytest.raises(ValueError, match="gather: gather_list must be given on rank dst=1"):
        dist.gather(fastgrad.ones(2), [], dst=1)  # (an empty list is None, as in PyTorch)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       dtype=st.sampled_from(["float32", "float64", "int64", "int8", "uint8", "bool"]))
def test_every_dtype_and_shape_comes_back_in_a_world_of_one(world_of_one, shape, dtype):
    """The data moves as bytes, whatever the dtype; a world of one returns its input."""
    values = np.arange(int(np.prod(shape))).reshape(shape).astype(dtype)
    tensor = fastgrad.tensor(values)
    outputs = [fastgrad.zeros(shape, dtype=tensor.dtype), fastgrad.zeros(shape, dtype=tensor.dtype)]
    dist.all_gather_into_tensor(outputs[0], tensor)
    dist.gather(tensor, outputs[1:])
    for output in outputs:
        np.testing.assert_array_equal(output.numpy(), values)
    dist.scatter(outputs[0], [fastgrad.zeros(shape, dtype=tensor.dtype)])
    assert not outputs[0].numpy().any()

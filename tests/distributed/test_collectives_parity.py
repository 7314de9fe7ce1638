"""fastgrad.distributed against torch.distributed's gloo backend, both in a world of one process: every
collective, object collective and point-to-point call gives PyTorch's values, and where PyTorch raises,
fastgrad raises an exception of the same built-in type. (The 2-rank values of test_collectives_mpi.py
are PyTorch's gloo values on 2 processes.) Calls on which gloo waits forever or crashes the process are
left out; their fastgrad behaviour is tested in the module's own tests."""
import builtins
import datetime
import socket

import pytest

import fastgrad
import fastgrad.distributed

torch = pytest.importorskip("torch")
torch_dist = pytest.importorskip("torch.distributed")


@pytest.fixture(scope="module")
def torch_world_of_one():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    torch_dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
    yield
    torch_dist.destroy_process_group()


def tensors(lib, *shapes, dtype=None, requires_grad=False):
    return [lib.zeros(shape, dtype=dtype, requires_grad=requires_grad) for shape in shapes]


def vector(lib):
    return lib.tensor([1.0, 2.0])


def matrix(lib):
    return lib.arange(6.0).reshape(2, 3)


CASES = {
    # all_gather
    "all_gather": lambda lib, d: (lambda out: (d.all_gather(out, vector(lib)), out))(tensors(lib, (2,))),
    "all_gather_0d": lambda lib, d: (lambda out: (d.all_gather(out, lib.tensor(3.0)), out))(tensors(lib, ())),
    "all_gather_strided_input": lambda lib, d: (lambda out: (d.all_gather(out, matrix(lib).t()), out))(
        tensors(lib, (3, 2))),
    "all_gather_too_many": lambda lib, d: d.all_gather(tensors(lib, (2,), (2,)), vector(lib)),
    "all_gather_wrong_shape": lambda lib, d: d.all_gather(tensors(lib, (1, 2)), vector(lib)),
    "all_gather_wrong_dtype": lambda lib, d: d.all_gather(tensors(lib, (2,), dtype=lib.float64), vector(lib)),
    "all_gather_not_a_list": lambda lib, d: d.all_gather(lib.zeros(2), vector(lib)),
    "all_gather_not_a_tensor": lambda lib, d: d.all_gather(tensors(lib, (2,)), [1.0]),
    "all_gather_into_leaf_requiring_grad": lambda lib, d: d.all_gather(tensors(lib, (2,), requires_grad=True),
                                                                       vector(lib)),
    # all_gather_into_tensor
    "all_gather_into_tensor": lambda lib, d: (lambda out: (d.all_gather_into_tensor(out, matrix(lib)), out))(
        lib.zeros(2, 3)),
    "all_gather_into_tensor_stacked": lambda lib, d: d.all_gather_into_tensor(lib.zeros(1, 2), vector(lib)),
    "all_gather_into_tensor_flat": lambda lib, d: d.all_gather_into_tensor(lib.zeros(6), matrix(lib)),
    "all_gather_into_tensor_wrong_dtype": lambda lib, d: d.all_gather_into_tensor(lib.zeros(2, dtype=lib.int64),
                                                                                  vector(lib)),
    "all_gather_into_tensor_0d": lambda lib, d: d.all_gather_into_tensor(lib.zeros(1), lib.tensor(3.0)),
    # reduce, all_reduce, broadcast
    "reduce": lambda lib, d: (lambda t: (d.reduce(t, 0), t))(vector(lib)),
    "reduce_avg": lambda lib, d: (lambda t: (d.reduce(t, 0, d.ReduceOp.AVG), t))(vector(lib)),
    "reduce_max_strided": lambda lib, d: (lambda t: (d.reduce(t, 0, d.ReduceOp.MAX), t))(matrix(lib).t()),
    "reduce_without_dst": lambda lib, d: d.reduce(vector(lib)),
    "reduce_dst_out_of_range": lambda lib, d: d.reduce(vector(lib), 1),
    "reduce_negative_dst": lambda lib, d: d.reduce(vector(lib), -1),
    "reduce_float_dst": lambda lib, d: d.reduce(vector(lib), 0.0),
    "reduce_op_by_name": lambda lib, d: d.reduce(vector(lib), 0, "sum"),
    "reduce_avg_of_ints": lambda lib, d: d.reduce(lib.tensor([1, 2]), 0, d.ReduceOp.AVG),
    "all_reduce_avg_of_ints": lambda lib, d: d.all_reduce(lib.tensor([1, 2]), d.ReduceOp.AVG),
    "all_reduce_avg_of_bools": lambda lib, d: d.all_reduce(lib.tensor([True]), d.ReduceOp.AVG),
    "all_reduce_bools": lambda lib, d: (lambda t: (d.all_reduce(t), t))(lib.tensor([True, False])),
    "all_reduce_band_ints": lambda lib, d: (lambda t: (d.all_reduce(t, d.ReduceOp.BAND), t))(lib.tensor([3, 5])),
    "all_reduce_bor_bools": lambda lib, d: (lambda t: (d.all_reduce(t, d.ReduceOp.BOR), t))(lib.tensor([True])),
    "all_reduce_bxor_floats": lambda lib, d: d.all_reduce(vector(lib), d.ReduceOp.BXOR),
    "all_reduce_strided": lambda lib, d: (lambda t: (d.all_reduce(t), t))(matrix(lib).t()),
    "all_reduce_leaf_requiring_grad": lambda lib, d: d.all_reduce(lib.ones(2, requires_grad=True)),
    "broadcast_src_out_of_range": lambda lib, d: d.broadcast(vector(lib), 1),
    "broadcast_without_src": lambda lib, d: d.broadcast(vector(lib)),
    "broadcast_group_src": lambda lib, d: (lambda t: (d.broadcast(t, group_src=0), t))(vector(lib)),
    "broadcast_src_and_group_src": lambda lib, d: d.broadcast(vector(lib), 0, group_src=0),
    "all_gather_single": lambda lib, d: (lambda out: (d.all_gather_single(out, vector(lib)), out))(lib.zeros(2)),
    "reduce_scatter_single": lambda lib, d: (lambda out: (d.reduce_scatter_single(out, vector(lib)), out))(
        lib.zeros(2)),
    # gather, scatter
    "gather": lambda lib, d: (lambda out: (d.gather(vector(lib), out, 0), out))(tensors(lib, (2,))),
    "gather_default_dst": lambda lib, d: (lambda out: (d.gather(vector(lib), out), out))(tensors(lib, (2,))),
    "gather_without_list": lambda lib, d: d.gather(vector(lib), None, 0),
    "gather_list_not_a_list": lambda lib, d: d.gather(vector(lib), 5, 0),
    "gather_too_many": lambda lib, d: d.gather(vector(lib), tensors(lib, (2,), (2,)), 0),
    "gather_wrong_shape": lambda lib, d: d.gather(vector(lib), tensors(lib, (3,)), 0),
    "gather_wrong_dtype": lambda lib, d: d.gather(vector(lib), tensors(lib, (2,), dtype=lib.float64), 0),
    "gather_list_on_another_dst": lambda lib, d: d.gather(vector(lib), tensors(lib, (2,)), 1),
    "gather_dst_out_of_range": lambda lib, d: d.gather(vector(lib), None, 5),
    "gather_into_leaf_requiring_grad": lambda lib, d: d.gather(vector(lib), tensors(lib, (2,), requires_grad=True)),
    "scatter": lambda lib, d: (lambda out: (d.scatter(out, [vector(lib)], 0), out))(lib.zeros(2)),
    "scatter_default_src": lambda lib, d: (lambda out: (d.scatter(out, [vector(lib)]), out))(lib.zeros(2)),
    "scatter_without_list": lambda lib, d: d.scatter(lib.zeros(2), None, 0),
    "scatter_too_many": lambda lib, d: d.scatter(lib.zeros(2), [vector(lib), vector(lib)], 0),
    "scatter_wrong_shape": lambda lib, d: d.scatter(lib.zeros(3), [vector(lib)], 0),
    "scatter_wrong_dtype": lambda lib, d: d.scatter(lib.zeros(2, dtype=lib.float64), [vector(lib)], 0),
    "scatter_list_on_another_src": lambda lib, d: d.scatter(lib.zeros(2), [vector(lib)], -1),
    "scatter_src_out_of_range": lambda lib, d: d.scatter(lib.zeros(2), None, 1),
    # reduce_scatter
    "reduce_scatter": lambda lib, d: (lambda out: (d.reduce_scatter(out, [vector(lib)]), out))(lib.zeros(2)),
    "reduce_scatter_avg": lambda lib, d: (lambda out: (d.reduce_scatter(out, [vector(lib)], d.ReduceOp.AVG), out))(
        lib.zeros(2)),
    "reduce_scatter_too_many": lambda lib, d: d.reduce_scatter(lib.zeros(2), [vector(lib), vector(lib)]),
    "reduce_scatter_wrong_dtype": lambda lib, d: d.reduce_scatter(lib.zeros(2), [vector(lib).double()]),
    "reduce_scatter_into_leaf_requiring_grad": lambda lib, d: d.reduce_scatter(lib.zeros(2, requires_grad=True),
                                                                               [vector(lib)]),
    "reduce_scatter_tensor": lambda lib, d: (lambda out: (d.reduce_scatter_tensor(out, matrix(lib)), out))(
        lib.zeros(2, 3)),
    "reduce_scatter_tensor_strided": lambda lib, d: (lambda out: (d.reduce_scatter_tensor(out, matrix(lib).t()), out))(
        lib.zeros(3, 2).t().t()),
    "reduce_scatter_tensor_rows": lambda lib, d: (lambda out: (d.reduce_scatter_tensor(out, lib.ones(1, 4)), out))(
        lib.zeros(1, 4)),
    "reduce_scatter_tensor_wrong_rows": lambda lib, d: d.reduce_scatter_tensor(lib.zeros(3), vector(lib)),
    "reduce_scatter_tensor_wrong_dtype": lambda lib, d: d.reduce_scatter_tensor(lib.zeros(2), vector(lib).double()),
    "reduce_scatter_tensor_avg_of_ints": lambda lib, d: d.reduce_scatter_tensor(lib.zeros(2, dtype=lib.int64),
                                                                                lib.tensor([1, 2]), d.ReduceOp.AVG),
    # all_to_all
    "all_to_all_single": lambda lib, d: (lambda out: (d.all_to_all_single(out, matrix(lib)), out))(lib.zeros(3, 2)),
    "all_to_all_single_splits": lambda lib, d: (lambda out: (d.all_to_all_single(out, vector(lib), [2], [2]), out))(
        lib.zeros(2)),
    "all_to_all_single_splits_not_adding_up": lambda lib, d: d.all_to_all_single(lib.zeros(2), vector(lib), [2], [1]),
    "all_to_all_single_one_split_per_rank": lambda lib, d: d.all_to_all_single(lib.zeros(2), vector(lib), [1, 1],
                                                                               [1, 1]),
    "all_to_all_single_sizes_differ": lambda lib, d: d.all_to_all_single(lib.zeros(3), vector(lib)),
    "all_to_all_single_wrong_dtype": lambda lib, d: d.all_to_all_single(lib.zeros(2, dtype=lib.float64), vector(lib)),
    "all_to_all": lambda lib, d: (lambda out: (d.all_to_all(out, [vector(lib)]), out))(tensors(lib, (2,))),
    "all_to_all_too_many": lambda lib, d: d.all_to_all(tensors(lib, (2,), (2,)), [vector(lib), vector(lib)]),
    "all_to_all_sizes_differ": lambda lib, d: d.all_to_all(tensors(lib, (3,)), [vector(lib)]),
    "all_to_all_wrong_dtype": lambda lib, d: d.all_to_all(tensors(lib, (2,), dtype=lib.float64), [vector(lib)]),
    "all_to_all_into_leaf_requiring_grad": lambda lib, d: d.all_to_all(tensors(lib, (2,), requires_grad=True),
                                                                       [vector(lib)]),
    # point to point: no peer in a world of one
    "send_to_self": lambda lib, d: d.send(vector(lib), 0),
    "send_without_dst": lambda lib, d: d.send(vector(lib)),
    "recv_from_self": lambda lib, d: d.recv(vector(lib), 0),
    # object collectives
    "all_gather_object": lambda lib, d: (lambda out: (d.all_gather_object(out, {"a": [1, 2]}), out))([None, "kept"]),
    "all_gather_object_empty_list": lambda lib, d: d.all_gather_object([], 1),
    "all_gather_object_into_a_tuple": lambda lib, d: d.all_gather_object((None,), 1),
    "all_gather_object_unpicklable": lambda lib, d: d.all_gather_object([None], lambda: 1),
    "gather_object": lambda lib, d: (lambda out: (d.gather_object(("x", 1), out, 0), out))([None, "kept"]),
    "gather_object_default_dst": lambda lib, d: (lambda out: (d.gather_object(1, out), out))([None]),
    "gather_object_without_list": lambda lib, d: d.gather_object(1, None, 0),
    "gather_object_empty_list": lambda lib, d: d.gather_object(1, [], 0),
    "gather_object_list_on_another_dst": lambda lib, d: d.gather_object(1, [None], 1),
    "gather_object_dst_out_of_range": lambda lib, d: d.gather_object(1, None, 1),
    "broadcast_object_list": lambda lib, d: (lambda out: (d.broadcast_object_list(out, 0), out))([1, "a", {"b": 2}]),
    "broadcast_object_list_default_src": lambda lib, d: (lambda out: (d.broadcast_object_list(out), out))([1]),
    "broadcast_object_list_empty": lambda lib, d: d.broadcast_object_list([], 0),
    "broadcast_object_list_none": lambda lib, d: d.broadcast_object_list(None, 0),
    "broadcast_object_list_src_out_of_range": lambda lib, d: d.broadcast_object_list([1], 1),
    "scatter_object_list": lambda lib, d: (lambda out: (d.scatter_object_list(out, [{"x": 7}], 0), out))(
        [None, "kept"]),
    "scatter_object_list_empty_output": lambda lib, d: d.scatter_object_list([], [7], 0),
    "scatter_object_list_output_none": lambda lib, d: d.scatter_object_list(None, [7], 0),
    "scatter_object_list_without_input": lambda lib, d: d.scatter_object_list([None], None, 0),
    "scatter_object_list_empty_input": lambda lib, d: d.scatter_object_list([None], [], 0),
    "scatter_object_list_too_many": lambda lib, d: d.scatter_object_list([None], [7, 8], 0),
    "scatter_object_list_src_out_of_range": lambda lib, d: d.scatter_object_list([None], [7], 1),
    # barriers, async_op, availability
    "barrier": lambda lib, d: d.barrier(),
    "monitored_barrier": lambda lib, d: d.monitored_barrier(timeout=datetime.timedelta(seconds=5)),
    "monitored_barrier_all_ranks": lambda lib, d: d.monitored_barrier(wait_all_ranks=True),
    "async_all_reduce_waits": lambda lib, d: d.all_reduce(vector(lib), async_op=True).wait(),
    "async_all_gather_waits": lambda lib, d: d.all_gather(tensors(lib, (2,)), vector(lib), async_op=True).wait(),
    "async_barrier_waits": lambda lib, d: d.barrier(async_op=True).wait(),
    "is_available": lambda lib, d: d.is_available(),
    "is_nccl_available": lambda lib, d: d.is_nccl_available(),
    "node_local_rank_fallback": lambda lib, d: d.get_node_local_rank(fallback_rank=3),
    "node_local_rank_without_launcher": lambda lib, d: d.get_node_local_rank(),
}


def plain(value):
    """Tensors as (dtype name, values), in nested lists and tuples."""
    if isinstance(value, (torch.Tensor, fastgrad.Tensor)):
        return str(value.dtype).rsplit(".", 1)[-1], value.tolist()
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [plain(item) for item in value]
    return value


def outcome(call):
    try:
        return "value", plain(call())
    except Exception as error:  # compared by built-in type: PyTorch raises its own subclasses
        return "error", next(kind for kind in type(error).__mro__ if getattr(builtins, kind.__name__, None) is kind)


@pytest.mark.parametrize("name", sorted(CASES))
def test_as_pytorch_in_a_world_of_one(torch_world_of_one, world_of_one, monkeypatch, name):
    for variable in ("LOCAL_RANK", "MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK"):
        monkeypatch.delenv(variable, raising=False)
    theirs = outcome(lambda: CASES[name](torch, torch_dist))
    ours = outcome(lambda: CASES[name](fastgrad, fastgrad.distributed))
    assert ours == theirs


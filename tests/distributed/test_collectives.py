"""all_reduce, broadcast and the barriers in a world of one: values unchanged, version counters bumped,
arguments checked."""
import numpy as np
import pytest

import fastgrad
import fastgrad.distributed as dist
from fastgrad import nn


def test_all_reduce_and_broadcast_in_a_world_of_one(world_of_one):
    t = fastgrad.tensor([1.0, 2.0])
    version = t._counter.value
    dist.all_reduce(t)
    dist.all_reduce(t, dist.ReduceOp.AVG)
    dist.broadcast(t, src=0)
    dist.barrier()
    np.testing.assert_array_equal(t.detach().numpy(), [1.0, 2.0])
    assert t._counter.value == version + 3


def test_broadcast_parameters_accepts_a_module_a_state_dict_and_tensors(world_of_one):
    layer = nn.Linear(3, 2)
    before = layer.weight.detach().numpy().copy()
    dist.broadcast_parameters(layer)
    dist.broadcast_parameters(layer.state_dict())
    dist.broadcast_parameters([layer.bias])
    np.testing.assert_array_equal(layer.weight.detach().numpy(), before)


def test_bad_arguments_are_named(world_of_one):
    with pytest.raises(TypeError, match="all_reduce: tensor must be a fastgrad.Tensor, got ndarray"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(TypeError, match="all_reduce: op must be a fastgrad.distributed.ReduceOp, got 'sum'"):
        dist.all_reduce(fastgrad.ones(2), "sum")
    with pytest.raises(RuntimeError, match="ReduceOp.AVG needs a floating-point tensor, got dtype int64"):
        dist.all_reduce(fastgrad.tensor([1, 2]), dist.ReduceOp.AVG)
    with pytest.raises(RuntimeError, match="ReduceOp.BAND needs an integer or bool tensor, got dtype float32"):
        dist.all_reduce(fastgrad.ones(2), dist.ReduceOp.BAND)
    with pytest.raises(RuntimeError, match=r"broadcast: src must be a rank in \[0, 0\], got 1"):
        dist.broadcast(fastgrad.ones(2), src=1)
    with pytest.raises(TypeError, match="broadcast: src must be an int rank, got 0.0"):
        dist.broadcast(fastgrad.ones(2), src=0.0)
    with pytest.raises(TypeError, match=r"broadcast_parameters: item 1 must be a fastgrad.Tensor, got list"):
        dist.broadcast_parameters([fastgrad.ones(1), [1.0]])
    with pytest.raises(NotImplementedError, match="all_reduce: group must be None .*no process subgroups"):
        dist.all_reduce(fastgrad.ones(2), group="subgroup")


def test_strided_views_are_reduced_and_broadcast_through(world_of_one):
    base = fastgrad.arange(6.0).reshape(2, 3)
    view = base.transpose(0, 1)
    version = base._version
    dist.all_reduce(view)
    dist.broadcast(view, src=0)
    np.testing.assert_array_equal(base.detach().numpy(), np.arange(6.0).reshape(2, 3))
    assert base._version == version + 2  # the view shares the base's counter


@pytest.mark.parametrize("op, values, expected", [
    (dist.ReduceOp.SUM, [True, False], [True, False]),
    (dist.ReduceOp.BAND, [6, 3], [6, 3]),
    (dist.ReduceOp.BXOR, [6, 3], [6, 3]),
    (dist.ReduceOp.MIN, [2.5, -1.0], [2.5, -1.0]),
])
def test_every_op_leaves_a_world_of_one_unchanged(world_of_one, op, values, expected):
    tensor = fastgrad.tensor(values)
    dist.all_reduce(tensor, op)
    assert tensor.tolist() == expected


def test_async_op_returns_a_completed_work(world_of_one):
    work = dist.all_reduce(fastgrad.ones(2), async_op=True)
    assert isinstance(work, dist.Work) and work.wait() and work.is_completed() and work.is_success()
    assert dist.broadcast(fastgrad.ones(2), 0, async_op=False) is None
    assert dist.barrier(async_op=True).wait()


def test_monitored_barrier_takes_a_timedelta(world_of_one):
    import datetime

    dist.monitored_barrier(timeout=datetime.timedelta(seconds=5))
    dist.monitored_barrier(wait_all_ranks=True)
    with pytest.raises(TypeError, match="monitored_barrier: timeout must be a datetime.timedelta, got 2.5"):
        dist.monitored_barrier(timeout=2.5)
    with pytest.raises(ValueError, match="monitored_barrier: timeout must be positive, got -1 day"):
        dist.monitored_barrier(timeout=datetime.timedelta(seconds=-1))


def test_rank_zero_helpers_in_a_world_of_one(world_of_one, tmp_path, capsys):
    assert dist.is_main_process()
    dist.print_on_main("hello")
    assert capsys.readouterr().out == "hello\n"
    dist.save_on_main({"w": fastgrad.ones(2)}, tmp_path / "c.ckpt")
    np.testing.assert_array_equal(fastgrad.load(tmp_path / "c.ckpt")["w"].detach().numpy(), [1.0, 1.0])

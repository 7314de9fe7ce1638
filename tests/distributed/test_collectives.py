"""Tensor collectives in a world of one: values unchanged, version counters bumped, arguments checked."""
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
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    assert t._counter.value == version + 3


def test_broadcast_parameters_accepts_a_module_a_state_dict_and_tensors(world_of_one):
    layer = nn.Linear(3, 2)
    before = layer.weight.numpy().copy()
    dist.broadcast_parameters(layer)
    dist.broadcast_parameters(layer.state_dict())
    dist.broadcast_parameters([layer.bias])
    np.testing.assert_array_equal(layer.weight.numpy(), before)


def test_bad_arguments_are_named(world_of_one):
    with pytest.raises(TypeError, match="all_reduce: tensor must be a fastgrad.Tensor, got ndarray"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(TypeError, match="all_reduce: op must be a fastgrad.distributed.ReduceOp, got 'sum'"):
        dist.all_reduce(fastgrad.ones(2), "sum")
    with pytest.raises(TypeError, match="ReduceOp.AVG needs a floating-point tensor, got dtype int64"):
        dist.all_reduce(fastgrad.tensor([1, 2]), dist.ReduceOp.AVG)
    with pytest.raises(ValueError, match=r"broadcast: src must be a rank in \[0, 0\], got 1"):
        dist.broadcast(fastgrad.ones(2), src=1)
    with pytest.raises(ValueError, match="must be contiguous"):
        dist.broadcast(fastgrad.ones(2, 3).transpose(0, 1))
    with pytest.raises(TypeError, match=r"broadcast_parameters \(item 1\): tensor must be a fastgrad.Tensor, got list"):
        dist.broadcast_parameters([fastgrad.ones(1), [1.0]])


def test_rank_zero_helpers_in_a_world_of_one(world_of_one, tmp_path, capsys):
    assert dist.is_main_process()
    dist.print_on_main("hello")
    assert capsys.readouterr().out == "hello\n"
    dist.save_on_main({"w": fastgrad.ones(2)}, tmp_path / "c.ckpt")
    np.testing.assert_array_equal(fastgrad.load(tmp_path / "c.ckpt")["w"].numpy(), [1.0, 1.0])

"""Collectives on Tensors with PyTorch's names (`torch.distributed.all_reduce`, `broadcast`, `barrier`),
and `broadcast_parameters` (Horovod's name) to start every rank from rank 0's weights."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from fastgrad.distributed.comm import ReduceOp, group
from fastgrad.tensor import Tensor


def _check_tensor(tensor, function: str) -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{function}: tensor must be a fastgrad.Tensor, got {type(tensor).__name__}")
    if not tensor._data.flags.c_contiguous:
        raise ValueError(f"{function}: tensor must be contiguous (got a strided view of shape {tuple(tensor.shape)}); "
                         "pass tensor.contiguous()")
    return tensor._data


def _changed_in_place(tensor: Tensor) -> None:
    tensor._counter.value += 1  # graphs that saved the old values must refuse to use them


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM) -> None:
    """Replace `tensor` on every rank, in place, by the combination of all ranks' values."""
    array = _check_tensor(tensor, "all_reduce")
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a fastgrad.distributed.ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and array.dtype.kind != "f":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating-point tensor, got dtype {array.dtype}")
    group().allreduce_(array, op)
    _changed_in_place(tensor)


def _check_src(src, function: str) -> int:
    size = group().size
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or not 0 <= src < size:
        raise ValueError(f"{function}: src must be a rank in [0, {size - 1}], got {src!r}")
    return int(src)


def broadcast(tensor: Tensor, src: int = 0) -> None:
    """Overwrite `tensor` on every rank, in place, with rank `src`'s values."""
    array = _check_tensor(tensor, "broadcast")
    group().broadcast_(array, _check_src(src, "broadcast"))
    _changed_in_place(tensor)


def barrier() -> None:
    """Return once every rank has called barrier()."""
    group().barrier()


def broadcast_parameters(model_or_tensors, src: int = 0) -> None:
    """Give every rank rank `src`'s parameters and buffers: a Module, a state dict, or Tensors."""
    from fastgrad.nn.modules.module import Module

    if isinstance(model_or_tensors, Module):
        tensors: Iterable = list(model_or_tensors.parameters()) + list(model_or_tensors.buffers())
    elif isinstance(model_or_tensors, dict):
        tensors = model_or_tensors.values()
    else:
        tensors = model_or_tensors
    src = _check_src(src, "broadcast_parameters")
    for index, tensor in enumerate(tensors):
        group().broadcast_(_check_tensor(tensor, f"broadcast_parameters (item {index})"), src)
        _changed_in_place(tensor)

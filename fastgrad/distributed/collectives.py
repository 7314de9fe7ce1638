"""Collectives on Tensors with PyTorch's names (`torch.distributed.all_reduce`, `broadcast`, `barrier`,
`monitored_barrier`), `broadcast_parameters` (Horovod's name) to start every rank from rank 0's weights,
and the argument checks the other collective modules share.

Every collective blocks until it is complete. `async_op=True` is accepted and returns a `Work` that is
already complete, so code that waits on it runs unchanged (without overlap). `group` must be None or
the default group: there are no process subgroups."""
from __future__ import annotations

import datetime
from typing import Iterable

import numpy as np

from fastgrad.autograd.grad_mode import GRAD_MODE
from fastgrad.distributed import comm
from fastgrad.distributed.process_group import ProcessGroup, ReduceOp
from fastgrad.tensor import Tensor

_DTYPE_NAMES = {np.dtype(name).num: name for name in
                ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")}


class Work:
    """What a collective called with `async_op=True` returns: fastgrad's collectives block until they are
    done, so the work is complete and `wait()` returns True at once."""

    def wait(self, timeout: datetime.timedelta | None = None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True

    def is_success(self) -> bool:
        return True


def completed(async_op: bool) -> Work | None:
    return Work() if async_op else None


def default_group(group, function: str) -> ProcessGroup:
    """The default group, which is all `group` may name."""
    default = comm.group()
    if group is not None and group is not default:
        raise NotImplementedError(f"{function}: group must be None (the default group); fastgrad has no process "
                                  f"subgroups, got {group!r}")
    return default


def check_tensor(tensor, name: str, function: str) -> np.ndarray:
    """The tensor's array (a strided view included)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{function}: {name} must be a fastgrad.Tensor, got {type(tensor).__name__}")
    return tensor._data


def check_tensor_list(tensors, name: str, function: str) -> list[np.ndarray]:
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{function}: {name} must be a list of fastgrad.Tensor, got {type(tensors).__name__}")
    return [check_tensor(tensor, f"{name}[{index}]", function) for index, tensor in enumerate(tensors)]


def check_output(tensor: Tensor, name: str, function: str) -> None:
    """A tensor a collective copies its result into must not require grad while grad mode is on: PyTorch
    refuses the copy into a leaf, and the write is not recorded (a non-leaf would keep a history that no
    longer made its values)."""
    if GRAD_MODE.enabled and tensor._requires_grad:
        raise RuntimeError(f"{function}: {name} requires grad, and the collective writes into it in place; pass a "
                           "tensor that does not require grad, or call it under fastgrad.no_grad()")


def check_dtypes(arrays: list[np.ndarray], names: list[str], function: str, error: type = ValueError) -> None:
    """All of `arrays` have the first one's dtype (PyTorch raises ValueError, or RuntimeError for the
    single-tensor forms, when they differ)."""
    for array, name in zip(arrays[1:], names[1:]):
        if array.dtype != arrays[0].dtype:
            raise error(f"{function}: {name} must have {names[0]}'s dtype {arrays[0].dtype}, got {array.dtype}")


def check_length(tensors: list, name: str, function: str, size: int) -> None:
    if len(tensors) != size:
        raise RuntimeError(f"{function}: {name} must hold one tensor per rank ({size}), got {len(tensors)}")


def check_shape(array: np.ndarray, expected: tuple, name: str, function: str) -> None:
    if array.shape != tuple(expected):
        raise RuntimeError(f"{function}: {name} must have shape {tuple(expected)}, got {array.shape}")


def contiguous(array: np.ndarray) -> np.ndarray:
    """The array itself when contiguous, else a contiguous copy (np.ascontiguousarray would make a 0-d array 1-d)."""
    return array if array.flags.c_contiguous else array.copy(order="C")


def write(tensor: Tensor, values: np.ndarray) -> None:
    """Put a collective's result into `tensor` (its own memory, or through a strided view) and bump its
    version counter: graphs that saved the old values must refuse to use them."""
    if values is not tensor._data:
        np.copyto(tensor._data, values.reshape(tensor._data.shape))
    tensor._counter.value += 1


def check_rank(rank, name: str, function: str, size: int, default: int | None = None) -> int:
    if rank is None:
        if default is None:
            raise ValueError(f"{function}: {name} must be given (a rank in [0, {size - 1}])")
        rank = default
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)):
        raise TypeError(f"{function}: {name} must be an int rank, got {rank!r}")
    if not 0 <= rank < size:  # (PyTorch's backends raise RuntimeError for a rank out of range)
        raise RuntimeError(f"{function}: {name} must be a rank in [0, {size - 1}], got {rank!r}")
    return int(rank)


def check_op(op, function: str, dtype: np.dtype) -> ReduceOp:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{function}: op must be a fastgrad.distributed.ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and dtype.kind != "f":  # PyTorch cannot cast the mean back to an integer tensor
        raise RuntimeError(f"{function}: ReduceOp.AVG needs a floating-point tensor, got dtype {dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.kind not in "biu":
        raise RuntimeError(f"{function}: ReduceOp.{op.name} needs an integer or bool tensor, got dtype {dtype}")
    return op


def check_ranks_agree(process_group: ProcessGroup, function: str, dtype: np.dtype, nbytes: int) -> None:
    """Every rank passes the same dtype and size, or every rank raises: MPI given mismatched buffers could
    leave some of them partly written."""
    rows = process_group.agree(np.array([dtype.num, nbytes]))
    differs = np.flatnonzero((rows != rows[0]).any(axis=1))
    if differs.size:
        other = rows[differs[0]]
        raise RuntimeError(f"{function}: every rank must pass tensors of the same dtype and size: rank 0 has "
                           f"{rows[0, 1]} bytes of {_DTYPE_NAMES.get(rows[0, 0], rows[0, 0])}, rank {differs[0]} has "
                           f"{other[1]} bytes of {_DTYPE_NAMES.get(other[0], other[0])}")


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False) -> Work | None:
    """Replace `tensor` on every rank, in place, by the combination of all ranks' values."""
    array = check_tensor(tensor, "tensor", "all_reduce")
    check_op(op, "all_reduce", array.dtype)
    world = default_group(group, "all_reduce")
    check_ranks_agree(world, "all_reduce", array.dtype, array.nbytes)
    buffer = contiguous(array)
    world.allreduce_(buffer, op)
    write(tensor, buffer)
    return completed(async_op)


def broadcast(tensor: Tensor, src: int | None = None, group=None, async_op: bool = False,
              group_src: int | None = None) -> Work | None:
    """Overwrite `tensor` on every rank, in place, with rank `src`'s values. As in PyTorch 2.13, `src` (or
    `group_src`, the same rank here: there is one group) must be given."""
    if (src is None) == (group_src is None):
        raise ValueError("broadcast: give the source rank as src or as group_src (one of them, as PyTorch 2.13 "
                         f"requires), got src={src!r} and group_src={group_src!r}")
    src = src if group_src is None else group_src
    array = check_tensor(tensor, "tensor", "broadcast")
    world = default_group(group, "broadcast")
    src = check_rank(src, "src", "broadcast", world.size)
    check_ranks_agree(world, "broadcast", array.dtype, array.nbytes)
    buffer = contiguous(array)
    world.broadcast_(buffer, src)
    write(tensor, buffer)
    return completed(async_op)


def barrier(group=None, async_op: bool = False, device_ids=None) -> Work | None:
    """Return once every rank has called barrier()."""
    default_group(group, "barrier").barrier()
    return completed(async_op)


def monitored_barrier(group=None, timeout: datetime.timedelta | None = None, wait_all_ranks: bool = False) -> None:
    """A barrier bounded by `timeout` (a timedelta; the group's collective timeout when None): past it,
    CollectiveTimeout (a RuntimeError, as PyTorch raises). Unlike PyTorch it cannot tell which ranks are
    missing, so `wait_all_ranks` changes nothing."""
    if timeout is not None:
        if not isinstance(timeout, datetime.timedelta):
            raise TypeError(f"monitored_barrier: timeout must be a datetime.timedelta, got {timeout!r}")
        if timeout.total_seconds() <= 0:
            raise ValueError(f"monitored_barrier: timeout must be positive, got {timeout}")
    seconds = None if timeout is None else timeout.total_seconds()
    default_group(group, "monitored_barrier").barrier(timeout=seconds)


def broadcast_parameters(model_or_tensors, src: int = 0) -> None:
    """Give every rank rank `src`'s parameters and buffers: a Module, a state dict, or Tensors."""
    from fastgrad.nn.modules.module import Module

    if isinstance(model_or_tensors, Module):
        tensors: Iterable = list(model_or_tensors.parameters()) + list(model_or_tensors.buffers())
    elif isinstance(model_or_tensors, dict):
        tensors = model_or_tensors.values()
    else:
        tensors = model_or_tensors
    world = comm.group()
    src = check_rank(src, "src", "broadcast_parameters", world.size)
    for index, tensor in enumerate(tensors):
        buffer = contiguous(check_tensor(tensor, f"item {index}", "broadcast_parameters"))
        world.broadcast_(buffer, src)
        write(tensor, buffer)

"""The collectives that gather, scatter or reduce pieces of tensors, with PyTorch's names, arguments and
checks: `all_gather`, `all_gather_into_tensor`, `gather`, `scatter`, `reduce`, `reduce_scatter` and
`reduce_scatter_tensor`. Results are written into the given tensors (strided views included), whose
version counters are bumped; a tensor a rank only sends is never written. Before moving data every rank
checks that all ranks pass the same dtype and size, and all raise together when they do not."""
from __future__ import annotations

import numpy as np

from fastgrad.distributed.collectives import (Work, check_dtypes, check_length, check_op, check_output, check_rank,
                                              check_ranks_agree, check_shape, check_tensor, check_tensor_list,
                                              completed, contiguous, default_group, write)
from fastgrad.distributed.process_group import ReduceOp
from fastgrad.tensor import Tensor


def _write_pieces(tensors: list[Tensor], pieces: np.ndarray) -> None:
    for tensor, piece in zip(tensors, pieces):
        write(tensor, piece)


def _check_pieces(arrays: list[np.ndarray], name: str, own: np.ndarray, own_name: str, function: str,
                  size: int) -> None:
    """`arrays` (the list argument `name`) hold one tensor per rank, each of `own`'s dtype and shape."""
    check_dtypes([own] + arrays, [own_name] + [f"{name}[{index}]" for index in range(len(arrays))], function)
    check_length(arrays, name, function, size)
    for index, array in enumerate(arrays):
        check_shape(array, own.shape, f"{name}[{index}]", function)


def _check_concatenation(whole: np.ndarray, whole_name: str, piece: np.ndarray, piece_name: str, function: str,
                         size: int) -> None:
    """`whole` is one `piece` per rank concatenated along dimension 0."""
    check_dtypes([whole, piece], [whole_name, piece_name], function, RuntimeError)
    if piece.ndim == 0:
        raise RuntimeError(f"{function}: {piece_name} must have at least one dimension, got a 0-d tensor")
    check_shape(whole, (size * piece.shape[0],) + piece.shape[1:], whole_name, function)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group=None, async_op: bool = False) -> Work | None:
    """Every rank's `tensor`, in rank order, into `tensor_list` (one tensor of its shape and dtype per rank)."""
    outputs = check_tensor_list(tensor_list, "tensor_list", "all_gather")
    array = check_tensor(tensor, "tensor", "all_gather")
    world = default_group(group, "all_gather")
    _check_pieces(outputs, "tensor_list", array, "tensor", "all_gather", world.size)
    for index, output in enumerate(tensor_list):
        check_output(output, f"tensor_list[{index}]", "all_gather")
    check_ranks_agree(world, "all_gather", array.dtype, array.nbytes)
    gathered = world.allgather_(contiguous(array), np.empty((world.size,) + array.shape, array.dtype))
    _write_pieces(tensor_list, gathered)
    return completed(async_op)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None,
                           async_op: bool = False) -> Work | None:
    """Every rank's `input_tensor`, in rank order, concatenated along dimension 0 into `output_tensor`."""
    output = check_tensor(output_tensor, "output_tensor", "all_gather_into_tensor")
    array = check_tensor(input_tensor, "input_tensor", "all_gather_into_tensor")
    world = default_group(group, "all_gather_into_tensor")
    _check_concatenation(output, "output_tensor", array, "input_tensor", "all_gather_into_tensor", world.size)
    check_output(output_tensor, "output_tensor", "all_gather_into_tensor")
    check_ranks_agree(world, "all_gather_into_tensor", array.dtype, array.nbytes)
    gathered = world.allgather_(contiguous(array), contiguous(output))
    write(output_tensor, gathered)
    return completed(async_op)


def reduce(tensor: Tensor, dst: int | None = None, op: ReduceOp = ReduceOp.SUM, group=None,
           async_op: bool = False) -> Work | None:
    """Combine every rank's `tensor` into rank `dst`'s, in place; the other ranks' tensors keep their values."""
    array = check_tensor(tensor, "tensor", "reduce")
    world = default_group(group, "reduce")
    dst = check_rank(dst, "dst", "reduce", world.size)
    check_op(op, "reduce", array.dtype)
    check_ranks_agree(world, "reduce", array.dtype, array.nbytes)
    buffer = world.reduce_(contiguous(array), op, dst)
    if world.rank == dst:
        write(tensor, buffer)
    return completed(async_op)


def _check_root_list(tensors, name: str, own: np.ndarray, own_name: str, function: str, world, root: int,
                     root_name: str) -> list[np.ndarray] | None:
    """The list argument only the root rank gives (PyTorch: it must be given there and nowhere else)."""
    if world.rank != root:
        if tensors:
            raise ValueError(f"{function}: {name} must be None on ranks other than {root_name}={root} (this is "
                             f"rank {world.rank}), got {len(tensors)} tensors")
        return None
    if tensors is None or (isinstance(tensors, (list, tuple)) and not tensors):
        raise ValueError(f"{function}: {name} must be given on rank {root_name}={root} (one tensor per rank)")
    arrays = check_tensor_list(tensors, name, function)
    _check_pieces(arrays, name, own, own_name, function, world.size)
    return arrays


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int | None = None, group=None,
           async_op: bool = False) -> Work | None:
    """Every rank's `tensor`, in rank order, into rank `dst`'s `gather_list` (None on the other ranks);
    `dst` defaults to 0 (as PyTorch's)."""
    array = check_tensor(tensor, "tensor", "gather")
    world = default_group(group, "gather")
    dst = 0 if dst is None else dst
    outputs = _check_root_list(gather_list, "gather_list", array, "tensor", "gather", world, dst, "dst")
    dst = check_rank(dst, "dst", "gather", world.size)  # (after the list, as PyTorch checks)
    if outputs is not None:
        for index, output in enumerate(gather_list):
            check_output(output, f"gather_list[{index}]", "gather")
    check_ranks_agree(world, "gather", array.dtype, array.nbytes)
    gathered = np.empty((world.size,) + array.shape, array.dtype) if outputs is not None else None
    world.gather_(contiguous(array), gathered, dst)
    if outputs is not None:
        _write_pieces(gather_list, gathered)
    return completed(async_op)


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int | None = None, group=None,
            async_op: bool = False) -> Work | None:
    """Rank `src`'s `scatter_list[r]` into rank r's `tensor` (`scatter_list` is None on the other ranks);
    `src` defaults to 0 (as PyTorch's)."""
    array = check_tensor(tensor, "tensor", "scatter")
    world = default_group(group, "scatter")
    src = 0 if src is None else src
    inputs = _check_root_list(scatter_list, "scatter_list", array, "tensor", "scatter", world, src, "src")
    src = check_rank(src, "src", "scatter", world.size)  # (after the list, as PyTorch checks)
    check_ranks_agree(world, "scatter", array.dtype, array.nbytes)
    received = contiguous(array)
    world.scatter_(np.stack(inputs) if inputs is not None else None, received, src)
    write(tensor, received)
    return completed(async_op)


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: ReduceOp = ReduceOp.SUM, group=None,
                   async_op: bool = False) -> Work | None:
    """`input_list[r]` combined over every rank into rank r's `output`."""
    array = check_tensor(output, "output", "reduce_scatter")
    inputs = check_tensor_list(input_list, "input_list", "reduce_scatter")
    world = default_group(group, "reduce_scatter")
    _check_pieces(inputs, "input_list", array, "output", "reduce_scatter", world.size)
    check_output(output, "output", "reduce_scatter")
    check_op(op, "reduce_scatter", array.dtype)
    check_ranks_agree(world, "reduce_scatter", array.dtype, array.nbytes)
    write(output, world.reduce_scatter_(np.stack(inputs), contiguous(array), op))
    return completed(async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = ReduceOp.SUM, group=None,
                          async_op: bool = False) -> Work | None:
    """Piece r of `input` (split along dimension 0 into one piece per rank) combined over every rank into
    rank r's `output`."""
    array = check_tensor(output, "output", "reduce_scatter_tensor")
    whole = check_tensor(input, "input", "reduce_scatter_tensor")
    world = default_group(group, "reduce_scatter_tensor")
    _check_concatenation(whole, "input", array, "output", "reduce_scatter_tensor", world.size)
    check_output(output, "output", "reduce_scatter_tensor")
    check_op(op, "reduce_scatter_tensor", array.dtype)
    check_ranks_agree(world, "reduce_scatter_tensor", array.dtype, array.nbytes)
    write(output, world.reduce_scatter_(contiguous(whole), contiguous(array), op))
    return completed(async_op)


# torch 2.13's newer names for the same two collectives
all_gather_single = all_gather_into_tensor
reduce_scatter_single = reduce_scatter_tensor

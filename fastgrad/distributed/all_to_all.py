"""`all_to_all_single` and `all_to_all` with PyTorch's names and arguments: every rank sends a piece of
its input to every rank. Pieces may differ in size (as with PyTorch's NCCL and MPI backends; its gloo
backend wants equal pieces): before moving data the ranks compare what each sends with what each
expects, and all raise together when they disagree."""
from __future__ import annotations

import numpy as np

from fastgrad.distributed.collectives import (Work, check_dtypes, check_length, check_output, check_tensor,
                                              check_tensor_list, completed, contiguous, default_group, write)
from fastgrad.distributed.process_group import ProcessGroup
from fastgrad.tensor import Tensor


def _split_counts(array: np.ndarray, split_sizes, name: str, function: str, size: int) -> np.ndarray:
    """How many elements of `array` go to (or come from) each rank: `split_sizes` rows of dimension 0,
    or equal parts when it is None or empty."""
    if array.ndim == 0:
        raise RuntimeError(f"{function}: {name} must have at least one dimension, got a 0-d tensor")
    row = int(np.prod(array.shape[1:], dtype=np.int64))
    if split_sizes is None or len(split_sizes) == 0:
        if array.shape[0] % size:  # (PyTorch's gloo backend then leaves part of the output unwritten)
            raise RuntimeError(f"{function}: {name}'s dimension 0 ({array.shape[0]}) must divide into {size} equal "
                               f"parts, or give {name}_split_sizes")
        return np.full(size, array.shape[0] // size * row, dtype=np.int64)
    splits = list(split_sizes)
    if len(splits) != size:
        raise RuntimeError(f"{function}: {name}_split_sizes must hold one size per rank ({size}), got {len(splits)}")
    for split in splits:
        if isinstance(split, bool) or not isinstance(split, (int, np.integer)) or split < 0:
            raise RuntimeError(f"{function}: {name}_split_sizes must be non-negative ints, got {splits}")
    if sum(splits) != array.shape[0]:
        raise RuntimeError(f"{function}: {name}_split_sizes {splits} must add up to {name}'s dimension 0, "
                           f"{array.shape[0]}")
    return np.array(splits, dtype=np.int64) * row


def _exchange(world: ProcessGroup, function: str, send: np.ndarray, send_counts: np.ndarray,
              receive: np.ndarray, receive_counts: np.ndarray) -> None:
    """Piece j of `send` (`send_counts` elements each) to every rank j, once every rank has checked that
    each rank expects what the others send."""
    rows = world.agree(np.concatenate([[send.dtype.num], send_counts, receive_counts]))
    if (rows[:, 0] != rows[0, 0]).any():
        raise RuntimeError(f"{function}: every rank must pass tensors of one dtype; they differ between ranks")
    sends, expects = rows[:, 1:1 + world.size], rows[:, 1 + world.size:]
    mismatches = np.argwhere(sends != expects.T)
    if mismatches.size:
        source, target = mismatches[0]
        raise RuntimeError(f"{function}: rank {source} sends {sends[source, target]} elements to rank {target}, "
                           f"which expects {expects[target, source]}")
    world.alltoallv_(send, send_counts * send.itemsize, receive, receive_counts * receive.itemsize)


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes: list[int] | None = None,
                      input_split_sizes: list[int] | None = None, group=None, async_op: bool = False) -> Work | None:
    """Split `input` along dimension 0 (into `input_split_sizes` rows, or equal parts) and send part j to
    rank j; `output` receives, in rank order, the part each rank sent here (`output_split_sizes`)."""
    function = "all_to_all_single"
    received, sent = check_tensor(output, "output", function), check_tensor(input, "input", function)
    world = default_group(group, function)
    check_dtypes([sent, received], ["input", "output"], function)
    send_counts = _split_counts(sent, input_split_sizes, "input", function, world.size)
    receive_counts = _split_counts(received, output_split_sizes, "output", function, world.size)
    buffer = contiguous(received)
    _exchange(world, function, contiguous(sent), send_counts, buffer, receive_counts)
    write(output, buffer)
    return completed(async_op)


def all_to_all(output_tensor_list: list[Tensor], input_tensor_list: list[Tensor], group=None,
               async_op: bool = False) -> Work | None:
    """`input_tensor_list[j]` to rank j; `output_tensor_list[i]` receives what rank i sent here."""
    function = "all_to_all"
    outputs = check_tensor_list(output_tensor_list, "output_tensor_list", function)
    inputs = check_tensor_list(input_tensor_list, "input_tensor_list", function)
    world = default_group(group, function)
    check_length(inputs, "input_tensor_list", function, world.size)
    check_length(outputs, "output_tensor_list", function, world.size)
    names = [f"input_tensor_list[{j}]" for j in range(len(inputs))] + [
        f"output_tensor_list[{i}]" for i in range(len(outputs))]
    check_dtypes(inputs + outputs, names, function)
    for index, output in enumerate(output_tensor_list):
        check_output(output, f"output_tensor_list[{index}]", function)
    send = np.concatenate([array.reshape(-1) for array in inputs])
    receive_counts = np.array([array.size for array in outputs], dtype=np.int64)
    receive = np.empty(int(receive_counts.sum()), dtype=send.dtype)
    _exchange(world, function, send, np.array([array.size for array in inputs], dtype=np.int64), receive,
              receive_counts)
    for tensor, piece in zip(output_tensor_list, np.split(receive, np.cumsum(receive_counts)[:-1])):
        write(tensor, piece)
    return completed(async_op)

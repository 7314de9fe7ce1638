"""Collectives on picklable Python objects, with PyTorch's names and arguments: `all_gather_object`,
`gather_object`, `broadcast_object_list` and `scatter_object_list`.

As PyTorch's, they pickle: an object is turned into bytes with `pickle` on the rank that sends it and
rebuilt with `pickle.loads` on the ranks that receive it, and unpickling can run any code the sender
chose. They only ever exchange bytes between the ranks of this job (nothing is read from disk), so use
them only between processes you trust as much as your own. Each is bounded by the collective timeout.
"""
from __future__ import annotations

import pickle
from typing import Any

import numpy as np

from fastgrad.distributed.collectives import check_rank, default_group


def _to_bytes(obj: Any) -> np.ndarray:
    return np.frombuffer(bytearray(pickle.dumps(obj)), dtype=np.uint8)  # (a bytearray's buffer is writable)


def _from_bytes(data: np.ndarray) -> Any:
    return pickle.loads(data.tobytes())


def _check_list(objects, name: str, function: str, least: int) -> None:
    if not isinstance(objects, list):
        raise TypeError(f"{function}: {name} must be a list, got {type(objects).__name__}")
    if len(objects) < least:
        raise IndexError(f"{function}: {name} must have room for {least} objects (one per rank), got {len(objects)}")


def all_gather_object(object_list: list, obj: Any, group=None) -> None:
    """Every rank's `obj`, in rank order, into the first world-size entries of `object_list`."""
    world = default_group(group, "all_gather_object")
    _check_list(object_list, "object_list", "all_gather_object", world.size)
    data, counts = world.allgather_rows(_to_bytes(obj))
    for rank, piece in enumerate(np.split(data, np.cumsum(counts)[:-1])):
        object_list[rank] = _from_bytes(piece)


def gather_object(obj: Any, object_gather_list: list | None = None, dst: int | None = None, group=None) -> None:
    """Every rank's `obj`, in rank order, into rank `dst`'s `object_gather_list` (None on the other
    ranks); `dst` defaults to 0 (as PyTorch's)."""
    world = default_group(group, "gather_object")
    dst = 0 if dst is None else dst
    if world.rank == dst:
        if not object_gather_list:
            raise ValueError(f"gather_object: object_gather_list must be given on rank dst={dst} (one entry per rank)")
        _check_list(object_gather_list, "object_gather_list", "gather_object", world.size)
    elif object_gather_list:
        raise ValueError(f"gather_object: object_gather_list must be None on ranks other than dst={dst} (this is "
                         f"rank {world.rank})")
    dst = check_rank(dst, "dst", "gather_object", world.size)  # (after the list, as PyTorch checks)
    pieces = world.gather_bytes(_to_bytes(obj), dst)
    if pieces is not None:
        for rank, piece in enumerate(pieces):
            object_gather_list[rank] = _from_bytes(piece)


def broadcast_object_list(object_list: list, src: int | None = None, group=None, device=None) -> None:
    """Replace the entries of `object_list` on every rank by rank `src`'s (the lists have the same length
    everywhere); `src` defaults to 0 (as PyTorch's)."""
    world = default_group(group, "broadcast_object_list")
    src = check_rank(src, "src", "broadcast_object_list", world.size, default=0)
    if device is not None and str(device) != "cpu":
        raise ValueError(f"broadcast_object_list: device must be None or 'cpu', got {device!r}")
    if not isinstance(object_list, (list, tuple)):
        raise TypeError(f"broadcast_object_list: object_list must be a list, got {type(object_list).__name__}")
    if len(object_list) == 0:
        raise ValueError("broadcast_object_list: object_list must not be empty")
    data = _to_bytes(list(object_list)) if world.rank == src else None
    size = np.array([data.size if data is not None else 0], dtype=np.int64)
    world.broadcast_(size, src)
    data = world.broadcast_(data if data is not None else np.empty(int(size[0]), dtype=np.uint8), src)
    if world.rank != src:
        objects = _from_bytes(data)
        if len(objects) != len(object_list):
            raise ValueError(f"broadcast_object_list: rank {src} sent {len(objects)} objects, but object_list on "
                             f"rank {world.rank} has {len(object_list)} entries")
        for index, obj in enumerate(objects):
            object_list[index] = obj


def scatter_object_list(scatter_object_output_list: list, scatter_object_input_list: list | None = None,
                        src: int | None = None, group=None) -> None:
    """Rank `src`'s `scatter_object_input_list[r]` into `scatter_object_output_list[0]` on rank r (the
    input list is ignored on the other ranks); `src` defaults to 0 (as PyTorch's)."""
    function = "scatter_object_list"
    world = default_group(group, function)
    if not isinstance(scatter_object_output_list, list) or not scatter_object_output_list:
        raise ValueError(f"{function}: scatter_object_output_list must be a list of at least 1 entry, got "
                         f"{scatter_object_output_list!r}")
    src = check_rank(src, "src", function, world.size, default=0)
    pieces = None
    if world.rank == src:
        if not scatter_object_input_list:
            raise ValueError(f"{function}: scatter_object_input_list must be given on rank src={src}")
        if len(scatter_object_input_list) != world.size:
            raise RuntimeError(f"{function}: scatter_object_input_list must hold one object per rank ({world.size}), "
                               f"got {len(scatter_object_input_list)}")
        pieces = [_to_bytes(obj) for obj in scatter_object_input_list]
    scatter_object_output_list[0] = _from_bytes(world.scatter_bytes(pieces, src))

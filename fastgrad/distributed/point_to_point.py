"""Blocking point-to-point messages with PyTorch's names: `send` and `recv`, matched by tag."""
from __future__ import annotations

from fastgrad.distributed.collectives import check_rank, check_tensor, contiguous, default_group, write
from fastgrad.tensor import Tensor


def _check_tag(tag, function: str, largest: int) -> int:
    if isinstance(tag, bool) or not isinstance(tag, int) or not 0 <= tag <= largest:
        raise ValueError(f"{function}: tag must be an int in [0, {largest}], got {tag!r}")
    return tag


def send(tensor: Tensor, dst: int | None = None, group=None, tag: int = 0) -> None:
    """Send `tensor` to rank `dst`, whose `recv` with the same tag receives it; returns once it is sent."""
    array = check_tensor(tensor, "tensor", "send")
    world = default_group(group, "send")
    dst = check_rank(dst, "dst", "send", world.size)
    if dst == world.rank:
        raise ValueError(f"send: dst must be another rank than this one, got {dst}")
    world.send_(contiguous(array), dst, _check_tag(tag, "send", world.largest_tag()))


def recv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0) -> int:
    """Receive into `tensor` what rank `src` (any other rank when None) sent with this tag; returns the
    sender's rank. The message must be exactly the tensor's size in bytes; its dtype is not checked."""
    array = check_tensor(tensor, "tensor", "recv")
    world = default_group(group, "recv")
    if src is None:
        if world.size == 1:  # nothing could ever arrive
            raise RuntimeError("recv: src=None receives from any other rank, but this process is a world of one")
    else:
        src = check_rank(src, "src", "recv", world.size)
        if src == world.rank:
            raise RuntimeError(f"recv: src must be another rank than this one, got {src}")
    buffer = contiguous(array)
    sender = world.recv_(buffer, src, _check_tag(tag, "recv", world.largest_tag()))
    write(tensor, buffer)
    return sender

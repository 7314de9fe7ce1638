"""send and recv in a world of one, where there is no other rank to talk to: every call raises at once
(PyTorch's gloo backend raises for some and waits forever for others). Messages between 2 ranks, by tag
and from any rank, are in test_collectives_mpi.py."""
import pytest

import fastgrad
import fastgrad.distributed as dist


@pytest.mark.parametrize("call, error, message", [
    (lambda: dist.send(fastgrad.ones(2), 0), ValueError, "send: dst must be another rank than this one, got 0"),
    (lambda: dist.send(fastgrad.ones(2), 1), RuntimeError, r"send: dst must be a rank in \[0, 0\], got 1"),
    (lambda: dist.send(fastgrad.ones(2)), ValueError, r"send: dst must be given \(a rank in \[0, 0\]\)"),
    (lambda: dist.send([1.0], 0), TypeError, "send: tensor must be a fastgrad.Tensor, got list"),
    (lambda: dist.recv(fastgrad.ones(2), 0), RuntimeError, "recv: src must be another rank than this one, got 0"),
    (lambda: dist.recv(fastgrad.ones(2), 1), RuntimeError, r"recv: src must be a rank in \[0, 0\], got 1"),
    (lambda: dist.recv(fastgrad.ones(2)), RuntimeError, "recv: src=None receives from any other rank, but this "
                                                         "process is a world of one"),
])
def test_a_world_of_one_has_no_peer(world_of_one, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_bad_tag_is_named_before_anything_is_sent(monkeypatch):
    class TwoRanks(dist.ProcessGroup):
        def largest_tag(self):
            return 32767

    monkeypatch.setattr(dist.comm, "_GROUP", TwoRanks(0, 2, timeout=1.0))
    with pytest.raises(ValueError, match=r"send: tag must be an int in \[0, 32767\], got -1"):
        dist.send(fastgrad.ones(2), 1, tag=-1)
    with pytest.raises(ValueError, match=r"recv: tag must be an int in \[0, 32767\], got '5'"):
        dist.recv(fastgrad.ones(2), 1, tag="5")

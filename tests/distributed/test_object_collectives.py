"""The object collectives in a world of one: objects come back through pickle (a copy, not the object),
lists are checked as PyTorch checks them. The 2-rank exchanges are in test_collectives_mpi.py."""
import pytest

import fastgrad.distributed as dist


def test_objects_come_back_as_pickled_copies(world_of_one):
    original = {"weights": [1.0, 2.0], "name": "run"}
    gathered = [None, "kept"]
    dist.all_gather_object(gathered, original)
    assert gathered == [original, "kept"] and gathered[0] is not original
    into = [None]
    dist.gather_object(original, into)
    assert into == [original] and into[0] is not original
    objects = [original, 3]
    dist.broadcast_object_list(objects, src=0)
    assert objects == [original, 3]
    received = [None, "kept"]
    dist.scatter_object_list(received, [("a", 1)])
    assert received == [("a", 1), "kept"]


@pytest.mark.parametrize("call, error, message", [
    (lambda: dist.all_gather_object([], 1), IndexError,
     r"all_gather_object: object_list must have room for 1 objects \(one per rank\), got 0"),
    (lambda: dist.all_gather_object(None, 1), TypeError,
     "all_gather_object: object_list must be a list, got NoneType"),
    (lambda: dist.all_gather_object([None], lambda: 1), AttributeError, "pickle"),
    (lambda: dist.gather_object(1, None, 0), ValueError,
     "gather_object: object_gather_list must be given on rank dst=0"),
    (lambda: dist.gather_object(1, [None], 1), ValueError,  # (the list first, as PyTorch)
     "gather_object: object_gather_list must be None on ranks other than dst=1"),
    (lambda: dist.gather_object(1, None, 1), RuntimeError, r"gather_object: dst must be a rank in \[0, 0\], got 1"),
    (lambda: dist.broadcast_object_list(None), TypeError, "broadcast_object_list: object_list must be a list, got "
                                                           "NoneType"),
    (lambda: dist.scatter_object_list([None], []), ValueError,
     "scatter_object_list: scatter_object_input_list must be given on rank src=0"),
    (lambda: dist.broadcast_object_list([], 0), ValueError, "broadcast_object_list: object_list must not be empty"),
    (lambda: dist.broadcast_object_list([1], 1), RuntimeError,
     r"broadcast_object_list: src must be a rank in \[0, 0\]"),
    (lambda: dist.broadcast_object_list([1], 0, device="cuda"), ValueError,
     "broadcast_object_list: device must be None or 'cpu', got 'cuda'"),
    (lambda: dist.scatter_object_list([], [1]), ValueError,
     "scatter_object_list: scatter_object_output_list must be a list of at least 1 entry, got \\[\\]"),
    (lambda: dist.scatter_object_list([None], None), ValueError,
     "scatter_object_list: scatter_object_input_list must be given on rank src=0"),
    (lambda: dist.scatter_object_list([None], [1, 2]), RuntimeError,
     r"scatter_object_list: scatter_object_input_list must hold one object per rank \(1\), got 2"),
])
def test_bad_arguments_are_named(world_of_one, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_only_the_destination_gives_the_list(monkeypatch):
    monkeypatch.setattr(dist.comm, "_GROUP", dist.ProcessGroup(1, 2, timeout=1.0))
    with pytest.raises(ValueError, match=r"gather_object: object_gather_list must be None on ranks other than dst=0 "
                                         r"\(this is rank 1\)"):
        dist.gather_object(1, [None, None], dst=0)

"""fastgrad.kernels.checks: arrays that already passed a check are not scanned again, and nothing else is
trusted."""
import gc

import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F
from fastgrad.kernels import checks


@pytest.fixture
def scans(monkeypatch):
    """Counts the index scans of the checks (each IndexError-raising pass over ids or offsets)."""
    counted = {"ids": 0, "offsets": 0}

    def count(key, scan):
        def counting(*args):
            counted[key] += 1
            return scan(*args)
        return counting

    monkeypatch.setattr(checks, "_first_invalid", count("ids", checks._first_invalid))
    monkeypatch.setattr(checks, "first_out_of_order", count("offsets", checks.first_out_of_order))
    monkeypatch.setattr(F, "first_out_of_order", checks.first_out_of_order)  # F's own offsets check
    return counted


def test_a_marked_array_passes_its_claim_without_a_scan(scans):
    ids = checks.mark_passed(np.array([0, 3, 9]), ("index", 10, None))
    assert checks.index_array("ids", ids, 10) is ids
    assert scans["ids"] == 0


def test_a_marked_array_is_scanned_for_any_other_claim(scans):
    ids = checks.mark_passed(np.array([0, 3, 9]), ("index", 10, None))
    with pytest.raises(IndexError, match="index 9 at position 2 is out of range"):
        checks.index_array("ids", ids, 5)
    offsets = checks.mark_passed(np.array([0, 2]), ("offsets", 4))
    with pytest.raises(IndexError, match="last offset 2 is past the end of ids"):
        checks.offsets_array(offsets, 1)


def test_an_equal_unmarked_array_is_scanned(scans):
    checks.mark_passed(np.array([0, 3, 9]), ("index", 10, None))
    with pytest.raises(IndexError):
        checks.index_array("ids", np.array([0, 3, 10]), 10)
    assert scans["ids"] == 1


def test_a_dead_array_leaves_no_trust_behind():
    ids = checks.mark_passed(np.array([0, 3, 9]), ("index", 10, None))
    key = id(ids)
    del ids
    gc.collect()
    assert key not in checks._PASSED


def test_embedding_bag_scans_ids_and_offsets_once_per_step(scans, rng):
    """F.embedding_bag checks them; the forward and backward kernels' checks trust that."""
    weight = fastgrad.tensor(rng.standard_normal((50, 4)).astype(np.float32), requires_grad=True)
    with fastgrad.backends.backend("compiled"):
        F.embedding_bag(fastgrad.tensor(np.arange(12) % 50), weight, fastgrad.tensor([0, 5, 5]),
                        sparse=True).sum().backward()
    assert scans == {"ids": 1, "offsets": 1}


def test_embedding_bag_keeps_its_own_copy_of_the_offsets(rng):
    """The caller's offsets may change between forward and backward; the gradient must not."""
    table = rng.standard_normal((50, 4)).astype(np.float32)
    ids, offsets = fastgrad.tensor(np.arange(12) % 50), np.array([0, 5, 5])
    grads = []
    for change in (False, True):
        weight = fastgrad.tensor(table, requires_grad=True)
        given = fastgrad.from_numpy(offsets.copy())  # (shares its array: the change below is the caller's)
        out = F.embedding_bag(ids, weight, given, mode="mean")
        if change:
            given[1] = 1
        (out * fastgrad.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))).sum().backward()
        grads.append(weight.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])

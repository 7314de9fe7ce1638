"""The strided-view helpers the graph layer asks on view ops of read-only views (expands, overlapping windows)."""
import numpy as np
import pytest

import fastgrad
from fastgrad import strided_views


def test_views_of_expanded_and_overlapping_windows_are_judged_without_counting_positions(monkeypatch):
    def counted(*args):
        raise AssertionError("counted every position of a view (slow for large ones)")

    monkeypatch.setattr(strided_views, "memory_positions", counted)
    expanded = fastgrad.zeros(1, 1000).expand(1000, 1000)
    for view in (expanded.reshape(1000, 1000), expanded.T, expanded[3:], fastgrad.arange(10.0).unfold(0, 3, 1)[:, :2]):
        with pytest.raises(RuntimeError, match="read-only"):
            view.add_(1)  # (a fill would pass: it writes one value, as PyTorch lets it)
    row = expanded[3]
    row.zero_()  # (each element once: writable)
    assert strided_views.overlaps_itself((3, 2), (0, 1))


def test_overlaps_itself_counts_positions_where_the_quick_proof_fails():
    assert strided_views.overlaps_itself((3, 3), (1, 1))  # (overlapping windows)
    assert not strided_views.overlaps_itself((2, 3), (1, 2))  # (interleaved: distinct, though no stride steps past)
    assert not strided_views.overlaps_itself((0, 3), (0, 0))
    np.testing.assert_array_equal(strided_views.memory_positions((2, 2), (3, 1), 1), [[1, 2], [4, 5]])

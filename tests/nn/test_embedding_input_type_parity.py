"""F.embedding and nn.Embedding take their ids as a tensor only, as PyTorch (its TypeError), and so do F.embedding_bag
and nn.EmbeddingBag their ids and offsets (PyTorch's AttributeError; fastgrad's error is both): a NumPy array or a list
of ids was looked up (fastgrad read it with np.asarray). Indexing a tensor with a NumPy array of ints stays allowed,
as PyTorch allows it."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

IDS = [np.array([0, 2]), [0, 2], 1]


@pytest.mark.parametrize("ids", IDS, ids=["ndarray", "list", "int"])
def test_functional_embedding_refuses_ids_that_are_not_a_tensor(ids):
    for lib in (torch, fastgrad):
        with pytest.raises(TypeError, match="input|indices"):
            lib.nn.functional.embedding(ids, lib.ones(3, 2))


@pytest.mark.parametrize("ids", IDS[:2], ids=["ndarray", "list"])
def test_embedding_module_refuses_ids_that_are_not_a_tensor(ids):
    for lib in (torch, fastgrad):
        with pytest.raises(TypeError):
            lib.nn.Embedding(3, 2)(ids)


@pytest.mark.parametrize("ids, offsets", [(np.array([[0, 1]]), None), ([[0, 1]], None), ("tensor", [0, 1]),
                                         ("tensor", np.array([0, 1]))], ids=["ndarray", "list", "list offsets",
                                                                            "ndarray offsets"])
def test_embedding_bag_refuses_ids_or_offsets_that_are_not_tensors(ids, offsets):
    for lib in (torch, fastgrad):
        given = lib.tensor([0, 1, 2]) if isinstance(ids, str) else ids
        with pytest.raises(AttributeError):
            lib.nn.functional.embedding_bag(given, lib.ones(3, 2), offsets)
        with pytest.raises(AttributeError):
            lib.nn.EmbeddingBag(3, 2)(given, offsets)


def test_one_hot_refuses_a_numpy_array():
    for lib in (torch, fastgrad):
        with pytest.raises(TypeError):
            lib.nn.functional.one_hot(np.array([0, 1]))


def test_a_numpy_index_array_still_indexes_and_writes_as_in_torch():
    results = []
    for lib in (torch, fastgrad):
        t = lib.arange(5.0)
        picked = t[np.array([0, 3])].tolist() + t[np.array([True, False, True, False, False])].tolist()
        t[np.array([1, 4])] = 7.0
        results.append((picked, t.tolist()))
    assert results[0] == results[1]

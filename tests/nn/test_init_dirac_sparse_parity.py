"""nn.init's dirac_, sparse_ and deprecated names against torch.nn.init's."""
import inspect
import warnings

import numpy as np
import pytest

import fastgrad
from fastgrad.nn import init

torch = pytest.importorskip("torch")

DEPRECATED = ["uniform", "normal", "constant", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
              "orthogonal", "sparse", "dirac", "eye"]


@pytest.mark.parametrize("shape, groups", [((4, 2, 3), 2), ((3, 5, 3, 3), 1), ((6, 2, 2, 3, 4), 3), ((2, 4, 5), 1),
                                           ((4, 4, 2, 2), 4)])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_dirac_matches_torch(shape, groups, dtype):
    ours = init.dirac_(fastgrad.full(shape, 3, dtype=getattr(fastgrad, dtype)), groups)
    theirs = torch.nn.init.dirac_(torch.full(shape, 3, dtype=getattr(torch, dtype)), groups)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parametrize("name, shape, args", [("dirac_", (3, 3), ()), ("dirac_", (3, 3, 3), (2,)),
                                               ("sparse_", (3,), (0.5,)), ("sparse_", (2, 3, 3), (0.5,))])
def test_errors_are_torchs(name, shape, args):
    for module, lib in ((init, fastgrad), (torch.nn.init, torch)):
        with pytest.raises(ValueError):
            getattr(module, name)(lib.empty(*shape), *args)


@pytest.mark.parametrize("sparsity", [0.0, 0.25, 0.5, 1.0, 2.0])
def test_sparse_zeros_as_many_entries_per_column_as_torch(sparsity):
    counts = [(module.sparse_(lib.empty(8, 30), sparsity).numpy() == 0).sum(axis=0).tolist()
              for module, lib in ((init, fastgrad), (torch.nn.init, torch))]
    assert counts[0] == counts[1]


@pytest.mark.parametrize("name", ["dirac_", "sparse_", "eye_"])
def test_signatures_match_torch(name):
    ours = inspect.signature(getattr(init, name)).parameters
    theirs = inspect.signature(getattr(torch.nn.init, name)).parameters
    assert [(p.name, p.default, p.kind) for p in ours.values()] == [(p.name, p.default, p.kind)
                                                                    for p in theirs.values()]


@pytest.mark.parametrize("old", DEPRECATED)
def test_deprecated_names_warn_as_torch(old):
    shape, args = {"dirac": ((4, 3, 3), ()), "constant": ((4, 3), (0.5,)), "sparse": ((4, 3), (0.5,))}.get(
        old, ((4, 3), ()))
    messages = []
    for module, lib in ((init, fastgrad), (torch.nn.init, torch)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(module, old)(lib.empty(*shape), *args)
        assert [w.category for w in caught] == [FutureWarning] and caught[0].filename == __file__
        messages.append(str(caught[0].message))
        assert getattr(module, old).__name__ == old
    assert messages[0] == messages[1]


def test_deprecated_eye_and_dirac_give_torchs_values():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert init.eye(fastgrad.empty(2, 3)).tolist() == torch.nn.init.eye(torch.empty(2, 3)).tolist()
        np.testing.assert_array_equal(init.dirac(fastgrad.empty(3, 2, 3)).numpy(),
                                      torch.nn.init.dirac(torch.empty(3, 2, 3)).numpy())

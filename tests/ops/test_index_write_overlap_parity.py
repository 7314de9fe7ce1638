"""index_add_ and index_put_ (x[index] = values) refuse a source in the memory they write, the same memory too, as
PyTorch 2.13's; a strided (not dense) source passes, as in PyTorch, and so does a copy (x[mask] = x[mask])."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

WRITES = {
    "index_add_ self": lambda lib, x: x.index_add_(0, lib.tensor([0, 1, 2]), x),
    "index_add_ a row": lambda lib, x: x.index_add_(0, lib.tensor([0]), x[1:2]),
    "index_add_ strided": lambda lib, x: x.index_add_(1, lib.tensor([0]), x[:, 1:]),
    "index_put_ self": lambda lib, x: x.index_put_((lib.tensor([0, 1, 2]),), x, accumulate=True),
    "indexed assignment of self": lambda lib, x: x.__setitem__(lib.tensor([0, 1, 2]), x),
    "indexed assignment of a row": lambda lib, x: x.__setitem__(lib.tensor([0]), x[1]),
    "indexed assignment strided": lambda lib, x: x.__setitem__((slice(None), lib.tensor([0])), x[:, 1:]),
    "masked assignment of a copy": lambda lib, x: x.__setitem__(x > 2, x[x > 2] * 2),
    "basic assignment of self": lambda lib, x: x.__setitem__(slice(None), x),
}


@pytest.mark.parametrize("write", WRITES)
def test_overlapping_index_writes_are_refused_as_torch_s(write):
    outcomes = []
    for lib in (fastgrad, torch):
        x = lib.arange(6.0).reshape(3, 2)
        try:
            WRITES[write](lib, x)
            outcomes.append(x.numpy().copy())
        except RuntimeError as error:
            assert "single memory location" in str(error)
            outcomes.append(None)
    ours, theirs = outcomes
    assert (ours is None) == (theirs is None)
    if ours is not None:
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("write", [lambda x: x[None, 0].mul_(x), lambda x: x.unsqueeze(0)[0].add_(x),
                                   lambda x: x.t().t().add_(x)])
def test_the_same_memory_with_other_strides_on_size_one_dims_is_not_an_overlap(write):
    """A size-1 dim's stride is no step in memory (PyTorch judges the layout without it)."""
    def written(lib):
        x = lib.arange(1.0, 4.0).reshape(1, 3)
        write(x)
        return x.numpy()

    np.testing.assert_array_equal(written(fastgrad), written(torch))

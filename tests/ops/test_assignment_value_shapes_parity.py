"""x[key] = value drops the value's leading size-1 dims, as PyTorch 2.13's (x[0] = row[None]), with every kind of key;
values and gradients match (fastgrad's backward raised, or NumPy refused the assignment)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

ASSIGNMENTS = {
    "a row": lambda lib, x, w: x.__setitem__(0, w[None]),
    "an element": lambda lib, x, w: x.__setitem__((0, 1), w[:1][None]),
    "a mask": lambda lib, x, w: x.__setitem__(x > 0, lib.ones(1, 1, 6, dtype=lib.float64) * w.sum()),
    "index rows": lambda lib, x, w: x.__setitem__(lib.tensor([0, 1]), w[None, None]),
    "everything": lambda lib, x, w: x.__setitem__(slice(None), w.expand(1, 2, 3)),
}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_leading_size_one_dims_of_the_value_are_dropped_as_torch_s(assignment):
    def assigned(lib):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64) * 1
        w = lib.tensor([7.0, 8.0, 9.0], dtype=lib.float64, requires_grad=True)
        ASSIGNMENTS[assignment](lib, x, w)
        (x * lib.arange(6.0, dtype=lib.float64).reshape(2, 3)).sum().backward()
        return x.detach().numpy(), w.grad.numpy()

    for ours, theirs in zip(assigned(fastgrad), assigned(torch)):
        np.testing.assert_array_equal(ours, theirs)


def test_augmented_assignment_through_a_key_with_leading_size_one_dims():
    """x[None] *= 2 writes x[None] back into itself (the value is that very view)."""
    def changed(lib):
        x = lib.arange(6.0, dtype=lib.float64).reshape(3, 2)
        x[None] *= 2
        x[0::2] += 1
        x[0:1, None] -= 3
        return x.numpy()

    np.testing.assert_array_equal(changed(fastgrad), changed(torch))


@pytest.mark.parametrize("assign", [lambda x: x.__setitem__(None, x), lambda x: x.__setitem__(slice(None), x[None]),
                                    lambda x: x.__setitem__((None, Ellipsis), x[None, None])])
def test_assigning_a_tensor_to_itself_with_leading_size_one_dims_is_allowed(assign):
    """The same memory, as PyTorch sees it (it was refused as a partial overlap)."""
    def assigned(lib):
        x = lib.arange(6.0, dtype=lib.float64).reshape(3, 2)
        assign(x)
        return x.numpy()

    np.testing.assert_array_equal(assigned(fastgrad), assigned(torch))

"""detach_() on a tensor that recorded ops already used. PyTorch's nodes keep an edge to its former history and
give the gradient (or raise, where a node saved the tensor itself); fastgrad's reach that history through the tensor,
which detach_ cleared, so their backward raises instead of silently dropping the gradient (it gave none). Uses after
detach_ and a leaf detached in place match PyTorch."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


def detached_after_use(lib, case):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 2
    if case == "used by add":
        z = y + 1
    elif case == "saved by mul":  # (PyTorch raises here too: the detached tensor is saved)
        z = y * y
    elif case == "view of it":
        z = y.unsqueeze(0) * 3
    y.detach_()
    return x, z


@pytest.mark.parametrize("case", ["used by add", "saved by mul", "view of it"])
@pytest.mark.parametrize("how", ["backward", "grad", "create_graph"])
def test_backward_through_a_tensor_detached_in_place_after_use_raises(case, how):
    x, z = detached_after_use(fastgrad, case)
    with pytest.raises(RuntimeError, match="detached in place"):
        if how == "backward":
            z.sum().backward()
        else:
            fastgrad.autograd.grad(z.sum(), x, allow_unused=True, create_graph=how == "create_graph")
    assert x.grad is None


def after_detach(lib, case):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    if case == "used after":
        y = x * 2
        y.detach_()
        z = y * 3 + x
    elif case == "leaf":
        z = x * 3
        x.detach_()
    elif case == "unused":
        y = x * 2
        z = x.exp()
        y.detach_()
    z.sum().backward()
    return x.grad, x.requires_grad, z.requires_grad


@pytest.mark.parametrize("case", ["used after", "leaf", "unused"])
def test_other_uses_of_detach_in_place_match_torch(case):
    (our_grad, *ours), (their_grad, *theirs) = after_detach(fastgrad, case), after_detach(torch, case)
    assert ours == theirs and (our_grad is None) == (their_grad is None)
    if our_grad is not None:
        np.testing.assert_allclose(our_grad.numpy(), their_grad.numpy(), rtol=1e-14)


@pytest.mark.parametrize("requires_grad", [False, True])
def test_detaching_a_view_in_place_raises_as_torch_s(requires_grad):
    for lib in (fastgrad, torch):
        base = lib.ones(3, dtype=lib.float64, requires_grad=requires_grad) * 1
        with pytest.raises(RuntimeError, match="(?i)detach.* view|view.*in.place"):
            base[:2].detach_()


@pytest.mark.parametrize("operand", ["a number", "the view itself"])
def test_a_view_of_a_leaf_detached_in_place_still_refuses_in_place_changes_as_torch_s(operand):
    """PyTorch refuses an in-place change with grad mode on of a view that requires grad whose base is a leaf, even
    once the base no longer requires grad: the view taken before detach_() keeps its history."""
    for lib in (fastgrad, torch):
        leaf = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        view = leaf.reshape(-1)
        leaf.detach_()
        with pytest.raises(RuntimeError, match="view of a leaf"):
            view.mul_(2 if operand == "a number" else view)
        assert leaf.tolist() == [1.0, 2.0] and not leaf.requires_grad and leaf.is_leaf

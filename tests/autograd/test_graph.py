"""Graph behaviour: the lecture's example, branch accumulation, retain_graph, no_grad, detach, deep chains."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F


def test_lecture_example_gradients():
    """f(x, y, z) = (x + y) * max(y, z) at (1, 2, 0): df/dx = 2, df/dy = 5, df/dz = 0."""
    x = fastgrad.tensor(1.0, requires_grad=True)
    y = fastgrad.tensor(2.0, requires_grad=True)
    z = fastgrad.tensor(0.0, requires_grad=True)
    f = (x + y) * fastgrad.maximum(y, z)
    f.backward()
    assert f.item() == 6.0
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (2.0, 5.0, 0.0)


def test_gradients_sum_at_branches():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    a = x * 3
    y = a * a + a  # a is used twice: d/da = 2a + 1
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * (2 * 3 * np.array([1.0, 2.0]) + 1))


def test_grad_accumulates_across_backward_calls_and_zero_grad():
    x = fastgrad.tensor([1.0, -1.0], requires_grad=True)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -2.0])


def test_leaf_grads_never_alias():
    a = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    b = fastgrad.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    with fastgrad.no_grad():
        a.grad.zero_()
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_second_backward_needs_retain_graph():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_no_grad_records_nothing_and_enable_grad_restores():
    x = fastgrad.tensor([1.0], requires_grad=True)
    with fastgrad.no_grad():
        assert not fastgrad.is_grad_enabled()
        y = x * 2
        with fastgrad.enable_grad():
            z = x * 2
    assert fastgrad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @fastgrad.no_grad()
    def decorated():
        return x * 2

    assert not decorated().requires_grad
    with fastgrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert fastgrad.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_memory():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    d = h.detach()
    assert not d.requires_grad and d.is_leaf
    (d * x).sum().backward()  # only the direct use of x counts
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    assert np.shares_memory(d.detach().numpy(), h.detach().numpy())


def test_chain_of_100000_ops_backpropagates_without_recursion():
    x = fastgrad.tensor(1.0, dtype=fastgrad.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1e-6
    y.backward()
    assert x.grad.item() == 1.0
    assert y.item() == pytest.approx(1.1, rel=1e-9)


def test_integer_results_do_not_require_grad():
    x = fastgrad.tensor([1.5, -2.5], requires_grad=True)
    assert not x.long().requires_grad
    assert not (x > 0).requires_grad
    assert x.argmax().dtype == fastgrad.int64


def test_in_place_change_of_a_saved_tensor_is_detected():
    w = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    x = fastgrad.tensor([3.0, 4.0])
    y = (w * x).sum()
    x.mul_(2)  # Mul saved x for its backward
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_a_view_whose_base_changed_in_place_has_the_gradient_of_its_uses_after():
    """v = b[:2] has a history of its own; b.mul_(2) gives b a new one, and v's uses afterwards read v as the view
    of it: v's gradient is theirs (it was None: the walk sent it past v, straight into b)."""
    leaf = fastgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = leaf.clone()
    v = b[:2]
    b.mul_(2)
    loss = (v * 3).sum()
    assert fastgrad.autograd.grad(loss, [v], retain_graph=True)[0].tolist() == [3.0, 3.0]
    v.retain_grad()
    loss.backward()
    assert v.grad.tolist() == [3.0, 3.0]
    assert leaf.grad.tolist() == [6.0, 6.0, 0.0]


def test_an_unbind_output_refuses_to_be_used_once_its_base_changed_in_place():
    """As PyTorch's: an output of an op returning several views is not regenerated from its base's new history."""
    leaf = fastgrad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = leaf.clone()
    first, second = b.split(2)
    row = b.reshape(2, 2).unbind()[1]
    y = first * 3  # used before the change: fine
    b.mul_(2)
    for view in (first, row):
        with pytest.raises(RuntimeError, match="returns several views"):
            view * 3
    y.sum().backward()
    assert leaf.grad.tolist() == [3.0, 3.0, 0.0, 0.0]


def test_in_place_on_a_tensor_requiring_grad_needs_no_grad():
    w = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1.0)
    with fastgrad.no_grad():
        w.add_(fastgrad.tensor([1.0, 1.0]), alpha=-0.5)
    np.testing.assert_allclose(w.detach().numpy(), [0.5, 1.5])
    w.data.mul_(2)  # .data is outside autograd
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 3.0])


def test_sparse_embedding_gradient_is_row_sparse_and_accumulates():
    weight = fastgrad.randn(10, 3, requires_grad=True)
    F.embedding(fastgrad.tensor([1, 1, 4]), weight, sparse=True).sum().backward()
    assert weight.grad.is_sparse
    F.embedding(fastgrad.tensor([4]), weight, sparse=True).sum().backward()
    dense = weight.grad.to_dense().detach().numpy()
    expected = np.zeros((10, 3))
    expected[1], expected[4] = 2, 2
    np.testing.assert_allclose(dense, expected)
    coalesced = weight.grad.coalesce()
    np.testing.assert_array_equal(coalesced.rows, [1, 4])


def test_tied_weight_used_sparse_and_dense_sums_to_dense():
    weight = fastgrad.randn(5, 2, requires_grad=True)
    emb = F.embedding(fastgrad.tensor([0, 3]), weight, sparse=True)  # (2, 2)
    logits = F.linear(emb, weight)  # the same weight as an output layer
    logits.sum().backward()
    with fastgrad.no_grad():
        w = weight.detach().numpy()
        expected = np.zeros((5, 2))
        expected[[0, 3]] += np.ones((2, 5)) @ w  # through the lookup
        expected += np.ones((5, 2)) * emb.detach().numpy().sum(0)  # through the linear layer
    assert not weight.grad.is_sparse
    np.testing.assert_allclose(weight.grad.numpy(), expected, rtol=1e-6)


def test_backward_on_a_leaf_and_with_explicit_gradient():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.backward(fastgrad.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 30.0])


def test_requires_grad_assignments_are_checked_as_in_pytorch():
    """An integer tensor cannot hold a gradient (a cast would truncate 2.5 to 2), and turning requires_grad
    off on a computed tensor would silently cut the gradient of everything computed from it."""
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        fastgrad.tensor([1, 2]).requires_grad = True
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="requires_grad can only be turned off on a leaf tensor"):
        y.requires_grad = False
    x.requires_grad = False  # a leaf may
    assert not x.requires_grad


def test_data_of_a_tensor_that_requires_grad_stays_floating_point():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="must hold floating point values, got dtype int64"):
        x.data = fastgrad.tensor([1, 2])
    x.data = fastgrad.tensor([3.0, 4.0])
    assert x.tolist() == [3.0, 4.0]


def test_leaves_requiring_grad_are_those_a_backward_pass_would_reach():
    from fastgrad.autograd.graph import leaves_requiring_grad

    x, y, unused = (fastgrad.tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
    constant = fastgrad.tensor([3.0, 4.0])
    out = (x * constant).exp() + (y * 2).sum() + unused.detach()
    assert {id(t) for t in leaves_requiring_grad([out])} == {id(x), id(y)}
    assert len(leaves_requiring_grad([out, out * x])) == 2  # each once
    assert [id(t) for t in leaves_requiring_grad([x, constant * 2])] == [id(x)]  # a root that is itself a leaf
    assert leaves_requiring_grad([(x * constant).detach(), constant]) == []

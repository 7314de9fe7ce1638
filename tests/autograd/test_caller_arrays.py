"""An array the caller still holds must not steer backward: a NumPy array (or a list) given to an op is
copied when backward will read it, and a fastgrad tensor changed in place makes backward raise (its
version counter), never give a different gradient. (Arithmetic operators, matmul, where, clamp's bounds and the
other methods and functions take no array beside a tensor, as PyTorch's: tests/ops/test_array_operands_parity.py; nor
do the losses of nn.functional: tests/nn/test_functional_refusal_types_parity.py.)"""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F

X = np.array([0.5, -1.0, 2.0, 0.3])

# (name, the caller's array, loss of (x, that array)); x is X as a float64 leaf
CASES = [
    ("new_tensor", X + 1, lambda x, a: (x.new_tensor(a) * x).sum()),
]


def _gradient(loss_of, array, change: bool) -> np.ndarray:
    x = fastgrad.tensor(X, requires_grad=True)
    given = array.copy()
    loss = loss_of(x, given)
    if change:
        given[...] = given[::-1] if given.dtype == bool else given * 3 + 1
    loss.backward()
    return x.grad.numpy()


@pytest.mark.parametrize("name, array, loss_of", CASES, ids=[case[0] for case in CASES])
def test_changing_the_callers_array_before_backward_does_not_change_the_gradient(name, array, loss_of):
    np.testing.assert_array_equal(_gradient(loss_of, array, True), _gradient(loss_of, array, False))


def test_a_where_condition_changed_in_place_before_backward_raises():
    """The condition tensor is an input of the op, so its version counter guards it (as in PyTorch)."""
    x = fastgrad.tensor(X, requires_grad=True)
    condition = fastgrad.tensor(X > 0)
    loss = fastgrad.where(condition, x * x, x).sum()
    condition.fill_(False)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_smoothed_cross_entropy_reads_the_class_weights_as_they_were_at_forward():
    """PyTorch raises here; fastgrad copied the weights at forward, so the gradient is the forward's."""
    grads = []
    for change in (False, True):
        x = fastgrad.tensor(X.reshape(2, 2), requires_grad=True)
        weight = fastgrad.tensor([1.0, 2.0], dtype=np.float64)
        loss = F.cross_entropy(x, fastgrad.tensor([0, 1]), weight=weight, label_smoothing=0.1)
        if change:
            weight.fill_(0.5)
        loss.backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_dot_product_of_two_vectors_has_gradients():
    a = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    b = fastgrad.tensor([3.0, 4.0], requires_grad=True)
    (a @ b).backward()
    assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]

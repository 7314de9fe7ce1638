"""The version counter belongs to the memory: a change through any handle of it (the tensor, a
view, detach(), .data) is seen by every node that saved those values, inputs and outputs alike."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn.functional as F

MODIFIED = "modified by an in-place operation"


def test_change_through_detach_of_a_saved_output_raises():
    x = fastgrad.randn(3, requires_grad=True)
    y = x.exp()  # exp's backward reads its output
    y.detach().mul_(0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_change_through_a_view_of_a_saved_input_raises():
    a = fastgrad.randn(3)
    x = fastgrad.randn(3, requires_grad=True)
    y = x * a  # d/dx reads a
    a.reshape(3).mul_(0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


@pytest.mark.parametrize("change", [
    lambda t: t.data.zero_(),
    lambda t: t[0].fill_(5.0),
    lambda t: t.T.add_(1.0),
    lambda t: t.unsqueeze(0).squeeze(0).mul_(2.0),
    lambda t: t.__setitem__((0, 0), 3.0),
], ids=["data", "index-view", "transpose-view", "reshape-chain", "setitem"])
def test_every_handle_of_the_memory_counts(change):
    a = fastgrad.randn(2, 2)
    x = fastgrad.randn(2, 2, requires_grad=True)
    y = (x * a).sum()
    change(a)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_views_share_the_counter_and_copies_do_not():
    a = fastgrad.randn(2, 3)
    view, copy = a[0], a.clone()
    a.add_(1.0)
    assert view._version == a._version == 1
    assert copy._version == 0


def test_change_of_an_input_the_op_did_not_save_is_allowed():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2  # y's gradient needs only the constant 2
    y.mul_(3)  # so mutating y, the input of the next recorded op, is fine (as in PyTorch)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_optimizer_step_before_backward_is_detected():
    w = fastgrad.randn(3, requires_grad=True)
    x = fastgrad.randn(3, requires_grad=True)
    loss = (w * x).sum()
    w.grad = fastgrad.ones(3)
    fastgrad.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_saved_tensors_of_a_custom_function_are_checked():
    class Square(fastgrad.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * x
            ctx.save_for_backward(x, out)
            return out

        @staticmethod
        def backward(ctx, g):
            x, _ = ctx.saved_tensors
            return 2 * x * g

    x = fastgrad.randn(3, requires_grad=True)
    y = Square.apply(x)
    y.detach().zero_()  # the output was saved: reading it in backward must fail
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_softmax_output_changed_in_place_raises():
    x = fastgrad.randn(2, 4, requires_grad=True)
    p = F.softmax(x, dim=1)
    p.detach()[0, 0] = 0.0
    with pytest.raises(RuntimeError, match=MODIFIED):
        (p * p).sum().backward()


def test_changing_index_tensors_after_the_forward_does_not_change_gradients():
    weight = fastgrad.randn(5, 3, requires_grad=True)
    ids = fastgrad.tensor([0, 1, 1])
    logits = fastgrad.randn(3, 4, requires_grad=True)
    targets = fastgrad.tensor([0, 2, 3])
    loss = F.embedding(ids, weight).sum() + F.nll_loss(F.log_softmax(logits, 1), targets)
    ids.fill_(4)
    targets.fill_(1)
    loss.backward()
    np.testing.assert_array_equal(weight.grad.numpy().sum(axis=1), [3.0, 6.0, 0.0, 0.0, 0.0])
    expected = fastgrad.tensor(logits.detach().numpy(), requires_grad=True)
    F.nll_loss(F.log_softmax(expected, 1), fastgrad.tensor([0, 2, 3])).backward()
    np.testing.assert_allclose(logits.grad.numpy(), expected.grad.numpy())


def test_changing_a_mask_or_an_index_tensor_after_the_forward_does_not_change_gradients():
    x = fastgrad.randn(4, requires_grad=True)
    mask = fastgrad.tensor([True, False, True, False])
    index = fastgrad.tensor([0, 0, 3])
    loss = x.masked_fill(mask, 0.0).sum() + x[index].sum() + x[mask].sum()
    mask.fill_(False)
    index.fill_(1)
    loss.backward()
    first = x.grad.numpy().copy()
    x.grad = None
    (x.masked_fill(fastgrad.tensor([True, False, True, False]), 0.0).sum() + x[fastgrad.tensor([0, 0, 3])].sum()
     + x[fastgrad.tensor([True, False, True, False])].sum()).backward()
    np.testing.assert_array_equal(first, x.grad.numpy())

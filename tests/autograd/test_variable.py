"""autograd.Variable, the legacy wrapper: the tensor detached, with the flag asked for, as in PyTorch."""
import pytest

import fastgrad


def variables(module):
    from_leaf = module.ones(2)
    computed = module.ones(2, requires_grad=True) * 2
    Variable = module.autograd.Variable
    plain, tracked, detached = Variable(from_leaf), Variable(from_leaf, requires_grad=True), Variable(computed)
    plain[0] = 5.0  # the same memory
    return [plain is from_leaf, from_leaf.tolist(), plain.requires_grad, tracked.requires_grad, tracked.is_leaf,
            from_leaf.requires_grad, detached.requires_grad, detached.grad_fn is None,
            isinstance(from_leaf, Variable)]


def test_variable_is_the_tensor_detached():
    assert variables(fastgrad) == [False, [5.0, 1.0], False, True, True, False, False, True, True]


def test_variable_matches_torch():
    torch = pytest.importorskip("torch")
    assert variables(fastgrad) == variables(torch)


def test_variable_refuses_what_torch_refuses():
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        fastgrad.autograd.Variable([1.0, 2.0])
    with pytest.raises(RuntimeError, match="floating point"):
        fastgrad.autograd.Variable(fastgrad.arange(3), requires_grad=True)

"""fastgrad.autograd.functional: jacobian and vjp against finite differences and by hand, the second-order
functions (hessian, hvp, vhp, jvp) and create_graph by hand, output structures, and the refusals."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp
from fastgrad.backends import backend
from fastgrad.testing import central_difference_jacobian
from fastgrad.testing import float64_leaf as leaf

shapes = array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape_a=shapes, shape_b=shapes, seed=st.integers(0, 2**16))
def test_jacobian_equals_central_differences(backend_name, shape_a, shape_b, seed):
    a, b = leaf(shape_a, seed), leaf(shape_b, seed + 1)

    def func(a, b):
        return (a.unsqueeze(-1) * b.reshape(-1)).tanh() + a.sum()

    with backend(backend_name):
        jac = jacobian(func, (a, b))
    for index, block in enumerate(jac):
        np.testing.assert_allclose(block.numpy(), central_difference_jacobian(func, (a, b), index), rtol=1e-6,
                                   atol=1e-8)


def test_jacobian_structure_follows_inputs_and_outputs():
    a, b = fastgrad.tensor([1.0, 2.0]), fastgrad.tensor([3.0, 4.0])
    single = jacobian(lambda a: a * 2, a)
    assert isinstance(single, fastgrad.Tensor) and single.tolist() == [[2.0, 0.0], [0.0, 2.0]]
    assert isinstance(jacobian(lambda a: a * 2, (a,)), tuple) and isinstance(jacobian(lambda a: (a * 2,), a), tuple)
    both = jacobian(lambda a, b: (a * b, a.sum()), (a, b))
    assert [[t.shape for t in row] for row in both] == [[(2, 2), (2, 2)], [(2,), (2,)]]
    assert both[0][0].tolist() == [[3.0, 0.0], [0.0, 4.0]] and both[1][1].tolist() == [0.0, 0.0]
    assert jacobian(lambda a: a.long(), a).tolist() == [[0.0, 0.0], [0.0, 0.0]]  # no gradient: zeros
    assert not a.requires_grad and a.grad is None  # the caller's tensors are left alone


def test_vjp_returns_outputs_and_the_weighted_gradient():
    a, b = fastgrad.tensor([1.0, 2.0]), fastgrad.tensor([3.0, 4.0])
    outputs, grads = vjp(lambda a, b: a * b, (a, b), fastgrad.tensor([1.0, 10.0]))
    assert outputs.tolist() == [3.0, 8.0] and not outputs.requires_grad
    assert [g.tolist() for g in grads] == [[3.0, 40.0], [1.0, 20.0]]
    total, grad = vjp(lambda a: (a ** 2).sum(), a)
    assert total.item() == 5.0 and grad.tolist() == [2.0, 4.0]
    pair, grad = vjp(lambda a: (a * 2, a.sum()), a, (fastgrad.tensor([1.0, 1.0]), fastgrad.tensor(3.0)))
    assert isinstance(pair, tuple) and grad.tolist() == [5.0, 5.0]
    _, unused = vjp(lambda a, b: a * 2, (a, b), fastgrad.ones(2))
    assert unused[1].tolist() == [0.0, 0.0]


def cubic(a, b):
    """f = sum(a^3 b): gradient (3 a^2 b, a^3), Hessian [[diag(6 a b), diag(3 a^2)], [diag(3 a^2), 0]]."""
    return (a ** 3 * b).sum()


def test_second_order_functions_by_hand():
    a, b = fastgrad.tensor([1.0, 2.0]), fastgrad.tensor([3.0, -1.0])
    u, w = fastgrad.tensor([1.0, 0.5]), fastgrad.tensor([2.0, 1.0])
    ((h_aa, h_ab), (h_ba, h_bb)) = hessian(cubic, (a, b))
    np.testing.assert_allclose(h_aa.numpy(), np.diag([18.0, -12.0]))
    np.testing.assert_allclose(h_ab.numpy(), np.diag([3.0, 12.0]))
    np.testing.assert_allclose(h_ba.numpy(), np.diag([3.0, 12.0]))
    np.testing.assert_allclose(h_bb.numpy(), np.zeros((2, 2)))
    expected = ([18.0 * 1 + 3.0 * 2, -12.0 * 0.5 + 12.0 * 1], [3.0 * 1, 12.0 * 0.5])  # H . (u, w)
    for product in (hvp, vhp):
        value, (p_a, p_b) = product(cubic, (a, b), (u, w))
        assert value.item() == 3.0 - 8.0 and not value.requires_grad
        np.testing.assert_allclose(p_a.numpy(), expected[0])
        np.testing.assert_allclose(p_b.numpy(), expected[1])
    outputs, tangent = jvp(lambda a: (a * a, a.sum()), a, u)  # J . u
    np.testing.assert_allclose(tangent[0].numpy(), [2.0, 2.0])
    assert tangent[1].item() == 1.5 and outputs[0].tolist() == [1.0, 4.0]


def test_create_graph_results_are_differentiable_with_respect_to_the_callers_inputs():
    a = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    _, (g,) = vjp(lambda a: (a ** 3,), (a,), (fastgrad.ones(2),), create_graph=True)  # 3 a^2
    (second,) = fastgrad.autograd.grad(g.sum(), a)
    np.testing.assert_allclose(second.numpy(), [6.0, 12.0])
    h = hessian(lambda a: (a ** 3).sum(), a, create_graph=True)  # diag(6 a)
    (third,) = fastgrad.autograd.grad(h.sum(), a)
    np.testing.assert_allclose(third.numpy(), [6.0, 6.0])
    assert not jacobian(lambda a: a * a, a).requires_grad and jacobian(lambda a: a * a, a, True).requires_grad


@pytest.mark.parametrize("call,error,match", [
    (lambda a: hessian(lambda a: a * 2, a), RuntimeError, "should return a single element Tensor, got shape"),
    (lambda a: hvp(lambda a: a.sum(), a), RuntimeError, "v can only be None if the inputs are a single Tensor"),
    (lambda a: jvp(lambda a: a * 2, a, fastgrad.ones(3)), RuntimeError, r"v\[0\] has invalid size"),
    (lambda a: jvp(lambda a: (a, a.long()), a, fastgrad.ones(2)), RuntimeError, "output 1 has dtype int64, but only"),
    (lambda a: hessian(lambda a: a.sum(), a, outer_jacobian_strategy="forward-mode"), NotImplementedError,
     "forward-mode"),
    (lambda a: hessian(lambda a: a.unique().sum(), a), NotImplementedError, "backward of Unique"),
    (lambda a: jacobian(lambda a: a, a, strategy="forward-mode"), NotImplementedError, "forward-mode"),
    (lambda a: jacobian(lambda a: a, a, strategy="sideways"), ValueError, "strategy must be"),
    (lambda a: jacobian(lambda a: a, [a]), TypeError, "inputs must be a Tensor or a tuple of Tensors, got list"),
    (lambda a: jacobian(lambda a: 3, a), TypeError, "the outputs of func must be a Tensor .*got int"),
    (lambda a: jacobian(lambda a: (a, 3), a), TypeError, "got a tuple holding int"),
    (lambda a: jacobian(lambda a: a, fastgrad.tensor([1, 2])), TypeError, "floating point tensor, got dtype int64"),
    (lambda a: jacobian(lambda a: fastgrad.ones(1), a, strict=True), RuntimeError, "does not require gradients"),
    (lambda a: jacobian(lambda a, b: a * 2, (a, a), strict=True), RuntimeError, "independent of input 1"),
    (lambda a: vjp(lambda a: a * 2, a), RuntimeError, "v can only be None"),
    (lambda a: vjp(lambda a: a * 2, a, fastgrad.ones(3)), RuntimeError, r"v\[0\] has invalid size"),
    (lambda a: vjp(lambda a: (a, a), a, fastgrad.ones(2)), RuntimeError, "invalid length: should be 2 but got 1"),
    (lambda a: vjp(lambda a, b: a * 2, (a, a), fastgrad.ones(2), strict=True), RuntimeError, "independent of input 1"),
])
def test_bad_arguments_raise_naming_them(call, error, match):
    with pytest.raises(error, match=match):
        call(fastgrad.tensor([1.0, 2.0]))

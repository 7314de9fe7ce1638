"""autograd.grad, autograd.backward and Tensor.backward(inputs=...): which gradients they compute,
where they put them, what they leave alone, and how they refuse bad arguments, as in PyTorch."""
import numpy as np
import pytest

import fastgrad
from fastgrad.autograd import Function, grad


def scenarios(module):
    """The same calls on fastgrad or torch; every result as nested lists (None where there is none)."""
    grad, backward = module.autograd.grad, module.autograd.backward
    a = module.tensor([1.0, 2.0], requires_grad=True)
    b = module.tensor([3.0, 4.0], requires_grad=True)
    a.register_hook(lambda g: g * 10)
    post = []
    a.register_post_accumulate_grad_hook(lambda leaf: post.append(leaf.grad.tolist()))
    m = a * b
    m.retain_grad()
    y = (m * m).sum()
    unused = module.zeros(2, requires_grad=True)

    def listed(values):
        return [None if v is None else v.tolist() for v in values]

    out = {}
    out["grad a, m"] = listed(grad(y, [a, m], retain_graph=True))
    out["after grad: a.grad, b.grad, m.grad, post"] = listed([a.grad, b.grad, m.grad]) + [list(post)]
    out["unused"] = listed(grad(y, [a, unused], retain_graph=True, allow_unused=True))
    out["materialized"] = listed(grad(y, [unused], retain_graph=True, materialize_grads=True))
    out["same input twice"] = listed(grad(y, [b, b], retain_graph=True))
    out["output as input"] = listed(grad(y, y, retain_graph=True))
    out["two outputs"] = listed(grad([y, m], [b], grad_outputs=[None, module.ones(2)], retain_graph=True))
    out["m.grad after every grad()"] = m.grad.tolist()
    m.grad = None
    y.backward(inputs=[m], retain_graph=True)
    out["backward(inputs=[m])"] = listed([a.grad, b.grad, m.grad]) + [list(post)]
    y.backward(inputs=[a], retain_graph=True)
    out["backward(inputs=[a])"] = listed([a.grad, b.grad, m.grad]) + [list(post)]
    backward([y, m.sum()], grad_tensors=[module.tensor(1.0), module.tensor(2.0)], inputs=[b])
    out["autograd.backward, two roots"] = listed([a.grad, b.grad, m.grad])
    return out


def test_grad_and_backward_with_inputs_by_hand():
    out = scenarios(fastgrad)
    # y = sum((a b)^2): dy/dm = 2 m = [6, 16]; dy/da = 2 m b = [18, 64], x10 by a's hook; dy/db = 2 m a = [6, 32]
    assert out["grad a, m"] == [[180.0, 640.0], [6.0, 16.0]]
    # grad() stores nothing and runs no post-accumulate hook; m's retain_grad hook runs, as in PyTorch
    assert out["after grad: a.grad, b.grad, m.grad, post"] == [None, None, [6.0, 16.0], []]
    assert out["unused"] == [[180.0, 640.0], None] and out["materialized"] == [[0.0, 0.0]]
    assert out["same input twice"] == [[6.0, 32.0]] * 2 and out["output as input"] == [1.0]
    assert out["two outputs"] == [[7.0, 34.0]]  # + dm/db . 1 = a
    # dy/dm from the three calls that run m's node, + (dy/dm + 1) from the two outputs
    assert out["m.grad after every grad()"] == [6.0 * 3 + 7.0, 16.0 * 3 + 17.0]
    assert out["backward(inputs=[m])"] == [None, None, [6.0, 16.0], []]
    assert out["backward(inputs=[a])"] == [[180.0, 640.0], None, [12.0, 32.0], [[180.0, 640.0]]]
    # y + 2 m.sum() into b only: [6, 32] + 2 a; m's retained gradient gets dy/dm + 2
    assert out["autograd.backward, two roots"] == [[180.0, 640.0], [8.0, 36.0], [20.0, 50.0]]


def test_grad_and_backward_with_inputs_match_torch():
    torch = pytest.importorskip("torch")
    assert scenarios(fastgrad) == scenarios(torch)


class Recorded(Function):
    """Doubles its input and records each backward it runs."""
    calls = []

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        Recorded.calls.append(g.tolist())
        return g * 2


def test_grad_runs_only_the_paths_to_its_inputs_and_changes_no_grad():
    a = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    w = fastgrad.tensor([5.0, 6.0], requires_grad=True)  # used by the function, not asked for
    Recorded.calls.clear()
    y = (a * w).sum() + Recorded.apply(w).sum()
    (ga,) = fastgrad.autograd.grad(y, a)
    assert ga.tolist() == [5.0, 6.0] and Recorded.calls == [] and a.grad is None and w.grad is None


def test_grad_returns_arrays_of_its_own():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    seed = fastgrad.tensor([1.0, 1.0])
    gx, gy = fastgrad.autograd.grad(x + x * 0, [x, x], grad_outputs=seed)
    gx.add_(100)
    assert gy.tolist() == [1.0, 1.0] and seed.tolist() == [1.0, 1.0]
    (same,) = fastgrad.autograd.grad(x, x, grad_outputs=seed)
    same.add_(100)
    assert seed.tolist() == [1.0, 1.0]


def test_grad_without_retain_graph_frees_the_graph():
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    fastgrad.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        fastgrad.autograd.grad(y, x)


def test_gradcheck_leaves_every_grad_alone():
    w = fastgrad.tensor(np.array([0.5, -1.0]), requires_grad=True)  # a parameter fn uses, not an input
    x = fastgrad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    x.grad = fastgrad.tensor(np.array([7.0, 7.0]))
    assert fastgrad.gradcheck(lambda t: (t * w).tanh(), [x])
    assert w.grad is None and x.grad.tolist() == [7.0, 7.0]


def test_bad_arguments_raise_clearly():
    grad = fastgrad.autograd.grad
    x = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match=r"inputs\[1\] \(shape \(2,\)\) appears to not have been used in the graph"):
        grad(y, [x, fastgrad.zeros(2, requires_grad=True)], retain_graph=True)
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        grad(y, [fastgrad.zeros(2)], retain_graph=True)
    with pytest.raises(RuntimeError, match="`inputs` argument to `grad\\(\\)` cannot be empty"):
        grad(y, [])
    with pytest.raises(RuntimeError, match="`inputs` argument to `backward\\(\\)` cannot be empty"):
        y.backward(inputs=[])
    with pytest.raises(RuntimeError, match=r"backward\(\): inputs\[0\] does not require grad"):
        y.backward(inputs=[fastgrad.zeros(2)])
    with pytest.raises(RuntimeError, match="element 0 of the outputs does not require grad"):
        grad(fastgrad.zeros(()), [x])
    with pytest.raises(RuntimeError, match=r"only for scalar outputs: output 0 has shape \(2,\)"):
        grad(x * 2, [x])
    with pytest.raises(RuntimeError, match=r"gradient of output 0 has a shape of \(3,\) and the output has a shape of \(2,\)"):
        grad(x * 2, [x], grad_outputs=fastgrad.ones(3))
    with pytest.raises(RuntimeError, match="grad_outputs: got 1 tensors and 2 gradients"):
        grad(y, [x], grad_outputs=[None, None])
    with pytest.raises(ValueError, match="materialize_grads=True needs allow_unused"):
        grad(y, [x], allow_unused=False, materialize_grads=True)
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Tensor, got int"):
        grad(y, [x, 3])
    with pytest.raises(TypeError, match="outputs must be a Tensor or a sequence of Tensors, got float"):
        grad(1.0, [x])
    assert x.grad is None  # nothing above reached a .grad


def test_batched_grad_outputs_give_one_gradient_per_row():
    """Rows of the identity as grad_outputs: the Jacobian, a row per output element; with create_graph, the
    Hessian of a function by batching its gradient, differentiable again."""
    x = fastgrad.tensor([0.5, -1.0, 1.5], dtype=fastgrad.float64, requires_grad=True)
    z = fastgrad.tensor([1.0, 2.0], dtype=fastgrad.float64, requires_grad=True)
    eye = fastgrad.eye(3, dtype=fastgrad.float64)
    y = x ** 3
    (jacobian, unused) = grad([y], [x, z], [eye], is_grads_batched=True, retain_graph=True, allow_unused=True)
    np.testing.assert_allclose(jacobian.numpy(), np.diag(3 * x.detach().numpy() ** 2), rtol=1e-15)
    assert unused is None
    zeros = grad(y, [x, z], eye, is_grads_batched=True, retain_graph=True, materialize_grads=True)[1]
    assert zeros.shape == (2,) and not zeros.numpy().any()  # PyTorch's shape: no batch dim
    weights = fastgrad.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]], dtype=fastgrad.float64)
    (rows,) = grad(y, x, weights, is_grads_batched=True, retain_graph=True)
    for row, w in zip(rows.numpy(), weights):
        np.testing.assert_allclose(row, grad(y, x, w, retain_graph=True)[0].numpy(), rtol=1e-15)
    (g,) = grad(y.sum(), x, create_graph=True)
    (hessian,) = grad(g, x, eye, is_grads_batched=True, create_graph=True)
    np.testing.assert_allclose(hessian.detach().numpy(), np.diag(6 * x.detach().numpy()), rtol=1e-15)
    np.testing.assert_allclose(grad(hessian.sum(), x)[0].numpy(), [6.0, 6.0, 6.0], rtol=1e-15)
    grad(y, x, eye, is_grads_batched=True)  # the rows before the last keep the graph; the last frees it
    with pytest.raises(RuntimeError, match="trying to backward through the graph a second time"):
        grad(y, x, eye, is_grads_batched=True)


def test_batched_grad_outputs_are_checked():
    x = fastgrad.tensor([0.5, -1.0, 1.5], requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError, match=r"grad_outputs\[0\] is None"):
        grad(y.sum(), x, is_grads_batched=True)
    with pytest.raises(RuntimeError, match=r"grad_outputs\[0\] has shape \(2, 2\) and output 0 has shape \(3,\)"):
        grad(y, x, fastgrad.zeros(2, 2), is_grads_batched=True)
    with pytest.raises(ValueError, match="batch dim is empty"):
        grad(y, x, fastgrad.zeros(0, 3), is_grads_batched=True)
    with pytest.raises(ValueError, match=r"batch sizes 2 and 3 \(grad_outputs\[1\]\)"):
        grad([y, y * 1], x, [fastgrad.zeros(2, 3), fastgrad.zeros(3, 3)], is_grads_batched=True)

"""fastgrad.func without PyTorch. functional_call: the module is restored (also when the call raises), plain
tensors stand in for Parameters during the call, and the errors. The transforms: gradients and Jacobians
against central differences and closed forms, vmap against a loop, per-sample gradients, nesting, the
randomness modes, what is (not) left on the caller's tensors, and the refusals."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
import fastgrad.nn as nn
from fastgrad.func import functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp, vmap
from fastgrad.testing import central_difference_jacobian, float64_leaf

shapes = array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)


class Failing(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(2, 2)

    def forward(self, x):
        raise ValueError("inside forward")


def test_the_module_is_restored_after_the_call_and_after_an_error():
    model = Failing()
    weight, bias = model.layer.weight, model.layer.bias
    with pytest.raises(ValueError, match="inside forward"):
        functional_call(model, {"layer.weight": fastgrad.zeros(2, 2), "layer.extra": fastgrad.ones(1)},
                        fastgrad.ones(1))
    assert model.layer.weight is weight and model.layer._parameters["weight"] is weight
    assert model.layer.bias is bias and not hasattr(model.layer, "extra")


def test_the_given_tensors_are_used_and_receive_the_gradients():
    layer = nn.Linear(2, 1)
    weight = fastgrad.tensor([[1.0, 2.0]], requires_grad=True)
    out = functional_call(layer, {"weight": weight, "bias": fastgrad.zeros(1)}, args=fastgrad.tensor([[3.0, 4.0]]))
    out.sum().backward()
    assert float(out) == 11.0
    np.testing.assert_array_equal(weight.grad.numpy(), [[3.0, 4.0]])
    assert layer.weight.grad is None


def test_keyword_arguments_are_passed():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("factor", fastgrad.tensor(2.0))

        def forward(self, x, *, offset=0.0):
            return x * self.factor + offset

    out = functional_call(Scale(), {"factor": fastgrad.tensor(5.0)}, (fastgrad.tensor(1.0),), {"offset": 1.0})
    assert float(out) == 6.0


def test_errors():
    layer = nn.Linear(2, 2)
    x = fastgrad.ones(1, 2)
    with pytest.raises(RuntimeError, match="Error\\(s\\) in reparametrizing for Linear:\n\tUnexpected key\\(s\\): "
                                           "'extra'.\n\tMissing key\\(s\\): 'bias'."):
        functional_call(layer, {"weight": fastgrad.ones(2, 2), "extra": fastgrad.ones(1)}, x, strict=True)
    with pytest.raises(TypeError, match="functional_call: the value for 'weight' must be a Tensor, got ndarray"):
        functional_call(layer, {"weight": np.ones((2, 2))}, x)
    with pytest.raises(AttributeError, match="Linear has no attribute `missing`"):
        functional_call(layer, {"missing.weight": fastgrad.ones(2, 2)}, x)
    with pytest.raises(ValueError, match=r"\['bias'\] appeared in multiple dictionaries"):
        functional_call(layer, ({"bias": fastgrad.ones(2)}, {"bias": fastgrad.ones(2)}), x)
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                                         "dicts, but got <class 'int'>"):
        functional_call(layer, 3, x)
    with pytest.raises(TypeError, match="functional_call: module must be a Module, got function"):
        functional_call(lambda x: x, {}, x)
    assert isinstance(layer.weight, nn.Parameter)


def test_stateless_functional_call_is_the_same_call_with_a_warning():
    layer = nn.Linear(2, 1)
    with pytest.warns(FutureWarning, match="Please use `torch.func.functional_call` instead"):
        out = nn.utils.stateless.functional_call(layer, {"bias": fastgrad.tensor([10.0]),
                                                         "weight": fastgrad.zeros(1, 2)}, fastgrad.ones(1, 2))
    assert float(out) == 10.0


def two_argument_function(a, b):
    return (a.unsqueeze(-1) * b.reshape(-1)).tanh() + a.sum() * b.sin().sum()


def constants(*shapes_and_seeds):
    return [float64_leaf(shape, seed).detach() for shape, seed in shapes_and_seeds]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape_a=shapes, shape_b=shapes, seed=st.integers(0, 2**16))
def test_jacrev_and_jacfwd_equal_central_differences(shape_a, shape_b, seed):
    a, b = constants((shape_a, seed), (shape_b, seed + 1))
    for transform in (jacrev, jacfwd):
        blocks = transform(two_argument_function, argnums=(0, 1))(a, b)
        for index, block in enumerate(blocks):
            np.testing.assert_allclose(block.numpy(), central_difference_jacobian(two_argument_function, (a, b), index),
                                       rtol=1e-6, atol=1e-8)
        single = transform(two_argument_function, argnums=1)(a, b)
        np.testing.assert_array_equal(single.numpy(), blocks[1].numpy())


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape_a=shapes, shape_b=shapes, seed=st.integers(0, 2**16))
def test_grad_equals_central_differences_and_is_differentiable(shape_a, shape_b, seed):
    a, b = constants((shape_a, seed), (shape_b, seed + 1))

    def scalar(a, b):
        return two_argument_function(a, b).sum()

    grads, value = grad_and_value(scalar, argnums=(0, 1))(a, b)
    assert value.item() == pytest.approx(scalar(a, b).item(), rel=1e-15)
    for index, g in enumerate(grads):
        np.testing.assert_allclose(g.numpy(), central_difference_jacobian(scalar, (a, b), index), rtol=1e-6, atol=1e-8)
    # the gradient, differentiated by the caller's autograd (a recorded backward), against central differences
    assert fastgrad.gradcheck(lambda a, b: grad(scalar, argnums=0)(a, b), [a.requires_grad_(), b.requires_grad_()])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_hessian_of_a_quadratic_form_and_of_a_sum_of_cubes(shape, seed):
    x, = constants((shape, seed))
    n = x.numel()
    matrix = fastgrad.tensor(np.random.default_rng(seed).standard_normal((n, n)))
    h = hessian(lambda x: x.reshape(-1) @ matrix @ x.reshape(-1))(x)
    np.testing.assert_allclose(h.numpy(), (matrix + matrix.T).numpy().reshape(shape + shape), rtol=1e-13, atol=1e-13)
    cubes = hessian(lambda x: (x ** 3).sum())(x)
    np.testing.assert_allclose(cubes.numpy(), np.diag(6 * x.numpy().reshape(-1)).reshape(shape + shape), rtol=1e-13)


def test_vjp_and_jvp_are_products_with_the_jacobian(rng):
    a, b = fastgrad.tensor(rng.standard_normal(3)), fastgrad.tensor(rng.standard_normal((2, 3)))
    u, v_a, v_b = (fastgrad.tensor(rng.standard_normal(s)) for s in ((3, 6), 3, (2, 3)))
    jac_a, jac_b = jacrev(two_argument_function, argnums=(0, 1))(a, b)
    output, vjp_fn = vjp(two_argument_function, a, b)
    np.testing.assert_array_equal(output.numpy(), two_argument_function(a, b).numpy())
    for _ in range(2):  # vjp_fn can be called again
        g_a, g_b = vjp_fn(u)
        np.testing.assert_allclose(g_a.numpy(), np.tensordot(u.numpy(), jac_a.numpy(), 2), rtol=1e-12)
        np.testing.assert_allclose(g_b.numpy(), np.tensordot(u.numpy(), jac_b.numpy(), 2), rtol=1e-12)
    output, tangent = jvp(two_argument_function, (a, b), (v_a, v_b))
    expected = np.tensordot(jac_a.numpy(), v_a.numpy(), 1) + np.tensordot(jac_b.numpy(), v_b.numpy(), 2)
    np.testing.assert_allclose(tangent.numpy(), expected, rtol=1e-12)


def test_argnums_pytrees_and_aux():
    params = {"w": fastgrad.tensor([1.0, 2.0]), "b": (fastgrad.tensor(0.5),)}
    x = fastgrad.tensor([3.0, 4.0])

    def loss(params, x):
        out = (params["w"] * x).sum() + params["b"][0]
        return out ** 2, {"out": out}

    grads, aux = grad(loss, has_aux=True)(params, x)
    assert set(grads) == {"w", "b"} and isinstance(grads["b"], tuple)
    assert grads["w"].tolist() == [2 * 11.5 * 3, 2 * 11.5 * 4] and grads["b"][0].item() == 23.0
    assert aux["out"].item() == 11.5 and not aux["out"].requires_grad
    both = grad(lambda p, x: loss(p, x)[0], argnums=(1, -2))(params, x)
    assert both[0].tolist() == [23.0, 46.0] and both[1]["w"].tolist() == grads["w"].tolist()
    unused = grad(lambda a, b: (a * 2).sum(), argnums=1)(x, x)
    assert unused.tolist() == [0.0, 0.0]  # zeros, as PyTorch's grad


def test_nothing_is_left_on_the_callers_tensors_and_nothing_is_recorded_needlessly():
    x = fastgrad.tensor([1.0, 2.0])
    g, value = grad_and_value(lambda x: (x ** 3).sum())(x)
    jac = jacrev(lambda x: x.exp())(x)
    out, tangent = jvp(lambda x: x.exp(), (x,), (fastgrad.ones(2),))
    assert not any(t.requires_grad for t in (g, value, jac, out, tangent))
    assert x.grad is None and not x.requires_grad and x.tolist() == [1.0, 2.0]
    leaf = fastgrad.tensor([1.0, 2.0], requires_grad=True)
    g = grad(lambda x: (x ** 3).sum())(leaf)
    assert leaf.grad is None and g.requires_grad  # differentiable with respect to the caller's leaf
    g.sum().backward()
    assert leaf.grad.tolist() == [6.0, 12.0]


def test_a_tensor_the_function_closes_over_keeps_its_gradient():
    """A gradient penalty: the gradient depends on a weight that is not an argument, so the backward pass
    is recorded and the caller's backward reaches the weight."""
    weight = fastgrad.tensor(2.0, requires_grad=True)
    x = fastgrad.tensor([1.0, -3.0])
    g = grad(lambda x: (weight * x ** 3).sum())(x)
    assert g.tolist() == [6.0, 54.0]
    (g ** 2).sum().backward()  # d/dw sum (3 w x^2)^2 = 18 w sum x^4
    assert weight.grad.item() == pytest.approx(18 * 2.0 * (1 + 81))
    with fastgrad.no_grad():  # as PyTorch's: the transform still differentiates, the result is not recorded
        g = grad(lambda x: (weight * x ** 3).sum())(x)
    assert g.tolist() == [6.0, 54.0] and not g.requires_grad


def test_nested_transforms():
    x = fastgrad.tensor([0.5, -1.0, 2.0])
    cube = lambda x: (x ** 3).sum()  # noqa: E731
    assert grad(lambda x: grad(cube)(x).sum())(x).tolist() == (6 * x).tolist()
    assert jacrev(jacrev(cube))(x).tolist() == hessian(cube)(x).tolist() == np.diag(6 * x.numpy()).tolist()
    assert grad(lambda x: vmap(lambda r: r ** 3)(x).sum())(x).tolist() == (3 * x ** 2).tolist()
    per_row = vmap(jacrev(lambda r: r.sin()))(x.reshape(3, 1))
    np.testing.assert_allclose(per_row.numpy(), np.cos(x.numpy()).reshape(3, 1, 1), rtol=1e-15)


def test_vmap_equals_a_loop(rng):
    a, b = fastgrad.tensor(rng.standard_normal((3, 4))), fastgrad.tensor(rng.standard_normal((4, 5, 3)))

    def func(a, b, *, scale):
        return (a @ b) * scale, {"total": (a.sum() * b).sum()}

    out, extra = vmap(func, in_dims=(0, 2), out_dims=(1, {"total": 0}))(a, b, scale=2.0)
    loop = [func(a[i], b[:, :, i], scale=2.0) for i in range(3)]
    np.testing.assert_allclose(out.numpy(), np.stack([o.numpy() for o, _ in loop], axis=1), rtol=1e-15)
    np.testing.assert_allclose(extra["total"].numpy(), [e["total"].item() for _, e in loop], rtol=1e-15)
    outer = vmap(vmap(lambda u, v: u * v, in_dims=(None, 0)), in_dims=(0, None))(a[0], a[1])
    np.testing.assert_allclose(outer.numpy(), np.outer(a[0].numpy(), a[1].numpy()), rtol=1e-15)
    chunked = vmap(lambda r: r.sum(), in_dims=-1, chunk_size=2)(b)
    np.testing.assert_allclose(chunked.numpy(), b.numpy().sum(axis=(0, 1)), rtol=1e-14)
    shared = vmap(lambda r, c: (r, c), in_dims=(0, None), out_dims=(0, None))(a, fastgrad.ones(2))
    assert shared[1].tolist() == [1.0, 1.0]


def test_per_sample_gradients_of_a_linear_model(rng):
    """vmap(grad(loss)) with functional_call: the gradient of (w . x_i + b - y_i)^2 is 2 r_i (x_i, 1)."""
    model = nn.Linear(3, 1).double()
    params = {name: p.detach() for name, p in model.named_parameters()}
    x, y = fastgrad.tensor(rng.standard_normal((5, 3))), fastgrad.tensor(rng.standard_normal(5))

    def loss(params, x, y):
        return ((functional_call(model, params, (x.unsqueeze(0),)).squeeze() - y) ** 2)

    grads = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
    residual = x.numpy() @ params["weight"].numpy()[0] + params["bias"].item() - y.numpy()
    np.testing.assert_allclose(grads["weight"].numpy(), 2 * residual[:, None, None] * x.numpy()[:, None, :],
                               rtol=1e-13)
    np.testing.assert_allclose(grads["bias"].numpy(), 2 * residual[:, None], rtol=1e-13)
    assert model.weight.grad is None


def test_vmap_randomness_modes():
    x = fastgrad.zeros(3, 4, dtype=fastgrad.float64)
    noisy = lambda r: r + fastgrad.rand(4, dtype=fastgrad.float64)  # noqa: E731
    with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
        vmap(noisy)(x)
    with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
        vmap(lambda r: nn.functional.dropout(r, 0.5))(x)
    fastgrad.manual_seed(3)
    same = vmap(noisy, randomness="same")(x)
    once = fastgrad.rand(4, dtype=fastgrad.float64)
    fastgrad.manual_seed(3)
    assert same.tolist() == [fastgrad.rand(4, dtype=fastgrad.float64).tolist()] * 3
    assert once.tolist() == fastgrad.rand(4, dtype=fastgrad.float64).tolist()  # the generator moved on once
    different = vmap(noisy, randomness="different")(x)
    assert len({tuple(row) for row in different.tolist()}) == 3
    generator = fastgrad.Generator().manual_seed(0)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        vmap(lambda r: r + fastgrad.rand(4, generator=generator, dtype=fastgrad.float64))(x)
    own = vmap(lambda r: r + fastgrad.rand(4, generator=generator, dtype=fastgrad.float64), randomness="same")(x)
    assert own[0].tolist() == own[1].tolist() == own[2].tolist()
    with pytest.raises(RuntimeError, match="randomness error mode"):
        jacfwd(noisy)(x[0])
    with pytest.raises(NotImplementedError, match="randomness='different'"):
        jacfwd(noisy, randomness="different")(x[0])
    assert jacfwd(noisy, randomness="same")(x[0]).tolist() == np.eye(4).tolist()


@pytest.mark.parametrize("call, error, match", [
    (lambda x: vmap(lambda a, b: a + b)(x, fastgrad.ones(3)), ValueError, r"same size in the mapped dimension, got "
                                                                          r"sizes \[2, 3\]"),
    (lambda x: vmap(lambda a: a, in_dims=2)(x), ValueError, "expected in_dim to satisfy -2 <= in_dim < 2"),
    (lambda x: vmap(lambda a, b: a, in_dims=(0,))(x, x), ValueError, "in_dims is not compatible with the structure"),
    (lambda x: vmap(lambda a: 1.0)(x), ValueError, "must only return Tensors, got type <class 'float'>"),
    (lambda x: vmap(lambda a: a, out_dims=None)(x.cumsum(0)), ValueError, "can not return a BatchedTensor"),
    (lambda x: vmap(lambda a: a, out_dims="0")(x), ValueError, "`out_dims` must be an int, None or a python"),
    (lambda x: vmap(lambda a, b: a, in_dims=(0, 0))(x, 2.0), ValueError, "cannot vmap over non-Tensor arguments"),
    (lambda x: vmap(lambda a: a, in_dims=None)(x), ValueError, "expected `in_dims` to be int or a"),
    (lambda x: vmap(lambda a: a, in_dims=(None,))(x), ValueError, "Expected at least one Tensor to vmap over"),
    (lambda x: vmap(lambda: x)(), ValueError, "got no inputs"),
    (lambda x: vmap(lambda a: a, randomness="never"), RuntimeError, "Only allowed values for randomness"),
    (lambda x: vmap(lambda a: a, chunk_size=0), ValueError, "chunk_size should be None or greater than 0"),
    (lambda x: vmap(lambda a: a.sum())(fastgrad.ones(0, 2)), NotImplementedError, "a batch of size 0"),
    (lambda x: vmap(lambda a: (a,) if a.sum() > 3 else a)(x.cumsum(0)), RuntimeError, "must have one structure"),
    (lambda x: vmap(lambda a: a[a > 1])(x.cumsum(0)), RuntimeError, "stack: each tensor must have the same shape"),
    (lambda x: grad(lambda a: a)(x), RuntimeError, "to return a scalar Tensor, got tensor with 2 dims"),
    (lambda x: grad(lambda a: a.sum(), has_aux=True)(x), RuntimeError, r"should be a tuple: \(output, aux\)"),
    (lambda x: grad(lambda a: (a.sum(), 1), has_aux=True)(x), RuntimeError, "Expected tensors, got unsupported"),
    (lambda x: grad(lambda a: a.sum(), argnums=1)(x), RuntimeError, "Got argnum=1, but only 1 positional inputs"),
    (lambda x: grad(lambda a: a.sum(), argnums=(0, -1))(x), RuntimeError, "argnums elements must be unique"),
    (lambda x: grad(lambda a: a.sum(), argnums=[0])(x), RuntimeError, "argnums must be int or Tuple"),
    (lambda x: grad(lambda a: a)(2.0), ValueError, "Thing passed to transform API must be Tensor"),
    (lambda x: vjp(lambda a: a.long(), x), RuntimeError, "All outputs of f must be floating-point"),
    (lambda x: vjp(lambda a: a * 2, x)[1]((x,)), RuntimeError, "Expected pytree structure of cotangents"),
    (lambda x: jvp(lambda a: a, x, x), RuntimeError, "Expected primals to be a tuple"),
    (lambda x: jvp(lambda a: a, (x,), (fastgrad.ones(3),)), RuntimeError, "different size than that of the original"),
    (lambda x: jvp(lambda a: fastgrad.ones(2), (x,), (x,), strict=True), RuntimeError, "independent of the inputs"),
    (lambda x: jacrev(lambda a: 1.0)(x), RuntimeError, "expected f\\(\\*primals\\) to return only tensors"),
    (lambda x: jacrev(lambda a: a, chunk_size=0), ValueError, "`chunk_size` should be greater than 0"),
], ids=lambda value: "" if callable(value) or isinstance(value, type) else value[:30])
def test_refusals(call, error, match):
    with pytest.raises(error, match=match):
        call(fastgrad.ones(2, 3, dtype=fastgrad.float64))


def test_pytrees_round_trip_and_prefixes_broadcast():
    from collections import OrderedDict, namedtuple

    from fastgrad.func.pytree import broadcast_prefix, tree_flatten, tree_unflatten

    Pair = namedtuple("Pair", "first second")
    tree = (1, [2, None], {"b": 3, "a": Pair(4, 5)}, OrderedDict(z=6))
    leaves, spec = tree_flatten(tree)
    assert leaves == [1, 2, None, 3, 4, 5, 6]  # None is a leaf; dicts in insertion order
    rebuilt = tree_unflatten(leaves, spec)
    assert rebuilt == tree and type(rebuilt[2]["a"]) is Pair and type(rebuilt[3]) is OrderedDict
    assert broadcast_prefix((0, None, {"b": 1, "a": 2}, 3), spec) == [0, None, None, 1, 2, 2, 3]
    assert broadcast_prefix((0, None, {"a": 1, "b": 2}, 3), spec) is None  # keys in another order
    assert broadcast_prefix((0, [1], 2, 3), spec) is None and broadcast_prefix(7, spec) == [7] * 7
    assert str(spec) == "(*, [*, *], {'b': *, 'a': Pair(*, *)}, {'z': *})"

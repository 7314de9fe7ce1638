"""fastgrad.func against torch.func. functional_call (and nn.utils.stateless.functional_call): outputs,
gradients reaching the given tensors and not the module's, tied weights, buffers updated during the
call, several dicts, and the errors. The transforms: values, dtypes and output structures of grad,
grad_and_value, vjp, jvp, jacrev, jacfwd, hessian and vmap (nested, over pytrees), per-sample gradients of
a small model as in PyTorch's tutorial, a gradient penalty through a closed-over parameter, the randomness
modes, and the same errors."""
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

LIBRARIES = {"fastgrad": fastgrad, "torch": torch}


def tied_model(library, rng_values):
    class Tied(library.nn.Module):
        def __init__(self):
            super().__init__()
            self.first = library.nn.Linear(3, 3)
            self.second = library.nn.Linear(3, 3)
            self.second.weight = self.first.weight

        def forward(self, x):
            return self.second(self.first(x).tanh())

    model = Tied().double()
    model.load_state_dict({k: library.tensor(v) for k, v in rng_values.items()}, strict=False)
    return model


def values_for(rng):
    return {"first.weight": rng.standard_normal((3, 3)), "first.bias": rng.standard_normal(3),
            "second.bias": rng.standard_normal(3)}


@pytest.mark.parametrize("tie_weights", [True, False])
def test_outputs_and_gradients_reach_the_given_tensors(rng, tie_weights):
    values, given, x = values_for(rng), rng.standard_normal((3, 3)), rng.standard_normal((4, 3))
    results = {}
    for name, library in LIBRARIES.items():
        model = tied_model(library, values)
        weight = library.tensor(given, requires_grad=True)
        out = library.func.functional_call(model, {"first.weight": weight}, (library.tensor(x),),
                                           tie_weights=tie_weights)
        out.sum().backward()
        own_grad = model.first.weight.grad  # only when untied: the second layer kept the module's weight
        results[name] = (out.detach().numpy(), weight.grad.numpy(), None if own_grad is None else own_grad.numpy(),
                         model.first.weight.detach().numpy(), model.second.weight is model.first.weight,
                         type(model.first.weight).__name__)
    ours, theirs = results["fastgrad"], results["torch"]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
    assert (ours[2] is None) == (theirs[2] is None) == tie_weights
    if not tie_weights:
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)
    np.testing.assert_array_equal(ours[3], values["first.weight"])  # and is back in place
    assert ours[4] and theirs[4] and ours[5] == theirs[5] == "Parameter"


def test_a_buffer_changed_during_the_call_is_written_back_to_the_dict(rng):
    x = rng.standard_normal((6, 3))
    results = {}
    for name, library in LIBRARIES.items():
        norm = library.nn.BatchNorm1d(3).double()
        given = {"running_mean": library.zeros(3, dtype=library.float64),
                 "running_var": library.ones(3, dtype=library.float64)}
        params = {"weight": library.ones(3, dtype=library.float64)}
        out = library.func.functional_call(norm, (params, given), library.tensor(x))
        results[name] = (out.detach().numpy(), given["running_mean"].numpy(), given["running_var"].numpy(),
                         norm.running_mean.numpy(), int(norm.num_batches_tracked))
    for mine, theirs in zip(results["fastgrad"], results["torch"]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_stateless_functional_call_warns_as_pytorchs(rng):
    caught = {}
    for name, library in LIBRARIES.items():
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            out = library.nn.utils.stateless.functional_call(library.nn.Linear(2, 1).double(),
                                                             {"bias": library.zeros(1, dtype=library.float64)},
                                                             library.zeros(1, 2, dtype=library.float64))
        caught[name] = [(r.category, str(r.message)) for r in records], out.detach().numpy().tolist()
    assert caught["fastgrad"][0] == caught["torch"][0] and caught["fastgrad"][0]
    assert caught["fastgrad"][1] == [[0.0]]


@pytest.mark.parametrize("given, kwargs", [
    ({"first.weight": 1, "second.weight": 2}, {}),  # two values for one tied tensor
    ({"first.weight": 1, "extra": 2}, {"strict": True}),
    (({"first.bias": 1}, {"first.bias": 1}), {}),
    ("weights", {}),
], ids=["tied", "strict", "repeated", "not_a_dict"])
def test_errors_are_pytorchs(rng, given, kwargs):
    values, errors = values_for(rng), {}
    for name, library in LIBRARIES.items():
        model = tied_model(library, values)
        tensors = {1: library.zeros(3, 3, dtype=library.float64), 2: library.ones(3, 3, dtype=library.float64)}
        if isinstance(given, dict):
            given_here = {k: tensors[v] for k, v in given.items()}
        elif isinstance(given, tuple):
            given_here = tuple({k: tensors[v] for k, v in d.items()} for d in given)
        else:
            given_here = given
        with pytest.raises(Exception) as info:
            library.func.functional_call(model, given_here, library.zeros(1, 3, dtype=library.float64), **kwargs)
        errors[name] = type(info.value), str(info.value).replace("torch.", "fastgrad.")
    assert errors["fastgrad"][0] is errors["torch"][0]
    assert errors["fastgrad"][1] == errors["torch"][1]


def assert_same_tree(ours, theirs, rtol=1e-12):
    """Equal nesting (tuples, lists, dicts), shapes, dtypes and values (to rtol)."""
    if isinstance(theirs, (tuple, list, dict)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        if isinstance(theirs, dict):
            assert list(ours) == list(theirs)
            ours, theirs = list(ours.values()), list(theirs.values())
        for a, b in zip(ours, theirs):
            assert_same_tree(a, b, rtol)
        return
    assert isinstance(ours, fastgrad.Tensor) and isinstance(theirs, torch.Tensor)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-14)


A = np.array([0.5, -1.5, 2.0])
B = np.array([[1.0, -0.5, 0.25], [2.0, 0.0, -1.0]])

TRANSFORMS = {
    "grad": lambda L: L.func.grad(lambda a, b: (b @ a.sin()).exp().sum())(L.tensor(A), L.tensor(B)),
    "grad_argnums_tuple_aux": lambda L: L.func.grad(lambda a, b: ((a * b).tanh().sum(), {"m": a * 2}),
                                                    argnums=(1, 0), has_aux=True)(L.tensor(A), L.tensor(B)),
    "grad_dict_argument": lambda L: L.func.grad(lambda p, x: (p["w"] @ x + p["b"][0]).pow(2).sum())(
        {"w": L.tensor(B), "b": [L.tensor(1.5)]}, L.tensor(A)),
    "grad_and_value": lambda L: L.func.grad_and_value(lambda a: (a ** 3).sum(), has_aux=False)(L.tensor(A)),
    "grad_unused_argument": lambda L: L.func.grad(lambda a, b: a.sum(), argnums=(0, 1))(L.tensor(A), L.tensor(B)),
    "grad_of_grad": lambda L: L.func.grad(lambda a: L.func.grad(lambda c: (c.sin() * c).sum())(a).sum())(L.tensor(A)),
    "vjp": lambda L: (lambda out, fn: (out, fn((L.tensor(B), L.tensor(2.0)))))(
        *L.func.vjp(lambda a, b: (b * a.exp(), a.sum()), L.tensor(A), L.tensor(B))),
    "jvp": lambda L: L.func.jvp(lambda a, b: {"p": b @ a.cos(), "q": (a * a,)}, (L.tensor(A), L.tensor(B)),
                                (L.tensor(A[::-1].copy()), L.tensor(B * 3))),
    "jvp_aux": lambda L: L.func.jvp(lambda a: (a.exp(), a.sum()), (L.tensor(A),), (L.ones(3, dtype=L.float64),),
                                    has_aux=True),
    "jacrev": lambda L: L.func.jacrev(lambda a, b: (b @ a.sin(), a.prod()), argnums=(0, 1))(L.tensor(A), L.tensor(B)),
    "jacrev_aux_dict": lambda L: L.func.jacrev(lambda d: ({"y": d["a"] * d["b"][0]}, d["a"].sum()), has_aux=True)(
        {"a": L.tensor(A), "b": L.tensor(B)}),
    "jacfwd": lambda L: L.func.jacfwd(lambda a, b: b @ a.sin(), argnums=1)(L.tensor(A), L.tensor(B)),
    "jacfwd_integer_output": lambda L: L.func.jacfwd(lambda a: (a > 0).long())(L.tensor(A)),
    "hessian": lambda L: L.func.hessian(lambda a, b: (1 + (b @ a.exp()) ** 2).log().sum(), argnums=(0, 1))(
        L.tensor(A), L.tensor(B)),
    "hessian_float32": lambda L: L.func.hessian(lambda a: (a ** 4).sum())(L.tensor(A, dtype=L.float32)),
    "vmap_nested_dims": lambda L: L.func.vmap(lambda x, y: (x * y, {"s": x.sum()}), in_dims=(1, None),
                                              out_dims=(1, {"s": 0}))(L.tensor(B), L.tensor(A[:2])),
    "vmap_nested_vmap": lambda L: L.func.vmap(L.func.vmap(L.dot, in_dims=(0, None)), in_dims=(None, 0))(
        L.tensor(B), L.tensor(B * 2)),
    "vmap_of_jacrev": lambda L: L.func.vmap(L.func.jacrev(lambda r: r.exp() * r.sum()))(L.tensor(B)),
    "grad_of_vmap": lambda L: L.func.grad(lambda b: L.func.vmap(lambda r: r.sin().sum())(b).prod())(L.tensor(B)),
    "vmap_list_in_dims_kwargs": lambda L: L.func.vmap(lambda pair, scale=1.0: pair[0] @ pair[1] * scale,
                                                      in_dims=([0, 1],))([L.tensor(B), L.tensor(B.T.copy())],
                                                                         scale=L.tensor(3.0, dtype=L.float64)),
    "vmap_chunked_negative_dims": lambda L: L.func.vmap(lambda r: r.cumsum(0), in_dims=-1, out_dims=-1,
                                                        chunk_size=2)(L.tensor(B)),
}


@pytest.mark.parametrize("name", TRANSFORMS)
def test_transforms_match_torch(name):
    ours, theirs = TRANSFORMS[name](fastgrad), TRANSFORMS[name](torch)
    assert_same_tree(ours, theirs, rtol=1e-6 if "float32" in name else 1e-12)


def small_model(library, rng_values):
    model = library.nn.Sequential(library.nn.Linear(4, 6), library.nn.Tanh(), library.nn.Linear(6, 3)).double()
    model.load_state_dict({k: library.tensor(v) for k, v in rng_values.items()})
    return model


def test_per_sample_gradients_as_in_pytorchs_tutorial(rng):
    """vmap(grad(loss), in_dims=(None, None, 0, 0)) with functional_call, the parameters detached; and again
    with the parameters themselves, whose per-sample gradients then feed a loss that reaches the model."""
    values = {"0.weight": rng.standard_normal((6, 4)), "0.bias": rng.standard_normal(6),
              "2.weight": rng.standard_normal((3, 6)), "2.bias": rng.standard_normal(3)}
    data, targets = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
    results = {}
    for name, library in LIBRARIES.items():
        model = small_model(library, values)

        def compute_loss(params, buffers, sample, target):
            prediction = library.func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
            return library.nn.functional.cross_entropy(prediction, target.unsqueeze(0))

        per_sample = library.func.vmap(library.func.grad(compute_loss), in_dims=(None, None, 0, 0))
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}
        detached = per_sample(params, buffers, library.tensor(data), library.tensor(targets))
        attached = per_sample(dict(model.named_parameters()), buffers, library.tensor(data), library.tensor(targets))
        sum(g.pow(2).sum() for g in attached.values()).backward()
        results[name] = detached, attached, {k: p.grad for k, p in model.named_parameters()}
    for ours, theirs in zip(results["fastgrad"], results["torch"]):
        assert_same_tree(ours, theirs, rtol=1e-10)
    assert all(not g.requires_grad for g in results["fastgrad"][0].values())


def test_a_gradient_penalty_through_a_closed_over_parameter(rng):
    values, x = rng.standard_normal((3, 3)), rng.standard_normal((2, 3))
    results = {}
    for name, library in LIBRARIES.items():
        weight = library.tensor(values, requires_grad=True)
        inputs = library.tensor(x)
        input_grad = library.func.grad(lambda v: (v @ weight).tanh().sum())(inputs)
        (input_grad.norm() - 1).pow(2).backward()
        results[name] = input_grad, weight.grad, inputs.grad
    assert_same_tree(results["fastgrad"][:2], results["torch"][:2])
    assert results["fastgrad"][2] is None and results["torch"][2] is None


@pytest.mark.parametrize("randomness", ["error", "same", "different"])
def test_randomness_modes(randomness):
    """What each mode allows, and which draws agree across the batch (the values are each library's own)."""
    outcomes = {}
    for name, library in LIBRARIES.items():
        generator = library.Generator().manual_seed(0)

        def noisy(r):
            return (r + library.rand(3, dtype=library.float64)
                    + library.nn.functional.dropout(library.ones(3, dtype=library.float64), 0.5)
                    + library.randn(3, generator=generator, dtype=library.float64))

        try:
            out = library.func.vmap(noisy, randomness=randomness)(library.zeros(4, 3, dtype=library.float64))
            outcomes[name] = [bool((out[0] == out[i]).all()) for i in range(1, 4)]
        except RuntimeError as error:
            outcomes[name] = str(error)
    assert outcomes["fastgrad"] == outcomes["torch"]


def first_line(message: str) -> str:
    """An error message up to the pytree structure it names, which each library prints its own way."""
    return message.split(" has structure")[0].split(" with structure")[0].replace("torch.", "")


ERRORS = {
    "vmap_sizes": lambda L, x: L.func.vmap(lambda a, b: a + b)(x, L.ones(3, 3)),
    "vmap_in_dim_range": lambda L, x: L.func.vmap(lambda a: a, in_dims=-3)(x),
    "vmap_in_dims_structure": lambda L, x: L.func.vmap(lambda a, b: a, in_dims=(0, 0, 0))(x, x),
    "vmap_in_dims_type": lambda L, x: L.func.vmap(lambda a: a, in_dims=[0])(x),
    "vmap_in_dim_not_int": lambda L, x: L.func.vmap(lambda a: a, in_dims=(0.0,))(x),
    "vmap_non_tensor_input": lambda L, x: L.func.vmap(lambda a, b: a, in_dims=(0, 0))(x, None),
    "vmap_nothing_mapped": lambda L, x: L.func.vmap(lambda a: a, in_dims=(None,))(x),
    "vmap_no_inputs": lambda L, x: L.func.vmap(lambda: x)(),
    "vmap_non_tensor_output": lambda L, x: L.func.vmap(lambda a: (a, 2))(x),
    "vmap_batched_output_unmapped": lambda L, x: L.func.vmap(lambda a: a * 2, out_dims=None)(x.cumsum(0)),
    "vmap_out_dims_structure": lambda L, x: L.func.vmap(lambda a: (a, a), out_dims=(0, 0, 0))(x),
    "vmap_out_dims_tensor": lambda L, x: L.func.vmap(lambda a: a, out_dims=(0, 1))(x),
    "vmap_out_dims_type": lambda L, x: L.func.vmap(lambda a: a, out_dims=0.5)(x),
    "vmap_out_dim_range": lambda L, x: L.func.vmap(lambda a: a, out_dims=3)(x),
    "vmap_randomness": lambda L, x: L.func.vmap(lambda a: a, randomness="sometimes"),
    "vmap_chunk_size": lambda L, x: L.func.vmap(lambda a: a, chunk_size=-1),
    "vmap_random_draw": lambda L, x: L.func.vmap(lambda a: a * L.rand(()))(x),
    "grad_vector_output": lambda L, x: L.func.grad(lambda a: a * 2)(x),
    "grad_non_tensor_output": lambda L, x: L.func.grad(lambda a: 2.0)(x),
    "grad_aux_not_pair": lambda L, x: L.func.grad(lambda a: (a.sum(),), has_aux=True)(x),
    "grad_aux_not_tensors": lambda L, x: L.func.grad(lambda a: (a.sum(), [a, "x"]), has_aux=True)(x),
    "grad_argnum_range": lambda L, x: L.func.grad(lambda a, b: a.sum(), argnums=-3)(x, x),
    "grad_argnums_repeated": lambda L, x: L.func.grad(lambda a, b: a.sum(), argnums=(1, -1))(x, x),
    "grad_argnums_empty": lambda L, x: L.func.grad(lambda a, b: a.sum(), argnums=())(x, x),
    "grad_argnums_type": lambda L, x: L.func.grad(lambda a, b: a.sum(), argnums=(0, "1"))(x, x),
    "grad_argument_not_tensor": lambda L, x: L.func.grad(lambda a: a.sum())([x, 1.0]),
    "vjp_integer_output": lambda L, x: L.func.vjp(lambda a: a.long(), x),
    "vjp_no_output": lambda L, x: L.func.vjp(lambda a: (), x),
    "vjp_cotangent_structure": lambda L, x: L.func.vjp(lambda a: (a, a), x)[1]([x, x]),
    "jvp_primals_not_tuple": lambda L, x: L.func.jvp(lambda a: a, [x], [x]),
    "jvp_structure": lambda L, x: L.func.jvp(lambda a: a, (x,), (x, x)),
    "jvp_empty": lambda L, x: L.func.jvp(lambda: x, (), ()),
    "jvp_tangent_not_tensor": lambda L, x: L.func.jvp(lambda a: a, (x,), (1.0,)),
    "jvp_tangent_shape": lambda L, x: L.func.jvp(lambda a: a, (x,), (x[0],)),
    "jvp_strict": lambda L, x: L.func.jvp(lambda a: a.detach(), (x,), (x,), strict=True),
    "jvp_aux_not_pair": lambda L, x: L.func.jvp(lambda a: a, (x,), (x,), has_aux=True),
    "jacrev_chunk_size": lambda L, x: L.func.jacrev(lambda a: a, chunk_size=0),
    "jacrev_integer_output": lambda L, x: L.func.jacrev(lambda a: a.long())(x),
    "jacrev_non_tensor_output": lambda L, x: L.func.jacrev(lambda a: [a, 1])(x),
    "jacfwd_non_tensor_output": lambda L, x: L.func.jacfwd(lambda a: None)(x),
    "jacfwd_random_draw": lambda L, x: L.func.jacfwd(lambda a: a * L.rand(()))(x),
    "jacfwd_randomness": lambda L, x: L.func.jacfwd(lambda a: a, randomness="never")(x),
    "hessian_argnum_range": lambda L, x: L.func.hessian(lambda a: a.sum(), argnums=1)(x),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    errors = {}
    for library_name, library in LIBRARIES.items():
        with pytest.raises(Exception) as info:
            ERRORS[name](library, library.ones(2, 3, dtype=library.float64))
        errors[library_name] = type(info.value), first_line(str(info.value))
    assert errors["fastgrad"][0] is errors["torch"][0]
    assert errors["fastgrad"][1].lower() == errors["torch"][1].lower()

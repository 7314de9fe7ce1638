"""Module hooks against torch.nn's: which hooks run and in what order, what each receives, what its
return value replaces, and the gradients that result."""
import warnings

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
import fastgrad.nn.modules.module as module_module

torch = pytest.importorskip("torch")


def both(build):
    """The same construction with fastgrad.nn and torch.nn, in float64, with PyTorch's weights in ours."""
    ours, theirs = build(nn, fastgrad).double(), build(torch.nn, torch).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def libraries(ours, theirs):
    return (ours, fastgrad), (theirs, torch)


def tensor(lib, shape, seed=0, requires_grad=True):
    data = np.random.default_rng(seed).standard_normal(shape)
    return lib.tensor(data, dtype=lib.float64, requires_grad=requires_grad)


def plain(value):
    """Tensors as arrays (and their kind), through tuples, lists and dicts: what to compare between the libraries."""
    if isinstance(value, (fastgrad.Tensor, torch.Tensor)):
        return value.detach().numpy().copy()
    if isinstance(value, (tuple, list)):
        return tuple(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def assert_same(ours, theirs, path="log"):
    """The same structure, None and other values in the same places, arrays equal to rounding."""
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), f"{path}: {ours!r} where PyTorch has an array"
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=path)
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), f"{path}: {ours!r} vs {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{path}: {ours!r} vs {theirs!r}"
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{path}[{key!r}]")
    else:
        assert ours == theirs, f"{path}: {ours!r} vs {theirs!r}"


def record_every_hook(model, log: list) -> None:
    """All four hooks on every module of model; each call appends (kind, module name, what it received)."""
    for name, module in model.named_modules():
        module.register_forward_pre_hook(lambda m, args, name=name: log.append(("forward_pre", name, plain(args))))
        module.register_forward_hook(
            lambda m, args, out, name=name: log.append(("forward", name, plain(args), plain(out))))
        module.register_full_backward_pre_hook(lambda m, go, name=name: log.append(("backward_pre", name, plain(go))))
        module.register_full_backward_hook(
            lambda m, gi, go, name=name: log.append(("backward", name, plain(gi), plain(go))))


def grads(*tensors):
    return tuple(None if t.grad is None else t.grad.numpy().copy() for t in tensors)


MODELS = {
    "linear": lambda nn, lib: nn.Linear(3, 2),
    "sequential": lambda nn, lib: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)),
    "nested": lambda nn, lib: nn.Sequential(nn.Sequential(nn.Linear(3, 3), nn.ReLU()), nn.Linear(3, 2)),
    "identity": lambda nn, lib: nn.Sequential(nn.Identity(), nn.Linear(3, 2), nn.Identity()),
    "shared": lambda nn, lib: (lambda shared: nn.Sequential(shared, nn.Tanh(), shared))(nn.Linear(3, 3)),
}


@pytest.mark.parametrize("input_requires_grad", [True, False])
@pytest.mark.parametrize("name", list(MODELS))
def test_every_hook_runs_in_pytorchs_order_and_receives_pytorchs_values(name, input_requires_grad):
    ours, theirs = both(MODELS[name])
    results = []
    for model, lib in libraries(ours, theirs):
        log = []
        record_every_hook(model, log)
        x = tensor(lib, (5, 3), requires_grad=input_requires_grad)
        with warnings.catch_warnings(record=True) as caught:  # without an input gradient, hooks fire early
            warnings.simplefilter("always")
            (model(x) ** 2).sum().backward()
        early = [w for w in caught if "Full backward hook is firing" in str(w.message)]
        results.append((log, len(early), grads(x, *model.parameters())))
    assert_same(results[0], results[1])
    assert (results[0][1] == 0) == input_requires_grad


@pytest.mark.parametrize("with_state", [False, True])
def test_lstm_hooks_see_the_top_level_tensor_output_and_arguments_only(with_state):
    """LSTM returns (output, (h, c)): as in PyTorch, only `output` is a hooked output, so grad_output is
    (grad of output, None), and the state tuple argument gets None in grad_input."""
    ours, theirs = both(lambda nn, lib: nn.LSTM(3, 4))
    results = []
    for model, lib in libraries(ours, theirs):
        log = []
        record_every_hook(model, log)
        x = tensor(lib, (5, 2, 3))
        state = (tensor(lib, (1, 2, 4), 1), tensor(lib, (1, 2, 4), 2)) if with_state else None
        out, (h, c) = model(x, state) if with_state else model(x)
        (out.sum() + (h * 2).sum() + (c ** 2).sum()).backward()
        results.append((log, grads(x, *(state or ()), *model.parameters())))
    assert_same(results[0], results[1])
    backward = results[0][0][-1]
    assert backward[0] == "backward" and backward[3][1] is None and len(backward[2]) == (2 if with_state else 1)


class Mixed:
    """forward(a, n, b, c): a non-tensor argument, an input that requires grad but is not used (b), one
    that does not require grad (c), and an output that the loss does not use."""

    @staticmethod
    def build(nn, lib):
        class Net(nn.Module):
            def forward(self, a, n, b, c):
                return a * n + c, a.sum() * 2
        return Net()


def test_inputs_without_a_gradient_get_zeros_unused_outputs_and_non_tensors_none():
    results = []
    for lib in (fastgrad, torch):
        log = []
        model = Mixed.build(nn if lib is fastgrad else torch.nn, lib)
        record_every_hook(model, log)
        a, b, c = tensor(lib, (3,), 0), tensor(lib, (3,), 1), tensor(lib, (3,), 2, requires_grad=False)
        first, _ = model(a, 3.0, b, c)
        first.sum().backward()
        results.append((log, grads(a, b)))
    assert_same(results[0], results[1])
    _, _, grad_input, grad_output = results[0][0][-1]
    assert grad_input[1] is None and not grad_input[2].any() and not grad_input[3].any() and grad_output[1] is None


def test_a_backward_pre_hook_may_give_an_unused_output_a_gradient():
    results = []
    for lib in (fastgrad, torch):
        model = Mixed.build(nn if lib is fastgrad else torch.nn, lib)
        model.register_full_backward_pre_hook(lambda m, go: (go[0], go[0].sum() * 0 + 5))
        a = tensor(lib, (3,))
        first, _ = model(a, 3.0, tensor(lib, (3,), 1), tensor(lib, (3,), 2))
        first.sum().backward()
        results.append(grads(a))
    assert_same(results[0], results[1])
    np.testing.assert_allclose(results[0][0], 3.0 + 5 * 2)


HOOKS_THAT_CHANGE_THINGS = {
    "pre-hook returns one value": lambda m: m.register_forward_pre_hook(lambda m, args: args[0] * 2),
    "pre-hook returns a tuple": lambda m: m.register_forward_pre_hook(lambda m, args: (args[0] + 1,)),
    "forward hook replaces the output": lambda m: m.register_forward_hook(lambda m, args, out: out * 3),
    "backward pre-hook scales grad_output": lambda m: m.register_full_backward_pre_hook(lambda m, go: (go[0] * 10,)),
    "backward hook replaces grad_input": lambda m: m.register_full_backward_hook(lambda m, gi, go: (gi[0] + 1,)),
    "backward hook drops grad_input": lambda m: m.register_full_backward_hook(lambda m, gi, go: (None,)),
    "hooks that return None": lambda m: (m.register_forward_pre_hook(lambda *a: None),
                                         m.register_full_backward_hook(lambda *a: None)),
}


@pytest.mark.parametrize("register", list(HOOKS_THAT_CHANGE_THINGS.values()), ids=list(HOOKS_THAT_CHANGE_THINGS))
def test_what_a_hook_returns_replaces_what_pytorchs_replaces(register):
    ours, theirs = both(lambda nn, lib: nn.Linear(3, 2))
    results = []
    for model, lib in libraries(ours, theirs):
        register(model)
        x = tensor(lib, (4, 3))
        y = model(x)
        (y ** 2).sum().backward()
        results.append((plain(y), grads(x, *model.parameters())))
    assert_same(results[0], results[1])


@pytest.mark.parametrize("kind", ["forward_pre", "forward", "full_backward_pre", "full_backward"])
def test_prepend_and_removal_order_hooks_as_pytorch(kind):
    ours, theirs = both(lambda nn, lib: nn.Linear(3, 2))
    orders = []
    for model, lib in libraries(ours, theirs):
        order = []
        register = getattr(model, f"register_{kind}_hook")

        def hook(label):
            return lambda *args: order.append(label)
        register(hook("a"))
        register(hook("b"), prepend=True)
        removed = register(hook("c"))
        register(hook("d"), prepend=True)
        removed.remove()
        removed.remove()  # a second remove does nothing
        with register(hook("e")):  # removed when the block ends
            model(tensor(lib, (2, 3))).sum().backward()
        model(tensor(lib, (2, 3))).sum().backward()
        orders.append(order)
    assert orders[0] == orders[1] == ["d", "b", "a", "e", "d", "b", "a"]


class Scaled:
    @staticmethod
    def build(nn, lib):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.linear = nn.Linear(3, 2)

            def forward(self, x, scale=1.0, shift=None):
                out = self.linear(x) * scale
                return out if shift is None else out + shift
        return Net()


def test_with_kwargs_hooks_see_and_replace_keyword_arguments():
    ours, theirs = both(Scaled.build)
    results = []
    for model, lib in libraries(ours, theirs):
        log = []
        model.register_forward_pre_hook(lambda m, args, kwargs: log.append(("pre", plain(args), plain(kwargs))),
                                        with_kwargs=True)
        model.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] * 2,), {**kwargs, "scale": 3.0}),
                                        with_kwargs=True)
        model.register_forward_hook(lambda m, args, kwargs, out: log.append(("forward", plain(kwargs))) or out + 1,
                                    with_kwargs=True)
        model.register_full_backward_hook(lambda m, gi, go: log.append(("backward", plain(gi), plain(go))))
        x, shift = tensor(lib, (4, 3)), tensor(lib, (2,), 1)
        y = model(x, shift=shift)
        (y ** 2).sum().backward()
        results.append((log, plain(y), grads(x, shift, *model.parameters())))
    assert_same(results[0], results[1])


def test_a_bad_pre_hook_result_with_kwargs_raises_as_pytorch():
    ours, theirs = both(lambda nn, lib: nn.Linear(3, 2))
    messages = []
    for model, lib in libraries(ours, theirs):
        model.register_forward_pre_hook(lambda m, args, kwargs: 5, with_kwargs=True)
        with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of \(new_args, "
                                               r"new_kwargs\), but got 5") as error:
            model(tensor(lib, (2, 3)))
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_module_with_no_input_requiring_grad_runs_the_full_hook_early_and_refuses_a_grad_input():
    ours, theirs = both(lambda nn, lib: nn.Embedding(5, 3))
    results = []
    for model, lib in libraries(ours, theirs):
        log = []
        record_every_hook(model, log)
        with pytest.warns(UserWarning, match="Full backward hook is firing"):
            model(lib.tensor([[1, 2], [4, 1]])).sum().backward()
        results.append((log, grads(model.weight)))
        model.register_full_backward_hook(lambda m, gi, go: (go[0],))
        refused = "Backward hook for Modules where no input requires gradient should always return None"
        with pytest.warns(UserWarning), pytest.raises(RuntimeError, match=refused):
            model(lib.tensor([1])).sum().backward()
    assert_same(results[0], results[1])


def test_hooks_run_in_every_backward_and_not_without_a_path_to_the_module_inputs():
    ours, theirs = both(lambda nn, lib: nn.Linear(3, 2))
    counts = []
    for model, lib in libraries(ours, theirs):
        calls = []
        record_every_hook(model, calls)
        x = tensor(lib, (2, 3))
        loss = model(x).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        y = model(x)
        lib.autograd.grad((y * y).sum(), x)
        model(x).sum().backward(inputs=[model.weight])  # the pre-hook runs, the full hook does not
        counts.append([kind for kind, *_ in calls])
    assert counts[0] == counts[1]


@pytest.mark.parametrize("result", [lambda gi, go: (gi[0], gi[0]), lambda gi, go: (gi[0][:1],),
                                    lambda gi, go: (gi[0].float(),)], ids=["length", "shape", "dtype"])
def test_a_backward_hook_result_of_the_wrong_length_shape_or_dtype_raises_as_pytorch(result):
    ours, theirs = both(lambda nn, lib: nn.Linear(3, 2))
    for model, lib in libraries(ours, theirs):
        model.register_full_backward_hook(lambda m, gi, go: result(gi, go))
        with pytest.raises(RuntimeError):
            model(tensor(lib, (2, 3))).sum().backward()


def test_a_wrong_number_of_grad_outputs_raises_pytorchs_message():
    ours, theirs = both(lambda nn, lib: nn.Linear(3, 2))
    for model, lib in libraries(ours, theirs):
        model.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
        with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of grad_output, got 2, "
                                               "but expected 1"):
            model(tensor(lib, (2, 3))).sum().backward()


def test_outputs_of_a_module_with_backward_hooks_cannot_change_in_place_as_in_pytorch():
    ours, theirs = both(lambda nn, lib: nn.Linear(3, 2))
    for model, lib in libraries(ours, theirs):
        model.register_full_backward_hook(lambda *args: None)
        with pytest.raises(RuntimeError, match="view"):
            model(tensor(lib, (2, 3), requires_grad=False)).add_(1)
        relu = (nn if lib is fastgrad else torch.nn).ReLU(inplace=True)
        relu.register_full_backward_pre_hook(lambda *args: None)
        with pytest.raises(RuntimeError, match="view"):
            relu(tensor(lib, (3,)) * 1)
        with lib.no_grad():  # nothing is recorded, so nothing is hooked
            model(tensor(lib, (2, 3))).add_(1)
            relu(tensor(lib, (3,)) * 1)


def test_a_list_output_warns_and_gets_no_backward_hook_as_in_pytorch():
    for lib in (fastgrad, torch):
        class Listed((nn if lib is fastgrad else torch.nn).Module):
            def forward(self, a):
                return [a * 2]
        model, calls = Listed(), []
        model.register_full_backward_hook(lambda *args: calls.append(args))
        with pytest.warns(UserWarning, match="For backward hooks to be called, module output should be a Tensor or "
                                             "a tuple of Tensors but received <class 'list'>"):
            out = model(tensor(lib, (2,)))
        out[0].sum().backward()
        assert calls == []


def test_always_call_forward_hooks_run_when_forward_raises():
    logs = []
    for lib in (fastgrad, torch):
        class Failing((nn if lib is fastgrad else torch.nn).Module):
            def forward(self, a, k=None):
                raise ValueError("forward failed")
        model, log = Failing(), []
        model.register_forward_hook(lambda m, args, out: log.append(("plain", args, out)))
        model.register_forward_hook(lambda m, args, out: log.append(("always", args, out)), always_call=True)
        model.register_forward_hook(lambda m, args, kwargs, out: log.append(("kwargs", args, kwargs, out)),
                                    always_call=True, with_kwargs=True)
        model.register_forward_hook(lambda m, args, out: 1 / 0, always_call=True)
        with warnings.catch_warnings(record=True) as caught, pytest.raises(ValueError, match="forward failed"):
            warnings.simplefilter("always")
            model(1, k=2)
        assert ["raised an exception that was silenced" in str(w.message) for w in caught] == [True]
        logs.append(log)
    assert logs[0] == logs[1] == [("always", (1,), None), ("kwargs", (1,), {"k": 2}, None)]


def test_global_hooks_run_before_every_modules_own():
    ours, theirs = both(MODELS["sequential"])
    orders = []
    for model, lib, hooks in ((ours, fastgrad, module_module), (theirs, torch, torch.nn.modules.module)):
        order = []
        for kind in ("forward_pre", "forward", "full_backward_pre", "full_backward"):
            getattr(model[0], f"register_{kind}_hook")(lambda *args, kind=kind: order.append(("own", kind)),
                                                       prepend=True)
        handles = [
            hooks.register_module_forward_pre_hook(lambda m, args: order.append(("global pre", type(m).__name__))),
            hooks.register_module_forward_hook(lambda m, args, out: order.append(("global", type(m).__name__))),
            hooks.register_module_full_backward_pre_hook(lambda m, go: order.append(("global bpre", type(m).__name__))),
            hooks.register_module_full_backward_hook(lambda m, gi, go: order.append(("global b", type(m).__name__))),
        ]
        try:
            model(tensor(lib, (2, 3))).sum().backward()
        finally:
            for handle in handles:
                handle.remove()
        model(tensor(lib, (2, 3)))  # global hooks gone
        orders.append(order)
    assert orders[0] == orders[1]
    assert orders[0][-1] == ("own", "forward")


def test_a_forward_hook_registered_by_a_pre_hook_runs_in_the_same_call():
    ours, theirs = both(lambda nn, lib: nn.Linear(3, 2))
    orders = []
    for model, lib in libraries(ours, theirs):
        order = []

        def pre_hook(module, args):
            order.append("pre")
            module.register_forward_hook(lambda *args: order.append("forward"))
        handle = model.register_forward_pre_hook(pre_hook)
        model(tensor(lib, (2, 3)))
        handle.remove()
        model(tensor(lib, (2, 3)))
        orders.append(order)
    assert orders[0] == orders[1] == ["pre", "forward", "forward"]


def test_load_state_dict_pre_hook_sees_pytorchs_prefixes_and_may_rename_keys():
    results = {}
    for library in (fastgrad, torch):
        model = library.nn.Sequential(library.nn.Linear(2, 2), library.nn.Sequential(library.nn.Linear(2, 1)))
        seen = []

        def rename(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
            seen.append((type(module).__name__, prefix, strict))
            if prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")

        for module in model.modules():
            module.register_load_state_dict_pre_hook(rename)
        saved = {k: np.arange(v.numel(), dtype=np.float32).reshape(tuple(v.shape)) + 1.0
                 for k, v in model.state_dict().items()}
        saved["1.0.w"] = saved.pop("1.0.weight")
        model.load_state_dict({k: library.tensor(v) for k, v in saved.items()}, strict=False)
        results[library.__name__] = seen, model[1][0].weight.detach().numpy(), sorted(saved)
    assert results["fastgrad"][0] == results["torch"][0]
    np.testing.assert_array_equal(results["fastgrad"][1], results["torch"][1])
    assert results["fastgrad"][2] == results["torch"][2]  # the caller's dict is not changed


def test_full_backward_hooks_under_create_graph():
    """The hooks' Function has several outputs; with create_graph its backward is recorded, the pre-hook's
    replacement carries into the gradient's graph, and the hooks run again in the second backward."""
    ours, theirs = both(lambda nn_, lib: nn_.Linear(3, 2))
    results = []
    for model, lib in libraries(ours, theirs):
        seen = []
        model.register_full_backward_hook(
            lambda m, grad_input, grad_output: seen.append([g.requires_grad for g in grad_input + grad_output]))
        model.register_full_backward_pre_hook(lambda m, grad_output: (grad_output[0] * 2,))
        x = lib.tensor([[0.5, -1.0, 1.5], [0.2, 0.1, -0.3]], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((model(x).tanh() ** 2).sum(), x, create_graph=True)
        second = lib.autograd.grad((g ** 2).sum(), [x, model.weight])
        results.append(([g.detach().numpy()] + [t.numpy() for t in second], seen))
    (ours_values, ours_seen), (theirs_values, theirs_seen) = results
    assert ours_seen == theirs_seen
    for a, b in zip(ours_values, theirs_values):
        np.testing.assert_allclose(a, b, rtol=1e-12)

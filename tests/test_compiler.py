"""fastgrad.compile runs eagerly: the same function, or a module wrapped as torch wraps it; its arguments checked."""
import numpy as np
import pytest

import fastgrad


def double_plus_one(x):
    return x * 2 + 1


def test_compiled_function_is_the_function():
    assert fastgrad.compile(double_plus_one) is double_plus_one
    assert fastgrad.compile(mode="max-autotune")(double_plus_one) is double_plus_one
    assert fastgrad.compile(double_plus_one, backend=lambda gm, inputs: gm, dynamic=True, fullgraph=True) is \
        double_plus_one


def test_decorator_forms():
    @fastgrad.compile
    def bare(x):
        return x + 1

    @fastgrad.compile(mode="reduce-overhead", options=None)
    def called(x):
        return x + 1

    x = fastgrad.tensor([1.0, 2.0])
    assert bare(x).tolist() == called(x).tolist() == [2.0, 3.0]


def test_compiled_module_gives_the_eager_results_bit_for_bit_and_the_same_gradients():
    fastgrad.manual_seed(0)
    model = fastgrad.nn.Sequential(fastgrad.nn.Linear(3, 4), fastgrad.nn.Tanh(), fastgrad.nn.Linear(4, 1))
    compiled = fastgrad.compile(model)
    x = fastgrad.randn(5, 3)
    eager, ran = model(x), compiled(x)
    np.testing.assert_array_equal(ran.detach().numpy(), eager.detach().numpy())
    ran.sum().backward()
    assert compiled._orig_mod is model and model[0].weight.grad is not None


def test_compiled_module_wraps_the_module_under_orig_mod():
    model = fastgrad.nn.Linear(2, 3)
    compiled = fastgrad.compile(model)
    assert type(compiled).__name__ == "OptimizedModule" and isinstance(compiled, fastgrad.nn.Module)
    assert list(compiled.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    assert [name for name, _ in compiled.named_parameters()] == ["_orig_mod.weight", "_orig_mod.bias"]
    assert compiled.in_features == 2 and compiled.weight is model.weight
    compiled.note = "set through the wrapper"
    assert model.note == "set through the wrapper"
    compiled.eval()
    assert not model.training and not compiled.training
    model.train()
    assert compiled.training
    assert fastgrad.compile(model, disable=True) is model


def test_checkpoint_of_a_compiled_model_loads_into_a_compiled_model_only():
    source, target = fastgrad.compile(fastgrad.nn.Linear(2, 2)), fastgrad.compile(fastgrad.nn.Linear(2, 2))
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(target._orig_mod.weight.detach().numpy(), source._orig_mod.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="Missing key"):
        fastgrad.nn.Linear(2, 2).load_state_dict(source.state_dict())


def test_hooks_on_the_wrapper_run_around_the_module():
    compiled = fastgrad.compile(fastgrad.nn.Identity())
    compiled.register_forward_hook(lambda module, args, output: output * 10)
    assert compiled(fastgrad.tensor([1.0])).tolist() == [10.0]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(mode="fastest"), RuntimeError, "Unrecognized mode=fastest"),
    (dict(mode="default", options={}), RuntimeError, "Either mode or options"),
    (dict(backend="Inductor"), RuntimeError, "Invalid backend: 'Inductor'"),
    (dict(dynamic="yes"), AssertionError, "Expected enable to be a bool"),
    (dict(options=3), AttributeError, "'int' object has no attribute 'items'"),
])
def test_bad_arguments_raise(kwargs, error, message):
    with pytest.raises(error, match=message):
        fastgrad.compile(double_plus_one, **kwargs)


def test_not_callable_raises():
    with pytest.raises(AssertionError, match="A callable function is expected"):
        fastgrad.compile(3)


def test_compiler_namespace():
    compiler = fastgrad.compiler
    assert compiler.is_compiling() is False and compiler.is_dynamo_compiling() is False
    assert compiler.disable(double_plus_one) is double_plus_one
    assert compiler.disable(recursive=False)(double_plus_one) is double_plus_one
    assert compiler.allow_in_graph(double_plus_one) is double_plus_one
    assert compiler.reset() is None


def test_compiled_module_copies_and_pickles():
    import copy
    import pickle

    compiled = fastgrad.compile(fastgrad.nn.Linear(2, 2))
    for clone in (copy.deepcopy(compiled), pickle.loads(pickle.dumps(compiled))):
        assert type(clone).__name__ == "OptimizedModule" and list(clone.state_dict()) == list(compiled.state_dict())
        np.testing.assert_array_equal(clone(fastgrad.ones(1, 2)).detach().numpy(),
                                      compiled(fastgrad.ones(1, 2)).detach().numpy())

"""Module hooks without PyTorch: bad hooks and bad hook results raise clearly; hooks stay out of the
module's state and survive the tree walks; a module without hooks never enters the hook machinery."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
import fastgrad.nn.modules.module as module_module

REGISTER_METHODS = ["register_forward_pre_hook", "register_forward_hook", "register_full_backward_pre_hook",
                    "register_full_backward_hook"]
GLOBAL_FUNCTIONS = ["register_module_forward_pre_hook", "register_module_forward_hook",
                    "register_module_full_backward_pre_hook", "register_module_full_backward_hook"]


@pytest.mark.parametrize("method", REGISTER_METHODS)
def test_a_hook_that_is_not_callable_is_refused_naming_the_method_and_the_value(method):
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=rf"{method}\(\): hook must be callable, got int 5"):
        getattr(model, method)(5)
    assert not model._hooks


@pytest.mark.parametrize("function", GLOBAL_FUNCTIONS)
def test_a_global_hook_that_is_not_callable_is_refused(function):
    with pytest.raises(TypeError, match=rf"{function}\(\): hook must be callable, got NoneType None"):
        getattr(module_module, function)(None)
    assert not module_module.GLOBAL_HOOKS


def test_the_deprecated_backward_hook_is_refused_pointing_at_the_full_one():
    with pytest.raises(NotImplementedError, match="use register_full_backward_hook"):
        nn.Linear(2, 2).register_backward_hook(lambda m, gi, go: None)


def hooked_linear(hook_result):
    model = nn.Linear(3, 2)
    model.register_full_backward_hook(lambda m, grad_input, grad_output: hook_result(grad_input))
    return model


@pytest.mark.parametrize("hook_result, error, message", [
    (lambda gi: gi[0], TypeError, r"Backward hook returned a Tensor; expected None or a tuple replacing grad_input "
                                  r"\(of length 1\)"),
    (lambda gi: (gi[0], gi[0]), RuntimeError, "Backward hook returned an invalid number of grad_input, got 2, but "
                                              "expected 1"),
    (lambda gi: ("zero",), TypeError, r"Backward hook returned a str for grad_input\[0\]; expected a Tensor or None"),
    (lambda gi: (gi[0][:1],), RuntimeError, r"Backward hook returned a gradient of shape \(1, 3\) and dtype float32 "
                                            r"for grad_input\[0\], expected shape \(4, 3\) and dtype float32"),
    (lambda gi: (gi[0].double(),), RuntimeError, "dtype float64 for grad_input.0., expected shape .4, 3. and dtype "
                                                 "float32"),
])
def test_a_bad_backward_hook_result_raises_what_was_expected_and_what_came(hook_result, error, message):
    model = hooked_linear(hook_result)
    x = fastgrad.ones(4, 3, requires_grad=True)
    with pytest.raises(error, match=message):
        model(x).sum().backward()


def test_a_bad_backward_pre_hook_result_raises():
    model = nn.Linear(3, 2)
    model.register_full_backward_pre_hook(lambda m, grad_output: grad_output[0] * 2)
    with pytest.raises(TypeError, match=r"Backward pre hook returned a Tensor; expected None or a tuple replacing "
                                        r"grad_output \(of length 1\)"):
        model(fastgrad.ones(4, 3)).sum().backward()


@pytest.mark.parametrize("result", [(fastgrad.ones(2), {}), ((1,), [("k", 1)]), ((1,),)])
def test_a_forward_pre_hook_with_kwargs_must_return_an_args_tuple_and_a_kwargs_dict(result):
    model = nn.Linear(2, 2)
    model.register_forward_pre_hook(lambda m, args, kwargs: result, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of \(new_args, new_kwargs\)"):
        model(fastgrad.ones(2))


def test_changing_an_output_in_place_says_why_it_is_refused():
    model = nn.Linear(2, 2)
    model.register_full_backward_hook(lambda *args: None)
    with pytest.raises(RuntimeError, match="add_: a view .* is an output of the custom Function BackwardHookFunction"):
        model(fastgrad.ones(2)).add_(1)


def test_hooks_stay_out_of_the_state_and_survive_apply_train_and_to(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    calls = []
    for _, module in model.named_modules():
        module.register_forward_hook(lambda m, args, out: calls.append(type(m).__name__))
        module.register_full_backward_hook(lambda m, gi, go: calls.append("backward"))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias"]
    with pytest.raises(TypeError, match="which a checkpoint cannot hold"):  # modules are not saved, hooks neither
        fastgrad.save(model, tmp_path / "model.ckpt")
    model.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    model.train(False).to(fastgrad.float64)
    model(fastgrad.ones(1, 2, dtype=fastgrad.float64, requires_grad=True)).sum().backward()
    assert calls == ["Linear", "Tanh", "Sequential", "backward", "backward", "backward"]


def test_a_hook_may_remove_itself_or_another_while_hooks_run():
    model, calls = nn.Linear(2, 2), []
    handles = []
    handles.append(model.register_forward_hook(lambda *args: (calls.append("first"), handles[1].remove())))
    handles.append(model.register_forward_hook(lambda *args: calls.append("second")))
    model(fastgrad.ones(2))
    model(fastgrad.ones(2))
    assert calls == ["first", "second", "first"]  # the hooks of a call are those registered when it started


def test_a_module_without_hooks_calls_forward_directly(monkeypatch):
    def no_hook_machinery(*args):
        raise AssertionError("call_with_hooks was called")

    monkeypatch.setattr(module_module, "call_with_hooks", no_hook_machinery)
    model = nn.Linear(2, 2)
    model(fastgrad.ones(2))
    model.register_forward_hook(lambda *args: None).remove()
    model(fastgrad.ones(2))
    with model.register_forward_hook(lambda *args: None), pytest.raises(AssertionError):
        model(fastgrad.ones(2))


def test_without_recording_the_outputs_are_not_hooked():
    model, calls = nn.Linear(2, 2), []
    model.register_full_backward_hook(lambda *args: calls.append(args))
    with fastgrad.no_grad():
        out = model(fastgrad.ones(2, requires_grad=True))
    out.add_(1)  # no view of anything: changing it is fine
    assert out._node is None and calls == []


def test_backward_hooks_see_the_gradient_summed_over_every_use_of_an_output():
    model, seen = nn.Linear(2, 2), []
    model.register_full_backward_pre_hook(lambda m, grad_output: seen.append(grad_output[0].numpy()))
    y = model(fastgrad.ones(1, 2, requires_grad=True))
    (y.sum() + (y * 3).sum()).backward()
    np.testing.assert_array_equal(seen, [[[4.0, 4.0]]])

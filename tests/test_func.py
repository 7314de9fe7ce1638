"""fastgrad.func.functional_call without PyTorch: the module is restored (also when the call raises),
plain tensors stand in for Parameters during the call, and the errors."""
import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
from fastgrad.func import functional_call


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

"""nn.utils.parametrize without PyTorch: what registration does to the module, and the errors."""
import copy

import numpy as np
import pytest

import fastgrad
import fastgrad.nn as nn
from fastgrad.nn.utils import parametrize


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(0, 1)

    def right_inverse(self, A):
        return A.triu()


class Doubled(nn.Module):  # no right_inverse
    def forward(self, X):
        return 2.0 * X


class Flattened(nn.Module):
    def forward(self, X):
        return X.reshape(-1)


class AsFloat32(nn.Module):
    def forward(self, X):
        return X.float()


class Split(nn.Module):
    def forward(self, A, B):
        return A + B

    def right_inverse(self, X):
        return X / 2, X / 2


def linear():
    return nn.Linear(3, 3).double()


def test_the_parameter_moves_to_original_and_the_class_is_swapped_and_restored():
    module = linear()
    weight = module.weight
    parametrize.register_parametrization(module, "weight", Symmetric())
    assert type(module).__name__ == "ParametrizedLinear" and isinstance(module, nn.Linear)
    assert parametrize.type_before_parametrizations(module) is nn.Linear
    assert module.parametrizations.weight.original is weight  # an optimizer holding it keeps training it
    assert parametrize.is_parametrized(module) and parametrize.is_parametrized(module, "weight")
    assert not parametrize.is_parametrized(module, "bias")
    assert "weight" not in module._parameters and "weight" not in module.__dict__
    np.testing.assert_array_equal(module.weight.detach().numpy(), module.weight.detach().numpy().T)
    assert type(linear()) is nn.Linear  # the swap touched this module only
    parametrize.remove_parametrizations(module, "weight")
    assert type(module) is nn.Linear and not hasattr(module, "parametrizations")
    assert module.weight is weight and list(module.state_dict()) == ["bias", "weight"]
    np.testing.assert_array_equal(weight.detach().numpy(), weight.detach().numpy().T)


def test_an_optimizer_step_on_the_original_changes_the_parametrized_value():
    module = linear()
    parametrize.register_parametrization(module, "weight", Doubled())
    before = module.weight.detach().numpy().copy()
    optimizer = fastgrad.optim.SGD(module.parameters(), lr=0.1)
    module(fastgrad.ones(2, 3, dtype=fastgrad.float64)).sum().backward()
    optimizer.step()
    # d(sum)/d(original) = 2 (the doubling) x 2 (the batch) per element; the value moves by twice the step
    np.testing.assert_allclose(module.weight.detach().numpy(), before - 2 * 0.1 * 4 * np.ones((3, 3)))


def test_state_dict_round_trip_and_deepcopy():
    module = linear()
    parametrize.register_parametrization(module, "weight", Split())
    assert list(module.state_dict()) == ["bias", "parametrizations.weight.original0",
                                         "parametrizations.weight.original1"]
    other = linear()
    parametrize.register_parametrization(other, "weight", Split())
    other.load_state_dict(module.state_dict())
    np.testing.assert_array_equal(other.weight.detach().numpy(), module.weight.detach().numpy())
    copied = copy.deepcopy(module)
    np.testing.assert_array_equal(copied.weight.detach().numpy(), module.weight.detach().numpy())
    assert copied.parametrizations.weight.original0 is not module.parametrizations.weight.original0


def test_unsafe_allows_a_new_shape():
    module = linear()
    parametrize.register_parametrization(module, "weight", Flattened(), unsafe=True)
    assert module.weight.shape == (9,)


@pytest.mark.parametrize("parametrization, unsafe, error, message", [
    (Flattened(), False, ValueError, "may not change the shape of the tensor, unless `unsafe` flag is enabled.\n"
                                     "unparametrized shape: (3, 3)\nparametrized shape: (9,)"),
    (AsFloat32(), False, ValueError, "may not change the dtype of the tensor, unless `unsafe` flag is enabled.\n"
                                     "unparametrized dtype: float64\nparametrized dtype: float32"),
])
def test_registration_checks_shape_and_dtype(parametrization, unsafe, error, message):
    module = linear()
    with pytest.raises(error) as info:
        parametrize.register_parametrization(module, "weight", parametrization, unsafe=unsafe)
    assert message in str(info.value)
    assert type(module) is nn.Linear and "weight" in module._parameters  # nothing changed


def test_a_chained_parametrization_is_checked_against_the_current_value():
    module = linear()
    parametrize.register_parametrization(module, "weight", Symmetric())
    with pytest.raises(ValueError, match=r"unless the `unsafe` flag is enabled.\nmodule.weight.shape: \(3, 3\)\n"
                                         r"parametrization\(module.weight\).shape: \(9,\)"):
        parametrize.register_parametrization(module, "weight", Flattened())
    assert len(module.parametrizations.weight) == 1


def test_errors():
    module = linear()
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with name "
                                         "'missing'"):
        parametrize.register_parametrization(module, "missing", Doubled())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(module, "weight")
    with pytest.raises(TypeError, match="parametrization must be a Module, got function"):
        parametrize.register_parametrization(module, "weight", lambda X: X)
    parametrize.register_parametrization(module, "weight", Doubled())
    with pytest.raises(RuntimeError, match="parametrization Doubled does not implement right_inverse."):
        module.weight = fastgrad.zeros(3, 3, dtype=fastgrad.float64)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        module.weight = nn.Parameter(np.zeros((3, 3)))
    split = linear()
    parametrize.register_parametrization(split, "weight", Split())
    with pytest.raises(ValueError, match=r"Cannot leave unparametrized \(`leave_parametrized=False`\) a tensor that "
                                         "is parametrized in terms of a sequence of tensors."):
        parametrize.remove_parametrizations(split, "weight", leave_parametrized=False)
    with pytest.raises(ValueError, match="has dtype float32 while `original0` has dtype float64"):
        split.weight = fastgrad.zeros(3, 3)


def test_cached_values_are_dropped_when_the_outermost_context_closes():
    module = linear()
    parametrize.register_parametrization(module, "weight", Doubled())
    with parametrize.cached():
        with parametrize.cached():
            first = module.weight
        assert module.weight is first
    assert module.weight is not first and parametrize._cache == {}

"""nn.LazyLinear and the uninitialized parameters and buffers without PyTorch: shapes inferred at the first
forward (gradcheck of that forward on every backend), the module turning into a Linear, state dicts both
ways, copies, dtypes, optimizers built before the first forward, and the uses that raise."""
import copy
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
from fastgrad import nn
from fastgrad.nn.parameter import is_lazy
from fastgrad.testing import check_gradients

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(lead=st.sampled_from([(), (1,), (3,), (2, 2)]), features=st.integers(1, 4), out=st.integers(1, 3),
       bias=st.booleans(), seed=st.integers(0, 2**16))
def test_first_forward_infers_in_features_and_gradchecks(backend_name, lead, features, out, bias, seed):
    layer = nn.LazyLinear(out, bias=bias, dtype=fastgrad.float64)
    x = fastgrad.tensor(np.random.default_rng(seed).standard_normal(lead + (features,)), requires_grad=True)
    check_gradients(backend_name, layer, x)  # the first call materializes the parameters, then runs Linear's
    assert type(layer) is nn.Linear and layer.in_features == features and layer.weight.shape == (out, features)
    assert type(layer.weight) is nn.Parameter and (layer.bias is not None) == bias


def test_uninitialized_module():
    layer = nn.LazyLinear(3)
    assert repr(layer) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert repr(nn.LazyLinear(3, bias=False)) == "LazyLinear(in_features=0, out_features=3, bias=False)"
    assert all(is_lazy(p) for p in layer.parameters()) and layer.has_uninitialized_params()
    state = layer.state_dict()
    assert list(state) == ["weight", "bias"] and state["weight"] is layer.weight
    assert repr(layer.weight) == "<UninitializedParameter>" and layer.weight.requires_grad
    assert layer.weight.dtype == fastgrad.float32 and layer.double().weight.dtype == fastgrad.float64
    layer(fastgrad.ones(2, 5, dtype=fastgrad.float64))
    assert layer.weight.dtype == fastgrad.float64 and repr(layer) == "Linear(in_features=5, out_features=3, bias=True)"
    bound = 1 / np.sqrt(5)  # Linear's initialisation for the inferred in_features
    assert np.abs(layer.weight.detach().numpy()).max() <= bound and np.abs(layer.bias.detach().numpy()).max() <= bound


def test_uses_before_the_first_forward_raise():
    weight = nn.LazyLinear(3).weight
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        weight.shape
    for use in (lambda: weight + 1, lambda: weight.sum(), lambda: weight.numel(), lambda: np.asarray(weight),
                lambda: weight.numpy(), lambda: weight.tolist(), lambda: weight.detach().sum(),
                lambda: fastgrad.nn.functional.linear(fastgrad.ones(2, 3), weight)):
        with pytest.raises((ValueError, RuntimeError), match="uninitialized parameter"):
            use()
    with pytest.raises(IndexError):
        nn.LazyLinear(2)(fastgrad.ones(()))


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "AdamW", "RMSprop", "Adadelta", "NAdam", "Rprop"])
def test_optimizer_built_before_the_first_forward_keeps_working(optimizer):
    layer = nn.LazyLinear(2)
    step = getattr(fastgrad.optim, optimizer)(layer.parameters(), lr=0.1)
    step.zero_grad()
    step.step()  # no gradients yet: nothing to do
    layer(fastgrad.ones(3, 4)).sum().backward()
    before = layer.weight.detach().clone()
    step.step()
    assert not np.allclose(layer.weight.detach().numpy(), before.numpy())


def test_optimizers_that_read_the_parameters_at_once_raise():
    with pytest.raises(RuntimeError, match="uninitialized parameter"):
        fastgrad.optim.Adagrad(nn.LazyLinear(2).parameters())
    lbfgs = fastgrad.optim.LBFGS(nn.LazyLinear(2).parameters())
    with pytest.raises(ValueError, match="uninitialized parameter"):
        lbfgs.step(lambda: fastgrad.tensor(0.0))


def test_state_dicts():
    trained = nn.Linear(4, 3)
    layer = nn.LazyLinear(3)
    layer.load_state_dict(trained.state_dict())  # materialized from the saved shapes; still lazy until called
    assert type(layer) is nn.LazyLinear and layer.weight.shape == (3, 4) and not layer.has_uninitialized_params()
    np.testing.assert_array_equal(layer.weight.detach().numpy(), trained.weight.detach().numpy())
    layer(fastgrad.ones(1, 4))
    assert repr(layer) == "Linear(in_features=4, out_features=3, bias=True)"
    np.testing.assert_array_equal(layer.bias.detach().numpy(), trained.bias.detach().numpy())  # not re-initialised
    loaded = nn.LazyLinear(3)
    loaded.load_state_dict(trained.state_dict())
    with pytest.raises(ValueError, match=r"the input.s last dim, 5, does not fit the loaded weight of shape \(3, 4\)"):
        loaded(fastgrad.ones(1, 5))
    still_lazy = nn.LazyLinear(3)
    still_lazy.load_state_dict(nn.LazyLinear(3).state_dict())
    assert still_lazy.has_uninitialized_params()
    with pytest.raises(RuntimeError, match="value for weight is uninitialized: it cannot be loaded into an init"):
        nn.Linear(4, 3).load_state_dict(nn.LazyLinear(3).state_dict())
    holder = nn.Module()
    holder.weight = nn.UninitializedParameter()
    with pytest.raises(RuntimeError, match="weight is uninitialized and not in a lazy module"):
        holder.load_state_dict({"weight": fastgrad.ones(2)})


@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda layer: pickle.loads(pickle.dumps(layer))])
def test_copies_are_independent(duplicate):
    layer = nn.LazyLinear(2)
    copied = duplicate(layer)
    copied(fastgrad.ones(1, 3))
    assert type(copied) is nn.Linear and type(layer) is nn.LazyLinear and layer.has_uninitialized_params()
    layer(fastgrad.ones(1, 5))
    assert layer.in_features == 5 and copied.in_features == 3


def test_uninitialized_tensors():
    parameter = nn.UninitializedParameter(requires_grad=False, dtype=fastgrad.float64)
    assert not parameter.requires_grad and parameter.dtype == fastgrad.float64
    parameter.materialize((2, 3))
    assert type(parameter) is nn.Parameter and parameter.shape == (2, 3) and parameter.dtype == fastgrad.float64
    module = nn.Module()
    module.state = nn.UninitializedBuffer(persistent=False)
    assert [name for name, _ in module.named_buffers()] == ["state"] and list(module.state_dict()) == []
    module.state.materialize((4,), dtype=fastgrad.float64)
    assert type(module.state) is nn.Buffer and module.state.shape == (4,) and not module.state.requires_grad
    assert repr(nn.UninitializedBuffer()) == "<UninitializedBuffer>"

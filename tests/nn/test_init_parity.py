"""fastgrad.nn.init against torch.nn.init: gains, and the bounds and standard deviations that the fans give
for 2-D to 5-D weights, every mode and nonlinearity (the draws differ; the distributions' parameters must not)."""
import inspect

import numpy as np
import pytest

import fastgrad
from fastgrad.nn import init

torch = pytest.importorskip("torch")

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                  "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("param", [None, 0, 0.2, 3])
def test_calculate_gain_matches_torch(nonlinearity, param):
    ours, theirs = init.calculate_gain(nonlinearity, param), torch.nn.init.calculate_gain(nonlinearity, param)
    assert ours == theirs and type(ours) is type(theirs)


def test_a_bad_leaky_relu_slope_raises_as_in_torch():
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(7, 3), (4, 6, 5), (8, 3, 2, 5), (2, 3, 4, 5, 6)])
@pytest.mark.parametrize("name, kwargs", [
    ("xavier_uniform_", {}), ("xavier_normal_", {"gain": 2.0}), ("kaiming_uniform_", {}), ("kaiming_normal_", {}),
    ("kaiming_uniform_", {"a": 0.3, "mode": "fan_out"}), ("kaiming_normal_", {"a": 5 ** 0.5, "nonlinearity": "relu"}),
    ("kaiming_normal_", {"nonlinearity": "tanh", "mode": "fan_out"}), ("kaiming_uniform_", {"nonlinearity": "selu"})])
def test_bounds_and_stds_match_torch(monkeypatch, shape, name, kwargs):
    """The (low, high) or (mean, std) each passes to its uniform or normal fill."""
    ours, theirs = [], []
    monkeypatch.setattr(fastgrad.Tensor, "uniform_", lambda self, a, b, generator=None: ours.append((a, b)) or self)
    monkeypatch.setattr(fastgrad.Tensor, "normal_",
                        lambda self, mean, std, generator=None: ours.append((mean, std)) or self)
    monkeypatch.setattr(torch.Tensor, "uniform_", lambda self, a, b, generator=None: theirs.append((a, b)) or self)
    monkeypatch.setattr(torch.Tensor, "normal_", lambda self, mean, std, generator=None: theirs.append((mean, std))
                        or self)
    getattr(init, name)(fastgrad.zeros(*shape), **kwargs)
    getattr(torch.nn.init, name)(torch.zeros(*shape), **kwargs)
    assert len(ours) == len(theirs) == 1
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)


@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_"])
def test_random_inits_refuse_integer_tensors_as_in_torch(name, dtype):
    for lib, module in ((fastgrad, init), (torch, torch.nn.init)):
        with pytest.raises(NotImplementedError):
            getattr(module, name)(lib.zeros(4, 3, dtype=getattr(lib, dtype)))


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float64"])
@pytest.mark.parametrize("name, args", [("constant_", (3,)), ("zeros_", ()), ("ones_", ())])
def test_constant_inits_fill_any_dtype_as_in_torch(name, args, dtype):
    ours = getattr(init, name)(fastgrad.full((2, 3), 5, dtype=getattr(fastgrad, dtype)), *args)
    theirs = getattr(torch.nn.init, name)(torch.full((2, 3), 5, dtype=getattr(torch, dtype)), *args)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parametrize("name", ["uniform_", "normal_", "constant_", "zeros_", "ones_", "xavier_uniform_",
                                  "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
                                  "trunc_normal_"])
def test_signatures_match_torch(name):
    """The same parameters in the same order and with the same defaults, generator included, so positional
    and keyword calls written for torch.nn.init work."""
    ours = inspect.signature(getattr(init, name)).parameters
    theirs = inspect.signature(getattr(torch.nn.init, name)).parameters
    assert [(p.name, p.default, p.kind) for p in ours.values()] == [(p.name, p.default, p.kind)
                                                                    for p in theirs.values()]


@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_", "zeros_", "ones_"])
def test_inits_change_leaves_that_require_grad_as_torch(name):
    for lib, module in ((fastgrad, init), (torch, torch.nn.init)):
        weight = lib.full((4, 3), 0.5, requires_grad=True)
        assert getattr(module, name)(weight) is weight
        assert weight.is_leaf and weight.requires_grad and weight._version == 1


@pytest.mark.parametrize("name", ["uniform_", "normal_", "bernoulli_"])
def test_fill_methods_take_generator_by_keyword_only_as_torch(name):
    ours = inspect.signature(getattr(fastgrad.Tensor, name)).parameters["generator"]
    assert ours.kind == inspect.Parameter.KEYWORD_ONLY and ours.default is None
    with pytest.raises(TypeError):
        getattr(torch.zeros(2), name)(0.5, 1, torch.Generator())  # torch too refuses it positionally
    getattr(torch.zeros(2), name)(generator=torch.Generator())


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3)])
def test_orthogonal_has_pytorchs_properties(shape):
    for lib in (fastgrad, torch):
        weight = lib.nn.init.orthogonal_(lib.empty(*shape), gain=2.0).detach().numpy().reshape(shape[0], -1)
        product = weight @ weight.T if weight.shape[0] <= weight.shape[1] else weight.T @ weight
        np.testing.assert_allclose(product, 4.0 * np.eye(len(product)), atol=1e-4)


def test_eye_and_trunc_normal_match_pytorch():
    assert fastgrad.nn.init.eye_(fastgrad.empty(3, 2)).tolist() == torch.nn.init.eye_(torch.empty(3, 2)).tolist()
    for lib in (fastgrad, torch):
        values = lib.nn.init.trunc_normal_(lib.empty(5000), mean=0.1, std=0.5, a=-0.2, b=0.3).numpy()
        assert -0.2 <= values.min() and values.max() <= 0.3

"""parameters_to_vector / vector_to_parameters (fastgrad/nn/utils/convert_parameters.py): order, gradients,
shared memory, and the errors for bad arguments."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
import fastgrad.nn as nn
from fastgrad.nn.utils import parameters_to_vector, vector_to_parameters
from fastgrad.testing import check_gradients as check, float64_leaf as leaf


@pytest.mark.parametrize("backend_name", ["numpy", "compiled", "python"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes=st.lists(array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), min_size=1, max_size=3),
       seed=st.integers(0, 2**16))
def test_parameters_to_vector_gradcheck(backend_name, shapes, seed):
    params = [leaf(shape, seed + i) for i, shape in enumerate(shapes)]
    check(backend_name, lambda *ps: parameters_to_vector(ps) * 2, *params)


def test_round_trip_in_module_order_and_memory_shared_with_the_vector():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vector = parameters_to_vector(model.parameters())
    assert vector.shape == (11,) and vector.requires_grad
    expected = np.concatenate([p.detach().numpy().reshape(-1) for p in model.parameters()])
    np.testing.assert_array_equal(vector.detach().numpy(), expected)
    new = fastgrad.arange(12.0)  # one element more than needed: ignored, as in PyTorch
    vector_to_parameters(new, model.parameters())
    assert model[0].weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and model[1].bias.tolist() == [10.0]
    assert model[0].weight.is_leaf and model[0].weight.requires_grad
    with fastgrad.no_grad():
        new[0] = 7.0
    assert model[0].weight[0, 0].item() == 7.0  # a view of vec, as PyTorch's .data assignment
    model(fastgrad.ones(1, 3)).sum().backward()
    assert model[0].weight.grad.shape == (2, 3)


@pytest.mark.parametrize("call,error,match", [
    (lambda p: parameters_to_vector([p, 1.0]), TypeError, "parameters must be Tensors, got float at position 1"),
    (lambda p: parameters_to_vector([]), ValueError, "at least one parameter"),
    (lambda p: vector_to_parameters([1.0], [p]), TypeError, "vec must be a Tensor, got list"),
    (lambda p: vector_to_parameters(fastgrad.ones(2, 2), [p]), ValueError, r"vec must be 1-D, got shape \(2, 2\)"),
    (lambda p: vector_to_parameters(fastgrad.ones(3), p), RuntimeError, "hold 4 elements, but vec has only 3"),
])
def test_bad_arguments_raise_naming_them(call, error, match):
    with pytest.raises(error, match=match):
        call(nn.Parameter(fastgrad.ones(2, 2)))

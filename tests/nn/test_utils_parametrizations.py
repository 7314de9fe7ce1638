"""nn.utils.parametrizations without PyTorch: gradcheck of weight_norm and spectral_norm on every
backend, what they guarantee (norms, sigma), and the errors."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
import fastgrad.nn as nn
from fastgrad.nn.utils import parametrizations
from fastgrad.nn.utils.spectral_norm import weight_to_matrix
from fastgrad.testing import check_gradients, float64_leaf

ALL_BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
weight_shapes = array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4)


class Holder(nn.Module):
    """A module whose `weight` is a given leaf: its parametrized value is a function of that leaf."""

    def __init__(self, weight):
        super().__init__()
        self.weight = nn.Parameter(weight.detach().clone())


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@SETTINGS
@given(shape=weight_shapes, seed=st.integers(0, 2**16), data=st.data())
def test_weight_norm_gradcheck(backend_name, shape, seed, data):
    dim = data.draw(st.sampled_from([None, *range(len(shape))]))
    holder = parametrizations.weight_norm(Holder(float64_leaf(shape, seed)), dim=dim)
    g, v = holder.parametrizations.weight.original0, holder.parametrizations.weight.original1
    check_gradients(backend_name, lambda g, v: holder.parametrizations.weight[0](g, v), g.detach().requires_grad_(),
                    v.detach().requires_grad_())


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@SETTINGS
@given(shape=weight_shapes, seed=st.integers(0, 2**16), data=st.data())
def test_spectral_norm_gradcheck(backend_name, shape, seed, data):
    dim = data.draw(st.integers(0, len(shape) - 1))
    holder = parametrizations.spectral_norm(Holder(float64_leaf(shape, seed)), dim=dim).eval()  # u, v fixed
    check_gradients(backend_name, holder.parametrizations.weight[0], float64_leaf(shape, seed + 1))


@pytest.mark.parametrize("backend_name", ALL_BACKENDS)
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@SETTINGS
@given(shape=weight_shapes, seed=st.integers(0, 2**16))
def test_orthogonal_gradcheck(backend_name, orthogonal_map, shape, seed):
    holder = parametrizations.orthogonal(Holder(float64_leaf(shape, seed)), orthogonal_map=orthogonal_map)
    original = float64_leaf(shape, seed + 1, -0.5, 0.5).detach()
    # diagonal entries near -1: the householder map reads int(diagonal) as the columns' signs (and a 0 there
    # would zero the result); a step from -I, the starting original
    k = min(shape[-2:])
    original._data[..., range(k), range(k)] = -1.25 + 0.2 * original._data[..., range(k), range(k)]
    check_gradients(backend_name, holder.parametrizations.weight[0], original.requires_grad_())


@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 2), (2, 5), (3, 4, 2)])
def test_orthogonal_keeps_an_orthogonal_weight_and_stays_orthogonal_after_a_step(orthogonal_map, shape):
    fastgrad.manual_seed(0)
    tall = np.linalg.qr(np.random.default_rng(0).standard_normal(shape[:-2] + (max(shape[-2:]), min(shape[-2:]))))[0]
    weight = tall if shape[-2] >= shape[-1] else tall.swapaxes(-2, -1)
    holder = parametrizations.orthogonal(Holder(fastgrad.tensor(weight)), orthogonal_map=orthogonal_map)
    np.testing.assert_allclose(holder.weight.detach().numpy(), weight, atol=1e-12)
    optimizer = fastgrad.optim.SGD(holder.parameters(), lr=0.1)
    (holder.weight * fastgrad.tensor(np.random.default_rng(1).standard_normal(shape))).sum().backward()
    optimizer.step()
    result = holder.weight.detach().numpy()
    gram = result.swapaxes(-2, -1) @ result if shape[-2] >= shape[-1] else result @ result.swapaxes(-2, -1)
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(min(shape[-2:])), gram.shape), atol=1e-12)
    assert np.abs(result - weight).max() > 1e-3  # it moved


def test_weight_norm_keeps_the_weight_and_g_is_the_norm_of_each_row():
    layer = nn.Linear(4, 3).double()
    weight = layer.weight.detach().numpy().copy()
    parametrizations.weight_norm(layer)
    np.testing.assert_allclose(layer.weight.detach().numpy(), weight, rtol=1e-12)
    np.testing.assert_allclose(layer.parametrizations.weight.original0.detach().numpy(),
                               np.linalg.norm(weight, axis=1, keepdims=True), rtol=1e-12)
    parametrizations.weight_norm(nn.Linear(4, 3), name="bias", dim=None)  # a whole-tensor g, shape ()


def test_spectral_norm_converges_to_the_largest_singular_value():
    fastgrad.manual_seed(0)
    layer = parametrizations.spectral_norm(nn.Linear(6, 5).double(), n_power_iterations=5)
    for _ in range(20):
        layer(fastgrad.ones(1, 6, dtype=fastgrad.float64))
    matrix = weight_to_matrix(layer.weight, 0).detach().numpy()
    assert np.linalg.svd(matrix, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-6)
    u = layer.parametrizations.weight[0]._u.detach().numpy().copy()
    layer.eval()(fastgrad.ones(1, 6, dtype=fastgrad.float64))
    np.testing.assert_array_equal(layer.parametrizations.weight[0]._u.detach().numpy(), u)  # eval: no step


def test_errors():
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got n_power_iterations=0"):
        parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\] but got 2\)"):
        parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'missing'"):
        parametrizations.spectral_norm(nn.Linear(2, 2), name="missing")
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 3\)"):
        parametrizations.weight_norm(nn.Linear(2, 2), dim=3)
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                                         "Got: qr"):
        parametrizations.orthogonal(nn.Linear(2, 2), orthogonal_map="qr")
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
        parametrizations.orthogonal(nn.Linear(2, 2), name="bias")
    layer = parametrizations.orthogonal(nn.Linear(2, 3))
    with pytest.raises(ValueError, match=r"Expected a matrix or batch of matrices of shape \(3, 2\). Got a tensor "
                                         r"of shape \(2, 3\)."):
        layer.weight = fastgrad.zeros(2, 3)
    layer = parametrizations.orthogonal(nn.Linear(2, 2), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="It is not possible to assign to the matrix exponential"):
        layer.weight = fastgrad.eye(2)

"""Signs of zeros and gradients at NaN, as PyTorch gives them: relu keeps -0.0 and passes the gradient at NaN
on every backend; maximum, minimum, clamp and max/min along a dim keep the first operand (or the input) at a
tie of -0.0 and 0.0; logcumsumexp never gives -0.0."""
import math

import numpy as np
import pytest

import fastgrad


def signs(t) -> list:
    return np.signbit(t.detach().numpy()).tolist()


@pytest.mark.parametrize("backend", ["python", "numpy", "compiled"])
@pytest.mark.parametrize("dtype", [fastgrad.float32, fastgrad.float64])
def test_relu_keeps_minus_zero_and_passes_the_gradient_at_nan(backend, dtype):
    x = fastgrad.tensor([-0.0, 0.0, math.nan, -1.0, 2.0], dtype=dtype, requires_grad=True)
    with fastgrad.backend(backend):
        y = fastgrad.relu(x)
        y.backward(fastgrad.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=dtype))
    assert signs(y) == [True, False, False, False, False] and math.isnan(y[2].item())
    assert x.grad.tolist() == [0.0, 0.0, 3.0, 0.0, 5.0]


def test_relu_in_place_and_recorded_backward_agree():
    x = fastgrad.tensor([-0.0, math.nan, 2.0], dtype=fastgrad.float64, requires_grad=True)
    assert signs(fastgrad.nn.functional.relu(x.detach().clone(), inplace=True)) == [True, False, False]
    (g,) = fastgrad.autograd.grad(fastgrad.nn.ReLU()(x).sum(), x, create_graph=True)
    assert g.tolist() == [0.0, 1.0, 1.0]


def test_ties_of_minus_zero_and_zero_keep_the_first_operand():
    a, b = fastgrad.tensor([-0.0, 0.0]), fastgrad.tensor([0.0, -0.0])
    for result in (fastgrad.maximum(a, b), fastgrad.minimum(a, b), fastgrad.max(a, b), a.clamp(min=0.0),
                   a.clamp(max=-0.0), a.clamp(-0.0, 0.0), fastgrad.stack([a, b], 1).max(dim=1).values,
                   fastgrad.stack([a, b], 1).min(dim=1).values):
        assert signs(result) == [True, False], result


def test_clamp_keeps_nan_and_gives_max_when_min_exceeds_it():
    x = fastgrad.tensor([math.nan, -3.0, 0.5, 4.0])
    out = x.clamp(2.0, 1.0)
    assert math.isnan(out[0].item()) and out[1:].tolist() == [1.0, 1.0, 1.0]


def test_logcumsumexp_turns_leading_minus_zero_into_zero():
    out = fastgrad.logcumsumexp(fastgrad.tensor([[-0.0, -0.0], [-math.inf, -0.0]]), 1)
    assert signs(out) == [[False, False], [True, False]] and out[1, 0].item() == -math.inf


@pytest.mark.parametrize("backend", ["python", "numpy", "compiled"])
def test_hardtanh_passes_the_gradient_at_nan_and_stops_it_at_the_bounds(backend):
    x = fastgrad.tensor([math.nan, -1.0, 0.5, 1.0], dtype=fastgrad.float64, requires_grad=True)
    with fastgrad.backend(backend):
        fastgrad.nn.functional.hardtanh(x).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0, 0.0]
    (g,) = fastgrad.autograd.grad(fastgrad.nn.functional.relu6(x).sum(), x, create_graph=True)
    assert g.tolist() == [1.0, 0.0, 1.0, 1.0]


@pytest.mark.parametrize("backend", ["python", "numpy", "compiled"])
def test_elu_takes_its_exp_branch_at_minus_zero_and_its_identity_at_nan(backend):
    x = fastgrad.tensor([math.nan, -0.0, -1.0], dtype=fastgrad.float64, requires_grad=True)
    with fastgrad.backend(backend):
        y = fastgrad.nn.functional.elu(x)
        y.sum().backward()
    assert signs(y) == [False, True, True] and math.isnan(y[0].item())
    assert x.grad.tolist() == [1.0, 1.0, math.exp(-1.0)]
    assert signs(fastgrad.nn.functional.celu(x.detach(), alpha=2.0))[1]

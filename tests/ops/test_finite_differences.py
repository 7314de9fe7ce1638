"""fastgrad.gradient (torch.gradient): exact on polynomials its formulas are exact for, gradcheck (float64 central
differences, hypothesis shapes, every backend) in the input and the coordinates, and its argument checks."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad
from fastgrad.testing import check_gradients as check, float64_leaf as leaf

BACKENDS = ["numpy", "compiled", "python"]
SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_second_order_formulas_are_exact_for_quadratics():
    x = np.array([0.0, 0.5, 1.7, 2.0, 3.5, 5.0])
    f = 3 * x ** 2 - x + 2
    for edge_order in (1, 2):
        (derivative,) = fastgrad.gradient(fastgrad.tensor(f), spacing=[fastgrad.tensor(x)], edge_order=edge_order)
        exact = slice(None) if edge_order == 2 else slice(1, -1)
        np.testing.assert_allclose(derivative.numpy()[exact], (6 * x - 1)[exact], rtol=1e-12)
    uniform = np.arange(5.0) * 0.5
    (derivative,) = fastgrad.gradient(fastgrad.tensor(uniform ** 2), spacing=0.5, edge_order=2)
    np.testing.assert_allclose(derivative.numpy(), 2 * uniform, atol=1e-12)


def test_matches_numpys_gradient():
    rng = np.random.default_rng(0)
    f, x, y = rng.normal(size=(4, 5)), np.sort(rng.uniform(0, 10, 4)), np.sort(rng.uniform(0, 10, 5))
    for edge_order in (1, 2):
        ours = fastgrad.gradient(fastgrad.tensor(f), spacing=[fastgrad.tensor(x), fastgrad.tensor(y)],
                                 edge_order=edge_order)
        for mine, theirs in zip(ours, np.gradient(f, x, y, edge_order=edge_order)):
            np.testing.assert_allclose(mine.numpy(), theirs, rtol=1e-12)
        ours = fastgrad.gradient(fastgrad.tensor(f), spacing=[2.0, 0.5], edge_order=edge_order)
        for mine, theirs in zip(ours, np.gradient(f, 2.0, 0.5, edge_order=edge_order)):
            np.testing.assert_allclose(mine.numpy(), theirs, rtol=1e-12)


@pytest.mark.parametrize("backend_name", BACKENDS)
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=3, max_side=4), edge_order=st.sampled_from([1, 2]),
       seed=st.integers(0, 2**16))
def test_gradients(backend_name, shape, edge_order, seed):
    f = leaf(shape, seed)
    check(backend_name, lambda f: fastgrad.gradient(f, edge_order=edge_order), f)
    check(backend_name, lambda f: fastgrad.gradient(f, spacing=0.7, dim=-1, edge_order=edge_order), f)
    steps = np.random.default_rng(seed).uniform(0.5, 1.5, shape[0])
    x = fastgrad.tensor(np.cumsum(steps), requires_grad=True)  # (increasing coordinates, away from each other)
    check(backend_name, lambda f, x: fastgrad.gradient(f, spacing=[x], dim=0, edge_order=edge_order), f, x)


@pytest.mark.parametrize("call, error, message", [
    (lambda: fastgrad.gradient(fastgrad.ones(4), edge_order=3), ValueError, "edge_order must be 1 or 2, got 3"),
    (lambda: fastgrad.gradient(fastgrad.ones(2), edge_order=2), ValueError,
     r"at least edge_order \+ 1 = 3 samples, got size 2 in dim 0"),
    (lambda: fastgrad.gradient(fastgrad.ones(3, 4), spacing=[1.0]), ValueError,
     r"a list of one per dim \('input.ndim' = 2, since dim was not given\), got a list of 1"),
    (lambda: fastgrad.gradient(fastgrad.ones(3, 4), dim=0, spacing=[1.0, 2.0]), ValueError,
     "the 1 dims in dim"),
    (lambda: fastgrad.gradient(fastgrad.ones(3, 4), spacing=[fastgrad.ones(2), fastgrad.ones(4)]), ValueError,
     r"one coordinate per sample, got shape \(2,\) for dim 0 of size 3"),
    (lambda: fastgrad.gradient(fastgrad.ones(3, 4), spacing=[fastgrad.ones(1, 3), fastgrad.ones(4)]), ValueError,
     r"got shape \(1, 3\)"),
    (lambda: fastgrad.gradient(fastgrad.ones(3, 4), spacing=[1.0, fastgrad.ones(4)]), TypeError, "not a mix"),
    (lambda: fastgrad.gradient(fastgrad.ones(3), spacing=fastgrad.ones(3)), TypeError, "spacing must be a real"),
    (lambda: fastgrad.gradient(fastgrad.ones(3, 4), dim=[0, 0]), RuntimeError, "more than once"),
    (lambda: fastgrad.gradient(fastgrad.ones(3, 4), dim=2), IndexError, "out of range"),
    (lambda: fastgrad.gradient(fastgrad.tensor([True, False])), RuntimeError, "got dtype bool"),
    (lambda: fastgrad.gradient([1.0, 2.0]), TypeError, "argument 'input' must be a Tensor"),
    (lambda: fastgrad.gradient(fastgrad.ones(3), edge_order=1.0), TypeError, "edge_order must be an int"),
], ids=["edge order", "too few", "spacing length", "spacing length dim", "coordinates length", "coordinates 2-D",
        "mixed", "tensor spacing", "repeated dim", "dim range", "bool", "list", "float edge order"])
def test_bad_arguments_name_themselves(call, error, message):
    with pytest.raises(error, match=message):
        call()

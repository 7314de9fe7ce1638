"""var and std of equal values are exactly 0, with a zero gradient, as PyTorch's: the mean's rounding error left the
deviations a few ulps from 0, so std was ~1e-16 and its gradient (deviation / std) an arbitrary number of order 1."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["std", "var"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_equal_values_have_zero_spread_and_gradient(name, dtype):
    row = [1.6369430045919606, -2.208467977269499, 1 / 3, 5.461505435082406, 0.1]
    results = []
    for lib in (torch, fastgrad):
        base = lib.tensor([row], dtype=getattr(lib, dtype), requires_grad=True)
        spread = getattr(base.expand(3, 5), name)(dim=0)  # each column three equal values
        spread.sum().backward()
        results.append((spread.tolist(), base.grad.numpy()))
    assert results[0][0] == results[1][0] == [0.0] * 5
    # (PyTorch's var gradient takes its own mean's rounding error: a few ulps, where fastgrad's is 0)
    np.testing.assert_allclose(results[1][1], results[0][1], atol=1e-14 if dtype == "float64" else 1e-6)
    assert not results[1][1].any()


def test_the_recorded_backward_agrees():
    x = fastgrad.tensor([[0.1, 0.1, 0.1], [1.0, 2.0, 4.0]], dtype=fastgrad.float64, requires_grad=True)
    (grad,) = fastgrad.autograd.grad(x.std(dim=1).sum(), x, create_graph=True)
    tx = torch.tensor([[0.1, 0.1, 0.1], [1.0, 2.0, 4.0]], dtype=torch.float64, requires_grad=True)
    (their_grad,) = torch.autograd.grad(tx.std(dim=1).sum(), tx, create_graph=True)
    np.testing.assert_allclose(grad.detach().numpy(), their_grad.detach().numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_slice_holding_an_infinity_keeps_its_gradient(create_graph):
    """The mean's correction is left out where it is not finite (inf - inf), as before it: the finite elements of
    such a slice keep PyTorch's infinite gradient, not NaN."""
    rows = [[-np.inf, -2.5, -np.inf], [1.5, 0.5, 1.98]]
    grads = []
    for lib in (torch, fastgrad):
        x = lib.tensor(rows, dtype=lib.float64, requires_grad=True)
        (grad,) = lib.autograd.grad(x.var(dim=1).sum(), x, create_graph=create_graph)
        grads.append(grad.detach().numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("values, kwargs", [
    ([[0.5, 1.0]], dict(dim=0, correction=2)),  # fewer elements than the correction: a finite slope, 2/(N - c) (x - mean)
    ([0.5], dict(dim=-1, correction=1.5)),
    ([0.5, 2.0], dict(correction=3)),  # over all elements without degrees of freedom: inf where x is not the mean
    ([0.5], dict(correction=1.5)),  # NaN where it is
    ([0.5, float("nan")], dict(correction=2)),
])
def test_gradients_without_degrees_of_freedom_are_torchs(values, kwargs, create_graph):
    grads = []
    for lib in (torch, fastgrad):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        with pytest.warns(UserWarning):
            variance = x.var(**kwargs)
        (grad,) = lib.autograd.grad((variance * -1.5).sum(), x, create_graph=create_graph)
        grads.append(grad.detach().numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


@pytest.mark.parametrize("name", ["std", "var"])
@pytest.mark.parametrize("value", [1e30, 1e-30])
def test_float32_squares_are_summed_in_float64_as_torch(name, value):
    """PyTorch's CPU kernel sums float32 squares in double: the std of [1e30, 0, 0] is 5.8e29 (fastgrad's was inf),
    that of [1e-30, 0, 0] 5.8e-31 with slopes 0.58 and -0.29 (fastgrad's 0, with a zero gradient)."""
    results = []
    for lib in (torch, fastgrad):
        x = lib.tensor(np.array([value, 0.0, 0.0], dtype=np.float32), requires_grad=True)
        out = getattr(lib, name)(x)
        out.backward()
        results.append((out.detach().numpy(), x.grad.numpy()))
    for ours, theirs in zip(results[1], results[0]):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)

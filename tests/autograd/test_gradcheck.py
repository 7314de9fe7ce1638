import numpy as np

import fastgrad


def test_gradcheck_keeps_0d_inputs_0d():
    """Perturbing an input must not change its shape, or the inputs checked after it see a 1-d tensor."""
    a = fastgrad.tensor(1.5, dtype=fastgrad.float64, requires_grad=True)
    b = fastgrad.tensor(-0.5, dtype=fastgrad.float64, requires_grad=True)
    shapes = []

    def product(a, b):
        shapes.append((a.shape, b.shape))
        return a * b

    assert fastgrad.gradcheck(product, (a, b))
    assert set(shapes) == {((), ())} and a.shape == () and b.shape == ()


def test_gradcheck_leaves_the_inputs_grad_and_memory_as_they_were():
    base = fastgrad.tensor(np.arange(6.0).reshape(2, 3))
    x = base.t().detach().requires_grad_()  # a transposed view of base's memory
    x.grad = fastgrad.ones(3, 2, dtype=fastgrad.float64) * 5
    assert fastgrad.autograd.gradcheck(lambda t: (t * t).sum(), [x])
    assert x.grad.tolist() == [[5.0, 5.0]] * 3
    with fastgrad.no_grad():
        base[0, 0] = 100.0
    assert x[0, 0].item() == 100.0  # still a view of base

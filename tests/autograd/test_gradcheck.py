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

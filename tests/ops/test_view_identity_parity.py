"""Which shape ops return a new view and which return the tensor itself, as PyTorch 2.13's: a hook, retain_grad or
requires_grad_ on the result reaches the input exactly when it is the input (squeeze that removes nothing is a view;
flatten with nothing to flatten is the input), and which results are new tensors (diag, diag_embed), in float64."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

SHAPES = {"matrix": (2, 3), "column": (3, 1), "vector": (3,), "scalar": ()}
CASES = [("matrix", lambda x: x.squeeze(0)), ("matrix", lambda x: x.squeeze()), ("column", lambda x: x.squeeze(0)),
         ("column", lambda x: x.squeeze((0, 1))), ("column", lambda x: x.squeeze((-1,))),
         ("scalar", lambda x: x.squeeze(0)), ("scalar", lambda x: x.squeeze()),
         ("vector", lambda x: x.flatten()), ("matrix", lambda x: x.flatten(1)),
         ("matrix", lambda x: x.flatten(0, 0)), ("matrix", lambda x: x.flatten()), ("scalar", lambda x: x.flatten()),
         ("column", lambda x: x.flatten(-1))]


def hooked(lib, shape, make):
    leaf = lib.tensor(np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape), dtype=lib.float64, requires_grad=True)
    x = leaf * 1.0
    y = make(x)
    y.register_hook(lambda g: g * 3)
    (x * 2.0).sum().backward()  # (only x, not y, is used: y's hook changes x's gradient only if y is x)
    return y is x, tuple(y.shape), y.grad_fn is None, leaf.grad.numpy().copy()


@pytest.mark.parametrize("shape, make", CASES)
def test_result_is_the_input_exactly_where_torch_s_is(shape, make):
    ours, theirs = hooked(fastgrad, SHAPES[shape], make), hooked(torch, SHAPES[shape], make)
    assert ours[:3] == theirs[:3]
    np.testing.assert_array_equal(ours[3], theirs[3])


def test_squeeze_of_several_dims_matches_torch():
    data = np.arange(6.0).reshape(1, 3, 1, 2)
    for dims in [(0, 2), (0, 1), (-2,), (), (3, 0)]:
        ours = fastgrad.tensor(data).squeeze(dims)
        theirs = torch.tensor(data).squeeze(dims)
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("make", [lambda v: v.diag(), lambda v: v.diag(1), lambda v: v.diag_embed(),
                                  lambda v: v.reshape(1, 3).diag_embed(0, 0, 2)])
def test_diagonal_matrices_are_new_tensors_that_take_recorded_in_place_changes(make):
    def changed(lib):
        v = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        m = make(v)
        m.mul_(m.detach() + 2.0)
        (m * lib.arange(m.numel(), dtype=lib.float64).reshape(m.shape)).sum().backward()
        return m._base is None, m.detach().numpy(), v.grad.numpy()

    (our_base, *ours), (their_base, *theirs) = changed(fastgrad), changed(torch)
    assert our_base == their_base is True
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-14)

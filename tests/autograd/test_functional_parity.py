"""fastgrad.autograd.functional (jacobian, vjp, jvp, hessian, hvp, vhp) against torch.autograd.functional:
values, shapes, dtypes and output structures, with and without create_graph, and the same refusals."""
import numpy as np
import pytest

import fastgrad
from fastgrad.autograd import functional

torch = pytest.importorskip("torch")
from torch.autograd import functional as torch_functional  # noqa: E402

A = np.array([1.0, -2.0, 0.5])
B = np.array([[3.0, 4.0, 5.0], [1.0, 0.0, 2.0]])


def assert_same(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
        return
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    tol = dict(rtol=2e-6, atol=1e-7) if ours.dtype == fastgrad.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tol)


FUNCTIONS = [
    lambda m: (lambda a, b: (b @ a.exp(), (a * a).sum())),
    lambda m: (lambda a, b: b * a),
    lambda m: (lambda a, b: (a.tanh(),)),
    lambda m: (lambda a, b: (b.sum(0) * 0, a.long())),
]


@pytest.mark.parametrize("make", FUNCTIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_jacobian_matches_torch(make, dtype):
    args = [(lib.tensor(A, dtype=getattr(lib, dtype)), lib.tensor(B, dtype=getattr(lib, dtype)))
            for lib in (fastgrad, torch)]
    assert_same(functional.jacobian(make(fastgrad), args[0]), torch_functional.jacobian(make(torch), args[1]))
    single = [lambda a, lib=lib, b=b: make(lib)(a, b) for lib, (_, b) in zip((fastgrad, torch), args)]
    assert_same(functional.jacobian(single[0], args[0][0]), torch_functional.jacobian(single[1], args[1][0]))


def test_vjp_matches_torch():
    for make, v in ((FUNCTIONS[0], (np.array([1.0, -1.0]), np.array(2.0))), (FUNCTIONS[1], (np.ones((2, 3)),))):
        ours = functional.vjp(make(fastgrad), (fastgrad.tensor(A), fastgrad.tensor(B)),
                              tuple(fastgrad.tensor(x) for x in v))
        theirs = torch_functional.vjp(make(torch), (torch.tensor(A), torch.tensor(B)),
                                      tuple(torch.tensor(x) for x in v))
        assert_same(ours, theirs)
    assert_same(functional.vjp(lambda a: (a ** 3).sum(), fastgrad.tensor(A)),
                torch_functional.vjp(lambda a: (a ** 3).sum(), torch.tensor(A)))


SCALAR_FUNCTIONS = [
    lambda m: (lambda a, b: (b @ a.exp()).sum() * a[0]),
    lambda m: (lambda a, b: m.nn.functional.cross_entropy(b * a, m.tensor([2, 0]))),
    lambda m: (lambda a, b: (m.nn.functional.linear(b, b, a[:2]).tanh() ** 2).mean()),
]


@pytest.mark.parametrize("make", SCALAR_FUNCTIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_second_order_functions_match_torch(make, dtype, create_graph):
    def args(lib):
        return lib.tensor(A, dtype=getattr(lib, dtype)), lib.tensor(B, dtype=getattr(lib, dtype))

    vectors = (np.array([0.5, -1.0, 2.0]), np.arange(6.0).reshape(2, 3) / 5)
    tangents = {lib: tuple(lib.tensor(v, dtype=getattr(lib, dtype)) for v in vectors) for lib in (fastgrad, torch)}
    for name in ("hessian", "hvp", "vhp", "jvp"):
        call = {"hessian": lambda f, lib, fn: f.hessian(fn, args(lib), create_graph=create_graph)}.get(
            name, lambda f, lib, fn, name=name: getattr(f, name)(fn, args(lib), tangents[lib], create_graph=create_graph))
        assert_same(call(functional, fastgrad, make(fastgrad)), call(torch_functional, torch, make(torch)))


@pytest.mark.parametrize("call", [
    lambda m, f: f.jacobian(lambda a: a, [m.tensor(A)]),
    lambda m, f: f.hessian(lambda a: a * 2, m.tensor(A)),
    lambda m, f: f.hvp(lambda a: a.sum(), m.tensor(A)),
    lambda m, f: f.jvp(lambda a: a * 2, m.tensor(A), m.ones(2)),
    lambda m, f: f.jacobian(lambda a: 3, m.tensor(A)),
    lambda m, f: f.jacobian(lambda a: m.ones(1), m.tensor(A), strict=True),
    lambda m, f: f.jacobian(lambda a, b: a * 2, (m.tensor(A), m.tensor(A)), strict=True),
    lambda m, f: f.vjp(lambda a: a * 2, m.tensor(A)),
    lambda m, f: f.vjp(lambda a: a * 2, m.tensor(A), m.ones(2)),
    lambda m, f: f.vjp(lambda a: (a, a), m.tensor(A), m.ones(3)),
])
def test_what_torch_refuses_is_refused(call):
    for lib, module in ((torch, torch_functional), (fastgrad, functional)):
        with pytest.raises((RuntimeError, TypeError)):
            call(lib, module)

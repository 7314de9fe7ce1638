"""igamma and igammac (functions, methods, in place), special.multigammaln and mvlgamma_, frobenius_norm,
nuclear_norm, linalg.vander, the methods lu, lu_solve and triangular_solve, and the removed solvers, against
PyTorch: values, dtypes, shapes, gradients and the exception types of bad input."""
import warnings

import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import Raised, assert_raised_alike, outcome

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def quiet_deprecations():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


A_VALUES = np.array([0.5, 1.0, 3.0, 10.0, 0.0, 1.0, 12.0, 2.5])  # (PyTorch is accurate to 1e-9 only near a = x = 40)
X_VALUES = np.array([0.1, 1.0, 2.0, 30.0, 1.0, 0.0, 11.0, 7.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("call", [
    lambda lib, a, x: lib.igamma(a, x), lambda lib, a, x: lib.igammac(a, x), lambda lib, a, x: a.igamma(x),
    lambda lib, a, x: a.igammac(other=x), lambda lib, a, x: lib.igamma(input=a, other=x),
], ids=["igamma", "igammac", "method", "method igammac", "keywords"])
def test_incomplete_gamma_values_and_gradients_match_torch(same_as_torch, call, dtype):
    a = A_VALUES.astype(dtype)
    # (a gradient in x only: PyTorch has none in a)
    same_as_torch(lambda lib, x: call(lib, lib.tensor(a), x), X_VALUES.astype(dtype))


@pytest.mark.parametrize("name", ["igamma_", "igammac_"])
def test_in_place_forms_match_torch(name):
    results = []
    for lib in (fastgrad, torch):
        a, x = lib.tensor(A_VALUES.reshape(2, 4)), lib.tensor(X_VALUES[:4])
        out = getattr(a, name)(x)
        assert out is a
        results.append(a.numpy())
        with pytest.raises(RuntimeError):
            getattr(lib.tensor([1, 2]), name)(lib.tensor([1.0, 2.0]))  # an int tensor cannot hold the result
        with pytest.raises((RuntimeError, ValueError)):
            getattr(lib.ones(1, 2), name)(lib.ones(2, 1))  # broadcasting would change a's shape
    np.testing.assert_allclose(*results, rtol=1e-6)


def test_first_argument_has_no_derivative_in_either():
    for lib in (fastgrad, torch):
        a = lib.tensor([1.5, 2.5], requires_grad=True)
        with pytest.raises(NotImplementedError):
            lib.igamma(a, lib.tensor([1.0, 2.0])).sum().backward()


def test_incomplete_gamma_argument_types_match_torch():
    for lib in (fastgrad, torch):
        with pytest.raises(TypeError):
            lib.igamma(lib.tensor([2.0]), 1.0)
        with pytest.raises(TypeError):
            lib.igammac(2.0, lib.tensor([1.0]))
        with pytest.raises((TypeError, NotImplementedError)):
            lib.igamma(lib.tensor([1, 2]), lib.tensor([1, 2]))
        assert lib.igamma(lib.tensor([1, 2]), lib.tensor([1.0, 2.0])).dtype == lib.float32


@pytest.mark.parametrize("p", [1, 2, 4])
def test_multigammaln_and_mvlgamma_in_place_match_torch(same_as_torch, p):
    values = RNG.uniform(2, 6, (2, 3))
    same_as_torch(lambda lib, x: lib.special.multigammaln(x, p), values)
    same_as_torch(lambda lib, x: lib.special.multigammaln(x, p=p), values.astype(np.float32))
    same_as_torch(lambda lib, x: (x * 1).mvlgamma_(p), values)
    same_as_torch(lambda lib, x: lib.special.multigammaln(x, p), np.array([3, 4, 5]), grad=False)


def test_multigammaln_refusals_match_torch():
    for lib in (fastgrad, torch):
        with pytest.raises((RuntimeError, ValueError)):
            lib.special.multigammaln(lib.ones(2), 0)
        with pytest.raises(TypeError):
            lib.special.multigammaln([2.0], 1)
        with pytest.raises(RuntimeError):
            lib.tensor([3, 4]).mvlgamma_(1)  # an int tensor cannot hold the result


def test_the_special_namespace_now_has_multigammaln():
    assert "multigammaln" in fastgrad.special.__all__
    assert {"igamma", "igammac", "frobenius_norm", "nuclear_norm"} <= set(dir(fastgrad))


@pytest.mark.parametrize("dim, keepdim", [((0, 2), False), ((0, 2), True), (1, False), ((-1,), True), ((), False),
                                          ([2, 1], False)])
def test_frobenius_norm_matches_torch(same_as_torch, dim, keepdim):
    same_as_torch(lambda lib, x: lib.frobenius_norm(x, dim, keepdim), RNG.normal(size=(2, 3, 4)))
    same_as_torch(lambda lib, x: lib.frobenius_norm(x, dim=dim, keepdim=keepdim),
                  RNG.normal(size=(2, 3, 4)).astype(np.float32))


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nuclear_norm(x), lambda lib, x: lib.nuclear_norm(x, True),
    lambda lib, x: lib.nuclear_norm(x, keepdim=True), lambda lib, x: lib.nuclear_norm(x, (0, 2)),
    lambda lib, x: lib.nuclear_norm(x, dim=(2, 1), keepdim=True), lambda lib, x: lib.nuclear_norm(x[0]),
], ids=["plain", "keepdim positional", "keepdim", "dim", "dim keepdim", "2-D"])
def test_nuclear_norm_matches_torch(same_as_torch, call):
    same_as_torch(call, RNG.normal(size=(2, 3, 4)))


@pytest.mark.parametrize("call", [
    lambda lib: lib.frobenius_norm(lib.ones(2, 2, 2), dim=(0, 1, 2)), lambda lib: lib.frobenius_norm(lib.ones(2, 2)),
    lambda lib: lib.frobenius_norm(lib.ones(2, 2).long(), (0, 1)), lambda lib: lib.nuclear_norm(lib.ones(2, 2), dim=1),
    lambda lib: lib.nuclear_norm(lib.ones(2, 2).long()), lambda lib: lib.nuclear_norm(lib.ones(3)),
], ids=["three dims", "no dim", "long", "one dim", "nuclear long", "vector"])
def test_norm_refusals_match_torch(call):
    theirs, ours = outcome(lambda: call(torch)), outcome(lambda: call(fastgrad))
    assert isinstance(theirs, Raised)
    assert_raised_alike(ours, theirs)


@pytest.mark.parametrize("shape, N", [((3,), None), ((2, 4), 2), ((1, 2, 3), 5), ((2,), None)])
def test_linalg_vander_matches_torch(same_as_torch, shape, N):
    values = RNG.normal(size=shape)
    same_as_torch(lambda lib, x: lib.linalg.vander(x, N=N), values)
    same_as_torch(lambda lib, x: lib.linalg.vander(x, N=N), values.astype(np.float32))
    for dtype in (np.int64, np.int32, np.uint8):
        same_as_torch(lambda lib, x: lib.linalg.vander(x, N=N), np.arange(np.prod(shape)).reshape(shape).astype(dtype),
                      grad=False)


@pytest.mark.parametrize("call", [
    lambda lib: lib.linalg.vander(lib.ones(3), N=1), lambda lib: lib.linalg.vander(lib.ones(3), N=0),
    lambda lib: lib.linalg.vander(lib.tensor(2.0)), lambda lib: lib.linalg.vander(lib.tensor([True, False])),
    lambda lib: lib.linalg.vander([1.0, 2.0]),
], ids=["N=1", "N=0", "0-d", "bool", "list"])
def test_linalg_vander_refusals_match_torch(call):
    with pytest.raises((RuntimeError, TypeError)):
        call(torch)
    with pytest.raises((ValueError, TypeError)):
        call(fastgrad)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_lu_methods_match_torch(same_as_torch, shape):
    A = RNG.uniform(-2, 2, shape) + 3 * np.eye(shape[-1])
    B = RNG.uniform(-2, 2, shape[:-1] + (2,))
    same_as_torch(lambda lib, A: tuple(A.lu(get_infos=True)), A)
    same_as_torch(lambda lib, A, B: B.lu_solve(*A.lu()), A, B)
    for upper in (False, True):
        for transpose in (False, True):
            same_as_torch(lambda lib, A, B: tuple(B.triangular_solve(A, upper, transpose)), A, B)
            same_as_torch(lambda lib, A, B: B.triangular_solve(A, upper=upper, unitriangular=True).solution, A, B)


@pytest.mark.parametrize("name, args", [
    ("solve", 2), ("lstsq", 2), ("symeig", 1), ("eig", 1), ("matrix_rank", 1),
])
def test_removed_functions_raise_as_torch(name, args):
    for lib in (fastgrad, torch):
        A = lib.eye(3)
        with pytest.raises(RuntimeError, match="deprecated"):
            getattr(lib, name)(*[A] * args)
        if name != "matrix_rank":
            with pytest.raises(RuntimeError, match="deprecated"):
                getattr(A, name)(*[A] * (args - 1))
    assert not hasattr(torch.Tensor, "matrix_rank") and not hasattr(fastgrad.Tensor, "matrix_rank")


@pytest.mark.parametrize("name", ["solve", "lstsq", "symeig", "eig", "matrix_rank"])
def test_removed_functions_have_torchs_signatures(name):
    import inspect

    assert list(inspect.signature(getattr(fastgrad, name)).parameters) == \
        list(inspect.signature(getattr(torch, name)).parameters)
    for lib in (fastgrad, torch):
        with pytest.raises(TypeError):
            getattr(lib, name)()

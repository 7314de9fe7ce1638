"""frexp, angle, mvlgamma, vander, the trapezoidal rules, histogram, the bit shifts, cholesky_solve and
cholesky_inverse against PyTorch: values, dtypes, gradients and the errors of bad arguments."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import fastgrad

torch = pytest.importorskip("torch")

SETTINGS = settings(max_examples=25, deadline=None,  # (the fixtures keep no state between examples)
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SPECIAL = [0.0, -0.0, 1.5, -3.0, 8.0, np.inf, -np.inf, np.nan, 1e-40, 3e38, -1e-310]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_frexp_matches_torch(same_as_torch, dtype):
    values = np.array(SPECIAL + list(np.random.default_rng(0).normal(size=8) * 100), dtype=dtype)
    same_as_torch(lambda lib, x: tuple(lib.frexp(x)), values, grad=False)
    finite = values[np.isfinite(values)]
    same_as_torch(lambda lib, x: x.frexp().mantissa, finite)
    ours, theirs = fastgrad.frexp(fastgrad.tensor(values)), torch.frexp(torch.tensor(values))
    assert ours.exponent.dtype == fastgrad.int32 and ours._fields == ("mantissa", "exponent")
    np.testing.assert_array_equal(ours.exponent.numpy(), theirs.exponent.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8, np.bool_])
def test_angle_matches_torch(same_as_torch, dtype):
    values = np.array([-1, 0, 2, 255, -7], dtype=np.int64).astype(dtype) if dtype != np.float32 and \
        dtype != np.float64 else np.array(SPECIAL, dtype=dtype)
    same_as_torch(lambda lib, x: lib.angle(x), values, grad=dtype in (np.float32, np.float64))
    same_as_torch(lambda lib, x: x.angle(), values, grad=False)


@pytest.mark.parametrize("p", [1, 2, 3, 5])
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=2, max_side=3), seed=st.integers(0, 2**16))
def test_mvlgamma_matches_torch(same_as_torch, p, shape, seed):
    values = np.random.default_rng(seed).uniform(0.1, 8.0, shape)
    same_as_torch(lambda lib, x: lib.mvlgamma(x, p), values)
    same_as_torch(lambda lib, x: x.mvlgamma(p=p), values.astype(np.float32))
    same_as_torch(lambda lib, x: lib.mvlgamma(x, p), np.array([3, 4, 1]), grad=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("N", [None, 0, 1, 4])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander_values_match_torch(same_as_torch, dtype, N, increasing):
    values = np.array([2, 0, 1, 3], dtype=np.int64).astype(dtype)
    same_as_torch(lambda lib, x: lib.vander(x, N, increasing), values, grad=False)  # (PyTorch's backward raises)
    same_as_torch(lambda lib, x: lib.vander(x, N=N, increasing=increasing), values[:0], grad=False)


@pytest.mark.parametrize("rule", ["trapezoid", "trapz", "cumulative_trapezoid"])
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4), seed=st.integers(0, 2**16),
       data=st.data())
def test_trapezoid_rules_match_torch(same_as_torch, rule, shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    y, x, points = rng.normal(size=shape), rng.normal(size=shape[dim]), rng.normal(size=shape)
    same_as_torch(lambda lib, y: getattr(lib, rule)(y, dim=dim), y)
    if rule != "trapz":
        same_as_torch(lambda lib, y: getattr(lib, rule)(y, dx=0.25, dim=dim), y.astype(np.float32))
    grad = shape[dim] > 0 or rule != "cumulative_trapezoid"  # (x with no element gets no gradient: see the README)
    same_as_torch(lambda lib, y, x: getattr(lib, rule)(y, x, dim=dim), y, x, grad=grad)
    same_as_torch(lambda lib, y, x: getattr(lib, rule)(y, x, dim=dim), y, points, grad=grad)
    same_as_torch(lambda lib, y: getattr(lib, rule)(y, dim=dim), (y * 10).astype(np.int64), grad=False)


def test_trapezoid_broadcasts_sample_points_as_torch(same_as_torch):
    y = np.arange(6.0).reshape(2, 3)
    same_as_torch(lambda lib, y, x: lib.trapezoid(y, x), y, np.array([[0.0, 1.0, 3.0]]))
    same_as_torch(lambda lib, y, x: lib.trapezoid(y, x, dim=0), y, np.array([[0.0], [2.0]]))
    same_as_torch(lambda lib, y, x: lib.cumulative_trapezoid(y, x), y, np.array([[0.0, 1.0, 2.0], [0, 2, 5]]))


@pytest.mark.parametrize("call", [
    lambda lib: lib.trapezoid(lib.ones(3), lib.ones(2)), lambda lib: lib.trapezoid(lib.tensor([True])),
    lambda lib: lib.trapezoid(lib.ones(2, 3), dim=2), lambda lib: lib.vander(lib.ones(2, 2)),
    lambda lib: lib.vander(lib.ones(2), N=-1), lambda lib: lib.frexp(lib.tensor([1, 2])),
    lambda lib: lib.mvlgamma(lib.ones(2), 0), lambda lib: lib.mvlgamma(lib.ones(2), 1.5),
    lambda lib: lib.bitwise_left_shift(lib.tensor([1.0]), 1),
], ids=["x length", "bool y", "dim", "vander 2-D", "vander N", "frexp int", "mvlgamma p", "mvlgamma p type",
        "shift float"])
def test_both_refuse(call):
    with pytest.raises((RuntimeError, TypeError, IndexError, NotImplementedError)):
        call(torch)
    with pytest.raises((RuntimeError, ValueError, TypeError, IndexError)):
        call(fastgrad)


@SETTINGS
@given(n=st.integers(0, 25), dtype=st.sampled_from(["float32", "float64"]), bins=st.integers(1, 6),
       weighted=st.booleans(), density=st.booleans(), edges=st.booleans(), ranged=st.booleans(),
       seed=st.integers(0, 2**16))
def test_histogram_matches_torch(n, dtype, bins, weighted, density, edges, ranged, seed):
    rng = np.random.default_rng(seed)
    values = (rng.normal(size=n) * 3).round(int(rng.integers(0, 3))).astype(dtype)  # ties with the edges
    weight = rng.random(n).astype(dtype) if weighted else None
    kwargs = {"density": density}
    if ranged and not edges:
        low = round(float(rng.normal()), 1)
        kwargs["range"] = (low, low + float(rng.integers(0, 4)))
    edge_values = np.sort(rng.normal(size=bins + 1).round(1) * 3).astype(dtype)
    results = []
    for lib in (fastgrad, torch):
        edges_or_count = lib.tensor(edge_values) if edges else bins
        given_weight = None if weight is None else lib.tensor(weight)
        try:
            results.append(lib.histogram(lib.tensor(values), edges_or_count, weight=given_weight, **kwargs))
        except (RuntimeError, ValueError) as error:
            results.append(error)
    ours, theirs = results
    if isinstance(theirs, Exception) or isinstance(ours, Exception):
        assert isinstance(theirs, Exception) and isinstance(ours, Exception), (ours, theirs)
        return
    np.testing.assert_array_equal(ours.bin_edges.numpy(), theirs.bin_edges.numpy())
    np.testing.assert_allclose(ours.hist.numpy(), theirs.hist.numpy(), rtol=1e-5, equal_nan=True)
    assert str(ours.hist.dtype) == dtype and ours.hist.shape == tuple(theirs.hist.shape)
    method = fastgrad.tensor(values).histogram(fastgrad.tensor(edge_values) if edges else bins,
                                               weight=None if weight is None else fastgrad.tensor(weight), **kwargs)
    np.testing.assert_array_equal(method.hist.numpy(), ours.hist.numpy())


@pytest.mark.parametrize("call", [
    lambda lib: lib.histogram(lib.tensor([1.0, 2.0]), 0), lambda lib: lib.histogram(lib.tensor([1.0, 2]), 2,
                                                                                    range=(3.0, 1.0)),
    lambda lib: lib.histogram(lib.tensor([1.0, float("nan")]), 2),
    lambda lib: lib.histogram(lib.tensor([1.0, 2.0]), 2, range=(0.0, float("inf"))),
    lambda lib: lib.histogram(lib.tensor([1.0, 2.0]), lib.tensor([1.0])),
    lambda lib: lib.histogram(lib.tensor([1.0, 2.0]), lib.tensor([0.0, 1.0], dtype=lib.float64)),
    lambda lib: lib.histogram(lib.tensor([1.0, 2.0, 1.0]), 2, weight=lib.tensor([1.0, 2.0])),
    lambda lib: lib.histogram(lib.tensor([1, 2]), 2),
], ids=["no bins", "reversed range", "nan", "infinite range", "one edge", "edge dtype", "weight size", "integers"])
def test_histogram_refuses_what_torch_refuses(call):
    with pytest.raises((RuntimeError, NotImplementedError)):
        call(torch)
    with pytest.raises((ValueError, TypeError)):
        call(fastgrad)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int8])
def test_bit_shift_functions_match_torch(same_as_torch, dtype):
    values = np.array([1, 2, 5, 7], dtype=dtype)
    counts = np.array([0, 1, 3, 9], dtype=dtype)
    for name in ("bitwise_left_shift", "bitwise_right_shift"):
        same_as_torch(lambda lib, a, b: getattr(lib, name)(a, b), values, counts, grad=False)
        same_as_torch(lambda lib, a: getattr(lib, name)(a, 2), values, grad=False)
        same_as_torch(lambda lib, a: getattr(lib, name)(3, a), counts, grad=False)


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_cholesky_solve_and_inverse_match_torch(upper, batch):
    rng = np.random.default_rng(3)
    factor = np.tril(rng.uniform(-0.5, 0.5, batch + (3, 3))) + 2 * np.eye(3)
    factor = np.swapaxes(factor, -1, -2).copy() if upper else factor
    B = rng.normal(size=batch + (3, 2))
    triangle = np.triu(np.ones((3, 3))) if upper else np.tril(np.ones((3, 3)))
    for make in (lambda lib, B, L: lib.cholesky_solve(B, L, upper), lambda lib, B, L: B.cholesky_solve(L, upper=upper),
                 lambda lib, B, L: lib.cholesky_inverse(L, upper) @ B, lambda lib, B, L: L.cholesky_inverse(upper) @ B):
        outputs, grads = [], []
        for lib in (fastgrad, torch):
            b, L = lib.tensor(B, requires_grad=True), lib.tensor(factor, requires_grad=True)
            out = make(lib, b, L)
            out.sum().backward()
            outputs.append(out.detach().numpy())
            grads.append((b.grad.numpy(), L.grad.numpy() * triangle))  # PyTorch's other triangle: see the README
        np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-10)
        for ours, theirs in zip(*grads):
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(start=st.floats(-1e4, 1e4), end=st.floats(-1e4, 1e4), steps=st.integers(0, 50),
       dtype=st.sampled_from(["float32", "float64", "int64", "int32"]))
def test_linspace_is_torchs_to_the_bit(start, end, steps, dtype):
    ours = fastgrad.linspace(start, end, steps, dtype=getattr(fastgrad, dtype)).numpy()
    theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
    np.testing.assert_array_equal(ours, theirs)

"""fastgrad.special's Bessel, Airy, erfcx, xlog1py, zeta, incomplete gamma and orthogonal polynomial functions against
torch.special: names, dtypes, values in float32 and float64 over wide ranges (to PyTorch's own accuracy, which is
below fastgrad's for several: test_special_functions.py holds fastgrad to mpmath), special values, gradients where
PyTorch has them and errors where it raises."""
import inspect
import math

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

inf, nan = math.inf, math.nan
RNG = np.random.default_rng(1)
SPREAD = np.concatenate([-10 ** RNG.uniform(-6, 2.5, 60), 10 ** RNG.uniform(-6, 2.5, 60), RNG.uniform(-30, 30, 60),
                         [0.0, 1.0, -1.0, 2.0, 25.0, -25.0]])
EDGES = np.array([0.0, -0.0, inf, -inf, nan, 1e-300, -1e-300, 700.0, -700.0, 1e4])
NOT_IN_FASTGRAD = {"common_args", "multi_dim_common", "torch", "Tensor"}

UNARY = ["i0e", "i1", "i1e", "erfcx", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
         "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
         "scaled_modified_bessel_k1", "spherical_bessel_j0", "airy_ai"]
DIFFERENTIABLE = ["i0e", "i1", "i1e", "erfcx"]
OSCILLATING = {"bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "spherical_bessel_j0", "airy_ai"}
POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
               "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
               "laguerre_polynomial_l", "legendre_polynomial_p"]


def test_the_namespace_has_all_of_torch_specials_names():
    theirs = {name for name in dir(torch.special) if not name.startswith("_")} - NOT_IN_FASTGRAD
    assert set(fastgrad.special.__all__) == theirs
    assert all(callable(getattr(fastgrad.special, name)) for name in theirs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", UNARY)
def test_unary_values_match_torch(name, dtype):
    values = SPREAD.astype(dtype)
    ours = getattr(fastgrad.special, name)(fastgrad.tensor(values)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(values)).numpy()
    assert ours.dtype == theirs.dtype == dtype
    tiny = np.finfo(dtype).tiny
    # PyTorch's float64 J and Y are accurate to about 1e-6 of their envelope only, and its float32 results to a few
    # float32 ulps: the bound is the larger of those, relative to the size of the function there
    scale = np.maximum(np.abs(theirs), np.minimum(1, 1 / np.sqrt(np.abs(values) + tiny))) if name in OSCILLATING \
        else np.abs(theirs)
    both_finite = np.isfinite(ours) & np.isfinite(theirs) & (np.abs(theirs) > 1e3 * tiny)
    # (PyTorch computes float32 in float32, fastgrad in float64 rounded at the end: PyTorch's error is the bound)
    tolerance = 1e-5 if dtype == np.float32 else 2e-6 if name in OSCILLATING else 1e-12
    if name == "airy_ai":  # the phase (2/3) |x|^1.5 rounds, in either library, by more far out
        tolerance = 1e-3 if dtype == np.float32 else 1e-5
    assert (np.abs(ours - theirs)[both_finite] / scale[both_finite]).max() < tolerance
    assert (np.isfinite(ours) == np.isfinite(theirs)).all()


@pytest.mark.parametrize("name", UNARY)
def test_unary_edge_values_match_torch(name):
    ours = getattr(fastgrad.special, name)(fastgrad.tensor(EDGES)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(EDGES)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-300)


@pytest.mark.parametrize("name", UNARY)
def test_integers_give_float32_and_gradients_exist_only_where_torch_has_them(name):
    ours = getattr(fastgrad.special, name)(fastgrad.tensor([1, 2, 3]))
    theirs = getattr(torch.special, name)(torch.tensor([1, 2, 3]))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    x = np.array([0.5, 1.5, -2.0, 3.0])
    leaves = fastgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    outputs = [getattr(lib.special, name)(leaf) for lib, leaf in zip((fastgrad, torch), leaves)]
    assert outputs[0].requires_grad == outputs[1].requires_grad == (name in DIFFERENTIABLE)
    if name in DIFFERENTIABLE:
        for out in outputs:
            (out * out).sum().backward()
        np.testing.assert_allclose(leaves[0].grad.numpy(), leaves[1].grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name, first, second", [
    ("xlog1py", np.array([0.0, 0.0, 2.0, -1.5, 3.0, 0.0, 1.0]), np.array([-1.0, nan, 0.5, 4.0, -1.0, -2.0, inf])),
    ("zeta", np.array([2.0, 3.5, 1.0, 0.5, 2.0, 3.0, 4.0, 7.0]),
     np.array([1.0, 0.25, 2.0, 1.0, 0.0, -1.5, 50.0, 1e-3])),
    ("gammainc", np.array([0.5, 1.0, 3.0, 10.0, 0.0, 1.0, 40.0, -1.0]),
     np.array([0.1, 1.0, 2.0, 30.0, 1.0, 0.0, 41.0, 1.0])),
    ("gammaincc", np.array([0.5, 1.0, 3.0, 10.0, 0.0, 1.0, 40.0, -1.0]),
     np.array([0.1, 1.0, 2.0, 30.0, 1.0, 0.0, 41.0, 1.0])),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_two_argument_values_and_gradients_match_torch(name, first, second, dtype):
    """Values, and gradients for the second argument (the only one PyTorch differentiates zeta and the incomplete
    gamma functions in; xlog1py in both)."""
    a, b = first.astype(dtype), second.astype(dtype)
    ours_b, theirs_b = fastgrad.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours_a = fastgrad.tensor(a, requires_grad=name == "xlog1py")
    theirs_a = torch.tensor(a, requires_grad=name == "xlog1py")
    ours, theirs = getattr(fastgrad.special, name)(ours_a, ours_b), getattr(torch.special, name)(theirs_a, theirs_b)
    # (PyTorch's incomplete gamma functions are accurate to about 1e-9 near a = x = 40: fastgrad's to 1e-13)
    tolerance = 2e-6 if dtype == np.float32 else 1e-9 if name.startswith("gammainc") else 1e-12
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tolerance)
    assert ours.dtype == dtype
    finite = np.isfinite(theirs.detach().numpy())
    weights = np.where(finite, 1.0, 0.0).astype(dtype)
    (ours * fastgrad.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours_b.grad.numpy()[finite], theirs_b.grad.numpy()[finite], rtol=tolerance * 10)
    if name == "xlog1py":
        np.testing.assert_allclose(ours_a.grad.numpy(), theirs_a.grad.numpy(), rtol=tolerance)


@pytest.mark.parametrize("name", ["zeta", "gammainc", "gammaincc"])
def test_a_gradient_for_the_first_argument_raises_as_in_torch(name):
    for lib in (fastgrad, torch):
        first = lib.tensor([1.5, 2.5], dtype=lib.float64, requires_grad=True)
        out = getattr(lib.special, name)(first, lib.tensor([1.0, 2.0], dtype=lib.float64))
        with pytest.raises(NotImplementedError, match="derivative"):
            out.sum().backward()


@pytest.mark.parametrize("name", ["xlog1py", "zeta"] + POLYNOMIALS)
def test_numbers_and_tensors_mix_as_in_torch(name):
    for first, second in ((fastgrad.tensor([2.0, 3.0]), 2), (2.5, fastgrad.tensor([2.0, 3.0])),
                          (fastgrad.tensor([2, 3]), fastgrad.tensor([1, 2])),
                          (fastgrad.tensor([2.0], dtype=fastgrad.float64), fastgrad.tensor([1.0]))):
        as_torch = [torch.tensor(t.numpy()) if isinstance(t, fastgrad.Tensor) else t for t in (first, second)]
        ours, theirs = getattr(fastgrad.special, name)(first, second), getattr(torch.special, name)(*as_torch)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-6)
    for lib in (fastgrad, torch):
        with pytest.raises(TypeError):
            getattr(lib.special, name)(2.0, 3.0)


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma_functions_take_only_tensors_as_torch(name):
    for lib in (fastgrad, torch):
        with pytest.raises(TypeError):
            getattr(lib.special, name)(lib.tensor([2.0]), 1.0)
        with pytest.raises(TypeError):
            getattr(lib.special, name)(2.0, lib.tensor([1.0]))
        with pytest.raises((TypeError, NotImplementedError)):
            getattr(lib.special, name)(lib.tensor([1, 2]), lib.tensor([1, 2]))
        assert getattr(lib.special, name)(lib.tensor([1, 2]), lib.tensor([1.0, 2.0])).dtype == lib.float32


@pytest.mark.parametrize("name", POLYNOMIALS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_polynomials_match_torch(name, dtype):
    """Degrees as PyTorch reads them (negative: 0, fractional: truncated, as a number or a tensor), |x| on both
    sides of 1 (PyTorch's trigonometric form inside, its recurrence outside)."""
    x = np.concatenate([RNG.uniform(-1, 1, 40), RNG.uniform(-3, 3, 40)]).astype(dtype)
    for n in (-2, -0.5, 0, 0.7, 1, 2, 3, 6, 9, 14.9):
        ours = getattr(fastgrad.special, name)(fastgrad.tensor(x), n).numpy()
        theirs = getattr(torch.special, name)(torch.tensor(x), n).numpy()
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=2e-5 if dtype == np.float32 else 1e-10,
                                   atol=(2e-5 if dtype == np.float32 else 1e-10) * max(1, np.abs(theirs).max()))
    degrees = np.array([0, 1, 2, 5, -1, 3], dtype=np.int64)
    ours = getattr(fastgrad.special, name)(fastgrad.tensor(x[:6]), fastgrad.tensor(degrees)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x[:6]), torch.tensor(degrees)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_are_nan_where_torchs_values_are_not_the_polynomials(name):
    """PyTorch 2.13 returns numbers for a NaN x (or memory it never wrote) and 0 for a NaN or infinite n."""
    x = fastgrad.tensor([nan, 0.3, 0.3], dtype=fastgrad.float64)
    n = fastgrad.tensor([3.0, nan, inf], dtype=fastgrad.float64)
    assert np.isnan(getattr(fastgrad.special, name)(x, n).numpy()).all()
    out = getattr(fastgrad.special, name)(fastgrad.tensor([0.3], requires_grad=True), 3)
    assert not out.requires_grad


@pytest.mark.parametrize("name", UNARY + ["xlog1py", "zeta", "gammainc", "gammaincc"] + POLYNOMIALS)
def test_parameters_match_torch(name):
    doc = getattr(torch.special, name).__doc__.strip().splitlines()[0]
    theirs = [p.strip().split("=")[0] for p in doc[doc.index("(") + 1:doc.index(")")].split(",")
              if p.strip() not in ("*", "out=None")]
    assert list(inspect.signature(getattr(fastgrad.special, name)).parameters) == theirs


@pytest.mark.parametrize("name", [name for name in POLYNOMIALS if "chebyshev" in name])
def test_chebyshev_polynomials_of_huge_degree_inside_the_interval_match_torch(name):
    """Their trigonometric forms, as PyTorch's: a degree of 1e9 takes no billion steps."""
    x = np.array([0.01, 0.3, 0.55, 0.9]) if name.startswith("shifted") else np.array([-0.99, -0.3, 0.0, 0.45, 0.98])
    ours = getattr(fastgrad.special, name)(fastgrad.tensor(x), 1e9).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x), 1e9).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)  # (the phase 1e9 theta rounds in both)

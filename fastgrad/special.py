"""fastgrad.special: the functions of torch.special that fastgrad has, with its names and signatures.

Integer and bool inputs give the default float dtype, as in PyTorch; gradients flow as through the Tensor methods
of the same functions (`torch.special.gammaln` is `lgamma`, `psi` is `digamma`, `expit` is `sigmoid`).
"""
from __future__ import annotations

from fastgrad import ops
from fastgrad.autograd.graph import apply
from fastgrad.functions import (digamma, erfinv, exp2, i0, lgamma, logit, polygamma, sinc, xlogy)
from fastgrad.functions import _check_either_is_a_tensor
from fastgrad.ops import bessel, elementwise, orthogonal_polynomials, special_math, special_ops
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.arguments import real_arg

__all__ = ["digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "log1p",
           "log_ndtr", "log_softmax", "logit", "logsumexp", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc",
           "softmax", "xlogy"]

gammaln, psi = lgamma, digamma


def _tensor(name: str, input) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"special.{name}(): input must be a Tensor, got {type(input).__name__}")
    return input


def expit(input: Tensor) -> Tensor:
    """The logistic sigmoid 1 / (1 + e^-x)."""
    return _tensor("expit", input).sigmoid()


def erf(input: Tensor) -> Tensor:
    return _tensor("erf", input).erf()


def erfc(input: Tensor) -> Tensor:
    return _tensor("erfc", input).erfc()


def log1p(input: Tensor) -> Tensor:
    return _tensor("log1p", input).log1p()


def expm1(input: Tensor) -> Tensor:
    return _tensor("expm1", input).expm1()


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    return _tensor("round", input).round(decimals)


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _tensor("softmax", input).softmax(dim, dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _tensor("log_softmax", input).log_softmax(dim, dtype)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    return _tensor("logsumexp", input).logsumexp(dim, keepdim)


def entr(input: Tensor) -> Tensor:
    """The entropy term -x log x elementwise: 0 at 0, -inf for x < 0; gradient -(1 + log x)."""
    return apply(ops.Entr, _tensor("entr", input)._floating())


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF, P(Z <= x)."""
    return apply(ops.Ndtr, _tensor("ndtr", input)._floating())


def ndtri(input: Tensor) -> Tensor:
    """The standard normal quantile, x with P(Z <= x) = p: -inf at 0, inf at 1, NaN outside [0, 1]."""
    return apply(ops.Ndtri, _tensor("ndtri", input)._floating())


def log_ndtr(input: Tensor) -> Tensor:
    """log P(Z <= x), accurate far into both tails (-x^2 / 2 - log(-x sqrt(2 pi)) for very negative x)."""
    return apply(ops.LogNdtr, _tensor("log_ndtr", input)._floating())


# -- Bessel and related functions, zeta, the incomplete gamma functions, orthogonal polynomials ------------------
def _differentiable(name: str, op, input) -> Tensor:
    return apply(op, _tensor(name, input)._floating())


def _values(name: str, function, input) -> Tensor:
    """function of input's values as a tensor outside the graph: PyTorch has no derivative for these functions, and
    its results do not require grad either."""
    x = _tensor(name, input)._floating()
    return Tensor._wrap(function(x._data), False, None)


def _operands(name: str, input, other, labels: tuple[str, str]) -> tuple[Tensor, Tensor]:
    """input and other, one of which may be a number, promoted as the binary math functions do (integers to
    the default float dtype)."""
    if not isinstance(input, Tensor):
        _check_either_is_a_tensor(f"special.{name}", (labels[0], input), (labels[1], other))
        real_arg(input, f"special.{name}: {labels[0]}")
        input = other._floating_operand(input)
    return input._floating_pair(f"special.{name}", other, numbers=True)


def i0e(input: Tensor) -> Tensor:
    """e^-|x| I0(x), the exponentially scaled modified Bessel function of order 0 (finite for every x)."""
    return _differentiable("i0e", special_ops.I0e, input)


def i1(input: Tensor) -> Tensor:
    """I1(x), the modified Bessel function of the first kind of order 1 (NaN at +-inf, as PyTorch's)."""
    return _differentiable("i1", special_ops.I1, input)


def i1e(input: Tensor) -> Tensor:
    """e^-|x| I1(x)."""
    return _differentiable("i1e", special_ops.I1e, input)


def erfcx(input: Tensor) -> Tensor:
    """The scaled complementary error function e^(x^2) erfc(x) (inf below about -26.6, where it overflows)."""
    return _differentiable("erfcx", special_ops.Erfcx, input)


def xlog1py(input, other) -> Tensor:
    """input * log1p(other), 0 where input == 0 (unless other is NaN); one of them may be a number."""
    return apply(elementwise.Xlog1py, *_operands("xlog1py", input, other, ("input", "other")))


def zeta(input, other) -> Tensor:
    """The Hurwitz zeta function sum_k (other + k)^-input (PyTorch's domain: see special_math.zeta); one of them
    may be a number. Differentiable in `other` only: a gradient for `input` raises, as in PyTorch."""
    return apply(special_ops.Zeta, *_operands("zeta", input, other, ("input", "other")))


def gammainc(input: Tensor, other: Tensor) -> Tensor:
    """The regularized lower incomplete gamma function P(a, x), a = input, x = other (two tensors, as PyTorch
    takes; integer ones refused, as PyTorch's). Differentiable in x only: a gradient for a raises, as in PyTorch."""
    return apply(special_ops.Gammainc, *_tensor("gammainc", input)._floating_pair("special.gammainc", other, True))


def gammaincc(input: Tensor, other: Tensor) -> Tensor:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x) (see gammainc)."""
    return apply(special_ops.Gammaincc, *_tensor("gammaincc", input)._floating_pair("special.gammaincc", other, True))


def multigammaln(input: Tensor, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension p, as Tensor.mvlgamma."""
    return _tensor("multigammaln", input).mvlgamma(p)


def modified_bessel_i0(input: Tensor) -> Tensor:
    """I0(x), as i0 but without a gradient (PyTorch's has none)."""
    return _values("modified_bessel_i0", special_math.bessel_i0, input)


def modified_bessel_i1(input: Tensor) -> Tensor:
    """I1(x), as i1 but without a gradient (PyTorch's has none)."""
    return _values("modified_bessel_i1", special_math.bessel_i1, input)


def bessel_j0(input: Tensor) -> Tensor:
    """J0(x), the Bessel function of the first kind of order 0 (no gradient, as PyTorch's)."""
    return _values("bessel_j0", bessel.bessel_j0, input)


def bessel_j1(input: Tensor) -> Tensor:
    """J1(x) (no gradient, as PyTorch's)."""
    return _values("bessel_j1", bessel.bessel_j1, input)


def bessel_y0(input: Tensor) -> Tensor:
    """Y0(x), the Bessel function of the second kind of order 0: -inf at 0, NaN below (no gradient)."""
    return _values("bessel_y0", bessel.bessel_y0, input)


def bessel_y1(input: Tensor) -> Tensor:
    """Y1(x): -inf at 0, NaN below (no gradient, as PyTorch's)."""
    return _values("bessel_y1", bessel.bessel_y1, input)


def modified_bessel_k0(input: Tensor) -> Tensor:
    """K0(x), the modified Bessel function of the second kind of order 0: inf at 0, NaN below (no gradient)."""
    return _values("modified_bessel_k0", bessel.bessel_k0, input)


def modified_bessel_k1(input: Tensor) -> Tensor:
    """K1(x): inf at 0, NaN below (no gradient, as PyTorch's)."""
    return _values("modified_bessel_k1", bessel.bessel_k1, input)


def scaled_modified_bessel_k0(input: Tensor) -> Tensor:
    """e^x K0(x) (no gradient, as PyTorch's)."""
    return _values("scaled_modified_bessel_k0", bessel.scaled_bessel_k0, input)


def scaled_modified_bessel_k1(input: Tensor) -> Tensor:
    """e^x K1(x) (no gradient, as PyTorch's)."""
    return _values("scaled_modified_bessel_k1", bessel.scaled_bessel_k1, input)


def spherical_bessel_j0(input: Tensor) -> Tensor:
    """j0(x) = sin(x) / x, 1 at 0 (no gradient, as PyTorch's)."""
    return _values("spherical_bessel_j0", bessel.spherical_bessel_j0, input)


def airy_ai(input: Tensor) -> Tensor:
    """Ai(x), the Airy function of the first kind (no gradient, as PyTorch's)."""
    return _values("airy_ai", bessel.airy_ai, input)


def _torch_name(kind: str) -> str:
    """PyTorch's name of orthogonal_polynomials' `kind`: chebyshev_t is chebyshev_polynomial_t, and so on."""
    family, _, letter = kind.rpartition("_")
    return f"{family}_polynomial_{letter}"


def _polynomial_function(kind: str, description: str):
    """The function of p_n(input) for orthogonal_polynomials' `kind`: input and n (either may be a number, not
    both) promoted together; no gradient, as PyTorch's."""
    name = _torch_name(kind)

    def polynomial(input, n) -> Tensor:
        x, degrees = _operands(name, input, n, ("input", "n"))
        values = orthogonal_polynomials.evaluate(kind, x._data, degrees._data)
        return Tensor._wrap(values.astype(x.dtype, copy=False), False, None)

    polynomial.__name__ = polynomial.__qualname__ = name
    polynomial.__doc__ = (f"{description} of degree n, elementwise (n truncated towards zero; see "
                          "fastgrad/ops/orthogonal_polynomials.py for where the values differ from PyTorch's).")
    return polynomial


chebyshev_polynomial_t = _polynomial_function("chebyshev_t", "The Chebyshev polynomial of the first kind T_n")
chebyshev_polynomial_u = _polynomial_function("chebyshev_u", "The Chebyshev polynomial of the second kind U_n")
chebyshev_polynomial_v = _polynomial_function("chebyshev_v", "The Chebyshev polynomial of the third kind V_n")
chebyshev_polynomial_w = _polynomial_function("chebyshev_w", "The Chebyshev polynomial of the fourth kind W_n")
shifted_chebyshev_polynomial_t = _polynomial_function("shifted_chebyshev_t", "T_n(2x - 1)")
shifted_chebyshev_polynomial_u = _polynomial_function("shifted_chebyshev_u", "U_n(2x - 1)")
shifted_chebyshev_polynomial_v = _polynomial_function("shifted_chebyshev_v", "V_n(2x - 1)")
shifted_chebyshev_polynomial_w = _polynomial_function("shifted_chebyshev_w", "W_n(2x - 1)")
hermite_polynomial_h = _polynomial_function("hermite_h", "The (physicists') Hermite polynomial H_n")
hermite_polynomial_he = _polynomial_function("hermite_he", "The (probabilists') Hermite polynomial He_n")
laguerre_polynomial_l = _polynomial_function("laguerre_l", "The Laguerre polynomial L_n")
legendre_polynomial_p = _polynomial_function("legendre_p", "The Legendre polynomial P_n")

__all__ += ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "erfcx", "gammainc", "gammaincc", "i0e",
            "i1", "i1e", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
            "multigammaln",
            "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0", "xlog1py", "zeta"]
__all__ += [_torch_name(kind) for kind in orthogonal_polynomials.KINDS]

"""fastgrad.linalg: torch.linalg's functions, with its signatures, batch dims (leading), dtypes (float32 and
float64; integer input raises) and errors: a singular matrix raises LinAlgError where PyTorch's does.

Each function checks its arguments, then applies an op of fastgrad/ops/linalg.py (where the forward
kernels and the backward formulas are) or composes differentiable ones. The decompositions with several
results return views of one packed output; gradients reach the input through any of them.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Sequence

import numpy as np

from fastgrad.autograd.grad_mode import is_grad_enabled
from fastgrad.autograd.graph import apply
from fastgrad.dtypes import as_dtype
from fastgrad.functions import ascending_powers, matmul, where
from fastgrad.ops.linalg import (Cholesky, Det, Eigh, FailedAsNan, Inv, LinAlgError, MatrixExp, Pinv, Qr, Slogdet,
                                 Solve, Svd, singular_matrix_error, unpack, zero_pivots)
from fastgrad.ops.linalg import failed_minors, not_positive_definite_error
from fastgrad.ops.linalg_ldl import check_pivots, ldl_factorize, ldl_solved
from fastgrad.ops.linalg_lu import LuFactor, SolveTriangular, lu_factorize, permutation
from fastgrad.ops.no_derivative import NoDerivative
from fastgrad.tensor import Tensor
from fastgrad.tensor_methods.arguments import int_arg, normalize_dims, real_arg

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "inv_ex", "lstsq",
           "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "svd", "svdvals", "vecdot", "vector_norm"]

SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
InvExResult = namedtuple("InvExResult", ["inverse", "info"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SvdResult = namedtuple("SvdResult", ["U", "S", "Vh"])
QrResult = namedtuple("QrResult", ["Q", "R"])
LstsqResult = namedtuple("LstsqResult", ["solution", "residuals", "rank", "singular_values"])

_MATRIX_ORDS = ("fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2)
_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


# -- argument checks -----------------------------------------------------------------------------------
def _tensor(name: str, label: str, value) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: {label} must be a Tensor, got {type(value).__name__}")
    return value


def _floating(name: str, label: str, value, dtype=None) -> Tensor:
    """A float32 or float64 tensor, cast to `dtype` if given (widening only, as PyTorch); an integer or bool one is
    PyTorch's RuntimeError ("Expected a floating point or complex tensor as input")."""
    x = _tensor(name, label, value)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected {label} to be a floating point tensor (float32 or float64), got dtype "
                        f"{x.dtype}")
    if dtype is None:
        return x
    target = as_dtype(dtype)
    if target.kind != "f":
        raise TypeError(f"{name}: dtype must be a floating point dtype, got {target}")
    if target.itemsize < x.dtype.itemsize:
        raise RuntimeError(f"{name}: the dtype of the input ({x.dtype}) should be convertible without narrowing to "
                           f"the specified dtype ({target})")
    return x.to(target)


def _check_matrices(name: str, label: str, x: Tensor, square: bool = False) -> Tensor:
    """x as a (batch of) matrices, square ones when `square`; else RuntimeError, as PyTorch's linalg functions."""
    if x.ndim < 2:
        raise RuntimeError(f"{name}: {label} must have at least 2 dims (a matrix or a batch of matrices), got shape "
                         f"{tuple(x.shape)}")
    if square and x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{name}: {label} must be square matrices, got {x.shape[-2]} by {x.shape[-1]} matrices "
                         f"(shape {tuple(x.shape)})")
    return x


def _matrices(name: str, label: str, value, square: bool = False) -> Tensor:
    return _check_matrices(name, label, _floating(name, label, value), square)


def _same_dtype(name: str, labels: str, a: Tensor, b: Tensor) -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: expected {labels} to have the same dtype, got {a.dtype} and {b.dtype}")


def _tolerances(name: str, A: Tensor, atol, rtol) -> tuple:
    """(atol, rtol) as PyTorch's rank-revealing functions take them: numbers, or tensors that broadcast
    against A's batch shape (one tolerance per matrix); without rtol, eps * max(m, n), or 0 where atol > 0
    is given."""
    atol = 0.0 if atol is None else _tolerance(name, "atol", atol)
    default_rtol = float(np.finfo(A.dtype).eps) * max(A.shape[-2:])
    rtol = np.where(np.asarray(atol) > 0, 0.0, default_rtol)[()] if rtol is None else _tolerance(name, "rtol", rtol)
    try:
        np.broadcast_shapes(A.shape[:-2], np.shape(atol), np.shape(rtol))
    except ValueError:
        raise RuntimeError(f"{name}: atol of shape {tuple(np.shape(atol))} and rtol of shape "
                           f"{tuple(np.shape(rtol))} do not broadcast against A's batch shape "
                           f"{tuple(A.shape[:-2])}") from None
    return atol, rtol


def _tolerance(name: str, label: str, value):
    if isinstance(value, Tensor):
        if value.requires_grad:  # as PyTorch: the cutoff is a choice, not a differentiable input
            raise RuntimeError(f"{name}: is not differentiable with respect to {label}; expected a tensor that does "
                               "not require grad")
        return value._data.astype(np.float64)
    return real_arg(value, f"{name}: {label}")


# -- norms -----------------------------------------------------------------------------------------------
def vector_norm(x: Tensor, ord: float = 2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The ord-norm of the elements over `dim` (every dim when None or empty): (sum |x|^ord)^(1/ord), max |x|
    for inf, min |x| for -inf, the count of nonzeros for 0. Gradients are PyTorch's (0 where the norm is 0)."""
    x = _floating("linalg.vector_norm", "x", x, dtype)
    if isinstance(ord, (bool, np.bool_)) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise TypeError(f"linalg.vector_norm: ord must be a number, got {type(ord).__name__} {ord!r}")
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None
    return x.norm(float(ord), dim, keepdim)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The matrix norm of the matrices in dims `dim`: 'fro' (Frobenius), 'nuc' (sum of singular values),
    inf / -inf (largest / smallest row sum of |A|), 1 / -1 (column sums), 2 / -2 (largest / smallest
    singular value). The 'nuc' and +-2 norms differentiate through the SVD (see Svd)."""
    name = "linalg.matrix_norm"
    A = _floating(name, "A", A, dtype)
    _check_matrices(name, "A", A)
    if isinstance(ord, (bool, np.bool_)) or not any(ord == o and isinstance(ord, str) == isinstance(o, str)
                                                    for o in _MATRIX_ORDS):
        raise ValueError(f"{name}: ord must be one of 'fro', 'nuc', inf, -inf, 1, -1, 2, -2, got {ord!r}")
    dims = normalize_dims(dim, A.ndim)
    if len(dims) != 2:
        raise RuntimeError(f"{name}: dim must be a pair of different dims, got {dim!r}")
    kept_shape = tuple(1 if d in dims else size for d, size in enumerate(A.shape))
    out_shape = kept_shape if keepdim else tuple(size for d, size in enumerate(A.shape) if d not in dims)
    if ord == "fro":
        return vector_norm(A, 2, dims, keepdim)
    if ord == "nuc" or abs(ord) == 2:
        values = svdvals(A.movedim(dims, (-2, -1)))
        reduced = values.sum(-1) if ord == "nuc" else _largest(values, -1) if ord == 2 else values.amin(-1)
        return reduced.reshape(out_shape)
    # 1-norm: the largest column sum, so sum over the rows (dims[0]) first; the inf-norm is that of A^T
    summed, compared = dims if abs(ord) == 1 else dims[::-1]
    sums = vector_norm(A, 1, summed, keepdim=True)
    extreme = _largest(sums, compared, keepdim=True) if ord > 0 else sums.amin(compared, keepdim=True)
    return extreme.reshape(out_shape)


def _largest(magnitudes: Tensor, dim: int, keepdim: bool = False) -> Tensor:
    """The largest of nonnegative values along dim, 0 where there are none (an empty matrix's 2, 1 and inf
    norms, as PyTorch's; the smallest of none still raises, as there)."""
    return magnitudes.amax(dim, keepdim=keepdim) if magnitudes.shape[dim] else magnitudes.sum(dim, keepdim=keepdim)


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """A vector or matrix norm, as torch.linalg.norm decides: with one dim (or a 1-D input and no dim) the
    vector norm (ord 2 by default), with two dims (or a 2-D input and no dim) the matrix norm ('fro' by
    default); without ord and dim, the 2-norm of all elements, whatever the number of dims."""
    name = "linalg.norm"
    A = _tensor(name, "A", A)
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) == 1 and not isinstance(ord, str):
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) in (1, 2):
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise ValueError(f"{name}: dim must be an int or a pair of dims, got {dim!r}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1 and not isinstance(ord, str):
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim in (1, 2):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise ValueError(f"{name}: with ord and without dim, A must be 1-D or 2-D, got shape {tuple(A.shape)}")


# -- inverses, determinants, solves ------------------------------------------------------------------------
def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix; a singular one raises LinAlgError, as in PyTorch."""
    return apply(Inv, _matrices("linalg.inv", "A", A, square=True), name="linalg.inv")


def matrix_exp(A: Tensor) -> Tensor:
    """exp(A) of each square matrix (Padé approximation with scaling and squaring, in float64)."""
    return apply(MatrixExp, _matrices("linalg.matrix_exp", "A", A, square=True))


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:
    """(inverse, info): info (int32) is 0 for an invertible matrix, else the 1-based position of the zero
    pivot of its LU factorization, as LAPACK's. The inverse of a singular matrix is NaN (PyTorch's holds
    whatever LAPACK left, infinities among them); with check_errors=True one raises instead."""
    name = "linalg.inv_ex"
    A = _matrices(name, "A", A, square=True)
    info = zero_pivots(A._data)
    if check_errors and info.any():
        raise singular_matrix_error(name, A._data)
    info_tensor = Tensor._wrap(info, False, None)
    if not info.any():
        return InvExResult(apply(Inv, A, name=name), info_tensor)
    invertible = info == 0
    inverses = apply(Inv, _stand_ins(A, invertible), name=name)
    return InvExResult(apply(FailedAsNan, A, inverses, usable=invertible, core_dims=2), info_tensor)


def _check_equation(name: str, A: Tensor, B: Tensor, left: bool) -> None:
    """Square matrices A and matrices B fit A X = B (X A = B when not left), batch dims broadcasting; else
    RuntimeError, as PyTorch's."""
    n = A.shape[-1]
    rows, columns = B.shape[-2:]
    if (rows if left else columns) != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: incompatible shapes of A and B for the equation {equation} ({n}x{n} and "
                         f"{rows}x{columns})")
    try:
        np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        raise RuntimeError(f"{name}: the batch dims of A {tuple(A.shape[:-2])} and B {tuple(B.shape[:-2])} "
                         "cannot be broadcast together") from None


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (X A = B when left=False) for square A; B is a vector (or a batch of them, shape
    A.shape[:-1]) or matrices; batch dims broadcast. A singular A raises LinAlgError, as in PyTorch."""
    return _solve("linalg.solve", A, B, left)


def _solve(name: str, A: Tensor, B: Tensor, left: bool) -> Tensor:
    A, B = _matrices(name, "A", A, square=True), _floating(name, "B", B)
    _same_dtype(name, "A and B", A, B)
    if B.ndim == 0:
        raise ValueError(f"{name}: B must be a vector or matrices, got a 0-d tensor")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    matrices = B.unsqueeze(-1) if vector else B
    _check_equation(name, A, matrices, left)
    if vector and not left:
        raise ValueError(f"{name}: B of shape {tuple(B.shape)} is a batch of vectors, which left=False does not take "
                         "(X A = B is then B / A.squeeze(-1))")
    if left:
        x = apply(Solve, A, matrices, name=name)
    else:
        x = apply(Solve, A.mT, matrices.mT, name=name).mT
    return x.squeeze(-1) if vector else x


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix. Its gradient is the cofactor matrix, also at a singular
    matrix (where PyTorch 2.13 gives 0); with create_graph=True it is det(A) A^{-T}, which raises at a
    singular matrix."""
    return apply(Det, _matrices("linalg.det", "A", A, square=True))


def slogdet(A: Tensor) -> SlogdetResult:
    """(sign, logabsdet): the sign of the determinant (-1, 0 or 1) and the log of its absolute value
    (-inf for a singular matrix); only logabsdet has a gradient (A^{-T}, NaN at a singular matrix)."""
    packed = apply(Slogdet, _matrices("linalg.slogdet", "A", A, square=True))
    return SlogdetResult(*unpack(packed, [(), ()]))


def matrix_power(A: Tensor, n: int) -> Tensor:
    """A^n for square matrices by repeated squaring; n = 0 gives the identity, a negative n the power of
    the inverse (floating A only). Integer matrices are allowed for n >= 0, as in PyTorch."""
    name = "linalg.matrix_power"
    A = _check_matrices(name, "A", _tensor(name, "A", A), square=True)
    n = int_arg(n, f"{name}: n")
    if n == 0:  # the identity, which does not depend on A: a zero gradient, as PyTorch's
        identity = Tensor._wrap(np.broadcast_to(np.eye(A.shape[-1], dtype=A.dtype), A.shape), False, None)
        return where(Tensor._wrap(np.ones(A.shape, bool), False, None), identity, A)
    base = inv(A) if n < 0 else A
    result, n = None, abs(n)
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result.clone() if result is A else result


# -- factorizations ------------------------------------------------------------------------------------
def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The lower-triangular L with A = L L^T, from A's lower triangle (with upper=True, the upper-triangular
    U = L^T with A = U^T U, from A's upper triangle). A matrix that is not positive-definite raises
    LinAlgError. The gradient is symmetric (PyTorch's), as if A were perturbed symmetrically."""
    name = "linalg.cholesky"
    A = _matrices(name, "A", A, square=True)
    if upper:
        return apply(Cholesky, A.mT, name=name).mT
    return apply(Cholesky, A, name=name)


def qr(A: Tensor, mode: str = "reduced") -> QrResult:
    """(Q, R) with A = Q R; mode 'reduced' (Q (m, k), R (k, n), k = min(m, n)), 'complete' (Q (m, m)) or
    'r' (R only; Q is empty, and there is no gradient, as in PyTorch). mode='complete' with m > n has no
    gradient either (Q's last columns are arbitrary): its backward raises, as PyTorch's."""
    name = "linalg.qr"
    A = _matrices(name, "A", A)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"{name}: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    q, r = unpack(apply(Qr, A, mode=mode), Qr.shapes(*A.shape[-2:], mode))
    return QrResult(A.new_empty(0) if mode == "r" else q, r)


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """(eigenvalues ascending, eigenvectors as columns) of symmetric matrices, read from the lower ('L') or
    upper ('U') triangle. The gradient needs distinct eigenvalues where the eigenvectors are used (see
    Eigh); signs of eigenvectors are LAPACK's, as in PyTorch, but need not agree with PyTorch's."""
    name = "linalg.eigh"
    A = _matrices(name, "A", A, square=True)
    if UPLO not in ("L", "U"):
        raise ValueError(f"{name}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return EighResult(*unpack(apply(Eigh, A, upper=UPLO == "U"), Eigh.shapes(A.shape[-1])))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of symmetric matrices, ascending (see eigh); their gradient is Q diag(g) Q^T."""
    return eigh(A, UPLO).eigenvalues


def _no_driver(name: str, driver) -> None:
    if driver is not None:
        raise ValueError(f"{name}: driver= chooses a cuSOLVER algorithm for CUDA inputs; on the CPU it must be None, "
                         f"got {driver!r}")


def svd(A: Tensor, full_matrices: bool = True, *, driver=None) -> SvdResult:
    """(U, S, Vh) with A = U diag(S) Vh, S descending; full_matrices=False gives U (m, k) and Vh (k, n),
    k = min(m, n). The gradient needs distinct (and, for m != n, nonzero) singular values where U or Vh
    are used (see Svd); signs of singular vectors need not agree with PyTorch's."""
    name = "linalg.svd"
    A = _matrices(name, "A", A)
    _no_driver(name, driver)
    full_matrices = bool(full_matrices)
    return SvdResult(*unpack(apply(Svd, A, full_matrices=full_matrices), Svd.shapes(*A.shape[-2:], full_matrices)))


def svdvals(A: Tensor, *, driver=None) -> Tensor:
    """The singular values, descending; their gradient U diag(g) Vh exists for repeated ones too."""
    _no_driver("linalg.svdvals", driver)
    return svd(_matrices("linalg.svdvals", "A", A), full_matrices=False).S


def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """The number of singular values (absolute eigenvalues when hermitian) above max(atol, rtol * the
    largest); rtol defaults to eps * max(m, n), or 0 when atol > 0 is given. `tol` (PyTorch's older form)
    is atol with rtol 0. int64, outside the graph."""
    name = "linalg.matrix_rank"
    A = _matrices(name, "A", A, square=hermitian)
    if tol is not None:
        if atol is not None or rtol is not None:
            raise TypeError(f"{name}: give tol, or atol and rtol, not both")
        atol, rtol = tol, 0.0
    atol, rtol = _tolerances(name, A, atol, rtol)
    try:
        values = np.abs(np.linalg.eigvalsh(A._data)) if hermitian else np.linalg.svd(A._data, compute_uv=False)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{name}: the algorithm failed to converge") from None
    cutoff = np.maximum(atol, rtol * values.max(axis=-1, initial=0))
    return Tensor._wrap(np.asarray((values > cutoff[..., None]).sum(axis=-1), dtype=np.int64), False, None)


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, rcond=None) -> Tensor:
    """The Moore-Penrose pseudo-inverse, singular values at or below max(atol, rtol * the largest) taken as
    zero (rtol's default as in matrix_rank; rcond is its older name). The gradient is PyTorch's formula,
    exact where the rank does not change (see Pinv)."""
    name = "linalg.pinv"
    A = _matrices(name, "A", A, square=bool(hermitian))
    if rcond is not None:
        if rtol is not None:
            raise TypeError(f"{name}: give rtol or its older name rcond, not both")
        rtol = rcond
    atol, rtol = _tolerances(name, A, atol, rtol)
    batch = np.broadcast_shapes(A.shape[:-2], np.shape(atol), np.shape(rtol))
    if batch != A.shape[:-2]:  # tolerances with more matrices than A: A's matrices repeat over them, as PyTorch's
        A = A.expand(*batch, *A.shape[-2:])
    return apply(Pinv, A, atol=atol, rtol=rtol, hermitian=bool(hermitian))


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> LstsqResult:
    """The least-squares solution X minimising ||A X - B|| (the smallest such X when A is rank-deficient),
    with what PyTorch's CPU drivers report: residuals (squared, per column of B) for 'gels', 'gelsd' and
    'gelss' when m > n and every A has full rank, else empty; rank for all but 'gels'; singular values for
    'gelsd' and 'gelss'. X = pinv(A) B, so its gradient is pinv's (as PyTorch's is); singular values at
    or below rcond times the largest (default eps * max(m, n)) count as zero, except for 'gels', which
    ignores rcond (as PyTorch's). An rcond that drops larger singular values raises for 'gelsy', whose
    truncated column-pivoted QR gives another solution. B is vectors when 1-D or of shape A.shape[:-1]."""
    name = "linalg.lstsq"
    A, B = _matrices(name, "A", A), _floating(name, "B", B)
    _same_dtype(name, "A and B", A, B)
    driver = "gelsy" if driver is None else driver
    if driver not in _LSTSQ_DRIVERS:
        raise ValueError(f"{name}: driver must be one of {', '.join(map(repr, _LSTSQ_DRIVERS))}, got {driver!r}")
    # PyTorch's rule (as solve's): B with one dim fewer than A is vectors only if 1-D or of shape A.shape[:-1]
    vector = B.ndim == A.ndim - 1 and (B.ndim == 1 or B.shape == A.shape[:-1])
    if B.ndim != A.ndim and not vector:
        # (PyTorch reads B of A.ndim - 1 dims as matrices but broadcasts its batch dims as vectors': a wrong shape)
        raise ValueError(f"{name}: B must be matrices with as many dims as A (shape {tuple(A.shape)}) or vectors of "
                         f"shape A.shape[:-1] = {tuple(A.shape[:-1])}, got shape {tuple(B.shape)}")
    matrices = B.unsqueeze(-1) if vector else B
    m, n = A.shape[-2:]
    if matrices.ndim < 2 or matrices.shape[-2] != m:
        raise ValueError(f"{name}: A and B must have the same number of rows, got shapes {tuple(A.shape)} and "
                         f"{tuple(B.shape)}")
    default_rtol = float(np.finfo(A.dtype).eps) * max(m, n)
    # gels (QR, full rank assumed) ignores rcond, as PyTorch's
    rtol = default_rtol if rcond is None or driver == "gels" else real_arg(rcond, f"{name}: rcond")
    values = np.linalg.svd(A._data, compute_uv=False)
    largest = values.max(axis=-1, initial=0)[..., None]
    if driver == "gelsy" and ((values > default_rtol * largest) & (values <= rtol * largest)).any():
        # gelsy drops the trailing part of a column-pivoted QR factorization, not singular values: past the
        # default tolerance the two least-squares solutions differ
        raise NotImplementedError(f"{name}: rcond={rcond!r} drops singular values of A above the default tolerance, "
                                  "where the driver 'gelsy' (a column-pivoted QR) gives another solution than the "
                                  "SVD here; pass driver='gelsd' or 'gelss' for the solution with those values "
                                  "dropped")
    solution = pinv(A, rtol=rtol) @ matrices
    rank = (values > rtol * largest).sum(axis=-1)
    empty = A.new_empty(0)
    residuals = empty
    if driver == "gels" and m > n or driver in ("gelsd", "gelss") and m > n and (rank == n).all():
        residuals = ((A @ solution - matrices) ** 2).sum(-2)
    return LstsqResult(solution.squeeze(-1) if vector else solution, residuals,
                       Tensor._wrap(rank.astype(np.int64), False, None) if driver != "gels" else empty.long(),
                       Tensor._wrap(values, False, None) if driver in ("gelsd", "gelss") else empty)


# -- products ------------------------------------------------------------------------------------------
def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along `dim` (the last by default), of one dtype."""
    name = "linalg.cross"
    input, other = _tensor(name, "input", input), _tensor(name, "other", other)
    _same_dtype(name, "input and other", input, other)
    return input.cross(other, dim=dim)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of the vectors along `dim` (sum of x * y; fastgrad's tensors are real), broadcast."""
    name = "linalg.vecdot"
    x, y = _floating(name, "x", x), _floating(name, "y", y)
    _same_dtype(name, "x and y", x, y)
    return (x * y).sum(dim)


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """The product of two or more matrices, in the order of multiplications that costs the fewest scalar
    products; the first may be a row vector (1-D) and the last a column vector (1-D)."""
    name = "linalg.multi_dot"
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}: tensors must be a list or tuple of tensors, got {type(tensors).__name__}")
    tensors = [_tensor(name, f"tensors[{i}]", t) for i, t in enumerate(tensors)]
    if len(tensors) < 2:
        raise RuntimeError(f"{name}: expected at least 2 tensors, got {len(tensors)}")
    last = len(tensors) - 1
    for i in [0, last] + list(range(1, last)):  # (the ends first, then the dtypes: PyTorch's order)
        allowed = (1, 2) if i in (0, last) else (2,)
        if tensors[i].ndim not in allowed:
            which = "first" if i == 0 else "last" if i == last else "middle"
            raise RuntimeError(f"{name}: the {which} tensor must be {' or '.join(f'{d}-D' for d in allowed)}, got "
                               f"shape {tuple(tensors[i].shape)} (tensor {i})")
    for i, t in enumerate(tensors):
        _same_dtype(name, f"tensors 0 and {i}", tensors[0], t)
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    matrices = ([tensors[0].unsqueeze(0)] if first else tensors[:1]) + tensors[1:-1] + (
        [tensors[-1].unsqueeze(-1)] if last else tensors[-1:])
    for i in range(len(matrices) - 1):
        if matrices[i].shape[1] != matrices[i + 1].shape[0]:
            raise RuntimeError(f"{name}: tensors {i} and {i + 1} with shapes {tuple(tensors[i].shape)} and "
                               f"{tuple(tensors[i + 1].shape)} cannot be multiplied")
    product = _chain_product(matrices, _cheapest_splits([m.shape[0] for m in matrices] + [matrices[-1].shape[1]]),
                             0, len(matrices) - 1)
    if first:
        product = product.squeeze(0)
    return product.squeeze(-1) if last else product


def _cheapest_splits(sizes: list[int]) -> list[list[int]]:
    """For the chain of matrices sizes[i] x sizes[i + 1], where the cheapest way to multiply matrices i..j
    splits them (split[i][j] = k: (i..k)(k+1..j)); the classic O(n^3) dynamic programme."""
    count = len(sizes) - 1
    cost = [[0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            cost[i][j], split[i][j] = min((cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1], k)
                                          for k in range(i, j))
    return split


def _chain_product(matrices: list[Tensor], split: list[list[int]], i: int, j: int) -> Tensor:
    if i == j:
        return matrices[i]
    k = split[i][j]
    return _chain_product(matrices, split, i, k) @ _chain_product(matrices, split, k + 1, j)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal of the matrices in dims (dim1, dim2) as a last dim: a view, as Tensor.diagonal."""
    return _tensor("linalg.diagonal", "A", A).diagonal(offset, dim1, dim2)


# -- from a Cholesky factor ------------------------------------------------------------------------------------
def _cholesky_product(name: str, L: Tensor, upper: bool) -> Tensor:
    """A = L L^T (U^T U with upper=True) from the factor's triangle alone, as PyTorch's LAPACK call reads it.
    The other triangle's elements get a zero gradient: the result does not depend on them (PyTorch's formula
    gives them the gradient they would have if it did)."""
    L = _matrices(name, "L" if name == "cholesky_solve" else "A", L, square=True)
    factor = L.triu() if upper else L.tril()
    return factor.mT @ factor if upper else factor @ factor.mT


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:
    """X with A X = B, given A's Cholesky factor L (A = L L^T; upper=True: U with A = U^T U); B is (*, n, k),
    batch dims broadcast. A zero on the factor's diagonal raises LinAlgError (PyTorch returns NaN)."""
    name = "cholesky_solve"
    B = _floating(name, "B", B)
    A = _cholesky_product(name, L, upper)
    _same_dtype(name, "B and L", B, A)
    if B.ndim < 2 or B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"{name}: B must be (*, n, k) with n = {A.shape[-1]} (L's size), got shape {tuple(B.shape)}")
    return solve(A, B)


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:
    """The inverse of A = L L^T (U^T U with upper=True) from its Cholesky factor."""
    return inv(_cholesky_product("cholesky_inverse", L, upper))
# -- triangular solves, LU, checked variants -----------------------------------------------------------
LUFactorResult = namedtuple("LUFactorResult", ["LU", "pivots"])
LUFactorExResult = namedtuple("LUFactorExResult", ["LU", "pivots", "info"])
LUResult = namedtuple("LUResult", ["P", "L", "U"])
SolveExResult = namedtuple("SolveExResult", ["result", "info"])
CholeskyExResult = namedtuple("CholeskyExResult", ["L", "info"])


def _constant(array: np.ndarray) -> Tensor:
    return Tensor._wrap(array, False, None)


def _stand_ins(A: Tensor, usable: np.ndarray) -> Tensor:
    """A with the identity in place of each matrix that `usable` (A's batch shape) marks unusable, so that a
    factorization or solve runs on the batch and the marked results can then be replaced by NaN."""
    return where(_constant(usable[..., None, None]), A, _constant(np.eye(A.shape[-1], dtype=A.dtype)))


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    """X with T X = B (X T = B when left=False), T the upper or lower triangle of each square A (its diagonal
    taken as ones when unitriangular; the other triangle is not read); batch dims broadcast. A zero on
    T's diagonal gives inf or NaN, no error, as in PyTorch. The gradient reaches only T's entries."""
    name = "linalg.solve_triangular"
    A, B = _matrices(name, "A", A, square=True), _matrices(name, "B", B)
    _same_dtype(name, "A and B", A, B)
    _check_equation(name, A, B, left)
    upper, unit = bool(upper), bool(unitriangular)
    if left:
        return apply(SolveTriangular, A, B, upper=upper, unit=unit)
    return apply(SolveTriangular, A.mT, B.mT, upper=not upper, unit=unit).mT  # X T = B as T^T X^T = B^T


def _pivoting(name: str, pivot) -> None:
    if not pivot:
        raise RuntimeError(f"{name}: LU without pivoting is not implemented on the CPU (as in PyTorch)")


def _zero_pivot_error(name: str, info: np.ndarray) -> LinAlgError:
    flat = info.reshape(-1)
    index = int(np.flatnonzero(flat)[0])
    batch = f"(Batch element {index}): " if info.ndim else ""
    return LinAlgError(f"{name}: {batch}U[{flat[index]},{flat[index]}] is zero and using it on lu_solve would result "
                       "in a division by zero. If you still want to perform the factorization, consider calling "
                       "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> LUFactorExResult:
    """(LU, pivots, info) of A = P L U with partial pivoting (LAPACK getrf's): LU packs L (unit lower,
    below the diagonal) and U; pivots (int32, 1-based, min(m, n) per matrix) are the row swaps that make P;
    info (int32) is the 1-based position of the first zero pivot, 0 if there is none (check_errors=True
    raises then). Any m x n A; its gradient flows through LU and is infinite where U is singular."""
    name = "linalg.lu_factor_ex"
    A = _matrices(name, "A", A)
    _pivoting(name, pivot)
    lu, pivots, info = lu_factorize(A._data)
    if check_errors and info.any():
        raise _zero_pivot_error(name, info)
    return LUFactorExResult(apply(LuFactor, A, lu=lu, pivots=pivots), _constant(pivots), _constant(info))


def lu_factor(A: Tensor, *, pivot: bool = True) -> LUFactorResult:
    """(LU, pivots) as lu_factor_ex's; a zero pivot (a singular square A) raises, as PyTorch's."""
    name = "linalg.lu_factor"
    A = _matrices(name, "A", A)
    _pivoting(name, pivot)
    lu, pivots, info = lu_factorize(A._data)
    if info.any():
        raise _zero_pivot_error(name, info)
    return LUFactorResult(apply(LuFactor, A, lu=lu, pivots=pivots), _constant(pivots))


def lu(A: Tensor, *, pivot: bool = True) -> LUResult:
    """(P, L, U) with A = P L U: P a permutation matrix (m x m), L unit lower-triangular (m x k), U upper-
    triangular (k x n), k = min(m, n). No error for singular A; gradients reach A through L and U."""
    name = "linalg.lu"
    A = _matrices(name, "A", A)
    _pivoting(name, pivot)
    packed, pivots, _ = lu_factor_ex(A)
    return LUResult(*unpack_lu(packed, pivots._data))


def unpack_lu(packed: Tensor, pivots: np.ndarray) -> tuple[Tensor, Tensor, Tensor]:
    """(P, L, U) of a packed LU factor and its pivots."""
    m, n = packed.shape[-2:]
    k = min(m, n)
    lower = packed[..., :, :k].tril(-1) + _constant(np.eye(m, k, dtype=packed.dtype))
    return _constant(permutation(pivots, m, packed.dtype)), lower, packed[..., :k, :].triu()


def checked_pivots(name: str, LU: Tensor, pivots) -> np.ndarray:
    """The values of lu_factor's pivots for the factor LU (int32, min(m, n) per matrix, each in [1, m])."""
    pivots = _tensor(name, "pivots", pivots)
    if pivots.dtype != np.int32:
        raise TypeError(f"{name}: pivots should be a Tensor of dtype int32 (as lu_factor gives), got {pivots.dtype}")
    m, n = LU.shape[-2:]
    shape = tuple(LU.shape[:-2]) + (min(m, n),)
    if tuple(pivots.shape) != shape:
        raise ValueError(f"{name}: pivots must have shape {shape} (LU's batch dims and min(m, n) = {min(m, n)}), got "
                         f"{tuple(pivots.shape)}")
    values = pivots._data
    if values.size and not ((values >= 1) & (values <= m)).all():
        raise ValueError(f"{name}: pivots must lie in [1, {m}] (1-based rows, as lu_factor gives), got values from "
                         f"{values.min()} to {values.max()}")
    return values


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False) -> Tensor:
    """X with A X = B for A = P L U given by lu_factor's (LU, pivots); A^T X = B with adjoint=True, and
    X A = B or X A^T = B with left=False. B is matrices; batch dims broadcast. Gradients reach LU (each
    triangle through its solve) and B."""
    name = "linalg.lu_solve"
    LU, B = _matrices(name, "LU", LU, square=True), _matrices(name, "B", B)
    _same_dtype(name, "LU and B", LU, B)
    p = _constant(permutation(checked_pivots(name, LU, pivots), LU.shape[-1], LU.dtype))
    _check_equation(name, LU, B, left)
    if not left:  # X A = B is A^T X^T = B^T, and X A^T = B is A X^T = B^T
        return _lu_solved(LU, p, B.mT, not adjoint).mT
    return _lu_solved(LU, p, B, adjoint)


def _lu_solved(LU: Tensor, p: Tensor, B: Tensor, adjoint: bool) -> Tensor:
    if adjoint:  # A^T = U^T L^T P^T
        y = apply(SolveTriangular, LU.mT, B, upper=False, unit=False)
        return p @ apply(SolveTriangular, LU.mT, y, upper=True, unit=True)
    y = apply(SolveTriangular, LU, p.mT @ B, upper=False, unit=True)
    return apply(SolveTriangular, LU, y, upper=True, unit=False)


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> SolveExResult:
    """(result, info): solve's X and LAPACK's info for each A (int32, of A's batch shape: 0, or the 1-based
    position of the first zero pivot). The result for a singular A is NaN (PyTorch's holds whatever LAPACK
    left, infinities among them); with check_errors=True one raises LinAlgError instead."""
    name = "linalg.solve_ex"
    A = _matrices(name, "A", A, square=True)
    info = zero_pivots(A._data)
    if check_errors and info.any():
        raise singular_matrix_error(name, A._data, inverting=False)
    if not info.any():
        return SolveExResult(_solve(name, A, B, left), _constant(info))
    invertible = info == 0
    x = _solve(name, _stand_ins(A, invertible), B, left)
    core_dims = 2 if x.ndim >= A.ndim else 1  # matrices or vectors
    return SolveExResult(apply(FailedAsNan, A, x, usable=invertible, core_dims=core_dims), _constant(info))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyExResult:
    """(L, info): cholesky's factor and LAPACK's info for each A (int32: 0, or the order of its first leading
    minor that is not positive-definite). The factor of such an A is NaN (PyTorch's is LAPACK's partial
    one); with check_errors=True one raises LinAlgError instead."""
    name = "linalg.cholesky_ex"
    A = _matrices(name, "A", A, square=True)
    read = A._data.swapaxes(-1, -2) if upper else A._data  # the triangle the factor is computed from, as lower
    info = failed_minors(read)
    if check_errors and info.any():
        raise not_positive_definite_error(name, read, info)
    if not info.any():
        return CholeskyExResult(cholesky(A, upper=upper), _constant(info))
    definite = info == 0
    factor = cholesky(_stand_ins(A, definite), upper=upper)
    return CholeskyExResult(apply(FailedAsNan, A, factor, usable=definite, core_dims=2), _constant(info))


# -- condition numbers, tensor inverses and solves, Householder products --------------------------------
def cond(A: Tensor, p=None) -> Tensor:
    """The condition number ||A||_p ||A^{-1}||_p: for p None, 2 and -2 the ratio of the largest and smallest
    singular values (any m x n A; NaN for a zero matrix), for 'nuc' sum(s) sum(1/s), and for 'fro', inf,
    -inf, 1 and -1 (square A) the norms of A and its inverse, inf for a singular A, as PyTorch's."""
    name = "linalg.cond"
    A = _matrices(name, "A", A)
    if p is not None and (isinstance(p, (bool, np.bool_)) or not any(
            p == o and isinstance(p, str) == isinstance(o, str) for o in _MATRIX_ORDS)):
        raise ValueError(f"{name}: got an invalid norm type {p!r}; expected None, 'fro', 'nuc', inf, -inf, 1, -1, 2 "
                         "or -2")
    if p not in (None, 2, -2):
        _check_matrices(f"{name}(p={p!r})", "A", A, square=True)
    if A.shape[-1] == 0 or A.shape[-2] == 0:
        return A.new_zeros(A.shape[:-2])
    if p in (None, 2, -2, "nuc"):
        values = svdvals(A)
        with np.errstate(divide="ignore", invalid="ignore"):  # a singular A's is inf (0/0, NaN, for a zero A)
            if p == "nuc":
                return values.sum(-1) * (1 / values).sum(-1)
            return values.amax(-1) / values.amin(-1) if p != -2 else values.amin(-1) / values.amax(-1)
    inverse, info = inv_ex(A)
    ratio = matrix_norm(A, p) * matrix_norm(inverse, p)
    return where(info != 0, ratio.new_full((), np.inf), ratio)


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A read as a matrix (the product of its first `ind` dims by that of the others, which
    must be equal), shaped A.shape[ind:] + A.shape[:ind]: tensordot(tensorinv(A), A, ind) is the identity."""
    name = "linalg.tensorinv"
    A = _floating(name, "A", A)
    ind = int_arg(ind, f"{name}: ind")
    if ind <= 0:
        raise ValueError(f"{name}: ind must be a positive int, got {ind}")
    rows, columns = int(np.prod(A.shape[:ind])), int(np.prod(A.shape[ind:]))
    if rows != columns:
        raise ValueError(f"{name}: the product of A's first {ind} dims ({rows}) must equal that of the others "
                         f"({columns}); A has shape {tuple(A.shape)}")
    return apply(Inv, A.reshape(rows, columns), name=name).reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))


def tensorsolve(A: Tensor, B: Tensor, dims=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B, of shape A.shape[B.ndim:] (after moving `dims` of A, if given,
    to the end): A read as a square matrix of B.numel() rows."""
    name = "linalg.tensorsolve"
    A, B = _floating(name, "A", A), _floating(name, "B", B)
    _same_dtype(name, "A and B", A, B)
    if dims is not None:
        dims = normalize_dims(dims, A.ndim)
        A = A.movedim(dims, tuple(range(A.ndim - len(dims), A.ndim)))
    shape = tuple(A.shape[B.ndim:])
    n = int(np.prod(shape))
    if int(np.prod(A.shape[:B.ndim])) != n or B.numel() != n:
        raise ValueError(f"{name}: A (shape {tuple(A.shape)}) must read as a square matrix of B.numel() = {B.numel()} "
                         f"rows: the product of its first {B.ndim} dims and that of the others must both be "
                         f"{B.numel()}")
    return _solve(name, A.reshape(n, n), B.reshape(n), True).reshape(shape)


def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i column i of A below the
    diagonal and a 1 on it (as geqrf leaves them; A is m x n with m >= n >= k = tau.shape[-1])."""
    name = "linalg.householder_product"
    A, tau = _matrices(name, "A", A), _floating(name, "tau", tau)
    _same_dtype(name, "A and tau", A, tau)
    m, n = A.shape[-2:]
    if tau.ndim != A.ndim - 1 or tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise ValueError(f"{name}: tau must have shape A.shape[:-2] + (k,) = {tuple(A.shape[:-2])} + (k,), got "
                         f"{tuple(tau.shape)}")
    k = tau.shape[-1]
    if not m >= n >= k:
        raise ValueError(f"{name}: expected A.shape[-2] >= A.shape[-1] >= tau.shape[-1], got {m}, {n} and {k}")
    product = _constant(np.broadcast_to(np.eye(m, dtype=A.dtype), tuple(A.shape[:-2]) + (m, m)))
    if k == 0:  # the identity's first columns, which do not depend on A: a zero gradient, as matrix_power's
        return where(_constant(np.ones(A.shape, bool)), product[..., :, :n], A)
    vectors = A[..., :, :k].tril(-1) + _constant(np.eye(m, k, dtype=A.dtype))
    for i in range(k):
        v = vectors[..., :, i:i + 1]
        product = product - (product @ v) @ (tau[..., i, None, None] * v).mT
    return product[..., :, :n]


def eig(A: Tensor):
    """Not available: the eigenvalues and eigenvectors of a general real matrix are complex."""
    _complex_results("linalg.eig")


def eigvals(A: Tensor):
    """Not available: the eigenvalues of a general real matrix are complex."""
    _complex_results("linalg.eigvals")


def _complex_results(name: str) -> None:
    raise NotImplementedError(f"{name}: the eigenvalues of a general real matrix are complex, and fastgrad has no "
                              "complex dtypes; for symmetric matrices use linalg.eigh or linalg.eigvalsh, whose "
                              "results are real")


__all__ += ["cholesky_ex", "cond", "eig", "eigvals", "householder_product", "lu", "lu_factor", "lu_factor_ex",
            "lu_solve", "solve_ex", "solve_triangular", "tensorinv", "tensorsolve"]


def vander(x: Tensor, N: int | None = None) -> Tensor:
    """The Vandermonde matrices of the vectors in x's last dim: shape x.shape + (N,), column j x ** j (N =
    x.shape[-1] by default, at least 2); integers give int64, bools raise, as PyTorch's. Differentiable."""
    name = "linalg.vander"
    x = _tensor(name, "x", x)
    if x.dtype.kind == "b":
        raise TypeError(f"{name}: x must be a floating point or integer tensor, got dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError(f"{name}: x must have at least one dim (vectors), got a 0-d tensor")
    N = x.shape[-1] if N is None else int_arg(N, f"{name}: N")
    if N <= 1:
        raise ValueError(f"{name}: N must be greater than 1, got {N}")
    return ascending_powers(x if x.dtype.kind == "f" else x.long(), N)


__all__ += ["vander"]


# -- LDL^T of symmetric matrices (Bunch-Kaufman pivoting, LAPACK's format; no derivative, as in PyTorch) ----------
LDLFactorResult = namedtuple("LDLFactorResult", ["LD", "pivots"])
LDLFactorExResult = namedtuple("LDLFactorExResult", ["LD", "pivots", "info"])


def _without_derivative(name: str, values: np.ndarray, *inputs: Tensor) -> Tensor:
    """values as a tensor that, as PyTorch's result, requires grad when an input does, with a raising backward."""
    sources = [t for t in inputs if t.requires_grad]
    if sources and is_grad_enabled():
        return apply(NoDerivative, *sources, values=values, name=name)
    return _constant(values)


def ldl_factor_ex(input: Tensor, *, hermitian: bool = False, check_errors: bool = False) -> LDLFactorExResult:
    """(LD, pivots, info) of A = P L D L^T P^T for real symmetric A = input (PyTorch's keyword for it), read from
    its lower triangle (see
    fastgrad/ops/linalg_ldl.py for the format, LAPACK sytrf's: the pivots are LAPACK's); hermitian is the same
    for real matrices. info (int32) is the 1-based index of the first zero pivot of D, 0 if none
    (check_errors=True raises then). No derivative, as in PyTorch."""
    name = "linalg.ldl_factor_ex"
    A = _matrices(name, "input", input, square=True)
    factors, pivots, info = ldl_factorize(A._data)
    if check_errors and info.any():
        raise _singular_d_error(name, info)
    return LDLFactorExResult(_without_derivative("linalg.ldl_factor", factors, A), _constant(pivots),
                             _constant(info))


def ldl_factor(input: Tensor, *, hermitian: bool = False) -> LDLFactorResult:
    """(LD, pivots) as ldl_factor_ex's; a singular D (a zero pivot) raises LinAlgError."""
    LD, pivots, info = ldl_factor_ex(input, hermitian=hermitian)
    if info._data.any():
        raise _singular_d_error("linalg.ldl_factor", info._data)
    return LDLFactorResult(LD, pivots)


def _singular_d_error(name: str, info: np.ndarray) -> LinAlgError:
    flat = info.reshape(-1)
    index = int(np.flatnonzero(flat)[0])
    batch = f"(Batch element {index}): " if info.ndim else ""
    return LinAlgError(f"{name}: {batch}D[{flat[index]},{flat[index]}] is exactly zero: the factorization was "
                       "completed, but D is singular and a solve with it would divide by zero")


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False) -> Tensor:
    """X with A X = B for ldl_factor's (LD, pivots) of A; B is matrices (*, n, k), batch dims broadcast. A zero
    pivot of D gives inf or NaN, as LAPACK's. No derivative, as in PyTorch."""
    name = "linalg.ldl_solve"
    LD, B = _matrices(name, "LD", LD, square=True), _matrices(name, "B", B)
    pivots = _tensor(name, "pivots", pivots)
    if B.dtype != LD.dtype:
        raise RuntimeError(f"{name}: expected B and LD to have the same dtype, got {B.dtype} and {LD.dtype}")
    n = LD.shape[-1]
    if pivots.dtype not in (np.int32, np.int64):
        raise TypeError(f"{name}: pivots must be an int32 (as ldl_factor gives) or int64 tensor, got {pivots.dtype}")
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise ValueError(f"{name}: pivots must have shape LD.shape[:-1] = {tuple(LD.shape[:-1])}, got "
                         f"{tuple(pivots.shape)}")
    problem = check_pivots(pivots._data, n)
    if problem:
        raise ValueError(f"{name}: pivots are not in ldl_factor's format: {problem}")
    _check_equation(name, LD, B, True)
    return _without_derivative(name, ldl_solved(LD._data, pivots._data, B._data), LD, B)


__all__ += ["ldl_factor", "ldl_factor_ex", "ldl_solve"]

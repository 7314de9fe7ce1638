"""PyTorch's older top-level LU and triangular-solve functions (torch.lu, lu_solve, lu_unpack,
triangular_solve), on top of fastgrad.linalg; the three that PyTorch deprecates warn as its do."""
from __future__ import annotations

import warnings
from collections import namedtuple

from fastgrad import linalg
from fastgrad.tensor import Tensor

LUUnpackResult = namedtuple("LUUnpackResult", ["P", "L", "U"])
TriangularSolveResult = namedtuple("TriangularSolveResult", ["solution", "cloned_coefficient"])


def _deprecated(old: str, new: str, example: str) -> None:
    warnings.warn(f"fastgrad.{old} is deprecated in favor of fastgrad.linalg.{new}, as torch.{old} is in PyTorch: "
                  f"{example}", UserWarning, stacklevel=3)


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False):
    """(LU, pivots), or (LU, pivots, infos) with get_infos=True, as linalg.lu_factor_ex's; a zero pivot does
    not raise, with or without get_infos (as PyTorch's)."""
    _deprecated("lu", "lu_factor", "LU, pivots = fastgrad.linalg.lu_factor(A), or LU, pivots, info = "
                "fastgrad.linalg.lu_factor_ex(A) for get_infos=True")
    factor = linalg.lu_factor_ex(A, pivot=pivot)
    return tuple(factor) if get_infos else tuple(factor[:2])


def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """X with A X = b for lu_factor's (LU, pivots) of A: linalg.lu_solve with the arguments in another order."""
    _deprecated("lu_solve", "lu_solve", "X = fastgrad.lu_solve(B, LU, pivots) is X = fastgrad.linalg.lu_solve(LU, "
                "pivots, B)")
    return linalg.lu_solve(LU_data, LU_pivots, b)


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True) -> LUUnpackResult:
    """(P, L, U) of lu_factor's (LU, pivots): A = P L U. Without unpack_data L and U are empty, without
    unpack_pivots P is; gradients reach LU_data through L and U."""
    name = "lu_unpack"
    LU_data = linalg._matrices(name, "LU_data", LU_data)
    p, lower, upper = linalg.unpack_lu(LU_data, linalg.checked_pivots(name, LU_data, LU_pivots))
    no_factor = LU_data.reshape(-1)[:0]  # empty, but in LU_data's graph, as PyTorch's L and U
    return LUUnpackResult(p if unpack_pivots else LU_data.new_empty(0), lower if unpack_data else no_factor,
                          upper if unpack_data else no_factor)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False) -> TriangularSolveResult:
    """(X, a copy of A) with T X = b, T the upper (default) or lower triangle of A, or T^T X = b with
    transpose=True: linalg.solve_triangular with the arguments in another order."""
    _deprecated("triangular_solve", "solve_triangular", "X = fastgrad.triangular_solve(B, A).solution is X = "
                "fastgrad.linalg.solve_triangular(A, B, upper=True)")
    if transpose:
        solution = linalg.solve_triangular(A.mT, b, upper=not upper, unitriangular=unitriangular)
    else:
        solution = linalg.solve_triangular(A, b, upper=upper, unitriangular=unitriangular)
    return TriangularSolveResult(solution, A.clone())


# -- the norms PyTorch keeps for TorchScript, and the functions it has removed -------------------------------
def _norm_deprecated(old: str, replacement: str) -> None:
    warnings.warn(f"fastgrad.{old} is deprecated, as torch.{old} is in PyTorch (kept for TorchScript): use "
                  f"{replacement} instead", UserWarning, stacklevel=3)


def frobenius_norm(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """sqrt(sum x^2) over `dim` (one or two dims; every dim when empty), as linalg.vector_norm(input, 2, dim,
    keepdim); dim is required, as in PyTorch."""
    _norm_deprecated("frobenius_norm", "fastgrad.linalg.vector_norm(A, 2., dim, keepdim)")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) > 2:
        raise RuntimeError(f"frobenius_norm: dim must name at most 2 dims, got {len(dims)}: {dim!r}")
    return linalg.vector_norm(input, 2, dims, keepdim)


def nuclear_norm(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The sum of the singular values of the matrices in `dim` (the last two by default), as PyTorch's two
    overloads: nuclear_norm(input, keepdim=False) and nuclear_norm(input, dim, keepdim=False)."""
    _norm_deprecated("nuclear_norm", "fastgrad.linalg.matrix_norm(A, 'nuc', dim, keepdim)")
    if isinstance(dim, bool):  # nuclear_norm(input, True): the overload without dim
        dim, keepdim = None, dim
    return linalg.matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


def _removed(old: str, guidance: str) -> RuntimeError:
    """The error of a function PyTorch 1.9 deprecated and has since removed (RuntimeError, as PyTorch's), with how
    to write the call with its replacement."""
    return RuntimeError(f"fastgrad.{old} was deprecated in PyTorch 1.9 and is now removed, as torch.{old} is. "
                        f"{guidance}")


def solve(input: Tensor, A: Tensor, *, out=None):
    """Removed, as torch.solve: raises RuntimeError pointing to linalg.solve."""
    raise _removed("solve", "X = fastgrad.solve(B, A).solution should be replaced with X = fastgrad.linalg.solve(A, "
                   "B) (the arguments reversed; for the LU factorization use fastgrad.linalg.lu_factor).")


def lstsq(input: Tensor, A: Tensor, *, out=None):
    """Removed, as torch.lstsq: raises RuntimeError pointing to linalg.lstsq."""
    raise _removed("lstsq", "X = fastgrad.lstsq(B, A).solution[:A.size(1)] should be replaced with X = "
                   "fastgrad.linalg.lstsq(A, B).solution (the arguments reversed; the residuals are its field "
                   "'residuals').")


def symeig(input: Tensor, eigenvectors: bool = False, upper: bool = True, *, out=None):
    """Removed, as torch.symeig: raises RuntimeError pointing to linalg.eigvalsh and linalg.eigh."""
    raise _removed("symeig", "L, _ = fastgrad.symeig(A, upper=upper) should be replaced with L = "
                   "fastgrad.linalg.eigvalsh(A, UPLO='U' if upper else 'L'), and L, V = fastgrad.symeig(A, "
                   "eigenvectors=True) with L, V = fastgrad.linalg.eigh(A, UPLO='U' if upper else 'L') (the default "
                   "triangle is now the lower one).")


def eig(self: Tensor, eigenvectors: bool = False, *, e=None, v=None):
    """Removed, as torch.eig (whose signature this is): raises RuntimeError."""
    raise _removed("eig", "Its replacements, fastgrad.linalg.eigvals and linalg.eig, give complex results, which "
                   "fastgrad does not have; for symmetric matrices use fastgrad.linalg.eigvalsh and linalg.eigh.")


def matrix_rank(input: Tensor, tol=None, symmetric: bool = False, *, out=None):
    """Removed, as torch.matrix_rank: raises RuntimeError pointing to linalg.matrix_rank."""
    raise _removed("matrix_rank", "Use fastgrad.linalg.matrix_rank instead (its argument 'symmetric' is now "
                   "'hermitian').")

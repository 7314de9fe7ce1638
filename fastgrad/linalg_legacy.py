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

"""Triangular solves and the LU factorization with partial pivoting (fastgrad.linalg's solve_triangular,
lu_factor, lu, lu_solve), as ops with their backward formulas.

Both kernels are NumPy loops over the rows (or columns) of the matrices, each step vectorised over the batch
dims and the right-hand sides: O(n) steps of LAPACK's unblocked algorithms (trsv's substitution, getf2's
elimination), so their pivots and roundings are those of the textbook algorithm. The backward formulas are
written once for arrays and for tensors (`_ArrayAlgebra`, `_TensorAlgebra`), so that create_graph=True
differentiates the same expressions the array backward evaluates.
"""
from __future__ import annotations

import operator

import numpy as np

from fastgrad.autograd.graph import Op, apply
from fastgrad.ops.recorded import constant, select
from fastgrad.ops.shape import Cat


def triangle_mask(rows: int, columns: int, upper: bool, strict: bool) -> np.ndarray:
    """Where the (strictly) upper or lower triangle of a rows x columns matrix lies."""
    if upper:
        return ~np.tri(rows, columns, 0 if strict else -1, dtype=bool)
    return np.tri(rows, columns, -1 if strict else 0, dtype=bool)


def substitute(a: np.ndarray, b: np.ndarray, upper: bool, unit: bool) -> np.ndarray:
    """X with T X = B, T the upper or lower triangle of each square matrix of `a` (with ones on the
    diagonal when `unit`; the other triangle is not read), by back or forward substitution. Batch dims
    broadcast. A zero on the diagonal gives inf or NaN, as LAPACK's trsm (no error, as in PyTorch)."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    x = np.array(np.broadcast_to(b, batch + b.shape[-2:]), dtype=np.result_type(a, b))
    n = a.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            solved = slice(i + 1, n) if upper else slice(0, i)
            x[..., i, :] -= (a[..., i, None, solved] @ x[..., solved, :])[..., 0, :]
            if not unit:
                x[..., i, :] /= a[..., i, i, None]
    return x


def lu_factorize(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(LU, pivots, info) of each m x n matrix of `a`, as LAPACK's getrf: LU holds the unit lower-triangular
    L below the diagonal and U on and above it, with A = P L U; pivots (int32, 1-based, min(m, n) per
    matrix) says that row i was swapped with row pivots[i] at step i; info (int32) is the 1-based position
    of the first exactly zero pivot, 0 if there is none (a zero pivot's column is left unscaled)."""
    m, n = a.shape[-2:]
    k = min(m, n)
    lu = a.reshape((-1, m, n) if a.size else (int(np.prod(a.shape[:-2])), m, n)).copy()
    count = len(lu)
    pivots = np.zeros((count, k), dtype=np.int32)
    info = np.zeros(count, dtype=np.int32)
    matrices = np.arange(count)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j in range(k):
            pivot_rows = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
            pivots[:, j] = pivot_rows + 1
            swapped = lu[matrices, pivot_rows].copy()
            lu[matrices, pivot_rows] = lu[:, j]
            lu[:, j] = swapped
            pivot = lu[:, j, j]
            zero = pivot == 0
            info[(info == 0) & zero] = j + 1
            multipliers = np.where(zero[:, None], lu[:, j + 1:, j], lu[:, j + 1:, j] / pivot[:, None])
            lu[:, j + 1:, j] = multipliers
            lu[:, j + 1:, j + 1:] -= multipliers[:, :, None] * lu[:, j, None, j + 1:]
    batch = a.shape[:-2]
    return lu.reshape(a.shape), pivots.reshape(batch + (k,)), info.reshape(batch)


def permutation(pivots: np.ndarray, m: int, dtype) -> np.ndarray:
    """The permutation matrices P (..., m, m) of LAPACK's pivots (..., k), with A = P L U."""
    flat = pivots.reshape(int(np.prod(pivots.shape[:-1])), pivots.shape[-1]) - 1  # (not -1: ambiguous when empty)
    order = np.broadcast_to(np.arange(m), (len(flat), m)).copy()  # row i of P^T A is row order[i] of A
    matrices = np.arange(len(flat))
    for j in range(flat.shape[1]):
        swapped = order[matrices, flat[:, j]].copy()
        order[matrices, flat[:, j]] = order[:, j]
        order[:, j] = swapped
    p_t = np.eye(m, dtype=dtype)[order]
    return np.swapaxes(p_t, -1, -2).reshape(pivots.shape[:-1] + (m, m))


class _ArrayAlgebra:
    """The operations the backward formulas need, on arrays (backend K's matmul)."""

    def __init__(self, K):
        self.matmul = K.matmul

    @staticmethod
    def constant(array):
        return array

    @staticmethod
    def solve(a, b, upper, unit):
        return substitute(a, b, upper, unit)

    @staticmethod
    def masked(x, mask):
        return np.where(mask, x, 0).astype(x.dtype, copy=False)

    @staticmethod
    def cat(a, b, axis):
        return np.concatenate([a, b], axis=axis)


class _TensorAlgebra:
    """The same operations on tensors, recorded (for create_graph=True)."""

    matmul = staticmethod(operator.matmul)
    constant = staticmethod(constant)  # (an array beside a tensor that requires grad would be refused, as PyTorch's)

    @staticmethod
    def solve(a, b, upper, unit):
        return apply(SolveTriangular, a, b, upper=upper, unit=unit)

    @staticmethod
    def masked(x, mask):
        return select(mask, x)

    @staticmethod
    def cat(a, b, axis):
        return apply(Cat, a, b, axis=axis)


class SolveTriangular(Op):
    """X = T^{-1} B, T the upper or lower (unit) triangle of A. From T X = B: gB = T^{-T} g, a solve with the
    transposed triangle, and gA = -gB X^T restricted to T's triangle (strictly, when its diagonal is
    taken as ones), the only entries of A that the result depends on."""

    saves_output = True

    def forward(ctx, K, a, b, upper, unit):
        x = substitute(a, b, upper, unit)
        ctx.saved = (a, x, upper, unit)
        return x

    @staticmethod
    def _gradients(algebra, a, x, g, upper, unit, need_a, need_b):
        g_b = algebra.solve(a.mT, g, not upper, unit)
        n = a.shape[-1]
        g_a = algebra.masked(-algebra.matmul(g_b, x.mT), triangle_mask(n, n, upper, unit)) if need_a else None
        return g_a, (g_b if need_b else None)

    def backward(ctx, K, g):
        a, b = ctx.inputs
        return SolveTriangular._gradients(_ArrayAlgebra(K), *ctx.saved[:2], g, *ctx.saved[2:], a.requires_grad,
                                          b.requires_grad)

    def backward_graph(ctx, g, out):
        a, b = ctx.inputs
        return SolveTriangular._gradients(_TensorAlgebra, a, out, g, *ctx.saved[2:], a._requires_grad,
                                          b._requires_grad)


class LuFactor(Op):
    """The packed LU factor of A = P L U, computed by the caller (`lu_factorize`, which also gives the pivots
    that fix P) and handed in as `lu` with its `pivots`. The backward is PyTorch's formula for L and U
    (square, wide and tall A), with g split into gL (strictly lower part) and gU (upper part) and the
    blocks L = [L1; L2], U = [U1 U2] (L1, U1 square):
        phi = tril(L1^T gL1 - gU2 U2^T, -1) + triu(gU1 U1^T - L2^T gL2)
        gA = P [L1^{-T} [phi U1^{-T}, gU2]; gL2 U1^{-T}]
    (the blocks of L2 and U2 empty when A is square). It is infinite where U1 is singular."""

    saves_inputs, saves_output = False, True  # (the output is the saved factor: changing it in place is refused)

    def forward(ctx, K, a, lu, pivots):
        ctx.saved = (lu, pivots)
        return lu

    @staticmethod
    def _gradient(algebra, lu, p, g):
        m, n = lu.shape[-2:]
        k = min(m, n)
        strictly_lower, upper = triangle_mask(m, k, False, True), triangle_mask(k, n, True, False)
        l_factor = algebra.masked(lu[..., :, :k], strictly_lower) + algebra.constant(np.eye(m, k, dtype=g.dtype))
        u_factor = algebra.masked(lu[..., :k, :], upper)
        g_l, g_u = algebra.masked(g[..., :, :k], strictly_lower), algebra.masked(g[..., :k, :], upper)
        mm, square = algebra.matmul, lu[..., :k, :k]
        below = mm(l_factor[..., :k, :].mT, g_l[..., :k, :]) - mm(g_u[..., :, k:], u_factor[..., :, k:].mT)
        above = mm(g_u[..., :, :k], u_factor[..., :, :k].mT) - mm(l_factor[..., k:, :].mT, g_l[..., k:, :])
        phi = algebra.masked(below, triangle_mask(k, k, False, True)) + algebra.masked(above, upper[:, :k])
        # [phi; gL2] U1^{-T}, then L1^{-T} [its top, gU2] (U1 and L1 read from the triangles of the square block)
        right = algebra.solve(square, algebra.cat(phi, g_l[..., k:, :], -2).mT, True, False).mT
        top = algebra.solve(square.mT, algebra.cat(right[..., :k, :], g_u[..., :, k:], -1), True, True)
        return mm(p, algebra.cat(top, right[..., k:, :], -2) if m > n else top)

    def backward(ctx, K, g):
        lu, pivots = ctx.saved
        return (LuFactor._gradient(_ArrayAlgebra(K), lu, permutation(pivots, lu.shape[-2], lu.dtype), g),)

    def backward_graph(ctx, g, out):
        lu, pivots = ctx.saved
        return (LuFactor._gradient(_TensorAlgebra, out, constant(permutation(pivots, lu.shape[-2], lu.dtype)), g),)

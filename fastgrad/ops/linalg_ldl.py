"""The LDL^T factorization of real symmetric matrices with Bunch-Kaufman pivoting, and the solve with it
(fastgrad.linalg's ldl_factor, ldl_factor_ex and ldl_solve): NumPy loops over the columns of each matrix, one
step of LAPACK's unblocked algorithms (sytf2 and sytrs, lower triangle) per 1x1 or 2x2 pivot, so the factor and
its pivots are in LAPACK's format. PyTorch has no derivative for either, and neither does fastgrad.

The format: A = P L D L^T P^T. LD holds D on its diagonal (and, for a 2x2 block, on the subdiagonal entry of
the block) and the multipliers of L below it, zeros above. pivots (int32, 1-based, one per row): a positive
p at row k means a 1x1 block, rows k and p swapped at step k; a negative pair -p, -p at rows k and k + 1 a 2x2
block, rows k + 1 and p swapped.
"""
from __future__ import annotations

import numpy as np

# Bunch and Kaufman's threshold, (1 + sqrt(17)) / 8, which bounds the growth of the entries
ALPHA = (1 + np.sqrt(17.0)) / 8


def ldl_factorize(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(LD, pivots, info) of each n x n matrix of `a`, read from its lower triangle, as LAPACK's sytrf with
    uplo 'L': info (int32) is the 1-based index of the first exactly zero (or NaN) 1x1 pivot, 0 if none."""
    n = a.shape[-1]
    matrices = a.reshape(int(np.prod(a.shape[:-2])), n, n)  # (not -1: ambiguous when empty)
    factors = np.zeros_like(matrices)
    pivots = np.zeros(matrices.shape[:1] + (n,), dtype=np.int32)
    info = np.zeros(len(matrices), dtype=np.int32)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for index, matrix in enumerate(matrices):
            factors[index], pivots[index], info[index] = _factorize(matrix)
    batch = a.shape[:-2]
    return factors.reshape(a.shape), pivots.reshape(batch + (n,)), info.reshape(batch)


def _factorize(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    n = matrix.shape[0]
    lower = np.tril(matrix)
    a = lower + np.tril(lower, -1).T  # the symmetric matrix, so that a swap is one of rows and one of columns
    pivots = np.zeros(n, dtype=np.int32)
    info, k = 0, 0
    while k < n:
        step, absakk = 1, abs(a[k, k])
        imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k]))) if k + 1 < n else k
        colmax = abs(a[imax, k]) if k + 1 < n else 0.0
        if max(absakk, colmax) == 0 or np.isnan(absakk):  # a zero (or NaN) column: D singular, as LAPACK's info
            info = info or k + 1
            pivots[k] = k + 1
            k += 1
            continue
        if absakk >= ALPHA * colmax:
            kp = k
        else:
            # the largest off-diagonal entry in row (and column) imax
            rowmax = max(np.abs(a[imax, k:imax]).max(), np.abs(a[imax + 1:, imax]).max(initial=0.0))
            if absakk >= ALPHA * colmax * (colmax / rowmax):
                kp = k
            elif abs(a[imax, imax]) >= ALPHA * rowmax:
                kp = imax
            else:
                kp, step = imax, 2
        kk = k + step - 1
        if kp != kk:  # swap rows and columns kk and kp of the trailing matrix
            a[[kk, kp], k:] = a[[kp, kk], k:]
            a[k:, [kk, kp]] = a[k:, [kp, kk]]
        if step == 1:
            d11 = 1 / a[k, k]
            x = a[k + 1:, k].copy()
            a[k + 1:, k + 1:] += x[:, None] * (-d11 * x)[None, :]
            a[k + 1:, k] = x * d11
            a[k, k + 1:] = a[k + 1:, k]
            pivots[k] = kp + 1
        else:
            if k < n - 2:
                d21 = a[k + 1, k]
                d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
                d21 = 1 / (d11 * d22 - 1) / d21
                x, y = a[k + 2:, k].copy(), a[k + 2:, k + 1].copy()
                wk, wkp1 = d21 * (d11 * x - y), d21 * (d22 * y - x)
                a[k + 2:, k + 2:] = a[k + 2:, k + 2:] - x[:, None] * wk[None, :] - y[:, None] * wkp1[None, :]
                a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1
                a[k, k + 2:], a[k + 1, k + 2:] = wk, wkp1
            pivots[k] = pivots[k + 1] = -(kp + 1)
        k += step
    return np.tril(a), pivots, info


def check_pivots(pivots: np.ndarray, n: int) -> str | None:
    """Why `pivots` (..., n) is not in ldl_factorize's format, or None if it is."""
    flat = pivots.reshape(int(np.prod(pivots.shape[:-1])), n)
    if flat.size and ((flat == 0) | (np.abs(flat) > n)).any():
        return f"each pivot must be in [1, {n}] or [-{n}, -1], got values from {flat.min()} to {flat.max()}"
    for row in flat:
        k = 0
        while k < n:
            if row[k] > 0:
                k += 1
            elif k + 1 < n and row[k + 1] == row[k]:
                k += 2
            else:
                return f"a negative pivot must come in a pair of equal ones (a 2x2 block), got {row.tolist()}"
    return None


def ldl_solved(factors: np.ndarray, pivots: np.ndarray, b: np.ndarray) -> np.ndarray:
    """X with A X = B for each (LD, pivots) of A from ldl_factorize and matrix of B (batch dims broadcast)."""
    n = factors.shape[-1]
    batch = np.broadcast_shapes(factors.shape[:-2], pivots.shape[:-1], b.shape[:-2])
    count = int(np.prod(batch))
    factors = np.broadcast_to(factors, batch + (n, n)).reshape(count, n, n)
    pivots = np.broadcast_to(pivots, batch + (n,)).reshape(count, n)
    x = np.broadcast_to(b, batch + b.shape[-2:]).reshape((count,) + b.shape[-2:]).copy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for index in range(len(x)):
            _solve(factors[index], pivots[index].astype(np.int64) - np.sign(pivots[index]), x[index])
    return x.reshape(batch + b.shape[-2:])


def _solve(a: np.ndarray, pivots: np.ndarray, b: np.ndarray) -> None:
    """Overwrite b with A^-1 b (pivots 0-based here: -p - 1 stored as -p), as LAPACK's sytrs with uplo 'L'."""
    n = a.shape[0]
    k = 0
    while k < n:  # L D y = P^T b
        if pivots[k] >= 0:
            kp = pivots[k]
            b[[k, kp]] = b[[kp, k]]
            b[k + 1:] += a[k + 1:, k, None] * -b[k]
            b[k] *= 1 / a[k, k]
            k += 1
        else:
            kp = -pivots[k]
            b[[k + 1, kp]] = b[[kp, k + 1]]
            b[k + 2:] += a[k + 2:, k, None] * -b[k]
            b[k + 2:] += a[k + 2:, k + 1, None] * -b[k + 1]
            akm1k = a[k + 1, k]
            akm1, ak = a[k, k] / akm1k, a[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1
            bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
            b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T P^T x = y
        if pivots[k] >= 0:
            b[k] -= a[k + 1:, k] @ b[k + 1:]
            kp = pivots[k]
            b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            b[k] -= a[k + 1:, k] @ b[k + 1:]
            b[k - 1] -= a[k + 1:, k - 1] @ b[k + 1:]
            kp = -pivots[k]
            b[[k, kp]] = b[[kp, k]]
            k -= 2

"""Matrix products: matmul (batched, broadcasting), the linear layer and einsum."""
from __future__ import annotations

import math
import string
from collections import Counter
from typing import Sequence

import numpy as np

from fastgrad.autograd.graph import Op, apply, broadcast_axes
from fastgrad.ops.linalg_lu import SolveTriangular, lu_factorize, substitute
from fastgrad.ops.recorded import constant, select
from fastgrad.ops.shape import Cat


class Matmul(Op):
    """a @ b with NumPy's rules: 1-D operands are promoted then squeezed; batch dims broadcast."""

    def forward(ctx, K, a, b):
        # d/da reads only b and d/db only a: an input whose partner needs no gradient may change in place afterwards,
        # as PyTorch's mm saves each input only for the other's gradient (the one computed from it is not used)
        if not ctx.inputs[1]._requires_grad:
            ctx.mark_unsaved(0)
        if not ctx.inputs[0]._requires_grad:
            ctx.mark_unsaved(1)
        ctx.saved = (a, b)
        return K.matmul(a, b)

    def backward(ctx, K, g):
        a, b = ctx.saved
        if a.ndim == 1 and b.ndim == 1:  # a dot product: g is a 0-d array
            return K.multiply(g, b), K.multiply(g, a)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        g_a = K.matmul(g2, np.swapaxes(b2, -1, -2))  # dL/da = g b^T
        g_b = K.matmul(np.swapaxes(a2, -1, -2), g2)  # dL/db = a^T g
        if a.ndim == 1:
            g_a = g_a.reshape(g_a.shape[:-2] + (a.shape[0],))
        if b.ndim == 1:
            g_b = g_b.reshape(g_b.shape[:-2] + (b.shape[0],))
        return g_a, g_b

    def backward_graph(ctx, g, out):
        a, b = ctx.inputs
        if a.ndim == 1 and b.ndim == 1:
            return g * b, g * a
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(1) if b.ndim == 1 else b
        g2 = g.unsqueeze(-2) if a.ndim == 1 else g
        g2 = g2.unsqueeze(-1) if b.ndim == 1 else g2
        g_a = g2 @ b2.transpose(-1, -2) if a._requires_grad else None  # broadcast batch dims: summed by the walk
        g_b = a2.transpose(-1, -2) @ g2 if b._requires_grad else None
        if g_a is not None and a.ndim == 1:
            g_a = g_a.squeeze(-2)
        if g_b is not None and b.ndim == 1:
            g_b = g_b.squeeze(-1)
        return g_a, g_b


class Linear(Op):
    """y = x W^T + b over the last dim of x. One upstream delta gives dx = g W, dW = g^T x and db = sum g
    (the lecture's point that delta is computed once and reused for W and b)."""

    def forward(ctx, K, x, weight, bias=None):
        x2 = x.reshape(math.prod(x.shape[:-1]), x.shape[-1])  # (not -1: ambiguous with 0 features)
        ctx.saved = (x2, weight, x.shape)
        return K.linear(x2, weight, bias).reshape(x.shape[:-1] + (weight.shape[0],))

    def backward(ctx, K, g):
        x2, weight, x_shape = ctx.saved
        inputs = ctx.inputs
        need_bias = len(inputs) > 2 and inputs[2]._requires_grad
        g_rows = g.reshape(x2.shape[0], weight.shape[0])  # (not -1: ambiguous with 0 output features)
        g_x, g_w, g_b = K.linear_backward(x2, weight, np.ascontiguousarray(g_rows), inputs[0]._requires_grad,
                                          inputs[1]._requires_grad, need_bias)
        return (None if g_x is None else g_x.reshape(x_shape)), g_w, g_b

    def backward_graph(ctx, g, out):
        x, weight = ctx.inputs[:2]
        g_rows = g.reshape(-1, weight.shape[0])
        g_x = (g @ weight) if x._requires_grad else None
        g_w = g_rows.transpose(0, 1) @ x.reshape(-1, x.shape[-1]) if weight._requires_grad else None
        g_b = g_rows.sum(0) if len(ctx.inputs) > 2 and ctx.inputs[2]._requires_grad else None
        return g_x, g_w, g_b


class Einsum(Op):
    """einsum over explicit subscripts, one string per operand and one for the output, each without
    repeated letters (the caller parses the equation, expands broadcast dims and rejects diagonals).

    The gradient of an operand is the einsum of the upstream gradient with the other operands, to the
    operand's own subscripts; a subscript that only this operand had was summed out of the output, so
    every element along it gets the same gradient (a broadcast)."""

    returns_view = True  # NumPy returns a view for a pure transpose like "ij->ji"

    def forward(ctx, K, *operands, subscripts, output):
        ctx.saved = (operands, subscripts, output)
        return K.einsum(",".join(subscripts) + "->" + output, *operands)

    def backward(ctx, K, g):
        operands, subscripts, output = ctx.saved
        grads = []
        for i, operand in enumerate(operands):
            if not ctx.inputs[i].requires_grad:
                grads.append(None)
                continue
            others, terms, kept, spread = _einsum_gradient_plan(subscripts, output, i)
            partial = K.einsum(",".join(terms) + "->" + kept, g, *(operands[j] for j in others))
            if spread:
                partial = np.expand_dims(partial, spread)
                grad = np.empty(operand.shape, dtype=partial.dtype)
                grad[...] = partial
                partial = grad
            grads.append(partial)
        return tuple(grads)

    def backward_graph(ctx, g, out):
        _, subscripts, output = ctx.saved
        grads = []
        for i, operand in enumerate(ctx.inputs):
            if not operand._requires_grad:
                grads.append(None)
                continue
            others, terms, kept, spread = _einsum_gradient_plan(subscripts, output, i)
            partial = apply(Einsum, g, *(ctx.inputs[j] for j in others), subscripts=terms, output=kept)
            if spread:
                partial = partial.reshape(np.expand_dims(partial._data, spread).shape).expand(*operand.shape)
            grads.append(partial)
        return tuple(grads)


def _einsum_gradient_plan(subscripts: Sequence[str], output: str, i: int) -> tuple:
    """How Einsum's backward forms operand i's gradient: (the other operands' positions, the subscripts of
    the einsum that computes it, g's and then the others', its output subscripts: operand i's that the
    output or another operand has, and the axes of operand i that only it had, along which the gradient
    is the same everywhere (a broadcast))."""
    others = [j for j in range(len(subscripts)) if j != i]
    reachable = set(output).union(*(subscripts[j] for j in others))
    own = subscripts[i]
    kept = "".join(c for c in own if c in reachable)
    spread = tuple(k for k, c in enumerate(own) if c not in reachable)
    return others, [output] + [subscripts[j] for j in others], kept, spread


def parse_einsum_equation(equation: str, ndims: Sequence[int]) -> tuple[list[str], str]:
    """An einsum equation as explicit subscripts for the Einsum op: one string per operand and one for
    the output. '...' becomes letters the equation does not use (right-aligned, so operands with fewer
    broadcast dims get the last ones); without '->' the output is the broadcast dims, then the letters
    that occur once, in alphabetical order (uppercase first), as in NumPy and PyTorch."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise RuntimeError(f"einsum: the equation {equation!r} has subscripts for {len(terms)} operand(s), got "
                           f"{len(ndims)} tensor(s)")
    for term in terms + ([rhs] if arrow else []):
        invalid = [c for c in term.replace("...", "", 1) if c not in string.ascii_letters]
        if invalid:
            raise RuntimeError(f"einsum: invalid subscript {invalid[0]!r} in {term!r} of {equation!r}; subscripts are "
                               "letters a-z, A-Z and at most one '...' per operand")
    unused = [c for c in string.ascii_letters if c not in equation]
    broadcast_dims = max([ndim - len(term.replace("...", "")) for term, ndim in zip(terms, ndims) if "..." in term],
                         default=0)
    ellipsis = "".join(unused[:broadcast_dims])
    subscripts = []
    for i, (term, ndim) in enumerate(zip(terms, ndims)):
        letters = term.replace("...", "")
        if len(letters) > ndim or ("..." not in term and len(letters) != ndim):
            raise RuntimeError(f"einsum: operand {i} has {ndim} dims but {len(letters)} subscripts ({term!r})"
                               + (" and no '...'" if "..." not in term else ""))
        subscripts.append(term.replace("...", ellipsis[len(ellipsis) - (ndim - len(letters)):]))
    if arrow:
        output = rhs.replace("...", ellipsis)
    else:
        counts = Counter("".join(subscripts))
        output = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ellipsis))
    if len(set(output)) != len(output):
        raise RuntimeError(f"einsum: an output subscript appears more than once in {equation!r}")
    missing = [c for c in output if c not in "".join(subscripts)]
    if missing:
        raise RuntimeError(f"einsum: output subscript {missing[0]!r} of {equation!r} is in no operand's subscripts")
    return subscripts, output


# -- inverses, determinants and factorizations (fastgrad.linalg) -------------------------------------------
# The factorizations are LAPACK's, through numpy.linalg, on every backend; the products in the backward
# formulas use the backend's matmul kernel. Leading dims are batch dims: every formula is per matrix.
# An op with several results (slogdet, eigh, svd, qr) returns them packed side by side in one array, as
# the LSTM op returns h and c (see `pack` and `unpack`).


class LinAlgError(RuntimeError):
    """A matrix is singular (inv, solve) or not positive-definite (cholesky), or a factorization failed
    to converge, as torch.linalg.LinAlgError."""


def pack(*arrays: np.ndarray, batch: tuple) -> np.ndarray:
    """Several results of one factorization as one array of shape batch + (total,): each result
    flattened per matrix and laid after the previous one."""
    return np.concatenate([a.reshape(batch + (int(np.prod(a.shape[len(batch):])),)) for a in arrays], axis=-1)


def unpack(packed, shapes: Sequence[tuple]) -> list:
    """The results `pack` laid side by side, each of its per-matrix shape; views of `packed`, an array
    or a Tensor (the user's results are views of the op's packed output, so gradients flow through)."""
    batch, start, parts = tuple(packed.shape[:-1]), 0, []
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(packed[..., start:start + size].reshape(batch + tuple(shape)))
        start += size
    return parts


def _mT(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def _flat(a: np.ndarray) -> np.ndarray:
    """The matrices of `a` in one batch dim (a reshape with -1 would be ambiguous for empty ones)."""
    return a.reshape((int(np.prod(a.shape[:-2])),) + a.shape[-2:])


def _set_diagonal(a: np.ndarray, values) -> None:
    index = np.arange(a.shape[-1])
    a[..., index, index] = values


def _without_nan(a: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """`a` with every matrix that holds a NaN replaced by the identity, and the mask of those matrices
    (None if there are none). LAPACK, through numpy, calls such a matrix singular (inv, solve) or gives
    it the determinant 0, where PyTorch's results are NaN: the ops compute on the stand-ins and put NaN
    in their place (`_nan_where`)."""
    has_nan = np.isnan(a).any(axis=(-2, -1))
    if not has_nan.any():
        return a, None
    return np.where(has_nan[..., None, None], np.eye(a.shape[-1], dtype=a.dtype), a), has_nan


def _nan_where(has_nan: np.ndarray | None, result: np.ndarray, matrix_result: bool = True) -> np.ndarray:
    if has_nan is None:
        return result
    return np.where(has_nan[..., None, None] if matrix_result else has_nan, np.nan, result)


def zero_pivots(a: np.ndarray) -> np.ndarray:
    """For each square matrix of `a`, LAPACK getrf's `info`: the 1-based position of the first zero
    pivot of its LU factorization with partial pivoting, 0 when there is none (it is invertible)."""
    n = a.shape[-1]
    matrices = _flat(a)
    info = np.zeros(len(matrices), dtype=np.int32)
    if n:
        with np.errstate(divide="ignore", invalid="ignore"):
            _, logabsdet = np.linalg.slogdet(matrices)  # -inf exactly when LAPACK met a zero pivot
        singular = np.isneginf(logabsdet)
        if singular.any():
            # LAPACK's blocked order of operations may round a pivot to zero that the unblocked factorization
            # does not: the matrix is singular all the same, and the last position says so
            found = lu_factorize(matrices[singular])[2]
            info[singular] = np.where(found == 0, n, found)
    return info.reshape(a.shape[:-2])


def singular_matrix_error(name: str, a: np.ndarray, inverting: bool = True) -> LinAlgError:
    """PyTorch's error for the first singular matrix of `a` (square matrices, batch dims first): an
    inversion names the zero pivot, a solve does not."""
    info = zero_pivots(a).reshape(-1)
    index = int(np.flatnonzero(info)[0]) if info.any() else 0
    batch = f"(Batch element {index}): " if a.ndim > 2 else ""
    if not inverting:
        return LinAlgError(f"{name}: {batch}The solver failed because the input matrix is singular.")
    return LinAlgError(f"{name}: {batch}The diagonal element {info[index] or a.shape[-1]} is zero, the inversion could "
                       "not be completed because the input matrix is singular.")


def _inverse(a: np.ndarray, name: str) -> np.ndarray:
    """A^{-1} of each matrix; a singular one raises LinAlgError naming it, one with a NaN gives NaN."""
    clean, has_nan = _without_nan(a)
    try:
        return _nan_where(has_nan, np.linalg.inv(clean))
    except np.linalg.LinAlgError:
        raise singular_matrix_error(name, clean) from None


def _inverse_or_nan(a: np.ndarray) -> np.ndarray:
    """A^{-1}, NaN for singular matrices (for gradients that are infinite there) and for matrices holding a
    NaN (LAPACK's inverse of those keeps finite entries, which gradients would pass on as numbers)."""
    clean, has_nan = _without_nan(a)
    try:
        return _nan_where(has_nan, np.linalg.inv(clean))
    except np.linalg.LinAlgError:
        flat = _flat(clean)
        singular = zero_pivots(flat) != 0
        out = np.full(flat.shape, np.nan, dtype=a.dtype)
        out[~singular] = np.linalg.inv(flat[~singular])
        return _nan_where(has_nan, out.reshape(a.shape))


class FailedAsNan(Op):
    """The results of a batched factorization or solve (`result`, computed with stand-ins in place of the
    matrices of `a` that `usable`, of a's batch shape, marks unusable) with NaN for those matrices, as the
    `_ex` functions return them. The gradient of a NaN result is NaN: a marked matrix of `a` gets NaN
    wherever the loss depends on its result (a nonzero upstream gradient there), and zero where the loss
    ignores it (e.g. after selecting by `info == 0`); selecting the stand-ins' results hid it as a zero.
    `core_dims`: 2 for matrix results, 1 for vectors."""

    saves_inputs = False

    def forward(ctx, K, a, result, usable, core_dims):
        mask = usable.reshape(usable.shape + (1,) * core_dims)
        ctx.saved = (usable, core_dims, mask, a.shape, a.dtype)
        return np.where(mask, result, np.nan).astype(result.dtype, copy=False)

    def backward(ctx, K, g):
        usable, core_dims, mask, a_shape, a_dtype = ctx.saved
        return _nan_where_reached(usable, core_dims, g, a_shape, a_dtype), np.where(mask, g, 0).astype(g.dtype, copy=False)

    def backward_graph(ctx, g, out):
        usable, core_dims, mask, a_shape, a_dtype = ctx.saved
        return constant(_nan_where_reached(usable, core_dims, g._data, a_shape, a_dtype)), select(mask, g)


def _nan_where_reached(usable: np.ndarray, core_dims: int, g: np.ndarray, a_shape: tuple, a_dtype) -> np.ndarray:
    """FailedAsNan's gradient for `a`: NaN in each unusable matrix whose result the upstream gradient `g`
    reaches, zero elsewhere."""
    reached = ((g != 0) | np.isnan(g)).any(axis=tuple(range(g.ndim - core_dims, g.ndim)))
    # (the result's batch dims are a's broadcast with the other operand's: a matrix reached in any of them)
    reached = reached.any(axis=broadcast_axes(reached.shape, usable.shape), keepdims=True)
    grad = np.zeros(a_shape, dtype=a_dtype)
    grad[~usable & reached.reshape(usable.shape)] = np.nan
    return grad


class Inv(Op):
    """A^{-1}. d(A^{-1}) = -A^{-1} dA A^{-1}, so gA = -A^{-T} g A^{-T}, from the saved output. With
    `singular_as_nan` (for recorded backwards whose array form gives NaN there) a singular matrix's
    inverse is NaN instead of an error."""

    saves_inputs, saves_output = False, True

    def forward(ctx, K, a, name, singular_as_nan=False):
        ctx.saved = _inverse_or_nan(a) if singular_as_nan else _inverse(a, name)
        return ctx.saved

    def backward(ctx, K, g):
        inverse_t = _mT(ctx.saved)
        return (-K.matmul(K.matmul(inverse_t, g), inverse_t),)

    def backward_graph(ctx, g, out):
        inverse_t = out.mT
        return (-((inverse_t @ g) @ inverse_t),)


# Padé approximant of degree 13 with scaling and squaring (Higham, "The scaling and squaring method for
# the matrix exponential revisited", 2005): its coefficients b_0..b_13 and the largest 1-norm, theta_13,
# for which it is accurate to double precision without scaling.
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
           10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm(a: np.ndarray) -> np.ndarray:
    """exp of each square matrix of a (..., n, n), computed in float64."""
    flat = a.astype(np.float64).reshape(int(np.prod(a.shape[:-2])), *a.shape[-2:])  # (not -1: ambiguous when empty)
    result = np.empty_like(flat)
    identity = np.eye(a.shape[-1])
    b = _PADE13
    for index, matrix in enumerate(flat):
        norm = np.abs(matrix).sum(axis=0).max(initial=0.0)
        squarings = max(0, int(np.ceil(np.log2(norm / _THETA13)))) if np.isfinite(norm) and norm > 0 else 0
        m = matrix / 2.0 ** squarings
        m2 = m @ m
        m4 = m2 @ m2
        m6 = m4 @ m2
        u = m @ (m6 @ (b[13] * m6 + b[11] * m4 + b[9] * m2) + b[7] * m6 + b[5] * m4 + b[3] * m2 + b[1] * identity)
        v = m6 @ (b[12] * m6 + b[10] * m4 + b[8] * m2) + b[6] * m6 + b[4] * m4 + b[2] * m2 + b[0] * identity
        exp = np.linalg.solve(v - u, v + u) if np.isfinite(norm) else np.full_like(m, np.nan)
        for _ in range(squarings):
            exp = exp @ exp
        result[index] = exp
    return result.reshape(a.shape).astype(a.dtype, copy=False)


class MatrixExp(Op):
    """exp(A) = sum A^k / k!. Its vector-Jacobian product is the upper-right block of the exponential of
    [[A^T, g], [0, A^T]] (Najfeld & Havel, 1995; the derivative of exp along g, transposed)."""

    def forward(ctx, K, a):
        ctx.saved = a
        return _expm(a)

    def backward(ctx, K, g):
        a_t = _mT(ctx.saved)
        n = a_t.shape[-1]
        block = np.zeros(np.broadcast_shapes(a_t.shape, g.shape)[:-2] + (2 * n, 2 * n), dtype=g.dtype)
        block[..., :n, :n] = a_t
        block[..., n:, n:] = a_t
        block[..., :n, n:] = g
        return (_expm(block)[..., :n, n:],)

    def backward_graph(ctx, g, out):
        a_t = ctx.inputs[0].mT
        n = a_t.shape[-1]
        zeros = constant(np.zeros(a_t.shape, dtype=a_t._data.dtype))
        block = apply(Cat, apply(Cat, a_t, g, axis=-1), apply(Cat, zeros, a_t, axis=-1), axis=-2)
        return (apply(MatrixExp, block)[..., :n, n:],)


class Solve(Op):
    """X = A^{-1} B for matrices B (batch dims broadcast). From A X = B: gB = A^{-T} g and gA = -gB X^T."""

    saves_output = True

    def forward(ctx, K, a, b, name):
        clean, has_nan = _without_nan(a)
        try:
            x = _nan_where(has_nan, np.linalg.solve(clean, b))
        except np.linalg.LinAlgError:
            raise singular_matrix_error(name, np.broadcast_to(clean, np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
                                                              + a.shape[-2:]), inverting=False) from None
        ctx.saved = (a, x, name)
        return x

    def backward(ctx, K, g):
        a, x, _ = ctx.saved
        g_b = np.linalg.solve(_mT(a), g)
        return (-K.matmul(g_b, _mT(x)) if ctx.inputs[0].requires_grad else None), g_b

    def backward_graph(ctx, g, out):
        a, b = ctx.inputs
        g_b = apply(Solve, a.mT, g, name=ctx.saved[2])
        return (-(g_b @ out.mT) if a._requires_grad else None), (g_b if b._requires_grad else None)


def cofactors(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix adj(A)^T, the derivative of det A, from the SVD A = U S Vh:
    det(U) det(Vh) U diag(the product of the singular values other than s_i) Vh. It holds for every
    matrix and stays accurate near singular ones, where det(A) A^{-T} (PyTorch's formula away from
    them) loses its digits; at an exactly singular matrix PyTorch 2.13 returns 0, though the cofactors
    need not be 0."""
    u, s, vh = np.linalg.svd(a)
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)  # s_0 ... s_{i-1}
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], -1), -1)[..., ::-1]  # s_{i+1} ... s_{n-1}
    signs = np.linalg.det(u) * np.linalg.det(vh)
    return signs[..., None, None] * np.matmul(u * (before * after)[..., None, :], vh)


class Det(Op):
    """det A, by LU. d det A = tr(adj(A) dA), so gA = g adj(A)^T, the cofactor matrix (`cofactors`)."""

    def forward(ctx, K, a):
        clean, has_nan = _without_nan(a)
        ctx.saved = a
        return _nan_where(has_nan, np.linalg.det(clean), matrix_result=False)

    def backward(ctx, K, g):
        clean, has_nan = _without_nan(ctx.saved)  # (the SVD does not converge on a NaN: PyTorch's is NaN)
        return (g[..., None, None] * _nan_where(has_nan, cofactors(clean)),)

    def backward_graph(ctx, g, out):
        # the cofactors as det(A) A^{-T}, which has a derivative on tensors but needs invertible matrices
        a = ctx.inputs[0]
        if zero_pivots(a._data).any():
            raise NotImplementedError("create_graph=True: the recorded backward of linalg.det (det(A) A^-T) needs "
                                      "invertible matrices; the gradient at a singular one cannot be differentiated "
                                      "again")
        return ((g * out)[..., None, None] * apply(Inv, a, name="linalg.det").mT,)


class Slogdet(Op):
    """(sign det A, log |det A|), packed in a last dim of 2 ((0, NaN) for a matrix holding a NaN, as
    PyTorch's). The sign is piecewise constant (no gradient); d log|det A| = tr(A^{-1} dA), so
    gA = g A^{-T}, NaN at a singular matrix, where it is infinite."""

    def forward(ctx, K, a):
        clean, has_nan = _without_nan(a)
        with np.errstate(divide="ignore"):
            sign, logabsdet = np.linalg.slogdet(clean)
        ctx.saved = a
        if has_nan is not None:  # PyTorch's sign of a NaN determinant is 0
            sign, logabsdet = np.where(has_nan, 0, sign), np.where(has_nan, np.nan, logabsdet)
        return pack(sign.astype(a.dtype), logabsdet.astype(a.dtype), batch=a.shape[:-2])

    def backward(ctx, K, g):
        return (g[..., 1, None, None] * _mT(_inverse_or_nan(ctx.saved)),)

    def backward_graph(ctx, g, out):
        return (g[..., 1, None, None] * apply(Inv, ctx.inputs[0], name="linalg.slogdet", singular_as_nan=True).mT,)


def failed_minors(a: np.ndarray) -> np.ndarray:
    """For each square matrix of `a`, LAPACK potrf's `info`: the order of its first leading minor that is not
    positive-definite (int32), 0 when the matrix is positive-definite (a NaN fails it)."""
    matrices = _flat(a)
    orders = np.zeros(len(matrices), dtype=np.int32)
    try:
        whole = np.linalg.cholesky(matrices)
    except np.linalg.LinAlgError:
        whole = None
    for index, matrix in enumerate(matrices):
        if whole is not None and not np.isnan(whole[index]).any():
            continue
        for order in range(1, matrix.shape[-1] + 1):
            try:
                factor = np.linalg.cholesky(matrix[:order, :order])
            except np.linalg.LinAlgError:
                factor = None
            if factor is None or np.isnan(factor).any():
                orders[index] = order
                break
    return orders.reshape(a.shape[:-2])


def not_positive_definite_error(name: str, a: np.ndarray, orders: np.ndarray | None = None) -> LinAlgError:
    """PyTorch's error for the first matrix of `a` that has no Cholesky factor, naming its first leading
    minor that is not positive-definite (`orders`, failed_minors(a), if already known)."""
    orders = (failed_minors(a) if orders is None else orders).reshape(-1)
    index = int(np.flatnonzero(orders)[0]) if orders.any() else 0
    batch = f"(Batch element {index}): " if a.ndim > 2 else ""
    return LinAlgError(f"{name}: {batch}The factorization could not be completed because the input is not "
                       f"positive-definite (the leading minor of order {orders[index]} is not positive-definite).")


class Cholesky(Op):
    """The lower-triangular L with L L^T = A, from A's lower triangle. Gradient (PyTorch's; Murray 2016,
    arXiv:1602.07527): P = tril(L^T g) with its diagonal halved and mirrored to a symmetric matrix,
    gA = L^{-T} P L^{-1}: symmetric, as if A were perturbed symmetrically (only one triangle is read)."""

    saves_inputs, saves_output = False, True

    def forward(ctx, K, a, name):
        try:
            factor = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            factor = None
        if factor is None or np.isnan(factor).any():  # numpy gives NaN for a NaN input; PyTorch raises
            raise not_positive_definite_error(name, a)
        ctx.saved = factor
        return factor

    def backward(ctx, K, g):
        factor = ctx.saved
        product = np.tril(K.matmul(_mT(factor), g))
        product = (product + _mT(np.tril(product, -1))) / 2
        left = np.linalg.solve(_mT(factor), product)  # L^{-T} P
        return (_mT(np.linalg.solve(_mT(factor), _mT(left))),)  # (L^{-T} P) L^{-1}

    def backward_graph(ctx, g, out):
        n = out.shape[-1]
        lower, strictly_lower = np.tri(n, dtype=bool), np.tri(n, k=-1, dtype=bool)
        product = select(lower, out.mT @ g)  # (selected, as np.tril: a NaN above the diagonal stays out)
        product = (product + select(strictly_lower, product).mT) / 2
        left = apply(Solve, out.mT, product, name="linalg.cholesky")
        return (apply(Solve, out.mT, left.mT, name="linalg.cholesky").mT,)


def _converged(name: str, factorize, a: np.ndarray):
    try:
        return factorize(a)
    except np.linalg.LinAlgError:
        cause = " because the input matrix contained non-finite values" if not np.isfinite(a).all() else ""
        raise LinAlgError(f"{name}: The algorithm failed to converge{cause}.") from None


class Eigh(Op):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices, read from the lower
    (or upper) triangle, packed: the (n,) values, then the (n, n) vectors. Gradient (PyTorch's):
    gA = Q (diag(gL) + sym(Q^T gQ) / E) Q^T, sym(X) = (X - X^T) / 2, E_ij = L_j - L_i: symmetric, as if A
    were perturbed symmetrically. It needs distinct eigenvalues: with a repeated one E has a zero and the
    gradient through the eigenvectors is inf or NaN, as in PyTorch; the eigenvalues alone (the
    eigenvectors unused: their gradient is all zero) always have one."""

    saves_inputs, saves_output = False, True

    @staticmethod
    def shapes(n: int) -> list[tuple]:
        return [(n,), (n, n)]

    def forward(ctx, K, a, upper):
        values, vectors = _converged("linalg.eigh", lambda m: np.linalg.eigh(m, UPLO="U" if upper else "L"), a)
        out = pack(values, vectors, batch=a.shape[:-2])
        ctx.saved = (out, Eigh.shapes(a.shape[-1]))
        return out

    def backward(ctx, K, g):
        out, shapes = ctx.saved
        values, vectors = unpack(out, shapes)
        g_values, g_vectors = unpack(g, shapes)
        inner = np.zeros(vectors.shape, dtype=vectors.dtype)
        if g_vectors.any():
            projected = K.matmul(_mT(vectors), g_vectors)
            gaps = values[..., None, :] - values[..., :, None]
            _set_diagonal(gaps, 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                inner = (projected - _mT(projected)) / 2 / gaps
        _set_diagonal(inner, g_values)
        return (K.matmul(K.matmul(vectors, inner), _mT(vectors)),)

    def backward_graph(ctx, g, out):
        # the eigenvectors' term always: skipping it where their gradient is zero (as the array backward
        # does) would drop its derivative with respect to that gradient, so repeated eigenvalues are refused
        values, vectors = unpack(out, ctx.saved[1])
        g_values, g_vectors = unpack(g, ctx.saved[1])
        distinct = ~np.eye(values.shape[-1], dtype=bool)
        gaps = values.unsqueeze(-2) - values.unsqueeze(-1)
        if (gaps._data[..., distinct] == 0).any():
            raise NotImplementedError("create_graph=True: the recorded backward of linalg.eigh needs distinct "
                                      "eigenvalues; a matrix has a repeated one")
        projected = vectors.mT @ g_vectors
        one = constant(np.ones((), dtype=gaps._data.dtype))
        inner = select(distinct, (projected - projected.mT) / 2 / select(distinct, gaps, one), g_values.unsqueeze(-2))
        return ((vectors @ inner) @ vectors.mT,)


class Svd(Op):
    """A = U diag(S) Vh, S descending, packed: U, S, Vh. Gradient (PyTorch's svd_backward), with k = min(m, n)
    and U, Vh cut to k columns and rows (with full_matrices the others are any basis of the complement,
    and their gradients are ignored, as in PyTorch): skew(X) = X - X^T, E_jk = s_k^2 - s_j^2,
    gA = U (skew(U^T gU) S / E + S skew(Vh gVh^T) / E + diag(gS)) Vh, plus (I - U U^T) gU S^{-1} Vh when
    m > n and U S^{-1} gVh (I - Vh^T Vh) when m < n. It needs distinct nonzero singular values where the
    singular vectors' gradients are used (inf or NaN otherwise, as in PyTorch); S alone always has one."""

    saves_inputs, saves_output = False, True

    @staticmethod
    def shapes(m: int, n: int, full_matrices: bool) -> list[tuple]:
        k = min(m, n)
        return [(m, m if full_matrices else k), (k,), (n if full_matrices else k, n)]

    def forward(ctx, K, a, full_matrices):
        u, s, vh = _converged("linalg.svd", lambda m: np.linalg.svd(m, full_matrices=full_matrices), a)
        out = pack(u, s, vh, batch=a.shape[:-2])
        ctx.saved = (out, Svd.shapes(*a.shape[-2:], full_matrices))
        return out

    def backward(ctx, K, g):
        out, shapes = ctx.saved
        u, s, vh = unpack(out, shapes)
        g_u, g_s, g_vh = unpack(g, shapes)
        k = s.shape[-1]
        u, vh, g_u, g_vh = u[..., :k], vh[..., :k, :], g_u[..., :k], g_vh[..., :k, :]
        m, n = u.shape[-2], vh.shape[-1]
        with_u, with_v = g_u.any(), g_vh.any()
        if not (with_u or with_v):
            return (K.matmul(u * g_s[..., None, :], vh),)
        squares = s * s
        gaps = squares[..., None, :] - squares[..., :, None]
        _set_diagonal(gaps, 1)
        inner = np.zeros(gaps.shape, dtype=gaps.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            if with_u:
                projected = K.matmul(_mT(u), g_u)
                inner = inner + (projected - _mT(projected)) * s[..., None, :] / gaps
            if with_v:
                projected = K.matmul(vh, _mT(g_vh))
                inner = inner + s[..., :, None] * (projected - _mT(projected)) / gaps
            _set_diagonal(inner, g_s)
            if m > n and with_u:
                scaled = g_u / s[..., None, :]
                g_a = K.matmul(u, inner) + scaled - K.matmul(u, K.matmul(_mT(u), scaled))
                return (K.matmul(g_a, vh),)
            if m < n and with_v:
                scaled = g_vh / s[..., :, None]
                g_a = K.matmul(inner, vh) + scaled - K.matmul(K.matmul(scaled, _mT(vh)), vh)
                return (K.matmul(u, g_a),)
        return (K.matmul(K.matmul(u, inner), vh),)

    def backward_graph(ctx, g, out):
        # every term always, as Eigh's: repeated singular values (and zero ones, whose reciprocals a
        # non-square A's terms need) are refused
        u, s, vh = unpack(out, ctx.saved[1])
        g_u, g_s, g_vh = unpack(g, ctx.saved[1])
        k = s.shape[-1]
        u, vh, g_u, g_vh = u[..., :k], vh[..., :k, :], g_u[..., :k], g_vh[..., :k, :]
        m, n = u.shape[-2], vh.shape[-1]
        squares = s * s
        gaps = squares.unsqueeze(-2) - squares.unsqueeze(-1)
        distinct = ~np.eye(k, dtype=bool)
        if (gaps._data[..., distinct] == 0).any() or (m != n and (s._data == 0).any()):
            raise NotImplementedError("create_graph=True: the recorded backward of linalg.svd needs distinct singular "
                                      "values (and nonzero ones for a matrix that is not square)")
        gaps = select(distinct, gaps, constant(np.ones((), dtype=gaps._data.dtype)))
        projected_u, projected_v = u.mT @ g_u, vh @ g_vh.mT
        inner = ((projected_u - projected_u.mT) * s.unsqueeze(-2) / gaps
                 + s.unsqueeze(-1) * (projected_v - projected_v.mT) / gaps)
        inner = select(distinct, inner, g_s.unsqueeze(-2))
        if m > n:
            scaled = g_u / s.unsqueeze(-2)
            return ((u @ inner + scaled - u @ (u.mT @ scaled)) @ vh,)
        if m < n:
            scaled = g_vh / s.unsqueeze(-1)
            return (u @ (inner @ vh + scaled - (scaled @ vh.mT) @ vh),)
        return ((u @ inner) @ vh,)


class Qr(Op):
    """A = QR, Q with orthonormal columns, R upper-triangular, packed: Q, R (mode 'reduced': (m, k) and
    (k, n) with k = min(m, n); 'complete': (m, m) and (m, n); 'r': no Q). Gradient for R square (m >= n;
    Walter & Lehmann 2018): M = R gR^T - gQ^T Q, gA = (gQ + Q copyltu(M)) R^{-T}, copyltu(M) the
    symmetric matrix with M's lower triangle. For m < n, A = [X | Y] with X = Q R_1 square and Y = Q R_2:
    X's gradient is the square one with gQ + Y gR_2^T (R_2 = Q^T Y moves with Q), and gY = Q gR_2."""

    saves_inputs, saves_output = False, True

    @staticmethod
    def shapes(m: int, n: int, mode: str) -> list[tuple]:
        k = min(m, n)
        if mode == "r":
            return [(0,), (k, n)]
        return [(m, k), (k, n)] if mode == "reduced" else [(m, m), (m, n)]

    def forward(ctx, K, a, mode):
        shapes = Qr.shapes(*a.shape[-2:], mode)
        if mode == "r":
            q, r = np.empty(a.shape[:-2] + (0,), a.dtype), np.linalg.qr(a, mode="r")
        else:
            q, r = np.linalg.qr(a, mode=mode)
        out = pack(q, r, batch=a.shape[:-2])
        ctx.saved = (out, shapes, mode)
        return out

    def backward(ctx, K, g):
        out, shapes, mode = ctx.saved
        _refuse_undefined_qr_gradient(mode, shapes)
        q, r = unpack(out, shapes)
        g_q, g_r = unpack(g, shapes)
        m, n = q.shape[-2], r.shape[-1]
        if m >= n:
            return (_qr_square_r_backward(K, q, r, g_q, g_r),)
        y, g_right = K.matmul(q, r[..., m:]), g_r[..., m:]
        g_x = _qr_square_r_backward(K, q, r[..., :m], g_q + K.matmul(y, _mT(g_right)), g_r[..., :m])
        return (np.concatenate([g_x, K.matmul(q, g_right)], axis=-1),)

    def backward_graph(ctx, g, out):
        _, shapes, mode = ctx.saved
        _refuse_undefined_qr_gradient(mode, shapes)
        q, r = unpack(out, shapes)
        g_q, g_r = unpack(g, shapes)
        m, n = q.shape[-2], r.shape[-1]
        if m >= n:
            return (_recorded_qr_square_r_backward(q, r, g_q, g_r),)
        y, g_right = q @ r[..., m:], g_r[..., m:]
        g_x = _recorded_qr_square_r_backward(q, r[..., :m], g_q + y @ g_right.mT, g_r[..., :m])
        return (apply(Cat, g_x, q @ g_right, axis=-1),)


def _refuse_undefined_qr_gradient(mode: str, shapes: Sequence[tuple]) -> None:
    if mode == "r":
        raise RuntimeError("linalg.qr: the derivative depends on Q, which mode='r' does not compute; use "
                           "mode='reduced' to differentiate through linalg.qr")
    (m, _), (_, n) = shapes
    if m > n and mode == "complete":
        raise RuntimeError(f"linalg.qr: mode='complete' with more rows than columns ({m} x {n}) is not "
                           f"differentiable: the last {m - n} columns of Q are any orthonormal basis of the "
                           "complement; use mode='reduced'")


def _qr_square_r_backward(K, q, r, g_q, g_r):
    middle = K.matmul(r, _mT(g_r)) - K.matmul(_mT(g_q), q)  # the M of Qr's docstring
    symmetric = np.tril(middle) + _mT(np.tril(middle, -1))
    right = g_q + K.matmul(q, symmetric)
    # right R^{-T}, by substitution: a rank-deficient A's zero on R's diagonal gives inf/NaN, as PyTorch's
    # triangular solve (a general solve raised NumPy's unlabelled "Singular matrix")
    return _mT(substitute(r, _mT(right), upper=True, unit=False))


def _recorded_qr_square_r_backward(q, r, g_q, g_r):
    """_qr_square_r_backward on tensors (the triangles selected, as np.tril does)."""
    middle = r @ g_r.mT - g_q.mT @ q
    n = middle.shape[-1]
    symmetric = select(np.tri(n, dtype=bool), middle) + select(np.tri(n, k=-1, dtype=bool), middle).mT
    right = g_q + q @ symmetric
    return apply(SolveTriangular, r, right.mT, upper=True, unit=False).mT


class Pinv(Op):
    """The pseudo-inverse A+, from the SVD (the eigendecomposition of the lower triangle when hermitian),
    singular values at or below max(atol, rtol * the largest) taken as zero. Gradient (Golub & Pereyra
    1973, as PyTorch's): with P = A+, gA = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A), exact
    where the rank does not change near A."""

    saves_output = True

    def forward(ctx, K, a, atol, rtol, hermitian):
        if hermitian:
            values, vectors = _converged("linalg.pinv", np.linalg.eigh, a)
            magnitudes, left, right = np.abs(values), vectors, _mT(vectors)
        else:
            left, values, right = _converged("linalg.pinv", lambda m: np.linalg.svd(m, full_matrices=False), a)
            magnitudes = values
        cutoff = np.maximum(atol, rtol * magnitudes.max(axis=-1, initial=0))[..., None]
        kept = magnitudes > cutoff
        reciprocals = np.where(kept, 1 / np.where(kept, values, 1), 0).astype(a.dtype)
        pinv = K.matmul(_mT(right) * reciprocals[..., None, :], _mT(left))
        ctx.saved = (a, pinv)
        return pinv

    def backward(ctx, K, g):
        a, p = ctx.saved
        g_t, p_t = _mT(g), _mT(p)
        scaled_rows = K.matmul(g_t, K.matmul(p, p_t))  # g^T P P^T
        scaled_cols = K.matmul(K.matmul(p_t, p), g_t)  # P^T P g^T
        return (-K.matmul(K.matmul(p_t, g), p_t)
                + scaled_rows - K.matmul(a, K.matmul(p, scaled_rows))
                + scaled_cols - K.matmul(K.matmul(scaled_cols, p), a),)

    def backward_graph(ctx, g, out):
        a, p = ctx.inputs[0], out
        g_t, p_t = g.mT, out.mT
        scaled_rows = g_t @ (p @ p_t)
        scaled_cols = (p_t @ p) @ g_t
        return (-((p_t @ g) @ p_t) + scaled_rows - a @ (p @ scaled_rows) + scaled_cols - (scaled_cols @ p) @ a,)

"""Matrix methods built from differentiable ops: the scaled products (addmm, addmv, baddbmm, addbmm, addr),
diagonals and traces, tiling and the Kronecker product; each composes existing ops, so its gradient is
right by construction. Also PyTorch's matrix functions as methods (inverse, det, svd, ...), which
fastgrad.linalg computes."""
from __future__ import annotations

import warnings
from collections import namedtuple
from typing import TYPE_CHECKING

import numpy as np

from fastgrad import ops
from fastgrad.autograd import graph
from fastgrad.autograd.graph import apply
from fastgrad.tensor_methods.arguments import expanded_shape, int_arg, one_dim, real_arg

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor


class LinalgMethods:
    __slots__ = ()  # Tensor keeps no __dict__

    # -- beta * self + alpha * (a product) --------------------------------------------------------------
    def addmm(self, mat1: "Tensor", mat2: "Tensor", *, beta=1, alpha=1) -> "Tensor":
        """beta * self + alpha * (mat1 @ mat2), self broadcast to the (n, p) product, as torch.addmm."""
        return self._plus_scaled_product("addmm", _operand("addmm", "mat1", mat1).mm(mat2), beta, alpha)

    def addmv(self, mat: "Tensor", vec: "Tensor", *, beta=1, alpha=1) -> "Tensor":
        """beta * self + alpha * (mat @ vec), as torch.addmv."""
        from fastgrad.functions import mv  # (functions imports the Tensor class, which this module builds)

        return self._plus_scaled_product("addmv", mv(mat, vec), beta, alpha)

    def baddbmm(self, batch1: "Tensor", batch2: "Tensor", *, beta=1, alpha=1) -> "Tensor":
        """beta * self + alpha * (batch1 @ batch2) for each of the b matrices, as torch.baddbmm."""
        return self._plus_scaled_product("baddbmm", _batches("baddbmm", batch1, batch2).bmm(batch2), beta, alpha)

    def addbmm(self, batch1: "Tensor", batch2: "Tensor", *, beta=1, alpha=1) -> "Tensor":
        """beta * self + alpha * (the sum over the batch of batch1[i] @ batch2[i]), as torch.addbmm."""
        products = _batches("addbmm", batch1, batch2).bmm(batch2)
        return self._plus_scaled_product("addbmm", products.sum(0, dtype=products.dtype), beta, alpha)

    def addmm_(self, mat1: "Tensor", mat2: "Tensor", *, beta=1, alpha=1) -> "Tensor":
        return self._assign_in_place("addmm_", lambda old: old.addmm(mat1, mat2, beta=beta, alpha=alpha), mat1, mat2)

    def addmv_(self, mat: "Tensor", vec: "Tensor", *, beta=1, alpha=1) -> "Tensor":
        return self._assign_in_place("addmv_", lambda old: old.addmv(mat, vec, beta=beta, alpha=alpha), mat, vec)

    def baddbmm_(self, batch1: "Tensor", batch2: "Tensor", *, beta=1, alpha=1) -> "Tensor":
        return self._assign_in_place("baddbmm_", lambda old: old.baddbmm(batch1, batch2, beta=beta, alpha=alpha),
                                     batch1, batch2)

    def addbmm_(self, batch1: "Tensor", batch2: "Tensor", *, beta=1, alpha=1) -> "Tensor":
        return self._assign_in_place("addbmm_", lambda old: old.addbmm(batch1, batch2, beta=beta, alpha=alpha),
                                     batch1, batch2)

    def _plus_scaled_product(self, name: str, product: "Tensor", beta, alpha) -> "Tensor":
        from fastgrad.functions import where

        if self.dtype != product.dtype:
            raise RuntimeError(f"{name}: expected self and the matrices to have the same dtype, got {self.dtype} "
                               f"and {product.dtype}")
        beta, alpha = (_scale(name, label, value, product.dtype) for label, value in (("beta", beta), ("alpha", alpha)))
        expanded_shape(f"{name}: self", self.shape, product.shape)  # (PyTorch expands self to the product's shape)
        scaled = product if alpha == 1 else product * alpha
        if beta == 0:
            # self is ignored (a NaN in it does not spread) yet gets a zero gradient, as in PyTorch
            return where(graph.Tensor._wrap(np.zeros(product.shape, bool), False, None), self, scaled)
        return scaled + (self if beta == 1 else self * beta)

    # -- diagonals ------------------------------------------------------------------------------------
    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> "Tensor":
        """The diagonal of the matrices in dims (dim1, dim2), `offset` above the main one (below when
        negative), as a new last dim: a view, as PyTorch's (writing to it writes self's diagonal)."""
        offset = int_arg(offset, "diagonal: offset")
        first, second = one_dim(dim1, self.ndim), one_dim(dim2, self.ndim)
        if first == second:
            raise RuntimeError(f"diagonal: dim1 and dim2 must name different dims, got {dim1} and {dim2}")
        return apply(ops.Diagonal, self.movedim((first, second), (-2, -1)), offset=offset)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> "Tensor":
        """Matrices in dims (dim1, dim2) of the result (which has one dim more) with the last dim of self
        on their `offset` diagonal and zeros elsewhere, as torch.diag_embed."""
        offset = int_arg(offset, "diag_embed: offset")
        first, second = one_dim(dim1, self.ndim + 1), one_dim(dim2, self.ndim + 1)
        if first == second:
            raise RuntimeError(f"diag_embed: dim1 and dim2 must name different dims, got {dim1} and {dim2}")
        vectors = self.reshape(1) if self.ndim == 0 else self
        length = vectors.shape[-1]
        size = length + abs(offset)
        rows, cols = np.arange(length) + max(-offset, 0), np.arange(length) + max(offset, 0)
        # which element lands at [i, j]: a zero appended to the vectors off the diagonal (so that empty vectors
        # have one to read as well)
        source = np.full((size, size), length, dtype=np.int64)
        source[rows, cols] = np.arange(length)
        padded = apply(ops.ConstantPad, vectors, widths=((0, 0),) * (vectors.ndim - 1) + ((0, 1),), value=0)
        matrices = padded[..., source]
        if (first, second) == (matrices.ndim - 2, matrices.ndim - 1):
            return matrices
        # (a new tensor, as PyTorch's: a view of this temporary would refuse recorded in-place changes and detach_)
        return matrices.movedim((-2, -1), (first, second)).clone()

    def diag(self, diagonal: int = 0) -> "Tensor":
        """For a 1-D tensor, the square matrix with it on the `diagonal`-th diagonal; for a 2-D tensor,
        a copy of that diagonal as a 1-D tensor (not a view: see diagonal), as torch.diag."""
        if self.ndim == 1:
            return self.diag_embed(diagonal)
        if self.ndim == 2:
            return self.diagonal(diagonal).clone()
        raise RuntimeError(f"diag: expected a 1-D or 2-D tensor, got shape {self.shape}")

    def diagflat(self, offset: int = 0) -> "Tensor":
        """The square matrix with self's elements (flattened) on the `offset`-th diagonal, as torch.diagflat."""
        return self.reshape(-1).diag(int_arg(offset, "diagflat: offset"))

    # The vector products as methods: the checks live in fastgrad.functions (imported when called: it imports the
    # Tensor class this module helps build).
    def dot(self, other: "Tensor") -> "Tensor":
        from fastgrad import functions

        return functions.dot(self, other)

    vdot = dot  # vdot conjugates self: for real tensors it is dot

    def mv(self, vec: "Tensor") -> "Tensor":
        from fastgrad import functions

        return functions.mv(self, vec)

    # -- statistics of variables (rows) over observations (columns) --------------------------------------
    def cov(self, *, correction: int = 1, fweights: "Tensor | None" = None,
            aweights: "Tensor | None" = None) -> "Tensor":
        """The covariance matrix of the variables in self's rows (a 1-D tensor: one variable; 0-dim result), with
        observation weights fweights (integer counts) and aweights (floats), as torch.cov; integers give the
        default float dtype. No degrees of freedom left (correction >= the observations) give inf or NaN, with
        PyTorch's warning."""
        if self.ndim > 2:
            raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                               f"{self.ndim} dimensions")
        self._refuse_bool("cov", RuntimeError)
        correction = int_arg(correction, "cov: correction")
        x = self._floating().reshape(1, -1) if self.ndim < 2 else self._floating()
        observations = x.shape[1]
        weights = None
        for name, given, kinds in (("fweights", fweights, "iu"), ("aweights", aweights, "f")):
            if given is None:
                continue
            if not isinstance(given, graph.Tensor):
                raise TypeError(f"cov(): {name} must be a Tensor, got {type(given).__name__}")
            if given.ndim > 1 or given.numel() != observations:
                raise RuntimeError(f"cov(): expected {name} to be a scalar or 1-D tensor with {observations} elements "
                                   f"(the observations in the input), got shape {tuple(given.shape)}")
            if given.dtype.kind not in kinds:
                kind = "integral" if kinds == "iu" else "floating point"
                raise RuntimeError(f"cov(): expected {name} to have {kind} dtype but got {name} with dtype "
                                   f"{given.dtype}")
            if (given._data < 0).any():
                raise RuntimeError(f"cov(): {name} cannot be negative")
            weights = given if weights is None else weights * given
        if weights is None:
            mean = x.mean(1)
            degrees = observations - correction
        else:
            total = weights.sum()
            mean = (x * weights).sum(1) / total
            if correction == 0:
                degrees = total
            elif aweights is None:
                degrees = total - correction
            else:
                degrees = total - correction * (weights * aweights).sum() / total
        if float(degrees) <= 0:
            warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                          "observations.", UserWarning, stacklevel=2)
            degrees = 0
        centred = x - mean.reshape(-1, 1)
        weighted = centred if weights is None else centred * weights
        return ((centred @ weighted.T) / degrees).squeeze()

    def corrcoef(self) -> "Tensor":
        """Pearson's correlation coefficients of the variables in self's rows (cov scaled by the standard
        deviations, limited to [-1, 1]), as torch.corrcoef."""
        covariance = self.cov()
        if covariance.ndim == 0:
            return covariance / covariance
        deviations = covariance.diagonal().sqrt()
        return (covariance / deviations.reshape(-1, 1) / deviations.reshape(1, -1)).clamp(-1, 1)

    def trace(self) -> "Tensor":
        """The sum of the main diagonal of a 2-D tensor (int64 for integer tensors, as PyTorch)."""
        self._refuse_bool("trace")  # (before the shape, as PyTorch checks)
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a 2-D tensor, got shape {self.shape}")
        return self.diagonal().sum()

    # -- tiling ---------------------------------------------------------------------------------------
    def tile(self, *dims) -> "Tensor":
        """self repeated dims[d] times along each dim d; fewer dims than self's count as leading 1s,
        more add leading dims, as torch.tile."""
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        dims = tuple(int_arg(n, "tile: dims") for n in dims)
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def kron(self, other: "Tensor") -> "Tensor":
        """The Kronecker product: block (i, j, ...) is self[i, j, ...] * other, as torch.kron (dtypes
        promote; the shorter shape gets leading 1s)."""
        other = _operand("kron", "other", other)
        ndim = max(self.ndim, other.ndim)
        a_shape = (1,) * (ndim - self.ndim) + tuple(self.shape)
        b_shape = (1,) * (ndim - other.ndim) + tuple(other.shape)
        # a's dims interleaved with b's: (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...), then each pair merged
        a = self.reshape(tuple(n for size in a_shape for n in (size, 1)))
        b = other.reshape(tuple(n for size in b_shape for n in (1, size)))
        return (a * b).reshape(tuple(m * n for m, n in zip(a_shape, b_shape)))

    # -- the conjugate transposes (the plain ones: fastgrad's tensors are real) --------------------------
    @property
    def H(self) -> "Tensor":
        """The conjugate transpose of a matrix: its transpose, for real tensors (and a 0-d tensor itself, with
        PyTorch's deprecation warning)."""
        if self.ndim not in (0, 2):
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors), got a {self.ndim}-D tensor")
        return self._matrix_transpose("H", "Consider using x.conj().")

    @property
    def mH(self) -> "Tensor":
        """The conjugate transpose of each matrix in the last two dims: .mT, for real tensors."""
        return self._matrix_transpose("mH", "Consider using x.conj().")

    # -- PyTorch's matrix functions as methods (computed by fastgrad.linalg) ------------------------------
    def inverse(self) -> "Tensor":
        """The inverse of each square matrix, as torch.linalg.inv."""
        return _linalg().inv(self)

    def det(self) -> "Tensor":
        return _linalg().det(self)

    def slogdet(self):
        """(sign, logabsdet) of the determinant, as torch.linalg.slogdet."""
        return _linalg().slogdet(self)

    def logdet(self) -> "Tensor":
        """log det of each square matrix: NaN where the determinant is negative, -inf where it is 0, as
        torch.logdet; the gradient is A^{-T} where the determinant is positive, 0 where it is negative."""
        from fastgrad.functions import where

        sign, logabsdet = _linalg().slogdet(self)
        return where(sign < 0, logabsdet.new_full((), np.nan), logabsdet)

    def matrix_power(self, n: int) -> "Tensor":
        return _linalg().matrix_power(self, n)

    def matrix_exp(self) -> "Tensor":
        return _linalg().matrix_exp(self)

    def cholesky(self, upper: bool = False) -> "Tensor":
        """The Cholesky factor (lower, or upper with upper=True), as the deprecated torch.cholesky."""
        warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future "
                      "PyTorch release; use fastgrad.linalg.cholesky(A) (and its .mT for upper=True)", UserWarning,
                      stacklevel=2)
        return _linalg().cholesky(self, upper=upper)

    def pinverse(self, rcond: float = 1e-15) -> "Tensor":
        """The pseudo-inverse, singular values at or below rcond times the largest taken as zero."""
        return _linalg().pinv(self, rtol=rcond)

    def svd(self, some: bool = True, compute_uv: bool = True):
        """(U, S, V) with self = U diag(S) V^T, as torch.svd: V, not Vh; some=False gives square U and V.
        With compute_uv=False, U and V are zeros (of the square shapes) and only S is computed."""
        linalg = _linalg()
        if not compute_uv:
            values = linalg.svdvals(self)
            m, n = self.shape[-2:]
            return LegacySvdResult(values.new_zeros(self.shape[:-2] + (m, m)), values,
                             values.new_zeros(self.shape[:-2] + (n, n)))
        u, s, vh = linalg.svd(self, full_matrices=not some)
        return LegacySvdResult(u, s, vh.mT)

    def qr(self, some: bool = True):
        """(Q, R), reduced (or complete with some=False), as the deprecated torch.qr."""
        warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
                      "release; use fastgrad.linalg.qr(A, 'reduced' if some else 'complete')", UserWarning,
                      stacklevel=2)
        return _linalg().qr(self, "reduced" if some else "complete")

    def inner(self, other: "Tensor") -> "Tensor":
        """The sums of products over the last dims: shape self.shape[:-1] + other.shape[:-1]; a 0-d operand
        multiplies, as torch.inner."""
        from fastgrad.functions import tensordot

        other = _operand("inner", "other", other)
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.dtype != other.dtype:
            raise RuntimeError(f"inner: expected self and other to have the same dtype, got {self.dtype} and "
                               f"{other.dtype}")
        if self.shape[-1] != other.shape[-1]:
            raise RuntimeError(f"inner: the last dims must match, got shapes {tuple(self.shape)} and "
                               f"{tuple(other.shape)}")
        return tensordot(self, other, ([self.ndim - 1], [other.ndim - 1]))

    def addr(self, vec1: "Tensor", vec2: "Tensor", *, beta=1, alpha=1) -> "Tensor":
        """beta * self + alpha * outer(vec1, vec2), dtypes promoted, as torch.addr."""
        product = vector_operand("addr", "vec1", vec1).outer(vector_operand("addr", "vec2", vec2))
        input, product = self._promoted(product)
        return input._plus_scaled_product("addr", product, beta, alpha)

    def addr_(self, vec1: "Tensor", vec2: "Tensor", *, beta=1, alpha=1) -> "Tensor":
        # (PyTorch's addr is elementwise over the broadcast vectors, so its overlap check applies, unlike addmm_'s)
        return self._assign_in_place("addr_", lambda old: old.addr(vec1, vec2, beta=beta, alpha=alpha), vec1, vec2,
                                     refuse_overlap=True)

    def cholesky_solve(self, input2: "Tensor", upper: bool = False) -> "Tensor":
        """X with A X = self, input2 being A's Cholesky factor (see fastgrad.cholesky_solve)."""
        return _linalg().cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper: bool = False) -> "Tensor":
        """The inverse of the matrix whose Cholesky factor self is (see fastgrad.cholesky_inverse)."""
        return _linalg().cholesky_inverse(self, upper)

    # -- the deprecated top-level LU and triangular solves, and the removed solvers, as methods ------------------
    def lu(self, pivot: bool = True, get_infos: bool = False):
        """(LU, pivots), or (LU, pivots, infos), as fastgrad.lu (deprecated, as torch.lu)."""
        return _legacy().lu(self, pivot, get_infos)

    def lu_solve(self, LU_data: "Tensor", LU_pivots: "Tensor") -> "Tensor":
        """X with A X = self for lu's (LU_data, LU_pivots) of A, as fastgrad.lu_solve (deprecated)."""
        return _legacy().lu_solve(self, LU_data, LU_pivots)

    def triangular_solve(self, A: "Tensor", upper: bool = True, transpose: bool = False,
                         unitriangular: bool = False):
        """(X, a copy of A) with T X = self, as fastgrad.triangular_solve (deprecated)."""
        return _legacy().triangular_solve(self, A, upper, transpose, unitriangular)

    def solve(self, other: "Tensor"):
        """Removed, as torch's: raises RuntimeError pointing to linalg.solve."""
        return _legacy().solve(self, other)

    def lstsq(self, other: "Tensor"):
        """Removed, as torch's: raises RuntimeError pointing to linalg.lstsq."""
        return _legacy().lstsq(self, other)

    def symeig(self, eigenvectors: bool = False):
        """Removed, as torch's: raises RuntimeError pointing to linalg.eigh and linalg.eigvalsh."""
        return _legacy().symeig(self, eigenvectors)

    def eig(self, eigenvectors: bool = False):
        """Removed, as torch's: raises RuntimeError."""
        return _legacy().eig(self, eigenvectors)


def _linalg():
    """fastgrad.linalg, imported on first use: it imports the Tensor class, which this module builds."""
    import fastgrad.linalg

    return fastgrad.linalg


def _legacy():
    """fastgrad.linalg_legacy, imported on first use (as _linalg)."""
    import fastgrad.linalg_legacy

    return fastgrad.linalg_legacy


LegacySvdResult = namedtuple("LegacySvdResult", ["U", "S", "V"])  # torch.svd's: V, where torch.linalg.svd gives Vh


def _operand(name: str, label: str, value) -> "Tensor":
    if not isinstance(value, graph.Tensor):
        raise TypeError(f"{name}: {label} must be a Tensor, got {type(value).__name__}")
    return value


def vector_operand(name: str, label: str, value) -> "Tensor":
    """A 1-D tensor argument, as outer, ger and addr take (PyTorch refuses other dims with a RuntimeError)."""
    if _operand(name, label, value).ndim != 1:
        raise RuntimeError(f"{name}: expected {label} to be a 1-D tensor, got a {value.ndim}-D tensor of shape "
                           f"{tuple(value.shape)}")
    return value


def _batches(name: str, batch1, batch2) -> "Tensor":
    """batch1, once batch1 and batch2 are known to be 3-D tensors. PyTorch reads sizes 0 and 1 of batch1 and
    size 2 of batch2 (the result's shape) before it checks their dims: a dim missing there is an IndexError,
    any other count of dims than 3 a RuntimeError."""
    batches = {"batch1": _operand(name, "batch1", batch1), "batch2": _operand(name, "batch2", batch2)}
    sizes_read = {"batch1": 2, "batch2": 3}
    for error, wrong in ((IndexError, lambda label, ndim: ndim < sizes_read[label]),
                         (RuntimeError, lambda label, ndim: ndim != 3)):
        for label, batch in batches.items():
            if wrong(label, batch.ndim):
                raise error(f"{name}: expected {label} to be a 3-D tensor, got shape {tuple(batch.shape)}")
    return batch1


def _scale(name: str, label: str, value, dtype: np.dtype):
    """A beta or alpha: a real number; a float one with integer tensors is refused (PyTorch truncates it
    silently, which would print a plausible wrong number)."""
    number = real_arg(value, f"{name}: {label}")
    if dtype.kind in "biu" and not number.is_integer():
        raise RuntimeError(f"{name}: {label}={value!r} is not an integer, but the tensors have the integer dtype "
                           f"{dtype}")
    return int(number) if dtype.kind in "biu" else number

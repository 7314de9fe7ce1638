"""Tensor: a NumPy array plus what autodiff needs (requires_grad, .grad, the node that made it).

Operators and methods call ops from the op table through `apply`, which records the graph;
`backward()` hands the walk to the graph layer. In-place methods (add_, zero_, ...) work outside
autograd, for parameter updates and initialisation.
"""
from __future__ import annotations

import operator
import warnings
from collections import namedtuple
from typing import Any, Sequence

import numpy as np

from fastgrad import ops
from fastgrad.autograd.grad_mode import GRAD_MODE
from fastgrad.autograd import graph
from fastgrad.autograd.graph import apply, run_backward
from fastgrad.dtypes import as_dtype, default_float, int64
from fastgrad.random import GENERATOR

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


class device:
    """Only the CPU exists; `fastgrad.device("cpu")` and `.to("cpu")` are accepted for PyTorch code."""

    def __init__(self, kind: "str | device" = "cpu"):
        kind = kind.type if isinstance(kind, device) else str(kind)
        if kind.split(":")[0] != "cpu":
            raise RuntimeError(f"fastgrad runs on the CPU only; device {kind!r} is not available")
        self.type = "cpu"

    def __eq__(self, other) -> bool:
        return isinstance(other, device) or other == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")

    def __repr__(self) -> str:
        return "device(type='cpu')"


CPU = device("cpu")


def _normalize_dims(dim, ndim: int):
    """None, an int or a sequence of ints (negative allowed) -> None or a tuple of non-negative dims."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim) if isinstance(dim, (tuple, list)) else None
    if dims is None or not all(isinstance(d, (int, np.integer)) for d in dims):
        raise TypeError(f"dim must be an int or a tuple of ints, got {dim!r}")
    low, high = -max(ndim, 1), max(ndim, 1) - 1
    for d in dims:
        if not low <= d <= high:
            raise IndexError(f"dimension out of range (expected to be in range of [{low}, {high}], but got {d})")
    normalized = tuple(d % max(ndim, 1) for d in dims)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"dims {dims} name the same dimension more than once")
    return normalized


def _int_arg(value, name: str) -> int:
    """An int argument (a Python or NumPy int, or a one-element integer tensor), else TypeError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, Tensor)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    return operator.index(value)


def _reduced_axes(dim, ndim: int):
    """Like `_normalize_dims`, for reductions: a 0-dim tensor accepts dim 0 or -1 and is reduced whole."""
    axes = _normalize_dims(dim, ndim)
    return None if ndim == 0 else axes


def _reduced_count(shape: tuple[int, ...], axis) -> int:
    """How many elements a reduction over `axis` (None: all) combines into each result."""
    return int(np.prod(shape if axis is None else [shape[a] for a in axis]))


def _check_index_array(index: np.ndarray, size: int, dim: int) -> None:
    if index.size and (index.max() >= size or index.min() < -size):
        bad = index.max() if index.max() >= size else index.min()
        raise IndexError(f"index {int(bad)} is out of range for dimension {dim} with size {size}")


class Tensor:
    __slots__ = ("_data", "requires_grad", "grad", "_node", "_version", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to the Tensor's reflected operator
    is_sparse = False

    def __init__(self, data: Any, dtype=None, requires_grad: bool = False):
        array = data._data if isinstance(data, Tensor) else np.asarray(data)
        if dtype is not None:
            array = array.astype(as_dtype(dtype), copy=False)
        elif array.dtype.kind == "f" and not isinstance(data, np.ndarray) and not isinstance(data, Tensor):
            array = array.astype(default_float, copy=False)  # Python floats become float32, as in PyTorch
        self._data = array
        self._node = None
        self._version = 0
        self.grad = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array, requires_grad: bool, node) -> "Tensor":
        """Fast path for op outputs: no conversion, no checks."""
        t = object.__new__(cls)
        t._data = array
        t.requires_grad = requires_grad
        t._node = node
        t._version = 0
        t.grad = None
        return t

    # -- what it is -------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        extra = ""
        if self._data.dtype not in (default_float, int64) and self._data.dtype.kind != "b":
            extra += f", dtype={self._data.dtype}"
        if self._node is not None:
            extra += f", grad_fn=<{self._node.op.__name__}Backward>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # -- conversion -------------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        return bool(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu":
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    __hash__ = object.__hash__

    # -- autograd ---------------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(f"only floating point tensors can require gradients, got dtype {self._data.dtype}")
        if not requires_grad and self._node is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf tensor; use .detach()")
        self.requires_grad = requires_grad
        return self

    def detach(self) -> "Tensor":
        """The same values, cut from the graph (shares memory)."""
        return Tensor._wrap(self._data, False, None)

    def backward(self, gradient: "Tensor | np.ndarray | None" = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into the .grad of every leaf that requires grad."""
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad and has no graph behind it")
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(f"backward() without `gradient` needs a scalar output, got shape {self.shape}; "
                                   "pass gradient=ones_like(output) or reduce the output first")
            grad = np.ones(self.shape, dtype=self.dtype)
        else:
            grad = np.asarray(gradient._data if isinstance(gradient, Tensor) else gradient, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward(): gradient has shape {grad.shape}, expected the output's shape {self.shape}")
        run_backward(self, grad, retain_graph)

    @property
    def data(self) -> "Tensor":
        """The values without autograd: in-place changes through it are not recorded."""
        return Tensor._wrap(self._data, False, None)

    @data.setter
    def data(self, value: "Tensor | np.ndarray") -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    # -- arithmetic -------------------------------------------------------------------------------
    def _operand(self, other) -> "Tensor":
        """Wrap a Python number or array for a binary op; a number takes this tensor's dtype (as in
        PyTorch, `x * 2.0` stays float32)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (bool, int, float)):
            return Tensor._wrap(np.array(other, dtype=self._data.dtype), False, None)
        return Tensor._wrap(np.asarray(other), False, None)

    def _binary(self, op, other, reflected: bool = False) -> "Tensor":
        if type(other) is not Tensor:  # the common case, two tensors, skips the conversions
            if isinstance(other, float) and self._data.dtype.kind != "f":
                self = self.float()  # int tensor with a float number: float32, as in PyTorch
            other = self._operand(other)
        a, b = (other, self) if reflected else (self, other)
        try:
            return apply(op, a, b)
        except ValueError as err:
            try:
                np.broadcast_shapes(a.shape, b.shape) if op is not ops.Matmul else None
            except ValueError:
                raise ValueError(f"{op.__name__.lower()}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None
            if op is ops.Matmul:
                raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned for a matrix product") from None
            raise err

    def __add__(self, other):
        return self._binary(ops.Add, other)

    def __radd__(self, other):
        return self._binary(ops.Add, other, reflected=True)

    def __sub__(self, other):
        return self._binary(ops.Sub, other)

    def __rsub__(self, other):
        return self._binary(ops.Sub, other, reflected=True)

    def __mul__(self, other):
        return self._binary(ops.Mul, other)

    def __rmul__(self, other):
        return self._binary(ops.Mul, other, reflected=True)

    def __truediv__(self, other):
        return self._binary(ops.Div, other)

    def __rtruediv__(self, other):
        return self._binary(ops.Div, other, reflected=True)

    def __pow__(self, other):
        return self._binary(ops.Pow, other)

    def __rpow__(self, other):
        return self._binary(ops.Pow, other, reflected=True)

    def __matmul__(self, other):
        return self._binary(ops.Matmul, other)

    def __rmatmul__(self, other):
        return self._binary(ops.Matmul, other, reflected=True)

    def __neg__(self):
        return apply(ops.Neg, self)

    def __pos__(self):
        return self

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    matmul = __matmul__
    neg = __neg__

    def maximum(self, other) -> "Tensor":
        return self._binary(ops.Maximum, other)

    def minimum(self, other) -> "Tensor":
        return self._binary(ops.Minimum, other)

    # Comparisons give bool tensors outside the graph.
    def _compare(self, ufunc, other) -> "Tensor":
        other = other._data if isinstance(other, Tensor) else other
        return Tensor._wrap(ufunc(self._data, other), False, None)

    def __eq__(self, other):
        return self._compare(np.equal, other)

    def __ne__(self, other):
        return self._compare(np.not_equal, other)

    def __lt__(self, other):
        return self._compare(np.less, other)

    def __le__(self, other):
        return self._compare(np.less_equal, other)

    def __gt__(self, other):
        return self._compare(np.greater, other)

    def __ge__(self, other):
        return self._compare(np.greater_equal, other)

    # -- math -------------------------------------------------------------------------------------
    def exp(self):
        return apply(ops.Exp, self)

    def log(self):
        return apply(ops.Log, self)

    def sqrt(self):
        return apply(ops.Sqrt, self)

    def abs(self):
        return apply(ops.Abs, self)

    def tanh(self):
        return apply(ops.Tanh, self)

    def sigmoid(self):
        return apply(ops.Sigmoid, self)

    def relu(self):
        return apply(ops.Relu, self)

    def clamp(self, min: float | None = None, max: float | None = None) -> "Tensor":
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        return apply(ops.Clamp, self, low=min, high=max)

    clip = clamp

    def _floating(self) -> "Tensor":
        """Integer and bool tensors as float32, for math whose values are not integers (as in PyTorch)."""
        return self if self._data.dtype.kind == "f" else self.float()

    def _check_floating(self, name: str) -> None:
        if self._data.dtype.kind != "f":
            raise TypeError(f"{name}() needs a floating point tensor, got dtype {self.dtype}; use .float() first")

    def log1p(self) -> "Tensor":
        return apply(ops.Log1p, self._floating())

    def expm1(self) -> "Tensor":
        return apply(ops.Expm1, self._floating())

    def sin(self) -> "Tensor":
        return apply(ops.Sin, self._floating())

    def cos(self) -> "Tensor":
        return apply(ops.Cos, self._floating())

    def reciprocal(self) -> "Tensor":
        return apply(ops.Reciprocal, self._floating())

    def rsqrt(self) -> "Tensor":
        return apply(ops.Rsqrt, self._floating())

    def square(self) -> "Tensor":
        return apply(ops.Square, self.long() if self._data.dtype.kind == "b" else self)  # bool squares to int64

    def sign(self) -> "Tensor":
        return self.clone() if self._data.dtype.kind == "b" else apply(ops.Sign, self)

    def floor_divide(self, other) -> "Tensor":
        return self._binary(ops.FloorDivide, other)

    def __rfloordiv__(self, other) -> "Tensor":
        return self._binary(ops.FloorDivide, other, reflected=True)

    def remainder(self, other) -> "Tensor":
        return self._binary(ops.Remainder, other)

    def __rmod__(self, other) -> "Tensor":
        return self._binary(ops.Remainder, other, reflected=True)

    __floordiv__ = floor_divide
    __mod__ = remainder

    # NaN/inf tests give bool tensors outside the graph, like the comparisons.
    def isnan(self) -> "Tensor":
        return Tensor._wrap(np.isnan(self._data), False, None)

    def isinf(self) -> "Tensor":
        return Tensor._wrap(np.isinf(self._data), False, None)

    def isfinite(self) -> "Tensor":
        return Tensor._wrap(np.isfinite(self._data), False, None)

    def softmax(self, dim: int, dtype=None) -> "Tensor":
        return self._softmax_family(ops.Softmax, "softmax", dim, dtype)

    def log_softmax(self, dim: int, dtype=None) -> "Tensor":
        return self._softmax_family(ops.LogSoftmax, "log_softmax", dim, dtype)

    def _softmax_family(self, op, name: str, dim: int, dtype) -> "Tensor":
        x = self if dtype is None else self.to(dtype)
        x._check_floating(name)
        (axis,) = _normalize_dims(dim, x.ndim)
        if x.ndim == 0:  # the softmax of one number, over its only "dim"
            return apply(op, x.reshape(1), axis=0).reshape(())
        return apply(op, x, axis=axis)

    # -- matrix products ----------------------------------------------------------------------------
    def mm(self, mat2: "Tensor") -> "Tensor":
        """The 2-D matrix product (no broadcasting, operands of one dtype), as torch.mm."""
        _check_product_operands("mm", self, mat2, 2)
        if self.shape[1] != mat2.shape[0]:
            raise ValueError(f"mm: shapes {self.shape} and {mat2.shape} cannot be multiplied ({self.shape[1]} "
                             f"columns in self, {mat2.shape[0]} rows in mat2)")
        return apply(ops.Matmul, self, mat2)

    def bmm(self, mat2: "Tensor") -> "Tensor":
        """Batched matrix products of 3-D tensors (b, n, m) and (b, m, p), as torch.bmm (no broadcasting)."""
        _check_product_operands("bmm", self, mat2, 3)
        if mat2.shape[:2] != (self.shape[0], self.shape[2]):
            raise ValueError(f"bmm: shapes {self.shape} and {mat2.shape} cannot be multiplied (expected mat2 of "
                             f"shape ({self.shape[0]}, {self.shape[2]}, p))")
        return apply(ops.Matmul, self, mat2)

    def outer(self, vec2: "Tensor") -> "Tensor":
        """out[i, j] = self[i] * vec2[j], for 1-D tensors."""
        for name, t in (("self", self), ("vec2", vec2)):
            if not isinstance(t, Tensor) or t.ndim != 1:
                got = f"{t.ndim}-D" if isinstance(t, Tensor) else type(t).__name__
                raise ValueError(f"outer: expected {name} to be a 1-D tensor, got {got}")
        return self.reshape(-1, 1) * vec2

    # -- reductions -------------------------------------------------------------------------------
    def sum(self, dim=None, keepdim: bool = False) -> "Tensor":
        return apply(ops.Sum, self, axis=_normalize_dims(dim, self.ndim), keepdims=keepdim)

    def mean(self, dim=None, keepdim: bool = False) -> "Tensor":
        if self._data.dtype.kind != "f":
            raise TypeError(f"mean() needs a floating point tensor, got dtype {self.dtype}; use .float() first")
        return apply(ops.Mean, self, axis=_normalize_dims(dim, self.ndim), keepdims=keepdim)

    def _extremum(self, op, arg, dim, keepdim):
        if dim is None:
            return apply(op, self, axis=None, keepdims=False)
        axis = _normalize_dims(dim, self.ndim)
        values = apply(op, self, axis=axis, keepdims=keepdim)
        indices = arg(self._data, axis=axis[0])
        if keepdim:
            indices = np.expand_dims(indices, axis[0])
        return ValuesIndices(values, Tensor._wrap(indices.astype(np.int64), False, None))

    def max(self, dim: int | None = None, keepdim: bool = False):
        """The maximum over all elements, or (values, indices) along `dim`, as PyTorch."""
        return self._extremum(ops.Max, np.argmax, dim, keepdim)

    def min(self, dim: int | None = None, keepdim: bool = False):
        return self._extremum(ops.Min, np.argmin, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        out = np.argmax(self._data, axis=dim, keepdims=keepdim) if dim is not None else np.argmax(self._data)
        return Tensor._wrap(np.asarray(out, dtype=np.int64), False, None)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        out = np.argmin(self._data, axis=dim, keepdims=keepdim) if dim is not None else np.argmin(self._data)
        return Tensor._wrap(np.asarray(out, dtype=np.int64), False, None)

    def logsumexp(self, dim, keepdim: bool = False) -> "Tensor":
        """log(sum(exp(x))) over `dim` (an int or a tuple), computed without overflow."""
        x = self._floating()
        return apply(ops.LogSumExp, x, axis=_reduced_axes(dim, x.ndim), keepdims=keepdim)

    def var(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None) -> "Tensor":
        """Variance over `dim` (all elements when None), dividing by N - correction (default 1, Bessel's
        correction); `unbiased=False` means correction=0. As PyTorch, var(False) is var(unbiased=False)."""
        return self._spread(ops.Var, "var", dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None) -> "Tensor":
        """The square root of `var` with the same arguments."""
        return self._spread(ops.Std, "std", dim, unbiased, keepdim, correction)

    def _spread(self, op, name: str, dim, unbiased, keepdim: bool, correction) -> "Tensor":
        if isinstance(dim, bool):  # PyTorch's (input, unbiased) overload
            dim, unbiased = None, dim
        if unbiased is not None and correction is not None:
            raise TypeError(f"{name}: give either unbiased ({unbiased}) or correction ({correction}), not both")
        self._check_floating(name)
        if correction is None:
            correction = 0 if unbiased is False else 1
        axis = _reduced_axes(dim, self.ndim)
        count = _reduced_count(self.shape, axis)
        if count - correction <= 0:
            warnings.warn(f"{name}(): degrees of freedom is <= 0 ({count} elements per result, correction "
                          f"{correction}); the result is inf or nan", UserWarning, stacklevel=3)
        return apply(op, self, axis=axis, correction=correction, keepdims=keepdim)

    def norm(self, p: "float | str" = "fro", dim=None, keepdim: bool = False, dtype=None) -> "Tensor":
        """The vector p-norm over `dim` (all elements when None): p a number (inf and -inf included) or
        'fro' (the 2-norm over at most 2 dims), as torch.norm."""
        x = self if dtype is None else self.to(dtype)
        x._check_floating("norm")
        if isinstance(p, str):
            if p == "nuc":
                raise NotImplementedError("norm: the nuclear norm (p='nuc') is not implemented")
            if p != "fro":
                raise ValueError(f"norm: p must be a number, 'fro' or 'nuc', got {p!r}")
            if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) > 2:
                raise ValueError(f"norm: p='fro' needs dim to be None, one dim or two dims, got {dim}")
            p = 2
        elif isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(f"norm: p must be a number, 'fro' or 'nuc', got {type(p).__name__} {p!r}")
        axis = _reduced_axes(dim, x.ndim)
        count = _reduced_count(x.shape, axis)
        if count == 0 and abs(p) == np.inf:
            raise ValueError(f"norm: the {p} norm of an empty tensor (shape {x.shape}, dim {dim}) is undefined, "
                             "since max and min have no identity")
        return apply(ops.Norm, x, p=float(p), axis=axis, keepdims=keepdim)

    def prod(self, dim: int | None = None, keepdim: bool = False, dtype=None) -> "Tensor":
        """The product of all elements, or along one dim; integer and bool tensors give int64."""
        if dim is None and keepdim:
            raise TypeError("prod: keepdim=True needs a dim (torch.prod has no keepdim for the full product)")
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))):
            raise TypeError(f"prod: dim must be an int or None (one dim at a time, as torch.prod), got {dim!r}")
        x = self._integers_as_int64(dtype)
        axis = _reduced_axes(dim, x.ndim)
        return apply(ops.Prod, x, axis=axis, keepdims=keepdim and axis is not None)

    def cumsum(self, dim: int, dtype=None) -> "Tensor":
        """Running sums along `dim`; integer and bool tensors give int64."""
        x = self._integers_as_int64(dtype)
        (axis,) = _normalize_dims(dim, x.ndim)
        return x.clone() if x.ndim == 0 else apply(ops.Cumsum, x, axis=axis)

    def _integers_as_int64(self, dtype) -> "Tensor":
        """The input of sums and products: cast to `dtype`, else integers widened to int64 (as PyTorch)."""
        if dtype is not None:
            return self.to(dtype)
        return self.long() if self._data.dtype.kind in "biu" else self

    # all/any give bool tensors outside the graph.
    def all(self, dim=None, keepdim: bool = False) -> "Tensor":
        return Tensor._wrap(np.asarray(np.all(self._data, axis=_reduced_axes(dim, self.ndim), keepdims=keepdim)),
                            False, None)

    def any(self, dim=None, keepdim: bool = False) -> "Tensor":
        return Tensor._wrap(np.asarray(np.any(self._data, axis=_reduced_axes(dim, self.ndim), keepdims=keepdim)),
                            False, None)

    # -- shape ------------------------------------------------------------------------------------
    def reshape(self, *shape) -> "Tensor":
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        known = int(np.prod([n for n in shape if n != -1]))
        free = shape.count(-1)
        if free > 1 or (free == 0 and known != self._data.size) or (free == 1 and (known == 0 or self._data.size % known)):
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} ({self._data.size} elements) "
                             f"into shape {shape}")
        return apply(ops.Reshape, self, shape=shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        if self.ndim == 0:
            return self.reshape(1)
        (start,), (end,) = _normalize_dims(start_dim, self.ndim), _normalize_dims(end_dim, self.ndim)
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {self.shape}")
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])

    def permute(self, *dims) -> "Tensor":
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        axes = _normalize_dims(dims, self.ndim)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"permute: dims {dims} are not a permutation of the {self.ndim} dims of shape {self.shape}")
        return apply(ops.Permute, self, axes=axes)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        d0, d1 = _normalize_dims((dim0, dim1), self.ndim)
        axes = list(range(self.ndim))
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return apply(ops.Permute, self, axes=tuple(axes))

    @property
    def T(self) -> "Tensor":
        return apply(ops.Permute, self, axes=tuple(reversed(range(self.ndim))))

    def t(self) -> "Tensor":
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dims, got shape {self.shape}")
        return self.T

    def unsqueeze(self, dim: int) -> "Tensor":
        (d,) = _normalize_dims(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: int | None = None) -> "Tensor":
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        (d,) = _normalize_dims(dim, self.ndim)
        if self.ndim == 0 or self.shape[d] != 1:
            return self
        return self.reshape(self.shape[:d] + self.shape[d + 1:])

    def expand(self, *sizes) -> "Tensor":
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: shape {sizes} has fewer dims than the tensor's shape {self.shape}")
        shape = tuple(self.shape[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(sizes))
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise ValueError(f"expand: cannot expand shape {self.shape} to {sizes}") from None
        return apply(ops.Expand, self, shape=shape)

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    def view_as(self, other: "Tensor") -> "Tensor":
        return self.view(other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> "Tensor":
        """Dim `dim` split into `sizes` (one of them may be -1, inferred), as torch.unflatten."""
        if self.ndim == 0:
            raise ValueError("unflatten: needs a tensor with at least 1 dim, got a 0-dim tensor")
        (axis,) = _normalize_dims(dim, self.ndim)
        sizes, size = tuple(_int_arg(n, "unflatten: sizes") for n in sizes), self.shape[axis]
        known = int(np.prod([n for n in sizes if n != -1]))
        free = sizes.count(-1)
        if (not sizes or free > 1 or any(n < -1 for n in sizes) or (free == 0 and known != size)
                or (free == 1 and (known == 0 or size % known))):
            raise ValueError(f"unflatten: sizes {list(sizes)} do not multiply up to the size {size} of dim {dim} "
                             f"(shape {self.shape}); expected non-empty sizes with at most one -1")
        return self.reshape(self.shape[:axis] + sizes + self.shape[axis + 1:])

    def repeat(self, *sizes) -> "Tensor":
        """The tensor tiled sizes[d] times along each dim d, as torch.Tensor.repeat (np.tile): `sizes` may
        be longer than the shape, which then gets leading dims of size 1."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        sizes = tuple(_int_arg(n, "repeat: sizes") for n in sizes)
        if not sizes and self.ndim == 0:
            raise TypeError("repeat: missing the repeat sizes")
        if len(sizes) < self.ndim or any(n < 0 for n in sizes):
            raise ValueError(f"repeat: expected at least {self.ndim} non-negative sizes (one per dim of shape "
                             f"{self.shape}), got {sizes}")
        return apply(ops.Repeat, self, repeats=sizes)

    def repeat_interleave(self, repeats, dim: int | None = None, *, output_size: int | None = None) -> "Tensor":
        """Each element repeated in place: `repeats` an int, or an int tensor with one count per element
        along `dim` (the flattened tensor when dim is None)."""
        if dim is None:
            x, axis = self.reshape(-1), 0
        elif self.ndim == 0:
            raise IndexError(f"repeat_interleave: dim {dim} given for a 0-dim tensor")
        else:
            x, (axis,) = self, _normalize_dims(dim, self.ndim)
        counts = _repeat_counts(repeats, x.shape[axis])
        if output_size is not None and output_size != counts.sum():
            raise ValueError(f"repeat_interleave: output_size is {output_size}, but the repeats give "
                             f"{int(counts.sum())} elements along dim {axis}")
        return apply(ops.RepeatInterleave, x, repeats=counts, axis=axis)

    def _slice(self, axis: int, start: int, stop: int) -> "Tensor":
        """self[..., start:stop] along `axis`: basic slicing, a view."""
        return apply(ops.GetItem, self, key=(slice(None),) * axis + (slice(start, stop),), advanced=False)

    def narrow(self, dim: int, start: int, length: int) -> "Tensor":
        """The view of `length` elements from `start` along `dim` (start may be negative)."""
        if self.ndim == 0:
            raise ValueError("narrow: cannot be applied to a 0-dim tensor")
        (axis,) = _normalize_dims(dim, self.ndim)
        start, length, size = _int_arg(start, "narrow: start"), _int_arg(length, "narrow: length"), self.shape[axis]
        if not -size <= start <= size:
            raise IndexError(f"narrow: start {start} is out of range for dim {dim} of size {size} (expected in "
                             f"[{-size}, {size}])")
        start = start + size if start < 0 else start
        if length < 0 or start + length > size:
            raise ValueError(f"narrow: length {length} from start {start} does not fit dim {dim} of size {size} "
                             f"(expected 0 <= length <= {size - start})")
        return self._slice(axis, start, start + length)

    def split(self, split_size: "int | Sequence[int]", dim: int = 0) -> tuple["Tensor", ...]:
        """Views along `dim`: of split_size elements each (the last may be shorter), or of the given sizes,
        which must add up to the dim's size."""
        if self.ndim == 0:
            raise ValueError("split: expects a tensor with at least 1 dim, got a 0-dim tensor")
        (axis,) = _normalize_dims(dim, self.ndim)
        size = self.shape[axis]
        if isinstance(split_size, (int, np.integer)) and not isinstance(split_size, bool):
            step = int(split_size)
            if step < 0 or (step == 0 and size != 0):
                raise ValueError(f"split: split_size must be positive (0 only for a dim of size 0), got {step} for "
                                 f"dim {dim} of size {size}")
            sections = [min(step, size - start) for start in range(0, size, step)] if step else []
        elif isinstance(split_size, (list, tuple)):
            sections = [_int_arg(n, "split: split_size") for n in split_size]
            if any(n < 0 for n in sections) or sum(sections) != size:
                raise ValueError(f"split: sizes {sections} must be non-negative and add up to {size}, the size of "
                                 f"dim {dim}")
        else:
            raise TypeError(f"split: split_size must be an int or a list of ints, got {type(split_size).__name__}")
        starts = np.cumsum([0] + sections[:-1])
        return tuple(self._slice(axis, int(start), int(start) + n) for start, n in zip(starts, sections or [0]))

    def chunk(self, chunks: int, dim: int = 0) -> tuple["Tensor", ...]:
        """At most `chunks` views along `dim`, each of ceil(size / chunks) elements but the last (so fewer
        than `chunks` pieces can come back, as in PyTorch)."""
        if _int_arg(chunks, "chunk: chunks") <= 0:
            raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
        if self.ndim == 0:
            raise ValueError("chunk: expects a tensor with at least 1 dim, got a 0-dim tensor")
        (axis,) = _normalize_dims(dim, self.ndim)
        size = self.shape[axis]
        if size == 0:
            return tuple(self._slice(axis, 0, 0) for _ in range(chunks))
        return self.split(-(-size // chunks), axis)

    def unbind(self, dim: int = 0) -> tuple["Tensor", ...]:
        """The slices along `dim`, each without that dim."""
        if self.ndim == 0:
            raise IndexError("unbind: dim given but the tensor has no dimensions")
        (axis,) = _normalize_dims(dim, self.ndim)
        return tuple(apply(ops.GetItem, self, key=(slice(None),) * axis + (i,), advanced=False)
                     for i in range(self.shape[axis]))

    # -- indexing ---------------------------------------------------------------------------------
    def _index_key(self, key):
        """Turn a user key into a NumPy key, range-checking integer index arrays per dimension."""
        parts = key if isinstance(key, tuple) else (key,)
        converted, advanced = [], False
        consumes = sum(0 if p is None or p is Ellipsis else
                       (np.asarray(p._data if isinstance(p, Tensor) else p).ndim
                        if _is_bool_index(p) else 1) for p in parts)
        dim = 0
        for part in parts:
            if isinstance(part, Tensor):
                part = part._data
            elif isinstance(part, list):
                part = np.asarray(part)
            if part is Ellipsis:
                dim += self.ndim - consumes
            elif part is None:
                pass
            elif isinstance(part, np.ndarray):
                advanced = True
                if part.dtype.kind == "b":
                    dim += part.ndim
                elif part.dtype.kind in "iu":
                    if dim >= self.ndim:
                        raise IndexError(f"too many indices for a tensor of shape {self.shape}")
                    _check_index_array(part, self.shape[dim], dim)
                    dim += 1
                else:
                    raise IndexError(f"tensors used as indices must be integer or bool, got dtype {part.dtype}")
            elif isinstance(part, (int, np.integer)):
                if dim >= self.ndim:
                    raise IndexError(f"too many indices for a tensor of shape {self.shape}")
                if not -self.shape[dim] <= part < self.shape[dim]:
                    raise IndexError(f"index {part} is out of range for dimension {dim} with size {self.shape[dim]}")
                dim += 1
            else:
                dim += 1
            converted.append(part)
        return tuple(converted), advanced

    def __getitem__(self, key) -> "Tensor":
        np_key, advanced = self._index_key(key)
        return apply(ops.GetItem, self, key=np_key, advanced=advanced)

    def __setitem__(self, key, value) -> None:
        """In-place assignment (outside autograd, like the other in-place methods)."""
        self._check_inplace("__setitem__")
        np_key, _ = self._index_key(key)
        self._data[np_key] = value._data if isinstance(value, Tensor) else value
        self._version += 1

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # -- dtype, device, copies ----------------------------------------------------------------------
    def to(self, *args, dtype=None, **kwargs) -> "Tensor":
        """`.to(dtype)`, `.to("cpu")` / `.to(device)` (a no-op) or both."""
        for arg in args + tuple(kwargs.values()):
            if isinstance(arg, device) or (isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps")):
                device(arg)  # raises for anything but the CPU
            else:
                dtype = arg
        if dtype is None or as_dtype(dtype) == self.dtype:
            return self
        return apply(ops.Cast, self, dtype=as_dtype(dtype))

    def type(self, dtype) -> "Tensor":
        return self.to(dtype)

    def float(self) -> "Tensor":
        return self.to(np.float32)

    def double(self) -> "Tensor":
        return self.to(np.float64)

    def long(self) -> "Tensor":
        return self.to(np.int64)

    def int(self) -> "Tensor":
        return self.to(np.int32)

    def bool(self) -> "Tensor":
        return self.to(np.bool_)

    def cpu(self) -> "Tensor":
        return self

    def clone(self) -> "Tensor":
        return apply(ops.Cast, self, dtype=self.dtype)

    def contiguous(self) -> "Tensor":
        return self if self._data.flags.c_contiguous else self.clone()

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    def new_tensor(self, data, dtype=None, requires_grad: bool = False) -> "Tensor":
        return Tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None) -> "Tensor":
        return Tensor(np.zeros(_size(size), dtype=as_dtype(dtype) if dtype else self.dtype))

    def new_ones(self, *size, dtype=None) -> "Tensor":
        return Tensor(np.ones(_size(size), dtype=as_dtype(dtype) if dtype else self.dtype))

    def new_full(self, size, fill_value, dtype=None) -> "Tensor":
        return Tensor(np.full(_size((size,)), fill_value, dtype=as_dtype(dtype) if dtype else self.dtype))

    # -- in place, outside autograd -----------------------------------------------------------------
    def _check_inplace(self, name: str) -> None:
        if GRAD_MODE.enabled and self.requires_grad:
            raise RuntimeError(f"{name}: a tensor that requires grad cannot be changed in place while grad mode is "
                               "on; do it under `with fastgrad.no_grad():` or through `.data`")

    def _set(self, name: str, values) -> "Tensor":
        self._check_inplace(name)
        self._data[...] = values
        self._version += 1
        return self

    def add_(self, other, alpha: float = 1) -> "Tensor":
        other = other._data if isinstance(other, Tensor) else other
        return self._set("add_", self._data + (other if alpha == 1 else alpha * other))

    def sub_(self, other, alpha: float = 1) -> "Tensor":
        other = other._data if isinstance(other, Tensor) else other
        return self._set("sub_", self._data - (other if alpha == 1 else alpha * other))

    def mul_(self, other) -> "Tensor":
        return self._set("mul_", self._data * (other._data if isinstance(other, Tensor) else other))

    def div_(self, other) -> "Tensor":
        return self._set("div_", self._data / (other._data if isinstance(other, Tensor) else other))

    def zero_(self) -> "Tensor":
        return self._set("zero_", 0)

    def fill_(self, value) -> "Tensor":
        return self._set("fill_", value)

    def copy_(self, src) -> "Tensor":
        src = src._data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.broadcast_to(src, self.shape)
        except ValueError:
            raise ValueError(f"copy_: source shape {src.shape} cannot be broadcast to {self.shape}") from None
        return self._set("copy_", src)

    def clamp_(self, min: float | None = None, max: float | None = None) -> "Tensor":
        return self._set("clamp_", np.clip(self._data, min, max))

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        return self._set("uniform_", GENERATOR.rng.uniform(a, b, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        return self._set("normal_", GENERATOR.rng.normal(mean, std, self.shape))


graph.Tensor = Tensor


def _is_bool_index(part) -> bool:
    data = part._data if isinstance(part, Tensor) else part
    return isinstance(data, np.ndarray) and data.dtype.kind == "b"


def _size(size: Sequence) -> tuple[int, ...]:
    """Accept f(2, 3) and f((2, 3)) alike."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(int(s) for s in size)


def _repeat_counts(repeats, size: int) -> np.ndarray:
    """repeat_interleave's `repeats` (an int, or an int tensor of 1 or `size` counts) as `size` int64 counts."""
    if isinstance(repeats, Tensor):
        if repeats._data.dtype.kind not in "iu":
            raise TypeError(f"repeat_interleave: repeats must be an integer tensor, got dtype {repeats.dtype}")
        if repeats.ndim > 1 or repeats.numel() not in (1, size):
            raise ValueError(f"repeat_interleave: repeats must be an int or a 0-dim/1-dim tensor of 1 or {size} "
                             f"counts (the size of the repeated dim), got shape {repeats.shape}")
        counts = repeats._data
    elif isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        counts = np.asarray(repeats)
    else:
        raise TypeError(f"repeat_interleave: repeats must be an int or an integer tensor, got {type(repeats).__name__}")
    if (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must be non-negative, got {counts.tolist()}")
    return np.broadcast_to(counts.astype(np.int64).reshape(-1), (size,)).copy()


def _check_product_operands(name: str, a: Tensor, b: Tensor, ndim: int) -> None:
    """mm and bmm take tensors of exactly `ndim` dims and one dtype (PyTorch does not promote here)."""
    for arg, t in (("self", a), ("mat2", b)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: {arg} must be a Tensor, got {type(t).__name__}")
        if t.ndim != ndim:
            raise ValueError(f"{name}: {arg} must be a {ndim}-D tensor, got shape {t.shape}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: expected self and mat2 to have the same dtype, but got {a.dtype} != {b.dtype}")


# -- creation -------------------------------------------------------------------------------------
def tensor(data: Any, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data`; Python floats become float32 and ints int64."""
    array = np.array(data._data if isinstance(data, Tensor) else data)
    if dtype is None and array.dtype.kind == "f" and not isinstance(data, np.ndarray):
        dtype = default_float
    elif dtype is None and array.dtype.kind in "iu" and not isinstance(data, np.ndarray):
        dtype = int64
    return Tensor(array, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array, False, None)


def _filled(fill, size, dtype, requires_grad) -> Tensor:
    return Tensor(fill(_size(size), dtype=as_dtype(dtype) if dtype is not None else default_float),
                  requires_grad=requires_grad)


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _filled(np.zeros, size, dtype, requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _filled(np.ones, size, dtype, requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _filled(np.zeros, size, dtype, requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = default_float if isinstance(fill_value, float) else np.asarray(fill_value).dtype
    return Tensor(np.full(_size((size,)), fill_value, dtype=as_dtype(dtype)), requires_grad=requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(t.shape, dtype=as_dtype(dtype) if dtype else t.dtype), requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(t.shape, dtype=as_dtype(dtype) if dtype else t.dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = default_float if is_float else int64
    return Tensor(np.arange(start, end, step, dtype=as_dtype(dtype)), requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1) from fastgrad's seeded generator."""
    return Tensor(GENERATOR.rng.random(_size(size)), dtype=dtype or default_float, requires_grad=requires_grad)


def randn(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal from fastgrad's seeded generator."""
    return Tensor(GENERATOR.rng.standard_normal(_size(size)), dtype=dtype or default_float,
                  requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size=(), dtype=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return Tensor(GENERATOR.rng.integers(low, high, _size((size,))), dtype=dtype or int64)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of t's shape filled with `fill_value`, in t's dtype unless `dtype` is given."""
    return Tensor(np.full(t.shape, fill_value, dtype=as_dtype(dtype) if dtype else t.dtype), requires_grad=requires_grad)


def empty_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad)


def _random_like(name: str, draw, t: Tensor, dtype, requires_grad: bool) -> Tensor:
    dtype = as_dtype(dtype) if dtype else t.dtype
    if dtype.kind != "f":
        raise TypeError(f"{name}: needs a floating point dtype, got {dtype}; pass dtype=fastgrad.float32")
    return Tensor(draw(t.shape), dtype=dtype, requires_grad=requires_grad)


def rand_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), t's shape and (floating) dtype, from fastgrad's seeded generator."""
    return _random_like("rand_like", GENERATOR.rng.random, t, dtype, requires_grad)


def randn_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal, t's shape and (floating) dtype, from fastgrad's seeded generator."""
    return _random_like("randn_like", GENERATOR.rng.standard_normal, t, dtype, requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive (float32 unless `dtype` says otherwise).

    As PyTorch, the first half counts up from start and the second half down from end, so both ends
    are exact, and an integer dtype truncates toward zero."""
    steps = _int_arg(steps, "linspace: steps")
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    start, end = float(start), float(end)
    if steps == 1:
        values = np.array([start])
    else:
        step, index = (end - start) / (steps - 1), np.arange(steps)
        values = np.where(index < steps // 2, start + step * index, end - step * (steps - 1 - index))
    dtype = as_dtype(dtype) if dtype is not None else default_float
    return Tensor(np.trunc(values) if dtype.kind in "iu" else values, dtype=dtype, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    """The n x m (n x n when m is None) matrix with ones on the diagonal."""
    n = _int_arg(n, "eye: n")
    m = n if m is None else _int_arg(m, "eye: m")
    for name, value in (("n", n), ("m", m)):
        if value < 0:
            raise ValueError(f"eye: {name} must be >= 0, got {value}")
    return Tensor(np.eye(n, m, dtype=as_dtype(dtype) if dtype else default_float), requires_grad=requires_grad)

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
from fastgrad.autograd import graph, hooks
from fastgrad.autograd.graph import VersionCounter, apply, run_backward
from fastgrad.dtypes import as_dtype, can_cast_in_place, default_float, int64, result_type
from fastgrad.random import GENERATOR, draw_bernoulli, draw_multinomial, rng_of

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


def _one_dim(dim, ndim: int) -> int:
    """A single dim (an int, negative allowed) as a non-negative int."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    (axis,) = _normalize_dims(dim, ndim)
    return axis


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
    # _counter: the version counter of the memory (shared with views); _base: the tensor whose memory
    # this one views (None when it owns its memory).
    __slots__ = ("_data", "requires_grad", "grad", "_node", "_counter", "_base", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to the Tensor's reflected operator
    is_sparse = False

    def __init__(self, data: Any, dtype=None, requires_grad: bool = False):
        array = data._data if isinstance(data, Tensor) else np.asarray(data)
        if dtype is not None:
            array = array.astype(as_dtype(dtype), copy=False)
        elif array.dtype.kind == "f" and not isinstance(data, (np.ndarray, np.generic, Tensor)):
            array = array.astype(default_float, copy=False)  # Python floats become float32, as in PyTorch
        self._data = array
        self._node = None
        self._counter = VersionCounter()
        self._base = None
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
        t._counter = VersionCounter()
        t._base = None
        t.grad = None
        return t

    def _alias(self) -> "Tensor":
        """A new handle on the same memory and version counter, outside the graph."""
        t = Tensor._wrap(self._data, False, None)
        t._counter = self._counter
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
    def _version(self) -> int:
        """How many times this tensor's memory was changed in place (as PyTorch's `_version`)."""
        return self._counter.value

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

    def register_post_accumulate_grad_hook(self, hook) -> "hooks.RemovableHandle":
        """Call `hook(self)` in each backward once this leaf's `.grad` holds all of that backward's
        contributions (see fastgrad.autograd.hooks)."""
        return hooks.register_post_accumulate_grad_hook(self, hook)

    def detach(self) -> "Tensor":
        """The same values, cut from the graph (shares memory and its version counter)."""
        return self._alias()

    def detach_(self) -> "Tensor":
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError("detach_(): cannot detach a view of a tensor that requires grad in place; use detach()")
        self._node, self.requires_grad = None, False
        return self

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
            # A copy: the caller's array must never become (part of) a leaf's .grad.
            grad = np.array(gradient._data if isinstance(gradient, Tensor) else gradient, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward(): gradient has shape {grad.shape}, expected the output's shape {self.shape}")
        run_backward(self, grad, retain_graph)

    @property
    def data(self) -> "Tensor":
        """The values without autograd: in-place changes through it are not recorded (but they do
        count as changes for graphs that saved these values)."""
        return self._alias()

    @data.setter
    def data(self, value: "Tensor | np.ndarray") -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    # -- arithmetic -------------------------------------------------------------------------------
    def _operand(self, other) -> "Tensor":
        """Wrap a Python number, NumPy scalar or array for a binary op with this tensor."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (bool, int, float, np.generic)):
            return Tensor._wrap(np.array(other, dtype=result_type(self._data, other)), False, None)
        return Tensor._wrap(np.asarray(other), False, None)

    def _promoted(self, other: "Tensor") -> tuple["Tensor", "Tensor"]:
        """Both operands in the dtype PyTorch's promotion rules give (see fastgrad.dtypes.result_type)."""
        dtype = result_type(self._data, other._data)
        return (self if self._data.dtype == dtype else self.to(dtype),
                other if other._data.dtype == dtype else other.to(dtype))

    def _binary(self, op, other, reflected: bool = False) -> "Tensor":
        if type(other) is not Tensor:
            other = self._operand(other)
        if other._data.dtype != self._data.dtype:  # the common case, equal dtypes, skips promotion
            self, other = self._promoted(other)
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
        _refuse_bool_subtraction(self, other)
        return self._binary(ops.Sub, other)

    def __rsub__(self, other):
        _refuse_bool_subtraction(self, other)
        return self._binary(ops.Sub, other, reflected=True)

    def __mul__(self, other):
        return self._binary(ops.Mul, other)

    def __rmul__(self, other):
        return self._binary(ops.Mul, other, reflected=True)

    def __truediv__(self, other):
        return self._divide(other, reflected=False)

    def __rtruediv__(self, other):
        return self._divide(other, reflected=True)

    def _divide(self, other, reflected: bool) -> "Tensor":
        """True division: promoted as usual, then floating (integers give the default float dtype)."""
        other = self._operand(other)
        dtype = result_type(self._data, other._data)
        if dtype.kind != "f":
            dtype = default_float
        a = self if self._data.dtype == dtype else self.to(dtype)
        return a._binary(ops.Div, other if other._data.dtype == dtype else other.to(dtype), reflected)

    def __pow__(self, other):
        return self._binary(ops.Pow, other)

    def __rpow__(self, other):
        return self._binary(ops.Pow, other, reflected=True)

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(self._operand(other), self)

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

    def _arg_extremum(self, name: str, arg, dim, keepdim: bool) -> "Tensor":
        """argmax/argmin: the index of the first extreme element (the first NaN, if any, as PyTorch), in
        the flattened tensor when dim is None."""
        if self._data.dtype.kind == "b":
            raise TypeError(f"{name}: bool tensors are not supported; convert with .long() first")
        if dim is None:
            if self._data.size == 0:
                raise IndexError(f"{name}: an empty tensor (shape {self.shape}) needs a dim to reduce over")
            out = arg(self._data.reshape(-1)).reshape((1,) * self.ndim if keepdim else ())
        else:
            axis = _one_dim(dim, self.ndim)
            data = self._data.reshape(-1) if self.ndim == 0 else self._data
            if data.shape[axis] == 0:
                raise IndexError(f"{name}: dim {dim} has size 0 in shape {self.shape}; there is no extreme element")
            out = arg(data, axis=axis, keepdims=keepdim)
            out = out.reshape(()) if self.ndim == 0 else out  # a 0-d input gives a 0-d index, keepdim or not
        return Tensor._wrap(np.asarray(out, dtype=np.int64), False, None)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return self._arg_extremum("argmax", np.argmax, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return self._arg_extremum("argmin", np.argmin, dim, keepdim)

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
        """x[key] = value in place; recorded by autograd when grad mode is on and x or value requires grad."""
        np_key, _ = self._index_key(key)
        self._put(np_key, value, accumulate=False, name="__setitem__")

    def index_put_(self, indices, values, accumulate: bool = False) -> "Tensor":
        """x[indices] = values (or += with accumulate, repeated indices adding up), as PyTorch's."""
        if not isinstance(indices, (tuple, list)):
            raise TypeError(f"index_put_: indices must be a tuple of tensors, got {type(indices).__name__}")
        np_key, _ = self._index_key(tuple(indices))
        return self._put(np_key, values, accumulate, "index_put_")

    def _put(self, np_key, value, accumulate: bool, name: str) -> "Tensor":
        value = value if isinstance(value, Tensor) else Tensor._wrap(np.asarray(value, dtype=self.dtype), False, None)
        if not (GRAD_MODE.enabled and (self.requires_grad or value.requires_grad)):
            if accumulate:
                np.add.at(self._data, np_key, value._data)
            else:
                self._data[np_key] = value._data
            self._counter.value += 1
            return self
        if value._data.dtype != self._data.dtype:
            value = value.to(self._data.dtype)
        return graph.apply_inplace(ops.IndexPut, name, self, value, key=np_key, accumulate=accumulate)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def gather(self, dim: int, index: "Tensor") -> "Tensor":
        """out[i][j] = self[i][index[i][j]] for dim=1; the gradient scatter-adds back."""
        return apply(ops.Gather, self, dim=_one_dim(dim, self.ndim), index=_index_array("gather", index))

    def scatter(self, dim: int, index: "Tensor", src: "Tensor | float | None" = None, value: float | None = None, *,
                reduce: str | None = None) -> "Tensor":
        """A copy with src[i][j] (or the number `value`) written at [i][index[i][j]] for dim=1."""
        if reduce is not None:
            raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported; use scatter_add for sums")
        if (src is None) == (value is None):
            raise TypeError("scatter: expected exactly one of src (a tensor or number) and value (a number)")
        index_array = _index_array("scatter", index)
        if not isinstance(src, Tensor):
            fill = _fill_value("scatter", src if value is None else value, self.dtype)
            src = Tensor._wrap(np.full(index_array.shape, fill), False, None)
        return apply(ops.Scatter, self, src, dim=_one_dim(dim, self.ndim), index=index_array)

    def scatter_add(self, dim: int, index: "Tensor", src: "Tensor") -> "Tensor":
        """A copy with src[i][j] added at [i][index[i][j]] for dim=1 (repeated indices accumulate)."""
        if not isinstance(src, Tensor):
            raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
        return apply(ops.ScatterAdd, self, src, dim=_one_dim(dim, self.ndim), index=_index_array("scatter_add", index))

    def index_select(self, dim: int, index: "Tensor") -> "Tensor":
        """The slices along dim picked by the 1-D index, in its order (repeats allowed)."""
        return apply(ops.IndexSelect, self, dim=_one_dim(dim, self.ndim), index=_index_array("index_select", index))

    def index_add(self, dim: int, index: "Tensor", source: "Tensor", *, alpha: float = 1) -> "Tensor":
        """A copy with alpha * source's slices along dim added to the slices named by the 1-D index."""
        if not isinstance(source, Tensor):
            raise TypeError(f"index_add: source must be a Tensor, got {type(source).__name__}")
        return apply(ops.IndexAdd, self, source, dim=_one_dim(dim, self.ndim), index=_index_array("index_add", index),
                     alpha=alpha)

    def index_add_(self, dim: int, index: "Tensor", source: "Tensor", *, alpha: float = 1) -> "Tensor":
        """index_add in place (recorded by autograd on tensors that are not leaves)."""
        if not isinstance(source, Tensor):
            raise TypeError(f"index_add_: source must be a Tensor, got {type(source).__name__}")
        return graph.apply_inplace(ops.IndexAdd, "index_add_", self, source, dim=_one_dim(dim, self.ndim),
                                   index=_index_array("index_add_", index), alpha=alpha)

    def masked_fill(self, mask: "Tensor", value: "float | Tensor") -> "Tensor":
        """A copy with `value` (a number, or a 0-d tensor, which then gets a gradient) where the bool
        mask is True; self and mask broadcast."""
        fill, attrs = self._masked_fill_args("masked_fill", mask, value)
        return apply(ops.MaskedFill, self, fill, **attrs)

    def masked_fill_(self, mask: "Tensor", value: "float | Tensor") -> "Tensor":
        """masked_fill in place (recorded by autograd on tensors that are not leaves)."""
        fill, attrs = self._masked_fill_args("masked_fill_", mask, value)
        return graph.apply_inplace(ops.MaskedFill, "masked_fill_", self, fill, **attrs)

    def _masked_fill_args(self, name: str, mask, value) -> tuple["Tensor", dict]:
        mask_array = _mask_array(name, mask, self.shape)
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise ValueError(f"{name}: value must be a number or a 0-d tensor, got a tensor of shape {value.shape}")
            fill = value.to(self.dtype)
        else:
            fill = Tensor._wrap(_fill_value(name, value, self.dtype), False, None)
        return fill, {"mask": mask_array}

    def masked_select(self, mask: "Tensor") -> "Tensor":
        """The elements where the bool mask is True (self and mask broadcast), as a 1-D tensor."""
        return apply(ops.MaskedSelect, self, mask=_mask_array("masked_select", mask, self.shape))

    def nonzero(self, *, as_tuple: bool = False) -> "Tensor | tuple[Tensor, ...]":
        """The indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor per dim."""
        if as_tuple:  # a 0-d tensor counts as 1-d here, as in PyTorch
            return tuple(Tensor._wrap(i, False, None) for i in np.nonzero(np.atleast_1d(self._data)))
        return Tensor._wrap(np.argwhere(self._data), False, None)

    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> ValuesIndices:
        """(values, indices) sorted along dim; always stable, so `stable` changes nothing. NaN sorts as
        the largest value. The values' gradient goes back to the positions the indices name."""
        axis = _one_dim(dim, self.ndim)
        order = apply(ops.Argsort, self, dim=axis, descending=descending)._data
        return self._take_ordered(axis, order)

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> "Tensor":
        """The indices that sort along dim (always stable; NaN sorts as the largest value)."""
        return apply(ops.Argsort, self, dim=_one_dim(dim, self.ndim), descending=descending)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
        """(values, indices) of the k largest (or smallest) elements along dim, always best first, which
        also satisfies sorted=False. NaN counts as the largest value."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"topk: k must be an int, got {type(k).__name__}")
        if self._data.dtype.kind == "b":
            raise TypeError("topk: bool tensors are not supported; convert with .long() first")
        axis = _one_dim(dim, self.ndim)
        size = self.shape[axis] if self.ndim else 1
        if not 0 <= k <= size:
            raise ValueError(f"topk: k must be in [0, {size}] (the size of dim {dim}), got {k}")
        order = apply(ops.Argsort, self, dim=axis, descending=largest)._data
        return self._take_ordered(axis, order[(slice(None),) * axis + (slice(0, k),)] if self.ndim else order)

    def _take_ordered(self, axis: int, indices: np.ndarray) -> ValuesIndices:
        """(values, indices) with values gathered at `indices` along axis: the gradient flows back to
        the positions the indices name. The returned indices are a copy of the ones backward uses."""
        values = apply(ops.Gather, self, dim=axis, index=indices)
        return ValuesIndices(values, Tensor._wrap(indices.copy(), False, None))

    def tril(self, diagonal: int = 0) -> "Tensor":
        """The lower triangle of the last two dims (on and below `diagonal`), zeros above it."""
        return apply(ops.Tril, self, diagonal=self._diagonal("tril", diagonal))

    def triu(self, diagonal: int = 0) -> "Tensor":
        """The upper triangle of the last two dims (on and above `diagonal`), zeros below it."""
        return apply(ops.Triu, self, diagonal=self._diagonal("triu", diagonal))

    def _diagonal(self, name: str, diagonal) -> int:
        if self.ndim < 2:
            raise ValueError(f"{name}: input must have at least 2 dims, got shape {self.shape}")
        if isinstance(diagonal, bool) or not isinstance(diagonal, (int, np.integer)):
            raise TypeError(f"{name}: diagonal must be an int, got {type(diagonal).__name__}")
        return int(diagonal)

    def flip(self, *dims) -> "Tensor":
        """A copy reversed along dims (`x.flip(0, 1)` or `x.flip((0, 1))`)."""
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        axes = _normalize_dims(dims, self.ndim)
        return apply(ops.Flip, self, axes=axes if self.ndim else ())  # a 0-d tensor has nothing to reverse

    def roll(self, shifts, dims=None) -> "Tensor":
        """Elements shifted cyclically by shifts[i] along dims[i]; without dims, over the flattened
        tensor (then shifts must be one number)."""
        shift_tuple = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in shift_tuple):
            raise TypeError(f"roll: shifts must be an int or a sequence of ints, got {shifts!r}")
        if dims is None:
            if len(shift_tuple) != 1:
                raise ValueError(f"roll: without dims, shifts must be a single number, got {shifts}")
            return apply(ops.Roll, self, shifts=int(shift_tuple[0]), axes=None)
        dim_tuple = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if len(dim_tuple) != len(shift_tuple) or not dim_tuple:
            raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same, non-zero length")
        if self.ndim == 0:
            raise IndexError(f"roll: dims {dims} given, but a 0-d tensor has no dims")
        axes = tuple(_one_dim(d, self.ndim) for d in dim_tuple)  # a dim may repeat: its shifts add up
        return apply(ops.Roll, self, shifts=tuple(int(s) for s in shift_tuple), axes=axes)

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

    # -- in place ------------------------------------------------------------------------------------
    # Arithmetic and activations in place follow autograd's rules (fastgrad.autograd.graph.apply_inplace):
    # recorded when grad mode is on, refused on a leaf that requires grad. Under no_grad they are the
    # parameter updates of a training loop. Every change bumps the memory's version counter.
    def _inplace_binary(self, name: str, op, other) -> "Tensor":
        other = self._operand(other)
        dtype = result_type(self._data, other._data)
        if not can_cast_in_place(dtype, self._data.dtype):
            raise RuntimeError(f"{name}: result type {dtype} can't be cast to the desired output type {self.dtype}")
        if other._data.dtype != self._data.dtype:
            other = other.to(self._data.dtype)
        return graph.apply_inplace(op, name, self, other)

    def add_(self, other, alpha: float = 1) -> "Tensor":
        return self._inplace_binary("add_", ops.Add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha: float = 1) -> "Tensor":
        return self._inplace_binary("sub_", ops.Sub, other if alpha == 1 else other * alpha)

    def mul_(self, other) -> "Tensor":
        return self._inplace_binary("mul_", ops.Mul, other)

    def div_(self, other) -> "Tensor":
        return self._inplace_binary("div_", ops.Div, other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def exp_(self) -> "Tensor":
        return graph.apply_inplace(ops.Exp, "exp_", self)

    def relu_(self) -> "Tensor":
        return graph.apply_inplace(ops.Relu, "relu_", self)

    def tanh_(self) -> "Tensor":
        return graph.apply_inplace(ops.Tanh, "tanh_", self)

    def sigmoid_(self) -> "Tensor":
        return graph.apply_inplace(ops.Sigmoid, "sigmoid_", self)

    def clamp_(self, min: float | None = None, max: float | None = None) -> "Tensor":
        if min is None and max is None:
            raise ValueError("clamp_: at least one of min and max must be given")
        return graph.apply_inplace(ops.Clamp, "clamp_", self, low=min, high=max)

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def fill_(self, value) -> "Tensor":
        value = value._data if isinstance(value, Tensor) else value
        return graph.apply_inplace(ops.Fill, "fill_", self, value=value)

    def copy_(self, src) -> "Tensor":
        src = src if isinstance(src, Tensor) else Tensor._wrap(np.asarray(src), False, None)
        try:
            np.broadcast_to(src._data, self.shape)
        except ValueError:
            raise ValueError(f"copy_: source shape {src.shape} cannot be broadcast to {self.shape}") from None
        return graph.apply_inplace(ops.CopyFrom, "copy_", self, src)

    # Random fills are not differentiable: refused on a tensor that requires grad in grad mode.
    def _check_inplace(self, name: str) -> None:
        if GRAD_MODE.enabled and self.requires_grad:
            raise RuntimeError(f"{name}: a tensor that requires grad cannot be changed in place while grad mode is "
                               "on; do it under `with fastgrad.no_grad():`")

    def _set(self, name: str, values) -> "Tensor":
        self._check_inplace(name)
        self._data[...] = values
        self._counter.value += 1
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        return self._set("uniform_", GENERATOR.rng.uniform(a, b, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        return self._set("normal_", GENERATOR.rng.normal(mean, std, self.shape))

    # -- sampling (no gradient; `generator=None` draws from fastgrad's global generator) -------------
    def bernoulli_(self, p: "float | Tensor" = 0.5, *, generator=None) -> "Tensor":
        """Fill with 1 with probability p (a number, or a tensor broadcast to this shape), else 0."""
        if isinstance(p, Tensor):
            probs = p._data
        elif isinstance(p, (int, float, np.number)) and not isinstance(p, bool):
            probs = np.asarray(p, dtype=np.float64)
        else:
            raise TypeError(f"bernoulli_: p must be a number or a Tensor, got {type(p).__name__}")
        try:
            np.broadcast_to(probs, self.shape)
        except ValueError:
            raise ValueError(f"bernoulli_: p of shape {probs.shape} cannot be broadcast to {self.shape}") from None
        return self._set("bernoulli_", draw_bernoulli(rng_of(generator), probs, self.shape))

    def bernoulli(self, p: float | None = None, *, generator=None) -> "Tensor":
        """0/1 draws of this dtype: 1 with the probability each element holds, or with p everywhere."""
        if p is not None:
            return zeros_like(self).bernoulli_(p, generator=generator)
        if self._data.dtype.kind != "f":
            raise TypeError(f"bernoulli: probabilities must be a floating point tensor, got dtype {self.dtype}")
        draws = draw_bernoulli(rng_of(generator), self._data, self.shape)
        return Tensor._wrap(draws.astype(self.dtype), False, None)

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None) -> "Tensor":
        """int64 category ids drawn from each row of these 1-D or 2-D non-negative weights."""
        return Tensor._wrap(draw_multinomial(rng_of(generator), self._data, num_samples, replacement), False, None)


graph.Tensor = Tensor


def _refuse_bool_subtraction(a: Tensor, b) -> None:
    if a._data.dtype == np.bool_ or isinstance(b, (bool, np.bool_)) or (isinstance(b, Tensor) and b.dtype == np.bool_):
        raise RuntimeError("subtraction (the - operator) with a bool tensor is not supported; "
                           "use ~ or logical_not() to invert a bool tensor")


def _matmul(a: Tensor, b) -> Tensor:
    """a @ b; both operands must have one dtype, as PyTorch requires of matrix products."""
    b = a._operand(b)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"matmul: expected both operands to have the same dtype, but got {a.dtype} and {b.dtype}")
    return a._binary(ops.Matmul, b)


def _is_bool_index(part) -> bool:
    data = part._data if isinstance(part, Tensor) else part
    return isinstance(data, np.ndarray) and data.dtype.kind == "b"


def _index_array(name: str, index) -> np.ndarray:
    """An int64 copy of an index tensor (int32 is accepted too, as in PyTorch). A copy, so that changing
    the index tensor in place later cannot change where backward sends the gradient."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}: index must be a Tensor, got {type(index).__name__}")
    if index.dtype not in (np.int64, np.int32):
        raise TypeError(f"{name}: index must be an int64 (or int32) tensor, got dtype {index.dtype}")
    return index._data.astype(np.int64)


def _mask_array(name: str, mask, shape: tuple) -> np.ndarray:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name}: mask must be a Tensor, got {type(mask).__name__}")
    if mask.dtype != np.bool_:
        raise TypeError(f"{name}: mask must be a bool tensor, got dtype {mask.dtype}")
    try:
        np.broadcast_shapes(shape, mask.shape)
    except ValueError:
        raise ValueError(f"{name}: mask of shape {mask.shape} cannot be broadcast with input of shape "
                         f"{shape}") from None
    return mask._data


def _fill_value(name: str, value, dtype: np.dtype) -> np.ndarray:
    """A Python number as a 0-d array of `dtype`. Floats written into integer tensors are truncated
    (as PyTorch), but a value the dtype cannot hold is an error, never a wrapped-around number."""
    if isinstance(value, Tensor) or not isinstance(value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"{name}: value must be a number, got {type(value).__name__}")
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        fits = not (isinstance(value, float) and not np.isfinite(value)) and info.min <= value <= info.max
    elif dtype.kind == "f":
        fits = not np.isfinite(value) or abs(value) <= float(np.finfo(dtype).max)
    else:
        fits = True
    if not fits:
        raise ValueError(f"{name}: value {value} cannot be converted to {dtype} without overflow")
    return np.array(value).astype(dtype)


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
    """A new tensor holding a copy of `data`. As in PyTorch, Python floats become float32 and ints
    int64, while arrays, tensors and NumPy scalars (also inside lists) keep their dtype."""
    array = np.array(data._data if isinstance(data, Tensor) else data)
    if dtype is None and array.dtype.kind in "fiu" and not _has_own_dtype(data):
        dtype = default_float if array.dtype.kind == "f" else int64
    return Tensor(array, dtype=dtype, requires_grad=requires_grad)


def _has_own_dtype(data) -> bool:
    """Whether `data` carries a dtype of its own (an array, a tensor, a NumPy scalar, or a list of them)."""
    if isinstance(data, (np.ndarray, np.generic, Tensor)):
        return True
    if isinstance(data, (list, tuple)) and data:
        return _has_own_dtype(data[0])
    return False


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


def randint_like(input: Tensor, low: int | None = None, high: int | None = None, *, dtype=None, generator=None,
                 requires_grad: bool = False) -> Tensor:
    """Integers uniform in [low, high) in input's shape (and dtype, unless given); `randint_like(x, 10)`
    draws from [0, 10)."""
    if high is None:
        if low is None:
            raise TypeError("randint_like: missing the upper bound high")
        low, high = 0, low
    low = 0 if low is None else low
    for bound_name, bound in (("low", low), ("high", high)):
        if isinstance(bound, bool) or not isinstance(bound, (int, np.integer)):
            raise TypeError(f"randint_like: {bound_name} must be an int, got {type(bound).__name__}")
    if low >= high:
        raise ValueError(f"randint_like: low must be less than high, got low={low}, high={high}")
    dtype = as_dtype(dtype) if dtype is not None else input.dtype
    if dtype.kind in "iub":
        smallest, largest = (0, 1) if dtype.kind == "b" else (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
        if low < smallest or high - 1 > largest:
            raise ValueError(f"randint_like: [{low}, {high}) does not fit dtype {dtype} "
                             f"(range [{smallest}, {largest}])")
    values = rng_of(generator).integers(low, high, input.shape)
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def randperm(n: int, *, dtype=int64, generator=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0, ..., n-1."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"randperm: n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    dtype = as_dtype(dtype)
    if dtype.kind not in "iuf":
        raise TypeError(f"randperm: dtype must be an integer or floating point type, got {dtype}")
    largest = np.iinfo(dtype).max if dtype.kind != "f" else 2 ** (np.finfo(dtype).nmant + 1)  # exact integers
    if n - 1 > largest:
        raise ValueError(f"randperm: n={n} is too large for dtype {dtype} (its largest exact value is {largest})")
    return Tensor(rng_of(generator).permutation(n).astype(dtype), requires_grad=requires_grad)


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

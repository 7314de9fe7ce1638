"""Elementwise math and softmax as Tensor methods: each calls one op of the op table."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fastgrad import ops
from fastgrad.autograd import graph
from fastgrad.autograd.graph import apply
from fastgrad.tensor_methods.arguments import normalize_dims

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor


class MathMethods:
    __slots__ = ()  # Tensor keeps no __dict__

    # exp, log, sqrt and tanh of integers are float32, as in PyTorch (NumPy would give float64)
    def exp(self):
        return apply(ops.Exp, self._floating())

    def log(self):
        return apply(ops.Log, self._floating())

    def sqrt(self):
        return apply(ops.Sqrt, self._floating())

    def abs(self):
        return apply(ops.Abs, self)

    def tanh(self):
        return apply(ops.Tanh, self._floating())

    def sigmoid(self):
        return apply(ops.Sigmoid, self)

    def relu(self):
        return apply(ops.Relu, self)

    def clamp(self, min=None, max=None) -> "Tensor":
        """Each element limited to [min, max]. Number bounds are one op; tensor (or array) bounds broadcast
        and get their gradient where they clip, the input where it is inside (ties go to the input), as
        in PyTorch."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        numbers = [isinstance(bound, (int, float, np.generic)) for bound in (min, max) if bound is not None]
        if all(numbers):
            # an integer tensor with a float bound is clamped as float32 (PyTorch's promotion; NumPy's gives float64)
            floats = any(isinstance(bound, (float, np.floating)) for bound in (min, max))
            return apply(ops.Clamp, self._floating() if floats else self, low=min, high=max)
        if any(numbers):
            raise TypeError(f"clamp: min and max must both be numbers or both be tensors, got "
                            f"{type(min).__name__} and {type(max).__name__}")
        from fastgrad.functions import where  # (functions imports the Tensor class, which this module builds)

        clamped = self
        if min is not None:  # a NaN bound gives NaN, as in PyTorch
            low = self._operand(min)
            clamped = where((clamped < low) | (low != low), low, clamped)
        if max is not None:
            high = self._operand(max)
            clamped = where((clamped > high) | (high != high), high, clamped)
        return clamped

    clip = clamp

    def clamp_min(self, min) -> "Tensor":
        return self.clamp(min=min)

    def clamp_max(self, max) -> "Tensor":
        return self.clamp(max=max)

    # Rounding: integers are returned as they are (a copy), bools refused, as in PyTorch; the gradient is zero.
    def _rounded(self, mode: str, decimals: int = 0) -> "Tensor":
        if self._data.dtype.kind == "b":
            raise TypeError(f"{mode}: not defined for bool tensors")
        if self._data.dtype.kind != "f":
            if decimals:
                raise TypeError(f"round: decimals={decimals} needs a floating point tensor, got dtype {self.dtype}")
            return self.clone()
        return apply(ops.Round, self, mode=mode, decimals=decimals)

    def floor(self) -> "Tensor":
        return self._rounded("floor")

    def ceil(self) -> "Tensor":
        return self._rounded("ceil")

    def trunc(self) -> "Tensor":
        return self._rounded("trunc")

    def round(self, decimals: int = 0) -> "Tensor":
        """Half to even, as PyTorch (and NumPy): round(2.5) is 2; with decimals, at that many places."""
        if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
            raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__}")
        return self._rounded("round", int(decimals))

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

    # NaN/inf tests give bool tensors outside the graph, like the comparisons.
    def isnan(self) -> "Tensor":
        return graph.Tensor._wrap(np.isnan(self._data), False, None)

    def isinf(self) -> "Tensor":
        return graph.Tensor._wrap(np.isinf(self._data), False, None)

    def isfinite(self) -> "Tensor":
        return graph.Tensor._wrap(np.isfinite(self._data), False, None)

    # Whole-tensor comparisons (PyTorch's equal, isclose, allclose), outside the graph.
    def equal(self, other: "Tensor") -> bool:
        """Whether other has self's shape and the same values (NaN equals nothing); dtypes may differ."""
        if not isinstance(other, graph.Tensor):
            raise TypeError(f"equal: other must be a Tensor, got {type(other).__name__}")
        return self.shape == other.shape and bool(np.array_equal(self._data, other._data))

    def isclose(self, other: "Tensor", rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> "Tensor":
        """|self - other| <= atol + rtol * |other| elementwise (broadcast), as a bool tensor. As in PyTorch,
        both must be tensors of one dtype (a float32 result compared with a float64 one is a mistake)."""
        if not isinstance(other, graph.Tensor):
            raise TypeError(f"isclose: other must be a Tensor, got {type(other).__name__}")
        if other.dtype != self.dtype:
            raise RuntimeError(f"isclose: self has dtype {self.dtype} but other has dtype {other.dtype}; "
                               "convert one with .to()")
        try:
            close = np.isclose(self._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan)
        except ValueError:
            raise ValueError(f"isclose: shapes {self.shape} and {other.shape} cannot be broadcast together") from None
        return graph.Tensor._wrap(np.asarray(close), False, None)

    def allclose(self, other: "Tensor", rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        """Whether isclose holds everywhere."""
        return bool(self.isclose(other, rtol, atol, equal_nan)._data.all())

    def softmax(self, dim: int, dtype=None) -> "Tensor":
        return self._softmax_family(ops.Softmax, "softmax", dim, dtype)

    def log_softmax(self, dim: int, dtype=None) -> "Tensor":
        return self._softmax_family(ops.LogSoftmax, "log_softmax", dim, dtype)

    def _softmax_family(self, op, name: str, dim: int, dtype) -> "Tensor":
        x = self if dtype is None else self.to(dtype)
        x._check_floating(name)
        (axis,) = normalize_dims(dim, x.ndim)
        if x.ndim == 0:  # the softmax of one number, over its only "dim"
            return apply(op, x.reshape(1), axis=0).reshape(())
        return apply(op, x, axis=axis)

"""Elementwise math and softmax as Tensor methods: each calls one op of the op table."""
from __future__ import annotations

import math
from collections import namedtuple
from typing import TYPE_CHECKING

import numpy as np

from fastgrad import ops
from fastgrad.autograd import graph
from fastgrad.autograd.graph import apply
from fastgrad.dtypes import checked_cast, get_default_dtype, result_type
from fastgrad.ops.no_derivative import NoDerivative
from fastgrad.tensor_methods.arguments import (bool_as_number, broadcast_error, int_arg, normalize_dims,
                                               number_of_dtype, one_dim, real_arg, torch_number)

Frexp = namedtuple("Frexp", ["mantissa", "exponent"])

if TYPE_CHECKING:
    from fastgrad.tensor import Tensor


class MathMethods:
    __slots__ = ()  # Tensor keeps no __dict__

    # exp, log, sqrt and tanh of integers are in the default float dtype, as in PyTorch (NumPy's: float64)
    def exp(self):
        return apply(ops.Exp, self._floating())

    def log(self):
        return apply(ops.Log, self._floating())

    def sqrt(self):
        return apply(ops.Sqrt, self._floating())

    def abs(self):
        self._refuse_bool("abs")
        return apply(ops.Abs, self)

    absolute = abs

    def tanh(self):
        return apply(ops.Tanh, self._floating())

    def sigmoid(self):
        return apply(ops.Sigmoid, self._floating())

    def relu(self):
        return apply(ops.Relu, self)

    def clamp(self, min=None, max=None) -> "Tensor":
        """Each element limited to [min, max]. Number bounds are one op; tensor (or array) bounds broadcast
        and get their gradient where they clip, the input where it is inside (ties go to the input), as
        in PyTorch."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        min, max = (self._real_bound("clamp", label, bound) for label, bound in (("min", min), ("max", max)))
        numbers = [isinstance(bound, (int, float, np.generic)) for bound in (min, max) if bound is not None]
        if all(numbers):
            # an integer tensor with a float bound is clamped in the default float dtype (PyTorch's promotion)
            floats = any(isinstance(bound, (float, np.floating)) for bound in (min, max))
            if floats:
                floating = self._floating()
                return apply(ops.Clamp, floating, **self._float_bounds("clamp", min, max, floating._data.dtype))
            if self._data.dtype.kind == "b":  # (a bool tensor's number bounds must not be cast to bool: -5 is True)
                if all(isinstance(bound, (bool, np.bool_)) for bound in (min, max) if bound is not None):
                    raise NotImplementedError("clamp: not implemented for a bool tensor with bool bounds (as PyTorch's)")
                return self.long().clamp(min, max)  # bool with an int is int64, PyTorch's promotion
            return apply(ops.Clamp, self, **self._integer_bounds("clamp", min, max))
        if any(numbers):
            raise TypeError(f"clamp: min and max must both be numbers or both be tensors, got "
                            f"{type(min).__name__} and {type(max).__name__}")
        low, high = (None if bound is None else self._operand(bound) for bound in (min, max))
        if low is not None and high is not None and all(t._data.dtype.kind == "b" for t in (self, low, high)):
            raise NotImplementedError("clamp: not implemented for a bool tensor with bool bounds (as PyTorch's)")
        # the three promoted at once, as PyTorch's: pairwise, a 0-d int64 input would win over a bool low bound
        # before a uint8 high bound was seen, which wins over the two together
        dtype = result_type(*(t._data for t in (self, low, high) if t is not None))
        x, low, high = (None if t is None else t if t._data.dtype == dtype else t.to(dtype) for t in (self, low, high))
        given = {name: t for name, t in (("low", low), ("high", high)) if t is not None}
        try:
            np.broadcast_shapes(*(t.shape for t in (self, low, high) if t is not None))
        except ValueError:
            given_names = " and ".join(name for name, t in (("input", self), ("min", low), ("max", high)) if t is not None)
            raise broadcast_error(f"clamp: {given_names}", *(t.shape for t in (self, low, high) if t is not None)) \
                from None
        return apply(ops.ClampBetweenTensors, x, *given.values(), bounds=tuple(given))

    clip = clamp

    def _integer_bounds(self, name: str, low, high) -> dict:
        """clamp's number bounds in self's dtype (low and high, for ops.Clamp): as PyTorch, an integer bound the
        dtype cannot hold is refused, not wrapped around (-1 is 255 for uint8, PyTorch's one leniency)."""
        return {label: None if bound is None else checked_cast(np.asarray(bound), self._data.dtype, name)[()]
                for label, bound in (("low", low), ("high", high))}

    @staticmethod
    def _float_bounds(name: str, low, high, dtype: np.dtype) -> dict:
        """clamp's number bounds, one of them a float, for ops.Clamp on a tensor of `dtype`: as PyTorch, a bound the
        dtype cannot hold (1e300 for float32) is refused, not made infinite."""
        for bound in (low, high):
            if bound is not None:
                number_of_dtype(name, bound, dtype)
        return {"low": low, "high": high}

    def _real_bound(self, name: str, label: str, bound):
        """A complex number bound (Python's, NumPy's complex128) as PyTorch's clamp takes it: its real part when the
        imaginary part is 0 and the tensor floating point; refused otherwise, with PyTorch's exception types, which
        differ by op (clamp_ of an integer tensor: RuntimeError; clamp: NotImplementedError) and for a non-zero
        imaginary part on a float tensor (RuntimeError). A NumPy bool is a float, as PyTorch reads it."""
        if not isinstance(bound, complex):
            return torch_number(bound)
        if self._data.dtype.kind != "f" and name == "clamp_":  # (PyTorch's clamp_ promotes first)
            raise RuntimeError(f"{name}: {label} must be a real number for a tensor of dtype {self.dtype}, got "
                               f"{bound!r} (a complex result can't be cast to the tensor's dtype, as in PyTorch)")
        if self._data.dtype.kind != "f":
            raise NotImplementedError(f"{name}: {label} must be a real number for a tensor of dtype {self.dtype}, "
                                      f"got {bound!r} (clamp is not supported for complex types, as in PyTorch)")
        if bound.imag != 0:
            raise RuntimeError(f"{name}: {label} must be a real number, got {bound!r}, whose imaginary part is not 0")
        return float(bound.real)

    def clamp_min(self, min) -> "Tensor":
        if isinstance(min, complex):  # (PyTorch's clamp_min has no complex kernel, where clamp takes (3+0j))
            raise NotImplementedError(f"clamp_min: min must be a real number, got {min!r} (clamp_min is not "
                                      "supported for complex types, as in PyTorch)")
        return self.clamp(min=min)

    def clamp_max(self, max) -> "Tensor":
        if isinstance(max, complex):
            raise NotImplementedError(f"clamp_max: max must be a real number, got {max!r} (clamp_max is not "
                                      "supported for complex types, as in PyTorch)")
        return self.clamp(max=max)

    # Rounding: integers are returned as they are (a copy), bools refused, as in PyTorch; the gradient is zero.
    def _rounded(self, mode: str, decimals: int = 0) -> "Tensor":
        if self._data.dtype.kind == "b":
            raise NotImplementedError(f"{mode}: not defined for bool tensors (PyTorch has no kernel for them)")
        if self._data.dtype.kind != "f":
            if decimals:
                raise NotImplementedError(f"round: decimals={decimals} needs a floating point tensor, got dtype "
                                          f"{self.dtype} (PyTorch has no kernel for it)")
            return self.clone()
        return apply(ops.Round, self, mode=mode, decimals=decimals)

    def floor(self) -> "Tensor":
        return self._rounded("floor")

    def ceil(self) -> "Tensor":
        return self._rounded("ceil")

    def trunc(self) -> "Tensor":
        return self._rounded("trunc")

    fix = trunc

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

    sgn = sign  # (they differ only for complex numbers)

    # Trigonometric, hyperbolic and error functions; integers and bools give the default float dtype, as in
    # PyTorch.
    def tan(self) -> "Tensor":
        return apply(ops.Tan, self._floating())

    def asin(self) -> "Tensor":
        return apply(ops.Asin, self._floating())

    def acos(self) -> "Tensor":
        return apply(ops.Acos, self._floating())

    def atan(self) -> "Tensor":
        return apply(ops.Atan, self._floating())

    def sinh(self) -> "Tensor":
        return apply(ops.Sinh, self._floating())

    def cosh(self) -> "Tensor":
        return apply(ops.Cosh, self._floating())

    def asinh(self) -> "Tensor":
        return apply(ops.Asinh, self._floating())

    def acosh(self) -> "Tensor":
        return apply(ops.Acosh, self._floating())

    def atanh(self) -> "Tensor":
        return apply(ops.Atanh, self._floating())

    def erf(self) -> "Tensor":
        return apply(ops.Erf, self._floating())

    def erfc(self) -> "Tensor":
        return apply(ops.Erfc, self._floating())

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    # Binary math of two tensors (broadcast, promoted), as PyTorch's.
    def atan2(self, other: "Tensor") -> "Tensor":
        """The angle of the point (other, self) in (-pi, pi]; integers and bools give the default float
        dtype."""
        return self._tensor_binary("atan2", ops.Atan2, other)

    arctan2 = atan2

    def hypot(self, other: "Tensor") -> "Tensor":
        """sqrt(self^2 + other^2), for floating point tensors (PyTorch refuses integer pairs)."""
        return self._tensor_binary("hypot", ops.Hypot, other, floats_only=True)

    def logaddexp(self, other: "Tensor") -> "Tensor":
        """log(e^self + e^other), without overflow."""
        return self._tensor_binary("logaddexp", ops.LogAddExp, other, floats_only=True)

    def logaddexp2(self, other: "Tensor") -> "Tensor":
        """log2(2^self + 2^other), without overflow."""
        return self._tensor_binary("logaddexp2", ops.LogAddExp2, other, floats_only=True)

    def fmod(self, other) -> "Tensor":
        """self - trunc(self / other) * other: the remainder with the sign of self (C's fmod), where
        remainder() takes the sign of other."""
        other = self._operand(other)
        if self._data.dtype.kind == "b" and other._data.dtype.kind == "b":
            raise TypeError("fmod: not defined for two bool tensors")
        return self._binary(ops.Fmod, other)

    def heaviside(self, values: "Tensor") -> "Tensor":
        """0 where self < 0, 1 where self > 0 and `values` where self == 0. PyTorch has no derivative for it: the
        result requires grad when an input does, and backward through it raises, as PyTorch's."""
        if not isinstance(values, graph.Tensor):
            raise TypeError(f"heaviside: values must be a Tensor, got {type(values).__name__}")
        if values.dtype != self.dtype:
            raise RuntimeError(f"heaviside: self and values must have the same dtype, got {self.dtype} and "
                               f"{values.dtype}")
        try:
            # (NaN gives 0, as PyTorch's x > 0; NumPy's heaviside gives NaN)
            out = np.heaviside(np.nan_to_num(self._data, nan=-1.0), values._data).astype(self.dtype)
        except ValueError:
            raise broadcast_error("heaviside", self.shape, values.shape) from None
        return apply(NoDerivative, self, values, values=out, name="heaviside")

    def true_divide(self, other) -> "Tensor":
        return self.div(other)

    def lerp(self, end: "Tensor", weight) -> "Tensor":
        """self + weight * (end - self), for floating point tensors of one dtype; weight a number or a tensor
        (of that dtype too), all broadcast. The gradient reaches all three."""
        return self._lerped(end, self._lerp_arguments("lerp", end, weight))

    def lerp_(self, end: "Tensor", weight) -> "Tensor":
        weight = self._lerp_arguments("lerp_", end, weight)
        return self._assign_in_place("lerp_", lambda old: old._lerped(end, weight), end, weight, refuse_overlap=True)

    def _lerped(self, end: "Tensor", weight) -> "Tensor":
        # Measured from self where |weight| < 0.5, else from end, as PyTorch's lerp: a weight of 1 gives end to its
        # last digit, and an infinite end point is reached (not NaN from infinity minus infinity) where its own
        # weight is the larger (a weight of -1 measures from end too: NaN for an infinite end, as PyTorch's).
        difference = end - self
        if not isinstance(weight, graph.Tensor):
            return self + weight * difference if abs(weight) < 0.5 else end - difference * (1 - weight)
        # Each form gets the weights of its own elements only (0 or 1 elsewhere), so that the form not taken
        # sends weight no NaN gradient (0 times an infinite difference).
        from_self = weight.abs() < 0.5
        near_self = self + weight.where(from_self, 0) * difference
        near_end = end - difference * (1 - weight.where(~from_self, 1))
        return near_self.where(from_self, near_end)

    def _lerp_arguments(self, name: str, end, weight):
        """The weight lerp computes with, once the arguments are checked: a 0-d tensor of another dtype in self's,
        as PyTorch takes it (as a number); a number the dtype cannot hold (1e300 for float32) is refused."""
        self._check_floating(name, NotImplementedError)
        if not isinstance(end, graph.Tensor):
            raise TypeError(f"{name}: end must be a Tensor, got {type(end).__name__}")
        for label, value in (("end", end), ("weight", weight)):
            if isinstance(value, graph.Tensor) and value.dtype != self.dtype and (label == "end" or value.ndim):
                raise RuntimeError(f"{name}: expected dtype {self.dtype} for {label}, got {value.dtype}")
        if not isinstance(weight, graph.Tensor):
            weight = bool_as_number(weight)
            real_arg(weight, f"{name}: weight")
            number_of_dtype(name, weight, self._data.dtype)
            return weight
        return weight if weight.dtype == self.dtype else weight.to(self.dtype)

    def addcmul(self, tensor1: "Tensor", tensor2: "Tensor", *, value=1) -> "Tensor":
        """self + value * tensor1 * tensor2 (broadcast, promoted), as torch.addcmul. A fractional value with
        integer tensors is refused (PyTorch truncates the value to 0 there); a whole one is the int it holds there, as
        PyTorch casts the value to the tensors' dtype (value=2.0 keeps int64 tensors' result int64)."""
        value = bool_as_number(value)
        number = real_arg(value, "addcmul: value")
        if all(t.dtype.kind in "biu" for t in (self, tensor1, tensor2) if isinstance(t, graph.Tensor)):
            if not number.is_integer():
                raise RuntimeError(f"addcmul: value={value!r} is not an integer, but the tensors have integer dtypes")
            value = int(value if isinstance(value, (int, np.integer)) else number)  # (exact for a large int)
        tensor1, tensor2 = self._in_common_dtype(self._operand(tensor1), self._operand(tensor2))
        if self.dtype.kind == "b" and tensor1.dtype.kind == "b":  # (bool arithmetic would be logical here)
            raise NotImplementedError("addcmul: not implemented for bool tensors (as PyTorch's); convert with .long()")
        if type(value) is int:  # as PyTorch, a value the integer result cannot hold is refused, not wrapped around
            checked_cast(np.asarray(value), tensor1._data.dtype, "addcmul: value")
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1: "Tensor", tensor2: "Tensor", *, value=1) -> "Tensor":
        """self + value * tensor1 / tensor2; PyTorch refuses two integer tensors (no integer division here)."""
        value = bool_as_number(value)
        real_arg(value, "addcdiv: value")
        if all(isinstance(t, graph.Tensor) and t.dtype.kind in "biu" for t in (tensor1, tensor2)):
            raise RuntimeError("addcdiv: integer division of tensor1 by tensor2 is not supported (as in PyTorch); "
                               "use a floating point tensor1 or tensor2")
        tensor1, tensor2 = self._in_common_dtype(self._operand(tensor1), self._operand(tensor2))
        return self + value * tensor1 / tensor2

    def addcmul_(self, tensor1: "Tensor", tensor2: "Tensor", *, value=1) -> "Tensor":
        return self._assign_in_place("addcmul_", lambda old: old.addcmul(tensor1, tensor2, value=value),
                                     tensor1, tensor2, refuse_overlap=True)

    def addcdiv_(self, tensor1: "Tensor", tensor2: "Tensor", *, value=1) -> "Tensor":
        return self._assign_in_place("addcdiv_", lambda old: old.addcdiv(tensor1, tensor2, value=value),
                                     tensor1, tensor2, refuse_overlap=True)

    def renorm(self, p: float, dim: int, maxnorm: float) -> "Tensor":
        """Each slice along dim whose p-norm exceeds maxnorm scaled to norm maxnorm (by maxnorm / (norm +
        1e-7), PyTorch's factor); the gradient includes the norm's dependence on the slice."""
        from fastgrad.functions import where

        p, maxnorm = real_arg(p, "renorm: p"), real_arg(maxnorm, "renorm: maxnorm")
        self._check_floating("renorm")
        if p <= 0 or maxnorm < 0:
            raise ValueError(f"renorm: expected p > 0 and maxnorm >= 0, got p={p} and maxnorm={maxnorm}")
        axis = normalize_dims(dim, self.ndim)[0]
        norms = self.norm(p, tuple(d for d in range(self.ndim) if d != axis), keepdim=True)
        return self * where(norms > maxnorm, maxnorm / (norms + 1e-7), norms.new_ones(()))

    def renorm_(self, p: float, dim: int, maxnorm: float) -> "Tensor":
        return self._assign_in_place("renorm_", lambda old: old.renorm(p, dim, maxnorm))

    def dist(self, other: "Tensor", p: float = 2) -> "Tensor":
        """The p-norm of self - other (broadcast)."""
        if not isinstance(other, graph.Tensor):
            raise TypeError(f"dist: other must be a Tensor, got {type(other).__name__}")
        return (self - other).norm(real_arg(p, "dist: p"))

    def cross(self, other: "Tensor", dim: int | None = None) -> "Tensor":
        """The cross product of 3-vectors along dim (broadcast); without dim, along the first dim of size 3,
        as torch.cross (torch.linalg.cross takes -1)."""
        if not isinstance(other, graph.Tensor):
            raise TypeError(f"cross: other must be a Tensor, got {type(other).__name__}")
        if self.dtype != other.dtype:  # PyTorch does not promote here
            raise RuntimeError(f"cross: expected self and other to have the same dtype, got {self.dtype} and "
                               f"{other.dtype}")
        self._refuse_bool("cross")
        a, b = self, other
        if a.ndim != b.ndim:
            raise RuntimeError(f"cross: self and other must have the same number of dims, got shapes {a.shape} and "
                               f"{b.shape}")
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise broadcast_error("cross", a.shape, b.shape) from None
        if dim is None:
            dim = next((d for d, n in enumerate(shape) if n == 3), None)
            if dim is None:
                raise RuntimeError(f"cross: no dim of size 3 in shapes {a.shape} and {b.shape}")
        axis = normalize_dims(dim, len(shape))[0]
        if a.shape[axis] != 3 or b.shape[axis] != 3:
            raise RuntimeError(f"cross: dim {dim} must have size 3 in both, got shapes {a.shape} and {b.shape}")
        (a0, a1, a2), (b0, b1, b2) = a.unbind(axis), b.unbind(axis)
        from fastgrad.functions import stack

        return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis)

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> "Tensor":
        """Counts of the elements in `bins` equal bins over [min, max] (the data's range when min == max),
        in self's dtype, elements outside ignored, as torch.histc. Not differentiable: outside the graph."""
        self._check_floating("histc", NotImplementedError)
        bins, low, high = int_arg(bins, "histc: bins"), real_arg(min, "histc: min"), real_arg(max, "histc: max")
        if bins <= 0 or low > high:  # (PyTorch's type for these, and for a range that is not finite: RuntimeError)
            raise RuntimeError(f"histc: expected bins > 0 and min <= max, got bins={bins}, min={low}, max={high}")
        if low == high and self.numel():
            low, high = float(self._data.min()), float(self._data.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            raise RuntimeError(f"histc: the range [{low}, {high}] is not finite")
        if low == high:
            low, high = low - 1, high + 1
        # each element's bin as PyTorch computes it, in the input's dtype: (x - min) * bins / (max - min), truncated,
        # the last bin closed (NumPy's histogram compares with its own edges, and so puts an element on an edge into
        # the bin before where rounding leaves the edge a little above it)
        values = self._data.reshape(-1)
        low, high = self._data.dtype.type(low), self._data.dtype.type(high)
        counted = values[(values >= low) & (values <= high)]
        positions = ((counted - low) * self._data.dtype.type(bins) / (high - low)).astype(np.int64)
        counts = np.bincount(np.minimum(positions, bins - 1), minlength=bins)
        return graph.Tensor._wrap(counts.astype(self.dtype), False, None)

    def _tensor_binary(self, name: str, op, other, floats_only: bool = False, numbers: bool = False) -> "Tensor":
        """op on self and other, two tensors (or, with `numbers`, a tensor and a number) promoted as usual,
        integer pairs computed in the default float dtype; with `floats_only`, a pair without a floating point
        tensor refused, as PyTorch does."""
        return apply(op, *self._floating_pair(name, other, floats_only, numbers))

    def _floating_pair(self, name: str, other, floats_only: bool = False,
                       numbers: bool = False) -> tuple["Tensor", "Tensor"]:
        """self and other as _tensor_binary hands them to its op."""
        if numbers and not isinstance(other, graph.Tensor):
            real_arg(other, f"{name}: other")
            other = self._floating_operand(other)
        a, b = self._promoted_pair(name, other)
        if a._data.dtype.kind != "f":
            if floats_only:
                raise TypeError(f"{name}: not defined for dtype {a.dtype}; expected a floating point tensor")
            # each converted itself, as PyTorch does: their common integer dtype may not hold the other's
            # values (a 0-dim int64 -3 with a uint8 tensor would read 253 there)
            a, b = self._floating(), other._floating()
        return a, b

    def _floating_operand(self, number) -> "Tensor":
        """A number beside self for an op computed in floating point, as a 0-d tensor of the promoted dtype, or
        of the default float dtype where that is an integer one (PyTorch converts the number itself: wrapped
        into self's integer dtype first, 300 beside an int8 tensor would be 44, and -1 beside a uint8 one 255)."""
        dtype = result_type(self._data, number)
        return graph.Tensor._wrap(np.array(number, dtype=dtype if dtype.kind == "f" else get_default_dtype()),
                                  False, None)

    def _promoted_pair(self, name: str, other) -> tuple["Tensor", "Tensor"]:
        """self and other, which must be a tensor that broadcasts with self, in their promoted dtype."""
        if not isinstance(other, graph.Tensor):
            raise TypeError(f"{name}: other must be a Tensor, got {type(other).__name__}")
        a, b = self._promoted(other)
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise broadcast_error(name, a.shape, b.shape) from None
        return a, b

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
            raise broadcast_error("isclose", self.shape, other.shape) from None
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
        axis = one_dim(dim, x.ndim)  # (one int, checked before the dtype, as PyTorch's)
        x._check_floating(name, NotImplementedError)
        if x.ndim == 0:  # the softmax of one number, over its only "dim"
            return apply(op, x.reshape(1), axis=0).reshape(())
        return apply(op, x, axis=axis)

    # Logarithms, exponentials and special functions (torch.special's too); integers and bools give the default
    # float dtype.
    def log2(self) -> "Tensor":
        return apply(ops.Log2, self._floating())

    def log10(self) -> "Tensor":
        return apply(ops.Log10, self._floating())

    def exp2(self) -> "Tensor":
        return apply(ops.Exp2, self._floating())

    def sinc(self) -> "Tensor":
        """sin(pi x) / (pi x), and 1 at 0."""
        return apply(ops.Sinc, self._floating())

    def lgamma(self) -> "Tensor":
        """log |Gamma(x)|; inf at the poles 0, -1, -2, ... and at both infinities."""
        return apply(ops.Lgamma, self._floating())

    def digamma(self) -> "Tensor":
        """Gamma'(x) / Gamma(x); as PyTorch, -inf at 0, inf at -0 and NaN at the negative integers and -inf."""
        return apply(ops.Polygamma, self._floating(), n=0)

    def polygamma(self, n: int) -> "Tensor":
        """The n-th derivative of digamma (digamma for n = 0); +-inf at the poles."""
        n = int_arg(n, "polygamma: n")
        if n < 0:
            raise ValueError(f"polygamma: n must be >= 0, got {n}")
        return apply(ops.Polygamma, self._floating(), n=n)

    def erfinv(self) -> "Tensor":
        """The inverse of erf: +-inf at +-1, NaN outside [-1, 1]."""
        return apply(ops.Erfinv, self._floating())

    def i0(self) -> "Tensor":
        """The modified Bessel function of the first kind of order 0 (NaN at +-inf, as PyTorch)."""
        return apply(ops.I0, self._floating())

    def logit(self, eps: float | None = None) -> "Tensor":
        """log(x / (1 - x)); with eps, x is first limited to [eps, 1 - eps] (a negative eps is ignored, as in
        PyTorch)."""
        if eps is not None:
            eps = real_arg(eps, "logit: eps")
        return apply(ops.Logit, self._floating(), eps=None if eps is None or eps < 0 else eps)

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> "Tensor":
        """NaN, +inf and -inf replaced by nan, posinf and neginf (by default 0 and the dtype's largest and lowest
        finite values); integer and bool tensors are returned as they are (a copy). The gradient passes where
        the input was finite."""
        nan = real_arg(nan, "nan_to_num: nan")
        posinf, neginf = (None if value is None else real_arg(value, f"nan_to_num: {label}")
                          for label, value in (("posinf", posinf), ("neginf", neginf)))
        if self._data.dtype.kind != "f":
            return self.clone()
        limits = np.finfo(self._data.dtype)
        return apply(ops.NanToNum, self, nan=nan, posinf=limits.max if posinf is None else posinf,
                     neginf=limits.min if neginf is None else neginf)

    def frac(self) -> "Tensor":
        """x - trunc(x), with x's sign; the gradient is 1. For floating point tensors, as in PyTorch."""
        self._check_floating("frac", NotImplementedError)
        return self - self.trunc()

    def deg2rad(self) -> "Tensor":
        return self._floating() * (math.pi / 180)

    def rad2deg(self) -> "Tensor":
        return self._floating() * (180 / math.pi)

    def xlogy(self, other) -> "Tensor":
        """self * log(other), but 0 where self == 0 (unless other is NaN); other a tensor or a number."""
        return self._tensor_binary("xlogy", ops.Xlogy, other, numbers=True)

    def copysign(self, other) -> "Tensor":
        """|self| with the sign of other (a tensor or a number; -0.0 counts as negative); other gets a zero
        gradient, as in PyTorch."""
        return self._tensor_binary("copysign", ops.Copysign, other, numbers=True)

    def fmax(self, other: "Tensor") -> "Tensor":
        """The elementwise maximum, ignoring NaN (NaN only where both are); ties send the gradient to self."""
        return apply(ops.Fmax, *self._promoted_pair("fmax", other))

    def fmin(self, other: "Tensor") -> "Tensor":
        """The elementwise minimum, ignoring NaN (NaN only where both are); ties send the gradient to self."""
        return apply(ops.Fmin, *self._promoted_pair("fmin", other))

    def nextafter(self, other: "Tensor") -> "Tensor":
        """The next floating point number after self towards other, for floating point tensors."""
        return self._tensor_binary("nextafter", ops.Nextafter, other, floats_only=True)

    def ldexp(self, other: "Tensor") -> "Tensor":
        """self * 2**other, computed as PyTorch does: for a floating point self and an integer other exactly
        (C's ldexp, no 2**other formed, which float32 cannot hold past 2**127: ldexp(1e-38, 150) is 1.4e7,
        not inf), else through float powers of 2 (an integer self gives default-dtype ones)."""
        self._promoted_pair("ldexp", other)  # a tensor that broadcasts with self
        if self._data.dtype.kind == "f" and other._data.dtype.kind in "biu":
            if other._data.dtype == np.bool_:
                raise TypeError("ldexp: not defined for a bool exponent with a floating point tensor (as in PyTorch); "
                                "convert it with .long() first")
            return apply(ops.Ldexp, self, other)
        return self * (2.0 ** other)

    def float_power(self, exponent) -> "Tensor":
        """self ** exponent in float64, whatever the dtypes (exponent a tensor or a number), as PyTorch."""
        if isinstance(exponent, graph.Tensor):
            return self.double() ** exponent.double()
        real_arg(exponent, "float_power: exponent")
        return self.double() ** exponent

    def float_power_(self, exponent) -> "Tensor":
        if self._data.dtype != np.float64:
            raise RuntimeError(f"float_power_: the base has dtype {self.dtype} but the result requires float64")
        return self._assign_in_place("float_power_", lambda old: old.float_power(exponent), exponent)

    def gcd(self, other: "Tensor") -> "Tensor":
        """The greatest common divisor (non-negative), for integer tensors; no graph."""
        return self._integer_pair("gcd", np.gcd, other)

    def lcm(self, other: "Tensor") -> "Tensor":
        """The least common multiple (non-negative), for integer tensors; no graph."""
        return self._integer_pair("lcm", np.lcm, other)

    def _integer_pair(self, name: str, function, other) -> "Tensor":
        a, b = self._promoted_pair(name, other)
        if a._data.dtype.kind not in "iu":
            raise TypeError(f"{name}: not defined for dtype {a.dtype}; expected integer tensors")
        return graph.Tensor._wrap(function(a._data, b._data), False, None)

    # Sign and kind tests give bool tensors outside the graph.
    def signbit(self) -> "Tensor":
        """Whether the sign bit is set: True for -0.0 and negative NaN too."""
        data = self._data
        return graph.Tensor._wrap(np.signbit(data) if data.dtype.kind == "f" else data < 0, False, None)

    def isposinf(self) -> "Tensor":
        return graph.Tensor._wrap(self._data == np.inf, False, None)

    def isneginf(self) -> "Tensor":
        return graph.Tensor._wrap(self._data == -np.inf, False, None)

    def isreal(self) -> "Tensor":
        """True everywhere: fastgrad has no complex dtypes."""
        return graph.Tensor._wrap(np.ones(self._data.shape, dtype=bool), False, None)

    def frexp(self) -> "Frexp":
        """(mantissa, exponent) with self = mantissa * 2**exponent, |mantissa| in [0.5, 1) (self at 0, inf and
        NaN, with exponent 0), for floating point tensors; the exponent is int32 and outside the graph, as in
        PyTorch."""
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"frexp: only supports floating point dtypes, got {self.dtype}")
        exponent = np.frexp(self._data)[1]
        return Frexp(apply(ops.Frexp, self), graph.Tensor._wrap(exponent, False, None))

    def angle(self) -> "Tensor":
        """The angle of each (real) element in the complex plane: pi for negative numbers, 0 otherwise (NaN for
        NaN); integers and bools give the default float dtype. The gradient is zero."""
        return apply(ops.Angle, self._floating())

    def mvlgamma(self, p: int) -> "Tensor":
        """The log of the multivariate gamma function of dimension p: sum over i < p of lgamma(self - i / 2),
        plus p (p - 1) / 4 log(pi); integers give the default float dtype."""
        p = int_arg(p, "mvlgamma: p")
        self._refuse_bool("mvlgamma", RuntimeError)
        if p < 1:
            raise RuntimeError(f"mvlgamma: p has to be greater than or equal to 1, got {p}")
        x = self._floating()
        terms = x.unsqueeze(-1) - graph.Tensor._from_data(np.arange(p) / 2, dtype=x.dtype)
        return terms.lgamma().sum(-1) + p * (p - 1) / 4 * math.log(math.pi)

    def igamma(self, other: "Tensor") -> "Tensor":
        """The regularized lower incomplete gamma function P(self, other), as special.gammainc (no derivative in
        self: asking for one raises, as PyTorch's)."""
        from fastgrad import special  # (special imports the Tensor class this mixin is part of)

        return special.gammainc(self, other)

    def igammac(self, other: "Tensor") -> "Tensor":
        """The regularized upper incomplete gamma function Q(self, other) = 1 - P(self, other), as
        special.gammaincc."""
        from fastgrad import special

        return special.gammaincc(self, other)

"""In-place forms of out-of-place methods (`x.sin_()`, `x.gt_(0)`, `x.t_()`, ...), declared once, in two tables.

A value form writes x.<name>(...) into x's memory (Tensor._assign_in_place): the version counter goes up,
autograd records the change on a tensor inside the graph and refuses it on a leaf that requires grad, and a
result that x's dtype cannot hold (an integer tensor's sin_) raises, as in PyTorch, and so does an input that
shares part of x's memory (graph.refuse_partial_overlap). A comparison writes its bools in x's dtype. A view
form (t_, squeeze_, ...) makes x the view <name> gives of its own memory: the values stay, the shape changes.
(Arithmetic in place, add_ ... pow_, and the activations live in fastgrad/tensor.py, where their unrecorded
fast paths are.)
"""
from __future__ import annotations

from fastgrad.autograd import graph
from fastgrad.autograd.grad_mode import GRAD_MODE
from fastgrad.ops.no_derivative import ZeroDerivative
from fastgrad.tensor_methods.arguments import in_place_operator

VALUE_FORMS = (
    # trigonometric, hyperbolic, exponential and error functions
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos",
    "arctan", "arcsinh", "arccosh", "arctanh", "atan2", "arctan2", "hypot", "log1p", "expm1", "erf", "erfc",
    "reciprocal", "rsqrt", "square", "log2", "log10", "exp2", "sinc", "lgamma", "digamma", "polygamma", "erfinv",
    "i0", "logit", "xlogy", "ldexp", "igamma", "igammac", "mvlgamma",
    # rounding, remainders, limits, signs
    "floor", "ceil", "round", "trunc", "fix", "frac", "fmod", "remainder", "floor_divide", "clamp_min",
    "clamp_max", "clip", "nan_to_num", "copysign", "nextafter", "heaviside", "deg2rad", "rad2deg", "gcd", "lcm",
    # comparisons and logical / bitwise operators (the result in self's dtype)
    "eq", "ne", "lt", "le", "gt", "ge", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
    # scans and triangles
    "cumsum", "cumprod", "tril", "triu",
)
VIEW_FORMS = ("t", "transpose", "swapdims", "swapaxes", "squeeze", "unsqueeze")
# Python's augmented assignments that change the tensor in place, as PyTorch's do (a view of x sees x //= 2)
OPERATORS = {"__ifloordiv__": "floor_divide_", "__imod__": "remainder_", "__iand__": "bitwise_and_",
             "__ior__": "bitwise_or_", "__ixor__": "bitwise_xor_", "__ilshift__": "bitwise_left_shift_",
             "__irshift__": "bitwise_right_shift_"}


COMPARISONS = frozenset(("eq", "ne", "lt", "le", "gt", "ge", "not_equal", "less", "less_equal", "greater",
                         "greater_equal"))
# ldexp_ is x.mul_(2 ** other) in PyTorch, whose power is a new tensor: an input that overlaps x is not refused
OVERLAP_ALLOWED = frozenset(("ldexp",))


def value_form(name: str):
    """The method `<name>_`: x.<name>(...) written into x's memory (see the module's docstring)."""

    def method(self, *args, **kwargs):
        tensors = [arg for arg in (*args, *kwargs.values()) if isinstance(arg, graph.Tensor)]

        def compute(old):
            result = getattr(old, name)(*args, **kwargs)
            if name not in COMPARISONS:
                return result
            # PyTorch differentiates x.lt_(other), unlike x.lt(other): x, even a fresh tensor, requires grad
            # afterwards when other does, and both get a zero gradient
            return graph.apply(ZeroDerivative, old, *tensors, values=result._data.astype(old._data.dtype))

        # (x[1:].lt_(x[:-1]) refused, as PyTorch's add_ and the others)
        return self._assign_in_place(f"{name}_", compute, *tensors, refuse_overlap=name not in OVERLAP_ALLOWED)

    method.__name__ = method.__qualname__ = f"{name}_"
    return method


def view_form(name: str):
    """The method `<name>_`: x becomes x.<name>(...), a view of its own memory (the shape changes, the values
    do not). The version counter goes up, as in PyTorch. When recorded, x's history becomes the view op
    applied to the history it had, which a stand-in keeps for the nodes recorded before."""

    def method(self, *args, **kwargs):
        where = f"{name}_"
        if self._base is not None:
            graph.refuse_stale_view_write(where, self)
        recorded = GRAD_MODE.enabled and self._requires_grad
        if recorded and self._node is None:
            raise RuntimeError(f"{where}: a leaf tensor that requires grad is being used in an in-place operation; "
                               "change it under `with fastgrad.no_grad():` or use the out-of-place form")
        if recorded and self._base is not None:  # (the view stays a view of its base, which does not change)
            graph.prepare_view_write(where, self)
        if not recorded:
            self._data = getattr(self, name)(*args, **kwargs)._data
        else:
            before = graph.Tensor._wrap(self._data, True, self._node)
            before._counter = self._counter
            if self._base is not None or hasattr(self, "_storage"):  # (self lies in another tensor's memory: so
                before._storage = self._memory_owner()               # does its stand-in, for as_strided_'s offset)
            view = getattr(before, name)(*args, **kwargs)
            self._data = view._data
            if view is not before:  # (squeeze of a dim that is not 1 changes nothing)
                graph.rebase(self, view._node, before)
        self._counter.value += 1
        if recorded:
            graph.note_own_write(self)
        return self

    method.__name__ = method.__qualname__ = f"{name}_"
    return method


class InPlaceMethods:
    __slots__ = ()  # Tensor keeps no __dict__


for _name in VALUE_FORMS:
    setattr(InPlaceMethods, f"{_name}_", value_form(_name))
for _name in VIEW_FORMS:
    setattr(InPlaceMethods, f"{_name}_", view_form(_name))
for _operator, _name in OPERATORS.items():
    setattr(InPlaceMethods, _operator, in_place_operator(getattr(InPlaceMethods, _name)))
del _name, _operator

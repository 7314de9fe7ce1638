"""`Variable`, PyTorch's legacy wrapper, which old tutorials still call: since PyTorch 0.4 every tensor is
one, and `Variable(t, requires_grad)` is `t` detached (the same memory) with that flag."""
from __future__ import annotations


class _VariableType(type):
    def __instancecheck__(cls, obj) -> bool:  # isinstance(t, Variable) holds for every tensor, as in PyTorch
        from fastgrad.tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableType):
    def __new__(cls, data, requires_grad: bool = False):
        from fastgrad.tensor import Tensor

        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)

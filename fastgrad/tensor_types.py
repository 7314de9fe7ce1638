"""PyTorch's legacy typed constructors, which older NLP code still calls: `torch.LongTensor(ids)` (a
tensor of that data and dtype), `torch.FloatTensor(2, 3)` (of that size; zeros here, uninitialized in
PyTorch), and `isinstance(x, torch.LongTensor)` (whether x is a tensor of that dtype)."""
from __future__ import annotations

import warnings

import numpy as np

from fastgrad.creation import tensor, zeros
from fastgrad.dtypes import (as_dtype, bool_, checked_cast, float32, float64, int8, int16, int32, int64, set_default_dtype,
                             uint8)
from fastgrad.tensor import Tensor, legacy_sizes


class _TypedTensorMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype


class _TypedTensor(metaclass=_TypedTensorMeta):
    dtype: np.dtype

    def __new__(cls, *args) -> Tensor:
        sizes = legacy_sizes(args)
        if sizes is not None:
            return zeros(*(sizes or (0,)), dtype=cls.dtype)
        if len(args) != 1:
            raise TypeError(f"{cls.__name__}: expected sizes (ints) or one sequence of data, got "
                            f"{tuple(type(a).__name__ for a in args)}")
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype != cls.dtype:  # PyTorch refuses to convert here, too
                raise TypeError(f"{cls.__name__}: got a tensor of dtype {data.dtype}; use .to({cls.dtype}) instead")
            return data
        if isinstance(data, (int, float, bool, np.generic)):
            raise TypeError(f"{cls.__name__}: data must be a sequence, got {type(data).__name__}")
        return tensor(checked_cast(np.array(data), cls.dtype, cls.__name__), dtype=cls.dtype)


class FloatTensor(_TypedTensor):
    dtype = float32


class DoubleTensor(_TypedTensor):
    dtype = float64


class LongTensor(_TypedTensor):
    dtype = int64


class IntTensor(_TypedTensor):
    dtype = int32


class BoolTensor(_TypedTensor):
    dtype = bool_


class ByteTensor(_TypedTensor):
    dtype = uint8


class CharTensor(_TypedTensor):
    dtype = int8


class ShortTensor(_TypedTensor):
    dtype = int16


def typename(obj) -> str:
    """The fully qualified name of obj's type, as torch.typename: for a tensor, PyTorch's legacy type name of its
    dtype ('torch.FloatTensor', the name torch code compares with); for a class or function its own name
    ('fastgrad.nn.modules.linear.Linear'), for any other object its class's; builtins without 'builtins.'."""
    if isinstance(obj, Tensor):
        for typed in _TypedTensor.__subclasses__():
            if typed.dtype == obj.dtype:
                return f"torch.{typed.__name__}"
    if hasattr(obj, "__qualname__") or hasattr(obj, "__name__"):
        module, name = getattr(obj, "__module__", "") or "", getattr(obj, "__qualname__", None) or obj.__name__
    else:
        module, name = type(obj).__module__ or "", type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


def _typed_constructor_named(name: str):
    """The typed constructor of a name such as 'torch.LongTensor' (as typename gives it), or None."""
    module, _, name = name.rpartition(".")
    named = [typed for typed in _TypedTensor.__subclasses__() if typed.__name__ == name]
    return named[0] if module in ("torch", "fastgrad") and named else None


def legacy_type_dtype(t) -> np.dtype:
    """The dtype that Tensor.type(t) converts to: t a typed constructor (fastgrad.LongTensor), its name
    ('torch.LongTensor') or a dtype."""
    if isinstance(t, str):
        if _typed_constructor_named(t) is None:
            raise ValueError(f"Tensor.type: invalid type {t!r}; expected the name of a CPU tensor type such as "
                             "'torch.FloatTensor'")
        return _typed_constructor_named(t).dtype
    if isinstance(t, type) and issubclass(t, _TypedTensor):
        return t.dtype
    return as_dtype(t)


def set_default_tensor_type(t) -> None:
    """Deprecated, as torch.set_default_tensor_type (which warns): the default float dtype becomes that of t, a
    floating point typed constructor (fastgrad.DoubleTensor) or its name ('torch.DoubleTensor'); use
    set_default_dtype. GPU types ('torch.cuda.FloatTensor') and other dtypes raise TypeError."""
    warnings.warn("set_default_tensor_type() is deprecated, as torch's (since PyTorch 2.1): use "
                  "fastgrad.set_default_dtype()", UserWarning, stacklevel=2)
    if isinstance(t, str):
        if _typed_constructor_named(t) is None:
            raise TypeError(f"set_default_tensor_type: type {t!r} is not available; expected the name of a "
                            "floating point CPU type, 'torch.FloatTensor' or 'torch.DoubleTensor'")
        t = _typed_constructor_named(t)
    if not (isinstance(t, type) and issubclass(t, _TypedTensor) and t.dtype.kind == "f"):
        raise TypeError(f"set_default_tensor_type: only floating point types are supported as the default type "
                        f"(fastgrad.FloatTensor or fastgrad.DoubleTensor), got {getattr(t, '__name__', t)!r}")
    set_default_dtype(t.dtype)

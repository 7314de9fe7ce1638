"""PyTorch's legacy typed constructors, which older NLP code still calls: `torch.LongTensor(ids)` (a
tensor of that data and dtype), `torch.FloatTensor(2, 3)` (of that size; zeros here, uninitialized in
PyTorch), and `isinstance(x, torch.LongTensor)` (whether x is a tensor of that dtype)."""
from __future__ import annotations

import numpy as np

from fastgrad.creation import tensor, zeros
from fastgrad.dtypes import bool_, checked_cast, float32, float64, int32, int64
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

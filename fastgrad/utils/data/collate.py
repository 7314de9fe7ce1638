"""Turning a list of examples into a batch (`default_collate`) and NumPy values into tensors
(`default_convert`), with torch.utils.data's rules: tensors and NumPy arrays are stacked along a new
first axis; Python floats become a float64 tensor, ints an int64 tensor (bools a bool tensor); strings
stay a list; dicts, named tuples and sequences are collated field by field (a tuple of fields gives a
list, as in PyTorch)."""
from __future__ import annotations

import collections.abc
import copy

import numpy as np

from fastgrad.creation import as_tensor, tensor
from fastgrad.dtypes import float64
from fastgrad.functions import stack
from fastgrad.tensor import Tensor

_NOT_COLLATABLE = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                   "found {}")


def _is_namedtuple(value) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def _numeric_numpy(value) -> bool:
    """A NumPy array or scalar that a tensor can hold (not strings or Python objects)."""
    return isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biuf"


def _check_numeric_numpy(value, what: str) -> None:
    if isinstance(value, (np.ndarray, np.generic)) and not _numeric_numpy(value):
        raise TypeError(f"{what}: a NumPy value of dtype {value.dtype} cannot become a tensor (only bool, integer "
                        "and float dtypes can)")


def _same_type_mapping(example: collections.abc.Mapping, values: dict):
    """`values` in a mapping of the example's type where that type can be built so."""
    if isinstance(example, dict) and type(example) is not dict:
        result = copy.copy(example)  # a dict subclass (OrderedDict, defaultdict): keep its type and settings
        result.update(values)
        return result
    try:
        return type(example)(values)
    except TypeError:  # a mapping type that cannot be built from a dict
        return values


def default_collate(batch):
    """The examples of `batch` (a list or tuple) as one batch; see the module's docstring for the rules."""
    example = batch[0]
    if isinstance(example, Tensor):
        return stack(batch, 0)
    if isinstance(example, (str, bytes)):  # (before NumPy's values: np.str_ is a str, and stays one, as in PyTorch)
        return batch
    if isinstance(example, (np.ndarray, np.generic)):
        _check_numeric_numpy(example, "default_collate")
        return stack([as_tensor(value) for value in batch], 0) if isinstance(example, np.ndarray) \
            else as_tensor(np.asarray(batch))
    if isinstance(example, float):
        return tensor(batch, dtype=float64)
    if isinstance(example, int):  # bool included: a bool tensor
        return tensor(batch)
    if isinstance(example, collections.abc.Mapping):
        return _same_type_mapping(example, {key: default_collate([item[key] for item in batch]) for key in example})
    if _is_namedtuple(example):
        return type(example)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(example, collections.abc.Sequence):
        size = len(example)
        if any(len(item) != size for item in batch):
            raise RuntimeError(f"default_collate: each element in list of batch should be of equal size (the first "
                               f"has {size} fields, others {sorted({len(item) for item in batch})})")
        fields = [default_collate(field) for field in zip(*batch)]
        if isinstance(example, tuple):
            return fields
        try:
            return type(example)(fields)
        except TypeError:  # a sequence type that cannot be built from a list
            return fields
    raise TypeError(_NOT_COLLATABLE.format(type(example)))


def default_convert(data):
    """`data` with every numeric NumPy array or scalar in it made a tensor (through dicts, named tuples
    and sequences); the DataLoader's collate_fn when batching is off (batch_size=None)."""
    if isinstance(data, Tensor):
        return data
    if _numeric_numpy(data):
        return as_tensor(data)
    if isinstance(data, (str, bytes, np.ndarray, np.generic)):  # strings, and NumPy strings or objects: unchanged
        return data
    if isinstance(data, collections.abc.Mapping):
        return _same_type_mapping(data, {key: default_convert(data[key]) for key in data})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(field) for field in data))
    if isinstance(data, tuple):
        return [default_convert(field) for field in data]
    if isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([default_convert(field) for field in data])
        except TypeError:
            return [default_convert(field) for field in data]
    return data

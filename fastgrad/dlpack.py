"""DLPack exchange, as torch.from_dlpack and torch.utils.dlpack: a tensor of another library (PyTorch, a NumPy
array, anything with `__dlpack__`, or a capsule made by a `to_dlpack`) becomes a fastgrad tensor sharing its
memory, through NumPy's DLPack import. Only CPU memory can be read, and only fastgrad's dtypes."""
from __future__ import annotations

import numpy as np

from fastgrad.dtypes import supported
from fastgrad.tensor import Tensor, check_device


class _Capsule:
    """A bare DLPack capsule (the older protocol) with the methods that NumPy's from_dlpack asks for."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self) -> tuple:
        return 1, 0  # (kDLCPU, 0): a capsule carries its device, which NumPy checks when it reads it


def from_dlpack(ext_tensor, *, device=None, copy: bool | None = None) -> Tensor:
    """A tensor sharing the memory of `ext_tensor` (the same values, shape, strides and dtype), without
    requires_grad: the other library's graph does not come with it, as in PyTorch. `device`: None or the
    CPU; `copy=True` copies the memory, `copy=False` refuses to (NumPy's BufferError) where it would have to."""
    check_device("from_dlpack", device)
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    elif not hasattr(ext_tensor, "__dlpack__"):
        raise RuntimeError(f"from_dlpack: ext_tensor must have __dlpack__ (a tensor of another library, a NumPy "
                           f"array) or be a DLPack capsule, got {type(ext_tensor).__name__}")
    array = np.from_dlpack(ext_tensor, copy=copy)
    supported(array.dtype, "from_dlpack: a tensor of dtype")
    return Tensor._wrap(array, False, None)


def to_dlpack(tensor: Tensor):
    """`tensor`'s memory as a DLPack capsule, which one from_dlpack may read (once)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dlpack: tensor must be a fastgrad Tensor, got {type(tensor).__name__}")
    return tensor.__dlpack__()

"""Parameter: a leaf tensor that a Module registers as something to train."""
from __future__ import annotations

import numpy as np

from fastgrad.dtypes import get_default_dtype
from fastgrad.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that requires grad and is registered by `Module.__setattr__`.

    `Parameter(t)` shares t's memory (as in PyTorch) and is always a leaf, even when t was computed.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.zeros(0, dtype=get_default_dtype())
        self._init_from(data._data if isinstance(data, Tensor) else data, None, requires_grad)

    def __deepcopy__(self, memo: dict) -> "Parameter":
        """A Parameter holding a copy of the values and no .grad, as PyTorch's: a copied layer (the stack of a
        TransformerEncoder, say) starts without the original's gradients."""
        if id(self) not in memo:
            memo[id(self)] = type(self)(self._data.copy(), self.requires_grad)
        return memo[id(self)]

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A Tensor that `Module.__setattr__` registers as a buffer (`self.x = nn.Buffer(t, persistent=False)`
    is `self.register_buffer("x", t, persistent=False)`), as PyTorch's.

    It shares t's memory and version counter and keeps t's requires_grad, outside t's graph, as PyTorch's
    `t.detach().requires_grad_(t.requires_grad)`. One difference: PyTorch's Buffer returns a plain
    torch.Tensor marked as a buffer, fastgrad's is an instance of this subclass (ops on it give Tensors).
    """

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent: bool = True):
        if data is None:
            data = Tensor._from_data(np.zeros(0, dtype=get_default_dtype()))
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer(): data must be a Tensor or None, got {type(data).__name__}")
        alias = data.detach()
        self._init_from(alias._data, None, data.requires_grad)
        self._counter = alias._counter
        if hasattr(alias, "_storage"):
            self._storage = alias._storage
        self.persistent = persistent

    def __deepcopy__(self, memo: dict) -> "Buffer":
        copied = super().__deepcopy__(memo)
        copied.persistent = self.persistent
        return copied

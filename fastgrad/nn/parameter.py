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

"""Parameter: a leaf tensor that a Module registers as something to train; Buffer, one it registers as state;
and their uninitialized forms, the parameters and buffers of lazy modules until their first forward."""
from __future__ import annotations

import numpy as np

from fastgrad.dtypes import as_dtype, dtype_or_default, get_default_dtype
from fastgrad.tensor import Tensor, check_device


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
        super().__init__(data.detach())  # Tensor(t): a new handle on t's memory and version counter
        self.requires_grad_(data.requires_grad)
        self.persistent = persistent

    def __deepcopy__(self, memo: dict) -> "Buffer":
        copied = super().__deepcopy__(memo)
        copied.persistent = self.persistent
        return copied


_UNINITIALIZED_USE = ("Attempted to use an uninitialized parameter or buffer ({what}). This happens when a lazy module "
                      "(LazyLinear, ...) is used before its first forward: call the module with a dummy batch first, "
                      "which gives its parameters their shapes")


class _Unmaterialized:
    """The data of an uninitialized tensor: a dtype (what it will be materialized with) and nothing else, so
    every op that reads the values raises instead of running on an empty array."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype

    def astype(self, dtype, copy: bool = True) -> "_Unmaterialized":
        return _Unmaterialized(np.dtype(dtype))  # Module.to(dtype) changes what it will be materialized with

    def __array__(self, *args, **kwargs):
        raise ValueError(_UNINITIALIZED_USE.format(what="its values"))

    def __getattr__(self, name: str):
        if name.startswith("__"):  # protocol probes (pickle's, NumPy's) find a plain object
            raise AttributeError(name)
        raise ValueError(_UNINITIALIZED_USE.format(what=name))


class _Uninitialized:
    """What UninitializedParameter and UninitializedBuffer share: no shape until `materialize(shape)`, which
    gives the tensor zeros of that shape and makes it (the same object, so an optimizer holding it keeps it)
    an instance of `cls_to_become`, as PyTorch's."""

    __slots__ = ()
    cls_to_become: type

    def _start_uninitialized(self, requires_grad: bool, device, dtype) -> None:
        check_device(type(self).__name__, device)
        dtype = dtype_or_default(dtype)
        self._init_from(np.zeros(0, dtype=dtype), None, requires_grad)
        self._data = _Unmaterialized(dtype)

    def materialize(self, shape, device=None, dtype=None) -> None:
        check_device("materialize", device)
        dtype = self._data.dtype if dtype is None else as_dtype(dtype)
        self._data = np.zeros(tuple(shape), dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This usually happens in "
                           "load_state_dict when loading an uninitialized parameter into an initialized one. Call "
                           "forward to initialize the parameters before accessing their attributes.")

    def __array__(self, *args, **kwargs):
        raise ValueError(_UNINITIALIZED_USE.format(what="its values"))

    def numpy(self, *args, **kwargs):
        raise ValueError(_UNINITIALIZED_USE.format(what="numpy()"))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter whose shape is not known yet (a lazy module's, until its first forward); it only keeps
    requires_grad and the dtype to materialize with."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        self._start_uninitialized(requires_grad, device, dtype)

    def __deepcopy__(self, memo: dict) -> "UninitializedParameter":
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, dtype=self._data.dtype)
        return memo[id(self)]


class UninitializedBuffer(_Uninitialized, Buffer):
    """A Buffer whose shape is not known yet. Materialized, it becomes an nn.Buffer (PyTorch's becomes a plain
    Tensor marked as a buffer)."""

    __slots__ = ()
    cls_to_become = Buffer

    def __init__(self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True) -> None:
        self._start_uninitialized(requires_grad, device, dtype)
        self.persistent = persistent

    def __deepcopy__(self, memo: dict) -> "UninitializedBuffer":
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, dtype=self._data.dtype, persistent=self.persistent)
        return memo[id(self)]


def is_lazy(tensor) -> bool:
    """Whether a tensor is an uninitialized parameter or buffer, as torch.nn.parameter.is_lazy."""
    return isinstance(tensor, _Uninitialized)

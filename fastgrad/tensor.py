"""Tensor: a NumPy array plus what autodiff needs (requires_grad, .grad, the node that made it).

Operators and methods call ops from the op table through `apply`, which records the graph;
`backward()` hands the walk to the graph layer. In-place methods (add_, zero_, ...) work outside
autograd, for parameter updates and initialisation.

This module holds the core of the class: what a tensor is, conversion, autograd, arithmetic and type
promotion, matrix products, dtype/device/copies and in-place updates. The method families (math,
reductions, shape, indexing, sampling) are mixins in fastgrad/tensor_methods/; the creation functions
(`tensor`, `zeros`, `arange`, ...) live in fastgrad/creation.py and are re-exported at the end.
"""
from __future__ import annotations

import copy
import functools
import operator
from typing import Any

import numpy as np

from fastgrad import backends, ops
from fastgrad.accelerator import accelerator_move
from fastgrad.autograd import differentiate, graph, hooks
from fastgrad.autograd.grad_mode import GRAD_MODE
from fastgrad.autograd.graph import apply, new_version_counter
from fastgrad.dtypes import (as_dtype, can_cast_in_place, checked_cast, get_default_dtype, int64, result_type,
                             supported, wrapped_number)
from fastgrad.memory_formats import (check_memory_format, contiguous_format, is_contiguous_as, preserve_format,
                                     suggested_format)
from fastgrad.printing import tensor_repr
from fastgrad.profiler import PROFILE
from fastgrad.tensor_methods.arguments import (NUMBERS, broadcast_error, in_place_operator, number_of_dtype, one_dim,
                                              size_arg, tensor_arg, torch_number)
from fastgrad.tensor_methods.in_place import InPlaceMethods
from fastgrad.tensor_methods.indexing import IndexingMethods
from fastgrad.tensor_methods.linalg import LinalgMethods, vector_operand
from fastgrad.tensor_methods.math import MathMethods
from fastgrad.tensor_methods.reductions import ReductionMethods, ValuesIndices  # noqa: F401 (re-exported)
from fastgrad.tensor_methods.sampling import SamplingMethods
from fastgrad.tensor_methods.shape import ShapeMethods
from fastgrad.tensor_methods.storage import StorageMethods


class device:
    """Only the CPU exists; `fastgrad.device("cpu")` and `.to("cpu")` are accepted for PyTorch code."""

    def __init__(self, kind: "str | device" = "cpu"):
        kind = kind.type if isinstance(kind, device) else str(kind)
        if kind.split(":")[0] != "cpu":
            raise RuntimeError(f"fastgrad runs on the CPU only; device {kind!r} is not available")
        self.type = "cpu"

    def __eq__(self, other) -> bool:
        return isinstance(other, device) or other == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")

    def __repr__(self) -> str:
        return "device(type='cpu')"


CPU = device("cpu")


class layout:
    """How a tensor's elements lie in memory, as torch.layout: fastgrad's are all `strided` (dense, with
    strides); there is no sparse layout."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"fastgrad.{self.name}"


strided = layout("strided")


class Size(tuple):
    """A shape, as torch.Size: a tuple (equal to the plain tuple of the same sizes) with numel()."""

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))

    def __repr__(self) -> str:
        return f"fastgrad.Size({list(self)})"

    # In messages and print(), a plain tuple's form: "shape (2, 3)" (repr() still names the type).
    __str__ = tuple.__repr__

    # As torch.Size, a slice, a concatenation with a tuple (from either side) and a repetition are Sizes too:
    # x.shape[1:].numel() works
    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, other)) if isinstance(other, tuple) else NotImplemented

    def __radd__(self, other):
        return Size(tuple.__add__(other, self)) if isinstance(other, tuple) else NotImplemented

    def __mul__(self, times):
        return Size(tuple.__mul__(self, times))

    __rmul__ = __mul__


def legacy_sizes(args: tuple) -> tuple | None:
    """What PyTorch's legacy constructors (`w.new(...)`, `LongTensor(...)`) read as sizes: ints (NumPy's too,
    0-dim integer arrays among them, as PyTorch reads anything with __index__), or one Size (`x.size()`); None
    when the arguments are data instead (a tuple or list is data)."""
    if len(args) == 1 and isinstance(args[0], Size):
        return tuple(args[0])
    if all(_is_size(n) for n in args):
        return tuple(int(n) for n in args)
    return None


def _is_size(n) -> bool:
    if isinstance(n, np.ndarray):
        return n.ndim == 0 and n.dtype.kind in "iu"
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool)


def check_device(where: str, value) -> None:
    """A `device=` argument: None or the CPU (a `device`, a string such as "cpu"); anything else raises."""
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, (device, str, int)):
            raise TypeError(f"{where}: device must be a fastgrad.device or a string such as 'cpu', "
                            f"got {type(value).__name__}")
        device(value if not isinstance(value, int) else f"cuda:{value}")  # an int names an accelerator


def to_arguments(where: str, args: tuple, kwargs: dict, shape: tuple | None = None) -> tuple:
    """PyTorch's forms of `.to(...)`: (device, dtype, non_blocking, copy), (dtype, non_blocking, copy) and
    (tensor, non_blocking, copy), each argument also by keyword, and memory_format by keyword (checked against
    the rank of `shape` when given). Checks the device and returns (dtype or None, copy, memory_format)."""
    rest, given = list(args), {}
    if rest and isinstance(rest[0], Tensor):
        given["dtype"] = rest.pop(0).dtype
    else:
        if rest and (isinstance(rest[0], (device, str)) or (isinstance(rest[0], int) and not isinstance(rest[0], bool))):
            given["device"] = rest.pop(0)
        if rest and not isinstance(rest[0], bool):
            given["dtype"] = rest.pop(0)
    if len(rest) > 2 or not all(isinstance(flag, bool) for flag in rest):
        raise TypeError(f"{where}: expected (device, dtype, non_blocking, copy), (dtype, non_blocking, copy) or "
                        f"(tensor, non_blocking, copy), got {tuple(type(a).__name__ for a in args)}")
    given.update(zip(("non_blocking", "copy"), rest))
    for key, value in kwargs.items():
        if key not in ("device", "dtype", "non_blocking", "copy", "memory_format"):
            raise TypeError(f"{where}: unexpected keyword argument {key!r}")
        if key in given:
            raise TypeError(f"{where}: {key} given twice")
        given[key] = value
    check_device(where, given.get("device"))
    dtype = given.get("dtype")
    memory_format = check_memory_format(where, given.get("memory_format"), shape, none_is_preserve=True)
    return (as_dtype(dtype) if dtype is not None else None), bool(given.get("copy", False)), memory_format


_COMPARISONS = (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal)
_COMPARISON_NAMES = dict(zip(_COMPARISONS, ("eq", "ne", "lt", "le", "gt", "ge")))


def _bool_method(ufunc, operator: bool = False):
    """A Tensor method giving ufunc(self, other) as a bool tensor outside the graph (comparisons). The
    operator form leaves what is neither a tensor nor a number (None, a list) to Python, as PyTorch does (x == None
    and x == [1, 2] are False, x < [1, 2] a TypeError), but for == with a NumPy array of numbers, which PyTorch 2.13
    compares elementwise as a tensor (its != does not: Python's fallback makes x != array True, whatever the
    values)."""
    def method(self, other):
        if operator and not isinstance(other, OPERANDS):
            if ufunc is np.equal and isinstance(other, np.ndarray) and other.dtype.kind in "biuf":
                return self._compare(ufunc, Tensor._from_data(other))
            return NotImplemented
        return self._compare(ufunc, other)

    method.__name__ = ufunc.__name__
    return method


def _legacy_constructor_data(args: tuple):
    """What `Tensor(*args)` holds, as torch.Tensor(*args) reads its arguments."""
    if not args:
        return np.zeros(0, dtype=get_default_dtype())
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0]
    sizes = legacy_sizes(args)
    if sizes is not None:
        if any(n < 0 for n in sizes):
            raise RuntimeError(f"Tensor(): sizes must be non-negative, got {list(sizes)}")
        return np.zeros(sizes, dtype=get_default_dtype())
    if len(args) == 1 and isinstance(args[0], (list, tuple, range, np.ndarray)):
        array = np.asarray(args[0])
        if array.dtype.kind not in "biuf":
            raise TypeError(f"Tensor(): data must hold numbers or bools, got dtype {array.dtype}")
        return array.astype(get_default_dtype(), copy=False)
    raise TypeError("Tensor(): expected no argument, sizes (ints), a sequence, an array or a tensor, as "
                    f"torch.Tensor(); got ({', '.join(type(a).__name__ for a in args)}); for a number use "
                    "fastgrad.tensor(value)")


class Tensor(MathMethods, ReductionMethods, ShapeMethods, IndexingMethods, LinalgMethods, SamplingMethods,
             InPlaceMethods, StorageMethods):
    # _counter: the version counter of the memory (shared with views); _base: the tensor whose memory
    # this one views (None when it owns its memory); _base_node: for a view, its base's history when it was made
    # (graph.base_history_mark; set only for views); _base_version: for a view, its memory's version when its
    # history was last current (graph.follow_new_base_history).
    # _previous: for a tensor changed in place under autograd, a weak reference to a stand-in holding its
    # history before the change (set only then; see fastgrad.autograd.graph.rebase).
    # _storage: for detach() or .data of a view (not a view to autograd, as in PyTorch), the tensor whose
    # memory it lies in, for storage_offset() (set only then).
    # Whether a tensor was made inside inference_mode is its counter's class (InferenceVersionCounter).
    __slots__ = ("_data", "_requires_grad", "_grad", "_node", "_counter", "_base", "_base_node", "_base_version",
                 "_previous", "_storage", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to the Tensor's reflected operator
    is_sparse = False

    def __init__(self, *args, **kwargs):
        """PyTorch's legacy constructor, `torch.Tensor(...)`: no argument, an empty tensor; sizes (ints or a
        Size), a tensor of that shape (zero-filled; PyTorch leaves it uninitialized); a sequence or an array,
        its values in the default float dtype (an array already of that dtype shares its memory); a tensor,
        a new handle on it. Like PyTorch's, it takes no dtype or requires_grad (use `fastgrad.tensor`)."""
        if kwargs:
            raise TypeError(f"Tensor(): takes no keyword arguments, as torch.Tensor() (got {sorted(kwargs)}); "
                            f"use fastgrad.tensor(data, dtype=..., requires_grad=...)")
        data = _legacy_constructor_data(args)
        if not isinstance(data, Tensor):
            self._init_from(data, None, False)
            return
        if data.requires_grad and GRAD_MODE.enabled:  # (PyTorch's is a differentiable alias, a view)
            raise TypeError("Tensor(t) of a tensor that requires grad is not supported in fastgrad (it would "
                            "cut the gradient); use t itself or t.view_as(t)")
        alias = data._alias()
        self._init_from(alias._data, None, False)
        self._counter = alias._counter
        if hasattr(alias, "_storage"):
            self._storage = alias._storage

    @classmethod
    def _from_data(cls, data: Any, dtype=None, requires_grad: bool = False) -> "Tensor":
        """fastgrad's own constructor: an array keeps its dtype and memory, a tensor's array likewise, Python
        floats take the default float dtype; `dtype` converts."""
        t = object.__new__(cls)
        t._init_from(data, dtype, requires_grad)
        return t

    def _init_from(self, data: Any, dtype, requires_grad: bool) -> None:
        array = data._data if isinstance(data, Tensor) else np.asarray(data)
        if dtype is not None:
            array = array.astype(as_dtype(dtype), copy=False)
        elif array.dtype.kind == "f" and not isinstance(data, (np.ndarray, np.generic, Tensor)):
            array = array.astype(get_default_dtype(), copy=False)  # Python floats: the default dtype, as in PyTorch
        else:
            supported(array.dtype, "data of dtype")
        self._data = array
        self._node = None
        self._counter = new_version_counter()
        self._base = None
        self._grad = None
        self._requires_grad = False
        if requires_grad:  # a new tensor: no recorded op has read its flag, so there is no change to remember
            self._refuse_requires_grad(True)
            self._requires_grad = True

    @classmethod
    def _wrap(cls, array, requires_grad: bool, node) -> "Tensor":
        """Fast path for op outputs: no conversion, no checks."""
        t = object.__new__(cls)
        t._data = array
        t._requires_grad = requires_grad
        t._node = node
        t._counter = new_version_counter()
        t._base = None
        t._grad = None
        return t

    def _alias(self) -> "Tensor":
        """A new handle on the same memory and version counter, outside the graph."""
        t = Tensor._wrap(self._data, False, None)
        t._counter = self._counter
        if self._base is not None or hasattr(self, "_storage"):
            t._storage = self._memory_owner()
        return t

    def __deepcopy__(self, memo: dict) -> "Tensor":
        """A leaf's copy, as PyTorch's: new memory with the same values, requires_grad and .grad. Tensors
        sharing memory share it again among their copies made by one deepcopy call (the memory is copied
        once, through `memo`), a view's copy keeps its strides and storage_offset, and the copies share a
        version counter. Not a view to autograd. A tensor made by a recorded op raises, as in PyTorch."""
        if self._node is not None:
            raise RuntimeError("deepcopy: only leaf tensors (created by the user, not by an op recorded for "
                               "autograd) can be deep-copied, as in PyTorch; detach() it first")
        owner = self._memory_owner()
        memory = copy.deepcopy(owner._data, memo)
        if owner is self:
            data = memory
        elif owner._data.flags.c_contiguous:  # (then so is its copy: the view's place carries over)
            start = self._data.__array_interface__["data"][0] - owner._data.__array_interface__["data"][0]
            data = np.lib.stride_tricks.as_strided(memory.reshape(-1)[start // self._data.itemsize:],
                                                   self._data.shape, self._data.strides,
                                                   writeable=self._data.flags.writeable)
        else:
            data = self._data.copy()
        result = type(self)._wrap(data, self._requires_grad, None)
        memo[id(self)] = result
        result._counter = copy.deepcopy(self._counter, memo)
        if owner is not self and data.base is not None:
            result._storage = copy.deepcopy(owner, memo)
        result._grad = copy.deepcopy(self._grad, memo)
        return result

    def _memory_owner(self) -> "Tensor":
        """The tensor that owns the memory this one views (itself when it owns it)."""
        owner = self
        while owner._base is not None:
            owner = owner._base
        return getattr(owner, "_storage", owner)

    # -- what it is -------------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    # The getters read on every op and every optimizer step (ndim, dtype, grad, requires_grad) are C callables
    # (operator.attrgetter): a Python getter costs a frame per read, more than the read itself.
    ndim = property(operator.attrgetter("_data.ndim"), doc="The number of dims (an int).")
    dtype = property(operator.attrgetter("_data.dtype"), doc="The element type (a NumPy dtype).")

    @property
    def device(self) -> device:
        return CPU

    @property
    def _version(self) -> int:
        """How many times this tensor's memory was changed in place (as PyTorch's `_version`)."""
        return self._counter.value

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad_fn(self):
        if self._base is not None:  # (a view whose history is ambiguous raises, as PyTorch's)
            graph.refuse_ambiguous_view(self)
            graph.follow_changed_bases((self,))
        return self._node

    def size(self, dim: int | None = None):
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self.ndim

    def nelement(self) -> int:
        return self.numel()

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """The bytes of the elements (numel * itemsize; an expanded view counts every element, as PyTorch)."""
        return self._data.size * self._data.itemsize

    def stride(self, dim: int | None = None):
        """The step in elements between neighbours along each dim, of the memory this tensor views (0 along
        an expanded dim), as PyTorch's."""
        strides = tuple(step // self._data.itemsize for step in self._data.strides)
        return strides if dim is None else strides[one_dim(dim, self.ndim)]

    def storage_offset(self) -> int:
        """Where this view starts, in elements from the start of the memory of the tensor it views."""
        start = self._data.__array_interface__["data"][0] - self._memory_owner()._data.__array_interface__["data"][0]
        return start // self._data.itemsize

    @property
    def is_cuda(self) -> bool:
        return False

    def numel(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        if self._node is not None:
            suffixes = [f"grad_fn=<{self._node.op.__name__}Backward>"]
        else:
            suffixes = ["requires_grad=True"] if self.requires_grad else []
        return tensor_repr(self._data, suffixes, get_default_dtype())

    # -- conversion -------------------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying array (shared, not copied). As PyTorch's, refused for a tensor that requires grad in grad
        mode (its values would leave the graph unnoticed; use detach().numpy()), unless `force`."""
        return self._data if force else self._numpy_data()

    def _numpy_data(self) -> np.ndarray:
        """The array NumPy may read: numpy()'s, np.asarray(t)'s and a NumPy operator's, with PyTorch's refusal."""
        if GRAD_MODE.enabled and self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._numpy_data() if dtype is None else self._numpy_data().astype(dtype)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        """The result of a NumPy ufunc on tensors (np.exp(t), np.add(t, array)) as a tensor outside the graph, as
        PyTorch's: a bool one uint8, and a 0-d one a tensor too."""
        return Tensor._from_data(array.astype(np.uint8) if array.dtype == np.bool_ else array)

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def __format__(self, format_spec: str) -> str:
        """A 0-d tensor formats as its number (f"{loss:.4f}"), as in PyTorch; others only with an empty spec."""
        if self.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        return bool(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:  # (TypeError for a list * tensor, as PyTorch's)
            raise TypeError(f"only integer tensors of a single element can be used as an index, got dtype "
                            f"{self._data.dtype} and shape {self.shape}")
        return int(self.item())

    __hash__ = object.__hash__

    # -- autograd ---------------------------------------------------------------------------------
    grad = property(operator.attrgetter("_grad"),
                    doc="The gradient accumulated by backward (a Tensor, a row-sparse gradient, or None).")

    @grad.setter
    def grad(self, value) -> None:
        # As PyTorch, refuse a gradient that does not fit: an optimizer would broadcast it silently.
        if value is not None:
            if not (isinstance(value, Tensor) or getattr(value, "is_sparse", False)):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value).__name__}")
            if tuple(value.shape) != self._data.shape:
                raise RuntimeError(f"assigned grad has shape {tuple(value.shape)}, expected the tensor's shape "
                                   f"{self._data.shape}")
            if value.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has dtype {value.dtype}, expected the tensor's dtype {self.dtype}")
        self._grad = value

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self._refuse_requires_grad(requires_grad)
        if requires_grad != self._requires_grad:
            graph.note_requires_grad_change(self, requires_grad)
        self._requires_grad = requires_grad
        return self

    def _refuse_requires_grad(self, requires_grad: bool) -> None:
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(f"only floating point tensors can require gradients, got dtype {self._data.dtype}")
        if not requires_grad and self._node is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf tensor; use .detach()")

    requires_grad = property(operator.attrgetter("_requires_grad"),
                             doc="Whether backward computes a gradient for this tensor (a bool).")

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        # With requires_grad_()'s checks, as PyTorch: turning it off on a computed tensor would cut the
        # gradient of everything computed from it, and an integer tensor cannot hold a gradient.
        self.requires_grad_(bool(value))

    def register_hook(self, hook) -> "hooks.RemovableHandle":
        """Call `hook(grad)` with this tensor's gradient in each backward (summed over every path); a Tensor
        it returns replaces the gradient (see fastgrad.autograd.hooks)."""
        graph.refuse_ambiguous_view(self)
        graph.follow_changed_bases((self,))  # (a hook registered after the base changed is the new history's)
        return hooks.register_hook(self, hook)

    def retain_grad(self) -> None:
        """Keep this non-leaf's gradient as its `.grad` in later backwards (a leaf keeps it anyway)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that has requires_grad=False")
        if self._node is not None and not hooks.retains_grad(self):
            graph.refuse_ambiguous_view(self)  # (PyTorch reads the history of a non-leaf that does not retain yet)
            graph.follow_changed_bases((self,))
            hooks.register_hook(self, hooks.RetainGrad(self))

    @property
    def retains_grad(self) -> bool:
        return self._node is not None and hooks.retains_grad(self)

    def register_post_accumulate_grad_hook(self, hook) -> "hooks.RemovableHandle":
        """Call `hook(self)` in each backward once this leaf's `.grad` holds all of that backward's
        contributions (see fastgrad.autograd.hooks)."""
        return hooks.register_post_accumulate_grad_hook(self, hook)

    def detach(self) -> "Tensor":
        """The same values, cut from the graph (shares memory and its version counter)."""
        return self._alias()

    def detach_(self) -> "Tensor":
        if self._base is not None:  # (as PyTorch, whether or not the base requires grad)
            raise RuntimeError("detach_(): cannot detach a view (of a tensor of shape "
                               f"{tuple(self._base.shape)}) in place; use detach()")
        if self._node is not None:
            graph.mark_detached_in_place(self)
        elif self._requires_grad:  # (a leaf detached in place: nodes recorded before keep their edge to it)
            graph.note_requires_grad_change(self, False)
        self._node, self._requires_grad = None, False
        return self

    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into the .grad of every leaf that requires grad (of `inputs` only,
        when given); see fastgrad.autograd.backward."""
        if gradient is None and inputs is None and not create_graph and self._requires_grad and self._data.size == 1:
            # loss.backward(), the common call: nothing to check but what the condition did
            one = self._data.copy()  # (np.ones of its shape and dtype, without three slow attribute reads)
            one.fill(1)
            graph.run_backward((self,), (one,), bool(retain_graph))
        else:
            differentiate.backward(self, gradient, retain_graph, create_graph, inputs)

    @property
    def data(self) -> "Tensor":
        """The values without autograd: in-place changes through it are not recorded (but they do
        count as changes for graphs that saved these values)."""
        return self._alias()

    @data.setter
    def data(self, value: "Tensor | np.ndarray") -> None:
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
        if self._requires_grad and array.dtype.kind != "f":  # (its .grad could not hold a gradient)
            raise RuntimeError(f"data: a tensor that requires grad must hold floating point values, got dtype "
                               f"{array.dtype}")
        self._data = array

    # -- arithmetic -------------------------------------------------------------------------------
    def _operand(self, other) -> "Tensor":
        """A tensor, or a Python number or NumPy scalar wrapped for a binary op with this tensor. Anything else (a
        NumPy array, a list, None) is a TypeError, as PyTorch's methods and functions refuse it (its operators hand
        an array to NumPy: see _operator_fallback); so is a complex number, which fastgrad has no dtype for."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, complex):  # (NumPy's complex128 too; its complex64 is no Python complex, taken as real)
            raise TypeError(f"expected a real number or a tensor, got the complex number {other!r}: fastgrad has no "
                            f"complex dtypes")
        if not isinstance(other, NUMBERS):
            raise TypeError(f"expected a tensor or a number, got {type(other).__name__} {other!r:.50}; convert it with "
                            f"fastgrad.tensor() or fastgrad.as_tensor(), as PyTorch asks")
        other = torch_number(other)
        dtype = result_type(self._data, other)
        return Tensor._wrap(np.array(wrapped_number(other, dtype), dtype=dtype), False, None)

    def _promoted(self, other: "Tensor") -> tuple["Tensor", "Tensor"]:
        """Both operands in the dtype PyTorch's promotion rules give (see fastgrad.dtypes.result_type)."""
        dtype = result_type(self._data, other._data)
        return (self if self._data.dtype == dtype else self.to(dtype),
                other if other._data.dtype == dtype else other.to(dtype))

    def _binary(self, op, other, reflected: bool = False, operator: bool = False, **attrs) -> "Tensor":
        """self (op) other, or other (op) self when reflected. `operator`: whether a Python operator calls, which
        hands an operand PyTorch's ops refuse to Python (_operator_fallback); a named method's is a TypeError
        (_operand). The operators sort their operand here, off the path of a tensor, at no cost to it (a flag, not
        the ufunc: reading np.multiply per call cost 300 instructions)."""
        if type(other) is Tensor:
            operand = other
        elif not operator or isinstance(other, OPERANDS):
            operand = self._operand(other)
        else:
            return self._operator_fallback(_OPERATOR_UFUNCS[op], other, reflected)
        if operand._data.dtype is not self._data.dtype:  # equal dtypes (one object, bar rare variants) skip promotion
            self, operand = self._promoted(operand)
        a, b = (operand, self) if reflected else (self, operand)
        try:
            return apply(op, a, b, **attrs) if attrs else apply(op, a, b)  # (a ** call costs a nested interpreter loop)
        except ValueError as err:
            try:
                np.broadcast_shapes(a.shape, b.shape) if op is not ops.Matmul else None
            except ValueError:
                raise broadcast_error(op.__name__.lower(), a.shape, b.shape) from None
            if op is ops.Matmul:
                raise RuntimeError(f"matmul: shapes {a.shape} and {b.shape} are not aligned for a matrix "
                                   f"product") from None
            raise err

    def _operator_fallback(self, ufunc, other, reflected: bool):
        """What Python's operator (`ufunc`: NumPy's for its op) gives for an operand that is neither a tensor nor a
        number, as PyTorch's: its op refuses the operand, so its operator returns NotImplemented and Python asks
        the other operand. A NumPy array after the tensor thus computes by NumPy: its reflected operator reads the
        tensor's values (refused for a tensor that requires grad in grad mode, as its numpy() is) and applies
        NumPy's rules (float32 values and a 0-d float64 array give float64); the tensor's __array_wrap__ makes the
        result a tensor outside the graph, a bool one uint8; NumPy's own errors (ValueError for shapes that do not
        broadcast) come as they are. Anything else (an array first, a list, None) gives NotImplemented, and so
        Python's TypeError."""
        if reflected or not isinstance(other, np.ndarray):
            return NotImplemented
        return self.__array_wrap__(np.asarray(ufunc(self._numpy_data(), other)))

    # The Python operators tell the op they call it (operator=True), which sorts their operand (_binary).
    def __add__(self, other):
        return self._binary(ops.Add, other, False, True)

    def __radd__(self, other):
        return self._binary(ops.Add, other, True, True)

    def __sub__(self, other):
        _refuse_bool_subtraction(self, other)
        return self._binary(ops.Sub, other, False, True)

    def __rsub__(self, other):
        _refuse_bool_subtraction(self, other)
        return self._binary(ops.Sub, other, True, True)

    def __mul__(self, other):
        return self._binary(ops.Mul, other, False, True)

    def __rmul__(self, other):
        return self._binary(ops.Mul, other, True, True)

    def mul(self, other) -> "Tensor":
        return self._binary(ops.Mul, other)

    def __truediv__(self, other):
        return self._divide(other, False, True)

    def __rtruediv__(self, other):
        if isinstance(other, np.ndarray):  # (PyTorch's is self.reciprocal() * other, which NumPy then computes)
            return self.reciprocal() * other
        return self._divide(other, True, True)

    def _divide(self, other, reflected: bool, operator: bool = False) -> "Tensor":
        """True division: promoted as usual, then floating (integers give the default float dtype). `operator`: as
        _binary's."""
        number = isinstance(other, (bool, int, float, np.number, np.bool_))
        if not number and not isinstance(other, Tensor):  # (a Python complex number, a list, ...: _binary sorts it)
            return self._binary(ops.Div, other, reflected, operator)
        dtype = result_type(self._data, other if number else other._data)
        if dtype.kind != "f":
            dtype = get_default_dtype()
        operand = other
        if number:  # straight into the floating dtype: `int8_tensor / 300` divides by 300, as PyTorch
            operand = Tensor._wrap(np.array(operand, dtype=dtype), False, None)
        a = self if self._data.dtype == dtype else self.to(dtype)
        return a._binary(ops.Div, operand if operand._data.dtype == dtype else operand.to(dtype), reflected)

    def __pow__(self, other):
        self._check_exponent("pow", other)
        if type(other) is int and not -16777215 <= other <= 16777216 and self._rounds_exponent(other):  # (2**24: exact)
            return (self.to(np.float64) ** other).to(self._data.dtype)
        return self._binary(_power_op(other), other, False, True)

    def pow(self, exponent) -> "Tensor":
        # (what PyTorch's ops refuse, which ** hands on, the op refuses here: a TypeError)
        return self.__pow__(exponent) if isinstance(exponent, OPERANDS) else self._binary(_power_op(exponent), exponent)

    def _rounds_exponent(self, other) -> bool:
        """Whether self's float32 would round the int exponent `other`, or the `other - 1` of its derivative: PyTorch
        keeps them in double precision, where 2**24 + 1 stays odd and (-1) ** it stays -1."""
        return (type(other) is int and self._data.dtype == np.float32
                and any(int(np.float32(n)) != n for n in (other, other - 1)))

    def _check_exponent(self, name: str, other) -> None:
        """What PyTorch refuses of self ** other, where NumPy would compute a value."""
        if isinstance(other, Tensor) and other._data.dtype == np.bool_:  # (a bool number as exponent is fine)
            self._refuse_bool(name)
        if (isinstance(other, (int, np.integer)) and not isinstance(other, bool) and other < 0
                and self._data.dtype.kind in "biu"):  # (a tensor of negative exponents is computed, as PyTorch)
            raise RuntimeError(f"{name}: integers to negative integer powers are not allowed (as in PyTorch), got "
                               f"dtype {self.dtype} ** {other}; use a floating point tensor")
        if type(other) is int:  # an exponent the integer result cannot hold is refused, not wrapped, as PyTorch
            checked_cast(np.asarray(other), result_type(self._data, other), name)

    def __rpow__(self, other):
        if isinstance(other, bool):  # (not a NumPy bool: _operand takes it as a float, as PyTorch)
            self._refuse_bool("pow")
        return self._binary(ops.Pow, other, True, True)

    def __matmul__(self, other):
        return _matmul(self, other, False, True)

    def __rmatmul__(self, other):
        return _matmul(self, other, True, True)

    def matmul(self, other) -> "Tensor":
        return _matmul(self, other)

    def __neg__(self):
        if self._data.dtype.kind == "b":
            raise RuntimeError("neg: negation, the `-` operator, on a bool tensor is not supported (as in PyTorch); use "
                               "the `~` operator or logical_not() instead")
        return apply(ops.Neg, self)

    def __pos__(self):
        return self.positive()  # (+bools refused, as PyTorch's)

    def __abs__(self):
        return self.abs()

    def add(self, other, *, alpha: float = 1) -> "Tensor":
        """self + alpha * other, as torch.add."""
        return self + self._scaled(other, alpha)

    def sub(self, other, *, alpha: float = 1) -> "Tensor":
        """self - alpha * other, as torch.sub."""
        _refuse_bool_subtraction(self, other)  # (before _scaled gives a bool other self's dtype)
        return self - self._scaled(other, alpha, subtracting=True)

    def div(self, other, *, rounding_mode: str | None = None) -> "Tensor":
        """self / other, as torch.div: true division (integers give the default float dtype), or with
        rounding_mode "trunc" or "floor" the quotient rounded, in the promoted dtype (integers stay integers;
        an integer divisor of 0 raises), with a zero gradient."""
        if rounding_mode is None:
            return self._divide(other, reflected=False)
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError(f"div: expected rounding_mode to be one of None, 'trunc' or 'floor', got "
                             f"{rounding_mode!r}")
        return self._integer_division(ops.RoundedDivide, "div", other, False, mode=rounding_mode)

    def positive(self) -> "Tensor":
        """self itself, as torch.positive (which refuses bool tensors)."""
        if self._data.dtype.kind == "b":
            raise RuntimeError("positive: not defined for bool tensors (as in PyTorch)")
        return self

    # PyTorch's other names for the same methods
    multiply = mul
    divide = div
    subtract = sub
    neg = negative = __neg__

    def maximum(self, other) -> "Tensor":
        return self._binary(ops.Maximum, tensor_arg(other, "maximum(): argument 'other'"))

    def minimum(self, other) -> "Tensor":
        return self._binary(ops.Minimum, tensor_arg(other, "minimum(): argument 'other'"))

    def floor_divide(self, other) -> "Tensor":
        return self._integer_division(ops.FloorDivide, "floor_divide", other, False)

    def __floordiv__(self, other) -> "Tensor":
        return self._integer_division(ops.FloorDivide, "floor_divide", other, False, True)

    def __rfloordiv__(self, other) -> "Tensor":
        return self._integer_division(ops.FloorDivide, "floor_divide", other, True, True)

    def remainder(self, other) -> "Tensor":
        return self._integer_division(ops.Remainder, "remainder", other, False)

    def __mod__(self, other) -> "Tensor":
        return self._integer_division(ops.Remainder, "remainder", other, False, True)

    def __rmod__(self, other) -> "Tensor":
        return self._integer_division(ops.Remainder, "remainder", other, True, True)

    def _integer_division(self, op, name: str, other, reflected: bool, operator: bool = False, **attrs) -> "Tensor":
        """floor_divide, remainder and rounded div; between two bools PyTorch has no kernel (NumPy would give
        int8). `operator`: as _binary's."""
        if isinstance(other, bool) or (isinstance(other, Tensor) and other._data.dtype == np.bool_):
            self._refuse_bool(name)  # (not a NumPy bool: _operand takes it as a float, as PyTorch)
        return self._binary(op, other, reflected, operator, **attrs)

    # Comparisons give bool tensors outside the graph.
    def _compare(self, ufunc, other) -> "Tensor":
        """ufunc in the promoted dtype, as PyTorch compares: `uint8_tensor < -1` compares with 255 (see
        wrapped_number), an int32 tensor with 0.5 in float32."""
        if not isinstance(other, OPERANDS):  # (a list or an array too, as PyTorch's)
            name = _COMPARISON_NAMES.get(ufunc, ufunc.__name__)  # (logical_and and the like too)
            raise TypeError(f"{name}: expected a tensor or a number to compare with, got {type(other).__name__} "
                            f"{other!r:.50}")
        if isinstance(other, complex):  # (Python's and NumPy's complex128; PyTorch takes a complex64 as real)
            return self._compare_with_complex(ufunc, other)
        a, b = self._promoted(self._operand(other))
        a, b = a._data, b._data
        try:
            return Tensor._wrap(ufunc(a, b), False, None)
        except ValueError:
            shapes = (np.shape(a), np.shape(b))
            try:
                np.broadcast_shapes(*shapes)
            except ValueError:
                raise broadcast_error(ufunc.__name__, *shapes) from None
            raise

    def _compare_with_complex(self, ufunc, other: complex) -> "Tensor":
        """== and != with a complex number, as PyTorch's in the complex dtype of self's (of the default dtype for an
        integer or bool tensor): its real and imaginary parts rounded to that float dtype, and the elements too.
        Complex numbers have no order: PyTorch has no lt kernel for them (NotImplementedError)."""
        if ufunc not in (np.equal, np.not_equal):
            raise NotImplementedError(f"{_COMPARISON_NAMES[ufunc]}: complex numbers have no order, so a tensor cannot "
                                      f"be compared with {other!r} (as PyTorch's, which has no kernel for it)")
        dtype = self._data.dtype if self._data.dtype.kind == "f" else get_default_dtype()
        real, imag = dtype.type(other.real), dtype.type(other.imag)
        values = self._data.astype(dtype, copy=False)
        if ufunc is np.equal:
            return Tensor._wrap((values == real) & (imag == 0), False, None)
        return Tensor._wrap((values != real) | (imag != 0), False, None)

    eq, ne, lt, le, gt, ge = (_bool_method(ufunc) for ufunc in _COMPARISONS)
    not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge
    __eq__, __ne__, __lt__, __le__, __gt__, __ge__ = (_bool_method(ufunc, operator=True) for ufunc in _COMPARISONS)

    # Bitwise operators on bool and integer tensors, outside the graph, as PyTorch (which has no kernel for floats:
    # NotImplementedError, a RuntimeError).
    def _bitwise(self, ufunc, other, name: str, reflected: bool = False, operator: bool = False) -> "Tensor":
        """ufunc(self, other), or ufunc(other, self) when reflected; `operator`: as _binary's."""
        if operator and not isinstance(other, OPERANDS):
            return self._operator_fallback(ufunc, other, reflected)
        operand = self._operand(other)
        for t in (self, operand):
            if t._data.dtype.kind not in "biu":
                raise NotImplementedError(f"{name}: expected bool or integer tensors, got dtype {t._data.dtype}")
        a, b = self._promoted(operand)
        if reflected:
            a, b = b, a
        try:
            return Tensor._wrap(ufunc(a._data, b._data), False, None)
        except ValueError:
            raise broadcast_error(name, a.shape, b.shape) from None

    def bitwise_and(self, other) -> "Tensor":
        return self._bitwise(np.bitwise_and, other, "bitwise_and")

    def bitwise_or(self, other) -> "Tensor":
        return self._bitwise(np.bitwise_or, other, "bitwise_or")

    def bitwise_xor(self, other) -> "Tensor":
        return self._bitwise(np.bitwise_xor, other, "bitwise_xor")

    def __and__(self, other):
        return self._bitwise(np.bitwise_and, other, "bitwise_and", False, True)

    def __or__(self, other):
        return self._bitwise(np.bitwise_or, other, "bitwise_or", False, True)

    def __xor__(self, other):
        return self._bitwise(np.bitwise_xor, other, "bitwise_xor", False, True)

    def __rand__(self, other):
        return self._bitwise(np.bitwise_and, other, "bitwise_and", True, True)

    def __ror__(self, other):
        return self._bitwise(np.bitwise_or, other, "bitwise_or", True, True)

    def __rxor__(self, other):
        return self._bitwise(np.bitwise_xor, other, "bitwise_xor", True, True)

    def _shift(self, other, left: bool, reflected: bool = False, operator: bool = False) -> "Tensor":
        """self << other (or >>) with PyTorch's results where C's are undefined: a shift by a negative
        count or by the bit width or more gives 0 (>> of a negative value: -1). `operator`: as _binary's."""
        if operator and not isinstance(other, OPERANDS):
            return self._operator_fallback(np.left_shift if left else np.right_shift, other, reflected)
        name = "bitwise_left_shift" if left else "bitwise_right_shift"
        given = other._data.dtype if isinstance(other, Tensor) else type(other).__name__
        a, b = (self._operand(other), self) if reflected else (self, self._operand(other))
        if any(t._data.dtype.kind not in "biu" for t in (a, b)) or a._data.dtype == b._data.dtype == np.bool_:
            operands = (given, self._data.dtype) if reflected else (self._data.dtype, given)
            raise NotImplementedError(f"{name}: expected integer tensors (or a bool one and an integer one), got "
                                      f"{operands[0]} and {operands[1]}")
        values, counts = (t._data for t in a._promoted(b))
        outside = (counts < 0) | (counts >= 8 * values.dtype.itemsize)
        counts = np.where(outside, 0, counts)
        if left:
            out = np.where(outside, 0, np.left_shift(values, counts))
        else:
            out = np.where(outside, np.where(values < 0, -1, 0), np.right_shift(values, counts))
        return Tensor._wrap(out.astype(values.dtype, copy=False), False, None)

    def bitwise_left_shift(self, other) -> "Tensor":
        return self._shift(other, left=True)

    def bitwise_right_shift(self, other) -> "Tensor":
        return self._shift(other, left=False)

    def __lshift__(self, other):
        return self._shift(other, True, False, True)

    def __rshift__(self, other):
        return self._shift(other, False, False, True)

    def __rlshift__(self, other):
        return self._shift(other, True, True, True)

    def __rrshift__(self, other):
        return self._shift(other, False, True, True)

    def bitwise_not(self):
        if self._data.dtype.kind not in "biu":
            raise NotImplementedError(f"bitwise_not: expected a bool or integer tensor, got dtype {self._data.dtype}")
        return Tensor._wrap(np.invert(self._data), False, None)

    def __invert__(self):
        if self._data.dtype.kind not in "biu":  # (PyTorch's ~ checks before its kernel: TypeError here)
            raise TypeError(f"~ (bitwise_not): expected a bool or integer tensor, got dtype {self._data.dtype}")
        return self.bitwise_not()

    # Logical operators: any dtype, nonzero is true, a bool result.
    logical_and, logical_or, logical_xor = (_bool_method(ufunc) for ufunc in (np.logical_and, np.logical_or,
                                                                               np.logical_xor))

    def logical_not(self):
        return Tensor._wrap(np.logical_not(self._data), False, None)

    # -- matrix products ----------------------------------------------------------------------------
    def mm(self, mat2: "Tensor") -> "Tensor":
        """The 2-D matrix product (no broadcasting, operands of one dtype), as torch.mm."""
        _check_product_operands("mm", self, mat2, 2)
        if self.shape[1] != mat2.shape[0]:
            raise RuntimeError(f"mm: shapes {self.shape} and {mat2.shape} cannot be multiplied ({self.shape[1]} "
                               f"columns in self, {mat2.shape[0]} rows in mat2)")
        return apply(ops.Matmul, self, mat2)

    def bmm(self, mat2: "Tensor") -> "Tensor":
        """Batched matrix products of 3-D tensors (b, n, m) and (b, m, p), as torch.bmm (no broadcasting)."""
        _check_product_operands("bmm", self, mat2, 3)
        if mat2.shape[:2] != (self.shape[0], self.shape[2]):
            raise RuntimeError(f"bmm: shapes {self.shape} and {mat2.shape} cannot be multiplied (expected mat2 of "
                               f"shape ({self.shape[0]}, {self.shape[2]}, p))")
        return apply(ops.Matmul, self, mat2)

    def outer(self, vec2: "Tensor") -> "Tensor":
        """out[i, j] = self[i] * vec2[j], for 1-D tensors."""
        vector_operand("outer", "self", self)
        return self.reshape(-1, 1) * vector_operand("outer", "vec2", vec2)

    ger = outer  # (PyTorch's older name)

    # -- dtype, device, copies ----------------------------------------------------------------------
    def to(self, *args, **kwargs) -> "Tensor":
        """`.to(dtype)`, `.to("cpu")` / `.to(device)`, `.to(other)` (other's dtype), with PyTorch's
        `non_blocking`, `copy` and `memory_format`: self when nothing changes, unless copy=True."""
        dtype, copy, memory_format = to_arguments("Tensor.to", args, kwargs, self.shape)
        if (dtype is None or dtype == self.dtype) and not copy and (
                memory_format is preserve_format or memory_format is suggested_format(self._data)):
            return self
        return apply(ops.Cast, self, dtype=dtype if dtype is not None else self.dtype, memory_format=memory_format)

    def type(self, dtype=None, non_blocking: bool = False, **kwargs):
        """Without a dtype, PyTorch's legacy type name ('torch.FloatTensor'); with one (a dtype, a typed
        constructor such as fastgrad.LongTensor, or its name 'torch.LongTensor'), self in that dtype."""
        from fastgrad.tensor_types import legacy_type_dtype, typename  # (they import this module)

        if dtype is None:
            return typename(self)
        return self.to(legacy_type_dtype(dtype))

    def type_as(self, other: "Tensor") -> "Tensor":
        """self in other's dtype."""
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as: other must be a Tensor, got {type(other).__name__}")
        return self.to(other.dtype)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_inference(self) -> bool:
        """Whether self was made inside inference_mode (as a new tensor, or a view of one made there)."""
        return self._counter.inference

    def float(self) -> "Tensor":
        return self.to(np.float32)

    def double(self) -> "Tensor":
        return self.to(np.float64)

    def long(self) -> "Tensor":
        return self.to(np.int64)

    def int(self) -> "Tensor":
        return self.to(np.int32)

    def bool(self) -> "Tensor":
        return self.to(np.bool_)

    def byte(self) -> "Tensor":
        return self.to(np.uint8)

    def char(self) -> "Tensor":
        return self.to(np.int8)

    def short(self) -> "Tensor":
        return self.to(np.int16)

    def half(self) -> "Tensor":
        raise TypeError("half: fastgrad has no float16 (its floating point dtypes are float32 and float64); use "
                        ".float()")

    def bfloat16(self) -> "Tensor":
        raise TypeError("bfloat16: fastgrad has no bfloat16 (its floating point dtypes are float32 and float64); use "
                        ".float()")

    def is_signed(self) -> bool:
        return self._data.dtype.kind in "if"

    def is_complex(self) -> bool:
        return False  # fastgrad has no complex dtypes

    # PyTorch's lazy conjugation and negation bits: a real tensor never carries them, and its conjugate is itself.
    def is_conj(self) -> bool:
        return False

    def is_neg(self) -> bool:
        return False

    def conj(self) -> "Tensor":
        return self

    resolve_conj = resolve_neg = conj_physical = conj

    def is_nonzero(self) -> bool:
        """Whether the one element is not zero (NaN counts as nonzero); more or fewer elements raise, as in
        PyTorch."""
        if self._data.size != 1:
            how_many = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"is_nonzero: Boolean value of Tensor with {how_many} is ambiguous (shape "
                               f"{tuple(self.shape)})")
        return bool(self._data.reshape(-1)[0])

    def is_same_size(self, other: "Tensor") -> bool:
        if not isinstance(other, Tensor):
            raise TypeError(f"is_same_size: other must be a Tensor, got {type(other).__name__}")
        return self.shape == other.shape

    # Memory: a CPU array of NumPy's, never pinned (there is no accelerator to copy to) nor shared between processes.
    is_cpu = True
    layout = property(lambda self: strided)
    # The flags of the other devices and layouts (False, as for any dense CPU tensor in PyTorch), no name
    # (fastgrad has no named tensors), and moves to accelerators, which raise as PyTorch's do without them.
    is_meta = is_mps = is_xpu = is_ipu = is_xla = is_maia = is_mtia = property(lambda self: False)
    is_vulkan = is_mkldnn = is_quantized = is_nested = is_sparse_csr = property(lambda self: False)
    name = property(lambda self: None)
    cuda = accelerator_move("cuda", "CUDA")
    xpu = accelerator_move("xpu", "XPU")

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """The tensor's memory as a DLPack capsule (NumPy's export of its array), for another library's
        from_dlpack to share; refused, as PyTorch refuses, for a tensor that requires grad."""
        if self._requires_grad:
            raise BufferError("__dlpack__: cannot export a tensor that requires grad (the other library would not "
                              "record its changes); export tensor.detach()")
        if stream is not None and stream != -1:  # (-1: no stream, as None, in PyTorch's default)
            raise AssertionError(f"__dlpack__: stream must be None (or -1) on the CPU, got {stream!r}")
        return self._data.__dlpack__(max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self) -> tuple:
        return self._data.__dlpack_device__()

    def get_device(self) -> int:
        return -1  # PyTorch's answer for a CPU tensor

    def data_ptr(self) -> int:
        """The address of the first element."""
        return self._data.__array_interface__["data"][0]

    def is_pinned(self) -> bool:
        return False

    def pin_memory(self) -> "Tensor":
        raise RuntimeError("pin_memory: pinned memory is for copies to an accelerator, and fastgrad runs on the CPU "
                           "only (PyTorch without an accelerator raises too)")

    def is_shared(self) -> bool:
        return False

    def share_memory_(self) -> "Tensor":
        # A no-op would let processes that are meant to update one tensor (Hogwild training) each change a copy.
        raise RuntimeError("share_memory_: fastgrad cannot move a tensor's memory to memory shared between "
                           "processes; train in one process, or exchange updates explicitly (fastgrad.distributed)")

    def cpu(self) -> "Tensor":
        return self

    def clone(self, *, memory_format=preserve_format) -> "Tensor":
        """A copy, laid out in `memory_format` (by default as self is, as PyTorch's)."""
        memory_format = check_memory_format("clone", memory_format, self.shape, none_is_preserve=True)
        return apply(ops.Cast, self, dtype=self.dtype, memory_format=memory_format)

    def contiguous(self, *, memory_format=contiguous_format) -> "Tensor":
        """self when its strides already are those of `memory_format`, else a copy laid out so."""
        memory_format = check_memory_format("contiguous", memory_format, self.shape)
        if is_contiguous_as(self._data, memory_format):
            return self
        if memory_format is preserve_format:
            raise RuntimeError("contiguous: preserve memory format is unsupported by the contiguous operator, as "
                               "in PyTorch")
        return self.clone(memory_format=memory_format)

    def is_contiguous(self, *, memory_format=contiguous_format) -> bool:
        """Whether self's strides are those of `memory_format` (a channels_last format of another rank: False)."""
        return is_contiguous_as(self._data, check_memory_format("is_contiguous", memory_format))

    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """A new tensor holding a copy of `data` (as PyTorch's, never sharing the caller's memory)."""
        check_device("new_tensor", device)
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)  # (numbers are checked there)

    def new(self, *args, device=None) -> "Tensor":
        """The legacy constructor old PyTorch code still uses: `w.new(2, 3)` a tensor of that size (zeros
        here, uninitialized in PyTorch), `w.new([1, 2])` one of that data, `w.new()` an empty one; all in
        self's dtype."""
        check_device("new", device)
        sizes = legacy_sizes(args)
        if sizes is not None:
            return self.new_zeros(sizes or (0,))
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            return self.new_tensor(args[0])
        raise TypeError(f"new: expected sizes (ints) or one sequence of data, got "
                        f"{tuple(type(a).__name__ for a in args)}")

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        """As new_zeros: fastgrad's empty tensors are zeros."""
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        check_device("new_zeros", device)
        return Tensor._from_data(np.zeros(size_arg(size), dtype=as_dtype(dtype) if dtype else self.dtype),
                                 requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        check_device("new_ones", device)
        return Tensor._from_data(np.ones(size_arg(size), dtype=as_dtype(dtype) if dtype else self.dtype),
                                 requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        check_device("new_full", device)
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def _floating(self) -> "Tensor":
        """Integer and bool tensors in the default float dtype, for math whose values are not integers (as in
        PyTorch)."""
        return self if self._data.dtype.kind == "f" else self.to(get_default_dtype())

    def _check_floating(self, name: str, error: type = RuntimeError) -> None:
        """Refuse an integer or bool tensor for an op defined on floats only, with PyTorch's exception type: a
        RuntimeError mostly, a NotImplementedError where PyTorch has no kernel for the dtype ("not implemented
        for 'Long'")."""
        if self._data.dtype.kind != "f":
            raise error(f"{name}() needs a floating point tensor, got dtype {self.dtype}; use .float() first")

    def _refuse_bool(self, name: str, error: type = NotImplementedError) -> None:
        """For the ops PyTorch has no bool kernel for (a NumPy bool result would be a number PyTorch never gives), with
        PyTorch's exception type: NotImplementedError ("not implemented for 'Bool'"), RuntimeError where PyTorch
        checks the dtype itself (argmax, topk, cov)."""
        if self._data.dtype.kind == "b":
            raise error(f"{name}: bool tensors are not supported (as in PyTorch); convert with .long() first")

    # -- in place ------------------------------------------------------------------------------------
    # Arithmetic and activations in place follow autograd's rules (fastgrad.autograd.graph.apply_inplace):
    # recorded when grad mode is on, refused on a leaf that requires grad. Under no_grad they are the
    # parameter updates of a training loop. Every change bumps the memory's version counter.
    def _inplace_binary(self, name: str, op, other, given=None) -> "Tensor":
        """self (op)= other; `given` is other as the caller was given it, where the caller has scaled it already
        (add_'s and sub_'s alpha)."""
        if self._base is not None:  # (before _unrecorded below makes it follow its base)
            graph.refuse_stale_view_write(name, self)
        given = other if given is None else given
        other = self._operand(other)
        # (here, as the fast path below skips apply_inplace; on the tensor as given, since add_'s and sub_'s alpha
        # product is new memory that would pass: x[1:].sub_(x[:-1], alpha=0.5) is refused in PyTorch)
        graph.refuse_partial_overlap(name, self._data, (given if isinstance(given, Tensor) else other)._data)
        dtype = result_type(self._data, other._data)
        if not can_cast_in_place(dtype, self._data.dtype):
            raise RuntimeError(f"{name}: result type {dtype} can't be cast to the desired output type {self.dtype}")
        if dtype != self._data.dtype:
            # Computed in the wider dtype and rounded once into self's, as PyTorch's: casting other down first
            # would overflow (float32 * a float64 1e39 that the product brings back in range) or wrap an exponent
            try:
                return self._assign_in_place(name, lambda old: apply(op, old.to(dtype), other), other)
            except ValueError:
                raise self._in_place_broadcast_error(name, other) from None
        if other._data.dtype != self._data.dtype:
            other = other.to(self._data.dtype)
        if _unrecorded(self, other):
            # An optimizer step under no_grad, say: the backend's kernel and a write, without the graph
            # layer's bookkeeping. A result of another shape, or one that cannot be
            # written back (int / int is float), goes the general way below, which raises PyTorch's errors.
            try:
                result = _IN_PLACE_KERNELS[op](backends.CURRENT.kernels)(self._data, other._data)
            except ValueError:
                result = None
            if (result is not None and result.shape == self._data.shape
                    and can_cast_in_place(result.dtype, self._data.dtype)):
                try:
                    self._data[...] = result
                except ValueError:  # the shape and dtype fit: the memory is read-only (an empty tensor's takes it)
                    graph.refuse_read_only(name, self)
                self._counter.value += 1
                return self
        try:
            return graph.apply_inplace(op, name, self, other)
        except ValueError:
            raise self._in_place_broadcast_error(name, other) from None

    def _in_place_broadcast_error(self, name: str, other: "Tensor") -> Exception:
        """The error to raise for a ValueError from an in-place op's kernel: PyTorch's RuntimeError when the
        shapes do not broadcast (NumPy's ValueError says only that), else the ValueError as it came."""
        try:
            np.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            return broadcast_error(name, self.shape, other.shape)
        raise

    def _scaled(self, other, alpha, subtracting: bool = False) -> "Tensor":
        """other * alpha for add_ and sub_: straight through the kernel when nothing records or profiles the
        product and it keeps other's floating dtype (an optimizer's p.sub_(grad, alpha=lr)), else as an op."""
        alpha = torch_number(alpha)
        operand = self._operand(other)  # (first: PyTorch refuses a list there before it reads alpha, with a TypeError)
        if isinstance(alpha, (float, np.floating)) and self._data.dtype.kind in "biu":
            integral = other._data.dtype.kind in "biu" if isinstance(other, Tensor) else not isinstance(
                other, (float, np.floating))
            if integral:  # PyTorch's rule, since the product would be truncated into the integer result
                raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number "
                                   f"(got alpha={alpha})")
        other, = self._in_common_dtype(operand)
        if isinstance(alpha, bool) and other._data.dtype != np.bool_:
            raise RuntimeError(f"add/sub: a bool alpha (got alpha={alpha}) needs a bool result, as in PyTorch; the "
                               f"result here is {other.dtype}")
        if alpha == 1:
            return other
        if type(alpha) is int:  # as PyTorch, an alpha the integer result cannot hold is refused, not wrapped around
            # (PyTorch subtracts by adding with -alpha, negated in int64, so that is the number that must fit)
            added = int(wrapped_number(-alpha, int64)) if subtracting else alpha
            checked_cast(np.asarray(added), other._data.dtype, "add/sub: alpha")
        data = other._data
        if data.dtype == np.bool_:  # alpha in bool, as PyTorch takes it: a bool times 2 would make int64
            return other * bool(alpha)
        if _unrecorded(other) and data.dtype.kind == "f" and type(alpha) in (int, float):
            # (np.asarray: NumPy's 0-d product is a NumPy scalar, which a tensor must not hold, as its dtype would not
            # count in promotion: int64 [1] + 0-d float64 times 2 would be float32)
            product = backends.CURRENT.kernels.multiply(data, data.dtype.type(alpha))
            return Tensor._wrap(np.asarray(product), False, None)
        return other * alpha

    def _in_common_dtype(self, *tensors: "Tensor") -> list["Tensor"]:
        """`tensors` in the dtype of an op on self and all of them, where a product that a Python number scales
        (add's alpha, addcmul's value) is computed, as in PyTorch: the number times an integer tensor alone would
        take the default dtype (float64 beside a float32 self under the float64 default)."""
        dtype = result_type(self._data, *(t._data for t in tensors))
        return [t if t._data.dtype == dtype else t.to(dtype) for t in tensors]

    def add_(self, other, *, alpha: float = 1) -> "Tensor":
        if self._unrecorded_update(other, alpha, subtracting=False):
            return self
        return self._inplace_binary("add_", ops.Add, self._scaled(other, alpha), other)

    def sub_(self, other, *, alpha: float = 1) -> "Tensor":
        if self._unrecorded_update(other, alpha, subtracting=True):
            return self
        _refuse_bool_subtraction(self, other)
        return self._inplace_binary("sub_", ops.Sub, self._scaled(other, alpha, subtracting=True), other)

    def _unrecorded_update(self, other, alpha, subtracting: bool) -> bool:
        """self +-= alpha * other at once, when that is all the general path would do: an optimizer's
        p.sub_(p.grad, alpha=lr) under no_grad, with both tensors of one floating dtype and shape, a Python number
        alpha, nothing recording or profiling, and no memory shared between them. Its checks cost several times
        the kernels at a small parameter, so this path runs only the backend's kernels, with the same roundings
        (alpha in self's dtype, the product first). False when any condition fails; then nothing was done."""
        if type(alpha) not in (int, float) or not isinstance(other, Tensor):
            return False
        if self._base is not None:  # (before _unrecorded below makes it follow its base)
            graph.refuse_stale_view_write("sub_" if subtracting else "add_", self)
        written, read = self._data, other._data
        flags = written.flags
        # (two arrays that each own their memory do not overlap: NumPy's may_share_memory, a Python call, is asked
        # only about views)
        if (written.dtype.kind != "f" or read.dtype != written.dtype or read.shape != written.shape
                or not flags.writeable or read is written
                or not (flags.owndata and read.flags.owndata) and np.may_share_memory(written, read)
                or not _unrecorded(self, other)):
            return False
        kernels = backends.CURRENT.kernels
        if alpha != 1:
            read = kernels.multiply(read, written.dtype.type(alpha))
        written[...] = (kernels.subtract if subtracting else kernels.add)(written, read)
        self._counter.value += 1
        return True

    def mul_(self, other) -> "Tensor":
        return self._inplace_binary("mul_", ops.Mul, other)

    def div_(self, other, *, rounding_mode: str | None = None) -> "Tensor":
        if rounding_mode is None:
            return self._inplace_binary("div_", ops.Div, other)
        return self._assign_in_place("div_", lambda old: old.div(other, rounding_mode=rounding_mode),
                                     *([other] if isinstance(other, Tensor) else []), refuse_overlap=True)

    def true_divide_(self, other) -> "Tensor":
        return self.div_(other)

    __iadd__, __isub__, __imul__ = in_place_operator(add_), in_place_operator(sub_), in_place_operator(mul_)
    __itruediv__ = in_place_operator(div_)
    multiply_, subtract_, divide_ = mul_, sub_, div_

    def exp_(self) -> "Tensor":
        return graph.apply_inplace(ops.Exp, "exp_", self)

    def relu_(self) -> "Tensor":
        return graph.apply_inplace(ops.Relu, "relu_", self)

    def tanh_(self) -> "Tensor":
        return graph.apply_inplace(ops.Tanh, "tanh_", self)

    def sigmoid_(self) -> "Tensor":
        return graph.apply_inplace(ops.Sigmoid, "sigmoid_", self)

    def clamp_(self, min: float | None = None, max: float | None = None) -> "Tensor":
        if min is None and max is None:
            raise ValueError("clamp_: at least one of min and max must be given")
        min, max = (self._real_bound("clamp_", label, bound) for label, bound in (("min", min), ("max", max)))
        if self._data.dtype.kind == "b" and not (isinstance(min, Tensor) or isinstance(max, Tensor)):
            promoted = self.clamp(min, max).dtype  # (or its refusal of bool bounds): never bool
            raise RuntimeError(f"clamp_: result type {promoted} can't be cast to the desired output type bool")
        if isinstance(min, Tensor) or isinstance(max, Tensor):  # bounds that may need their gradient
            return self._assign_in_place("clamp_", lambda old: old.clamp(min, max), min, max, refuse_overlap=True)
        if isinstance(min, (float, np.floating)) or isinstance(max, (float, np.floating)):
            return graph.apply_inplace(ops.Clamp, "clamp_", self, **self._float_bounds("clamp_", min, max, self.dtype))
        return graph.apply_inplace(ops.Clamp, "clamp_", self, **self._integer_bounds("clamp_", min, max))

    def sqrt_(self) -> "Tensor":
        return graph.apply_inplace(ops.Sqrt, "sqrt_", self)

    def log_(self) -> "Tensor":
        return graph.apply_inplace(ops.Log, "log_", self)

    def abs_(self) -> "Tensor":
        self._refuse_bool("abs_")
        return graph.apply_inplace(ops.Abs, "abs_", self)

    absolute_ = abs_

    def neg_(self) -> "Tensor":
        return graph.apply_inplace(ops.Neg, "neg_", self)

    negative_ = neg_

    def sign_(self) -> "Tensor":
        if self._data.dtype.kind == "b":  # (a bool's sign is itself: written back all the same, as PyTorch's)
            return self._assign_in_place("sign_", lambda old: old.sign())
        return graph.apply_inplace(ops.Sign, "sign_", self)

    sgn_ = sign_  # (sgn differs from sign only for complex numbers)

    def pow_(self, exponent) -> "Tensor":
        self._check_exponent("pow_", exponent)
        if self._rounds_exponent(exponent):
            return self._assign_in_place("pow_", lambda old: old ** exponent)
        return self._inplace_binary("pow_", _power_op(exponent), exponent)

    __ipow__ = in_place_operator(pow_)

    def _assign_in_place(self, name: str, compute, *others, refuse_overlap: bool = False) -> "Tensor":
        """The in-place form of an op composed of others: compute(old values) written into self's memory
        with copy_'s machinery (version-bumped, refused on a leaf that requires grad). When recorded, the
        old values are copied into a new handle that takes over self's history, so that the write can
        neither spoil what the graph saved nor make the graph run self's old node twice. `refuse_overlap`:
        the tensors among `others` that share part of self's memory are refused, as PyTorch's elementwise
        in-place ops refuse them (graph.refuse_partial_overlap)."""
        if self._base is not None:  # (before follows_new_base_history below makes it follow its base)
            graph.refuse_stale_view_write(name, self)
        if refuse_overlap:
            for other in others:
                if isinstance(other, Tensor):
                    graph.refuse_partial_overlap(name, self._data, other._data)
        recorded = GRAD_MODE.enabled and any([isinstance(t, Tensor) and graph.follows_new_base_history(t)
                                              for t in (self,) + others])
        if not recorded:
            return self._write_result(name, compute(self))
        if self._requires_grad and self._node is None:
            raise RuntimeError(f"{name}: a leaf tensor that requires grad is being used in an in-place operation; "
                               "change it under `with fastgrad.no_grad():` (as an optimizer step does)")
        if self._base is not None:  # (before `before` takes the view's history: the view's current one)
            graph.prepare_view_write(name, self)
        history = self._node, self._requires_grad
        before = Tensor._wrap(self._data.copy(), *history[::-1])
        result = compute(before)
        if not result.requires_grad and result.shape == self.shape:
            # (a logical op's bools): self keeps a history, with a zero gradient, through which the
            # nodes recorded before the change find theirs
            result = apply(ops.CopyFrom, before, result)
        self._node, self._requires_grad = None, False
        try:
            self._write_result(name, result, before)
        except Exception:
            self._node, self._requires_grad = history
            raise
        node = result._node
        if node is not None and node.output_counter is result._counter:
            # the op's backward reads its result, which now lives in self: it refuses once self changes again, as
            # PyTorch's in-place op, which saves self as its result
            node.record_output(self._counter)
        return self

    def _write_result(self, name: str, result: "Tensor", before: "Tensor | None" = None) -> "Tensor":
        if result.shape != self.shape:
            raise RuntimeError(f"{name}: output with shape {tuple(self.shape)} doesn't match the broadcast shape "
                               f"{tuple(result.shape)}")
        if not can_cast_in_place(result.dtype, self._data.dtype):
            raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the desired output type "
                               f"{self.dtype}")
        return graph.apply_inplace(ops.CopyFrom, name, self, result, before=before)

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def fill_(self, value) -> "Tensor":
        if isinstance(value, Tensor):
            if value.ndim:  # (copy_ writes a tensor elementwise)
                raise RuntimeError(f"fill_: the value must be a number or a 0-d tensor (as in PyTorch), got a tensor "
                                   f"of shape {value.shape}")
            if np.may_share_memory(self._data, value._data):  # (PyTorch reads it as a number first: x.fill_(x[0]))
                value = value.clone()
            return self.copy_(value)  # which broadcasts it, and sends the gradient back to it, as PyTorch's fill_
        return graph.apply_inplace(ops.Fill, "fill_", self, value=number_of_dtype("fill_", value, self.dtype))

    def copy_(self, src) -> "Tensor":
        """self's elements set to src's (a tensor, broadcast, or a number; an array or a list is a TypeError, as
        PyTorch's), in self's dtype; the gradient flows back to src."""
        if not isinstance(src, (Tensor,) + NUMBERS):
            raise TypeError(f"copy_: src must be a tensor or a number, got {type(src).__name__} {src!r:.50}; convert "
                            f"it with fastgrad.tensor() or fastgrad.as_tensor(), as PyTorch asks")
        src = src if isinstance(src, Tensor) else Tensor._wrap(np.asarray(src), False, None)
        try:
            np.broadcast_to(src._data, self.shape)
        except ValueError:
            raise broadcast_error("copy_", self.shape, src.shape) from None
        return graph.apply_inplace(ops.CopyFrom, "copy_", self, src)


graph.Tensor = Tensor
# what PyTorch's ops take beside a tensor: another tensor or a number
OPERANDS = (Tensor,) + NUMBERS
# NumPy's ufunc of each op of Tensor._binary's that a Python operator calls, for an array after the tensor
_OPERATOR_UFUNCS = {ops.Add: np.add, ops.Sub: np.subtract, ops.Mul: np.multiply, ops.Div: np.true_divide,
                    ops.Pow: np.power, ops.PowOfConstant: np.power, ops.FloorDivide: np.floor_divide,
                    ops.Remainder: np.remainder}


def _refuse_bool_subtraction(a: Tensor, b) -> None:
    """PyTorch's refusal of a bool operand in a subtraction, once b is one its ops take (a NumPy array or a list
    is refused as an operand first, a TypeError: see Tensor._binary); a NumPy bool b is a float to PyTorch."""
    if ((a._data.dtype == np.bool_ and isinstance(b, OPERANDS)) or isinstance(b, bool)
            or (isinstance(b, Tensor) and b.dtype == np.bool_)):
        raise RuntimeError("subtraction (the - operator) with a bool tensor is not supported; "
                           "use ~ or logical_not() to invert a bool tensor")


def _matmul(a: Tensor, b, reflected: bool = False, operator: bool = False) -> Tensor:
    """a @ b (b @ a when reflected); both operands must be tensors of one dtype, as PyTorch requires of matrix
    products (a number is a TypeError). `operator`: as Tensor._binary's."""
    if not isinstance(b, Tensor):
        if operator and not isinstance(b, NUMBERS):
            return a._operator_fallback(np.matmul, b, reflected)
        tensor_arg(b, "matmul(): argument 'other'")  # (its TypeError, for a number too)
    operand = b
    if a._data.dtype != operand._data.dtype:
        first, second = (operand, a) if reflected else (a, operand)
        raise RuntimeError(f"matmul: expected both operands to have the same dtype, but got {first.dtype} and "
                           f"{second.dtype}")
    a._refuse_bool("matmul")  # (PyTorch has no bool kernel for dot, mv, mm or bmm; NumPy's would OR the ANDs)
    return a._binary(ops.Matmul, operand, reflected)


def _check_product_operands(name: str, a: Tensor, b: Tensor, ndim: int) -> None:
    """mm and bmm take tensors of exactly `ndim` dims and one dtype (PyTorch does not promote here)."""
    for arg, t in (("self", a), ("mat2", b)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: {arg} must be a Tensor, got {type(t).__name__}")
        if t.ndim != ndim:
            raise RuntimeError(f"{name}: {arg} must be a {ndim}-D tensor, got shape {t.shape}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: expected self and mat2 to have the same dtype, but got {a.dtype} != {b.dtype}")
    a._refuse_bool(name)  # (no bool kernel in PyTorch either)


def _unrecorded(*tensors: Tensor) -> bool:
    """Nothing would record or profile an op on these tensors: no profiler runs, and grad mode is off or
    none of them requires grad."""
    if PROFILE.active is not None:
        return False
    if not GRAD_MODE.enabled:
        return True
    for tensor in tensors:
        if tensor._requires_grad or (tensor._base is not None and graph.follows_new_base_history(tensor)):
            return False
    return True


def _power_op(exponent):
    """The op of self ** exponent: one that saves its output when the exponent may need a gradient (a tensor that
    requires grad), as PyTorch's, which reads it there only; for a number, one that computes as PyTorch's
    scalar-exponent kernel (PowOfNumber)."""
    if type(exponent) is Tensor:
        return ops.Pow if exponent._requires_grad else ops.PowOfConstant
    return ops.PowOfNumber if isinstance(exponent, NUMBERS) else ops.PowOfConstant


# The kernel of each in-place arithmetic op, for updates that nothing records.
_IN_PLACE_KERNELS = {ops.Add: lambda K: K.add, ops.Sub: lambda K: K.subtract, ops.Mul: lambda K: K.multiply,
                     ops.Div: lambda K: K.divide,
                     # (each pow op computes as its own `power`, which special-cases exponents as PyTorch)
                     **{op: (lambda K, op=op: functools.partial(op.power, K))
                        for op in (ops.Pow, ops.PowOfConstant, ops.PowOfNumber)}}


# The creation functions lived here; `from fastgrad.tensor import tensor, zeros, ...` keeps working.
# Imported last: fastgrad.creation needs the Tensor class above.
from fastgrad.creation import (arange, empty, empty_like, eye, from_numpy, full, full_like,  # noqa: E402,F401
                               linspace, ones, ones_like, rand, rand_like, randint, randint_like, randn,
                               randn_like, randperm, tensor, zeros, zeros_like)

"""Parametrizations, as torch.nn.utils.parametrize: `module.weight` computed on each access as
`parametrization(original)`, where `original` is what is trained and saved.

`register_parametrization(module, "weight", P)` moves the Parameter (or buffer) to
`module.parametrizations.weight.original` (or, when P.right_inverse returns several tensors,
`original0`, `original1`, ...), gives the module a subclass of its class, `Parametrized<Name>`, in which
`weight` is a property, and so `module.weight` runs P on every read and `module.weight = X` stores
P.right_inverse(X). State dict keys follow: `parametrizations.weight.original`. fastgrad's Module keeps
registered values as instance attributes; a property on the class takes precedence over them, which is
why the class is swapped rather than the attribute overwritten.
"""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from typing import Iterator

import numpy as np

from fastgrad.autograd import no_grad
from fastgrad.nn.modules.container import ModuleDict, ModuleList
from fastgrad.nn.modules.module import Module
from fastgrad.nn.parameter import Parameter
from fastgrad.tensor import Tensor

# Within `cached()`: (id(module), tensor name) -> the parametrized value, computed once.
_cache: dict[tuple[int, str], Tensor] = {}
_cache_depth = 0


@contextmanager
def cached() -> Iterator[None]:
    """Compute each parametrized tensor once while the context is open (an RNN's recurrent weight read
    at every step, a weight shared by two layers); leaving the outermost context drops the values."""
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


def _register_parameter_or_buffer(module: Module, name: str, value: Tensor) -> None:
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _set_values(dest: Tensor, src: Tensor) -> None:
    """Give `dest` the values (and shape) of `src` while it stays the same object, as PyTorch's set_:
    an optimizer holding the Parameter keeps training it."""
    dest._data = np.array(src._data, copy=True, order="C")
    dest._counter.value += 1


class ParametrizationList(ModuleList):
    """`module.parametrizations.<name>`: the parametrizations of one tensor, applied in registration
    order, and the tensor(s) they are applied to (`original`, or `original0`, `original1`, ...)."""

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        original_shape, original_dtype = original.shape, original.dtype
        with no_grad():
            new = _right_inverse(self, original, missing_is_identity=True)
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                             f"Got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if new.dtype != original.dtype:
                raise ValueError("When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                                 f"original.dtype: {original.dtype}\nright_inverse(original).dtype: {new.dtype}")
            if new is not original:
                _set_values(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, part in enumerate(new):
                if not isinstance(part, Tensor):
                    raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                                     f"Got element {i} of the sequence with type {type(part).__name__}.")
                part = Parameter(part, original.requires_grad) if isinstance(original, Parameter) \
                    else part.requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", part)
        if not self.unsafe:
            value = self()
            if not isinstance(value, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(value).__name__}.")
            if value.dtype != original_dtype:
                raise ValueError("Registering a parametrization may not change the dtype of the tensor, unless "
                                 f"`unsafe` flag is enabled.\nunparametrized dtype: {original_dtype}\n"
                                 f"parametrized dtype: {value.dtype}")
            if value.shape != original_shape:
                raise ValueError("Registering a parametrization may not change the shape of the tensor, unless "
                                 f"`unsafe` flag is enabled.\nunparametrized shape: {original_shape}\n"
                                 f"parametrized shape: {value.shape}")

    def right_inverse(self, value: Tensor) -> None:
        """Store the original(s) whose parametrized value is `value` (what `module.weight = value` does)."""
        with no_grad():
            value = _right_inverse(self, value, missing_is_identity=False)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
                if value.dtype != self.original.dtype:
                    raise ValueError(f"The tensor returned by `right_inverse` has dtype {value.dtype} while "
                                     f"`original` has dtype {self.original.dtype}")
                _set_values(self.original, value)
                return
            if not isinstance(value, Sequence):
                raise ValueError(f"'right_inverse' must return a sequence of tensors. Got {type(value).__name__}.")
            if len(value) != self.ntensors:
                raise ValueError(f"'right_inverse' must return a sequence of tensors of length {self.ntensors}. "
                                 f"Got a sequence of length {len(value)}.")
            for i, part in enumerate(value):
                if not isinstance(part, Tensor):
                    raise ValueError("'right_inverse' must return a sequence of tensors. "
                                     f"Got element {i} of type {type(part).__name__}.")
                original = getattr(self, f"original{i}")
                if part.dtype != original.dtype:
                    raise ValueError(f"Tensor {i} returned by `right_inverse` has dtype {part.dtype} while "
                                     f"`original{i}` has dtype {original.dtype}")
                _set_values(original, part)

    def forward(self) -> Tensor:
        if self.is_tensor:
            value = self[0](self.original)
        else:
            value = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for parametrization in list(self)[1:]:
            value = parametrization(value)
        return value


def _right_inverse(parametrizations: ParametrizationList, value, missing_is_identity: bool):
    """Run the right inverses from the last parametrization to the first. At registration a missing
    one (or one raising NotImplementedError) counts as the identity; on assignment it is an error."""
    for parametrization in reversed(list(parametrizations)):
        if not hasattr(parametrization, "right_inverse"):
            if missing_is_identity:
                continue
            raise RuntimeError(f"parametrization {type(parametrization).__name__} does not implement right_inverse.")
        try:
            value = parametrization.right_inverse(value)
        except NotImplementedError:
            if not missing_is_identity:
                raise
    return value


def _parametrized_property(tensor_name: str) -> property:
    def get_parametrized(module: Module) -> Tensor:
        parametrizations = module.parametrizations[tensor_name]
        if not _cache_depth:
            return parametrizations()
        key = (id(module), tensor_name)
        if key not in _cache:
            _cache[key] = parametrizations()
        return _cache[key]

    def set_original(module: Module, value: Tensor) -> None:
        module.parametrizations[tensor_name].right_inverse(value)

    return property(get_parametrized, set_original)


def _parametrized_setattr(module: Module, name: str, value) -> None:
    """Assigning a Parameter to a parametrized name is refused, as PyTorch's register_parameter refuses
    a name that is already an attribute; other values go through the property (right_inverse)."""
    if isinstance(value, Parameter) and is_parametrized(module, name):
        raise KeyError(f"attribute '{name}' already exists")
    type(module).__bases__[0].__setattr__(module, name, value)  # the module's own class's assignment


def _make_parametrized_class(module: Module) -> None:
    cls = type(module)
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {"__setattr__": _parametrized_setattr})


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Make `module.<tensor_name>` be `parametrization(original)`; a second call on the same name chains
    (`p2(p1(original))`). Unless `unsafe`, the parametrization may not change the tensor's shape or dtype
    (checked now, by running it). Returns the module."""
    if not isinstance(module, Module):
        raise TypeError(f"register_parametrization: module must be a Module, got {type(module).__name__}")
    if not isinstance(parametrization, Module):
        raise TypeError(f"register_parametrization: parametrization must be a Module, "
                        f"got {type(parametrization).__name__}")
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_chained(module, tensor_name, parametrization)
        module.parametrizations[tensor_name].append(parametrization)
        module.parametrizations[tensor_name].unsafe |= unsafe
    elif tensor_name in module._parameters or tensor_name in module._buffers:
        parametrizations = ParametrizationList([parametrization], getattr(module, tensor_name), unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _make_parametrized_class(module)
            module.parametrizations = ModuleDict()
        setattr(type(module), tensor_name, _parametrized_property(tensor_name))
        module.parametrizations[tensor_name] = parametrizations
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with "
                         f"name '{tensor_name}'")
    return module


def _check_chained(module: Module, tensor_name: str, parametrization: Module) -> None:
    """A parametrization added to a chain must map the tensor's shape and dtype to themselves, and so
    must its right_inverse (when it has one)."""
    current = getattr(module, tensor_name)
    value = parametrization(current)
    if not isinstance(value, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(value).__name__}.")
    where = f"module.{tensor_name}"
    _refuse_change(current, value, where, "Registering a parametrization may not change the {} of the tensor",
                   f"parametrization({where}).{{}}")
    if not hasattr(parametrization, "right_inverse"):
        return
    try:
        inverse = parametrization.right_inverse(value)
    except NotImplementedError:
        return
    if not isinstance(inverse, Tensor):
        raise ValueError(f"parametrization.right_inverse must return a tensor. Got: {type(inverse).__name__}")
    _refuse_change(current, inverse, where,
                   "The tensor returned by parametrization.right_inverse must have the same {} as " + where,
                   "returned {}")


def _refuse_change(current: Tensor, value: Tensor, where: str, header: str, label: str) -> None:
    """PyTorch's ValueError when value's dtype or shape differs from the tensor's (header and label name the
    attribute where they hold {})."""
    for attribute in ("dtype", "shape"):
        if getattr(value, attribute) != getattr(current, attribute):
            raise ValueError(f"{header.format(attribute)}, unless the `unsafe` flag is enabled.\n"
                             f"{where}.{attribute}: {getattr(current, attribute)}\n"
                             f"{label.format(attribute)}: {getattr(value, attribute)}")


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether `tensor_name` of module (or, when None, any of its tensors) has a parametrization."""
    parametrizations = getattr(module, "parametrizations", None)
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True) -> Module:
    """Undo register_parametrization for one tensor. With leave_parametrized, the tensor keeps its current
    parametrized value (in the original Parameter object, when there is a single original); otherwise it
    goes back to `original`, which is impossible when the parametrization has several originals."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with no_grad():
                _set_values(original, getattr(module, tensor_name))
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        original = Parameter(value.detach()) if value.requires_grad else value.detach()
    else:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized "
                         "in terms of a sequence of tensors.")
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before register_parametrization swapped it."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)

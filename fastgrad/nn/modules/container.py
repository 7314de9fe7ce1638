"""Containers: Sequential (a chain), ModuleList and ModuleDict (registered modules by position or key),
ParameterList and ParameterDict (registered parameters by position or key)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, Mapping

from fastgrad.nn.modules.module import Module, _indent
from fastgrad.nn.parameter import Parameter
from fastgrad.tensor import Tensor


def _position(index: int, length: int, items: str = "modules") -> int:
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a container of {length} {items}")
    return index % length


class Sequential(Module):
    """Calls its modules in order, each on the previous one's output. Children are named "0", "1",
    ... (so state_dict keys are `0.weight`, as in PyTorch), or by the keys of an OrderedDict."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, index: int | slice) -> "Module | Sequential":
        modules = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(modules[index]))
        return modules[_position(index, len(modules))][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list whose modules are registered (their parameters are found by `parameters()`)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> "Module | ModuleList":
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[_position(index, len(modules))]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(str(_position(index, len(self))), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        for module in modules:
            self.append(module)
        return self

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(); iterate over it in the parent's forward()")

    def __repr__(self) -> str:
        """Runs of equal modules print once, as `(0-2): 3 x Linear(...)`, as in PyTorch."""
        runs: list[list] = []  # [first index, last index, repr]
        for index, module in enumerate(self._modules.values()):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        if not runs:
            return f"{type(self).__name__}()"
        lines = [_indent(f"({first}): {text}" if first == last else f"({first}-{last}): {last - first + 1} x {text}")
                 for first, last, text in runs]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class _KeyedContainer(Module):
    """Dict methods over one of the module's registries, in insertion order; subclasses say which
    (`registry`) and how a value is registered (`__setitem__`)."""

    registry = ""

    def _entries(self) -> "OrderedDict[str, Any]":
        return getattr(self, self.registry)

    def __getitem__(self, key: str):
        return self._entries()[key]

    def __setitem__(self, key: str, value) -> None:
        raise NotImplementedError

    def __delitem__(self, key: str) -> None:
        if key not in self._entries():
            raise KeyError(key)
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._entries())

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries())

    def __contains__(self, key: str) -> bool:
        return key in self._entries()

    def keys(self):
        return self._entries().keys()

    def items(self):
        return self._entries().items()

    def values(self):
        return self._entries().values()

    def get(self, key: str, default: Any = None) -> Any:
        return self._entries().get(key, default)

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        for key in list(self._entries()):
            del self[key]

    def update(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        for key, value in (entries.items() if isinstance(entries, Mapping) else entries):
            self[key] = value

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(); look entries up in the parent's forward()")


class ModuleDict(_KeyedContainer):
    """A dict whose modules are registered under their keys (so state_dict keys are `key.weight`)."""

    registry = "_modules"

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)


def _as_parameter(value: Tensor, where: str) -> Parameter:
    """A Parameter as it is, a Tensor as a Parameter sharing its memory (as PyTorch's containers do)."""
    if isinstance(value, Parameter):
        return value
    if not isinstance(value, Tensor):
        raise TypeError(f"{where}: expected a Parameter or Tensor, got {type(value).__name__}")
    return Parameter(value)


def _parameter_lines(parameters: Iterable[tuple[str, Parameter]]) -> str:
    """PyTorch's container repr lines: `(key): Parameter containing: [dtype of size 2x3]`."""
    return "\n".join(f"  ({key}): Parameter containing: [fastgrad.{param.dtype} of size "
                     f"{'x'.join(str(n) for n in param.shape)}]" for key, param in parameters)


class ParameterList(Module):
    """A list whose Parameters are registered under "0", "1", ... (Tensors are wrapped as Parameters)."""

    def __init__(self, values: Iterable[Tensor] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, index: int | slice) -> "Parameter | ParameterList":
        params = list(self._parameters.values())
        if isinstance(index, slice):
            return ParameterList(params[index])
        return params[_position(index, len(params), "parameters")]

    def __setitem__(self, index: int, value: Tensor) -> None:
        name = str(_position(index, len(self), "parameters"))
        self.register_parameter(name, _as_parameter(value, f"ParameterList[{index}]"))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def append(self, value: Tensor) -> "ParameterList":
        self.register_parameter(str(len(self)), _as_parameter(value, "ParameterList.append"))
        return self

    def extend(self, values: Iterable[Tensor]) -> "ParameterList":
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return _parameter_lines(self._parameters.items())

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterList has no forward()")


class ParameterDict(_KeyedContainer):
    """A dict whose Parameters are registered under their keys (Tensors are wrapped as Parameters)."""

    registry = "_parameters"

    def __init__(self, parameters: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key: str, value: Tensor) -> None:
        self.register_parameter(key, _as_parameter(value, f"ParameterDict[{key!r}]"))

    def update(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """As PyTorch's: a plain dict's entries go in sorted by key, an OrderedDict's or a ParameterDict's in
        their own order, so that parameters() (and an optimizer's state indices) follow PyTorch's order."""
        if isinstance(entries, Mapping) and not isinstance(entries, (OrderedDict, ParameterDict)):
            entries = sorted(entries.items())
        super().update(entries)

    def extra_repr(self) -> str:
        return _parameter_lines(self._parameters.items())
